/**
 * Time to first frame when a live tile opens.
 *
 *   npx tsx bench/live-first-frame.bench.ts [--runs 30]
 *
 * A test camera (640×360, 15 fps, a key frame every 2 s), a real Argus (ingest + Janus relay) and
 * Chromium. Each run opens a viewer in the page exactly as a wall tile does (POST the viewer → offer,
 * answer after ICE gathering, POST the answer), waits for the first frame painted
 * (requestVideoFrameCallback) and for the first getStats reading with framesDecoded > 0, then closes
 * it (DELETE, peer connection closed) and waits until the relay has let it go. Time is counted from
 * just before the POST that opens the viewer. Prints the numbers and rewrites the "first-frame"
 * section of bench/results/live.md. Everything it starts is stopped at the end (and on Ctrl-C).
 */
import { cpus } from 'node:os';
import { runBench, startLiveRig } from './lib/live-rig.ts';
import { writeLiveSection } from './lib/live-results.ts';
import { environmentMarkdown, loadLine, softwareVersions } from './lib/machine.ts';
import { CpuMeter, othersCpu } from './lib/proc-cpu.ts';
import { fmt, summarize, summaryCells, SUMMARY_HEADER } from './lib/stats.ts';

const WIDTH = 640;
const HEIGHT = 360;
const FPS = 15;
const GOAL_P95_MS = 1000;
const FIRST_FRAME_TIMEOUT_MS = 10_000;

function argNumber(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : Number.NaN;
  return Number.isFinite(v) && v > 0 ? Math.round(v) : fallback;
}
const RUNS = argNumber('runs', 30);

interface Marks {
  post?: number;
  offer?: number;
  answered?: number;
  connected?: number;
  track?: number;
  firstFrame?: number;
  firstDecodedStats?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const versions = softwareVersions();
  const startedAt = new Date();
  const loadBefore = loadLine();
  console.log(`[first-frame] ${loadBefore}; starting camera, Argus and Chromium`);
  const rig = await startLiveRig({ width: WIDTH, height: HEIGHT, fps: FPS });
  try {
    const page = await rig.newPage();
    const runs: Marks[] = [];
    let failures = 0;
    const meter = new CpuMeter({
      janus: rig.pids.janus,
      ingestFfmpeg: rig.pids.ingestFfmpeg,
      camera: rig.pids.camera,
      chromium: rig.pids.chromium,
      node: () => [process.pid],
    });
    meter.start();
    for (let i = 0; i < RUNS; i++) {
      const key = (await page.evaluate(`window.bench.open(${JSON.stringify({ token: rig.token, cameraId: rig.cameraId, pollDecoded: true })})`)) as number;
      try {
        await page.waitForFunction(`(() => { const m = window.bench.timings(${key}); return !!(m.firstFrame && m.firstDecodedStats); })()`, undefined, {
          timeout: FIRST_FRAME_TIMEOUT_MS,
          polling: 20,
        });
      } catch {
        failures++;
      }
      const marks = (await page.evaluate(`window.bench.timings(${key})`)) as Marks;
      runs.push(marks);
      await page.evaluate(`window.bench.close(${key})`);
      const total = marks.firstFrame && marks.post ? marks.firstFrame - marks.post : null;
      console.log(`[first-frame] run ${i + 1}/${RUNS}: ${total === null ? 'no frame' : `${Math.round(total)} ms`}`);
      // The next tile opens on a relay that has let the last one go.
      const deadline = Date.now() + 5000;
      while (rig.relayViewers() > 0 && Date.now() < deadline) await sleep(20);
      await sleep(300);
    }
    const cpu = meter.stop();
    const loadAfter = loadLine();

    const span = (from: keyof Marks, to: keyof Marks) => runs.filter((m) => m[from] && m[to]).map((m) => m[to]! - m[from]!);
    const total = summarize(span('post', 'firstFrame'));
    const totalStats = summarize(span('post', 'firstDecodedStats'));
    const rows: Array<[string, number[]]> = [
      ['POST viewer → offer back (API + Janus session, handle, watch)', span('post', 'offer')],
      ['offer → answer accepted (createAnswer, ICE gathering, POST answer, Janus start)', span('offer', 'answered')],
      ['answer accepted → first frame painted (ICE, DTLS, key frame, decode, paint)', span('answered', 'firstFrame')],
      ['answer accepted → page sees connectionState "connected"', span('answered', 'connected')],
    ];
    const first = runs[0];
    const firstRun = first?.firstFrame && first.post ? first.firstFrame - first.post : Number.NaN;
    const met = total.p95 <= GOAL_P95_MS && failures === 0;
    console.log(`[first-frame] POST → first frame painted over ${total.n} runs: p50 ${fmt(total.p50)} ms, p95 ${fmt(total.p95)} ms, max ${fmt(total.max)} ms; ${failures} without a frame in ${FIRST_FRAME_TIMEOUT_MS / 1000} s`);

    const body = `## Time to first frame (\`bench/live-first-frame.bench.ts\`)

- Run: ${startedAt.toISOString()}, ${RUNS} runs
- Load: before ${loadBefore}; after ${loadAfter}; the whole machine was ${fmt(cpu.machine)}% busy (of ${cpus().length * 100}%) over the runs
${environmentMarkdown(versions)}

Method: one Chromium page; each run opens a viewer as a wall tile does (\`POST /api/live/:cameraId/viewers\`,
\`setRemoteDescription\`, \`createAnswer\`, wait for ICE gathering, \`POST …/answer\`), waits for the first
\`requestVideoFrameCallback\` (a frame painted) and for the first \`getStats\` with \`framesDecoded\` > 0
(polled every 20 ms), then closes the viewer (\`DELETE\`, \`pc.close()\`) and waits until the relay holds no
viewer. Times from just before the POST. The relay sends a new viewer the camera's latest key frame at once
(\`bufferkf\`), so the 2 s key-frame interval of the camera is not waited for.

${SUMMARY_HEADER}
| **POST viewer → first frame painted (ms)** | ${summaryCells(total)} |
| POST viewer → first getStats with framesDecoded > 0 (ms) | ${summaryCells(totalStats)} |
${rows.map(([what, values]) => `| ${what} (ms) | ${summaryCells(summarize(values))} |`).join('\n')}

- Goal (p95 ≤ ${GOAL_P95_MS} ms): p95 ${fmt(total.p95)} ms, ${met ? 'met' : 'missed'}${failures ? `; ${failures} run(s) had no frame within ${FIRST_FRAME_TIMEOUT_MS / 1000} s` : ''}.
- The first run (a fresh page: Chromium sets up WebRTC and the decoder for the first time) took ${fmt(firstRun)} ms.
- The "connected" event can reach the page after the first frame is painted (it is queued behind it), so
  the last line is not a step of the first.
- CPU over the runs (% of one core): Janus ${fmt(cpu.groups.janus, 1)}, ingest ffmpeg ${fmt(cpu.groups.ingestFfmpeg, 1)},
  camera ${fmt(cpu.groups.camera, 1)}, Chromium ${fmt(cpu.groups.chromium, 1)}, Node (Argus + this script) ${fmt(cpu.groups.node, 1)};
  other processes on the machine ${fmt(othersCpu(cpu), 1)}.`;
    writeLiveSection('first-frame', body);
    console.log(`[first-frame] wrote the "first-frame" section of bench/results/live.md`);
  } finally {
    await rig.stop();
  }
}

runBench(main);
