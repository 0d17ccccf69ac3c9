/**
 * Speed of the recognition pipelines (issue 4, "Speed").
 *
 *   npx tsx bench/analytics.bench.ts [--quick] [--frames 60] [--seconds 15] [--overload-seconds 20]
 *                                    [--cameras 8] [--camera-fps 5] [--models DIR] [--media DIR]
 *
 * Frames from real images: the plate pipeline on 1920×1080 checkpoint frames (hyperlpr_test_img.jpg is
 * 1920×1080; other plate scenes are fitted onto a 1920×1080 canvas), the face pipeline (with embeddings) on
 * 1280×720 frames (couple.jpg, selfie-many-people.jpg, and composites of 3 and 5 face photos). Frames are
 * BGR, as ffmpeg hands them to analytics.
 *
 * 1. Per stage, in one thread (an in-process FrameAnalyzer, 1 ONNX Runtime thread): p50/p95 of each stage
 *    over `--frames` frames after a warm-up, split into inference (inside ONNX Runtime, from the models'
 *    `stats.totalMs`) and the rest; the JavaScript steps timed one by one; and the ratio of pipeline time to
 *    bare inference (`session.run` of the same model sessions on tensors prepared beforehand).
 * 2. Throughput with the AnalysisPool (worker threads): 1 worker × 1 thread, 2 × 1, 1 × 2, for each
 *    pipeline, `--seconds` each, the pool kept busy.
 * 3. Overload: `--cameras` cameras at `--camera-fps` of 1920×1080 frames into the FrameScheduler
 *    (analytics/live/frame-scheduler.ts: per-camera drop-oldest queues, round robin, stale frames dropped)
 *    in front of a 2 × 1 pool, `--overload-seconds`; frames offered / analysed / dropped and latency from
 *    offer to result per 5-s window. Then the same load straight into the pool's FIFO for contrast.
 *
 * Writes bench/results/analytics.md (not with --quick, which runs everything briefly as a check).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { DEFAULT_REQUEST, FrameAnalyzer, type AnalysisRequest } from '../analytics/analyzer.ts';
import { alignFace } from '../analytics/faces/face.pipeline.ts';
import { laplacianVariance } from '../analytics/image/raster-ops.ts';
import { FrameScheduler, type CameraFrameStats } from '../analytics/live/frame-scheduler.ts';
import { DEFAULT_PLATE_OPTIONS, mergeDoubleRow, rectifyPlate } from '../analytics/plates/plate.pipeline.ts';
import { AnalysisPool } from '../analytics/worker/analysis-pool.ts';
import type { PipelineName } from '../contracts/analytics.ts';
import type { VideoFrame } from '../contracts/frames.ts';
import type { OnnxModel } from '../models/onnx-model.ts';
import { toTensor, writeTensor, type Raster } from '../models/raster.ts';
import { analyticsEnvironmentMarkdown, argFlag, argNumber, compositeFrame, frameFromFile, MEDIA_DIR, MODELS_DIR } from './lib/analytics-env.ts';
import { runBench } from './lib/live-rig.ts';
import { CpuMeter, othersCpu } from './lib/proc-cpu.ts';
import { fmt, summarize, type Summary } from './lib/stats.ts';

const QUICK = argFlag('quick');
const FRAMES = Math.round(argNumber('frames', QUICK ? 12 : 60));
const SECONDS = argNumber('seconds', QUICK ? 4 : 15);
const OVERLOAD_SECONDS = argNumber('overload-seconds', QUICK ? 6 : 20);
const FIFO_SECONDS = QUICK ? 3 : 10;
const CAMERAS = Math.round(argNumber('cameras', 8));
const CAMERA_FPS = argNumber('camera-fps', 5);
const WINDOW_S = 5;
const WARMUP_PER_FRAME = 1;
const BARE_REPS = QUICK ? 3 : 15;
const GOAL_FPS = 10;
const GOAL_OVERHEAD = 1.3;
const RESULTS_FILE = fileURLToPath(new URL('./results/analytics.md', import.meta.url));

const log = (...a: unknown[]) => console.log('[analytics]', ...a);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sum = (v: readonly number[]) => v.reduce((a, b) => a + b, 0);
const median = (v: readonly number[]) => summarize(v).p50;

const PLATES: AnalysisRequest = { ...DEFAULT_REQUEST, pipelines: ['plates'] };
const FACES: AnalysisRequest = { ...DEFAULT_REQUEST, pipelines: ['faces'], embeddings: true };

interface BenchFrame {
  name: string;
  image: Raster;
}

async function plateFrames(): Promise<BenchFrame[]> {
  const dir = join(MEDIA_DIR, 'plates/scenes');
  const files = [
    'hyperlpr_test_img.jpg',
    'single_blue.jpg',
    'single_green.jpg',
    'police.jpg',
    'Quicker_20220930_180856.png',
    'hyperlpr_2.jpg',
    'double_yellow.jpg',
    'xue.jpg',
  ];
  return Promise.all(files.map(async (f) => ({ name: f, image: await frameFromFile(join(dir, f), 1920, 1080) })));
}

async function faceFrames(): Promise<BenchFrame[]> {
  const dir = join(MEDIA_DIR, 'faces');
  const five = ['img1.jpg', 'img13.jpg', 'img3.jpg', 'img8.jpg', 'img16.jpg'];
  const three = ['img18.jpg', 'img20.jpg', 'img22.jpg'];
  return [
    { name: 'couple.jpg', image: await frameFromFile(join(dir, 'couple.jpg'), 1280, 720) },
    { name: 'selfie-many-people.jpg', image: await frameFromFile(join(dir, 'selfie-many-people.jpg'), 1280, 720) },
    { name: `composite of 5 (${five.join(', ')})`, image: await compositeFrame(five.map((f) => join(dir, f)), 1280, 720, 5) },
    { name: `composite of 3 (${three.join(', ')})`, image: await compositeFrame(three.map((f) => join(dir, f)), 1280, 720, 3) },
  ];
}

// ───────────────────────────── 1. per stage, one thread ─────────────────────────────

interface StageSample {
  frame: string;
  total: number;
  inference: number;
  /** Per named stage: its wall time and the inference inside it. */
  stages: Record<string, { ms: number; inference: number }>;
  found: number;
}

