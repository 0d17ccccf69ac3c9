import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../contracts/errors.ts';
import {
  cropRaster,
  decodeImage,
  encodeJpeg,
  expandBox,
  joinHorizontally,
  laplacianVariance,
  resizeRaster,
  warpRaster,
  withOrder,
} from '../../../analytics/image/raster-ops.ts';
import type { ChannelOrder, Raster } from '../../../models/raster.ts';

/**
 * analytics/image/raster-ops.ts on small synthetic rasters whose right answer is known pixel by pixel.
 */

type Px = [number, number, number];

/** A raster whose pixel (x, y) is f(x, y). */
function make(width: number, height: number, f: (x: number, y: number) => Px, order: ChannelOrder = 'rgb'): Raster {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(f(x, y), (y * width + x) * 3);
  return { width, height, order, data };
}

function px(r: Raster, x: number, y: number): Px {
  const i = (y * r.width + x) * 3;
  return [r.data[i]!, r.data[i + 1]!, r.data[i + 2]!];
}

/** Pixel (x, y) of the "coordinate" raster: red = x, green = y, blue = 7. */
const coord = (width: number, height: number) => make(width, height, (x, y) => [x, y, 7]);

const IDENTITY = [1, 0, 0, 0, 1, 0, 0, 0, 1];

/** A 3×3 box blur (edges repeated), to make a blurred twin of a pattern. */
function boxBlur(src: Raster): Raster {
  return make(src.width, src.height, (x, y) => {
    let [r, g, b] = [0, 0, 0];
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const p = px(src, Math.min(src.width - 1, Math.max(0, x + dx)), Math.min(src.height - 1, Math.max(0, y + dy)));
        r += p[0];
        g += p[1];
        b += p[2];
      }
    }
    return [Math.round(r / 9), Math.round(g / 9), Math.round(b / 9)];
  });
}

describe('decodeImage', () => {
  it('decodes PNG bytes into an RGB raster with the exact pixels', async () => {
    const src = make(5, 3, (x, y) => [x * 50, y * 100, 255 - x * 50]);
    const png = await sharp(Buffer.from(src.data), { raw: { width: 5, height: 3, channels: 3 } }).png().toBuffer();
    const out = await decodeImage(png);
    expect(out).toMatchObject({ width: 5, height: 3, order: 'rgb' });
    expect(Array.from(out.data)).toEqual(Array.from(src.data));
  });

  it('drops an alpha channel', async () => {
    const rgba = Buffer.from([10, 20, 30, 128, 40, 50, 60, 255]);
    const png = await sharp(rgba, { raw: { width: 2, height: 1, channels: 4 } }).png().toBuffer();
    const out = await decodeImage(png);
    expect(out.data).toHaveLength(6);
    expect(Array.from(out.data)).toEqual([10, 20, 30, 40, 50, 60]);
  });

  it('refuses bytes that are not an image with a ValidationError naming the input', async () => {
    const err = await decodeImage(new TextEncoder().encode('not an image at all'), 'notes.txt').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toMatch(/^notes\.txt is not a readable image/);
  });
});

describe('withOrder', () => {
  it('swaps red and blue into a copy and leaves the original alone', () => {
    const rgb = make(2, 1, (x) => [x, 100, 200 + x]);
    const bgr = withOrder(rgb, 'bgr');
    expect(bgr.order).toBe('bgr');
    expect(Array.from(bgr.data)).toEqual([200, 100, 0, 201, 100, 1]);
    expect(Array.from(rgb.data)).toEqual([0, 100, 200, 1, 100, 201]);
    expect(withOrder(withOrder(rgb, 'bgr'), 'rgb').data).toEqual(rgb.data);
  });

  it('returns the raster itself when it is already in that order', () => {
    const r = coord(2, 2);
    expect(withOrder(r, 'rgb')).toBe(r);
  });
});

