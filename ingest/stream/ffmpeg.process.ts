import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { Logger } from '../../config/logger.ts';
import { redactUrl } from '../../storage/redact.ts';

/**
 * The adapter around one ffmpeg child process (CONVENTIONS.md §4): spawned with an argument array,
 * never a shell. It reads raw frames from stdout (exact frame size, partial chunks joined), progress
 * from fd 3 (`-progress pipe:3`), and the log from stderr, where it finds the frame output's size and
 * turns common errors into plain reasons. It closes once: after exit every pipe is destroyed, every
 * listener removed, and `onExit` called exactly once.
 *
 * The argv holds the camera URL with its credentials; nothing from argv is logged, and every stderr
 * line passes through redactUrl before it is kept or logged.
 */

export interface FfmpegProgress {
  /** Frames (packets, for copied streams) written to the first output so far. */
  frame: number;
  /** Position of the output in microseconds, null when ffmpeg does not know it yet. */
  outTimeUs: number | null;
  /** `progress=end` on the last report. */
  end: boolean;
}

export interface FrameSize {
  width: number;
  height: number;
}

export interface FfmpegExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** A plain reason when the log named a known error (or the exit implies one), else null. */
  reason: string | null;
  /** The last error line of the log, redacted; null when there was none. */
  lastError: string | null;
  /** true when stop()/kill() of this adapter ended the process. */
  requested: boolean;
}

export interface FfmpegProcessOptions {
  args: readonly string[];
  /** Default `ffmpeg` from PATH. */
  ffmpegPath?: string;
  /** Whether the command has a raw bgr24 frame output on pipe:1 to read. */
  frames: boolean;
  log: Logger;
  /** Time between SIGTERM and SIGKILL on stop(). Default 3000 ms. */
  killGraceMs?: number;
  /** Extra environment. The process always runs with TZ=UTC (segment names are UTC times). */
  env?: Record<string, string>;
  /**
   * Kill ffmpeg when this process dies, however it dies (default true where util-linux's setpriv is
   * present, i.e. on any Linux): an orphaned ffmpeg would keep pulling the camera and sending RTP.
   */
  dieWithParent?: boolean;
}

/** util-linux setpriv: sets the parent-death signal, then execs ffmpeg (same pid). */
const SETPRIV = process.platform === 'linux' && existsSync('/usr/bin/setpriv') ? '/usr/bin/setpriv' : null;

export interface FfmpegProcessHandlers {
  /** A whole frame (width*height*3 bytes of bgr24); the buffer belongs to the receiver. */
  onFrame?(data: Buffer, size: FrameSize): void;
  onFrameSize?(size: FrameSize): void;
  onProgress?(progress: FfmpegProgress): void;
  /** A known error seen in the log while ffmpeg still runs (it usually exits right after). */
  onReason?(reason: string): void;
  onExit?(exit: FfmpegExit): void;
}

// ---------------------------------------------------------------------------------------------
// Pure parts (unit-tested)

interface ReasonRule {
  re: RegExp;
  reason: string;
}

/** Known ffmpeg error texts and the plain reason shown to an operator. First match wins. */
const REASON_RULES: readonly ReasonRule[] = [
  { re: /^setpriv: failed to execute .*No such file or directory/i, reason: 'ffmpeg is not installed (not found on PATH)' },
  { re: /\b401 Unauthorized\b|authorization failed/i, reason: 'wrong user name or password' },
  { re: /\b403 Forbidden\b/i, reason: 'access refused by the camera (403 Forbidden)' },
  { re: /\b404 Not Found\b/i, reason: 'stream path not found' },
  { re: /\b461 Unsupported transport\b|Nonmatching transport/i, reason: 'transport not supported by the camera (try tcp or udp)' },
  { re: /Connection refused/i, reason: 'camera unreachable (connection refused)' },
  {
    re: /timed out|No route to host|Network is unreachable|Host is unreachable|Connection reset by peer/i,
    reason: 'camera unreachable (no answer)',
  },
  {
    re: /Name or service not known|Temporary failure in name resolution|Failed to resolve hostname|No address associated/i,
    reason: 'camera unreachable (host name not found)',
  },
  {
    re: /Invalid data found when processing input|could not find codec parameters|moov atom not found/i,
    reason: 'not a video stream / corrupt data',
  },
  { re: /matches no streams|does not contain any stream/i, reason: 'no video stream in the source' },
  { re: /is not supported by the bitstream filter/i, reason: 'video codec not supported by the live relay (H.264 needed)' },
  { re: /No such file or directory/i, reason: 'file not found' },
  { re: /Permission denied/i, reason: 'permission denied' },
  { re: /Protocol not found|Protocol not on whitelist/i, reason: 'unsupported address' },
];

