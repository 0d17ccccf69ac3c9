/**
 * Accuracy of the recognition pipelines on the real test media (issue 4, "Accuracy").
 *
 *   npx tsx bench/accuracy.bench.ts [--quick] [--no-alt-embedder] [--models DIR] [--media DIR]
 *
 * 1. Plate crops (`plates/crops/lprnet`, 1000 crops, truth = file name; `plates/crops/labelled`, truth after
 *    the last `_`): `PlatePipeline.readCrops` in batches of 32; exact reads and reads ignoring the province
 *    character, grammar rejections, colours, failures and which positions fail. Then test-time augmentation
 *    (several views of each crop read in one batch, combined by `voteText`).
 * 2. Plate scenes (`plates/scenes`, `labels.json`, `ccpd/`): `FrameAnalyzer.analyze` with the plate pipeline
 *    and default options; detector-level recall from `plates.detect`, plates reported on no-plate images,
 *    text + colour + rows on the 14 fully labelled scenes.
 * 3. Faces (`faces/master.csv`): cosine similarity of the largest face of each photo per pair, with the
 *    default embedder (mobilefacenet) and the 512-d alternative; threshold, TAR at zero false accepts,
 *    histograms (`bench/results/face-scores.svg`); face quality of downscaled and blurred faces.
 *
 * Writes bench/results/accuracy.md and bench/results/face-scores.svg. `--quick` runs a subset (100 lprnet
 * crops, a few scenes, 60 face pairs, no alternative embedder) to check that everything works, prints the
 * numbers and writes nothing.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { DEFAULT_MODEL_NAMES, DEFAULT_REQUEST, FrameAnalyzer, type AnalysisRequest } from '../analytics/analyzer.ts';
import { faceQuality, type QualityParts } from '../analytics/faces/face-quality.ts';
import type { FaceResult } from '../analytics/faces/face.pipeline.ts';
import { iou } from '../analytics/geometry/boxes.ts';
import { laplacianVariance, warpRaster } from '../analytics/image/raster-ops.ts';
import { checkPlate, normalisePlateText, plateWithoutProvince } from '../analytics/plates/plate-grammar.ts';
import { DEFAULT_PLATE_OPTIONS, rectifyPlate, type CropRead } from '../analytics/plates/plate.pipeline.ts';
import { voteText } from '../analytics/tracking/track-vote.ts';
import type { Box, PlateRead } from '../contracts/analytics.ts';
import type { Raster } from '../models/raster.ts';
import { analyticsEnvironmentMarkdown, argFlag, loadRaster, MEDIA_DIR, MODELS_DIR, pct } from './lib/analytics-env.ts';
import { runBench } from './lib/live-rig.ts';
import { histogramSvg } from './lib/svg-histogram.ts';

const QUICK = argFlag('quick');
const ALT_EMBEDDER = !argFlag('no-alt-embedder') && !QUICK;
const RESULTS_FILE = fileURLToPath(new URL('./results/accuracy.md', import.meta.url));
const SVG_FILE = fileURLToPath(new URL('./results/face-scores.svg', import.meta.url));
const THREADS = 1;
const CROP_BATCH = 32;

const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png', '.bmp', '.webp']);
const log = (...a: unknown[]) => console.log('[accuracy]', ...a);

// ───────────────────────────── plate crops ─────────────────────────────

/**
 * Single or double row from the crop's proportions. A double-row plate is 440×220 mm (2:1) and a
 * single-row one 440×140 (3.1:1), but tight crops of single-row plates seen at an angle come as
 * narrow as 1.9:1 (hyperlpr_0_津B6H920 is 104×54). So: a crop of width/height ≥ `DOUBLE_ROW_MAX_ASPECT`
 * is single-row; a narrower one is read both ways and taken as double-row only when the double-row
 * read passes the plate grammar and scores higher than the single-row read.
 */
const DOUBLE_ROW_MAX_ASPECT = 2.6;

interface CropCase {
  set: 'lprnet' | 'labelled';
  file: string;
  truth: string;
  image: Raster;
  aspect: number;
  layers: 1 | 2;
}

interface LayerDecision {
  file: string;
  aspect: number;
  single: CropRead;
  double: CropRead;
  chosen: 1 | 2;
}

async function imageFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => IMAGE_EXT.has(extname(f).toLowerCase())).sort();
}

async function loadCrops(): Promise<CropCase[]> {
  const out: CropCase[] = [];
  const lprDir = join(MEDIA_DIR, 'plates/crops/lprnet');
  let lpr = await imageFiles(lprDir);
  if (QUICK) lpr = lpr.slice(0, 100);
  for (const f of lpr) {
    const image = await loadRaster(join(lprDir, f));
    out.push({ set: 'lprnet', file: f, truth: basename(f, extname(f)), image, aspect: image.width / image.height, layers: 1 });
  }
  const labDir = join(MEDIA_DIR, 'plates/crops/labelled');
  for (const f of await imageFiles(labDir)) {
    const image = await loadRaster(join(labDir, f));
    const stem = basename(f, extname(f));
    out.push({ set: 'labelled', file: f, truth: stem.slice(stem.lastIndexOf('_') + 1), image, aspect: image.width / image.height, layers: 1 });
  }
  return out;
}

async function readInBatches(analyzer: FrameAnalyzer, crops: readonly { image: Raster; layers: 1 | 2 }[]): Promise<CropRead[]> {
  const reads: CropRead[] = [];
  for (let i = 0; i < crops.length; i += CROP_BATCH) reads.push(...(await analyzer.plates.readCrops(crops.slice(i, i + CROP_BATCH))));
  return reads;
}

/** Decide `layers` of every crop (see DOUBLE_ROW_MAX_ASPECT); returns the decisions for narrow crops. */
async function decideLayers(analyzer: FrameAnalyzer, crops: CropCase[]): Promise<LayerDecision[]> {
  const narrow = crops.filter((c) => c.aspect < DOUBLE_ROW_MAX_ASPECT);
  if (narrow.length === 0) return [];
  const singles = await readInBatches(analyzer, narrow.map((c) => ({ image: c.image, layers: 1 })));
  const doubles = await readInBatches(analyzer, narrow.map((c) => ({ image: c.image, layers: 2 })));
  return narrow.map((c, i) => {
    const single = singles[i]!;
    const double = doubles[i]!;
    const chosen: 1 | 2 = double.text !== null && (single.text === null || double.score > single.score) ? 2 : 1;
    c.layers = chosen;
    return { file: c.file, aspect: c.aspect, single, double, chosen };
  });
}