describe('encodeJpeg', () => {
  it('encodes RGB and BGR rasters so that the colours come back right', async () => {
    const redRgb = make(16, 16, () => [230, 20, 20]);
    const redBgr = make(16, 16, () => [20, 20, 230], 'bgr');
    for (const r of [redRgb, redBgr]) {
      const jpeg = await encodeJpeg(r);
      expect(jpeg.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
      const back = await decodeImage(jpeg);
      const [red, green, blue] = px(back, 8, 8);
      expect(red).toBeGreaterThan(200);
      expect(green).toBeLessThan(50);
      expect(blue).toBeLessThan(50);
    }
  });
});

describe('warpRaster', () => {
  const src = coord(6, 4);

  it('copies the image with the identity matrix', () => {
    expect(warpRaster(src, 6, 4, IDENTITY)).toEqual(src);
  });

  it('translates: output (x, y) samples source (x + 2, y + 1), edge pixels repeated outside', () => {
    const out = warpRaster(src, 6, 4, [1, 0, 2, 0, 1, 1, 0, 0, 1]);
    expect(px(out, 0, 0)).toEqual([2, 1, 7]);
    expect(px(out, 3, 2)).toEqual([5, 3, 7]);
    // Beyond the right and bottom edges: clamped to the last column/row.
    expect(px(out, 5, 3)).toEqual([5, 3, 7]);
    const left = warpRaster(src, 6, 4, [1, 0, -3, 0, 1, 0, 0, 0, 1]);
    expect(px(left, 0, 2)).toEqual([0, 2, 7]);
    expect(px(left, 4, 2)).toEqual([1, 2, 7]);
  });

  it('rotates by 90° (output (x, y) ← source (y, H−1−x))', () => {
    const out = warpRaster(src, 4, 6, [0, 1, 0, -1, 0, 3, 0, 0, 1]);
    expect(out).toMatchObject({ width: 4, height: 6 });
    for (let y = 0; y < 6; y++) for (let x = 0; x < 4; x++) expect(px(out, x, y)).toEqual([y, 3 - x, 7]);
  });

  it('interpolates bilinearly between pixels', () => {
    const ramp = make(2, 2, (x, y) => [x * 100, y * 200, 0]);
    const out = warpRaster(ramp, 1, 1, [1, 0, 0.5, 0, 1, 0.25, 0, 0, 1]);
    expect(px(out, 0, 0)).toEqual([50, 50, 0]);
  });

  it('applies the perspective row (divides by w)', () => {
    // w = 0.5 everywhere: source = 2 × output.
    const out = warpRaster(src, 3, 2, [1, 0, 0, 0, 1, 0, 0, 0, 0.5]);
    expect(px(out, 1, 1)).toEqual([2, 2, 7]);
    expect(px(out, 2, 1)).toEqual([4, 2, 7]);
  });

  it('keeps the channel order and refuses a matrix that is not 3×3', () => {
    expect(warpRaster(coord(2, 2), 2, 2, IDENTITY).order).toBe('rgb');
    expect(warpRaster({ ...coord(2, 2), order: 'bgr' }, 2, 2, IDENTITY).order).toBe('bgr');
    expect(() => warpRaster(src, 2, 2, [1, 0, 0, 0, 1, 0])).toThrow(/3×3/);
  });
});

describe('cropRaster', () => {
  const src = coord(10, 8);

  it('copies exactly the pixels inside the box', () => {
    const out = cropRaster(src, [2, 3, 6, 5]);
    expect(out).toMatchObject({ width: 4, height: 2, order: 'rgb' });
    for (let y = 0; y < 2; y++) for (let x = 0; x < 4; x++) expect(px(out, x, y)).toEqual([x + 2, y + 3, 7]);
  });

  it('grows a fractional box to whole pixels and clips to the image', () => {
    expect(cropRaster(src, [1.5, 1.2, 3.1, 2.9])).toMatchObject({ width: 3, height: 2 });
    const clipped = cropRaster(src, [-5, -5, 3, 2]);
    expect(clipped).toMatchObject({ width: 3, height: 2 });
    expect(px(clipped, 0, 0)).toEqual([0, 0, 7]);
    expect(cropRaster(src, [8, 6, 50, 50])).toMatchObject({ width: 2, height: 2 });
  });

  it('gives at least one pixel for an empty or outside box', () => {
    expect(cropRaster(src, [4, 4, 4, 4])).toMatchObject({ width: 1, height: 1 });
    const outside = cropRaster(src, [20, 20, 30, 30]);
    expect(outside).toMatchObject({ width: 1, height: 1 });
    expect(px(outside, 0, 0)).toEqual([9, 7, 7]);
  });
});

describe('expandBox', () => {
  it('grows the box by a fraction of its size on each side, in whole pixels, clipped', () => {
    expect(expandBox([10, 20, 30, 60], 0.1, 100, 100)).toEqual([8, 16, 32, 64]);
    expect(expandBox([1, 1, 99, 99], 0.5, 100, 100)).toEqual([0, 0, 100, 100]);
  });
});

describe('resizeRaster', () => {
  it('halves 2×2 blocks into their colours exactly', () => {
    const blocks = make(4, 4, (x, y) => (x < 2 ? (y < 2 ? [10, 10, 10] : [90, 90, 90]) : y < 2 ? [170, 170, 170] : [250, 250, 250]));
    const out = resizeRaster(blocks, 2, 2);
    expect([px(out, 0, 0), px(out, 1, 0), px(out, 0, 1), px(out, 1, 1)]).toEqual([
      [10, 10, 10],
      [170, 170, 170],
      [90, 90, 90],
      [250, 250, 250],
    ]);
  });

  it('doubles with pixel centres aligned: 0 → 255 becomes 0, 64, 191, 255', () => {
    const ramp = make(2, 1, (x) => [x * 255, 0, 0]);
    const out = resizeRaster(ramp, 4, 1);
    expect([0, 1, 2, 3].map((x) => px(out, x, 0)[0])).toEqual([0, 64, 191, 255]);
  });

  it('keeps a one-colour image one colour and gives the requested size', () => {
    const out = resizeRaster(make(7, 3, () => [1, 2, 3]), 19, 11);
    expect(out).toMatchObject({ width: 19, height: 11 });
    for (let i = 0; i < out.data.length; i += 3) expect(Array.from(out.data.subarray(i, i + 3))).toEqual([1, 2, 3]);
  });
});

describe('joinHorizontally', () => {
  it('puts the parts side by side, row by row', () => {
    const a = make(2, 2, (x, y) => [1, x, y]);
    const b = make(3, 2, (x, y) => [2, x, y]);
    const out = joinHorizontally([a, b]);
    expect(out).toMatchObject({ width: 5, height: 2, order: 'rgb' });
    for (let y = 0; y < 2; y++) {
      expect([0, 1, 2, 3, 4].map((x) => px(out, x, y))).toEqual([
        [1, 0, y],
        [1, 1, y],
        [2, 0, y],
        [2, 1, y],
        [2, 2, y],
      ]);
    }
  });

  it('refuses parts of different heights or channel orders, and nothing at all', () => {
    expect(() => joinHorizontally([coord(2, 2), coord(2, 3)])).toThrow(RangeError);
    expect(() => joinHorizontally([coord(2, 2), { ...coord(2, 2), order: 'bgr' }])).toThrow(RangeError);
    expect(() => joinHorizontally([])).toThrow(RangeError);
  });
});

describe('laplacianVariance', () => {
  const stripes = make(40, 40, (x, y) => ((Math.floor(x / 2) + Math.floor(y / 2)) % 2 ? [230, 230, 230] : [20, 20, 20]));

  it('is 0 on a flat image and much higher on a sharp pattern than on its blurred version', () => {
    expect(laplacianVariance(make(20, 20, () => [128, 128, 128]))).toBe(0);
    const sharpScore = laplacianVariance(stripes);
    const blurred = laplacianVariance(boxBlur(stripes));
    const blurredTwice = laplacianVariance(boxBlur(boxBlur(stripes)));
    expect(sharpScore).toBeGreaterThan(1000);
    expect(blurred).toBeLessThan(sharpScore / 4);
    expect(blurredTwice).toBeLessThan(blurred);
  });

  it('measures only inside the given box', () => {
    // Left half flat, right half sharp.
    const half = make(40, 40, (x, y) => (x < 20 ? [100, 100, 100] : ((x + y) % 2 ? [250, 250, 250] : [0, 0, 0])));
    expect(laplacianVariance(half, [0, 0, 18, 40])).toBe(0);
    expect(laplacianVariance(half, [22, 0, 40, 40])).toBeGreaterThan(1000);
  });

  it('gives 0 for a box too small to measure', () => {
    expect(laplacianVariance(stripes, [5, 5, 5, 5])).toBe(0);
  });
});
