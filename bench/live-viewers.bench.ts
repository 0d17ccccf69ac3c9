/**
 * How many concurrent 640×360 viewer streams the relay carries before frames drop, and what each
 * costs in CPU.
 *
 *   npx tsx bench/live-viewers.bench.ts [--seconds 10] [--max-viewers 300] [--time-limit 600] [--no-video]
 *
 * One test camera (640×360, 15 fps), a real Argus whose ingest ffmpeg copies it as RTP into Janus (no
 * analytics frames: the copy path), and Chromium pages with up to 25 viewers each (a 5×5 wall per page,
 * its own user: one user may hold 36), every viewer opened through the API as a wall tile does and
 * played in a small <video> (with --no-video the track is not attached to any element; Chromium still
 * decodes it). Viewers are added in steps; at each step, after the new ones play, the script measures
 * for --seconds the received and decoded frame rate of every viewer (inbound-rtp), packets lost, frames
 * dropped, and the CPU of Janus, the ingest ffmpeg, Chromium, the camera and this Node process (Argus
 * runs in it) from /proc. It stops when a viewer gets fewer than 95% of the camera's frames or loses
 * more than 0.5% of its packets, at --max-viewers, past --time-limit seconds, or when memory runs low.
 * Chromium decodes every stream on the same cores as the relay, so the whole machine saturates long
 * before the relay does: the relay's own CPU per viewer is reported apart from the total. Prints the
 * numbers and rewrites the "viewers" section of bench/results/live.md. Everything it starts is stopped
 * at the end (and on Ctrl-C).
 */
import { cpus, freemem } from 'node:os';
import type { Page } from 'playwright-core';
import { runBench, startLiveRig } from './lib/live-rig.ts';
import { writeLiveSection } from './lib/live-results.ts';
import { environmentMarkdown, loadLine, softwareVersions } from './lib/machine.ts';
import { CpuMeter, othersCpu, type CpuSample } from './lib/proc-cpu.ts';
import { udpCounters, udpDelta, type UdpCounters } from './lib/proc-net.ts';
import { fmt, quantile } from './lib/stats.ts';

const WIDTH = 640;
const HEIGHT = 360;
const FPS = 15;
const STEPS = [1, 5, 10, 20, 30, 40, 50, 60, 80, 100, 125, 150, 200, 250, 300, 400, 500];
const PAGE_SIZE = 25;
const OPEN_CONCURRENCY = 4;
const SETTLE_S = 3;
const START_TIMEOUT_S = 30;
const MIN_FREE_MEMORY = 1.5 * 1024 ** 3;
/** A viewer "keeps up" with at least this share of the camera's frames, and loses at most this share of packets. */
const KEEP_UP = 0.95;
const MAX_LOSS = 0.005;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : Number.NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}
const MEASURE_S = arg('seconds', 10);
const MAX_VIEWERS = arg('max-viewers', 300);
const TIME_LIMIT_S = arg('time-limit', 600);
const WITH_VIDEO = !process.argv.includes('--no-video');

interface Inbound {
  connectionState: string;
  error: string | null;
  timestamp?: number;
  framesReceived?: number;
  framesDecoded?: number;
  framesDropped?: number;
  packetsReceived?: number;
  packetsLost?: number;
  nackCount?: number;
  pliCount?: number;
  bytesReceived?: number;
}

interface WallPage {
  page: Page;
  token: string;
  count: number;
}

