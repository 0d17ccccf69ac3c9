import type { CameraStatus } from '../../../../contracts/api.ts';
import type { LiveViewerOffer } from '../../../../contracts/media.ts';
import { ApiError } from '../api/client.ts';

/**
 * One live view of one camera through the WebRTC relay, for one wall tile:
 *
 *   POST /api/live/:cameraId/viewers        → the relay's offer (ICE candidates included)
 *   setRemoteDescription, createAnswer, setLocalDescription, wait for ICE gathering
 *   POST /api/live/viewers/:viewerId/answer  → 204; the video arrives on `ontrack`
 *   DELETE /api/live/viewers/:viewerId       when the tile closes, changes camera or the page unloads
 *
 * Health is read from `getStats()` every second (inbound-rtp: frames decoded, frames per second,
 * jitter-buffer delay). The tile goes `offline` when the camera is reported offline
 * (`camera.status`), when no frame is decoded for 5 s, or when the peer connection fails, and
 * opens the viewer again by itself: with backoff after a failure, at once when the camera is
 * reported online again, and every 30 s while it is reported offline.
 */
export type TileState = 'empty' | 'connecting' | 'playing' | 'offline' | 'error';

/** Why a tile is not playing; each has a translated text (`wall.problem.*`). */
export type TileProblem =
  | 'camera-offline'
  | 'camera-disabled'
  | 'stalled'
  | 'connection-failed'
  | 'no-video'
  | 'unavailable'
  | 'not-found'
  | 'forbidden'
  | 'network'
  | 'error';

export interface ViewerStats {
  /** Frames decoded since the viewer opened. */
  framesDecoded: number;
  fps: number | null;
  /** Mean jitter-buffer delay of the frames of the last interval, in milliseconds. */
  delayMs: number | null;
  width: number | null;
  height: number | null;
  /** Received bit rate over the last interval, in kbit/s. */
  kbps: number | null;
  /** 'H264', 'VP8', … */
  codec: string | null;
}

export interface ViewerSnapshot {
  state: TileState;
  problem: TileProblem | null;
  /** The server's or the camera's own words (e.g. "connection refused"), when there are any. */
  detail: string | null;
  stats: ViewerStats;
  /** When the next attempt starts (epoch ms), while waiting to retry. */
  retryAt: number | null;
  /** Failed attempts since the last success. */
  failures: number;
  /** An attempt to open the viewer again is under way (the state stays `offline`/`error` meanwhile). */
  reconnecting: boolean;
}

export const EMPTY_STATS: ViewerStats = { framesDecoded: 0, fps: null, delayMs: null, width: null, height: null, kbps: null, codec: null };
export const EMPTY_SNAPSHOT: ViewerSnapshot = { state: 'empty', problem: null, detail: null, stats: EMPTY_STATS, retryAt: null, failures: 0, reconnecting: false };

/** The part of the API client a viewer uses (the client itself, or a stand-in). */
export interface LiveViewerApi {
  openLiveViewer(cameraId: string, signal?: AbortSignal): Promise<LiveViewerOffer>;
  answerLiveViewer(viewerId: string, sdp: string, signal?: AbortSignal): Promise<void>;
  closeLiveViewer(viewerId: string, options?: { keepalive?: boolean }): Promise<void>;
}

export interface ViewerTimings {
  statsIntervalMs: number;
  /** No new frame for this long while playing: the stream stalled. */
  stallMs: number;
  /** No first frame this long after the answer was accepted. */
  firstFrameMs: number;
  /** Longest wait for ICE gathering before the answer is sent with what was gathered. */
  iceGatheringMs: number;
  /** Waits before the 1st, 2nd, … retry after a failure; the last one repeats. */
  backoffMs: readonly number[];
  /** Retry period while the camera is reported offline or disabled. */
  offlineRetryMs: number;
}

export const DEFAULT_TIMINGS: ViewerTimings = {
  statsIntervalMs: 1000,
  stallMs: 5000,
  firstFrameMs: 10_000,
  iceGatheringMs: 3000,
  backoffMs: [1000, 2000, 4000, 8000, 15_000, 30_000],
  offlineRetryMs: 30_000,
};

export function isReportedDown(status: CameraStatus | undefined): boolean {
  return status === 'offline' || status === 'disabled';
}

/** The wait before retry number `failures` (1-based). */
export function backoffDelay(timings: Pick<ViewerTimings, 'backoffMs'>, failures: number): number {
  const list = timings.backoffMs;
  return list[Math.min(Math.max(failures - 1, 0), list.length - 1)] ?? 30_000;
}

