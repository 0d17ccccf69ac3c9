import { mkdirSync } from 'node:fs';
import type { Logger } from '../../config/logger.ts';
import type { CameraStatus } from '../../contracts/api.ts';
import type { FrameSink } from '../../contracts/frames.ts';
import type { CameraHealth } from '../../contracts/media.ts';
import { redactUrl } from '../../storage/redact.ts';
import { buildFfmpegArgs, inputKindFor, type FfmpegOverrides, type HwAccel } from './ffmpeg-args.ts';
import { FfmpegProcess, type FfmpegExit, type FrameSize } from './ffmpeg.process.ts';

/**
 * One camera stream: one ffmpeg process feeding the live relay, recording and analytics frames, kept
 * alive by an explicit state machine.
 *
 *   idle ─start()→ starting ─video→ online ⇄ degraded
 *                     │               │         │
 *                     └──── fault ────┴─────────┴──→ offline → backoff ─(1, 5, 10, 30, 60 s)→ starting …
 *   any state ─stop()→ stopped
 *
 * A fault is ffmpeg exiting (with the reason its log gave: wrong password, unreachable, ...), no video
 * within the start timeout, or the watchdog: video stopped while ffmpeg still runs (hung, not crashed),
 * in which case the process is killed. The backoff step resets once the stream is online again.
 *
 * Health (contracts/media.ts CameraHealth) goes to onHealth listeners when status or reason changes,
 * and every healthIntervalSeconds while running with fresh fps / drop counts. Nothing is emitted after
 * stop(). The URL (with credentials) goes only into ffmpeg's argv; logs get redactUrl(url).
 */

export const SESSION_STATES = ['idle', 'starting', 'online', 'degraded', 'offline', 'backoff', 'stopped'] as const;
export type SessionState = (typeof SESSION_STATES)[number];

/** Allowed transitions; anything else is a bug and throws. */
export const SESSION_TRANSITIONS: Readonly<Record<SessionState, readonly SessionState[]>> = {
  idle: ['starting', 'stopped'],
  starting: ['online', 'offline', 'stopped'],
  online: ['degraded', 'offline', 'stopped'],
  degraded: ['online', 'offline', 'stopped'],
  offline: ['backoff', 'stopped'],
  backoff: ['starting', 'stopped'],
  stopped: [],
};

export function canTransition(from: SessionState, to: SessionState): boolean {
  return SESSION_TRANSITIONS[from].includes(to);
}

/** Reconnect delays in seconds; the last one repeats. */
export const DEFAULT_BACKOFF_SECONDS: readonly number[] = [1, 5, 10, 30, 60];

/** The delay before reconnect attempt `attempt` (0 = first retry after a fault). */
export function backoffDelaySeconds(attempt: number, steps: readonly number[] = DEFAULT_BACKOFF_SECONDS): number {
  if (steps.length === 0) throw new Error('backoff needs at least one step');
  return steps[Math.min(Math.max(0, Math.floor(attempt)), steps.length - 1)]!;
}

/** The CameraStatus a session state reports. `starting` keeps the previous status (offline stays offline while retrying). */
export function statusOf(state: SessionState, previous: CameraStatus): CameraStatus {
  switch (state) {
    case 'online':
      return 'online';
    case 'degraded':
      return 'degraded';
    case 'offline':
    case 'backoff':
      return 'offline';
    case 'starting':
      return previous === 'offline' ? 'offline' : 'unknown';
    case 'idle':
    case 'stopped':
      return previous;
  }
}

/** A frame sink that also counts what it dropped (FrameQueue does). */
export type CountingFrameSink = FrameSink & { readonly dropped?: number };