interface Scored {
  c: CropCase;
  read: CropRead;
  /** What the pipeline would show: the grammar-checked text, or the raw read when refused. */
  shown: string;
  exact: boolean;
  noProvince: boolean;
}

function scoreRead(c: CropCase, read: CropRead): Scored {
  const truth = normalisePlateText(c.truth);
  const shown = read.text ?? normalisePlateText(read.raw);
  return { c, read, shown, exact: read.text === truth, noProvince: plateWithoutProvince(shown) === plateWithoutProvince(truth) };
}

type FailureKind = 'province only' | 'province and other characters' | 'other characters only' | 'missing or extra characters';

function failureKind(truth: string, read: string): { kind: FailureKind; positions: number[] } {
  const t = Array.from(normalisePlateText(truth));
  const r = Array.from(read);
  if (t.length !== r.length) return { kind: 'missing or extra characters', positions: [] };
  const positions = t.map((ch, i) => (ch === r[i] ? -1 : i)).filter((i) => i >= 0);
  const province = positions.includes(0);
  if (province && positions.length === 1) return { kind: 'province only', positions };
  if (province) return { kind: 'province and other characters', positions };
  return { kind: 'other characters only', positions };
}

interface SetReport {
  name: string;
  n: number;
  exact: number;
  noProvince: number;
  rejected: number;
  rejectionReasons: Map<string, number>;
  colours: Map<string, number>;
  invalidTruths: string[];
  failures: Scored[];
  kinds: Map<FailureKind, number>;
  positions: Map<number, number>;
  provinceConfusions: Map<string, number>;
}

function bump<K>(m: Map<K, number>, k: K, by = 1): void {
  m.set(k, (m.get(k) ?? 0) + by);
}

function summariseSet(name: string, scored: readonly Scored[]): SetReport {
  const r: SetReport = {
    name,
    n: scored.length,
    exact: 0,
    noProvince: 0,
    rejected: 0,
    rejectionReasons: new Map(),
    colours: new Map(),
    invalidTruths: [],
    failures: [],
    kinds: new Map(),
    positions: new Map(),
    provinceConfusions: new Map(),
  };
  for (const s of scored) {
    if (s.exact) r.exact++;
    if (s.noProvince) r.noProvince++;
    if (s.read.text === null) {
      r.rejected++;
      bump(r.rejectionReasons, s.read.rejected ?? 'unknown');
    }
    bump(r.colours, s.read.colour);
    if (!checkPlate(s.c.truth).ok) r.invalidTruths.push(s.c.truth);
    if (!s.exact) {
      r.failures.push(s);
      const f = failureKind(s.c.truth, s.shown);
      bump(r.kinds, f.kind);
      for (const p of f.positions) bump(r.positions, p);
      if (f.positions.includes(0)) bump(r.provinceConfusions, `${Array.from(s.c.truth)[0]}→${Array.from(s.shown)[0]}`);
    }
  }
  return r;
}

function provinceShare(scored: readonly Scored[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const s of scored) bump(m, Array.from(s.c.truth)[0]!);
  return m;
}

const topEntries = <K>(m: Map<K, number>, n: number) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);

function failureLine(s: Scored): string {
  const raw = s.read.text === null ? ` (refused by the grammar: ${s.read.rejected})` : '';
  return `${s.c.truth} → ${s.shown || '(nothing)'}${raw}, score ${s.read.score.toFixed(2)}`;
}

/** Test-time augmentation: views of a crop as source rectangles in fractions of its width and height. */
const TTA_VIEWS: Record<string, readonly [number, number, number, number] | null> = {
  original: null,
  tight3: [0.03, 0.03, 0.97, 0.97],
  pad5: [-0.05, -0.05, 1.05, 1.05],
  up6: [0, -0.06, 1, 0.94],
  down6: [0, 0.06, 1, 1.06],
  left3: [-0.03, 0, 0.97, 1],
  right3: [0.03, 0, 1.03, 1],
};
const TTA_NAMES = Object.keys(TTA_VIEWS);
const TTA_SETS: Record<string, readonly string[]> = {
  'original + tight3 + pad5': ['original', 'tight3', 'pad5'],
  'original + up6 + down6': ['original', 'up6', 'down6'],
  'original + left3 + right3': ['original', 'left3', 'right3'],
  'original + tight3 + pad5 + up6 + down6': ['original', 'tight3', 'pad5', 'up6', 'down6'],
  'all 7 views': TTA_NAMES,
};

/**
 * The part of `src` given by a rectangle in fractions of its size (may reach outside: edge pixels are
 * repeated, as warpRaster does), resampled once to the recogniser's input size (168×48; double-row
 * crops to 96 px high before their merge).
 */
function view(src: Raster, rect: readonly [number, number, number, number], layers: 1 | 2): Raster {
  const outH = layers === 2 ? 96 : 48;
  const outW = layers === 2 ? Math.max(16, Math.round((src.width / src.height) * 96)) : 168;
  const x0 = rect[0] * src.width;
  const x1 = rect[2] * src.width;
  const y0 = rect[1] * src.height;
  const y1 = rect[3] * src.height;
  const a = (x1 - x0) / outW;
  const e = (y1 - y0) / outH;
  return warpRaster(src, outW, outH, [a, 0, x0 + 0.5 * a - 0.5, 0, e, y0 + 0.5 * e - 0.5, 0, 0, 1]);
}

interface TtaResult {
  /** Per crop, per view name, the read. */
  reads: Map<string, CropRead>[];
}

