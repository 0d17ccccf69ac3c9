import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OBJECT_LABELS, type ObjectDetection } from '../../../contracts/analytics.ts';
import { DEFAULT_REQUEST, FrameAnalyzer } from '../../../analytics/analyzer.ts';
import { decodeImage } from '../../../analytics/image/raster-ops.ts';
import type { Raster } from '../../../models/raster.ts';

/**
 * The object pipeline (YOLOX-nano) with the real model: a car on a plate scene photo, and people in
 * a frame of the real surveillance video ../shared/media/video/vtest.avi cut out with real ffmpeg.
 */

const ROOT = resolve(import.meta.dirname, '../../..');
const MODELS = resolve(ROOT, '../shared/models');
const MEDIA = resolve(ROOT, '../shared/media');

function iou(a: ObjectDetection, b: ObjectDetection): number {
  const w = Math.min(a.box[2], b.box[2]) - Math.max(a.box[0], b.box[0]);
  const h = Math.min(a.box[3], b.box[3]) - Math.max(a.box[1], b.box[1]);
  if (w <= 0 || h <= 0) return 0;
  const size = (o: ObjectDetection) => (o.box[2] - o.box[0]) * (o.box[3] - o.box[1]);
  return (w * h) / (size(a) + size(b) - w * h);
}

function expectInside(o: ObjectDetection, image: Raster): void {
  expect(OBJECT_LABELS).toContain(o.label);
  expect(o.score).toBeGreaterThan(0);
  expect(o.score).toBeLessThanOrEqual(1);
  const [x1, y1, x2, y2] = o.box;
  expect(x1).toBeLessThan(x2);
  expect(y1).toBeLessThan(y2);
  expect(x1).toBeGreaterThan(-0.05 * image.width);
  expect(y1).toBeGreaterThan(-0.05 * image.height);
  expect(x2).toBeLessThan(1.05 * image.width);
  expect(y2).toBeLessThan(1.05 * image.height);
}

describe('object pipeline on real images', () => {
  let analyzer: FrameAnalyzer;
  let dir: string;

  beforeAll(async () => {
    analyzer = new FrameAnalyzer({ modelsDir: MODELS, threads: 1 });
    await analyzer.load(['objects'], false);
    dir = mkdtempSync(join(tmpdir(), 'argus-objects-'));
  });
  afterAll(async () => {
    await analyzer?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reports the car of a plate scene, and the car holds the plate', async () => {
    const image = await decodeImage(await readFile(join(MEDIA, 'plates/scenes/single_yellow.jpg')));
    const { analysis } = await analyzer.analyze(image, { ...DEFAULT_REQUEST, pipelines: ['objects', 'plates'] });
    const cars = analysis.objects.filter((o) => o.label === 'car');
    expect(cars.length).toBeGreaterThanOrEqual(1);
    for (const o of analysis.objects) {
      expect(Object.keys(o)).toEqual(['label', 'score', 'box']);
      expectInside(o, image);
    }
    const best = cars.sort((a, b) => b.score - a.score)[0]!;
    expect(best.score).toBeGreaterThan(0.5);
    const plate = analysis.plates[0]!;
    const [px, py] = [(plate.box[0] + plate.box[2]) / 2, (plate.box[1] + plate.box[3]) / 2];
    expect(px).toBeGreaterThan(best.box[0]);
    expect(px).toBeLessThan(best.box[2]);
    expect(py).toBeGreaterThan(best.box[1]);
    expect(py).toBeLessThan(best.box[3]);
    // No vehicle reported twice (a car that is also scored as a truck keeps one label).
    const vehicles = analysis.objects.filter((o) => o.label !== 'person' && o.label !== 'bicycle');
    for (const a of vehicles) for (const b of vehicles) if (a !== b) expect(iou(a, b)).toBeLessThanOrEqual(0.7);
    expect(analysis.faces).toEqual([]);
  });

  it('finds people in a frame of the surveillance video, extracted with ffmpeg', async () => {
    const frame = join(dir, 'vtest-frame.png');
    const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', join(MEDIA, 'video/vtest.avi'), '-frames:v', '1', frame], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const image = await decodeImage(await readFile(frame));
    expect(image).toMatchObject({ width: 768, height: 576 });
    const { analysis } = await analyzer.analyze(image, { ...DEFAULT_REQUEST, pipelines: ['objects'] });
    const people = analysis.objects.filter((o) => o.label === 'person');
    expect(people.length).toBeGreaterThanOrEqual(1);
    for (const p of people) {
      expectInside(p, image);
      // Upright people: taller than wide.
      expect(p.box[3] - p.box[1]).toBeGreaterThan(p.box[2] - p.box[0]);
    }
    expect(analysis.plates).toEqual([]);
    expect(analysis.faces).toEqual([]);
  });
});