/** The plain reason for an ffmpeg log line, or null when it is not a known error. */
export function classifyFfmpegError(line: string): string | null {
  for (const rule of REASON_RULES) if (rule.re.test(line)) return rule.reason;
  return null;
}

/** The levels in a `-loglevel level+info` line that count as errors. */
const ERROR_LEVELS = new Set(['error', 'fatal', 'panic']);

export interface LogLine {
  /** ffmpeg log level, or null for lines that carry none. */
  level: string | null;
  text: string;
}

/** Split `[rtsp @ 0x55..] [error] text` into level and text. */
export function parseLogLine(line: string): LogLine {
  const m = /^(?:\[[^\]]*@ ?0x[0-9a-f]+\] )?\[(panic|fatal|error|warning|info|verbose|debug|trace)\] ?(.*)$/.exec(line);
  return m ? { level: m[1]!, text: m[2]! } : { level: null, text: line };
}

/**
 * Follows the log for the size of the raw frame output: `Output #N, rawvideo, to 'pipe:1':` followed
 * by its `Stream #N:0: Video: rawvideo (...), bgr24(...), 640x360 ...` line.
 */
export class FrameSizeParser {
  private armed = false;
  size: FrameSize | null = null;

  /** Feed one log text (level removed); returns the size when this line completed it. */
  feed(text: string): FrameSize | null {
    if (this.size) return null;
    if (/^Output #\d+, rawvideo, to 'pipe:1'/.test(text)) {
      this.armed = true;
      return null;
    }
    if (this.armed && /^\s*Output #\d+/.test(text)) this.armed = false;
    if (!this.armed) return null;
    const m = /Stream #\d+:\d+.*?: Video: rawvideo\b.*?, (\d{1,5})x(\d{1,5})\b/.exec(text);
    if (!m) return null;
    this.size = { width: Number(m[1]), height: Number(m[2]) };
    return this.size;
  }
}

/** Parses `-progress` output (key=value lines, a block ends with `progress=continue|end`). */
export class ProgressParser {
  private frame = 0;
  private outTimeUs: number | null = null;
  private rest = '';

  constructor(private readonly onProgress: (p: FfmpegProgress) => void) {}

  push(chunk: string): void {
    const lines = (this.rest + chunk).split('\n');
    this.rest = lines.pop() ?? '';
    for (const line of lines) {
      const eq = line.indexOf('=');
      if (eq < 0) continue;
      const key = line.slice(0, eq).trim();
      const value = line.slice(eq + 1).trim();
      if (key === 'frame') this.frame = Number(value) || 0;
      else if (key === 'out_time_us') this.outTimeUs = /^-?\d+$/.test(value) ? Number(value) : null;
      else if (key === 'progress') this.onProgress({ frame: this.frame, outTimeUs: this.outTimeUs, end: value === 'end' });
    }
  }
}

/**
 * Cuts a byte stream into frames of exactly `frameBytes` bytes, whatever the chunking of the pipe.
 * Every frame is a new Buffer that the receiver owns.
 */
export class RawFrameReader {
  private current: Buffer | null = null;
  private filled = 0;

  constructor(
    readonly frameBytes: number,
    private readonly onFrame: (frame: Buffer) => void,
  ) {
    if (!Number.isInteger(frameBytes) || frameBytes <= 0) throw new Error('frameBytes must be a positive whole number');
  }

  /** Bytes of an incomplete frame held back. */
  get pending(): number {
    return this.filled;
  }

  push(chunk: Uint8Array): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (!this.current) {
        this.current = Buffer.allocUnsafe(this.frameBytes);
        this.filled = 0;
      }
      const n = Math.min(this.frameBytes - this.filled, chunk.length - offset);
      this.current.set(chunk.subarray(offset, offset + n), this.filled);
      this.filled += n;
      offset += n;
      if (this.filled === this.frameBytes) {
        const frame = this.current;
        this.current = null;
        this.filled = 0;
        this.onFrame(frame);
      }
    }
  }
}

