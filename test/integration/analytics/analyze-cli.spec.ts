import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OBJECT_LABELS, PLATE_COLOURS } from '../../../contracts/analytics.ts';

/**
 * `argus analyze --json`, the public JSON contract (docs/analyze.md), run as users run it: the real
 * bin/argus.mjs in a child process, real worker threads, the real models and media. Each launch
 * loads models, so the launches are few and each checks several things.
 */

const ROOT = resolve(import.meta.dirname, '../../..');
const MODELS = resolve(ROOT, '../shared/models');
const MEDIA = resolve(ROOT, '../shared/media');
const SINGLE = join(MEDIA, 'plates/scenes/single_yellow.jpg');
const DOUBLE = join(MEDIA, 'plates/scenes/double_yellow.jpg');
const COUPLE = join(MEDIA, 'faces/couple.jpg');

const PLATE_KEYS = ['text', 'colour', 'layers', 'score', 'box', 'corners'];
const FACE_KEYS = ['box', 'score', 'landmarks', 'quality'];
const OBJECT_KEYS = ['label', 'score', 'box'];

/* The parsed output is checked member by member, so it is typed loosely here on purpose. */
type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

function analyze(args: string[]) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ARGUS_')));
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/argus.mjs'), 'analyze', '--models-dir', MODELS, '--workers', '1', ...args], {
    cwd: ROOT,
    env: clean,
    encoding: 'utf8',
    timeout: 90_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A number rounded to `decimals` places (as the contract promises). */
function expectRounded(v: unknown, decimals: number): void {
  expect(typeof v).toBe('number');
  const scaled = (v as number) * 10 ** decimals;
  expect(Math.abs(scaled - Math.round(scaled))).toBeLessThan(1e-6);
}
const expectPoint = (p: unknown) => {
  expect(p).toHaveLength(2);
  for (const v of p as number[]) expectRounded(v, 1);
};
const expectBox = (b: unknown) => {
  expect(b).toHaveLength(4);
  for (const v of b as number[]) expectRounded(v, 1);
  const [x1, y1, x2, y2] = b as number[];
  expect(x1).toBeLessThan(x2!);
  expect(y1).toBeLessThan(y2!);
};
const expectScore = (s: unknown) => {
  expectRounded(s, 4);
  expect(s).toBeGreaterThan(0);
  expect(s).toBeLessThanOrEqual(1);
};

/** Every member of one image's result, against the documented contract. */
function expectContract(result: Json, options: { embeddings: boolean }): void {
  expect(Object.keys(result)).toEqual(['file', 'plates', 'faces', 'objects']);
  for (const p of result.plates) {
    expect(Object.keys(p)).toEqual(PLATE_KEYS);
    expect(typeof p.text).toBe('string');
    expect(PLATE_COLOURS).toContain(p.colour);
    expect([1, 2]).toContain(p.layers);
    expectScore(p.score);
    expectBox(p.box);
    expect(p.corners).toHaveLength(4);
    p.corners.forEach(expectPoint);
  }
  for (const f of result.faces) {
    expect(Object.keys(f)).toEqual(options.embeddings ? [...FACE_KEYS, 'embedding'] : FACE_KEYS);
    expectBox(f.box);
    expectScore(f.score);
    expect(f.landmarks).toHaveLength(5);
    f.landmarks.forEach(expectPoint);
    expectRounded(f.quality, 4);
    expect(f.quality).toBeGreaterThanOrEqual(0);
    expect(f.quality).toBeLessThanOrEqual(1);
    if (options.embeddings) {
      expect(f.embedding).toHaveLength(128);
      const norm = Math.sqrt((f.embedding as number[]).reduce((s, v) => s + v * v, 0));
      expect(norm).toBeCloseTo(1, 5);
    }
  }
  for (const o of result.objects) {
    expect(Object.keys(o)).toEqual(OBJECT_KEYS);
    expect(OBJECT_LABELS).toContain(o.label);
    expectScore(o.score);
    expectBox(o.box);
  }
}