/** The numbers of the inbound video stream in a stats report, or null when there is none yet. */
export interface InboundVideo {
  timestamp: number;
  framesDecoded: number;
  framesPerSecond: number | null;
  jitterBufferDelay: number | null;
  jitterBufferEmittedCount: number | null;
  bytesReceived: number | null;
  frameWidth: number | null;
  frameHeight: number | null;
  codec: string | null;
}

interface StatsLike {
  forEach(callback: (value: unknown) => void): void;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export function readInboundVideo(report: StatsLike): InboundVideo | null {
  const byId = new Map<string, Record<string, unknown>>();
  let inbound: Record<string, unknown> | null = null;
  report.forEach((value) => {
    if (typeof value !== 'object' || value === null) return;
    const stat = value as Record<string, unknown>;
    if (typeof stat.id === 'string') byId.set(stat.id, stat);
    if (stat.type === 'inbound-rtp' && (stat.kind === 'video' || stat.mediaType === 'video')) {
      // Several (simulcast, a replaced track): follow the one that decoded the most.
      if (!inbound || (num(stat.framesDecoded) ?? 0) >= (num(inbound.framesDecoded) ?? 0)) inbound = stat;
    }
  });
  const found = inbound as Record<string, unknown> | null;
  if (!found) return null;
  const codecStat = typeof found.codecId === 'string' ? byId.get(found.codecId) : undefined;
  const mime = typeof codecStat?.mimeType === 'string' ? codecStat.mimeType : null;
  return {
    timestamp: num(found.timestamp) ?? Date.now(),
    framesDecoded: num(found.framesDecoded) ?? 0,
    framesPerSecond: num(found.framesPerSecond),
    jitterBufferDelay: num(found.jitterBufferDelay),
    jitterBufferEmittedCount: num(found.jitterBufferEmittedCount),
    bytesReceived: num(found.bytesReceived),
    frameWidth: num(found.frameWidth),
    frameHeight: num(found.frameHeight),
    codec: mime ? mime.replace(/^video\//i, '') : null,
  };
}

/** Stats for display from two consecutive readings (delay and bit rate over the interval between them). */
export function statsBetween(previous: InboundVideo | null, current: InboundVideo): ViewerStats {
  let delayMs: number | null = null;
  const count = current.jitterBufferEmittedCount;
  const delay = current.jitterBufferDelay;
  if (count !== null && delay !== null) {
    const dCount = previous?.jitterBufferEmittedCount != null ? count - previous.jitterBufferEmittedCount : 0;
    const dDelay = previous?.jitterBufferDelay != null ? delay - previous.jitterBufferDelay : 0;
    if (dCount > 0 && dDelay >= 0) delayMs = (dDelay / dCount) * 1000;
    else if (count > 0) delayMs = (delay / count) * 1000;
  }
  let kbps: number | null = null;
  if (previous && previous.bytesReceived !== null && current.bytesReceived !== null && current.timestamp > previous.timestamp) {
    kbps = ((current.bytesReceived - previous.bytesReceived) * 8) / (current.timestamp - previous.timestamp);
  }
  return {
    framesDecoded: current.framesDecoded,
    fps: current.framesPerSecond,
    delayMs,
    width: current.frameWidth,
    height: current.frameHeight,
    kbps,
    codec: current.codec,
  };
}

/** State and problem for an error of opening or answering a viewer. */
export function classifyError(error: unknown): { state: TileState; problem: TileProblem; detail: string | null } {
  if (error instanceof ApiError) {
    if (error.code === 'E_NETWORK') return { state: 'error', problem: 'network', detail: null };
    if (error.status === 404) return { state: 'error', problem: 'not-found', detail: error.message };
    if (error.status === 403) return { state: 'error', problem: 'forbidden', detail: error.message };
    if (error.status === 409 || error.status === 503 || error.code === 'E_UNAVAILABLE' || error.code === 'E_CONFLICT') {
      return { state: 'offline', problem: 'unavailable', detail: error.message };
    }
    return { state: 'error', problem: 'error', detail: error.message };
  }
  return { state: 'error', problem: 'error', detail: error instanceof Error ? error.message : String(error) };
}

// ---------- closing every open viewer when the page goes away ----------
const openViewers = new Map<string, LiveViewerApi>();
let unloadHooked = false;

function trackOpen(viewerId: string, api: LiveViewerApi): void {
  openViewers.set(viewerId, api);
  if (unloadHooked || typeof window === 'undefined') return;
  unloadHooked = true;
  window.addEventListener('pagehide', () => {
    for (const [id, client] of openViewers) void client.closeLiveViewer(id, { keepalive: true }).catch(() => undefined);
    openViewers.clear();
  });
}

function closeViewer(viewerId: string, api: LiveViewerApi): void {
  openViewers.delete(viewerId);
  // Best effort: the relay also drops viewers whose peer connection went away.
  void api.closeLiveViewer(viewerId).catch(() => undefined);
}

function waitForIceGathering(pc: RTCPeerConnection, timeoutMs: number): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      window.clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', onChange);
      resolve();
    };
    const onChange = () => {
      if (pc.iceGatheringState === 'complete') done();
    };
    const timer = window.setTimeout(done, timeoutMs);
    pc.addEventListener('icegatheringstatechange', onChange);
  });
}

