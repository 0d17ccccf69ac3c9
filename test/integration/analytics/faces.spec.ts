import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaceDetection } from '../../../contracts/analytics.ts';
import { DEFAULT_MODEL_NAMES, DEFAULT_REQUEST, FrameAnalyzer, type AnalysisRequest } from '../../../analytics/analyzer.ts';
import { decodeImage } from '../../../analytics/image/raster-ops.ts';

/**
 * The face pipeline with the real models (YuNet, mobilefacenet) on the real photos of
 * ../shared/media/faces, whose master.csv says which pairs show the same person.
 *
 * Match threshold: the code exports none (matching is not part of the analysis pipeline), so these
 * tests use 0.42, between the measured worst same-person pair (≈ 0.46) and the best different-person
 * pair (≈ 0.385) of mobilefacenet on this set.
 */
const MATCH_THRESHOLD = 0.42;

const ROOT = resolve(import.meta.dirname, '../../..');
const MODELS = resolve(ROOT, '../shared/models');
const FACES = resolve(ROOT, '../shared/media/faces');

const pairs = readFileSync(join(FACES, 'master.csv'), 'utf8')
  .split(/\r?\n/)
  .slice(1)
  .filter((l) => l.trim())
  .map((l) => {
    const [a, b, decision] = l.split(',').map((s) => s.trim());
    return { a: a!, b: b!, same: decision === 'Yes' };
  });
const photos = [...new Set(pairs.flatMap((p) => [p.a, p.b]))].sort();

const FACES_ONLY: AnalysisRequest = { ...DEFAULT_REQUEST, pipelines: ['faces'] };
const dot = (x: readonly number[], y: readonly number[]) => x.reduce((s, v, i) => s + v * y[i]!, 0);
const area = (f: FaceDetection) => (f.box[2] - f.box[0]) * (f.box[3] - f.box[1]);
const largest = (faces: readonly FaceDetection[]) => [...faces].sort((p, q) => area(q) - area(p))[0];

