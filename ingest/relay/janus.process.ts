import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from '../../config/logger.ts';
import { ERROR_CODES } from '../../contracts/errors.ts';
import { JanusError } from './janus.errors.ts';

/**
 * The Janus gateway as a supervised child process: started in the foreground with the generated
 * configuration folder (`janus -F <dir>`, logging to stdout, which goes to the Argus log), ready when
 * its HTTP API answers `GET /janus/info`, restarted with stepped backoff when it dies, and stopped
 * once by `stop()` (SIGTERM, then SIGKILL), leaving no process behind, also when Argus itself exits.
 * Its pid is kept in `<configDir>/janus.pid`, so that a Janus left running by an Argus that was killed
 * is ended at the next start instead of holding its ports forever.
 */

export type JanusProcessState = 'idle' | 'starting' | 'running' | 'restarting' | 'closed';

export interface JanusProcessStatus {
  state: JanusProcessState;
  pid: number | null;
  /** Restarts after Janus died (not counting the first start). */
  restarts: number;
  lastExit: { code: number | null; signal: string | null; at: string } | null;
  /** Why the last (re)start failed, if it did. */
  lastError: string | null;
}

export interface JanusProcessOptions {
  janusPath: string;
  /** Folder holding janus.jcfg and the plugin configuration (janus.config.ts). */
  configDir: string;
  /** The HTTP API root, e.g. http://127.0.0.1:8188/janus. */
  apiUrl: string;
  /** Shared objects preloaded into Janus (the loopback ICE shim), or none. */
  preload?: readonly string[];
  log: Logger;
  /** How long a start may take until the API answers. */
  startTimeoutMs?: number;
  /** Waits before restart attempts 1, 2, 3 ...; the last repeats. */
  restartDelaysMs?: readonly number[];
  /** After running this long without dying, the next restart starts again from the first delay. */
  stableAfterMs?: number;
  /** How long stop() waits after SIGTERM before SIGKILL. */
  stopTimeoutMs?: number;
  /** At most `lines` Janus error lines per `windowMs` reach the log; the rest are counted. */
  logBurst?: { lines: number; windowMs: number };
}

const DEFAULT_RESTART_DELAYS_MS = [500, 1000, 2000, 5000, 10_000, 30_000] as const;
/** Lines of Janus output kept to explain a failed start. */
const TAIL_LINES = 40;
/**
 * Janus error lines passed to the log per window; the rest are counted. (A viewer whose browser
 * vanished makes Janus print an error for every packet it cannot send until it hangs up.)
 */
const LOG_BURST = { lines: 20, windowMs: 10_000 } as const;

/** The environment Janus gets: nothing of ours (no database URL, no keys), only a PATH and the preload. */
function janusEnv(preload: readonly string[]): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' };
  if (preload.length) env.LD_PRELOAD = preload.join(':');
  return env;
}

/** Throws a clear error when the Janus program is missing or not executable. */
export function checkJanusBinary(janusPath: string): void {
  try {
    accessSync(janusPath, constants.X_OK);
  } catch {
    throw new JanusError(
      ERROR_CODES.UNAVAILABLE,
      `Janus, the WebRTC relay for live video, was not found at ${janusPath}: install the janus package (npm start does it: scripts/setup.sh installs it with apt-get), or set relay.janusPath.`,
      'process',
    );
  }
}

export const PID_FILE = 'janus.pid';

/** The pid in the pid file, when that process is still our Janus (same program, same configuration folder). */
function leftoverJanus(configDir: string, janusPath: string): number | null {
  let pid: number;
  try {
    pid = Number(readFileSync(join(configDir, PID_FILE), 'utf8').trim());
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 1) return null;
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    // argv[0] is the program (argv[1] when it is a script run by its interpreter).
    return argv.slice(0, 2).includes(janusPath) && argv.includes('-F') && argv.includes(configDir) ? pid : null;
  } catch {
    return null;
  }
}