export interface LiveViewerOptions {
  api: LiveViewerApi;
  cameraId: string;
  video: HTMLVideoElement;
  /** The camera's reported status when the viewer starts. */
  status: CameraStatus | undefined;
  reason: string | null;
  onChange(snapshot: ViewerSnapshot): void;
  timings?: Partial<ViewerTimings>;
}

export class LiveViewer {
  private readonly timings: ViewerTimings;
  private snapshot: ViewerSnapshot = { ...EMPTY_SNAPSHOT, state: 'connecting' };
  private pc: RTCPeerConnection | null = null;
  private viewerId: string | null = null;
  private abort: AbortController | null = null;
  /** Increases with every attempt; continuations of an older attempt stop when they see a newer one. */
  private attempt = 0;
  private retryTimer: number | undefined;
  private statsTimer: number | undefined;
  private status: CameraStatus | undefined;
  private reason: string | null;
  private lastReading: InboundVideo | null = null;
  private lastProgressAt = 0;
  private answeredAt = 0;
  private disposed = false;

  constructor(private readonly options: LiveViewerOptions) {
    this.timings = { ...DEFAULT_TIMINGS, ...options.timings };
    this.status = options.status;
    this.reason = options.reason;
  }

  get current(): ViewerSnapshot {
    return this.snapshot;
  }

  start(): void {
    if (isReportedDown(this.status)) this.reportDown();
    else void this.connect();
  }

  /** A `camera.status` push (or a re-read camera list) for this tile's camera. */
  setCameraStatus(status: CameraStatus | undefined, reason: string | null): void {
    if (this.disposed) return;
    const previous = this.status;
    const wasDown = isReportedDown(previous);
    this.status = status;
    this.reason = reason;
    if (isReportedDown(status)) {
      this.reportDown();
      return;
    }
    const failed = this.snapshot.state === 'offline' || this.snapshot.state === 'error';
    const cameToLife = wasDown || (status === 'online' && previous !== 'online');
    if (cameToLife && (wasDown || failed) && this.snapshot.state !== 'playing' && !this.snapshot.reconnecting) {
      // Back online (or online for the first time since the last failure): try at once, from a fresh backoff.
      this.update({ failures: 0 });
      void this.connect();
    }
  }

  /** Open the viewer again now (the tile's retry button). */
  retryNow(): void {
    if (this.disposed) return;
    this.update({ failures: 0 });
    void this.connect();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.attempt++;
    window.clearTimeout(this.retryTimer);
    this.teardown();
  }

