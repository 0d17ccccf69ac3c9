/**
 * Glass-to-glass delay of a live tile.
 *
 *   npx tsx bench/live-latency.bench.ts [--seconds 30]
 *
 * A test camera (640×360, 15 fps, x264 zerolatency) draws each frame's number as black/white blocks
 * and logs when it hands the frame to its encoder; a real Argus (ingest + Janus relay) pulls it;
 * Chromium opens a viewer through the API as a wall tile does, draws the <video> to a canvas on every
 * requestVideoFrameCallback, reads the number back in the page and notes the time. Delay = paint time
 * − send time, both read from this machine's clock. A second phase measures camera → ffmpeg alone (a
 * second ffmpeg client decoding the camera). Prints the numbers and rewrites the "latency" section of
 * bench/results/live.md. Everything it starts is stopped at the end (and on Ctrl-C).
 */
import { cpus } from 'node:os';
import { readFrameLog } from '../test/helpers/rtsp-camera.ts';
import { probeGstreamerClient, probeIngestCopy, type ProbeFrame } from './lib/ingest-probes.ts';
import { runBench, startLiveRig } from './lib/live-rig.ts';
import { writeLiveSection } from './lib/live-results.ts';
import { environmentMarkdown, loadLine, softwareVersions } from './lib/machine.ts';
import { CpuMeter, othersCpu } from './lib/proc-cpu.ts';
import { fmt, summarize, summaryCells, SUMMARY_HEADER, type Summary } from './lib/stats.ts';

const WIDTH = 640;
const HEIGHT = 360;
const FPS = 15;
const WARMUP_S = 3;
const PROBE_S = 20;
const GOAL = { p50: 300, p95: 500 };

function argNumber(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : Number.NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}
const MEASURE_S = argNumber('seconds', 30);

interface PageFrame {
  n: number | null;
  now: number;
  done: number;
  received: number | null;
  expectedDisplay: number;
  presented: number;
}