export class JanusProcess {
  private child: ChildProcess | null = null;
  private state: JanusProcessState = 'idle';
  private restarts = 0;
  private attempt = 0;
  private lastExit: JanusProcessStatus['lastExit'] = null;
  private lastError: string | null = null;
  private runningSince = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private readonly tail: string[] = [];
  private logWindow = { start: 0, count: 0, suppressed: 0 };
  private readonly restartedListeners = new Set<() => void>();
  private readonly stateListeners = new Set<(state: JanusProcessState) => void>();
  private stopping: Promise<void> | null = null;
  private readonly killOnExit = () => this.child?.kill('SIGKILL');

  constructor(private readonly options: JanusProcessOptions) {}

  status(): JanusProcessStatus {
    return { state: this.state, pid: this.child?.pid ?? null, restarts: this.restarts, lastExit: this.lastExit, lastError: this.lastError };
  }

  /** Called after Janus died and was started again: its sessions and mountpoints are gone. */
  onRestarted(listener: () => void): () => void {
    this.restartedListeners.add(listener);
    return () => this.restartedListeners.delete(listener);
  }

  onStateChange(listener: (state: JanusProcessState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** The first start. Resolves when the API answers; rejects (and leaves no process) when it does not. */
  async start(): Promise<void> {
    if (this.state !== 'idle') throw new Error(`JanusProcess.start() called in state ${this.state}`);
    checkJanusBinary(this.options.janusPath);
    const leftover = leftoverJanus(this.options.configDir, this.options.janusPath);
    if (leftover) {
      this.options.log.warn({ pid: leftover }, 'ending a janus left running by an earlier argus');
      try {
        process.kill(leftover, 'SIGKILL');
      } catch {
        /* gone meanwhile */
      }
      await sleep(100);
    }
    process.once('exit', this.killOnExit);
    try {
      await this.launch();
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Stop Janus and supervision. Safe to call more than once; every call waits for the same end. */
  stop(): Promise<void> {
    return (this.stopping ??= this.shutdown());
  }

  private isClosed(): boolean {
    return this.state === 'closed';
  }

  private setState(state: JanusProcessState): void {
    if (this.state === state) return;
    this.state = state;
    for (const listener of this.stateListeners) listener(state);
  }

  private async shutdown(): Promise<void> {
    this.setState('closed');
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timeout = this.options.stopTimeoutMs ?? 5000;
      let timer: NodeJS.Timeout | undefined;
      const killed = await Promise.race([
        exited.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), timeout);
        }),
      ]);
      clearTimeout(timer);
      if (killed) {
        this.options.log.warn({ pid: child.pid, timeoutMs: timeout }, 'janus did not stop after SIGTERM; killing it');
        child.kill('SIGKILL');
        await exited;
      }
    }
    this.child = null;
    rmSync(join(this.options.configDir, PID_FILE), { force: true });
    process.removeListener('exit', this.killOnExit);
  }

  /** Spawn Janus and wait until its API answers. */
  private async launch(): Promise<void> {
    const { janusPath, configDir, log } = this.options;
    this.setState(this.restarts > 0 || this.lastExit ? 'restarting' : 'starting');
    this.tail.length = 0;
    const child = spawn(janusPath, ['-F', configDir], {
      cwd: configDir,
      env: janusEnv(this.options.preload ?? []),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    if (child.pid) writeFileSync(join(configDir, PID_FILE), `${child.pid}\n`);
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
      child.once('error', (err) => {
        this.remember(`spawn error: ${err.message}`);
        resolve({ code: null, signal: null });
      });
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => this.onLine(line));
    }
    void exited.then((exit) => this.onExit(child, exit));

    const deadline = Date.now() + (this.options.startTimeoutMs ?? 15_000);
    const ended: { exit: { code: number | null; signal: string | null } | null } = { exit: null };
    void exited.then((e) => {
      ended.exit = e;
    });
    for (;;) {
      if (ended.exit) throw this.startFailure(`Janus exited during start-up (${describeExit(ended.exit)})`);
      if (this.isClosed()) throw this.startFailure('stopped during start-up');
      if (await this.apiAnswers()) break;
      if (Date.now() > deadline) throw this.startFailure(`its HTTP API did not answer at ${this.options.apiUrl}/info within ${this.options.startTimeoutMs ?? 15_000} ms`);
      await sleep(100);
    }
    this.runningSince = Date.now();
    this.lastError = null;
    this.setState('running');
    log.info({ pid: child.pid, restarts: this.restarts }, 'janus running');
  }

  private startFailure(reason: string): JanusError {
    const tail = this.tail.filter((l) => /\[(ERR|FATAL)\]|error|fail/i.test(l)).slice(-5);
    const message = `The live video relay (Janus) did not start: ${reason}.${tail.length ? ` Janus said: ${tail.join(' | ')}` : ''}`;
    this.lastError = message;
    return new JanusError(ERROR_CODES.UNAVAILABLE, message, 'process');
  }

  private async apiAnswers(): Promise<boolean> {
    try {
      const res = await fetch(`${this.options.apiUrl}/info`, { signal: AbortSignal.timeout(1000) });
      if (!res.ok) return false;
      const body = (await res.json()) as { janus?: string };
      return body.janus === 'server_info';
    } catch {
      return false;
    }
  }

  private remember(line: string): void {
    this.tail.push(line);
    if (this.tail.length > TAIL_LINES) this.tail.shift();
  }

  private onLine(raw: string): void {
    const line = raw.trimEnd();
    if (!line) return;
    this.remember(line);
    const { log } = this.options;
    const fatal = line.includes('[FATAL]');
    if (!fatal && !line.includes('[ERR]')) {
      log.debug({ janus: line }, 'janus');
      return;
    }
    const burst = this.options.logBurst ?? LOG_BURST;
    const now = Date.now();
    const w = this.logWindow;
    if (now - w.start > burst.windowMs) {
      if (w.suppressed) log.warn({ suppressed: w.suppressed, windowMs: burst.windowMs }, 'janus error lines suppressed');
      this.logWindow = { start: now, count: 0, suppressed: 0 };
    }
    if (this.logWindow.count >= burst.lines) {
      this.logWindow.suppressed += 1;
      return;
    }
    this.logWindow.count += 1;
    if (fatal) log.error({ janus: line }, 'janus');
    else log.warn({ janus: line }, 'janus');
  }

  private onExit(child: ChildProcess, exit: { code: number | null; signal: string | null }): void {
    if (this.child !== child) return;
    this.lastExit = { ...exit, at: new Date().toISOString() };
    if (this.state === 'closed') return;
    const wasRunning = this.state === 'running';
    this.child = null;
    if (!wasRunning) return; // a failed start: launch() reports it, and a restart schedules the next try
    this.options.log.warn({ exit: describeExit(exit), tail: this.tail.slice(-5) }, 'janus died; restarting it');
    if (Date.now() - this.runningSince >= (this.options.stableAfterMs ?? 30_000)) this.attempt = 0;
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    if (this.state === 'closed') return;
    const delays = this.options.restartDelaysMs ?? DEFAULT_RESTART_DELAYS_MS;
    const delay = delays[Math.min(this.attempt, delays.length - 1)] ?? 1000;
    this.attempt += 1;
    this.setState('restarting');
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      void this.restart();
    }, delay);
  }

  private async restart(): Promise<void> {
    if (this.state === 'closed') return;
    this.restarts += 1;
    try {
      await this.launch();
    } catch (err) {
      if (this.isClosed()) return;
      const child = this.child;
      this.child = null;
      child?.kill('SIGKILL');
      this.options.log.error({ err: (err as Error).message, attempt: this.attempt }, 'janus restart failed; trying again');
      this.scheduleRestart();
      return;
    }
    for (const listener of this.restartedListeners) {
      try {
        listener();
      } catch (err) {
        this.options.log.error({ err: (err as Error).message }, 'janus restart listener failed');
      }
    }
  }
}

function describeExit(exit: { code: number | null; signal: string | null }): string {
  if (exit.signal) return `killed by ${exit.signal}`;
  if (exit.code !== null) return `exit code ${exit.code}`;
  return 'could not be run';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