describe('argus analyze --json', () => {
  let dir: string;
  let folder: string;
  let notImage: string;
  const missing = '/nonexistent/argus-missing.jpg';

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'argus-analyze-'));
    notImage = join(dir, 'notes.jpg');
    writeFileSync(notImage, 'this is not a JPEG');
    // A folder: two images, a text file and a sub-folder with an image (not taken: only direct children).
    folder = join(dir, 'batch');
    mkdirSync(join(folder, 'sub'), { recursive: true });
    copyFileSync(DOUBLE, join(folder, 'b-plate.jpg'));
    copyFileSync(COUPLE, join(folder, 'a-couple.JPG'));
    copyFileSync(SINGLE, join(folder, 'sub', 'ignored.jpg'));
    writeFileSync(join(folder, 'readme.txt'), 'not an image');
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('prints the documented members for every image, the plate texts, and an error member (exit 1) for unreadable files', () => {
    const r = analyze(['--json', SINGLE, DOUBLE, COUPLE, missing, notImage]);
    expect(r.code, r.err).toBe(1);
    expect(r.err).toContain('2 of 5 images could not be analysed');
    const results = JSON.parse(r.out) as Json[];
    expect(results.map((x) => x.file)).toEqual([SINGLE, DOUBLE, COUPLE, missing, notImage]);

    const [single, double, couple, gone, garbage] = results;
    for (const ok of [single, double, couple]) expectContract(ok, { embeddings: false });
    expect(single.plates.map((p: Json) => [p.text, p.colour, p.layers])).toEqual([['皖K66666', 'yellow', 1]]);
    expect(double.plates.map((p: Json) => [p.text, p.colour, p.layers])).toEqual([['京EA5331', 'yellow', 2]]);
    expect(single.objects.some((o: Json) => o.label === 'car')).toBe(true);
    expect(couple.faces).toHaveLength(2);
    expect(couple.plates).toEqual([]);
    expect(couple.objects.filter((o: Json) => o.label === 'person').length).toBeGreaterThanOrEqual(2);

    for (const bad of [gone, garbage]) {
      expect(Object.keys(bad).sort()).toEqual(['error', 'faces', 'file', 'objects', 'plates']);
      expect(typeof bad.error).toBe('string');
      expect(bad.error.length).toBeGreaterThan(0);
      expect([bad.plates, bad.faces, bad.objects]).toEqual([[], [], []]);
    }
    expect(gone.error).toMatch(/ENOENT|no such file/);
    expect(garbage.error).toContain('is not a readable image');
  });

  it('expands a folder to the images directly inside it and adds 128-value embeddings with --embeddings', () => {
    const r = analyze(['--json', '--embeddings', folder]);
    expect(r.code, r.err).toBe(0);
    const results = JSON.parse(r.out) as Json[];
    expect(results.map((x) => x.file)).toEqual([join(folder, 'a-couple.JPG'), join(folder, 'b-plate.jpg')]);
    for (const x of results) expectContract(x, { embeddings: true });
    expect(results[0].faces).toHaveLength(2);
    // Two different people: their embeddings do not match.
    const [e1, e2] = results[0].faces.map((f: Json) => f.embedding as number[]);
    expect(e1.reduce((s: number, v: number, i: number) => s + v * e2[i], 0)).toBeLessThan(0.42);
    expect(results[1].plates.map((p: Json) => p.text)).toEqual(['京EA5331']);
  });

  it('uses the models chosen in the configuration: a 512-value embedder when analytics.models.faceEmbedder says so', () => {
    // Live analytics stores embeddings of the configured embedder; analyze must give comparable ones.
    const config = join(dir, 'argus.yaml');
    writeFileSync(config, `modelsDir: ${JSON.stringify(MODELS)}\nanalytics:\n  models:\n    faceEmbedder: faceplugin_fr_feature\n`);
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ARGUS_')));
    const r = spawnSync(
      process.execPath,
      [join(ROOT, 'bin/argus.mjs'), 'analyze', '--json', '--embeddings', '--pipelines', 'faces', '-c', config, '--data-dir', join(dir, 'data'), join(MEDIA, 'faces/img25.jpg')],
      { cwd: ROOT, env: clean, encoding: 'utf8', timeout: 90_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    const [result] = JSON.parse(r.stdout) as Json[];
    expect(result.faces).toHaveLength(1);
    expect(result.faces[0].embedding).toHaveLength(512);
  });

  it('says why when a folder holds no images, and exits 1 (fails before any model loads)', () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    writeFileSync(join(empty, 'readme.txt'), 'no images here');
    const r = analyze(['--json', empty]);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/No images .* found in/);
  });

  it('runs only the plate pipeline with --pipelines plates: faces and objects stay empty', () => {
    const r = analyze(['--json', '--pipelines', 'plates', folder]);
    expect(r.code, r.err).toBe(0);
    const results = JSON.parse(r.out) as Json[];
    expect(results).toHaveLength(2);
    for (const x of results) {
      expectContract(x, { embeddings: false });
      expect(x.faces).toEqual([]);
      expect(x.objects).toEqual([]);
    }
    expect(results[1].plates.map((p: Json) => p.text)).toEqual(['京EA5331']);
  });
});