function modelMs(analyzer: FrameAnalyzer): Record<string, number> {
  return {
    plateDetector: analyzer.plateDetector.stats.totalMs,
    plateRecognizer: analyzer.plateRecognizer.stats.totalMs,
    faceDetector: analyzer.faceDetector.stats.totalMs,
    faceEmbedder: analyzer.faceEmbedder.stats.totalMs,
  };
}

async function measureStages(analyzer: FrameAnalyzer, frames: readonly BenchFrame[], request: AnalysisRequest, n: number): Promise<StageSample[]> {
  for (let w = 0; w < WARMUP_PER_FRAME; w++) for (const f of frames) await analyzer.analyze(f.image, request);
  const out: StageSample[] = [];
  for (let i = 0; i < n; i++) {
    const f = frames[i % frames.length]!;
    const before = modelMs(analyzer);
    const { analysis, timings } = await analyzer.analyze(f.image, request);
    const after = modelMs(analyzer);
    const d = (k: string) => after[k]! - before[k]!;
    const stages: StageSample['stages'] = {};
    if (timings.plateDetect !== undefined) stages['plate detection'] = { ms: timings.plateDetect, inference: d('plateDetector') };
    if (timings.plateRead !== undefined) stages['plate reading'] = { ms: timings.plateRead, inference: d('plateRecognizer') };
    if (timings.faces !== undefined) {
      stages['faces (detect + align + quality + embed)'] = { ms: timings.faces, inference: d('faceDetector') + d('faceEmbedder') };
      stages['  of which face detector inference'] = { ms: d('faceDetector'), inference: d('faceDetector') };
      stages['  of which embedder inference'] = { ms: d('faceEmbedder'), inference: d('faceEmbedder') };
    }
    out.push({ frame: f.name, total: timings.total, inference: timings.inference, stages, found: analysis.plates.length + analysis.faces.length });
  }
  return out;
}

function timeIt<T>(fn: () => T, reps: number): { ms: number; value: T } {
  let value = fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    value = fn();
    times.push(performance.now() - t);
  }
  return { ms: median(times), value };
}

/** Median ms of a model call outside ONNX Runtime: its wall time less the inference its stats counted. */
async function modelOverhead(model: OnnxModel, fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < BARE_REPS; i++) {
    const before = model.stats.totalMs;
    const t = performance.now();
    await fn();
    times.push(performance.now() - t - (model.stats.totalMs - before));
  }
  return median(times);
}

interface BareFrame {
  frame: string;
  /** Median pipeline `total` of this frame in the one-thread run. */
  pipelineMs: number;
  /** Median in-pipeline inference of this frame (models' stats). */
  inPipelineInferenceMs: number;
  /** Bare session.run time of the same work (sum over the runs one analysis makes). */
  bareMs: number;
  /** JavaScript steps of the pipeline, timed alone (median ms per frame). */
  steps: Record<string, number>;
}

/**
 * `reps` rounds of: the whole pipeline on the frame (its time and the inference inside it), then `bare`
 * (which returns the times of its parts). Medians of each.
 */
async function pairedRuns(
  analyzer: FrameAnalyzer,
  image: Raster,
  request: AnalysisRequest,
  bare: () => Promise<number[]>,
): Promise<{ pipelineMs: number; inferenceMs: number; bare: number[] }> {
  await analyzer.analyze(image, request);
  await bare();
  const pipeline: number[] = [];
  const inference: number[] = [];
  const parts: number[][] = [];
  for (let i = 0; i < BARE_REPS; i++) {
    const { timings } = await analyzer.analyze(image, request);
    pipeline.push(timings.total);
    inference.push(timings.inference);
    parts.push(await bare());
  }
  return { pipelineMs: median(pipeline), inferenceMs: median(inference), bare: parts[0]!.map((_, k) => median(parts.map((p) => p[k]!))) };
}

const PLATE_DET_FORMAT = { order: 'rgb', mean: [0, 0, 0], std: [255, 255, 255] } as const;
const PLATE_REC_FORMAT = { order: 'bgr', mean: [0.588 * 255, 0.588 * 255, 0.588 * 255], std: [0.193 * 255, 0.193 * 255, 0.193 * 255] } as const;
const YUNET_FORMAT = { order: 'bgr', mean: [0, 0, 0], std: [1, 1, 1] } as const;
const EMBED_FORMAT = { order: 'rgb', mean: [127.5, 127.5, 127.5], std: [128, 128, 128] } as const;

/**
 * Bare inference per frame: the tensors each model gets for this frame are prepared first (with the
 * same preprocessing as the model classes), then only `session.run` of the analyzer's own sessions is
 * timed. Also times the pipeline's JavaScript steps one by one.
 */
