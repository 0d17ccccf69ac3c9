import { describe, expect, it } from 'vitest';
import {
  checkRaster,
  placementFor,
  toImagePoint,
  toTensor,
  writeTensor,
  type ChannelOrder,
  type Raster,
  type TensorFormat,
} from '../../../models/raster.ts';

/**
 * models/raster.ts: the one place that turns pixels into model input. Every model depends on the
 * channel order, the normalisation and the letterbox placement being exactly what its contract says,
 * so these tests compute the expected tensor values by hand on tiny images.
 */

/** A raster from rows of [c0, c1, c2] pixels (in `order`). */
function raster(rows: [number, number, number][][], order: ChannelOrder = 'rgb'): Raster {
  const height = rows.length;
  const width = rows[0]!.length;
  return { width, height, order, data: Uint8Array.from(rows.flat(2)) };
}

/** A width×height raster of one colour. */
function solid(width: number, height: number, pixel: [number, number, number], order: ChannelOrder = 'rgb'): Raster {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i += 3) data.set(pixel, i);
  return { width, height, order, data };
}

/** One channel plane of a planar tensor as rows. */
function plane(data: Float32Array, c: number, tw: number, th: number, offset = 0): number[][] {
  const rows: number[][] = [];
  for (let y = 0; y < th; y++) rows.push(Array.from(data.subarray(offset + c * tw * th + y * tw, offset + c * tw * th + (y + 1) * tw)));
  return rows;
}

const RAW_RGB: TensorFormat = { order: 'rgb', mean: [0, 0, 0], std: [1, 1, 1] };
const RAW_BGR: TensorFormat = { order: 'bgr', mean: [0, 0, 0], std: [1, 1, 1] };

// 2×2: red, green / blue, (10, 20, 30)
const QUAD = raster([
  [
    [255, 0, 0],
    [0, 255, 0],
  ],
  [
    [0, 0, 255],
    [10, 20, 30],
  ],
]);

describe('checkRaster', () => {
  it('accepts a consistent raster and refuses wrong sizes or data lengths', () => {
    expect(() => checkRaster(QUAD)).not.toThrow();
    expect(() => checkRaster({ ...QUAD, width: 0 })).toThrow(RangeError);
    expect(() => checkRaster({ ...QUAD, width: 1.5 })).toThrow(RangeError);
    expect(() => checkRaster({ ...QUAD, data: new Uint8Array(11) })).toThrow(/12 expected/);
  });
});

describe('toTensor: channels and normalisation', () => {
  it('writes planar CHW values unchanged when the orders match and nothing is normalised', () => {
    const t = toTensor(QUAD, 2, 2, RAW_RGB, { kind: 'stretch' });
    expect(t.data).toHaveLength(12);
    expect(plane(t.data, 0, 2, 2)).toEqual([
      [255, 0],
      [0, 10],
    ]);
    expect(plane(t.data, 1, 2, 2)).toEqual([
      [0, 255],
      [0, 20],
    ]);
    expect(plane(t.data, 2, 2, 2)).toEqual([
      [0, 0],
      [255, 30],
    ]);
  });

  it('swaps red and blue when the model wants BGR from an RGB raster', () => {
    const t = toTensor(QUAD, 2, 2, RAW_BGR, { kind: 'stretch' });
    // Tensor channel 0 is blue.
    expect(plane(t.data, 0, 2, 2)).toEqual([
      [0, 0],
      [255, 30],
    ]);
    expect(plane(t.data, 1, 2, 2)).toEqual([
      [0, 255],
      [0, 20],
    ]);
    expect(plane(t.data, 2, 2, 2)).toEqual([
      [255, 0],
      [0, 10],
    ]);
  });

  it('does not swap a BGR raster for a BGR model, and swaps it for an RGB one', () => {
    const bgr = raster([[[1, 2, 3]]], 'bgr'); // blue 1, green 2, red 3
    expect(Array.from(toTensor(bgr, 1, 1, RAW_BGR, { kind: 'stretch' }).data)).toEqual([1, 2, 3]);
    expect(Array.from(toTensor(bgr, 1, 1, RAW_RGB, { kind: 'stretch' }).data)).toEqual([3, 2, 1]);
  });

  it('normalises each tensor channel with the mean and std given in the model order', () => {
    const pixel = raster([[[100, 150, 200]]]); // r g b
    const format: TensorFormat = { order: 'bgr', mean: [10, 20, 30], std: [2, 4, 8] };
    const [b, g, r] = Array.from(toTensor(pixel, 1, 1, format, { kind: 'stretch' }).data);
    expect(b).toBeCloseTo((200 - 10) / 2, 5);
    expect(g).toBeCloseTo((150 - 20) / 4, 5);
    expect(r).toBeCloseTo((100 - 30) / 8, 5);
  });

  it('gives the contract values of the real models (plate recogniser, mobilefacenet, RGB/255)', () => {
    const pixel = raster([[[0, 128, 255]]]);
    const rec: TensorFormat = { order: 'bgr', mean: [0.588 * 255, 0.588 * 255, 0.588 * 255], std: [0.193 * 255, 0.193 * 255, 0.193 * 255] };
    const [b, g, r] = Array.from(toTensor(pixel, 1, 1, rec, { kind: 'stretch' }).data);
    expect(b).toBeCloseTo((255 / 255 - 0.588) / 0.193, 4);
    expect(g).toBeCloseTo((128 / 255 - 0.588) / 0.193, 4);
    expect(r).toBeCloseTo((0 / 255 - 0.588) / 0.193, 4);
    const mfn: TensorFormat = { order: 'rgb', mean: [127.5, 127.5, 127.5], std: [128, 128, 128] };
    expect(Array.from(toTensor(pixel, 1, 1, mfn, { kind: 'stretch' }).data).map((v) => Number(v.toFixed(5)))).toEqual([
      Number(((0 - 127.5) / 128).toFixed(5)),
      Number(((128 - 127.5) / 128).toFixed(5)),
      Number(((255 - 127.5) / 128).toFixed(5)),
    ]);
    const unit: TensorFormat = { order: 'rgb', mean: [0, 0, 0], std: [255, 255, 255] };
    expect(Array.from(toTensor(pixel, 1, 1, unit, { kind: 'stretch' }).data)).toEqual([0, Math.fround(128 / 255), 1]);
  });
});