describe('face pipeline on real photos', () => {
  let analyzer: FrameAnalyzer;
  const embeddings = new Map<string, number[]>();

  beforeAll(async () => {
    analyzer = new FrameAnalyzer({ modelsDir: MODELS, threads: 1 });
    for (const file of photos) {
      const image = await decodeImage(await readFile(join(FACES, file)), file);
      const { analysis } = await analyzer.analyze(image, { ...FACES_ONLY, embeddings: true });
      const face = largest(analysis.faces);
      if (face?.embedding) embeddings.set(file, face.embedding);
    }
  });
  afterAll(async () => {
    await analyzer?.close();
  });

  it('finds a face with an embedding on each of the 25 photos of the pairs', () => {
    expect(photos).toHaveLength(25);
    expect([...embeddings.keys()].sort()).toEqual(photos);
  });

  it('gives L2-normalised 128-value embeddings (mobilefacenet by default)', () => {
    expect(DEFAULT_MODEL_NAMES.faceEmbedder).toBe('mobilefacenet');
    for (const [file, e] of embeddings) {
      expect(e, file).toHaveLength(128);
      expect(e.every(Number.isFinite)).toBe(true);
      expect(Math.sqrt(dot(e, e)), file).toBeCloseTo(1, 5);
    }
  });

  it(`scores every same-person pair above ${MATCH_THRESHOLD} and every different-person pair below it`, () => {
    const same = pairs.filter((p) => p.same);
    const different = pairs.filter((p) => !p.same);
    expect(same).toHaveLength(38);
    expect(different).toHaveLength(262);
    const score = (p: (typeof pairs)[number]) => dot(embeddings.get(p.a)!, embeddings.get(p.b)!);
    const missed = same.filter((p) => score(p) < MATCH_THRESHOLD).map((p) => `${p.a}~${p.b} ${score(p).toFixed(3)}`);
    const falseAccepts = different.filter((p) => score(p) >= MATCH_THRESHOLD).map((p) => `${p.a}~${p.b} ${score(p).toFixed(3)}`);
    expect(missed).toEqual([]);
    expect(falseAccepts).toEqual([]);
    // A known different-person pair, well apart.
    expect(dot(embeddings.get('img1.jpg')!, embeddings.get('img13.jpg')!)).toBeLessThan(MATCH_THRESHOLD);
  });

  it('finds both faces of couple.jpg with landmarks inside their boxes, in the documented order', async () => {
    const image = await decodeImage(await readFile(join(FACES, 'couple.jpg')));
    const { analysis } = await analyzer.analyze(image, FACES_ONLY);
    expect(analysis.faces).toHaveLength(2);
    expect(analysis.plates).toEqual([]);
    expect(analysis.objects).toEqual([]);
    for (const f of analysis.faces) {
      expect(Object.keys(f)).toEqual(['box', 'score', 'landmarks', 'quality']);
      const [x1, y1, x2, y2] = f.box;
      expect(f.score).toBeGreaterThan(0.6);
      expect(f.score).toBeLessThanOrEqual(1);
      expect(f.quality).toBeGreaterThanOrEqual(0);
      expect(f.quality).toBeLessThanOrEqual(1);
      for (const [x, y] of f.landmarks) {
        expect(x).toBeGreaterThan(x1);
        expect(x).toBeLessThan(x2);
        expect(y).toBeGreaterThan(y1);
        expect(y).toBeLessThan(y2);
      }
      const [leftEye, rightEye, nose, leftMouth, rightMouth] = f.landmarks;
      expect(leftEye[0]).toBeLessThan(rightEye[0]);
      expect(leftMouth[0]).toBeLessThan(rightMouth[0]);
      expect(nose[1]).toBeGreaterThan(Math.min(leftEye[1], rightEye[1]));
      expect(leftMouth[1]).toBeGreaterThan(nose[1] - 0.05 * (y2 - y1));
    }
    // Two different people, side by side.
    const [a, b] = analysis.faces as [FaceDetection, FaceDetection];
    expect(a.box[2] < b.box[0] || b.box[2] < a.box[0]).toBe(true);
  });

  describe('quality', () => {
    const source = join(FACES, 'img1.jpg');
    const qualityOf = async (bytes: Buffer) => {
      const { analysis } = await analyzer.analyze(await decodeImage(bytes), { ...FACES_ONLY, minFaceSize: 1 });
      expect(analysis.faces, 'the face must still be found').toHaveLength(1);
      return analysis.faces[0]!.quality;
    };

    let original: number;
    beforeAll(async () => {
      original = await qualityOf(await readFile(source));
    });

    it('is high for a large, sharp, frontal face', () => {
      expect(original).toBeGreaterThan(0.9);
    });

    it('drops when the photo is heavily downscaled (a small face)', async () => {
      const small = await qualityOf(await sharp(source).resize({ width: 80 }).png().toBuffer());
      expect(small).toBeLessThan(0.5);
      expect(small).toBeLessThan(original - 0.4);
    });

    it('drops when the photo is heavily blurred', async () => {
      const blurred = await qualityOf(await sharp(source).blur(12).png().toBuffer());
      expect(blurred).toBeLessThan(0.5);
      expect(blurred).toBeLessThan(original - 0.4);
    });

    it('keeps faces below minEmbedQuality out of matching: reported, but without an embedding', async () => {
      const image = await decodeImage(await sharp(source).blur(12).png().toBuffer());
      const { analysis } = await analyzer.analyze(image, { ...FACES_ONLY, embeddings: true, minEmbedQuality: 0.5 });
      expect(analysis.faces).toHaveLength(1);
      expect(analysis.faces[0]!.embedding).toBeUndefined();
      const sharpImage = await decodeImage(await readFile(source));
      const good = await analyzer.analyze(sharpImage, { ...FACES_ONLY, embeddings: true, minEmbedQuality: 0.5 });
      expect(good.analysis.faces[0]!.embedding).toHaveLength(128);
    });
  });

  it('can use the 512-value alternative embedder, also L2-normalised', async () => {
    const alt = new FrameAnalyzer({ modelsDir: MODELS, threads: 1 }, { ...DEFAULT_MODEL_NAMES, faceEmbedder: 'faceplugin_fr_feature' });
    try {
      const { analysis } = await alt.analyze(await decodeImage(await readFile(join(FACES, 'img20.jpg'))), { ...FACES_ONLY, embeddings: true });
      const e = analysis.faces[0]!.embedding!;
      expect(e).toHaveLength(512);
      expect(Math.sqrt(dot(e, e))).toBeCloseTo(1, 5);
    } finally {
      await alt.close();
    }
  });
});
