import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnavailableError } from '../../../contracts/errors.ts';
import { DEFAULT_REQUEST, FrameAnalyzer, type AnalysisRequest } from '../../../analytics/analyzer.ts';
import { decodeImage } from '../../../analytics/image/raster-ops.ts';
import { AnalysisPool } from '../../../analytics/worker/analysis-pool.ts';
import type { Raster } from '../../../models/raster.ts';

/**
 * The analysis worker pool (real worker threads, real ONNX Runtime sessions in each, real models
 * and images): same answers as the in-process FrameAnalyzer, real concurrency, clean shutdown and a
 * clear start-up failure.
 */

const ROOT = resolve(import.meta.dirname, '../../..');
const MODELS = resolve(ROOT, '../shared/models');
const MEDIA = resolve(ROOT, '../shared/media');

const EVERYTHING: AnalysisRequest = { ...DEFAULT_REQUEST, embeddings: true };
const PLATES_ONLY: AnalysisRequest = { ...DEFAULT_REQUEST, pipelines: ['plates'] };

/** The promise's value, or a failure naming what did not happen within `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Waited ${ms} ms for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function load(rel: string): Promise<Raster> {
  return decodeImage(await readFile(join(MEDIA, rel)), rel);
}

describe('AnalysisPool', () => {
  let pool: AnalysisPool;
  let plateScene: Raster;
  let doubleRow: Raster;
  let couple: Raster;

  beforeAll(async () => {
    [plateScene, doubleRow, couple] = await Promise.all([load('plates/scenes/single_yellow.jpg'), load('plates/scenes/double_yellow.jpg'), load('faces/couple.jpg')]);
    // One ONNX thread per worker, as the in-process analyzer below, so that the numbers are identical.
    pool = await AnalysisPool.start({ modelsDir: MODELS, workers: 2, threadsPerWorker: 1, preload: ['plates', 'faces', 'objects'], preloadEmbeddings: true });
  });
  afterAll(async () => {
    await pool?.close();
  });

  it('gives exactly the results of the in-process FrameAnalyzer on the same images', async () => {
    const local = new FrameAnalyzer({ modelsDir: MODELS, threads: 1 });
    try {
      for (const image of [plateScene, couple]) {
        const before = Buffer.from(image.data);
        const [inPool, inProcess] = await Promise.all([pool.analyze(image, EVERYTHING), local.analyze(image, EVERYTHING)]);
        expect(inPool.analysis).toEqual(inProcess.analysis);
        // The caller keeps its image: the pool sent a copy.
        expect(Buffer.from(image.data).equals(before)).toBe(true);
      }
      // Non-trivial results were compared.
      const { analysis } = await local.analyze(couple, EVERYTHING);
      expect(analysis.faces).toHaveLength(2);
      expect(analysis.faces[0]!.embedding).toHaveLength(128);
    } finally {
      await local.close();
    }
  });

  it('runs two analyses at once on two workers and queues the rest, each answer for its own image', async () => {
    expect(pool.size).toBe(2);
    expect(pool.idle).toBe(2);
    const images = [plateScene, doubleRow, plateScene, doubleRow, plateScene];
    const jobs = images.map((image) => pool.analyze(image, PLATES_ONLY));
    // Both workers busy, three waiting.
    expect(pool.idle).toBe(0);
    expect(pool.queued).toBe(3);
    const outcomes = await Promise.all(jobs);
    expect(outcomes.map((o) => o.analysis.plates.map((p) => p.text))).toEqual([['皖K66666'], ['京EA5331'], ['皖K66666'], ['京EA5331'], ['皖K66666']]);
    expect(outcomes[1]!.analysis.plates[0]!.layers).toBe(2);
    expect(pool.idle).toBe(2);
    expect(pool.queued).toBe(0);
  });

  it('close() fails the running and the waiting jobs, and refuses new ones', async () => {
    const small = await AnalysisPool.start({ modelsDir: MODELS, workers: 1, threadsPerWorker: 1, preload: ['plates'] });
    const jobs = [plateScene, doubleRow, plateScene].map((image) => small.analyze(image, PLATES_ONLY).then(() => 'resolved', (e: unknown) => e as Error));
    expect(small.queued).toBe(2);
    await small.close();
    // Settled promptly (a job left pending would otherwise hang until the test times out).
    const [running, ...waiting] = await within(Promise.all(jobs), 10_000, 'the jobs to settle after close()');
    expect(running).toBeInstanceOf(UnavailableError);
    expect((running as Error).message).toMatch(/closed while analysing/);
    for (const w of waiting) {
      expect(w).toBeInstanceOf(UnavailableError);
      expect((w as Error).message).toMatch(/closed/);
    }
    await expect(small.analyze(plateScene, PLATES_ONLY)).rejects.toThrow(/closed/);
    await small.close(); // idempotent
  });

  it('runs its worker threads at the nice value asked for, and only them', async () => {
    const niceOf = () =>
      readdirSync('/proc/self/task').map((tid) => {
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
      });
    const before = niceOf().filter((n) => n === 7).length;
    const niced = await AnalysisPool.start({ modelsDir: MODELS, workers: 2, threadsPerWorker: 1, nice: 7, preload: ['plates'] });
    try {
      // The worker threads (and what they started) run at 7; the main thread is untouched.
      expect(niceOf().filter((n) => n === 7).length).toBeGreaterThanOrEqual(before + 2);
      const main = readFileSync(`/proc/${process.pid}/stat`, 'utf8');
      expect(Number(main.slice(main.lastIndexOf(')') + 2).split(' ')[16])).toBe(0);
      // And they still analyse.
      const { analysis } = await niced.analyze(plateScene, PLATES_ONLY);
      expect(analysis.plates.length).toBeGreaterThan(0);
    } finally {
      await niced.close();
    }
  });

  it('rejects start() with the missing file and the fix when the models folder is bad', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'argus-pool-models-'));
    try {
      const err = await AnalysisPool.start({ modelsDir: empty, workers: 2, preload: ['faces'] }).then(
        () => null,
        (e: unknown) => e as Error,
      );
      expect(err).toBeInstanceOf(UnavailableError);
      expect(err!.message).toContain(join(empty, 'face/yunet_n_dynamic.onnx'));
      expect(err!.message).toContain('npx argus models fetch');
      // Without preloading, start() cannot know; the first analysis then fails with the same clear error.
      const lazy = await AnalysisPool.start({ modelsDir: empty, workers: 1 });
      try {
        const failed = await lazy.analyze(plateScene, PLATES_ONLY).then(
          () => null,
          (e: unknown) => e as Error,
        );
        expect(failed).toBeInstanceOf(UnavailableError);
        expect(failed!.message).toMatch(/plate\/plate_(detect|rec_color)\.onnx is missing/);
        expect(failed!.message).toContain('npx argus models fetch');
      } finally {
        await lazy.close();
      }
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('AnalysisPool.close() while the workers are inside ONNX Runtime', () => {
  it('lets them finish the call and exit, instead of aborting the process', async () => {
    const image = await decodeImage(await readFile(join(MEDIA, 'plates/scenes/hyperlpr_test_img.jpg')));
    const pool = await AnalysisPool.start({ modelsDir: MODELS, workers: 2, threadsPerWorker: 1, preload: ['plates'] });
    const jobs = Array.from({ length: 40 }, () => pool.analyze(image, { ...DEFAULT_REQUEST, pipelines: ['plates'] }).then(() => 'ok', (e: Error) => e.message));
    // Long enough for both workers to be inside the detector's inference.
    await new Promise((r) => setTimeout(r, 300));
    await pool.close();
    const outcomes = await Promise.all(jobs);
    expect(outcomes.some((o) => /closed/.test(o))).toBe(true);
    // This process is still alive and can start another pool.
    const again = await AnalysisPool.start({ modelsDir: MODELS, workers: 1, preload: ['plates'] });
    const { analysis } = await again.analyze(image, { ...DEFAULT_REQUEST, pipelines: ['plates'] });
    expect(analysis.plates.map((p) => p.text)).toEqual(['苏ED51712']);
    await again.close();
  });
});
