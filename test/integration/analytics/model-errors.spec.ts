import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnavailableError } from '../../../contracts/errors.ts';
import { FrameAnalyzer } from '../../../analytics/analyzer.ts';
import { PlateRecognizerModel } from '../../../models/plate-recognizer.model.ts';
import { FaceDetectorModel } from '../../../models/face-detector.model.ts';

/**
 * A missing or corrupt model file must fail with an error that names the file and the command that
 * repairs the models folder (`npx argus models fetch`), from a model class and from `argus analyze`.
 * Real model files from ../shared/models are copied into a temporary models folder and damaged there.
 */

const ROOT = resolve(import.meta.dirname, '../../..');
const MODELS = resolve(ROOT, '../shared/models');
const SCENE = resolve(ROOT, '../shared/media/plates/scenes/single_yellow.jpg');
const FIX = 'npx argus models fetch';
const REC_FILE = 'plate/plate_rec_color.onnx';

async function loadError(load: () => Promise<unknown>): Promise<Error> {
  const err = await load().then(
    () => null,
    (e: unknown) => e as Error,
  );
  expect(err, 'loading should have failed').not.toBeNull();
  return err!;
}

describe('model file errors', () => {
  let dir: string;
  const runtime = () => ({ modelsDir: dir, threads: 1 });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'argus-models-'));
    mkdirSync(join(dir, 'plate'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('names a missing file and the fix command', async () => {
    const model = new FaceDetectorModel(runtime());
    const err = await loadError(() => model.load());
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err.message).toContain(join(dir, 'face/yunet_n_dynamic.onnx'));
    expect(err.message).toContain('is missing');
    expect(err.message).toContain(FIX);
  });

  it('names a truncated file and the fix command, and loads once the file is repaired', async () => {
    const target = join(dir, REC_FILE);
    copyFileSync(join(MODELS, REC_FILE), target);
    truncateSync(target, 100_000);
    const model = new PlateRecognizerModel(runtime());
    const err = await loadError(() => model.load());
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err.message).toContain(target);
    expect(err.message).toMatch(/has 100000 bytes, expected \d+/);
    expect(err.message).toContain(FIX);
    // The failed load is not cached: after the repair the same object loads.
    copyFileSync(join(MODELS, REC_FILE), target);
    const session = await model.load();
    expect(session.inputNames).toEqual(['input']);
    await model.close();
  });

  it('names a file whose bytes were altered (same size) by its wrong sha256, and the fix command', async () => {
    const target = join(dir, REC_FILE);
    const bytes = readFileSync(join(MODELS, REC_FILE));
    bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0xff;
    writeFileSync(target, bytes);
    const model = new PlateRecognizerModel(runtime());
    const err = await loadError(() => model.load());
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err.message).toContain(target);
    expect(err.message).toMatch(/sha256 [0-9a-f]{64}, expected 5ef7430aece989356a41c93032f0a4a1c6222458e7dd8a3c8ca1033f423db7ef/);
    expect(err.message).toContain(FIX);
  });

  it('fails FrameAnalyzer.load for the pipelines that need the file, not for the others', async () => {
    const analyzer = new FrameAnalyzer(runtime());
    try {
      const err = await loadError(() => analyzer.load(['plates'], false));
      expect(err.message).toContain(FIX);
      expect(err.message).toMatch(/plate\/plate_(detect|rec_color)\.onnx/);
      // The objects pipeline needs only yolox_nano: linked in, it loads.
      mkdirSync(join(dir, 'detect'), { recursive: true });
      copyFileSync(join(MODELS, 'detect/yolox_nano.onnx'), join(dir, 'detect/yolox_nano.onnx'));
      await expect(analyzer.load(['objects'], false)).resolves.toBeUndefined();
    } finally {
      await analyzer.close();
    }
  });

  it('makes `argus analyze` exit 1 naming the file and the fix, without printing results', () => {
    const empty = mkdtempSync(join(tmpdir(), 'argus-models-empty-'));
    try {
      const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ARGUS_')));
      const r = spawnSync(process.execPath, [join(ROOT, 'bin/argus.mjs'), 'analyze', '--json', '--pipelines', 'objects', '--models-dir', empty, SCENE], {
        cwd: ROOT,
        env: clean,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toContain(join(empty, 'detect/yolox_nano.onnx'));
      expect(r.stderr).toContain('is missing');
      expect(r.stderr).toContain(FIX);
      expect(r.stdout).toBe('');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