async function runTta(analyzer: FrameAnalyzer, crops: readonly CropCase[]): Promise<TtaResult> {
  const reads: Map<string, CropRead>[] = [];
  const perCall = Math.max(1, Math.floor(CROP_BATCH / TTA_NAMES.length));
  for (let i = 0; i < crops.length; i += perCall) {
    const group = crops.slice(i, i + perCall);
    const inputs = group.flatMap((c) => TTA_NAMES.map((v) => ({ image: TTA_VIEWS[v] ? view(c.image, TTA_VIEWS[v]!, c.layers) : c.image, layers: c.layers })));
    const out = await analyzer.plates.readCrops(inputs);
    group.forEach((_, gi) => reads.push(new Map(TTA_NAMES.map((v, vi) => [v, out[gi * TTA_NAMES.length + vi]!]))));
    if ((i / perCall) % 50 === 0) log(`TTA ${Math.min(crops.length, i + perCall)}/${crops.length}`);
  }
  return { reads };
}

/** The vote of some views of one crop: each grammar-valid read votes with its score (size 1). */
function voteViews(reads: Map<string, CropRead>, views: readonly string[]): CropRead {
  const attempts = views.map((v) => reads.get(v)!);
  const winner = voteText(attempts.map((r) => ({ text: r.text ?? '', score: r.score, size: 1 })));
  const original = reads.get('original')!;
  if (!winner) return { ...original, text: null };
  const best = attempts.find((r) => r.text === winner.text && r.score === winner.bestScore) ?? original;
  return { ...best, text: winner.text, score: winner.weight / winner.count };
}

// ───────────────────────────── plate scenes ─────────────────────────────

interface PlateLabel {
  text: string;
  colour: string;
  layers: 1 | 2;
}

interface SceneLabel {
  plates?: PlateLabel[];
  partial?: string[];
  none?: boolean;
  note?: string;
}

interface SceneRow {
  file: string;
  labelled: SceneLabel | null;
  detected: number;
  expected: number;
  reads: PlateRead[];
  /** Per labelled plate: the matching read's text / colour / rows correct. */
  plateChecks: { truth: PlateLabel; read: PlateRead | null; text: boolean; colour: boolean; layers: boolean }[];
  extra: PlateRead[];
  /** Detector candidates that were not reported: what the recogniser read and why it was dropped. */
  dropped: string[];
}

const PLATES_ONLY: AnalysisRequest = { ...DEFAULT_REQUEST, pipelines: ['plates'] };

function matchesPartial(text: string, partial: string): boolean {
  const re = new RegExp(`^${Array.from(partial).map((ch) => (ch === '?' ? '.' : ch.replace(/[.*+^$()[\]{}|\\]/g, '\\$&'))).join('')}$`, 'u');
  return re.test(text);
}

async function runScene(analyzer: FrameAnalyzer, path: string, label: SceneLabel | null, expectedDefault: number): Promise<SceneRow> {
  const image = await loadRaster(path);
  const candidates = await analyzer.plates.detect(image, DEFAULT_PLATE_OPTIONS);
  const { analysis } = await analyzer.analyze(image, PLATES_ONLY);
  const reads = analysis.plates;
  const truths = label?.plates ?? [];
  const used = new Set<PlateRead>();
  const plateChecks = truths.map((truth) => {
    const read = reads.find((r) => !used.has(r) && r.text === truth.text) ?? null;
    if (read) used.add(read);
    return { truth, read, text: read !== null, colour: read?.colour === truth.colour, layers: read?.layers === truth.layers };
  });
  const extra = reads.filter((r) => !used.has(r) && !(label?.partial ?? []).some((p) => matchesPartial(r.text, p)));
  // Why a detected plate was not reported: read each candidate again as PlatePipeline.read does.
  const dropped: string[] = [];
  if (candidates.length > reads.length) {
    const again = await analyzer.plates.readCrops(candidates.map((c) => ({ image: rectifyPlate(image, c.corners, c.layers), layers: c.layers })));
    candidates.forEach((c, i) => {
      const r = again[i]!;
      const score = c.score * r.score;
      if (r.text !== null && score >= DEFAULT_PLATE_OPTIONS.minReadScore && reads.some((x) => x.text === r.text)) return;
      const why = r.text === null ? `refused by the grammar: ${r.rejected}` : `score ${score.toFixed(2)} (detection ${c.score.toFixed(2)} × read ${r.score.toFixed(2)}) < ${DEFAULT_PLATE_OPTIONS.minReadScore}`;
      dropped.push(`"${r.raw || '(nothing)'}" ${c.layers === 2 ? 'double' : 'single'}-row, ${why}`);
    });
  }
  const expected = label ? truths.length + (label.partial?.length ?? 0) : expectedDefault;
  return { file: basename(path), labelled: label, detected: candidates.length, expected, reads, plateChecks, extra, dropped };
}

const readsText = (reads: readonly PlateRead[]) =>
  reads.length ? reads.map((r) => `${r.text} (${r.colour}, ${r.layers === 2 ? 'double' : 'single'}, ${r.score.toFixed(2)})`).join('; ') : '–';

// ───────────────────────────── faces ─────────────────────────────

interface Pair {
  a: string;
  b: string;
  same: boolean;
}

async function readPairs(): Promise<Pair[]> {
  const text = await readFile(join(MEDIA_DIR, 'faces/master.csv'), 'utf8');
  const pairs = text
    .split(/\r?\n/)
    .slice(1)
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [a, b, d] = l.split(',').map((s) => s.trim());
      return { a: a!, b: b!, same: d === 'Yes' };
    });
  return QUICK ? [...pairs.filter((p) => p.same).slice(0, 20), ...pairs.filter((p) => !p.same).slice(0, 40)] : pairs;
}

const largest = <T extends { box: Box }>(faces: readonly T[]): T | undefined =>
  [...faces].sort((x, y) => (y.box[2] - y.box[0]) * (y.box[3] - y.box[1]) - (x.box[2] - x.box[0]) * (x.box[3] - x.box[1]))[0];

const dot = (a: readonly number[], b: readonly number[]) => a.reduce((s, v, i) => s + v * b[i]!, 0);

interface EmbedderReport {
  name: string;
  dims: number;
  missing: string[];
  same: number[];
  diff: number[];
  sameMin: number;
  sameMean: number;
  diffMax: number;
  diffMean: number;
  separated: boolean;
  threshold: number;
  tarAtZeroFar: number;
  /** Same-person pairs at or below the highest different-person score: [pair, score]. */
  rejectedSame: [string, number][];
  msPerFace: number;
}