/** Split a text stream into lines at \n or \r (ffmpeg ends progress lines with \r). */
class LineSplitter {
  private rest = '';
  constructor(private readonly onLine: (line: string) => void) {}
  push(chunk: string): void {
    const parts = (this.rest + chunk).split(/\r\n|\r|\n/);
    this.rest = parts.pop() ?? '';
    for (const p of parts) if (p.length > 0) this.onLine(p);
  }
  flush(): void {
    if (this.rest.length > 0) this.onLine(this.rest);
    this.rest = '';
  }
}

/** Most bytes of stdout held while the frame size is not yet known (a few frames). */
const MAX_EARLY_STDOUT = 64 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------

/** One running ffmpeg. Start with FfmpegProcess.start(); it cannot be restarted (start a new one). */
export class FfmpegProcess {
  private readonly child: ChildProcess;
  private readonly log: Logger;
  private readonly handlers: FfmpegProcessHandlers;
  private readonly killGraceMs: number;
  private readonly sizeParser = new FrameSizeParser();
  private readonly stderrLines: LineSplitter;
  private readonly progress: ProgressParser;
  private reader: RawFrameReader | null = null;
  private early: Buffer[] = [];
  private earlyBytes = 0;
  private lastReason: string | null = null;
  private lastErrorLine: string | null = null;
  private stopRequested = false;
  private exitInfo: FfmpegExit | null = null;
  private exitCode: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private closeTimer: NodeJS.Timeout | null = null;
  private killTimer: NodeJS.Timeout | null = null;
  private resolveDone!: (exit: FfmpegExit) => void;
  /** Resolves once, when the process has exited and its pipes are closed. */
  readonly done: Promise<FfmpegExit>;

  private constructor(options: FfmpegProcessOptions, handlers: FfmpegProcessHandlers) {
    this.log = options.log;
    this.handlers = handlers;
    this.killGraceMs = options.killGraceMs ?? 3000;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.stderrLines = new LineSplitter((line) => this.onStderrLine(line));
    this.progress = new ProgressParser((p) => this.handlers.onProgress?.(p));

    const ffmpeg = options.ffmpegPath ?? 'ffmpeg';
    const [command, argv] =
      SETPRIV && options.dieWithParent !== false ? [SETPRIV, ['--pdeathsig', 'SIGKILL', '--', ffmpeg, ...options.args]] : [ffmpeg, [...options.args]];
    this.child = spawn(command, argv, {
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env, TZ: 'UTC' },
      shell: false,
      windowsHide: true,
    });
    const stdout = this.child.stdout!;
    const stderr = this.child.stderr!;
    const progress = this.child.stdio[3] as Readable;
    stderr.setEncoding('utf8');
    progress.setEncoding('utf8');
    stderr.on('data', (chunk: string) => this.stderrLines.push(chunk));
    progress.on('data', (chunk: string) => this.progress.push(chunk));
    if (options.frames) stdout.on('data', (chunk: Buffer) => this.onStdout(chunk));
    else stdout.resume();
    for (const s of [stdout, stderr, progress]) s.on('error', () => undefined);

