/**
 * Camera to checkpoint terminal (issue 5, "Benchmarks"): the time from the first frame showing a
 * listed plate leaving the RTSP source to the alert drawn on the checkpoint terminal in Chromium.
 *
 *   npx tsx bench/camera-to-terminal.bench.ts [--passes 50]
 *
 * The whole chain is real: a clip of 5 vehicles (real plate photos) cutting in one after another,
 * served by the GStreamer test camera with its frame counter; ingest (ffmpeg) → analytics (ONNX, worker
 * threads) → tracker (first confident read) → sighting stored → watchlist match → alert stored →
 * socket.io → the terminal page. Each vehicle's segment also carries a grey marker square whose level
 * says which vehicle it is; a reference RTSP client (bench/lib/gst-marker-client.py) reads the frame
 * number and marker of every frame, so the first frame of each pass is known exactly, and the camera's
 * frame log gives when that frame was sent. The terminal's hook gives when each alert was drawn.
 * Results go to the "camera-to-terminal" section of bench/results/alerts.md.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Alert } from '../contracts/alerts.ts';
import type { Sighting } from '../contracts/sightings.ts';
import { ensureWebBuilt, launchChromium, signIn } from '../test/browser/browser.ts';
import { MEDIA_DIR, MODELS_DIR } from '../test/helpers/plate-clip.ts';
import { readFrameLog, startRtspCamera } from '../test/helpers/rtsp-camera.ts';
import { startTestSystem } from '../test/helpers/system.ts';
import { argNumber } from './lib/analytics-env.ts';
import { ALERTS_RESULTS_FILE, ALERTS_RESULTS_LAYOUT } from './lib/alerts-results.ts';
import { runBench } from './lib/live-rig.ts';
import { loadLine, machineInfo } from './lib/machine.ts';
import { writeSection } from './lib/results-file.ts';
import { fmt, summarize, summaryCells, SUMMARY_HEADER } from './lib/stats.ts';

const run = promisify(execFile);
const PASSES = argNumber('passes', 50);
const VEHICLES = [
  { image: 'plates/scenes/single_yellow.jpg', text: '皖K66666' },
  { image: 'plates/scenes/police.jpg', text: '鄂F8888警' },
  { image: 'plates/scenes/single_green.jpg', text: '沪AF71017' },
  { image: 'plates/scenes/xue.jpg', text: '琼A6716学' },
  { image: 'plates/scenes/double_yellow.jpg', text: '京EA5331' },
];
const SHOW = 2.5; // seconds a vehicle is in view
const GAP = 1.5; // seconds of empty road after it
const PERIOD = SHOW + GAP;
const W = 1280;
const H = 720;
/** Marker grey per vehicle (index 0 = no vehicle). */
const LEVELS = [0, 50, 100, 150, 200, 250];
const lumaOf = (grey: number) => 16 + (219 * grey) / 255;

async function makeClip(dir: string): Promise<string> {
  const path = join(dir, 'checkpoint.mp4');
  const duration = VEHICLES.length * PERIOD;
  const inputs = VEHICLES.flatMap((v) => ['-loop', '1', '-framerate', '25', '-t', String(duration), '-i', join(MEDIA_DIR, v.image)]);
  let graph = '';
  let last = '0:v';
  VEHICLES.forEach((_, i) => {
    const a = i * PERIOD;
    graph += `[${i + 1}:v]scale=${W}:${H}:force_original_aspect_ratio=decrease,format=yuv420p[s${i}];`;
    graph += `[${last}][s${i}]overlay=x=(W-w)/2:y=(H-h)/2:enable='between(t,${a},${a + SHOW - 0.001})'[v${i}];`;
    last = `v${i}`;
  });
  const boxes = VEHICLES.map((_, i) => {
    const g = LEVELS[i + 1]!.toString(16).padStart(2, '0');
    return `drawbox=x=0:y=ih-64:w=64:h=64:color=0x${g}${g}${g}:t=fill:enable='between(t,${i * PERIOD},${i * PERIOD + SHOW - 0.001})'`;
  });
  graph += `[${last}]drawbox=x=0:y=ih-64:w=64:h=64:color=black:t=fill,${boxes.join(',')}[out]`;
  await run('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `color=c=0x505050:s=${W}x${H}:r=25:d=${duration}`,
    ...inputs,
    '-filter_complex', graph, '-map', '[out]', '-t', String(duration),
    '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'baseline', '-g', '25', '-pix_fmt', 'yuv420p', path,
  ]);
  return path;
}