async function embedAll(analyzer: FrameAnalyzer, files: readonly string[]): Promise<{ faces: Map<string, FaceResult>; msPerFace: number }> {
  const faces = new Map<string, FaceResult>();
  const before = analyzer.faceEmbedder.stats.totalMs;
  const runsBefore = analyzer.faceEmbedder.stats.runs;
  for (const f of files) {
    const image = await loadRaster(join(MEDIA_DIR, 'faces', f));
    const face = largest(await analyzer.faces.run(image, { minFaceSize: 20, embed: true, minEmbedQuality: 0 }));
    if (face?.embedding) faces.set(f, face);
  }
  const runs = analyzer.faceEmbedder.stats.runs - runsBefore;
  return { faces, msPerFace: runs ? (analyzer.faceEmbedder.stats.totalMs - before) / runs : Number.NaN };
}

function verify(name: string, pairs: readonly Pair[], faces: Map<string, FaceResult>, msPerFace: number, files: readonly string[]): EmbedderReport {
  const same: number[] = [];
  const diff: number[] = [];
  const sameScored: [string, number][] = [];
  for (const p of pairs) {
    const ea = faces.get(p.a)?.embedding;
    const eb = faces.get(p.b)?.embedding;
    if (!ea || !eb) continue;
    const s = dot(ea, eb);
    if (p.same) {
      same.push(s);
      sameScored.push([`${p.a} / ${p.b}`, s]);
    } else diff.push(s);
  }
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
  const sameMin = Math.min(...same);
  const diffMax = Math.max(...diff);
  const separated = sameMin > diffMax;
  const sameTotal = pairs.filter((p) => p.same).length;
  return {
    name,
    dims: faces.values().next().value?.embedding?.length ?? 0,
    missing: files.filter((f) => !faces.has(f)),
    same,
    diff,
    sameMin,
    sameMean: mean(same),
    diffMax,
    diffMean: mean(diff),
    separated,
    threshold: separated ? (sameMin + diffMax) / 2 : diffMax,
    tarAtZeroFar: same.filter((s) => s > diffMax).length / Math.max(1, sameTotal),
    rejectedSame: sameScored.filter(([, s]) => s <= diffMax).sort((a, b) => a[1] - b[1]),
    msPerFace,
  };
}

/** A raster resized with sharp (Lanczos, with proper antialiasing), as optics and a camera's scaler would. */
async function resizeSmooth(src: Raster, width: number, height: number): Promise<Raster> {
  const { data, info } = await sharp(Buffer.from(src.data.buffer, src.data.byteOffset, src.data.length), { raw: { width: src.width, height: src.height, channels: 3 } })
    .resize(width, height, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, order: src.order, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/** Box blur with a (2r+1)² kernel, edges repeated (separable: rows, then columns). */
function boxBlur(src: Raster, r: number): Raster {
  if (r <= 0) return src;
  const { width: w, height: h } = src;
  const pass = (inp: Uint8Array, horizontal: boolean): Uint8Array => {
    const out = new Uint8Array(inp.length);
    const n = 2 * r + 1;
    const lines = horizontal ? h : w;
    const len = horizontal ? w : h;
    for (let line = 0; line < lines; line++) {
      for (let c = 0; c < 3; c++) {
        const at = (i: number) => {
          const k = Math.min(len - 1, Math.max(0, i));
          return horizontal ? (line * w + k) * 3 + c : (k * w + line) * 3 + c;
        };
        let sum = 0;
        for (let i = -r; i <= r; i++) sum += inp[at(i)]!;
        for (let i = 0; i < len; i++) {
          out[at(i)] = Math.round(sum / n);
          sum += inp[at(i + r + 1)]! - inp[at(i - r)]!;
        }
      }
    }
    return out;
  };
  return { width: w, height: h, order: src.order, data: pass(pass(src.data, true), false) };
}

interface DegradedRow {
  level: string;
  tried: number;
  found: number;
  quality: number[];
  parts: QualityParts[];
  similarity: number[];
  side: number[];
}

async function degradation(analyzer: FrameAnalyzer, files: readonly string[], reference: Map<string, FaceResult>): Promise<DegradedRow[]> {
  const sizes = [0, 112, 64, 40, 28, 20];
  const blurs = [1, 2, 3, 5];
  const rows = new Map<string, DegradedRow>();
  const row = (level: string) => {
    let r = rows.get(level);
    if (!r) rows.set(level, (r = { level, tried: 0, found: 0, quality: [], parts: [], similarity: [], side: [] }));
    return r;
  };
  const measure = async (level: string, image: Raster, expectBox: Box, ref: FaceResult) => {
    const r = row(level);
    r.tried++;
    const faces = await analyzer.faces.run(image, { minFaceSize: 1, embed: true, minEmbedQuality: 0 });
    const face = faces.map((f) => ({ f, o: iou(f.box, expectBox) })).sort((a, b) => b.o - a.o)[0];
    if (!face || face.o < 0.3) return;
    const f = face.f;
    r.found++;
    const parts = faceQuality(f.box, f.landmarks, laplacianVariance(f.aligned));
    r.quality.push(f.quality);
    r.parts.push(parts);
    r.side.push(Math.min(f.box[2] - f.box[0], f.box[3] - f.box[1]));
    if (f.embedding && ref.embedding) r.similarity.push(dot(f.embedding, ref.embedding));
  };
  const scaleBox = (b: Box, s: number): Box => [b[0] * s, b[1] * s, b[2] * s, b[3] * s];
  for (const file of files) {
    const ref = reference.get(file);
    if (!ref) continue;
    const image = await loadRaster(join(MEDIA_DIR, 'faces', file));
    const side = Math.min(ref.box[2] - ref.box[0], ref.box[3] - ref.box[1]);
    for (const target of sizes) {
      const s = target === 0 ? 1 : Math.min(1, target / side);
      const small = s === 1 ? image : await resizeSmooth(image, Math.max(1, Math.round(image.width * s)), Math.max(1, Math.round(image.height * s)));
      await measure(target === 0 ? 'original photo' : `face ≈ ${target} px`, small, scaleBox(ref.box, small.width / image.width), ref);
    }
    // Blur at a size where the aligned 112×112 face is about 1:1 with the image.
    const s = Math.min(1, 112 / side);
    const base = s === 1 ? image : await resizeSmooth(image, Math.round(image.width * s), Math.round(image.height * s));
    for (const r of blurs) await measure(`face ≈ 112 px, box blur ${2 * r + 1}×${2 * r + 1}`, boxBlur(base, r), scaleBox(ref.box, base.width / image.width), ref);
  }
  return [...rows.values()];
}

// ───────────────────────────── main ─────────────────────────────

const f1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '–');
const f3 = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : '–');
const mean = (v: readonly number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : Number.NaN);

