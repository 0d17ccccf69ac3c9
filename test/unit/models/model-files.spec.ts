import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError, UnavailableError } from '../../../contracts/errors.ts';
import type { ModelEntry } from '../../../models/manifest.ts';
import { requireModelFile, resolveModelPath, sha256File, verifyModelFile, verifyModels } from '../../../models/model-files.ts';

const content = Buffer.from('not really an onnx file, but bytes with a known hash\n'.repeat(50));

function entryFor(bytes: Buffer, overrides: Partial<ModelEntry> = {}): ModelEntry {
  return {
    name: 'test_model',
    task: 'face-detection',
    file: 'face/test_model.onnx',
    sha256: createHash('sha256').update(bytes).digest('hex'),
    bytes: bytes.length,
    licence: 'Apache-2.0',
    upstream: { repo: 'example/models', commit: 'a'.repeat(40), path: 'test_model.onnx' },
    required: true,
    description: 'test entry',
    contract: 'none',
    ...overrides,
  };
}

describe('model files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'argus-models-unit-'));
    await mkdir(join(dir, 'face'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('resolves a model name to its file in the models directory', () => {
    expect(resolveModelPath('/srv/models', 'yunet_n_dynamic')).toBe(resolve('/srv/models/face/yunet_n_dynamic.onnx'));
    expect(resolveModelPath('rel', 'yolox_nano')).toBe(resolve('rel/detect/yolox_nano.onnx'));
  });

  it('rejects unknown model names, listing the known ones', () => {
    expect(() => resolveModelPath(dir, 'nope')).toThrow(NotFoundError);
    expect(() => resolveModelPath(dir, 'nope')).toThrow(/yunet_n_dynamic/);
  });

  it('accepts a file whose size and sha256 match', async () => {
    const entry = entryFor(content);
    await writeFile(join(dir, 'face/test_model.onnx'), content);
    expect(await sha256File(join(dir, 'face/test_model.onnx'))).toBe(entry.sha256);
    const check = await verifyModelFile(dir, entry);
    expect(check).toEqual({ name: 'test_model', path: join(dir, 'face/test_model.onnx'), required: true, ok: true });
  });

  it('reports a corrupt file (same size, one byte changed) by name, with both hashes and the fix', async () => {
    const entry = entryFor(content);
    const corrupt = Buffer.from(content);
    corrupt[100] = corrupt[100]! ^ 0xff;
    await writeFile(join(dir, 'face/test_model.onnx'), corrupt);
    const check = await verifyModelFile(dir, entry);
    expect(check.ok).toBe(false);
    expect(check.problem).toContain(join(dir, 'face/test_model.onnx'));
    expect(check.problem).toContain('test_model');
    expect(check.problem).toContain(entry.sha256);
    expect(check.problem).toContain(createHash('sha256').update(corrupt).digest('hex'));
    expect(check.problem).toContain('npx argus models fetch');
  });

  it('reports a truncated file without hashing it', async () => {
    const entry = entryFor(content);
    await writeFile(join(dir, 'face/test_model.onnx'), content.subarray(0, 10));
    const check = await verifyModelFile(dir, entry);
    expect(check.ok).toBe(false);
    expect(check.problem).toMatch(/face\/test_model\.onnx has 10 bytes, expected \d+/);
  });

  it('reports a missing file and a broken link', async () => {
    const entry = entryFor(content);
    const missing = await verifyModelFile(dir, entry);
    expect(missing.ok).toBe(false);
    expect(missing.problem).toMatch(/face\/test_model\.onnx is missing\. Run `npx argus models fetch`/);
    expect(missing.problem).toContain('https://github.com/example/models/blob/');

    await symlink(join(dir, 'gone.onnx'), join(dir, 'face/test_model.onnx'));
    const broken = await verifyModelFile(dir, entry);
    expect(broken.ok).toBe(false);
    expect(broken.problem).toContain(`is a broken link to ${join(dir, 'gone.onnx')}`);
  });

  it('reports a directory where the file should be', async () => {
    await mkdir(join(dir, 'face/test_model.onnx'));
    const check = await verifyModelFile(dir, entryFor(content));
    expect(check.problem).toContain('is not a regular file');
  });

  it('verifies several entries, marking which are required', async () => {
    const good = entryFor(content);
    const optional = entryFor(Buffer.from('x'), { name: 'other', file: 'face/other.onnx', required: false });
    await writeFile(join(dir, 'face/test_model.onnx'), content);
    const checks = await verifyModels(dir, [good, optional]);
    expect(checks.map((c) => [c.name, c.ok, c.required])).toEqual([
      ['test_model', true, true],
      ['other', false, false],
    ]);
  });

  it('requireModelFile throws UnavailableError naming the file and the fix', async () => {
    await expect(requireModelFile(dir, 'yunet_n_dynamic')).rejects.toThrow(UnavailableError);
    await expect(requireModelFile(dir, 'yunet_n_dynamic')).rejects.toThrow(/yunet_n_dynamic\.onnx is missing.*npx argus models fetch/);
  });
});