async function barePlates(analyzer: FrameAnalyzer, frames: readonly BenchFrame[]): Promise<BareFrame[]> {
  const det = await analyzer.plateDetector.load();
  const rec = await analyzer.plateRecognizer.load();
  const out: BareFrame[] = [];
  for (const f of frames) {
    const pre = timeIt(() => toTensor(f.image, 640, 640, PLATE_DET_FORMAT, { kind: 'letterbox', align: 'center', pad: 114 }), BARE_REPS);
    const detFeeds = { input: new ort.Tensor('float32', pre.value.data, [1, 3, 640, 640]) };
    const detectOverhead = await modelOverhead(analyzer.plateDetector, () => analyzer.plateDetector.detect(f.image));
    const candidates = await analyzer.plates.detect(f.image, DEFAULT_PLATE_OPTIONS);
    const rect = timeIt(() => candidates.map((c) => (c.layers === 2 ? mergeDoubleRow(rectifyPlate(f.image, c.corners, c.layers)) : rectifyPlate(f.image, c.corners, c.layers))), BARE_REPS);
    const crops = rect.value;
    let recFeeds: Record<string, ort.Tensor> | null = null;
    let recPre = 0;
    if (crops.length > 0) {
      const plane = 3 * 48 * 168;
      const build = () => {
        const data = new Float32Array(crops.length * plane);
        crops.forEach((c, i) => writeTensor(c, 168, 48, PLATE_REC_FORMAT, { kind: 'stretch' }, data, i * plane));
        return data;
      };
      const t = timeIt(build, BARE_REPS);
      recPre = t.ms;
      recFeeds = { input: new ort.Tensor('float32', t.value, [crops.length, 3, 48, 168]) };
    }
    // Pipeline and bare inference in turn, so that both see the same load on a shared machine.
    const paired = await pairedRuns(analyzer, f.image, PLATES, async () => {
      const t0 = performance.now();
      await det.run(detFeeds);
      const t1 = performance.now();
      if (recFeeds) await rec.run(recFeeds);
      return [t1 - t0, performance.now() - t1];
    });
    const detMs = paired.bare[0]!;
    const recMs = paired.bare[1]!;
    out.push({
      frame: f.name,
      pipelineMs: paired.pipelineMs,
      inPipelineInferenceMs: paired.inferenceMs,
      bareMs: detMs + recMs,
      steps: {
        'detector preprocessing: letterbox 1920×1080 → 640×640 tensor (toTensor)': pre.ms,
        'detector postprocessing: decode 25200 anchors (detect() − its inference − toTensor)': Math.max(0, detectOverhead - pre.ms),
        'rectify + double-row merge of the candidates (warpRaster)': rect.ms,
        'recogniser preprocessing: crops → [n,3,48,168] (writeTensor)': recPre,
        'bare detector session.run': detMs,
        'bare recogniser session.run (batch of the frame’s candidates)': recMs,
      },
    });
  }
  return out;
}

async function bareFaces(analyzer: FrameAnalyzer, frames: readonly BenchFrame[]): Promise<BareFrame[]> {
  const det = await analyzer.faceDetector.load();
  const emb = await analyzer.faceEmbedder.load();
  const out: BareFrame[] = [];
  for (const f of frames) {
    const scale = Math.min(1, 640 / Math.max(f.image.width, f.image.height));
    const tw = Math.max(32, Math.ceil((f.image.width * scale) / 32) * 32);
    const th = Math.max(32, Math.ceil((f.image.height * scale) / 32) * 32);
    const pre = timeIt(() => toTensor(f.image, tw, th, YUNET_FORMAT, { kind: 'letterbox', align: 'top-left', pad: 0 }), BARE_REPS);
    const detFeeds = { input: new ort.Tensor('float32', pre.value.data, [1, 3, th, tw]) };
    const detectOverhead = await modelOverhead(analyzer.faceDetector, () => analyzer.faceDetector.detect(f.image));
    const faces = await analyzer.faces.run(f.image, { minFaceSize: FACES.minFaceSize, embed: false, minEmbedQuality: 0 });
    const align = timeIt(() => faces.map((face) => alignFace(f.image, face.landmarks)), BARE_REPS);
    const sharp = timeIt(() => align.value.map((a) => laplacianVariance(a)), BARE_REPS);
    const embPre = timeIt(() => align.value.map((a) => toTensor(a, 112, 112, EMBED_FORMAT, { kind: 'stretch' })), BARE_REPS);
    const embFeeds = embPre.value.map((t) => ({ input: new ort.Tensor('float32', t.data, [1, 3, 112, 112]) }));
    const paired = await pairedRuns(analyzer, f.image, FACES, async () => {
      const t0 = performance.now();
      await det.run(detFeeds);
      const t1 = performance.now();
      for (const feeds of embFeeds) await emb.run(feeds);
      return [t1 - t0, performance.now() - t1];
    });
    const detMs = paired.bare[0]!;
    const embMs = paired.bare[1]!;
    out.push({
      frame: f.name,
      pipelineMs: paired.pipelineMs,
      inPipelineInferenceMs: paired.inferenceMs,
      bareMs: detMs + embMs,
      steps: {
        [`detector preprocessing: 1280×720 → ${tw}×${th} tensor (toTensor)`]: pre.ms,
        'detector postprocessing: decode anchors (detect() − its inference − toTensor)': Math.max(0, detectOverhead - pre.ms),
        'alignment of the faces to 112×112 (warpRaster)': align.ms,
        'sharpness of the aligned faces (laplacianVariance)': sharp.ms,
        'embedder preprocessing (toTensor 112×112)': embPre.ms,
        'bare detector session.run': detMs,
        'bare embedder session.run (one per face)': embMs,
      },
    });
  }
  return out;
}