async function main(): Promise<void> {
  const startedAt = new Date();
  const runtime = { modelsDir: MODELS_DIR, threads: THREADS };
  const analyzer = new FrameAnalyzer(runtime);
  await analyzer.load(['plates', 'faces'], true);
  const md: string[] = [];
  const summary: string[] = [];

  // ── 1. Plate crops ──
  log('loading plate crops');
  const crops = await loadCrops();
  const decisions = await decideLayers(analyzer, crops);
  const t0 = performance.now();
  const reads = await readInBatches(analyzer, crops);
  const cropMs = (performance.now() - t0) / crops.length;
  const scored = crops.map((c, i) => scoreRead(c, reads[i]!));
  const sets = (['lprnet', 'labelled'] as const).map((s) => summariseSet(s, scored.filter((x) => x.c.set === s)));
  for (const s of sets) log(`${s.name}: ${s.n} crops, exact ${pct(s.exact, s.n)}, ignoring the province ${pct(s.noProvince, s.n)}, refused by the grammar ${s.rejected}`);
  const lpr = sets[0]!;

  log('test-time augmentation');
  const tta = await runTta(analyzer, crops);
  const ttaRows: { name: string; views: readonly string[]; exact: Record<string, number>; noProvince: Record<string, number>; fixed: number; broken: number }[] = [];
  const candidates: [string, readonly string[]][] = [...TTA_NAMES.map((v) => [`${v} alone`, [v]] as [string, readonly string[]]), ...Object.entries(TTA_SETS)];
  for (const [name, views] of candidates) {
    const exact: Record<string, number> = { lprnet: 0, labelled: 0 };
    const noProvince: Record<string, number> = { lprnet: 0, labelled: 0 };
    let fixed = 0;
    let broken = 0;
    crops.forEach((c, i) => {
      const s = scoreRead(c, voteViews(tta.reads[i]!, views));
      if (s.exact) exact[c.set]!++;
      if (s.noProvince) noProvince[c.set]!++;
      if (s.exact && !scored[i]!.exact) fixed++;
      if (!s.exact && scored[i]!.exact) broken++;
    });
    ttaRows.push({ name, views, exact, noProvince, fixed, broken });
  }
  const oracle: Record<string, number> = { lprnet: 0, labelled: 0 };
  crops.forEach((c, i) => {
    if (TTA_NAMES.some((v) => tta.reads[i]!.get(v)!.text === normalisePlateText(c.truth))) oracle[c.set]!++;
  });
  const nSet = { lprnet: lpr.n, labelled: sets[1]!.n };
  for (const r of ttaRows) log(`TTA ${r.name}: lprnet exact ${pct(r.exact.lprnet!, nSet.lprnet)} (fixed ${r.fixed}, broke ${r.broken})`);
  const bestTta = [...ttaRows.filter((r) => r.views.length > 1)].sort((a, b) => b.exact.lprnet! + b.exact.labelled! - (a.exact.lprnet! + a.exact.labelled!))[0]!;

  const head = (): string => `# Accuracy of the recognition pipelines

Written by \`npx tsx bench/accuracy.bench.ts\` (issue 4, "Accuracy"). Real images from \`../shared/media\`, real
models from \`../shared/models\` (default model set: ${Object.values(DEFAULT_MODEL_NAMES).join(', ')}); the code measured is
the production code (\`FrameAnalyzer\`, \`PlatePipeline.readCrops\`, \`FacePipeline\`), ONNX Runtime with ${THREADS} intra-op threads.

${analyticsEnvironmentMarkdown(startedAt)}

## Summary

| what | result | goal | |
|---|---|---|---|`;
  summary.push(
    `| plate crops (lprnet, ${lpr.n}): exact read | ${pct(lpr.exact, lpr.n)} | ≥ 89 % | ${lpr.exact / lpr.n >= 0.89 ? 'met' : '**not met**'} |`,
    `| plate crops (lprnet): ignoring the province character | ${pct(lpr.noProvince, lpr.n)} | ≥ 95 % | ${lpr.noProvince / lpr.n >= 0.95 ? 'met' : '**not met**'} |`,
    `| plate crops (labelled, ${sets[1]!.n}): exact read | ${pct(sets[1]!.exact, sets[1]!.n)} | – | |`,
    `| plate crops with the best TTA (${bestTta.name}): lprnet exact | ${pct(bestTta.exact.lprnet!, lpr.n)} | "more is welcome" | ${bestTta.exact.lprnet! > lpr.exact ? `+${bestTta.exact.lprnet! - lpr.exact} crops` : 'no gain'} |`,
  );

  // ── 2. Plate scenes ──
  log('plate scenes');
  const sceneDir = join(MEDIA_DIR, 'plates/scenes');
  const labels = JSON.parse(await readFile(join(sceneDir, 'labels.json'), 'utf8')) as Record<string, SceneLabel | string>;
  const labelled = Object.entries(labels).filter((e): e is [string, SceneLabel] => typeof e[1] === 'object');
  const sceneRows: SceneRow[] = [];
  for (const [file, label] of QUICK ? labelled.slice(0, 5) : labelled) sceneRows.push(await runScene(analyzer, join(sceneDir, file), label, 0));
  const unlabelledScenes = (await imageFiles(sceneDir)).filter((f) => !(f in labels));
  const unlabelledRows: SceneRow[] = [];
  for (const f of QUICK ? [] : unlabelledScenes) unlabelledRows.push(await runScene(analyzer, join(sceneDir, f), null, 1));
  const ccpdDir = join(sceneDir, 'ccpd');
  let ccpdFiles = await imageFiles(ccpdDir);
  if (QUICK) ccpdFiles = ccpdFiles.filter((_, i) => i % 8 === 0);
  const ccpdRows: SceneRow[] = [];
  for (const f of ccpdFiles) ccpdRows.push(await runScene(analyzer, join(ccpdDir, f), null, f.startsWith('np_') ? 0 : 1));

  const withPlates = sceneRows.filter((r) => r.expected > 0);
  const recallScenes = withPlates.filter((r) => r.detected >= r.expected).length;
  const ccpdPlates = ccpdRows.filter((r) => !r.file.startsWith('np_'));
  const ccpdFound = ccpdPlates.filter((r) => r.detected >= 1).length;
  const noPlateRows = [...sceneRows.filter((r) => r.labelled?.none), ...ccpdRows.filter((r) => r.file.startsWith('np_'))];
  const falseReports = noPlateRows.filter((r) => r.reads.length > 0);
  const fullyLabelled = sceneRows.filter((r) => (r.labelled?.plates?.length ?? 0) > 0);
  const fullyRight = fullyLabelled.filter((r) => r.plateChecks.every((p) => p.text && p.colour && p.layers));
  const textRight = fullyLabelled.filter((r) => r.plateChecks.every((p) => p.text));
  log(`scenes: recall ${recallScenes}/${withPlates.length} labelled, ${ccpdFound}/${ccpdPlates.length} ccpd; plates reported on ${falseReports.length}/${noPlateRows.length} no-plate images; ${fullyRight.length}/${fullyLabelled.length} labelled scenes exactly right`);

  summary.push(
    `| plate scenes: detection recall, labelled scenes (detected ≥ plates + partial plates) | ${recallScenes}/${withPlates.length} | all | ${recallScenes === withPlates.length ? 'met' : '**not met**'} |`,
    `| plate scenes: detection recall, CCPD (≥ 1 plate on each non-\`np_\` image) | ${ccpdFound}/${ccpdPlates.length} | all | ${ccpdFound === ccpdPlates.length ? 'met' : '**not met**'} |`,
    `| no-plate images with a plate reported | ${falseReports.length}/${noPlateRows.length} | 0 | ${falseReports.length === 0 ? 'met' : '**not met**'} |`,
    `| fully labelled scenes read exactly (text, colour and rows) | ${fullyRight.length}/${fullyLabelled.length} (text alone: ${textRight.length}) | all ${fullyLabelled.length} | ${fullyRight.length === fullyLabelled.length ? 'met' : '**not met**'} |`,
  );

  // ── 3. Faces ──
  log('faces');
  const pairs = await readPairs();
  const faceFiles = [...new Set(pairs.flatMap((p) => [p.a, p.b]))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const main128 = await embedAll(analyzer, faceFiles);
  const reports = [verify(DEFAULT_MODEL_NAMES.faceEmbedder, pairs, main128.faces, main128.msPerFace, faceFiles)];
  if (ALT_EMBEDDER) {
    const alt = new FrameAnalyzer(runtime, { ...DEFAULT_MODEL_NAMES, faceEmbedder: 'faceplugin_fr_feature' });
    try {
      const altFaces = await embedAll(alt, faceFiles);
      reports.push(verify('faceplugin_fr_feature', pairs, altFaces.faces, altFaces.msPerFace, faceFiles));
    } finally {
      await alt.close();
    }
  }
  for (const r of reports) log(`${r.name}: same min ${f3(r.sameMin)}, different max ${f3(r.diffMax)}, TAR@FAR=0 ${pct(r.tarAtZeroFar, 1)}`);
  const sameTotal = pairs.filter((p) => p.same).length;
  const diffTotal = pairs.length - sameTotal;
  const primary = reports[0]!;
  summary.push(
    `| faces (${DEFAULT_MODEL_NAMES.faceEmbedder}): same-person pairs accepted at zero false accepts (${sameTotal} same, ${diffTotal} different) | ${Math.round(primary.tarAtZeroFar * sameTotal)}/${sameTotal} (${pct(primary.tarAtZeroFar, 1)}) at threshold ${f3(primary.threshold)} | – | ${primary.separated ? 'the two sets separate' : 'the sets overlap'} |`,
  );

  log('face quality under degradation');
  const degraded = await degradation(analyzer, faceFiles, main128.faces);

  // ── Plate crops detail ──
  md.push(`## Plate crops

Each crop goes through \`PlatePipeline.readCrops\` (the recogniser with its grammar check, no detector and no
rectification), ${CROP_BATCH} crops per call (${cropMs.toFixed(1)} ms per crop in this run, on a shared machine: see analytics.md for speed). Truth: the lprnet file name; for
\`crops/labelled\`, the part of the file name after its last \`_\`. Exact = the grammar-checked text equals the
truth. "Ignoring the province" compares \`plateWithoutProvince\` of the text (or of the raw read when the grammar
refused it) with that of the truth.

Rows: a crop of width/height ≥ ${DOUBLE_ROW_MAX_ASPECT} is single-row (double-row plates are 2:1, single-row 3.1:1). A narrower
crop is ambiguous (a tight crop of a single-row plate seen at an angle can be as narrow as 1.9:1): it is read both
ways and taken as double-row only when the double-row read passes the grammar and scores higher. All lprnet
crops are 94×24 (3.9:1), so single-row.

| set | crops | exact | ignoring the province | refused by the grammar | truths the grammar refuses |
|---|---|---|---|---|---|
${sets.map((s) => `| ${s.name} | ${s.n} | ${s.exact} (${pct(s.exact, s.n)}) | ${s.noProvince} (${pct(s.noProvince, s.n)}) | ${s.rejected} | ${s.invalidTruths.length ? s.invalidTruths.join(', ') : 'none'} |`).join('\n')}

Narrow crops (width/height < ${DOUBLE_ROW_MAX_ASPECT}), read both ways:

| crop | w/h | as single row | as double row | taken as |
|---|---|---|---|---|
${decisions.map((d) => `| ${d.file} | ${d.aspect.toFixed(2)} | ${d.single.text ?? `${d.single.raw} (refused)`} ${d.single.score.toFixed(2)} | ${d.double.text ?? `${d.double.raw} (refused)`} ${d.double.score.toFixed(2)} | ${d.chosen === 2 ? 'double' : 'single'} |`).join('\n') || '| none | | | | |'}

Grammar refusals: ${sets.map((s) => `${s.name}: ${topEntries(s.rejectionReasons, 6).map(([k, v]) => `${v}× ${k}`).join('; ') || 'none'}`).join('. ')}.

Colours read: ${sets.map((s) => `${s.name}: ${topEntries(s.colours, 5).map(([k, v]) => `${k} ${v}`).join(', ')}`).join('; ')}. (The lprnet crops are
blue, yellow and green plates; the colour head is not labelled there, so this is a distribution, not an accuracy.)
Labelled crops: ${scored.filter((s) => s.c.set === 'labelled').map((s) => `${s.c.truth} ${s.read.colour}`).join(', ')}.

Where the lprnet reads fail (${lpr.failures.length} crops):

| kind of failure | crops |
|---|---|
${topEntries(lpr.kinds, 4).map(([k, v]) => `| ${k} | ${v} |`).join('\n')}

Wrong characters by position (crops whose read has the right length; position 1 is the province):
${[...lpr.positions.entries()].sort((a, b) => a[0] - b[0]).map(([p, v]) => `position ${p + 1}: ${v}`).join(', ')}.
${topEntries(provinceShare(scored.filter((x) => x.c.set === 'lprnet')), 3).map(([k, v]) => `${v} lprnet truths start with ${k}`).join(', ')}: the set is mostly Anhui (CCPD) plates, so
the province errors are almost all 皖 read as another province. Most frequent province confusions (truth→read): ${topEntries(lpr.provinceConfusions, 12).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}.

Failures, labelled set (truth → read):

${sets[1]!.failures.map((s) => `- ${s.c.file}: ${failureLine(s)}`).join('\n') || '- none'}

Failures, lprnet (first 30 of ${lpr.failures.length}, truth → read):

${lpr.failures.slice(0, 30).map((s) => `- ${failureLine(s)}`).join('\n') || '- none'}

### Test-time augmentation

Each crop is also read as ${TTA_NAMES.length} views, all in one batch per ${Math.floor(CROP_BATCH / TTA_NAMES.length)} crops: \`original\` (the crop as
is); \`tight3\` (3 % cut off every side); \`pad5\` (5 % added on every side, edge pixels repeated); \`up6\` / \`down6\`
(the view moved up / down by 6 % of the height, edges repeated); \`left3\` / \`right3\` (moved 3 % of the width). Each
view is resampled once, straight to the recogniser's 168×48. A set of views is combined with
\`voteText\` (analytics/tracking/track-vote.ts): every grammar-valid read votes with its mean character score
(size 1); the text with the largest sum wins. "Fixed" / "broken": crops (both sets) that the vote gets right
and the single read got wrong, and the reverse.

| views | lprnet exact | lprnet ignoring province | labelled exact | fixed | broken |
|---|---|---|---|---|---|
| single read (baseline) | ${pct(lpr.exact, lpr.n)} | ${pct(lpr.noProvince, lpr.n)} | ${sets[1]!.exact}/${sets[1]!.n} | – | – |
${ttaRows.map((r) => `| ${r.name} | ${pct(r.exact.lprnet!, nSet.lprnet)} | ${pct(r.noProvince.lprnet!, nSet.lprnet)} | ${r.exact.labelled}/${nSet.labelled} | ${r.fixed} | ${r.broken} |`).join('\n')}
| any of the 7 views right (upper bound of any vote) | ${pct(oracle.lprnet!, nSet.lprnet)} | | ${oracle.labelled}/${nSet.labelled} | | |

Best combination here: **${bestTta.name}**, ${bestTta.exact.lprnet! - lpr.exact >= 0 ? '+' : ''}${bestTta.exact.lprnet! - lpr.exact} lprnet crops
(${pct(bestTta.exact.lprnet!, nSet.lprnet)} vs ${pct(lpr.exact, lpr.n)}) at ${bestTta.views.length}× the recogniser work. It was chosen on these same
crops, so the gain is optimistic; a difference of a few crops in 1000 is within noise (one standard error of
the exact rate is about ${(100 * Math.sqrt((lpr.exact / lpr.n) * (1 - lpr.exact / lpr.n) / lpr.n)).toFixed(1)} points).
`);

  // ── Scene detail ──
  md.push(`## Plate scenes

Each image goes through \`FrameAnalyzer.analyze\` with \`pipelines: ['plates']\` and the default options
(min plate width ${DEFAULT_PLATE_OPTIONS.minPlateWidth} px, detection score ≥ ${DEFAULT_PLATE_OPTIONS.minDetectionScore}, read score ≥ ${DEFAULT_PLATE_OPTIONS.minReadScore}, grammar check). "Detected" is the
number of candidates \`plates.detect\` returns (after NMS and the size filter, before reading and the grammar),
so recall is measured at the detector; "expected" is labelled plates + partial plates. A labelled plate counts
as read when a reported plate has exactly its text; colour and rows are then compared.

| image | expected | detected | reported (text, colour, rows, score) | text | colour | rows | extra reads | detected, not reported (raw read, why) |
|---|---|---|---|---|---|---|---|---|
${sceneRows
  .map((r) => {
    const ok = (k: 'text' | 'colour' | 'layers') => (r.plateChecks.length ? (r.plateChecks.every((p) => p[k]) ? 'yes' : '**no**') : '–');
    return `| ${r.file}${r.labelled?.none ? ' (no plate)' : ''} | ${r.expected} | ${r.detected}${r.detected < r.expected ? ' **missed**' : ''} | ${readsText(r.reads)} | ${ok('text')} | ${ok('colour')} | ${ok('layers')} | ${r.extra.length ? r.extra.map((e) => e.text).join(', ') : '–'} | ${r.dropped.join('; ') || '–'} |`;
  })
  .join('\n')}

Wrong reads on the labelled scenes: ${
    fullyLabelled
      .flatMap((r) => r.plateChecks.filter((p) => !(p.text && p.colour && p.layers)).map((p) => `${r.file}: truth ${p.truth.text} ${p.truth.colour} ${p.truth.layers}-row, read ${p.read ? `${p.read.text} ${p.read.colour} ${p.read.layers}-row` : readsText(r.reads)}`))
      .join('; ') || 'none'
  }.
${unlabelledRows.length ? `\nIn the folder but not in labels.json (not scored): ${unlabelledRows.map((r) => `${r.file}: detected ${r.detected}, read ${readsText(r.reads)}${r.dropped.length ? `, not reported: ${r.dropped.join('; ')}` : ''}`).join('; ')}.\n` : ''}
### CCPD

Texts are not labelled: what was read is printed for the reader. \`np_*\` have no plate. Most of these CCPD
sample images (the blur, challenge, db, fn, rotate and tilt ones) carry CCPD's own drawn annotation: a yellow
box around the plate and red dots on its four corners. The detector finds the plates regardless, but the dots
and the box edge end up inside the rectified crop and are read as extra characters (8-character reads, a final
澳 or L): when this run was checked by eye, every detected-but-not-reported plate below was of that kind, and so
was db_db1's 皖ACJ2181 (the plate shows 皖ACJ218), which the grammar accepts as a new-energy plate. These are
artefacts of the test images, not of camera frames.

| image | detected | reported | detected, not reported (raw read, why) |
|---|---|---|---|
${ccpdRows.map((r) => `| ${r.file} | ${r.detected}${r.file.startsWith('np_') ? (r.reads.length ? ' **plate reported**' : '') : r.detected < 1 ? ' **missed**' : ''} | ${readsText(r.reads)} | ${r.dropped.join('; ') || '–'} |`).join('\n')}

CCPD: ${ccpdFound}/${ccpdPlates.length} plates detected; ${ccpdPlates.filter((r) => r.reads.length > 0).length}/${ccpdPlates.length} images with a plate reported (a detected plate
whose read fails the grammar or the read score is not reported); ${ccpdRows.filter((r) => r.file.startsWith('np_') && r.reads.length > 0).length}/${ccpdRows.filter((r) => r.file.startsWith('np_')).length} no-plate images with a report.
`);

  // ── Face detail ──
  const svgPanels = reports.map((r) => ({
    title: `${r.name} (${r.dims}-d): cosine similarity of face pairs`,
    series: [
      { label: 'different person', values: r.diff, colour: '#4477aa' },
      { label: 'same person', values: r.same, colour: '#ee7733' },
    ],
    marker: { value: r.threshold, label: `threshold ${r.threshold.toFixed(3)}` },
  }));
  const svg = histogramSvg(svgPanels, { min: -0.4, max: 1, binWidth: 0.05, xLabel: 'cosine similarity (L2-normalised embeddings)' });

  md.push(`## Faces

Every photo named in \`faces/master.csv\` (${faceFiles.length} photos, ${sameTotal} same-person and ${diffTotal} different-person pairs) goes
through \`FacePipeline.run\` with embeddings (YuNet → 5-point alignment to 112×112 → embedder, L2-normalised);
the largest face of each photo is used and a pair's score is the cosine similarity (dot product). The threshold
is the midpoint of the gap between the lowest same-person and the highest different-person score when the two
sets separate, else the highest different-person score. TAR at zero false accepts = same-person pairs strictly
above the highest different-person score.

| embedder | dims | inference ms per face (this run, shared machine) | photos without a face | same-person min / mean | different-person max / mean | gap | threshold | TAR at FAR = 0 |
|---|---|---|---|---|---|---|---|---|
${reports.map((r) => `| ${r.name} | ${r.dims} | ${f1(r.msPerFace)} | ${r.missing.length ? r.missing.join(', ') : 'none'} | ${f3(r.sameMin)} / ${f3(r.sameMean)} | ${f3(r.diffMax)} / ${f3(r.diffMean)} | ${f3(r.sameMin - r.diffMax)} | ${f3(r.threshold)} | ${Math.round(r.tarAtZeroFar * sameTotal)}/${sameTotal} (${pct(r.tarAtZeroFar, 1)}) |`).join('\n')}
${reports
  .filter((r) => r.rejectedSame.length)
  .map((r) => `\n${r.name}: same-person pairs at or below the highest different-person score: ${r.rejectedSame.map(([p, s]) => `${p} ${f3(s)}`).join(', ')}.`)
  .join('')}${ALT_EMBEDDER ? '' : '\nThe 512-d alternative embedder was not run (`--quick` or `--no-alt-embedder`).\n'}
Score distributions: [face-scores.svg](face-scores.svg) (fraction of each set per 0.05 bin; dashed line: the threshold).

![same-person vs different-person scores](face-scores.svg)

These are frontal, well-lit photos of public figures: a threshold for real CCTV faces must be calibrated on
such faces.

### Face quality under degradation

The same ${faceFiles.length} photos, degraded: downscaled with sharp (Lanczos) so that the face box's shorter side is about the
given size, and box-blurred (after scaling so the face is about 112 px, where the aligned face is about 1:1 with
the image). The face is found again (\`minFaceSize\` 1, the face overlapping the original one by IoU ≥ 0.3) and its
quality parts recomputed with \`faceQuality\` (size, sharpness = variance of the Laplacian of the aligned face,
pose); "similarity" is the cosine to the same photo's undegraded embedding.

| degradation | faces found | face side px (mean) | quality (mean) | size part | sharpness part | pose part | similarity to original (mean) |
|---|---|---|---|---|---|---|---|
${degraded.map((d) => `| ${d.level} | ${d.found}/${d.tried} | ${f1(mean(d.side))} | ${f3(mean(d.quality))} | ${f3(mean(d.parts.map((p) => p.size)))} | ${f3(mean(d.parts.map((p) => p.sharpness)))} | ${f3(mean(d.parts.map((p) => p.pose)))} | ${f3(mean(d.similarity))} |`).join('\n')}

## Re-running

\`npx tsx bench/accuracy.bench.ts\` (about a minute or two); \`--quick\` runs a subset and writes nothing;
\`--no-alt-embedder\` skips faceplugin_fr_feature.
`);

  await analyzer.close();
  const text = [head(), ...summary, '', ...md].join('\n');
  if (QUICK) {
    console.log(text);
    log('quick run: results files not written');
    return;
  }
  mkdirSync(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
  writeFileSync(RESULTS_FILE, text);
  writeFileSync(SVG_FILE, svg);
  log(`wrote ${RESULTS_FILE} and ${SVG_FILE}`);
}

runBench(main);
