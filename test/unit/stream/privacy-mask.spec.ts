import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { createCameraRequestSchema, privacyMasksSchema, updateCameraRequestSchema, type PrivacyMask } from '../../../contracts/api.ts';
import { privacyMaskHash, privacyMaskPath, privacyMaskSvg, writePrivacyMask } from '../../../ingest/stream/privacy-mask.ts';

const SQUARE: PrivacyMask = [
  [0, 0],
  [0.5, 0],
  [0.5, 0.5],
  [0, 0.5],
];
const TRIANGLE: PrivacyMask = [
  [0.6, 0.6],
  [0.9, 0.6],
  [0.75, 0.9],
];

describe('privacy mask schema', () => {
  it('accepts up to 16 polygons of 3 to 32 points inside the picture', () => {
    expect(privacyMasksSchema.parse([SQUARE, TRIANGLE])).toEqual([SQUARE, TRIANGLE]);
    expect(privacyMasksSchema.parse([])).toEqual([]);
    expect(privacyMasksSchema.safeParse(Array.from({ length: 16 }, () => TRIANGLE)).success).toBe(true);
    expect(updateCameraRequestSchema.parse({ privacyMasks: [TRIANGLE] })).toEqual({ privacyMasks: [TRIANGLE] });
    expect(createCameraRequestSchema.shape.privacyMasks).toBeDefined();
  });

  it('refuses bad polygons with messages that say what is wrong', () => {
    const message = (v: unknown) => {
      const r = privacyMasksSchema.safeParse(v);
      return r.success ? null : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    };
    expect(message([[[0, 0], [1, 1]]])).toMatch(/^0: a privacy mask needs at least 3 points/);
    expect(message([[[0, 0], [1.2, 0], [1, 1]]])).toMatch(/^0\.1\.0: .*inside the picture \(x from 0 to 1\)/);
    expect(message([[[0, 0], [1, -0.1], [1, 1]]])).toMatch(/^0\.1\.1: .*\(y from 0 to 1\)/);
    expect(message([[[0, 0], [0.5, 0.5], [1, 1]]])).toMatch(/must cover an area/);
    expect(message([Array.from({ length: 33 }, (_, i) => [i / 40, (i * i) / 1600])])).toMatch(/at most 32 points/);
    expect(message(Array.from({ length: 17 }, () => TRIANGLE))).toMatch(/at most 16 privacy masks/);
    expect(message([[[0, 0], [Number.NaN, 0], [1, 1]]])).not.toBeNull();
  });
});

describe('privacy mask picture', () => {
  it('builds an SVG of black polygons in pixels', () => {
    expect(privacyMaskSvg([TRIANGLE], 100, 50)).toBe(
      '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="50" viewBox="0 0 100 50">' +
        '<polygon points="60,30 90,30 75,45" fill="#000" fill-opacity="1" fill-rule="nonzero"/></svg>',
    );
  });

  it('names the file by a hash of the polygons', () => {
    expect(privacyMaskHash([SQUARE])).toMatch(/^[0-9a-f]{16}$/);
    expect(privacyMaskHash([SQUARE])).toBe(privacyMaskHash([SQUARE.map(([x, y]) => [x, y] as [number, number])]));
    expect(privacyMaskHash([SQUARE])).not.toBe(privacyMaskHash([SQUARE, TRIANGLE]));
    expect(privacyMaskPath('/data', 'cam-1', [SQUARE])).toBe(`/data/masks/cam-1-${privacyMaskHash([SQUARE])}.png`);
  });

  it('writes a PNG: opaque black inside the polygons, transparent elsewhere; nothing for no mask', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'argus-mask-unit-'));
    try {
      expect(await writePrivacyMask(dir, 'cam-1', [])).toBeNull();
      const path = (await writePrivacyMask(dir, 'cam-1', [SQUARE, TRIANGLE]))!;
      expect(path).toBe(privacyMaskPath(dir, 'cam-1', [SQUARE, TRIANGLE]));
      expect(await writePrivacyMask(dir, 'cam-1', [SQUARE, TRIANGLE])).toBe(path);
      expect(readdirSync(join(dir, 'masks'))).toEqual([path.split('/').pop()]);
      const { data, info } = await sharp(path).raw().toBuffer({ resolveWithObject: true });
      expect(info.channels).toBe(4);
      const px = (x: number, y: number) => {
        const o = (Math.floor(y * info.height) * info.width + Math.floor(x * info.width)) * 4;
        return [...data.subarray(o, o + 4)];
      };
      expect(px(0.25, 0.25)).toEqual([0, 0, 0, 255]);
      expect(px(0.75, 0.7)).toEqual([0, 0, 0, 255]);
      expect(px(0.75, 0.25)[3]).toBe(0);
      expect(px(0.25, 0.75)[3]).toBe(0);
      expect(px(0.95, 0.95)[3]).toBe(0);

      // A new mask replaces the camera's old file; other cameras' files stay; no mask removes it.
      const other = (await writePrivacyMask(dir, 'cam-2', [TRIANGLE]))!;
      const next = (await writePrivacyMask(dir, 'cam-1', [TRIANGLE]))!;
      expect(readdirSync(join(dir, 'masks')).sort()).toEqual([next, other].map((p) => p.split('/').pop()).sort());
      expect(await writePrivacyMask(dir, 'cam-1', [])).toBeNull();
      expect(readdirSync(join(dir, 'masks'))).toEqual([other.split('/').pop()]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