  private update(patch: Partial<ViewerSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...patch };
    if (!this.disposed) this.options.onChange(this.snapshot);
  }

  /** Close the peer connection and the relay's viewer of the current attempt. */
  private teardown(): void {
    window.clearInterval(this.statsTimer);
    this.statsTimer = undefined;
    this.abort?.abort();
    this.abort = null;
    if (this.pc) {
      this.pc.ontrack = null;
      this.pc.onconnectionstatechange = null;
      this.pc.close();
      this.pc = null;
    }
    if (this.viewerId) {
      closeViewer(this.viewerId, this.options.api);
      this.viewerId = null;
    }
    const video = this.options.video;
    if (video.srcObject) {
      video.pause();
      video.srcObject = null;
    }
    this.lastReading = null;
  }

  private reportDown(): void {
    const problem: TileProblem = this.status === 'disabled' ? 'camera-disabled' : 'camera-offline';
    const waiting = this.snapshot.state === 'offline' && this.snapshot.retryAt !== null && (this.snapshot.problem === 'camera-offline' || this.snapshot.problem === 'camera-disabled');
    this.attempt++;
    this.teardown();
    if (waiting) {
      this.update({ problem, detail: this.reason });
      return;
    }
    this.scheduleRetry(this.timings.offlineRetryMs);
    this.update({ state: 'offline', problem, detail: this.reason, reconnecting: false, stats: { ...EMPTY_STATS, framesDecoded: this.snapshot.stats.framesDecoded } });
  }

  private scheduleRetry(delayMs: number): void {
    window.clearTimeout(this.retryTimer);
    this.retryTimer = window.setTimeout(() => void this.connect(), delayMs);
    this.snapshot = { ...this.snapshot, retryAt: Date.now() + delayMs };
  }

  private fail(state: TileState, problem: TileProblem, detail: string | null): void {
    this.attempt++;
    this.teardown();
    const failures = this.snapshot.failures + 1;
    const down = isReportedDown(this.status);
    const delay = down ? this.timings.offlineRetryMs : backoffDelay(this.timings, failures);
    this.snapshot = { ...this.snapshot, failures };
    this.scheduleRetry(delay);
    const stats = { ...this.snapshot.stats, fps: null, delayMs: null, kbps: null };
    // While the camera is reported down, that is the reason to show, whatever the attempt said.
    if (down) this.update({ state: 'offline', problem: this.status === 'disabled' ? 'camera-disabled' : 'camera-offline', detail: this.reason, reconnecting: false, stats });
    else this.update({ state, problem, detail, reconnecting: false, stats });
  }

  private async connect(): Promise<void> {
    if (this.disposed) return;
    window.clearTimeout(this.retryTimer);
    this.teardown();
    const attempt = ++this.attempt;
    const stale = () => this.disposed || attempt !== this.attempt;
    const abort = new AbortController();
    this.abort = abort;
    // A retry keeps saying why the tile is not playing until it plays again.
    const failed = this.snapshot.state === 'offline' || this.snapshot.state === 'error';
    this.update(failed ? { reconnecting: true, retryAt: null } : { state: 'connecting', problem: null, detail: null, reconnecting: false, retryAt: null });
    const { api, cameraId, video } = this.options;
    try {
      // Not aborted: the server may have opened the viewer already when the tile closes; letting the
      // reply arrive gives its id, so that the stale viewer is closed at once (an aborted request left
      // it open until the relay dropped it, 30 s later).
      const offer = await api.openLiveViewer(cameraId);
      if (stale()) {
        closeViewer(offer.viewerId, api);
        return;
      }
      this.viewerId = offer.viewerId;
      trackOpen(offer.viewerId, api);

      const pc = new RTCPeerConnection({ iceServers: [] });
      this.pc = pc;
      pc.ontrack = (event) => {
        if (stale()) return;
        video.srcObject = event.streams[0] ?? new MediaStream([event.track]);
        video.play().catch(() => undefined); // muted autoplay; a refusal still decodes (stats tell)
      };
      pc.onconnectionstatechange = () => {
        if (stale()) return;
        if (pc.connectionState === 'failed') this.fail('offline', 'connection-failed', null);
      };
      await pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      await waitForIceGathering(pc, this.timings.iceGatheringMs);
      if (stale()) return;
      const sdp = pc.localDescription?.sdp ?? answer.sdp ?? '';
      await api.answerLiveViewer(offer.viewerId, sdp, abort.signal);
      if (stale()) return;
      this.answeredAt = Date.now();
      this.lastProgressAt = this.answeredAt;
      this.statsTimer = window.setInterval(() => void this.poll(attempt), this.timings.statsIntervalMs);
    } catch (error) {
      if (stale()) return;
      const { state, problem, detail } = classifyError(error);
      this.fail(state, problem, detail);
    }
  }

  private async poll(attempt: number): Promise<void> {
    const pc = this.pc;
    if (!pc || attempt !== this.attempt || this.disposed) return;
    let reading: InboundVideo | null = null;
    try {
      reading = readInboundVideo(await pc.getStats());
    } catch {
      reading = null;
    }
    if (attempt !== this.attempt || this.disposed) return;
    const now = Date.now();
    const previous = this.lastReading;
    if (reading) {
      if (!previous || reading.framesDecoded > previous.framesDecoded) this.lastProgressAt = now;
      this.lastReading = reading;
    }
    const decoded = reading?.framesDecoded ?? 0;
    const playing = this.snapshot.state === 'playing';

    if (!playing && decoded > 0 && this.lastProgressAt === now) {
      this.update({ state: 'playing', problem: null, detail: null, failures: 0, retryAt: null, reconnecting: false, stats: reading ? statsBetween(previous, reading) : this.snapshot.stats });
      return;
    }
    if (playing && now - this.lastProgressAt >= this.timings.stallMs) {
      this.fail('offline', 'stalled', null);
      return;
    }
    if (!playing && now - this.answeredAt >= this.timings.firstFrameMs) {
      this.fail('offline', 'no-video', null);
      return;
    }
    if (reading) this.update({ stats: statsBetween(previous, reading) });
  }
}
