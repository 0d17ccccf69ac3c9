/**
 * A camera that flaps: a real RTSP test camera (test/helpers/rtsp-camera.ts) killed and started
 * again on the same port, over and over, while a real Argus with the ingest role pulls it. Argus runs
 * in a child process of its own (test/helpers/argus-child.ts, with --expose-gc) so that what is
 * measured is Argus alone: its ffmpeg children (from /proc), its open file descriptors
 * (/proc/<pid>/fd, by kind), and its heap (after a full gc) and RSS. Used by
 * test/integration/faults/camera-flap.spec.ts (90 s) and bench/camera-flap.bench.ts (10 minutes).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startRtspCamera, type RtspCamera } from './rtsp-camera.ts';

export interface FlapSample {
  /** Seconds since the flapping began (negative: the baseline before it). */
  t: number;
  /** 'baseline' before the first kill, 'down' just before a restart, 'up' just before a kill, 'end' after the last return. */
  phase: 'baseline' | 'down' | 'up' | 'end';
  cycle: number;
  /** ffmpeg processes whose parent is the Argus process (running, and zombies among them still unreaped 1 s later). */
  ffmpeg: number;
  ffmpegZombies: number;
  /** Every child process of Argus (tsx's esbuild service apart). */
  children: number;
  /** The names of the children that are not ffmpeg. */
  others: string[];
  fds: number;
  fdSockets: number;
  fdPipes: number;
  heapMiB: number;
  rssMiB: number;
  handles: number;
  cameraStatus: string;
}

export interface FlapResult {
  samples: FlapSample[];
  cycles: number;
  seconds: number;
  /** Whether Argus ran with --expose-gc (heap samples after a full gc). */
  gc: boolean;
  /** Argus exited on its own during the run (a crash), with its code/signal. */
  crashed: string | null;
  streamsPerCamera: number;
}