interface Step {
  viewers: number;
  recvFps: { min: number; p50: number };
  decFps: { min: number; p50: number };
  packetsLost: number;
  packetsReceived: number;
  framesDropped: number;
  nacks: number;
  plis: number;
  mbps: number;
  cpu: CpuSample;
  udp: UdpCounters;
  keptUp: boolean;
  decodedAll: boolean;
  notStarted: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function inboundAll(pages: WallPage[]): Promise<Map<string, Inbound>> {
  const out = new Map<string, Inbound>();
  const lists = await Promise.all(pages.map((p) => p.page.evaluate('window.bench.inboundAll()') as Promise<Array<{ key: number; stats: Inbound | null }>>));
  lists.forEach((list, i) => {
    for (const { key, stats } of list) if (stats) out.set(`${i}:${key}`, stats);
  });
  return out;
}

function cpuCells(cpu: CpuSample): { janus: number; ffmpeg: number; chromium: number; node: number } {
  return { janus: cpu.groups.janus ?? Number.NaN, ffmpeg: cpu.groups.ingestFfmpeg ?? Number.NaN, chromium: cpu.groups.chromium ?? Number.NaN, node: cpu.groups.node ?? Number.NaN };
}

/** Least-squares slope and intercept of y over x. */
function fitLine(points: Array<[number, number]>): { slope: number; intercept: number } {
  const n = points.length;
  if (n < 2) return { slope: Number.NaN, intercept: Number.NaN };
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  const slope = sxx > 0 ? sxy / sxx : Number.NaN;
  return { slope, intercept: my - slope * mx };
}

async function main(): Promise<void> {
  const versions = softwareVersions();
  const startedAt = new Date();
  const t0 = Date.now();
  const loadBefore = loadLine();
  console.log(`[viewers] ${loadBefore}; starting camera, Argus and Chromium`);
  const rig = await startLiveRig({ width: WIDTH, height: HEIGHT, fps: FPS });
  const pages: WallPage[] = [];
  const steps: Step[] = [];
  let stopReason = `the largest step (${MAX_VIEWERS} viewers) was reached`;
  const openErrors: string[] = [];
  try {
    const meter = new CpuMeter({
      janus: rig.pids.janus,
      ingestFfmpeg: rig.pids.ingestFfmpeg,
      camera: rig.pids.camera,
      chromium: rig.pids.chromium,
      node: () => [process.pid],
    });

    // The relay with its camera input and no viewer.
    await sleep(2000);
    meter.start();
    await sleep(MEASURE_S * 1000);
    const idle = meter.stop();
    console.log(`[viewers] 0 viewers: Janus ${fmt(idle.groups.janus, 1)}%, ingest ffmpeg ${fmt(idle.groups.ingestFfmpeg, 1)}%, Chromium ${fmt(idle.groups.chromium, 1)}%`);

    let open = 0;
    for (const target of STEPS) {
      if (target > MAX_VIEWERS) break;
      // Add viewers: fill the last page up to PAGE_SIZE, then a new page with a new user.
      while (open < target) {
        let wall = pages[pages.length - 1];
        if (!wall || wall.count >= PAGE_SIZE) {
          const token = pages.length === 0 ? rig.token : await rig.extraToken();
          wall = { page: await rig.newPage(), token, count: 0 };
          pages.push(wall);
        }
        const n = Math.min(target - open, PAGE_SIZE - wall.count);
        const opts = { token: wall.token, cameraId: rig.cameraId, video: WITH_VIDEO, tileWidth: 160, tileHeight: 90 };
        const { keys, errors } = (await wall.page.evaluate(`window.bench.openMany(${JSON.stringify(opts)}, ${n}, ${OPEN_CONCURRENCY})`)) as { keys: number[]; errors: string[] };
        openErrors.push(...errors);
        wall.count += n;
        open += keys.length;
        if (errors.length) break;
      }
      if (openErrors.length) {
        stopReason = `opening viewers failed at ${open + 1}: ${openErrors[0]}`;
        break;
      }
      // Wait until every viewer decodes, then let it settle.
      const deadline = Date.now() + START_TIMEOUT_S * 1000;
      let notStarted = open;
      while (Date.now() < deadline) {
        const all = await inboundAll(pages);
        notStarted = [...all.values()].filter((s) => !(s.framesDecoded && s.framesDecoded > 0)).length + (open - all.size);
        if (notStarted === 0) break;
        await sleep(500);
      }
      await sleep(SETTLE_S * 1000);

      const before = await inboundAll(pages);
      const udpBefore = udpCounters();
      meter.start();
      await sleep(MEASURE_S * 1000);
      const cpu = meter.stop();
      const udp = udpDelta(udpBefore, udpCounters());
      const after = await inboundAll(pages);

      const recv: number[] = [];
      const dec: number[] = [];
      let packetsLost = 0;
      let packetsReceived = 0;
      let framesDropped = 0;
      let nacks = 0;
      let plis = 0;
      let bitsPerSecond = 0;
      for (const [key, a] of after) {
        const b = before.get(key);
        if (!b || a.timestamp === undefined || b.timestamp === undefined) {
          recv.push(0);
          dec.push(0);
          continue;
        }
        const dt = Math.max(0.001, (a.timestamp - b.timestamp) / 1000);
        const d = (f: keyof Inbound) => ((a[f] as number | undefined) ?? 0) - ((b[f] as number | undefined) ?? 0);
        recv.push(d('framesReceived') / dt);
        dec.push(d('framesDecoded') / dt);
        packetsLost += d('packetsLost');
        packetsReceived += d('packetsReceived');
        framesDropped += d('framesDropped');
        nacks += d('nackCount');
        plis += d('pliCount');
        bitsPerSecond += (d('bytesReceived') * 8) / dt;
      }
      for (let i = after.size; i < open; i++) {
        recv.push(0);
        dec.push(0);
      }
      recv.sort((x, y) => x - y);
      dec.sort((x, y) => x - y);
      const loss = packetsLost / Math.max(1, packetsLost + packetsReceived);
      const keptUp = (recv[0] ?? 0) >= KEEP_UP * FPS && loss <= MAX_LOSS;
      const step: Step = {
        viewers: open,
        recvFps: { min: recv[0] ?? 0, p50: quantile(recv, 0.5) },
        decFps: { min: dec[0] ?? 0, p50: quantile(dec, 0.5) },
        packetsLost,
        packetsReceived,
        framesDropped,
        nacks,
        plis,
        mbps: bitsPerSecond / 1e6,
        cpu,
        udp,
        keptUp,
        decodedAll: (dec[0] ?? 0) >= KEEP_UP * FPS,
        notStarted,
      };
      steps.push(step);
      const c = cpuCells(cpu);
      console.log(
        `[viewers] ${open} viewers: received fps min ${fmt(step.recvFps.min, 1)} / median ${fmt(step.recvFps.p50, 1)}, decoded fps min ${fmt(step.decFps.min, 1)} / median ${fmt(step.decFps.p50, 1)}, ` +
          `lost ${packetsLost}, dropped ${framesDropped}; CPU % Janus ${fmt(c.janus, 1)}, ffmpeg ${fmt(c.ffmpeg, 1)}, Chromium ${fmt(c.chromium, 1)}, Node ${fmt(c.node, 1)}, ` +
          `machine ${fmt(cpu.machine)} (others ${fmt(othersCpu(cpu))}); ${notStarted} not started`,
      );
      if (!keptUp) {
        stopReason = `frames dropped at ${open} viewers (the slowest viewer received ${fmt(step.recvFps.min, 1)} frames/s of ${FPS}; ${(loss * 100).toFixed(2)}% of packets lost)`;
        break;
      }
      if ((Date.now() - t0) / 1000 > TIME_LIMIT_S) {
        stopReason = `the time limit (${TIME_LIMIT_S} s) was reached`;
        break;
      }
      if (freemem() < MIN_FREE_MEMORY) {
        stopReason = `free memory fell below ${(MIN_FREE_MEMORY / 1024 ** 3).toFixed(1)} GiB`;
        break;
      }
    }
    for (const p of pages) await p.page.evaluate('window.bench.closeAll()').catch(() => undefined);
    const loadAfter = loadLine();

    // ---- report ----
    const idleJanus = idle.groups.janus ?? 0;
    const idleChromium = idle.groups.chromium ?? 0;
    const ok = steps.filter((s) => s.keptUp);
    const lastOk = ok[ok.length - 1];
    const firstFail = steps.find((s) => !s.keptUp);
    // Janus's cost per viewer from the steps where every viewer kept up and Chromium decoded every frame:
    // on a saturated machine, scheduling and cache contention inflate every process's CPU time.
    const clean = ok.filter((s) => s.decodedAll);
    const janusFit = fitLine(clean.map((s) => [s.viewers, s.cpu.groups.janus ?? 0]));
    const chromiumFit = fitLine(clean.map((s) => [s.viewers, s.cpu.groups.chromium ?? 0]));
    const perCore = 100 / janusFit.slope;
    const biggestClean = clean[clean.length - 1];
    const kernelShare = biggestClean ? (biggestClean.cpu.system.janus ?? 0) / Math.max(0.001, biggestClean.cpu.groups.janus ?? 0) : Number.NaN;
    const rows = steps.map((s) => {
      const c = cpuCells(s.cpu);
      return (
        `| ${s.viewers} | ${fmt(s.recvFps.min, 1)} / ${fmt(s.recvFps.p50, 1)} | ${fmt(s.decFps.min, 1)} / ${fmt(s.decFps.p50, 1)} | ` +
        `${s.packetsLost} / ${s.framesDropped} / ${s.nacks} | ${s.udp.RcvbufErrors} | ${fmt(s.mbps, 1)} | ${fmt(c.janus, 1)} (${fmt(s.cpu.system.janus, 1)}) | ${fmt((c.janus - idleJanus) / s.viewers, 2)} | ` +
        `${fmt(c.ffmpeg, 1)} | ${fmt(c.chromium, 0)} | ${fmt((c.chromium - idleChromium) / s.viewers, 1)} | ${fmt(c.node, 1)} | ` +
        `${fmt(s.cpu.machine)} | ${fmt(othersCpu(s.cpu))} | ${fmt(s.cpu.rssMiB.janus, 0)} |`
      );
    });
    const ingestPerStream = steps.length ? steps.reduce((a, s) => a + (s.cpu.groups.ingestFfmpeg ?? 0), 0) / steps.length : Number.NaN;
    // The last step of the unbroken run, from the first, of steps where every frame was received and decoded.
    let lastShown: Step | undefined;
    for (const st of steps) {
      if (!(st.keptUp && st.decodedAll)) break;
      lastShown = st;
    }
    const summaryLine =
      (lastShown ? `every viewer received and decoded ≥ ${KEEP_UP * 100}% of the frames up to ${lastShown.viewers} viewers` : 'no step had every frame decoded') +
      (lastOk && lastOk !== lastShown ? `; every viewer still received ≥ ${KEEP_UP * 100}% (Chromium no longer decoded them all) up to ${lastOk.viewers}` : '') +
      (firstFail ? `; at ${firstFail.viewers} viewers a viewer fell below that` : '');
    console.log(`[viewers] ${summaryLine}; stopped: ${stopReason}`);
    console.log(`[viewers] Janus ${fmt(janusFit.slope, 3)}% of a core per viewer (fit over ${clean.length} clean steps) → about ${fmt(perCore)} viewers per relay core; Chromium ${fmt(chromiumFit.slope, 2)}% per viewer`);

    const body = `## Concurrent viewers (\`bench/live-viewers.bench.ts\`${WITH_VIDEO ? '' : ' --no-video'})

- Run: ${startedAt.toISOString()}, ${MEASURE_S} s measured per step after every viewer of the step decoded and ${SETTLE_S} s more
- Load: before ${loadBefore}; after ${loadAfter}
${environmentMarkdown(versions)}

Method: one camera (640×360, 15 fps, about 600 kbit/s), ingest on the copy path (ffmpeg copies the camera's RTP
into Janus: \`frames: null\`, since this Argus has no frame sink, and recording off), and Chromium pages of up to
${PAGE_SIZE} viewers each (one user per page), every viewer opened through the API as a wall tile does and
${WITH_VIDEO ? 'played in a 160×90 `<video>`' : 'not attached to any element (Chromium still decodes it)'}; all viewers watch the same camera, so Janus forwards one input to N
peer connections (SRTP per viewer). Per step: received and decoded frames per second of each viewer from
inbound-rtp (\`framesReceived\`, \`framesDecoded\` over the window), packets lost, frames dropped, NACKs sent,
the machine's UDP receive-buffer overflows (/proc/net/snmp, machine-wide), the bit rate all viewers received,
and CPU from /proc/<pid>/stat (utime + stime; 100% = one core) of Janus, the ingest ffmpeg, all Chromium
processes and this Node process (which runs Argus: API, signalling, audit); "machine" is /proc/stat,
"others" is the machine less our processes (other work on this shared machine, and kernel time not charged
to a process). A step keeps up when every viewer received ≥ ${KEEP_UP * 100}% of the camera's frames and
≤ ${MAX_LOSS * 100}% of packets were lost. With 0 viewers: Janus ${fmt(idleJanus, 2)}%, ingest ffmpeg
${fmt(idle.groups.ingestFfmpeg, 2)}%, Chromium ${fmt(idleChromium, 1)}%.

| viewers | received fps/viewer min / median | decoded fps/viewer min / median | packets lost / frames dropped / NACKs | UDP rcvbuf drops | Mbit/s to viewers | Janus CPU % (of it kernel) | Janus % per viewer (above 0 viewers) | ingest ffmpeg CPU % | Chromium CPU % | Chromium % per viewer | Node (Argus) CPU % | machine busy % (of ${cpus().length * 100}) | others % | Janus RSS MiB |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

- Result: ${summaryLine}. Stopped because ${stopReason}.
- Relay (Janus) CPU per viewer: ${fmt(janusFit.slope, 3)}% of one core (least-squares slope over the ${clean.length} steps where
  every viewer kept up and Chromium decoded every frame; intercept ${fmt(janusFit.intercept, 2)}%), i.e. about
  **${fmt(perCore)} viewers per relay core** if Janus alone had a core. That is an extrapolation: Janus never
  used a whole core here (at most ${fmt(Math.max(...steps.map((s) => s.cpu.groups.janus ?? 0)), 0)}%), see below. ARCHITECTURE.md plans
  with about 500 viewers per Janus core.
- ${fmt(kernelShare * 100, 0)}% of Janus's CPU was kernel time (sending UDP, one packet per viewer per RTP packet). On loopback the
  receiving socket's network processing can run in the sender's context too, so on a real network the relay's
  cost per viewer is probably somewhat lower than measured here.
- Chromium (receiving, decrypting, decoding${WITH_VIDEO ? ', painting' : ''}) took ${fmt(chromiumFit.slope, 2)}% of a core per viewer over
  the same steps, ${fmt(chromiumFit.slope / janusFit.slope, 0)}× the relay's cost.
- Ingest per camera stream (copy path): the ingest ffmpeg took ${fmt(ingestPerStream, 2)}% of one core on average,
  whatever the number of viewers (it sends one RTP stream to Janus).
- What limits this measurement: Chromium receives, decrypts and decodes every viewer's stream in software on the
  same ${cpus().length} cores as Janus, ffmpeg, Argus and the camera (and other users' work), so the machine
  saturates from the browser side long before the relay does: compare Chromium's CPU per viewer with Janus's.
  When the machine is saturated, Chromium's receive threads fall behind (UDP receive-buffer drops, lost packets,
  late frames) and that shows as "frames dropped" here even though Janus forwarded them. The viewer count at which
  frames dropped is therefore a limit of this one-machine setup (relay + browsers together); the relay's own
  capacity is the per-viewer CPU above. Measuring it directly needs the browsers on other machines.`;
    const section = WITH_VIDEO ? 'viewers' : 'viewers-no-video';
    writeLiveSection(section, body);
    console.log(`[viewers] wrote the "${section}" section of bench/results/live.md`);
  } finally {
    await rig.stop();
  }
}

runBench(main);