    this.child.once('error', (err: NodeJS.ErrnoException) => {
      // Spawn failed (ffmpeg missing, not executable): there will be no 'exit'.
      const reason = err.code === 'ENOENT' ? 'ffmpeg is not installed (not found on PATH)' : `ffmpeg could not start (${err.code ?? err.message})`;
      this.lastReason = reason;
      this.finish(null, null);
    });
    this.child.once('exit', (code, signal) => {
      this.exitCode = { code, signal };
      // Wait for the pipes to drain ('close'), but not forever.
      this.closeTimer = setTimeout(() => this.finish(code, signal), 2000);
    });
    this.child.once('close', (code: number | null, signal: NodeJS.Signals | null) => this.finish(code, signal));
  }

  static start(options: FfmpegProcessOptions, handlers: FfmpegProcessHandlers = {}): FfmpegProcess {
    return new FfmpegProcess(options, handlers);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get exited(): boolean {
    return this.exitInfo !== null;
  }

  get exit(): FfmpegExit | null {
    return this.exitInfo;
  }

  /** The size of the raw frames, once ffmpeg has said it. */
  get frameSize(): FrameSize | null {
    return this.sizeParser.size;
  }

  /** The latest known error seen in the log, if any. */
  get reason(): string | null {
    return this.lastReason;
  }

  /** Send a signal as is (tests use SIGSTOP/SIGCONT to simulate a hung process). */
  signal(sig: NodeJS.Signals): void {
    if (!this.exited && this.child.exitCode === null && this.child.signalCode === null) this.child.kill(sig);
  }

  /** Ask ffmpeg to finish (SIGTERM: it closes its outputs properly), SIGKILL after the grace time. */
  stop(): Promise<FfmpegExit> {
    if (this.exited) return this.done;
    if (!this.stopRequested) {
      this.stopRequested = true;
      this.signal('SIGTERM');
      this.signal('SIGCONT'); // a stopped process only acts on SIGTERM once continued
      this.killTimer = setTimeout(() => this.signal('SIGKILL'), this.killGraceMs);
    }
    return this.done;
  }

  /** End it now (a hung process will not act on SIGTERM). */
  kill(): Promise<FfmpegExit> {
    if (this.exited) return this.done;
    this.stopRequested = true;
    this.signal('SIGKILL');
    return this.done;
  }

  private onStdout(chunk: Buffer): void {
    if (this.reader) {
      this.reader.push(chunk);
      return;
    }
    if (this.earlyBytes + chunk.length > MAX_EARLY_STDOUT) return; // never happens with a sane ffmpeg; keeps memory bounded
    this.early.push(chunk);
    this.earlyBytes += chunk.length;
  }

  private onStderrLine(raw: string): void {
    const line = redactUrl(raw);
    const { level, text } = parseLogLine(line);
    const size = this.sizeParser.feed(text);
    if (size) this.startReader(size);
    const isError = level === null ? /error|failed|invalid|refused|unauthorized|not found/i.test(text) : ERROR_LEVELS.has(level);
    if (!isError) {
      if (level === 'warning') this.log.debug({ ffmpeg: text }, 'ffmpeg warning');
      return;
    }
    this.lastErrorLine = text;
    // Decoder complaints ([h264 @ ...] after a lost packet) are transient and name no cause.
    const reason = /^\[(h264|hevc|mpeg4|mjpeg|msmpeg4\w*) @/.test(line) ? null : classifyFfmpegError(text);
    if (reason && reason !== this.lastReason) {
      this.lastReason = reason;
      this.handlers.onReason?.(reason);
    }
    this.log.debug({ ffmpeg: text }, 'ffmpeg error line');
  }

  private startReader(size: FrameSize): void {
    this.handlers.onFrameSize?.(size);
    this.reader = new RawFrameReader(size.width * size.height * 3, (frame) => this.handlers.onFrame?.(frame, size));
    const early = this.early;
    this.early = [];
    this.earlyBytes = 0;
    for (const chunk of early) this.reader.push(chunk);
  }

  private finish(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.exitInfo) return;
    if (this.closeTimer) clearTimeout(this.closeTimer);
    if (this.killTimer) clearTimeout(this.killTimer);
    this.stderrLines.flush();
    const final = this.exitCode ?? { code, signal };
    this.exitInfo = {
      code: final.code,
      signal: final.signal,
      reason: this.lastReason ?? exitReason(final.code, final.signal, this.stopRequested),
      lastError: this.lastErrorLine,
      requested: this.stopRequested,
    };
    // Release everything: pipes, listeners, buffers.
    this.child.removeAllListeners();
    this.child.once('error', () => undefined);
    for (const s of this.child.stdio) {
      if (s) {
        s.removeAllListeners();
        s.on('error', () => undefined);
        s.destroy();
      }
    }
    this.early = [];
    this.reader = null;
    const exit = this.exitInfo;
    this.resolveDone(exit);
    this.handlers.onExit?.(exit);
  }
}

/** A reason from the exit alone, when the log named none. */
function exitReason(code: number | null, signal: NodeJS.Signals | null, requested: boolean): string | null {
  if (requested) return null;
  if (signal) return `ffmpeg ended by ${signal}`;
  if (code === 0) return 'the camera ended the stream';
  if (code === null) return null;
  return `ffmpeg failed (exit code ${code})`;
}