const CHILD = fileURLToPath(new URL('./argus-child.ts', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MiB = (n: number) => Math.round((n / 1024 ** 2) * 10) / 10;

/** Child processes of `ppid` from /proc: [comm, state] each. */
export function childProcesses(ppid: number): Array<{ pid: number; comm: string; state: string }> {
  const out: Array<{ pid: number; comm: string; state: string }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // pid (comm) state ppid ...; comm may hold spaces and parentheses: split at the last ')'.
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const [state, parent] = stat.slice(close + 2).split(' ');
    if (Number(parent) === ppid) out.push({ pid: Number(entry), comm, state: state ?? '?' });
  }
  return out;
}

class ArgusChild {
  private next = 1;
  private readonly waiting = new Map<number, (m: Record<string, unknown>) => void>();
  exit: string | null = null;
  constructor(readonly proc: ChildProcess) {
    proc.on('message', (m: Record<string, unknown>) => {
      if (m.type === 'reply') this.waiting.get(m.id as number)?.(m);
    });
    proc.on('exit', (code, signal) => {
      this.exit = `code ${code} signal ${signal}`;
      for (const w of this.waiting.values()) w({ error: `argus exited (${this.exit})` });
    });
  }
  request(m: Record<string, unknown>, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply to ${String(m.type)} within ${timeoutMs} ms`)), timeoutMs);
      this.waiting.set(id, (reply) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        if (reply.error) reject(new Error(String(reply.error)));
        else resolve(reply);
      });
      this.proc.send({ ...m, id });
    });
  }
  async api(path: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: Record<string, unknown> }> {
    const r = await this.request({ type: 'api', path, ...init });
    return { status: r.status as number, body: r.body as Record<string, unknown> };
  }
}

async function startArgusChild(config: Record<string, unknown>): Promise<ArgusChild> {
  const proc = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', CHILD, JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const child = new ArgusChild(proc);
  const started = new Promise<void>((resolve, reject) => {
    // Generous: tsx compiles Argus on first start, and the machine may be busy.
    const timer = setTimeout(() => reject(new Error('Argus did not start within 180 s')), 180_000);
    proc.once('message', (m: { type: string }) => {
      clearTimeout(timer);
      if (m.type === 'ready') resolve();
      else reject(new Error(`unexpected first message ${JSON.stringify(m)}`));
    });
    proc.once('exit', (code, signal) => reject(new Error(`Argus exited while starting (code ${code}, signal ${signal})`)));
  });
  try {
    await started;
  } catch (err) {
    proc.kill('SIGKILL');
    throw err;
  }
  return child;
}

/**
 * Run the flapping camera for `seconds`: down `downMs`, up `upMs`, repeatedly; one sample at the end
 * of each half-cycle. `onSample` sees each as it is taken (a benchmark prints them).
 */
export async function runCameraFlap(options: { seconds: number; downMs?: number; upMs?: number; onSample?: (s: FlapSample) => void }): Promise<FlapResult> {
  const downMs = options.downMs ?? 3000;
  const upMs = options.upMs ?? 3000;
  let cam: RtspCamera | undefined;
  let argus: ArgusChild | undefined;
  const samples: FlapSample[] = [];
  let gc = false;
  try {
    cam = await startRtspCamera({ mounts: [{ path: 'flap', source: { kind: 'pattern' }, width: 320, height: 180, fps: 10 }] });
    argus = await startArgusChild({
      roles: ['api', 'ingest'],
      relay: { enabled: false },
      ingest: { roundSeconds: 1, leaseSeconds: 5, backoffSeconds: [0.5, 1, 2] },
    });
    const a = argus;
    const created = await a.api('/api/cameras', { body: { name: 'Flapping camera', sourceKind: 'rtsp', sourceUrl: cam.url('flap') } });
    if (created.status !== 201) throw new Error(`could not add the camera: ${created.status} ${JSON.stringify(created.body)}`);
    const cameraId = created.body.id as string;
    const status = async () => String((await a.api(`/api/cameras/${cameraId}`)).body.status);
    const deadline = Date.now() + 30_000;
    while ((await status()) !== 'online') {
      if (Date.now() > deadline) throw new Error('the camera never came online');
      await sleep(300);
    }
    let started = Date.now();
    const sample = async (phase: FlapSample['phase'], cycle: number): Promise<FlapSample> => {
      const m = await a.request({ type: 'sample' });
      gc = Boolean(m.gc);
      // tsx's esbuild service (it compiles modules imported late) is the test harness, not Argus.
      const kids = childProcesses(a.proc.pid!).filter((k) => k.comm !== 'esbuild');
      const ffmpeg = kids.filter((k) => k.comm.startsWith('ffmpeg'));
      // A zombie caught in the instant between its exit and its reaping is not a leak: count those still there 1 s later.
      let zombies = ffmpeg.filter((k) => k.state === 'Z').map((k) => k.pid);
      if (zombies.length) {
        await sleep(1000);
        const still = new Set(childProcesses(a.proc.pid!).filter((k) => k.state === 'Z').map((k) => k.pid));
        zombies = zombies.filter((pid) => still.has(pid));
      }
      const fds = m.fds as { total: number; sockets: number; pipes: number };
      const s: FlapSample = {
        t: Math.round((Date.now() - started) / 100) / 10,
        phase,
        cycle,
        ffmpeg: ffmpeg.length,
        ffmpegZombies: zombies.length,
        children: kids.length,
        others: kids.filter((k) => !k.comm.startsWith('ffmpeg')).map((k) => k.comm),
        fds: fds.total,
        fdSockets: fds.sockets,
        fdPipes: fds.pipes,
        heapMiB: MiB(m.heapUsed as number),
        rssMiB: MiB(m.rss as number),
        handles: m.handles as number,
        cameraStatus: await status(),
      };
      samples.push(s);
      options.onSample?.(s);
      return s;
    };
    // Settle, then the baseline.
    await sleep(3000);
    started = Date.now();
    await sample('baseline', 0);
    let cycle = 0;
    while (Date.now() - started < options.seconds * 1000) {
      cycle++;
      cam.kill();
      await sleep(downMs);
      await sample('down', cycle);
      await cam.restart();
      await sleep(upMs);
      await sample('up', cycle);
      if (argus.exit) break;
    }
    // The camera stays up: Argus must be back on it, with one ffmpeg.
    const back = Date.now() + 20_000;
    while (!argus.exit && (await status()) !== 'online' && Date.now() < back) await sleep(300);
    await sleep(2000);
    if (!argus.exit) await sample('end', cycle);
    return { samples, cycles: cycle, seconds: (Date.now() - started) / 1000, gc, crashed: argus.exit, streamsPerCamera: 1 };
  } finally {
    if (argus && !argus.exit) {
      const exited = new Promise((r) => argus!.proc.once('exit', r));
      argus.proc.send({ type: 'stop' });
      await Promise.race([exited, sleep(20_000)]);
      if (!argus.exit) argus.proc.kill('SIGKILL');
    }
    await cam?.stop();
  }
}

/** Least-squares slope of y over x (units of y per unit of x). */
export function slope(points: ReadonlyArray<readonly [number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  const num = points.reduce((s, p) => s + (p[0] - mx) * (p[1] - my), 0);
  const den = points.reduce((s, p) => s + (p[0] - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}
