import { readFileSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlateColour, PlateRead, Point } from '../../../contracts/analytics.ts';
import { DEFAULT_REQUEST, FrameAnalyzer, type AnalysisRequest } from '../../../analytics/analyzer.ts';
import { decodeImage } from '../../../analytics/image/raster-ops.ts';
import { DEFAULT_PLATE_OPTIONS } from '../../../analytics/plates/plate.pipeline.ts';
import { checkPlate } from '../../../analytics/plates/plate-grammar.ts';
import type { Raster } from '../../../models/raster.ts';

/**
 * The plate pipeline with the real ONNX models (../shared/models) on the real scene photos of
 * ../shared/media/plates/scenes. labels.json is the truth: every fully labelled plate must be read
 * exactly, with its colour and number of rows; nothing may be read where there is no plate.
 */

const ROOT = resolve(import.meta.dirname, '../../..');
const MODELS = resolve(ROOT, '../shared/models');
const SCENES = resolve(ROOT, '../shared/media/plates/scenes');
const CCPD = join(SCENES, 'ccpd');

interface LabelledPlate {
  text: string;
  colour: PlateColour;
  layers: 1 | 2;
}
interface SceneLabel {
  plates: LabelledPlate[];
  partial?: string[];
  none?: boolean;
}

const labels = JSON.parse(readFileSync(join(SCENES, 'labels.json'), 'utf8')) as Record<string, SceneLabel | string>;
const scenes = Object.entries(labels).filter((e): e is [string, SceneLabel] => !e[0].startsWith('_') && typeof e[1] === 'object');
const fullyLabelled = scenes.filter(([, l]) => l.plates.length > 0);
const partlyLegibleOnly = scenes.filter(([, l]) => l.plates.length === 0 && (l.partial?.length ?? 0) > 0);
const noPlate = scenes.filter(([, l]) => l.none === true);

