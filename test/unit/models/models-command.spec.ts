import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerModelsCommand, type ModelsCommandIo } from '../../../cli/models.command.ts';
import { MODEL_MANIFEST } from '../../../models/manifest.ts';

function harness() {
  const out: string[] = [];
  const err: string[] = [];
  let exitCode = 0;
  const io: ModelsCommandIo = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    fail: (c) => {
      exitCode = c;
    },
  };
  const program = new Command().name('argus').exitOverride();
  registerModelsCommand(program, io);
  return {
    run: (...args: string[]) => program.parseAsync(['node', 'argus', 'models', ...args]),
    out,
    err,
    exitCode: () => exitCode,
  };
}

describe('argus models', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'argus-models-cli-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('list prints one row per model', async () => {
    const h = harness();
    await h.run('list');
    for (const m of MODEL_MANIFEST) expect(h.out.some((l) => l.startsWith(m.name) && l.includes(m.file))).toBe(true);
    expect(h.exitCode()).toBe(0);
  });

  it('list --json prints the manifest', async () => {
    const h = harness();
    await h.run('list', '--json');
    const parsed = JSON.parse(h.out.join('\n')) as Array<{ name: string; sha256: string }>;
    expect(parsed.map((m) => m.name)).toEqual(MODEL_MANIFEST.map((m) => m.name));
  });

  it('verify --json on an empty folder reports every model and exits 1', async () => {
    const h = harness();
    await h.run('verify', '--json', '--models-dir', dir);
    const parsed = JSON.parse(h.out.join('\n')) as { ok: boolean; modelsDir: string; models: Array<{ ok: boolean; problem: string }> };
    expect(parsed.ok).toBe(false);
    expect(parsed.modelsDir).toBe(dir);
    expect(parsed.models).toHaveLength(MODEL_MANIFEST.length);
    expect(parsed.models.every((m) => !m.ok && m.problem.includes('npx argus models fetch'))).toBe(true);
    expect(h.exitCode()).toBe(1);
  });

  it('verify of an optional model that is missing does not fail', async () => {
    const h = harness();
    await h.run('verify', 'y5fu_320x_sim', '--models-dir', dir);
    expect(h.out.join('\n')).toMatch(/missing\s+y5fu_320x_sim/);
    expect(h.exitCode()).toBe(0);
  });

  it('verify names the required models that are not usable', async () => {
    const h = harness();
    await h.run('verify', '--models-dir', dir);
    expect(h.err.join('\n')).toContain('Required models not usable: yunet_n_dynamic, mobilefacenet, plate_detect, plate_rec_color, yolox_nano');
    expect(h.exitCode()).toBe(1);
  });

  it('rejects unknown model names', async () => {
    const h = harness();
    await h.run('verify', 'no_such_model', '--models-dir', dir);
    expect(h.err.join('\n')).toContain('Unknown model: no_such_model');
    expect(h.exitCode()).toBe(2);
  });
});