interface Inbound {
  framesReceived: number;
  framesDecoded: number;
  framesDropped: number;
  packetsReceived: number;
  packetsLost: number;
  bytesReceived: number;
  jitterBufferDelay: number | null;
  jitterBufferEmittedCount: number | null;
  totalDecodeTime: number | null;
  timestamp: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const versions = softwareVersions();
  const startedAt = new Date();
  const loadBefore = loadLine();
  console.log(`[latency] ${loadBefore}; starting camera, Argus and Chromium`);
  const rig = await startLiveRig({ width: WIDTH, height: HEIGHT, fps: FPS });
  try {
    const page = await rig.newPage();
    const key = (await page.evaluate(`window.bench.open(${JSON.stringify({ token: rig.token, cameraId: rig.cameraId, counter: true })})`)) as number;
    await sleep(WARMUP_S * 1000);
    await page.evaluate(`window.bench.takeFrames(${key})`); // drop the warm-up frames

    const meter = new CpuMeter({
      janus: rig.pids.janus,
      ingestFfmpeg: rig.pids.ingestFfmpeg,
      camera: rig.pids.camera,
      chromium: rig.pids.chromium,
      node: () => [process.pid],
    });
    const offsetBefore = (await page.evaluate('window.bench.clockOffset()')) as number;
    const statsBefore = (await page.evaluate(`window.bench.inbound(${key})`)) as Inbound;
    const windowStart = Date.now();
    meter.start();
    const frames: PageFrame[] = [];
    console.log(`[latency] measuring for ${MEASURE_S} s`);
    for (let t = 0; t < MEASURE_S; t += 5) {
      await sleep(Math.min(5, MEASURE_S - t) * 1000);
      frames.push(...((await page.evaluate(`window.bench.takeFrames(${key})`)) as PageFrame[]));
    }
    const cpu = meter.stop();
    const windowEnd = Date.now();
    const statsAfter = (await page.evaluate(`window.bench.inbound(${key})`)) as Inbound;
    const offsetAfter = (await page.evaluate('window.bench.clockOffset()')) as number;
    await page.evaluate(`window.bench.close(${key})`);

    // ---- the browser phase ----
    const sent = readFrameLog(rig.frameLogFile, rig.mount);
    const seen = new Set<number>();
    const glass: number[] = [];
    const toReceived: number[] = [];
    const receivedToPaint: number[] = [];
    const paintToRead: number[] = [];
    let unreadable = 0;
    let unknown = 0;
    for (const f of frames) {
      if (f.n === null) {
        unreadable++;
        continue;
      }
      const s = sent.get(f.n);
      if (s === undefined) {
        unknown++;
        continue;
      }
      if (seen.has(f.n)) continue;
      seen.add(f.n);
      glass.push(f.now - s);
      if (f.received !== null) {
        toReceived.push(f.received - s);
        receivedToPaint.push(f.now - f.received);
      }
      paintToRead.push(f.done - f.now);
    }
    // Frames the camera sent in the window (but the last second, still on their way) that were never painted.
    const sentInWindow = [...sent.entries()].filter(([, t]) => t >= windowStart && t <= windowEnd - 1000).map(([n]) => n);
    const missing = sentInWindow.filter((n) => !seen.has(n)).length;
    const g = summarize(glass);
    const r = summarize(toReceived);
    const rp = summarize(receivedToPaint);
    const pr = summarize(paintToRead);
    const dt = (statsAfter.timestamp - statsBefore.timestamp) / 1000;
    const dEmitted = (statsAfter.jitterBufferEmittedCount ?? 0) - (statsBefore.jitterBufferEmittedCount ?? 0);
    const jitterMs = dEmitted > 0 ? (((statsAfter.jitterBufferDelay ?? 0) - (statsBefore.jitterBufferDelay ?? 0)) / dEmitted) * 1000 : Number.NaN;
    const dDecoded = statsAfter.framesDecoded - statsBefore.framesDecoded;
    const decodeMs = dDecoded > 0 ? (((statsAfter.totalDecodeTime ?? 0) - (statsBefore.totalDecodeTime ?? 0)) / dDecoded) * 1000 : Number.NaN;
    const kbps = ((statsAfter.bytesReceived - statsBefore.bytesReceived) * 8) / 1000 / dt;
    const fps = dDecoded / dt;
    console.log(`[latency] glass-to-glass over ${g.n} frames: p50 ${fmt(g.p50)} ms, p95 ${fmt(g.p95)} ms, max ${fmt(g.max)} ms`);
    console.log(`[latency] camera → Chromium received p50 ${fmt(r.p50)} ms; received → painted p50 ${fmt(rp.p50)} ms; jitter buffer ${fmt(jitterMs, 1)} ms/frame`);

    // ---- before the relay: camera → ingest ffmpeg (copy), and the camera alone ----
    const probeDelays = (frames: ProbeFrame[], startedAt: number): number[] => {
      const log = readFrameLog(rig.frameLogFile, rig.mount);
      const out: number[] = [];
      const done = new Set<number>();
      for (const f of frames) {
        const s = log.get(f.n);
        // Skip the first 1.5 s: connecting and probing hold the first frames back.
        if (s === undefined || s < startedAt + 1500 || done.has(f.n)) continue;
        done.add(f.n);
        out.push(f.at - s);
      }
      return out;
    };
    console.log(`[latency] camera → ingest ffmpeg (copy) probe for ${PROBE_S} s`);
    let t = Date.now();
    const p = summarize(probeDelays(await probeIngestCopy(rig.cam.url(rig.mount), WIDTH, HEIGHT, PROBE_S), t));
    console.log(`[latency] camera → ingest ffmpeg copy output over ${p.n} frames: p50 ${fmt(p.p50)} ms, p95 ${fmt(p.p95)} ms`);
    console.log(`[latency] camera → GStreamer client probe for ${PROBE_S} s`);
    t = Date.now();
    const gst = summarize(probeDelays(await probeGstreamerClient(rig.cam.url(rig.mount), PROBE_S), t));
    console.log(`[latency] camera → GStreamer client decoded over ${gst.n} frames: p50 ${fmt(gst.p50)} ms, p95 ${fmt(gst.p95)} ms`);
    const loadAfter = loadLine();

    const verdict = (s: Summary) =>
      `p50 ${fmt(s.p50)} ms ${s.p50 <= GOAL.p50 ? '≤' : '>'} ${GOAL.p50} ms (${s.p50 <= GOAL.p50 ? 'met' : 'missed'}), ` +
      `p95 ${fmt(s.p95)} ms ${s.p95 <= GOAL.p95 ? '≤' : '>'} ${GOAL.p95} ms (${s.p95 <= GOAL.p95 ? 'met' : 'missed'})`;
    const body = `## Glass-to-glass delay (\`bench/live-latency.bench.ts\`)

- Run: ${startedAt.toISOString()}, ${MEASURE_S} s measured after ${WARMUP_S} s of warm-up
- Load: before ${loadBefore}; after ${loadAfter}; the whole machine was ${fmt(cpu.machine)}% busy (of ${cpus().length * 100}%) during the window
${environmentMarkdown(versions)}

Method: the camera logs each frame's number and the time it hands the raw frame to x264 (so camera encoding is
inside the delay; a real camera's exposure and ISP are not). Chromium plays one viewer opened through the API,
and on every \`requestVideoFrameCallback\` draws the top rows of the \`<video>\` to a canvas, decodes the blocks
in the page (the logic of \`decodeFrameCounter\`) and records \`performance.timeOrigin + now\` (the callback's
paint time). Delay = paint time − send time, per frame, once per frame number. Chromium's clock and the system
clock differed by ${fmt(offsetBefore, 1)} ms before and ${fmt(offsetAfter, 1)} ms after the window
(Date.now() − (timeOrigin + performance.now())). "Received" is the frame metadata's \`receiveTime\` (last packet
of the frame in). The last two lines come from extra RTSP clients of the same camera, run after the browser
phase (${PROBE_S} s each; the camera encodes for each client, but frame numbers and send times are shared):
"ingest ffmpeg copying it" is ffmpeg with the ingest preset's input options (\`rtsp-tcp/none\`) copying the
H.264 as ingest does for the relay, but to stdout instead of RTP, timed when each frame's first slice comes
out (frame numbers from a second ffmpeg decoding that output); "GStreamer RTSP client" is
\`bench/lib/gst-counter-client.py\` (rtspsrc latency=0, avdec_h264), the camera's own share without ffmpeg.

${SUMMARY_HEADER}
| **glass-to-glass: camera send → painted in Chromium (ms)** | ${summaryCells(g)} |
| camera send → last packet in Chromium (ms) | ${summaryCells(r)} |
| packet in → painted: jitter buffer + decode + render (ms) | ${summaryCells(rp)} |
| painted → counter read in the page (ms, not in the delay) | ${summaryCells(pr, 1)} |
| camera send → out of an ingest ffmpeg copying it (ms) | ${summaryCells(p)} |
| camera send → decoded by a GStreamer RTSP client (ms) | ${summaryCells(gst)} |

- Goal (p50 ≤ ${GOAL.p50} ms, p95 ≤ ${GOAL.p95} ms on loopback): ${verdict(g)}.
- Where the delay goes (differences of medians, so approximate): the test camera itself (x264 + RTSP server,
  with a GStreamer client's decode) ≈ ${fmt(gst.p50)} ms; ingest ffmpeg's demuxing ≈ ${fmt(p.p50 - gst.p50)} ms more
  (one frame interval is ${fmt(1000 / FPS)} ms at ${FPS} fps); RTP to Janus and WebRTC to Chromium on loopback
  ≈ ${fmt(r.p50 - p.p50, 1)} ms; Chromium's jitter buffer, decoding and painting ≈ ${fmt(rp.p50)} ms.
- Frames: ${seen.size} painted and read; ${sentInWindow.length} sent in the window (less its last second), ${missing} of them never painted;
  ${unreadable} paints without a readable counter, ${unknown} with a number the camera never logged.
- Chromium's inbound-rtp over the window: ${fmt(fps, 1)} frames/s decoded, ${fmt(kbps)} kbit/s,
  jitter-buffer delay ${fmt(jitterMs, 1)} ms/frame, decode ${fmt(decodeMs, 2)} ms/frame,
  ${statsAfter.packetsLost - statsBefore.packetsLost} packets lost, ${statsAfter.framesDropped - statsBefore.framesDropped} frames dropped.
- CPU during the window (% of one core): Janus ${fmt(cpu.groups.janus, 1)}, ingest ffmpeg ${fmt(cpu.groups.ingestFfmpeg, 1)},
  camera (GStreamer + x264) ${fmt(cpu.groups.camera, 1)}, Chromium (all processes) ${fmt(cpu.groups.chromium, 1)},
  Node (Argus + this script) ${fmt(cpu.groups.node, 1)}; other processes on the machine ${fmt(othersCpu(cpu), 1)}.`;
    writeLiveSection('latency', body);
    console.log(`[latency] wrote the "latency" section of bench/results/live.md`);
  } finally {
    await rig.stop();
  }
}

runBench(main);
