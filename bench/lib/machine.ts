/** What a benchmark ran on: machine, load and software versions, for the results files. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
}

export function machineInfo(): MachineInfo {
  let cpuModel = cpus()[0]?.model ?? 'unknown';
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) cpuModel = line.split(':').slice(1).join(':').trim();
  } catch {
    /* not Linux */
  }
  let kernel = 'unknown';
  try {
    kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  } catch {
    /* not Linux */
  }
  return { cpuModel, cores: cpus().length, memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10, kernel };
}

function firstLine(cmd: string, args: string[], pattern?: RegExp): string {
  // Some programs (janus --version) print their version and exit non-zero: read the output whatever the status.
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
  if (r.error) return `unavailable (${r.error.message})`;
  const lines = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.split('\n').map((l) => l.trim());
  return (pattern ? lines.find((l) => pattern.test(l)) : lines.find((l) => l.length > 0)) ?? 'unknown';
}

export interface SoftwareVersions {
  node: string;
  ffmpeg: string;
  janus: string;
  chromium: string;
  gstreamer: string;
}

export function softwareVersions(opts: { chromiumPath?: string; janusPath?: string } = {}): SoftwareVersions {
  return {
    node: process.version,
    ffmpeg: firstLine('ffmpeg', ['-hide_banner', '-version']).replace(/ Copyright.*$/, ''),
    janus: firstLine(opts.janusPath ?? '/usr/bin/janus', ['--version'], /^Janus version/),
    chromium: firstLine(opts.chromiumPath ?? '/usr/bin/chromium', ['--version'], /Chromium|Chrome/),
    gstreamer: firstLine('gst-launch-1.0', ['--version'], /^GStreamer/),
  };
}

/** `load average 1.65 / 3.05 / 3.20 (1/5/15 min)` */
export function loadLine(): string {
  const [a, b, c] = loadavg();
  return `load average ${a!.toFixed(2)} / ${b!.toFixed(2)} / ${c!.toFixed(2)} (1/5/15 min)`;
}

/** Markdown lines describing machine, date and versions. */
export function environmentMarkdown(versions: SoftwareVersions): string {
  const m = machineInfo();
  return [
    `- Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB memory, Linux ${m.kernel}`,
    `- Software: ${versions.ffmpeg}; ${versions.janus}; ${versions.chromium}; ${versions.gstreamer}; Node ${versions.node}`,
  ].join('\n');
}