/** Frame number → marker vehicle (0 none, 1..5), read by the reference client. */
function markerClient(url: string, seconds: number): { done: Promise<Map<number, number>> } {
  const child = spawn('/usr/bin/python3', [join(import.meta.dirname, 'lib', 'gst-marker-client.py'), url, String(seconds)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const frames = new Map<number, number>();
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      const [n, luma] = line.split('\t').map(Number);
      if (n === undefined || luma === undefined || n < 0) continue;
      let best = 0;
      LEVELS.forEach((g, i) => {
        if (Math.abs(lumaOf(g) - luma) < Math.abs(lumaOf(LEVELS[best]!) - luma)) best = i;
      });
      frames.set(n, best);
    }
  });
  return { done: new Promise((resolve) => child.on('exit', () => resolve(frames))) };
}

async function main(): Promise<void> {
  ensureWebBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'argus-c2t-'));
  const frameLogFile = join(dir, 'frames.tsv');
  const seconds = Math.ceil((PASSES / VEHICLES.length) * VEHICLES.length * PERIOD + 40);
  process.stderr.write(`[c2t] composing the clip; ${PASSES} passes take about ${seconds} s\n`);
  const clip = await makeClip(dir);
  const camera = await startRtspCamera({ mounts: [{ path: 'lane', source: { kind: 'file', path: clip }, width: W, height: H, fps: 10, frameCounter: true }], frameLogFile });
  const sys = await startTestSystem({
    config: {
      roles: ['api', 'worker', 'ingest', 'analytics'],
      modelsDir: MODELS_DIR,
      relay: { enabled: false },
      ingest: { roundSeconds: 1, leaseSeconds: 5, recording: { enabled: false }, analytics: { fps: 5, width: W } },
    },
  });
  const browser = await launchChromium();
  try {
    const admin = await sys.login(sys.admin.username, sys.admin.password);
    const post = async (path: string, body: unknown) => {
      const res = await sys.api(path, { token: admin, body });
      if (res.status !== 200 && res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as { id: string };
    };
    const site = await post('/api/sites', { name: '基准卡口', kind: 'checkpoint', code: 'BENCH' });
    const list = await post('/api/watchlists', { name: 'bench', kind: 'plate', level: 'red', covert: false });
    for (const v of VEHICLES) await post(`/api/watchlists/${list.id}/entries`, { plate: v.text, reason: 'benchmark' });
    await sys.createUser({ username: 'bench.kk', password: 'bench-password-1', roles: ['checkpoint'] });

    const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    await signIn(page, sys.baseUrl, { username: 'bench.kk', password: 'bench-password-1' });
    await page.locator('[data-screen=checkpoint]').click();
    await page.getByTestId('terminal-site').selectOption(site.id);
    await page.waitForFunction(() => document.querySelector('[data-testid=terminal-link]')?.getAttribute('data-connected') === 'true');

    const markers = markerClient(camera.plainUrl('lane'), seconds);
    const cam = await post('/api/cameras', { name: '基准车道', sourceKind: 'rtsp', sourceUrl: camera.url('lane'), siteId: site.id });
    const settings = await sys.api(`/api/cameras/${cam.id}/analytics`, { token: admin, method: 'PUT', body: { pipelines: ['plates'], fps: 5 } });
    if (settings.status !== 200) throw new Error(`analytics settings: ${settings.status}`);

    // Wait for the passes (alerts of the camera) or the time.
    const deadline = Date.now() + seconds * 1000;
    let alerts: Alert[] = [];
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5000));
      const res = await sys.api('/api/alerts?limit=200', { token: admin });
      if (res.status !== 200) throw new Error(`GET /api/alerts: ${res.status} ${JSON.stringify(res.body)}`);
      // One pass is one sighting: a refined read that matched a second entry is not another pass.
      const seen = new Set<string>();
      alerts = (res.body.items as Alert[]).filter((a) => a.sighting.id !== null && !seen.has(a.sighting.id) && seen.add(a.sighting.id));
      process.stderr.write(`[c2t] ${alerts.length} alerts\n`);
      if (alerts.length >= PASSES + 1) break;
    }
    const drawn = (await page.evaluate(() => window.__argusTerminal?.drawnAt() ?? {})) as Record<string, number>;
    await sys.api(`/api/cameras/${cam.id}`, { token: admin, method: 'PATCH', body: { enabled: false } });
    const frames = await markers.done;
    const sent = readFrameLog(frameLogFile, 'lane');

    // First frame of each pass: where the marker turns to a vehicle.
    const passStarts: Array<{ vehicle: number; frame: number; sentAt: number }> = [];
    const ordered = [...frames.entries()].sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < ordered.length; i++) {
      const [n, v] = ordered[i]!;
      if (v > 0 && ordered[i - 1]![1] !== v && ordered[i - 1]![0] === n - 1 && sent.has(n)) passStarts.push({ vehicle: v, frame: n, sentAt: sent.get(n)! });
    }
    const rows: Array<{ total: number; toSighting: number; toAlert: number; toScreen: number }> = [];
    let unmatched = 0;
    for (const alert of alerts.slice(0, PASSES + 1).reverse().slice(1)) {
      // The first pass is left out: the camera's connection was still being set up.
      const at = drawn[alert.id];
      const vehicle = VEHICLES.findIndex((v) => v.text === alert.sighting.plateText) + 1;
      const start = passStarts.filter((p) => p.vehicle === vehicle && p.sentAt < (at ?? 0)).at(-1);
      if (!at || !start) {
        unmatched++;
        continue;
      }
      const sighting = (await sys.api(`/api/sightings/${alert.sighting.id}`, { token: admin })).body as Sighting;
      rows.push({
        total: at - start.sentAt,
        toSighting: Date.parse(sighting.createdAt) - start.sentAt,
        toAlert: Date.parse(alert.createdAt) - Date.parse(sighting.createdAt),
        toScreen: at - Date.parse(alert.createdAt),
      });
    }
    const total = summarize(rows.map((r) => r.total));
    const m = machineInfo();
    const body = [
      '## Camera to terminal',
      '',
      `\`npx tsx bench/camera-to-terminal.bench.ts\`, run ${new Date().toISOString()}; ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, Linux ${m.kernel}; ${loadLine()} at the end.`,
      `Everything on this one machine: the GStreamer test camera (1280×720, 10 fps, H.264), Argus with the api, worker, ingest and`,
      `analytics roles (frames decoded at 5 fps, 1280 wide; plate pipeline in 2 worker threads), PGlite, Redis, and Chromium showing`,
      `the checkpoint terminal. ${VEHICLES.length} vehicles (real plate photos) cut in for ${SHOW} s each, ${GAP} s apart, looped;`,
      `each on a red list. From the first frame showing the plate leaving the camera (frame counter + send log) to the alert drawn`,
      `on the terminal (the page's own timestamp after the frame that shows it). ${rows.length} passes measured${unmatched ? `, ${unmatched} not matched to a pass` : ''}.`,
      '',
      `**p50 ${fmt(total.p50)} ms, p95 ${fmt(total.p95)} ms** (goal: p95 ≤ 1000 ms; the plans ask for 5 s).`,
      '',
      SUMMARY_HEADER,
      `| camera frame sent → alert drawn on the terminal | ${summaryCells(total)} |`,
      `| frame sent → sighting stored (ingest, queue, analysis of ≥ 2 frames, track vote) | ${summaryCells(summarize(rows.map((r) => r.toSighting)))} |`,
      `| sighting stored → alert stored (watchlist match) | ${summaryCells(summarize(rows.map((r) => r.toAlert)))} |`,
      `| alert stored → drawn on the terminal (socket.io, React) | ${summaryCells(summarize(rows.map((r) => r.toScreen)))} |`,
      '',
      'Where the time goes: ingest (x264 in the test camera, RTSP, ffmpeg demuxing one frame behind at 10 fps, decoding,',
      'conversion) about 250–400 ms; up to one analysis interval (200 ms at 5 fps) before the first analysed frame shows',
      'the plate; the first confident read needs two agreeing reads, so one more interval; analysis about 100 ms per frame;',
      'evidence JPEGs and the row about 50–90 ms. Earlier versions lost 300 ms more in ffmpeg (the `fps` filter held frames',
      'back to choose among them, and frame-threaded decoding held one frame per thread): frames are now chosen with',
      '`select` as they are decoded and decoded with slice threads, and the analysis threads run at nice 10 so that ingest',
      'is not starved. A single confident read would save another ~200 ms but misreads at high scores are common (see',
      '`accuracy.md`), so two agreeing reads stay the rule.',
    ].join('\n');
    process.stderr.write(`${body}\n`);
    writeSection(ALERTS_RESULTS_FILE, ALERTS_RESULTS_LAYOUT, 'camera-to-terminal', body);
    await context.close();
  } finally {
    await browser.close();
    await sys.stop();
    await camera.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

runBench(main);
