import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Adapter around scripts/rtsp-camera.py: a real RTSP camera (GStreamer's RTSP server, H.264) on
 * loopback, serving video files, still images as moving scenes, or a test pattern. Used by the demo
 * cameras of the embedded default and by the media tests (test/helpers/rtsp-camera.ts).
 *
 * It runs under Debian's Python (/usr/bin/python3, which has python3-gi); a pyenv or venv python
 * usually lacks GObject introspection. A missing GStreamer is an error with the packages to install,
 * never a silent skip.
 */

export const RTSP_CAMERA_SCRIPT = fileURLToPath(new URL('../../scripts/rtsp-camera.py', import.meta.url));
export const SYSTEM_PYTHON = '/usr/bin/python3';

export type RtspCameraSource =
  | { kind: 'file'; path: string }
  | { kind: 'image'; path: string }
  /** Every .jpg/.jpeg/.png of a folder in turn, each panned and zoomed. */
  | { kind: 'slideshow'; path: string; secondsPerImage?: number }
  | { kind: 'pattern'; pattern?: string };

export interface RtspCameraMount {
  /** Mount point, e.g. `cam1` or `/cam1`. */
  path: string;
  source: RtspCameraSource;
  width?: number;
  height?: number;
  fps?: number;
  bitrateKbps?: number;
  /** Draw the frame number as black/white blocks (latency benchmarks); see scripts/rtsp-camera.py. */
  frameCounter?: boolean;
}

export interface RtspCameraServerOptions {
  mounts: RtspCameraMount[];
  /** Default 0: a free port. restart() reuses the port first bound. */
  port?: number;
  host?: string;
  user?: string;
  password?: string;
  auth?: 'basic' | 'digest' | 'both';
  /** Base of relative source paths. Default: the script's `<repository>/../shared/media`. */
  mediaDir?: string;
  /** Where frame-counter mounts log `mount<TAB>frame<TAB>send ms` lines. */
  frameLogFile?: string;
  pythonPath?: string;
  readyTimeoutMs?: number;
  /** stderr lines of the server (GStreamer warnings). */
  onLog?: (line: string) => void;
}

const EXIT_MEANING: Record<number, string> = {
  2: 'bad arguments',
  3: 'GStreamer or its RTSP server is missing for /usr/bin/python3 (apt-get install python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly gstreamer1.0-libav)',
  4: 'port in use',
  5: 'a video source could not be read',
};

/** Command-line arguments of the script for these options (the password goes through the environment). */
export function rtspCameraArgs(options: RtspCameraServerOptions, port: number): string[] {
  const args = [RTSP_CAMERA_SCRIPT, '--host', options.host ?? '127.0.0.1', '--port', String(port), '--exit-with-parent'];
  if (options.mediaDir) args.push('--media-dir', options.mediaDir);
  if (options.user !== undefined) args.push('--user', options.user);
  if (options.auth) args.push('--auth', options.auth);
  if (options.frameLogFile) args.push('--frame-log', options.frameLogFile);
  for (const m of options.mounts) args.push('--mount', mountSpec(m));
  return args;
}

function mountSpec(m: RtspCameraMount): string {
  const name = m.path.replace(/^\/+/, '');
  const q = new URLSearchParams();
  if (m.width) q.set('width', String(m.width));
  if (m.height) q.set('height', String(m.height));
  if (m.fps) q.set('fps', String(m.fps));
  if (m.bitrateKbps) q.set('bitrate', String(m.bitrateKbps));
  if (m.frameCounter) q.set('counter', '1');
  const s = m.source;
  if (s.kind === 'slideshow' && s.secondsPerImage) q.set('seconds', String(s.secondsPerImage));
  if (s.kind === 'pattern' && s.pattern) q.set('pattern', s.pattern);
  const source = s.kind === 'pattern' ? 'pattern' : `${s.kind}:${s.path}`;
  // Always end with '?': the script takes options after the last '?', so paths may hold one.
  return `${name}=${source}?${q.toString()}`;
}

interface Ready {
  port: number;
  urls: Record<string, string>;
}

export class RtspCameraServer {
  private child: ChildProcess | null = null;
  private boundPort: number;
  private readonly exitListeners = new Set<(code: number | null, signal: NodeJS.Signals | null) => void>();

  private constructor(
    private readonly options: RtspCameraServerOptions,
    child: ChildProcess,
    ready: Ready,
  ) {
    this.boundPort = ready.port;
    this.adopt(child);
  }

  /** Start the server and wait for its "ready" line. Rejects with the reason when it cannot serve. */
  static async start(options: RtspCameraServerOptions): Promise<RtspCameraServer> {
    if (options.mounts.length === 0) throw new Error('rtsp camera: at least one mount is needed');
    const { child, ready } = await spawnServer(options, options.port ?? 0);
    return new RtspCameraServer(options, child, ready);
  }

  get port(): number {
    return this.boundPort;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** rtsp://[user:password@]host:port/path; credentials included when the server has them and `withCredentials` is not false. */
  url(path: string, withCredentials = true): string {
    const name = path.replace(/^\/+/, '');
    const host = this.options.host ?? '127.0.0.1';
    const auth =
      withCredentials && this.options.user !== undefined
        ? `${encodeURIComponent(this.options.user)}:${encodeURIComponent(this.options.password ?? '')}@`
        : '';
    return `rtsp://${auth}${host}:${this.boundPort}/${name}`;
  }

  onExit(listener: (code: number | null, signal: NodeJS.Signals | null) => void): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  /** Send a signal (default SIGKILL: the server dies at once, as a crashed camera would). */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.child?.kill(signal);
  }

  /** SIGTERM, SIGKILL after 3 s; resolves when the process is gone. Idempotent. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await gone;
    clearTimeout(timer);
  }

  /** Stop if running, then serve again on the same port (retrying while the port is still taken). */
  async restart(): Promise<void> {
    await this.stop();
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        const { child } = await spawnServer(this.options, this.boundPort);
        this.adopt(child);
        return;
      } catch (err) {
        if (!(err instanceof RtspCameraError) || err.exitCode !== 4 || Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  private adopt(child: ChildProcess): void {
    this.child = child;
    child.once('exit', (code, signal) => {
      if (this.child === child) this.child = null;
      child.stdout?.destroy();
      child.stderr?.destroy();
      for (const l of this.exitListeners) l(code, signal);
    });
  }
}

export class RtspCameraError extends Error {
  override readonly name = 'RtspCameraError';
  constructor(
    message: string,
    readonly exitCode: number | null,
  ) {
    super(message);
  }
}

async function spawnServer(options: RtspCameraServerOptions, port: number): Promise<{ child: ChildProcess; ready: Ready }> {
  const python = options.pythonPath ?? SYSTEM_PYTHON;
  if (!existsSync(python)) {
    throw new RtspCameraError(
      `rtsp camera: ${python} not found. The RTSP camera needs Debian's Python 3 with python3-gi and GStreamer's RTSP server (gir1.2-gst-rtsp-server-1.0).`,
      null,
    );
  }
  const child = spawn(python, rtspCameraArgs(options, port), {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...(options.password !== undefined ? { RTSP_CAMERA_PASSWORD: options.password } : {}) },
  });
  const stderrTail: string[] = [];
  let stderrRest = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    const lines = (stderrRest + chunk).split('\n');
    stderrRest = lines.pop() ?? '';
    for (const line of lines) {
      if (!line) continue;
      stderrTail.push(line);
      if (stderrTail.length > 20) stderrTail.shift();
      options.onLog?.(line);
    }
  });

  const ready = await new Promise<Ready>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new RtspCameraError(`rtsp camera: not ready within ${options.readyTimeoutMs ?? 20_000} ms. ${stderrTail.join(' | ')}`, null));
    }, options.readyTimeoutMs ?? 20_000);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString('utf8');
      const line = out.split('\n').find((l) => l.startsWith('ready '));
      if (!line) return;
      cleanup();
      try {
        resolve(JSON.parse(line.slice('ready '.length)) as Ready);
      } catch (err) {
        child.kill('SIGKILL');
        reject(new RtspCameraError(`rtsp camera: unreadable ready line (${String(err)})`, null));
      }
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      cleanup();
      // Let the last stderr lines arrive before composing the message.
      setImmediate(() => {
        const meaning = code !== null ? EXIT_MEANING[code] : undefined;
        const detail = stderrTail.join(' | ');
        reject(
          new RtspCameraError(
            `rtsp camera failed to start (${signal ?? `exit code ${code}`}${meaning ? `: ${meaning}` : ''})${detail ? `: ${detail}` : ''}`,
            code,
          ),
        );
      });
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(new RtspCameraError(`rtsp camera: cannot run ${python}: ${err.message}`, null));
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
    };
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
  child.stdout!.resume(); // nothing more is expected; never let the pipe fill
  return { child, ready };
}