/** A partial label as a pattern: '?' is one illegible character. */
function partialPattern(label: string): RegExp {
  const body = Array.from(label, (c) => (c === '?' ? '.' : c.replace(/[.*+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, 'u');
}

function centre(corners: readonly Point[]): Point {
  return [corners.reduce((s, p) => s + p[0], 0) / corners.length, corners.reduce((s, p) => s + p[1], 0) / corners.length];
}

/** What any read must satisfy, whatever the scene. */
function expectWellFormed(p: PlateRead, image: Raster): void {
  expect(checkPlate(p.text)).toMatchObject({ ok: true, text: p.text });
  expect(p.score).toBeGreaterThan(0);
  expect(p.score).toBeLessThanOrEqual(1);
  const [x1, y1, x2, y2] = p.box;
  expect(x1).toBeLessThan(x2);
  expect(y1).toBeLessThan(y2);
  expect(x1).toBeGreaterThanOrEqual(-2);
  expect(y1).toBeGreaterThanOrEqual(-2);
  expect(x2).toBeLessThanOrEqual(image.width + 2);
  expect(y2).toBeLessThanOrEqual(image.height + 2);
  // The corners outline the plate inside its box: top-left, top-right, bottom-right, bottom-left.
  const [cx, cy] = centre(p.corners);
  expect(cx).toBeGreaterThan(x1);
  expect(cx).toBeLessThan(x2);
  expect(cy).toBeGreaterThan(y1);
  expect(cy).toBeLessThan(y2);
  const [tl, tr, br, bl] = p.corners;
  expect(tl[0]).toBeLessThan(tr[0]);
  expect(bl[0]).toBeLessThan(br[0]);
  expect(tl[1]).toBeLessThan(bl[1]);
  expect(tr[1]).toBeLessThan(br[1]);
}

const PLATES_ONLY: AnalysisRequest = { ...DEFAULT_REQUEST, pipelines: ['plates'] };

describe('plate pipeline on real scenes', () => {
  let analyzer: FrameAnalyzer;
  const load = async (path: string) => decodeImage(await readFile(path), path);

  beforeAll(async () => {
    analyzer = new FrameAnalyzer({ modelsDir: MODELS, threads: 1 });
    await analyzer.load(['plates'], false);
  });
  afterAll(async () => {
    await analyzer?.close();
  });

  it('has the 14 fully labelled scenes and the no-plate scene the media README promises', () => {
    expect(fullyLabelled).toHaveLength(14);
    expect(noPlate.map(([f]) => f)).toEqual(['tmp8F1F.png']);
  });

  describe.each(fullyLabelled)('%s', (file, label) => {
    it(`reads ${label.plates.map((p) => p.text).join(', ')} with colour and rows, and nothing that is not there`, async () => {
      const image = await load(join(SCENES, file));
      const { analysis } = await analyzer.analyze(image, PLATES_ONLY);
      const reads = [...analysis.plates];
      for (const want of label.plates) {
        const i = reads.findIndex((p) => p.text === want.text);
        expect(i, `${want.text} not read; read: ${analysis.plates.map((p) => p.text).join(', ') || 'nothing'}`).toBeGreaterThanOrEqual(0);
        const got = reads.splice(i, 1)[0]!;
        expect({ text: got.text, colour: got.colour, layers: got.layers }).toEqual(want);
        expectWellFormed(got, image);
      }
      // Any other read must be a plate the labeller could only partly read, and agree with what is legible.
      const partial = (label.partial ?? []).map(partialPattern);
      for (const extra of reads) {
        expect(partial.some((re) => re.test(extra.text)), `unexpected read ${extra.text}`).toBe(true);
        expectWellFormed(extra, image);
      }
      expect(analysis.faces).toEqual([]);
      expect(analysis.objects).toEqual([]);
    });
  });

  it.each(partlyLegibleOnly)('reads on %s agree with the legible part of its plates', async (file, label) => {
    const image = await load(join(SCENES, file));
    const { analysis } = await analyzer.analyze(image, PLATES_ONLY);
    const partial = (label.partial ?? []).map(partialPattern);
    expect(analysis.plates.length).toBeLessThanOrEqual(partial.length);
    for (const p of analysis.plates) expect(partial.some((re) => re.test(p.text)), p.text).toBe(true);
  });

  it.each(noPlate)('reads no plate on %s (a hazard sign, not a plate)', async (file) => {
    const { analysis } = await analyzer.analyze(await load(join(SCENES, file)), PLATES_ONLY);
    expect(analysis.plates).toEqual([]);
  });

  describe('CCPD traffic-camera photos', () => {
    const files = readdirSync(CCPD)
      .filter((f) => f.endsWith('.jpg'))
      .sort();
    const withoutPlate = files.filter((f) => f.startsWith('np_'));
    const withPlate = files.filter((f) => !f.startsWith('np_'));

    it('are there, with and without a plate', () => {
      expect(withoutPlate.length).toBeGreaterThanOrEqual(6);
      expect(withPlate.length).toBeGreaterThanOrEqual(35);
    });

    it('gives no plate on any np_* photo', async () => {
      for (const f of withoutPlate) {
        const { analysis } = await analyzer.analyze(await load(join(CCPD, f)), PLATES_ONLY);
        expect(analysis.plates, f).toEqual([]);
      }
    });

    it('detects exactly one plate on every photo that has one', async () => {
      for (const f of withPlate) {
        const candidates = await analyzer.plates.detect(await load(join(CCPD, f)), DEFAULT_PLATE_OPTIONS);
        expect(candidates, f).toHaveLength(1);
      }
    });

    it('reads a grammatical plate on a photo with a plate', async () => {
      const image = await load(join(CCPD, 'rpnet_demo_0.jpg'));
      const { analysis } = await analyzer.analyze(image, PLATES_ONLY);
      expect(analysis.plates.length).toBeGreaterThanOrEqual(1);
      for (const p of analysis.plates) expectWellFormed(p, image);
    });
  });

  describe('restricting where plates are read', () => {
    let image: Raster;
    let plateCentre: Point;
    beforeAll(async () => {
      image = await load(join(SCENES, 'single_yellow.jpg'));
      const { analysis } = await analyzer.analyze(image, PLATES_ONLY);
      expect(analysis.plates.map((p) => p.text)).toEqual(['皖K66666']);
      const [x1, y1, x2, y2] = analysis.plates[0]!.box;
      plateCentre = [(x1 + x2) / 2 / image.width, (y1 + y2) / 2 / image.height];
    });

    it('reads the plate when the region of interest covers it and not when it does not', async () => {
      const [cx, cy] = plateCentre;
      const around: Point[] = [
        [cx - 0.1, cy - 0.1],
        [cx + 0.1, cy - 0.1],
        [cx + 0.1, cy + 0.1],
        [cx - 0.1, cy + 0.1],
      ];
      const elsewhere: Point[] = [
        [0, 0],
        [0.3, 0],
        [0.3, 0.3],
        [0, 0.3],
      ];
      const inside = await analyzer.analyze(image, { ...PLATES_ONLY, roi: around });
      expect(inside.analysis.plates.map((p) => p.text)).toEqual(['皖K66666']);
      const outside = await analyzer.analyze(image, { ...PLATES_ONLY, roi: elsewhere });
      expect(outside.analysis.plates).toEqual([]);
    });

    it('with vehiclesOnly reads the plate on the car without reporting the car, and nothing wider than the minimum width allows', async () => {
      const onCar = await analyzer.analyze(image, { ...PLATES_ONLY, vehiclesOnly: true });
      expect(onCar.analysis.plates.map((p) => p.text)).toEqual(['皖K66666']);
      expect(onCar.analysis.objects).toEqual([]);
      expect(onCar.timings.objects).toBeGreaterThan(0);
      const tooSmall = await analyzer.analyze(image, { ...PLATES_ONLY, minPlateWidth: 400 });
      expect(tooSmall.analysis.plates).toEqual([]);
    });
  });
});