describe('toTensor: resizing', () => {
  it('interpolates bilinearly with pixel centres aligned (as OpenCV INTER_LINEAR)', () => {
    // A 2×1 ramp 0 → 255 stretched to 4×1: source x = (x + 0.5)/2 − 0.5 = −0.25, 0.25, 0.75, 1.25 (clamped).
    const ramp = raster([
      [
        [0, 0, 0],
        [255, 255, 255],
      ],
    ]);
    const t = toTensor(ramp, 4, 1, RAW_RGB, { kind: 'stretch' });
    expect(plane(t.data, 0, 4, 1)[0]).toEqual([0, 63.75, 191.25, 255]);
  });

  it('keeps a one-colour image one colour at any size', () => {
    const t = toTensor(solid(7, 5, [9, 99, 199]), 13, 3, RAW_RGB, { kind: 'stretch' });
    for (const [c, v] of [9, 99, 199].entries()) expect(new Set(plane(t.data, c, 13, 3).flat())).toEqual(new Set([v]));
  });

  it('averages 2×2 blocks exactly when halving the size', () => {
    // 4×2 with two 2×2 blocks of 40 and 200: halving hits the middle of each block.
    const rows: [number, number, number][][] = [0, 1].map(() => [40, 40, 200, 200].map((v) => [v, v, v] as [number, number, number]));
    const t = toTensor(raster(rows), 2, 1, RAW_RGB, { kind: 'stretch' });
    expect(plane(t.data, 0, 2, 1)[0]).toEqual([40, 200]);
  });
});