const stageRows = (samples: readonly StageSample[]): string[] => {
  const names = Object.keys(samples[0]?.stages ?? {});
  const row = (label: string, values: number[]) => {
    const s = summarize(values);
    return `| ${label} | ${fmt(s.p50, 1)} | ${fmt(s.p95, 1)} | ${fmt(s.mean, 1)} |`;
  };
  const rows: string[] = [];
  for (const n of names) {
    const st = samples.map((s) => s.stages[n]!);
    if (n.startsWith('  ')) {
      rows.push(row(`&nbsp;&nbsp;${n.trim()}`, st.map((x) => x.ms)));
      continue;
    }
    rows.push(row(`**${n}**`, st.map((x) => x.ms)));
    rows.push(row(`&nbsp;&nbsp;inference (ONNX Runtime)`, st.map((x) => x.inference)));
    rows.push(row(`&nbsp;&nbsp;pre/postprocessing (the rest)`, st.map((x) => x.ms - x.inference)));
  }
  rows.push(row('**whole analyze()**', samples.map((s) => s.total)));
  rows.push(row('&nbsp;&nbsp;inference (ONNX Runtime)', samples.map((s) => s.inference)));
  rows.push(row('&nbsp;&nbsp;everything else', samples.map((s) => s.total - s.inference)));
  return rows;
};

// ───────────────────────────── 2. throughput ─────────────────────────────

interface ThroughputRow {
  pipeline: PipelineName;
  workers: number;
  threads: number;
  frames: number;
  seconds: number;
  fps: number;
  cpu: number;
  others: number;
  inWorker: Summary;
}

async function throughput(pipeline: PipelineName, frames: readonly BenchFrame[], workers: number, threads: number): Promise<ThroughputRow> {
  const request = pipeline === 'plates' ? PLATES : FACES;
  const pool = await AnalysisPool.start({ modelsDir: MODELS_DIR, workers, threadsPerWorker: threads, preload: [pipeline], preloadEmbeddings: pipeline === 'faces' });
  try {
    // Warm-up: every worker analyses a few frames.
    await Promise.all(Array.from({ length: workers * 3 }, (_, i) => pool.analyze(frames[i % frames.length]!.image, request)));
    const meter = new CpuMeter({ bench: () => [process.pid] });
    const inWorker: number[] = [];
    let done = 0;
    let next = 0;
    const stopAt = performance.now() + SECONDS * 1000;
    const started = performance.now();
    meter.start();
    // Keep two frames per worker in the pool (one running, one waiting) so no worker idles.
    const lane = async () => {
      while (performance.now() < stopAt) {
        const outcome = await pool.analyze(frames[next++ % frames.length]!.image, request);
        inWorker.push(outcome.timings.total);
        done++;
      }
    };
    await Promise.all(Array.from({ length: workers * 2 }, lane));
    const seconds = (performance.now() - started) / 1000;
    const cpu = meter.stop();
    return { pipeline, workers, threads, frames: done, seconds, fps: done / seconds, cpu: cpu.groups.bench!, others: othersCpu(cpu), inWorker: summarize(inWorker) };
  } finally {
    await pool.close();
  }
}

/** What the 1 × 2 rows say about intra-op threads, in words (only what the numbers show). */
function threadNote(rows: readonly ThroughputRow[]): string {
  const notes: string[] = [];
  for (const p of ['plates', 'faces'] as const) {
    const one = rows.find((r) => r.pipeline === p && r.workers === 1 && r.threads === 1);
    const two = rows.find((r) => r.pipeline === p && r.workers === 1 && r.threads === 2);
    const pair = rows.find((r) => r.pipeline === p && r.workers === 2 && r.threads === 1);
    if (!one || !two || !pair) continue;
    notes.push(
      `${p}: 1 × 2 gives ${two.fps.toFixed(1)} frames/s at ${two.cpu.toFixed(0)} % CPU against ${one.fps.toFixed(1)} at ${one.cpu.toFixed(0)} % for 1 × 1 and ${pair.fps.toFixed(1)} for 2 × 1`,
    );
  }
  return notes.length
    ? `Intra-op threads against workers: ${notes.join('; ')}. A second ONNX Runtime thread in one worker ${rows.some((r) => r.threads === 2 && r.fps < (rows.find((o) => o.pipeline === r.pipeline && o.workers === 1 && o.threads === 1)?.fps ?? 0)) ? 'made the pipeline slower while using more CPU' : 'helped less than a second worker'} here: these models are too small to split well, so parallelism should come from workers (Argus runs one ONNX Runtime thread per worker unless configured otherwise).`
    : '';
}

// ───────────────────────────── 3. overload ─────────────────────────────

interface Done {
  camera: string;
  offeredAt: number;
  doneAt: number;
}

interface OverloadResult {
  stats: CameraFrameStats[];
  queuedAtStop: Map<string, number>;
  done: Done[];
  windows: { from: number; to: number; offered: number; analysed: number; dropped: number; latency: Summary }[];
  cpu: number;
  others: number;
  seconds: number;
  workers: number;
}

const nowMs = () => performance.now();

