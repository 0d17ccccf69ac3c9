/**
 * CPU time of processes from /proc (Linux): utime + stime of /proc/<pid>/stat, sampled twice, gives
 * the CPU% of a process over an interval (100% = one core busy). Processes are found among the
 * descendants of this process by their name (comm) or command line, so benchmarks measure the Janus
 * and ffmpeg they started, never those of a test run beside them.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

let clockTicks: number | null = null;
/** Kernel clock ticks per second (USER_HZ), usually 100. */
export function clkTck(): number {
  if (clockTicks === null) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

interface ProcStat {
  pid: number;
  comm: string;
  ppid: number;
  /** utime + stime, in clock ticks. */
  ticks: number;
  /** stime alone (time in the kernel on the process's behalf), in clock ticks. */
  sysTicks: number;
  /** Resident memory in pages. */
  rssPages: number;
}

function readStat(pid: number): ProcStat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may hold spaces and parentheses: it ends at the last ')'.
    const open = text.indexOf('(');
    const close = text.lastIndexOf(')');
    const comm = text.slice(open + 1, close);
    const f = text.slice(close + 2).split(' ');
    // f[0] is field 3 (state); utime is field 14, stime 15, rss 24.
    return { pid, comm, ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]), sysTicks: Number(f[12]), rssPages: Number(f[21]) };
  } catch {
    return null; // gone
  }
}

export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** Every process below `root` (children, grandchildren, ...), not `root` itself. */
export function descendants(root: number = process.pid): ProcStat[] {
  const all: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s) all.push(s);
  }
  const children = new Map<number, ProcStat[]>();
  for (const s of all) {
    const list = children.get(s.ppid) ?? [];
    list.push(s);
    children.set(s.ppid, list);
  }
  const out: ProcStat[] = [];
  const stack = [root];
  while (stack.length) {
    for (const c of children.get(stack.pop()!) ?? []) {
      out.push(c);
      stack.push(c.pid);
    }
  }
  return out;
}

/** Descendants of this process whose comm or command line matches. */
export function findDescendants(match: { comm?: RegExp; cmdline?: RegExp }, root: number = process.pid): number[] {
  return descendants(root)
    .filter((s) => (!match.comm || match.comm.test(s.comm)) && (!match.cmdline || match.cmdline.test(cmdline(s.pid))))
    .map((s) => s.pid);
}

/** Whole-machine busy and total jiffies from /proc/stat. */
function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0); // idle + iowait
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0); // without guest (counted in user already)
  return { busy: total - idle, total };
}

export type ProcessGroups = Record<string, () => number[]>;

export interface CpuSample {
  /** CPU% per group over the interval (100 = one core). */
  groups: Record<string, number>;
  /** The part of `groups` spent in the kernel (system time: syscalls, and on loopback the receiver's network stack too). */
  system: Record<string, number>;
  /** Resident memory per group at the end, MiB. */
  rssMiB: Record<string, number>;
  /** The whole machine's busy share, in % of one core (cores × 100 = all busy). */
  machine: number;
  seconds: number;
}

/**
 * Measure groups of processes over an interval: `start()` takes the first reading, `stop()` the
 * second. The pid lists are resolved at start (processes that appear later are not counted).
 */
export class CpuMeter {
  private startAt = 0;
  private startTicks = new Map<number, { ticks: number; sysTicks: number }>();
  private startMachine = { busy: 0, total: 0 };
  private pids: Record<string, number[]> = {};

  constructor(private readonly groups: ProcessGroups) {}

  start(): void {
    this.pids = Object.fromEntries(Object.entries(this.groups).map(([k, f]) => [k, f()]));
    this.startTicks.clear();
    for (const list of Object.values(this.pids)) for (const pid of list) {
        const st = readStat(pid);
        this.startTicks.set(pid, { ticks: st?.ticks ?? 0, sysTicks: st?.sysTicks ?? 0 });
      }
    this.startMachine = machineTicks();
    this.startAt = performance.now();
  }

  stop(): CpuSample {
    const seconds = (performance.now() - this.startAt) / 1000;
    const hz = clkTck();
    const groups: Record<string, number> = {};
    const system: Record<string, number> = {};
    const rssMiB: Record<string, number> = {};
    const pageMiB = 4096 / 1024 / 1024;
    for (const [name, list] of Object.entries(this.pids)) {
      let ticks = 0;
      let sysTicks = 0;
      let rss = 0;
      for (const pid of list) {
        const s = readStat(pid);
        if (!s) continue;
        const start = this.startTicks.get(pid);
        ticks += s.ticks - (start?.ticks ?? s.ticks);
        sysTicks += s.sysTicks - (start?.sysTicks ?? s.sysTicks);
        rss += s.rssPages;
      }
      groups[name] = (ticks / hz / seconds) * 100;
      system[name] = (sysTicks / hz / seconds) * 100;
      rssMiB[name] = rss * pageMiB;
    }
    const m = machineTicks();
    const machine = ((m.busy - this.startMachine.busy) / Math.max(1, m.total - this.startMachine.total)) * 100 * cpus().length;
    return { groups, system, rssMiB, machine, seconds };
  }
}

/** The machine's busy share not taken by the measured groups (other users of a shared machine), % of one core. */
export function othersCpu(sample: CpuSample): number {
  const ours = Object.values(sample.groups).reduce((a, b) => a + b, 0);
  return Math.max(0, sample.machine - ours);
}