describe('toTensor: letterbox placement', () => {
  // A 4×2 white image into an 8×8 tensor: scale 2, the image fills 8×4.
  const white = solid(4, 2, [255, 255, 255]);

  it('centres the image and pads above and below with the (normalised) pad value', () => {
    const format: TensorFormat = { order: 'rgb', mean: [0, 0, 0], std: [255, 255, 255] };
    const t = toTensor(white, 8, 8, format, { kind: 'letterbox', align: 'center', pad: 114 });
    expect(t.placement).toEqual({ scaleX: 2, scaleY: 2, offsetX: 0, offsetY: 2 });
    const pad = Math.fround(114 / 255);
    for (let c = 0; c < 3; c++) {
      const rows = plane(t.data, c, 8, 8);
      expect(rows.slice(0, 2).flat().every((v) => v === pad)).toBe(true);
      expect(rows.slice(2, 6).flat().every((v) => v === 1)).toBe(true);
      expect(rows.slice(6, 8).flat().every((v) => v === pad)).toBe(true);
    }
  });

  it('puts the image at the top-left and pads below it', () => {
    const t = toTensor(white, 8, 8, RAW_BGR, { kind: 'letterbox', align: 'top-left', pad: 114 });
    expect(t.placement).toEqual({ scaleX: 2, scaleY: 2, offsetX: 0, offsetY: 0 });
    const rows = plane(t.data, 0, 8, 8);
    expect(rows.slice(0, 4).flat().every((v) => v === 255)).toBe(true);
    expect(rows.slice(4, 8).flat().every((v) => v === 114)).toBe(true);
  });

  it('centres a tall image horizontally, padding left and right', () => {
    const tall = solid(2, 4, [200, 200, 200]);
    const t = toTensor(tall, 8, 8, RAW_RGB, { kind: 'letterbox', align: 'center', pad: 0 });
    expect(t.placement).toEqual({ scaleX: 2, scaleY: 2, offsetX: 2, offsetY: 0 });
    for (const row of plane(t.data, 1, 8, 8)) expect(row).toEqual([0, 0, 200, 200, 200, 200, 0, 0]);
  });

  it('pads after normalisation with the pad byte run through the same mean/std', () => {
    const format: TensorFormat = { order: 'bgr', mean: [100, 50, 0], std: [2, 5, 10] };
    const t = toTensor(white, 8, 8, format, { kind: 'letterbox', align: 'top-left', pad: 114 });
    expect(plane(t.data, 0, 8, 8)[7]![0]).toBeCloseTo((114 - 100) / 2, 5);
    expect(plane(t.data, 1, 8, 8)[7]![0]).toBeCloseTo((114 - 50) / 5, 5);
    expect(plane(t.data, 2, 8, 8)[7]![0]).toBeCloseTo((114 - 0) / 10, 5);
  });

  it('stretches without keeping the aspect ratio', () => {
    expect(placementFor(4, 2, 8, 8, { kind: 'stretch' })).toEqual({ scaleX: 2, scaleY: 4, offsetX: 0, offsetY: 0 });
  });

  it('scales down a large frame to fit (1920×1080 into 640×640, centred)', () => {
    const p = placementFor(1920, 1080, 640, 640, { kind: 'letterbox', align: 'center', pad: 114 });
    expect(p.scaleX).toBeCloseTo(1 / 3, 12);
    expect(p.scaleY).toBeCloseTo(1 / 3, 12);
    expect(p.offsetX).toBe(0);
    expect(p.offsetY).toBeCloseTo(140, 9);
  });
});

describe('toImagePoint', () => {
  it('maps tensor points back to the image for both letterbox alignments and for stretch', () => {
    const fits = [
      { kind: 'letterbox', align: 'center', pad: 114 },
      { kind: 'letterbox', align: 'top-left', pad: 114 },
      { kind: 'stretch' },
    ] as const;
    for (const fit of fits) {
      const p = placementFor(1920, 1080, 640, 640, fit);
      for (const [x, y] of [
        [0, 0],
        [1920, 1080],
        [812.5, 301.25],
      ] as const) {
        const [ix, iy] = toImagePoint(p, x * p.scaleX + p.offsetX, y * p.scaleY + p.offsetY);
        expect(ix).toBeCloseTo(x, 9);
        expect(iy).toBeCloseTo(y, 9);
      }
    }
  });

  it('finds a bright spot of the image where it really is, through a centred letterbox', () => {
    // 60×30 dark image with a white 2×2 spot centred at (41, 9) (pixels 40–41, 8–9).
    const img = solid(60, 30, [0, 0, 0]);
    for (const [x, y] of [
      [40, 8],
      [41, 8],
      [40, 9],
      [41, 9],
    ] as const) img.data.set([255, 255, 255], (y * 60 + x) * 3);
    const t = toTensor(img, 120, 120, RAW_RGB, { kind: 'letterbox', align: 'center', pad: 0 });
    // Intensity-weighted centre of the spot in the tensor, then back to the image.
    let sx = 0;
    let sy = 0;
    let mass = 0;
    plane(t.data, 0, 120, 120).forEach((row, y) =>
      row.forEach((v, x) => {
        sx += v * (x + 0.5);
        sy += v * (y + 0.5);
        mass += v;
      }),
    );
    const [ix, iy] = toImagePoint(t.placement, sx / mass, sy / mass);
    expect(ix).toBeCloseTo(41, 0);
    expect(iy).toBeCloseTo(9, 0);
  });
});

describe('writeTensor', () => {
  it('writes into a batch buffer at an offset without touching the other images', () => {
    const out = new Float32Array(2 * 3 * 2 * 2).fill(-7);
    writeTensor(solid(2, 2, [1, 2, 3]), 2, 2, RAW_RGB, { kind: 'stretch' }, out, 12);
    expect(Array.from(out.subarray(0, 12))).toEqual(new Array(12).fill(-7));
    expect(Array.from(out.subarray(12))).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
  });

  it('refuses a buffer too small for the tensor', () => {
    expect(() => writeTensor(QUAD, 2, 2, RAW_RGB, { kind: 'stretch' }, new Float32Array(11))).toThrow(/too small/);
    expect(() => writeTensor(QUAD, 2, 2, RAW_RGB, { kind: 'stretch' }, new Float32Array(12), 1)).toThrow(/too small/);
  });
});