async function overload(frames: readonly BenchFrame[]): Promise<OverloadResult> {
  const workers = 2;
  const pool = await AnalysisPool.start({ modelsDir: MODELS_DIR, workers, threadsPerWorker: 1, preload: ['plates'] });
  try {
    await Promise.all(Array.from({ length: workers * 2 }, (_, i) => pool.analyze(frames[i % frames.length]!.image, PLATES)));
    const done: Done[] = [];
    const scheduler = new FrameScheduler(
      async (frame: VideoFrame) => {
        await pool.analyze({ width: frame.width, height: frame.height, order: frame.format === 'bgr24' ? 'bgr' : 'rgb', data: frame.data }, PLATES);
        done.push({ camera: frame.cameraId, offeredAt: frame.capturedAt, doneAt: nowMs() });
      },
      { concurrency: pool.size, now: nowMs },
    );
    const meter = new CpuMeter({ bench: () => [process.pid] });
    const start = nowMs();
    const snapshots: { at: number; stats: CameraFrameStats[] }[] = [{ at: 0, stats: scheduler.stats() }];
    meter.start();
    const timers: NodeJS.Timeout[] = [];
    const period = 1000 / CAMERA_FPS;
    for (let c = 0; c < CAMERAS; c++) {
      const cameraId = `cam${c + 1}`;
      const frame = frames[c % frames.length]!.image;
      scheduler.configure(cameraId, { fps: null, enabled: true });
      // Cameras start out of phase, as real ones do.
      timers.push(
        setTimeout(() => {
          const push = () => scheduler.push({ cameraId, capturedAt: nowMs(), width: frame.width, height: frame.height, format: 'bgr24', data: frame.data });
          push();
          timers.push(setInterval(push, period));
        }, (c * period) / CAMERAS),
      );
    }
    const snapTimer = setInterval(() => snapshots.push({ at: nowMs() - start, stats: scheduler.stats() }), WINDOW_S * 1000);
    await sleep(OVERLOAD_SECONDS * 1000);
    for (const t of timers) clearInterval(t);
    clearInterval(snapTimer);
    const atStop = scheduler.stats();
    const seconds = (nowMs() - start) / 1000;
    snapshots.push({ at: nowMs() - start, stats: atStop });
    await scheduler.close();
    const cpu = meter.stop();
    const total = (s: CameraFrameStats[], k: 'received' | 'dropped' | 'stale' | 'analysed') => sum(s.map((x) => x[k]));
    const windows = snapshots.slice(1).map((snap, i) => {
      const prev = snapshots[i]!;
      const inWindow = done.filter((d) => d.doneAt - start >= prev.at && d.doneAt - start < snap.at);
      return {
        from: prev.at / 1000,
        to: snap.at / 1000,
        offered: total(snap.stats, 'received') - total(prev.stats, 'received'),
        analysed: inWindow.length,
        dropped: total(snap.stats, 'dropped') + total(snap.stats, 'stale') - total(prev.stats, 'dropped') - total(prev.stats, 'stale'),
        latency: summarize(inWindow.map((d) => d.doneAt - d.offeredAt)),
      };
    });
    return {
      stats: scheduler.stats(),
      queuedAtStop: new Map(atStop.map((s) => [s.cameraId, s.queued])),
      done,
      windows,
      cpu: cpu.groups.bench!,
      others: othersCpu(cpu),
      seconds,
      workers,
    };
  } finally {
    await pool.close();
  }
}

interface FifoResult {
  offered: number;
  analysed: number;
  waitingAtStop: number;
  latency: Summary;
  lastLatency: number;
}

/**
 * The same cameras into one unbounded first-in-first-out queue (what the pool's own waiting list is),
 * for contrast: nothing is dropped, so the delay grows as long as the overload lasts. The queue is
 * ours and feeds the pool only when a worker is idle, so that at the end the waiting frames can be
 * discarded and only the frames being analysed are waited for (closing the pool while a worker is
 * inside ONNX Runtime can abort the process: see the report).
 */
async function fifo(frames: readonly BenchFrame[]): Promise<FifoResult> {
  const pool = await AnalysisPool.start({ modelsDir: MODELS_DIR, workers: 2, threadsPerWorker: 1, preload: ['plates'] });
  const latencies: number[] = [];
  const queue: { image: Raster; at: number }[] = [];
  const timers: NodeJS.Timeout[] = [];
  let offered = 0;
  let lastLatency = 0;
  let running = 0;
  let drained: (() => void) | null = null;
  const pump = () => {
    while (pool.idle > 0 && queue.length > 0) {
      const job = queue.shift()!;
      running++;
      pool
        .analyze(job.image, PLATES)
        .then(() => {
          lastLatency = nowMs() - job.at;
          latencies.push(lastLatency);
        })
        .catch(() => undefined)
        .finally(() => {
          running--;
          if (drained && running === 0) drained();
          else pump();
        });
    }
  };
  try {
    await Promise.all(Array.from({ length: 4 }, (_, i) => pool.analyze(frames[i % frames.length]!.image, PLATES)));
    const period = 1000 / CAMERA_FPS;
    for (let c = 0; c < CAMERAS; c++) {
      const image = frames[c % frames.length]!.image;
      const push = () => {
        offered++;
        queue.push({ image, at: nowMs() });
        pump();
      };
      timers.push(
        setTimeout(() => {
          push();
          timers.push(setInterval(push, period));
        }, (c * period) / CAMERAS),
      );
    }
    await sleep(FIFO_SECONDS * 1000);
    for (const t of timers) clearInterval(t);
    const result = { offered, analysed: latencies.length, waitingAtStop: queue.length, latency: summarize(latencies), lastLatency };
    queue.length = 0;
    if (running > 0) await new Promise<void>((r) => (drained = r));
    return result;
  } finally {
    await pool.close();
  }
}