export interface StreamSessionOptions {
  cameraId: string;
  /** rtsp:// URL with credentials (used only in ffmpeg's argv), or a file path / file:// URL (looped, for demos and tests). */
  url: string;
  transport: 'tcp' | 'udp';
  relay: { rtpPort: number; host?: string; sdpFile?: string } | null;
  /** `dir` is the camera's own folder, `<dataDir>/recordings/<cameraId>`; created when missing. */
  recording: { dir: string; segmentSeconds: number } | null;
  frames: { fps: number; width: number } | null;
  /** Privacy mask PNG (privacy-mask.ts): every output gets the masked picture; relay and recording are then encoded. */
  mask?: { file: string } | null;
  /** Where decoded frames go; its `dropped` count, when it has one, is reported as droppedFrames. */
  frameSink: CountingFrameSink | null;
  /** Reconnect delays; default 1, 5, 10, 30, 60 s. */
  backoffSeconds?: readonly number[];
  /** Video silent this long while ffmpeg runs → it is hung: kill and restart. Default 10 s. */
  watchdogSeconds?: number;
  /** No video this long after ffmpeg started → fault. Default 20 s (ffmpeg's own RTSP I/O timeout is 5 s). */
  startTimeoutSeconds?: number;
  /** Degraded when the measured frame rate falls below this share of frames.fps. Default 0.5. */
  degradedFpsRatio?: number;
  /** Window of the fps measurement. Default 5 s. */
  fpsWindowSeconds?: number;
  /** Periodic health report while running. Default 5 s; 0 turns it off. */
  healthIntervalSeconds?: number;
  hwaccel?: HwAccel;
  overrides?: FfmpegOverrides;
  ffmpegPath?: string;
  log: Logger;
  onHealth?: (health: CameraHealth) => void;
}

const TICK_MS = 250;

export class StreamSession {
  readonly cameraId: string;
  private readonly options: StreamSessionOptions;
  /** ffmpeg's argv: holds the URL with credentials; never logged. */
  private readonly args: string[];
  private readonly log: Logger;
  private readonly backoff: readonly number[];
  private readonly watchdogMs: number;
  private readonly startTimeoutMs: number;
  private readonly fpsWindowMs: number;
  private readonly healthListeners = new Set<(h: CameraHealth) => void>();
  private readonly stateListeners = new Set<(state: SessionState, reason: string | null) => void>();

  private stateValue: SessionState = 'idle';
  private status: CameraStatus = 'unknown';
  private reason: string | null = null;
  private since = new Date().toISOString();
  private proc: FfmpegProcess | null = null;
  private launches = 0;
  private attempt = 0;
  private startedAt = 0;
  private onlineAt = 0;
  private lastVideoAt = 0;
  private lastFrameAt: number | null = null;
  private lastProgressFrame = 0;
  private frameTimes: number[] = [];
  private progressSamples: Array<{ t: number; frame: number }> = [];
  private decodedSize: FrameSize | null = null;
  private tickTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private healthTimer: NodeJS.Timeout | null = null;
  private stopping: Promise<void> | null = null;

  constructor(options: StreamSessionOptions) {
    this.options = options;
    this.cameraId = options.cameraId;
    this.backoff = options.backoffSeconds ?? DEFAULT_BACKOFF_SECONDS;
    if (this.backoff.length === 0 || this.backoff.some((s) => !(s >= 0))) throw new Error('backoffSeconds must be non-negative numbers');
    this.watchdogMs = (options.watchdogSeconds ?? 10) * 1000;
    this.startTimeoutMs = (options.startTimeoutSeconds ?? 20) * 1000;
    this.fpsWindowMs = (options.fpsWindowSeconds ?? 5) * 1000;
    this.log = options.log.child({ module: 'stream-session', cameraId: options.cameraId });
    if (options.onHealth) this.healthListeners.add(options.onHealth);
    // Built once, here: a bad source or output setting fails now, not in a timer later.
    this.args = buildFfmpegArgs({
      input: { kind: inputKindFor(options.url, options.transport), url: options.url, hwaccel: options.hwaccel ?? 'none' },
      relay: options.relay,
      recording: options.recording,
      frames: options.frames,
      mask: options.mask ?? null,
      overrides: options.overrides,
    });
  }

  get state(): SessionState {
    return this.stateValue;
  }

  /** pid of the current ffmpeg, if one runs. */
  get pid(): number | undefined {
    return this.proc && !this.proc.exited ? this.proc.pid : undefined;
  }

  /** Size of the decoded frames, once ffmpeg has said it. */
  get frameSize(): FrameSize | null {
    return this.decodedSize;
  }

  get health(): CameraHealth {
    const sink = this.options.frameSink;
    return {
      cameraId: this.cameraId,
      status: this.status,
      reason: this.reason,
      fps: this.measureFps(),
      droppedFrames: typeof sink?.dropped === 'number' ? sink.dropped : 0,
      restarts: Math.max(0, this.launches - 1),
      lastFrameAt: this.lastFrameAt === null ? null : new Date(this.lastFrameAt).toISOString(),
      since: this.since,
    };
  }

  /** Listen to health reports; returns the unsubscribe function. */
  onHealth(listener: (h: CameraHealth) => void): () => void {
    this.healthListeners.add(listener);
    return () => this.healthListeners.delete(listener);
  }