// ───────────────────────────── main ─────────────────────────────

async function main(): Promise<void> {
  const startedAt = new Date();
  log(`frames: ${FRAMES} per pipeline (one thread), throughput ${SECONDS} s per configuration, overload ${OVERLOAD_SECONDS} s`);
  const plates = await plateFrames();
  const faces = await faceFrames();

  // 1. Per stage, one thread.
  const analyzer = new FrameAnalyzer({ modelsDir: MODELS_DIR, threads: 1 });
  await analyzer.load(['plates', 'faces'], true);
  log('per-stage timing: plates');
  const plateSamples = await measureStages(analyzer, plates, PLATES, FRAMES);
  log('per-stage timing: faces');
  const faceSamples = await measureStages(analyzer, faces, FACES, FRAMES);
  const plateCounts = new Map<string, string>();
  for (const f of plates) plateCounts.set(f.name, (await analyzer.analyze(f.image, PLATES)).analysis.plates.map((p) => p.text).join(', ') || '–');
  const faceCounts = new Map<string, number>();
  for (const f of faces) faceCounts.set(f.name, (await analyzer.analyze(f.image, FACES)).analysis.faces.length);
  log('bare inference');
  const plateBare = await barePlates(analyzer, plates);
  const faceBare = await bareFaces(analyzer, faces);
  await analyzer.close();

  const ratio = (rows: BareFrame[]) => ({
    bare: sum(rows.map((r) => r.pipelineMs)) / sum(rows.map((r) => r.bareMs)),
    inPipeline: sum(rows.map((r) => r.pipelineMs)) / sum(rows.map((r) => r.inPipelineInferenceMs)),
  });
  const plateRatio = ratio(plateBare);
  const faceRatio = ratio(faceBare);
  const p50 = (s: StageSample[]) => summarize(s.map((x) => x.total)).p50;
  log(`plates one thread: p50 ${p50(plateSamples).toFixed(1)} ms/frame; ratio to bare inference ${plateRatio.bare.toFixed(2)}× (to in-pipeline inference ${plateRatio.inPipeline.toFixed(2)}×)`);
  log(`faces one thread: p50 ${p50(faceSamples).toFixed(1)} ms/frame; ratio to bare inference ${faceRatio.bare.toFixed(2)}× (to in-pipeline inference ${faceRatio.inPipeline.toFixed(2)}×)`);

  // 2. Throughput.
  const configs: [number, number][] = [
    [1, 1],
    [2, 1],
    [1, 2],
  ];
  const tp: ThroughputRow[] = [];
  for (const pipeline of ['plates', 'faces'] as const) {
    for (const [w, t] of configs) {
      const row = await throughput(pipeline, pipeline === 'plates' ? plates : faces, w, t);
      log(`${pipeline} ${w} worker(s) × ${t} thread(s): ${row.fps.toFixed(1)} frames/s (${row.frames} in ${row.seconds.toFixed(1)} s), CPU ${row.cpu.toFixed(0)} %, others ${row.others.toFixed(0)} %`);
      tp.push(row);
    }
  }

  // 3. Overload.
  log(`overload: ${CAMERAS} cameras × ${CAMERA_FPS} fps for ${OVERLOAD_SECONDS} s`);
  const ov = await overload(plates);
  for (const w of ov.windows) log(`  ${w.from.toFixed(0)}–${w.to.toFixed(0)} s: offered ${w.offered}, analysed ${w.analysed}, dropped ${w.dropped}, latency p50 ${fmt(w.latency.p50)} p95 ${fmt(w.latency.p95)} max ${fmt(w.latency.max)} ms`);
  log(`fifo contrast: ${FIFO_SECONDS} s`);
  const ff = await fifo(plates);
  log(`  FIFO: offered ${ff.offered}, analysed ${ff.analysed}, waiting ${ff.waitingAtStop}, latency p50 ${fmt(ff.latency.p50)} max ${fmt(ff.latency.max)} ms`);

  // Results.
  const best = (p: PipelineName) => [...tp.filter((r) => r.pipeline === p)].sort((a, b) => b.fps - a.fps)[0]!;
  const bp = best('plates');
  const bf = best('faces');
  const overAll = summarize(ov.done.map((d) => d.doneAt - d.offeredAt));
  const totals = {
    received: sum(ov.stats.map((s) => s.received)),
    analysed: sum(ov.stats.map((s) => s.analysed)),
    dropped: sum(ov.stats.map((s) => s.dropped)),
    stale: sum(ov.stats.map((s) => s.stale)),
    skipped: sum(ov.stats.map((s) => s.skipped)),
    failed: sum(ov.stats.map((s) => s.failed)),
    queued: sum([...ov.queuedAtStop.values()]),
  };
  const stepRows = (rows: BareFrame[]) => {
    const names = Object.keys(rows[0]?.steps ?? {});
    return names.map((n) => `| ${n} | ${rows.map((r) => fmt(r.steps[n], 1)).join(' | ')} |`).join('\n');
  };
  const perFrameHeader = (rows: BareFrame[]) => `| step (median ms per frame) | ${rows.map((r) => r.frame).join(' | ')} |\n|---|${rows.map(() => '---').join('|')}|`;
  const ratioRows = (rows: BareFrame[]) =>
    [
      `| pipeline analyze() (p50 of the one-thread run) | ${rows.map((r) => fmt(r.pipelineMs, 1)).join(' | ')} |`,
      `| inference inside it (models' stats.totalMs) | ${rows.map((r) => fmt(r.inPipelineInferenceMs, 1)).join(' | ')} |`,
      `| **pipeline ÷ bare inference** | ${rows.map((r) => fmt(r.pipelineMs / r.bareMs, 2)).join(' | ')} |`,
    ].join('\n');

  const md = `# Analytics speed

Written by \`npx tsx bench/analytics.bench.ts\` (issue 4, "Speed").${QUICK ? ' **Quick run (--quick): too few frames to trust.**' : ''}

${analyticsEnvironmentMarkdown(startedAt, [
  `Threads: section 1 one in-process FrameAnalyzer with 1 ONNX Runtime intra-op thread (inter-op 1, sequential); sections 2–3 the AnalysisPool (worker threads, each with its own sessions) as configured per row`,
  `This machine is shared: the "others" column is the CPU other processes took during each measurement (% of one core; ${'2 cores = 200 %'}). Numbers taken while others were busy are low; re-take them on a quiet machine.`,
])}

## Summary

| what | result | goal | |
|---|---|---|---|
| plate pipeline, 1920×1080, best pool configuration (${bp.workers} × ${bp.threads}) | ${bp.fps.toFixed(1)} frames/s | ≥ ${GOAL_FPS} frames/s | ${bp.fps >= GOAL_FPS ? 'met' : '**not met**'} |
| face pipeline with embeddings, 1280×720, best pool configuration (${bf.workers} × ${bf.threads}) | ${bf.fps.toFixed(1)} frames/s | ≥ ${GOAL_FPS} frames/s | ${bf.fps >= GOAL_FPS ? 'met' : '**not met**'} |
| frames/s per core (1 worker × 1 thread): plates / faces | ${tp.find((r) => r.pipeline === 'plates' && r.workers === 1 && r.threads === 1)!.fps.toFixed(1)} / ${tp.find((r) => r.pipeline === 'faces' && r.workers === 1 && r.threads === 1)!.fps.toFixed(1)} frames/s | – | |
| plate pipeline ÷ bare inference (one thread) | ${plateRatio.bare.toFixed(2)}× | ≤ ${GOAL_OVERHEAD}× | ${plateRatio.bare <= GOAL_OVERHEAD ? 'met' : '**not met**'} |
| face pipeline ÷ bare inference (one thread) | ${faceRatio.bare.toFixed(2)}× | ≤ ${GOAL_OVERHEAD}× | ${faceRatio.bare <= GOAL_OVERHEAD ? 'met' : '**not met**'} |
| overload (${CAMERAS} cameras × ${CAMERA_FPS} fps = ${CAMERAS * CAMERA_FPS} frames/s offered): latency offer → result | p50 ${fmt(overAll.p50)} / p95 ${fmt(overAll.p95)} / max ${fmt(overAll.max)} ms, ${totals.dropped + totals.stale} of ${totals.received} frames dropped | bounded | see the windows below |

## Frames

Real photos as camera frames (BGR, as ffmpeg delivers them): the plate frames are 1920×1080 (hyperlpr_test_img.jpg
is 1920×1080 already; the other scenes are scaled to fit and centred on a dark 1920×1080 canvas); the face frames
1280×720 (the photo fitted and centred, or 3 / 5 face photos side by side).

| plate frame (1920×1080) | plates read |
|---|---|
${plates.map((f) => `| ${f.name} | ${plateCounts.get(f.name)} |`).join('\n')}

| face frame (1280×720) | faces found (min size ${FACES.minFaceSize} px) |
|---|---|
${faces.map((f) => `| ${f.name} | ${faceCounts.get(f.name)} |`).join('\n')}

## 1. Per stage, one thread

One \`FrameAnalyzer\` in this process, 1 ONNX Runtime thread; each frame analysed once as warm-up, then ${FRAMES} frames
per pipeline (the frames above in turn). Stage times are \`analyze()\`'s own \`timings\`; "inference" is the time
inside \`session.run\` from the models' \`stats.totalMs\` accumulated during the stage; the rest is pre- and
postprocessing in JavaScript (tensor building, decoding, NMS, rectification / alignment, sharpness, grammar).

Plate pipeline (1920×1080, ${FRAMES} frames), ms:

| stage | p50 | p95 | mean |
|---|---|---|---|
${stageRows(plateSamples).join('\n')}

Face pipeline with embeddings (1280×720, ${FRAMES} frames), ms:

| stage | p50 | p95 | mean |
|---|---|---|---|
${stageRows(faceSamples).join('\n')}

### Pipeline time ÷ bare inference

"Bare inference" is \`session.run\` of the analyzer's own ONNX Runtime sessions (obtained with \`model.load()\`) on
tensors prepared beforehand with the models' preprocessing, timed alone (median of ${BARE_REPS} runs) and summed over the
runs one analysis of that frame makes (plates: detector + recogniser batch of the frame's candidates; faces:
detector + one embedder run per face). The ratio is Σ pipeline p50 ÷ Σ bare inference over the frames:
**plates ${plateRatio.bare.toFixed(2)}×, faces ${faceRatio.bare.toFixed(2)}×** (goal ≤ ${GOAL_OVERHEAD}×). Against the inference measured inside the
pipeline run (\`stats.totalMs\`, which also includes ONNX Runtime's input/output conversion in onnxruntime-node):
plates ${plateRatio.inPipeline.toFixed(2)}×, faces ${faceRatio.inPipeline.toFixed(2)}×.

The JavaScript steps, each timed alone on the same frames (median ms per frame), show where the overhead goes:

${perFrameHeader(plateBare)}
${stepRows(plateBare)}
${ratioRows(plateBare)}

${perFrameHeader(faceBare)}
${stepRows(faceBare)}
${ratioRows(faceBare)}

## 2. Throughput with the analysis pool

\`AnalysisPool\` (worker threads, each with its own sessions), models preloaded, 3 frames per worker as
warm-up, then ${SECONDS} s with two frames per worker always submitted (one running, one waiting), cycling through
the frames. "Cores used" is workers × threads; "CPU" is this process's CPU (all its threads) during the
window, % of one core; "frames/s per busy core" = frames/s ÷ (CPU / 100); "in worker" is \`analyze()\`'s own
total in the worker (p50 / p95 ms).

| pipeline | workers × threads | frames | frames/s | frames/s per core used | CPU % | frames/s per busy core | in worker p50 / p95 ms | others' CPU % |
|---|---|---|---|---|---|---|---|---|
${tp.map((r) => `| ${r.pipeline === 'plates' ? 'plates 1920×1080' : 'faces + embeddings 1280×720'} | ${r.workers} × ${r.threads} | ${r.frames} | ${r.fps.toFixed(1)} | ${(r.fps / (r.workers * r.threads)).toFixed(1)} | ${r.cpu.toFixed(0)} | ${(r.fps / Math.max(0.01, r.cpu / 100)).toFixed(1)} | ${fmt(r.inWorker.p50)} / ${fmt(r.inWorker.p95)} | ${r.others.toFixed(0)} |`).join('\n')}

${threadNote(tp)}

## 3. Overload

${CAMERAS} simulated cameras, each offering a 1920×1080 plate frame every ${(1000 / CAMERA_FPS).toFixed(0)} ms (${CAMERA_FPS} fps; ${CAMERAS * CAMERA_FPS} frames/s in all,
out of phase), for ${OVERLOAD_SECONDS} s, into \`FrameScheduler\` (analytics/live/frame-scheduler.ts, its defaults: 1 frame queued
per camera, drop-oldest, cameras served in turn, frames older than 2000 ms dropped as stale) with concurrency
${ov.workers} in front of an \`AnalysisPool\` of ${ov.workers} workers × 1 thread, plate pipeline. Latency = offer → result
received. Frames still queued when the cameras stop are discarded by \`close()\` (not dropped for load). CPU of
this process ${ov.cpu.toFixed(0)} %, others ${ov.others.toFixed(0)} %.

Per ${WINDOW_S}-s window (analysed and latency by the time the result came back):

| window (s) | offered | analysed | dropped (full queue + stale) | latency p50 ms | p95 | max |
|---|---|---|---|---|---|---|
${ov.windows.map((w) => `| ${w.from.toFixed(0)}–${w.to.toFixed(0)} | ${w.offered} | ${w.analysed} | ${w.dropped} | ${fmt(w.latency.p50)} | ${fmt(w.latency.p95)} | ${fmt(w.latency.max)} |`).join('\n')}
| **all** | ${totals.received} | ${totals.analysed} | ${totals.dropped + totals.stale} | ${fmt(overAll.p50)} | ${fmt(overAll.p95)} | ${fmt(overAll.max)} |

Per camera:

| camera | offered | analysed | dropped (full queue) | dropped (stale) | queued at stop | failed | latency p50 / p95 ms |
|---|---|---|---|---|---|---|---|
${ov.stats
  .map((s) => {
    const l = summarize(ov.done.filter((d) => d.camera === s.cameraId).map((d) => d.doneAt - d.offeredAt));
    return `| ${s.cameraId} | ${s.received} | ${s.analysed} | ${s.dropped} | ${s.stale} | ${ov.queuedAtStop.get(s.cameraId) ?? 0} | ${s.failed} | ${fmt(l.p50)} / ${fmt(l.p95)} |`;
  })
  .join('\n')}

Analysed ${(totals.analysed / ov.seconds).toFixed(1)} frames/s of ${(totals.received / ov.seconds).toFixed(1)} offered. For contrast, the same ${CAMERAS} cameras for ${FIFO_SECONDS} s
into one unbounded first-in-first-out queue in front of the same pool (as the pool's own waiting list
behaves; nothing dropped): ${ff.offered} offered, ${ff.analysed} analysed
within the ${FIFO_SECONDS} s, **${ff.waitingAtStop} still waiting** at the end; latency p50 ${fmt(ff.latency.p50)} ms, max ${fmt(ff.latency.max)} ms, and the last
result ${fmt(ff.lastLatency)} ms after its frame: without dropping, the delay grows for as long as the overload lasts.

## Re-running

\`npx tsx bench/analytics.bench.ts\` (about ${Math.round((6 * (SECONDS + 4) + OVERLOAD_SECONDS + FIFO_SECONDS + 60) / 60)} minutes) on a quiet machine;
\`--frames N\`, \`--seconds S\`, \`--overload-seconds S\`, \`--cameras N\`, \`--camera-fps F\` change the amounts;
\`--quick\` runs everything briefly and writes nothing.
`;
  if (QUICK) {
    console.log(md);
    log('quick run: results file not written');
    return;
  }
  mkdirSync(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
  writeFileSync(RESULTS_FILE, md);
  log(`wrote ${RESULTS_FILE}`);
}

runBench(main);