  onStateChange(listener: (state: SessionState, reason: string | null) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  start(): void {
    if (this.stateValue !== 'idle') throw new Error(`stream session already ${this.stateValue}`);
    this.log.info({ url: redactUrl(this.options.url), transport: this.options.transport }, 'stream session starting');
    this.tickTimer = setInterval(() => this.tick(), TICK_MS);
    const every = this.options.healthIntervalSeconds ?? 5;
    if (every > 0) this.healthTimer = setInterval(() => this.emitHealth(), every * 1000);
    this.launch();
  }

  /** Stop for good: kills ffmpeg (SIGTERM, then SIGKILL) and resolves when it is gone. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const t of [this.tickTimer, this.healthTimer]) if (t) clearInterval(t);
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.tickTimer = this.healthTimer = this.retryTimer = null;
      if (this.stateValue !== 'stopped') this.setState('stopped', null);
      const proc = this.proc;
      if (proc) await proc.stop();
      this.proc = null;
      this.healthListeners.clear();
      this.stateListeners.clear();
      this.log.info('stream session stopped');
    })();
    return this.stopping;
  }

  // ---------------------------------------------------------------------------------------------

  private launch(): void {
    if (this.stateValue === 'stopped') return;
    const o = this.options;
    const previous = this.proc;
    if (previous && !previous.exited) {
      // Never two ffmpeg for one camera (same RTP port, same recording folder).
      void previous.kill().then(() => this.launch());
      return;
    }
    this.setState('starting', this.reason);
    if (o.recording) {
      try {
        mkdirSync(o.recording.dir, { recursive: true });
      } catch (err) {
        this.launches++;
        this.fault(`cannot create the recording folder (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
        return;
      }
    }
    const args = this.args;
    this.launches++;
    this.startedAt = Date.now();
    this.lastVideoAt = 0;
    this.lastProgressFrame = 0;
    this.frameTimes = [];
    this.progressSamples = [];
    const proc: FfmpegProcess = FfmpegProcess.start(
      { args, ffmpegPath: o.ffmpegPath, frames: o.frames !== null, log: this.log },
      {
        onFrameSize: (size) => (this.decodedSize = size),
        onFrame: (data, size) => this.onFrame(proc, data, size),
        onProgress: (p) => this.onProgress(proc, p.frame),
        onExit: (exit) => this.onExit(proc, exit),
      },
    );
    this.proc = proc;
    this.log.debug({ pid: proc.pid, launch: this.launches }, 'ffmpeg started');
  }

  private onFrame(proc: FfmpegProcess, data: Buffer, size: FrameSize): void {
    if (proc !== this.proc || this.stateValue === 'stopped') return;
    const now = Date.now();
    this.lastVideoAt = now;
    this.lastFrameAt = now;
    this.frameTimes.push(now);
    if (this.stateValue === 'starting') this.becomeOnline();
    this.options.frameSink?.push({ cameraId: this.cameraId, capturedAt: now, width: size.width, height: size.height, format: 'bgr24', data });
  }

  private onProgress(proc: FfmpegProcess, frame: number): void {
    if (proc !== this.proc || this.stateValue === 'stopped') return;
    if (frame <= this.lastProgressFrame) return;
    const now = Date.now();
    this.lastProgressFrame = frame;
    this.lastVideoAt = now;
    this.progressSamples.push({ t: now, frame });
    // Without a frame output, copied video flowing is what "online" means.
    if (this.stateValue === 'starting' && !this.options.frames) this.becomeOnline();
  }

  private onExit(proc: FfmpegProcess, exit: FfmpegExit): void {
    if (proc !== this.proc || this.stateValue === 'stopped') return;
    if (this.stateValue === 'offline' || this.stateValue === 'backoff') return; // the watchdog already handled it
    const reason = exit.reason ?? 'ffmpeg exited';
    this.log.warn(
      { code: exit.code, signal: exit.signal, reason, ffmpeg: exit.lastError ?? undefined, url: redactUrl(this.options.url) },
      'stream lost',
    );
    this.fault(reason);
  }

  private becomeOnline(): void {
    this.onlineAt = Date.now();
    this.attempt = 0;
    this.setState('online', null);
  }

  /** Go offline with a reason and schedule the next attempt. */
  private fault(reason: string): void {
    this.setState('offline', reason);
    const delay = backoffDelaySeconds(this.attempt++, this.backoff);
    this.setState('backoff', reason);
    this.log.info({ reason, retryInSeconds: delay }, 'will reconnect');
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.launch();
    }, delay * 1000);
  }

  private tick(): void {
    const now = Date.now();
    this.trimWindows(now);
    const state = this.stateValue;
    if (state === 'starting') {
      if (now - this.startedAt > this.startTimeoutMs) {
        this.killHung(`no video from the camera within ${fmtSeconds(this.startTimeoutMs)} s`);
      }
      return;
    }
    if (state !== 'online' && state !== 'degraded') return;
    const silentMs = now - this.lastVideoAt;
    if (silentMs > this.watchdogMs) {
      this.killHung(`no video for ${fmtSeconds(silentMs)} s (ffmpeg hung); restarting`);
      return;
    }
    const degradedReason = this.degradedReason(now, silentMs);
    if (degradedReason && state === 'online') this.setState('degraded', degradedReason);
    else if (degradedReason && state === 'degraded' && degradedReason !== this.reason) this.setState('degraded', degradedReason);
    else if (!degradedReason && state === 'degraded') this.setState('online', null);
  }

  private degradedReason(now: number, silentMs: number): string | null {
    if (silentMs > Math.min(this.watchdogMs / 2, 3000)) return `video stalled for ${fmtSeconds(silentMs)} s`;
    const frames = this.options.frames;
    if (!frames || now - this.onlineAt < this.fpsWindowMs) return null;
    const fps = this.measureFps();
    const ratio = this.options.degradedFpsRatio ?? 0.5;
    if (fps !== null && fps < frames.fps * ratio) return `low frame rate (${fps.toFixed(1)} of ${frames.fps} fps)`;
    return null;
  }

  /** Watchdog: the process is alive but silent. Kill it (SIGKILL: it may not act on SIGTERM) and retry. */
  private killHung(reason: string): void {
    const proc = this.proc;
    this.log.warn({ reason, pid: proc?.pid }, 'watchdog: restarting ffmpeg');
    this.fault(reason);
    if (proc && !proc.exited) void proc.kill();
  }

  private trimWindows(now: number): void {
    const from = now - this.fpsWindowMs;
    let i = 0;
    while (i < this.frameTimes.length && this.frameTimes[i]! < from) i++;
    if (i > 0) this.frameTimes.splice(0, i);
    // Keep one progress sample before the window as the baseline.
    let j = 0;
    while (j + 1 < this.progressSamples.length && this.progressSamples[j + 1]!.t < from) j++;
    if (j > 0) this.progressSamples.splice(0, j);
  }

  /** Frames per second over the window: decoded frames when there is a frame output, else copied frames from progress. */
  private measureFps(): number | null {
    if (this.stateValue !== 'online' && this.stateValue !== 'degraded') return null;
    const now = Date.now();
    const span = Math.min(this.fpsWindowMs, now - this.onlineAt);
    if (span < 1000) return null;
    if (this.options.frames) {
      const from = now - span;
      const n = this.frameTimes.filter((t) => t >= from).length;
      return round1((n * 1000) / span);
    }
    const first = this.progressSamples[0];
    const last = this.progressSamples[this.progressSamples.length - 1];
    if (!first || !last || last.t - first.t < 1000) return null;
    return round1(((last.frame - first.frame) * 1000) / (last.t - first.t));
  }

  private setState(next: SessionState, reason: string | null): void {
    const from = this.stateValue;
    if (from !== next && !canTransition(from, next)) throw new Error(`stream session: no transition ${from} → ${next}`);
    this.stateValue = next;
    const status = statusOf(next, this.status);
    const changed = status !== this.status || reason !== this.reason;
    if (status !== this.status) this.since = new Date().toISOString();
    this.status = status;
    this.reason = reason;
    if (from !== next) {
      this.log.debug({ from, to: next, reason }, 'state');
      for (const l of this.stateListeners) l(next, reason);
    }
    if (changed && next !== 'stopped') {
      if (status === 'offline' || status === 'degraded') this.log.warn({ status, reason }, 'camera health');
      else this.log.info({ status }, 'camera health');
      this.emitHealth();
    }
  }

  private emitHealth(): void {
    if (this.stateValue === 'stopped' || this.healthListeners.size === 0) return;
    const health = this.health;
    for (const l of this.healthListeners) {
      try {
        l(health);
      } catch (err) {
        this.log.error({ err }, 'health listener failed');
      }
    }
  }
}

function fmtSeconds(ms: number): string {
  return (Math.round(ms / 100) / 10).toString();
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
