import { describe, expect, it } from 'vitest';
import type { Point } from '../../../contracts/analytics.ts';
import { applyHomography, perspectiveTransform } from '../../../analytics/geometry/transforms.ts';
import { mergeDoubleRow, rectifyPlate } from '../../../analytics/plates/plate.pipeline.ts';
import type { Raster } from '../../../models/raster.ts';

/**
 * Plate geometry before recognition: rectifyPlate warps the 4 detected corners of a rotated,
 * sheared or perspective-distorted plate back into an upright rectangle; mergeDoubleRow turns a
 * double-row plate into one row (upper 5/12 beside the lower 2/3) as the recogniser was trained.
 */

type Px = [number, number, number];
const RED: Px = [220, 30, 30];
const GREEN: Px = [30, 200, 40];
const BLUE: Px = [30, 40, 220];
const YELLOW: Px = [230, 210, 20];
const GREY: Px = [128, 128, 128];

/** The upright plate, PW×PH: four quadrants of different colours, so any flip or turn shows. */
const PW = 168;
const PH = 48;
function quadrant(u: number, v: number): Px {
  return u < PW / 2 ? (v < PH / 2 ? RED : GREEN) : v < PH / 2 ? BLUE : YELLOW;
}

/**
 * A grey 400×300 image with the plate drawn through `imageToPlate` (nearest pixel), and the plate's
 * corners in the image (top-left, top-right, bottom-right, bottom-left).
 */
function scene(imageToPlate: (x: number, y: number) => Point): Raster {
  const width = 400;
  const height = 300;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [u, v] = imageToPlate(x, y);
      data.set(u >= 0 && u < PW && v >= 0 && v < PH ? quadrant(u, v) : GREY, (y * width + x) * 3);
    }
  }
  return { width, height, order: 'rgb', data };
}

/** Rotation by `deg`, shear, uniform scale and shift as plate → image, and its inverse. */
function affineScene(deg: number, shear: number, scale: number, tx: number, ty: number) {
  const a = (deg * Math.PI) / 180;
  // M = scale · R(a) · [[1, shear], [0, 1]]
  const m00 = scale * Math.cos(a);
  const m01 = scale * (Math.cos(a) * shear - Math.sin(a));
  const m10 = scale * Math.sin(a);
  const m11 = scale * (Math.sin(a) * shear + Math.cos(a));
  const det = m00 * m11 - m01 * m10;
  const toImage = (u: number, v: number): Point => [m00 * u + m01 * v + tx, m10 * u + m11 * v + ty];
  const toPlate = (x: number, y: number): Point => {
    const dx = x - tx;
    const dy = y - ty;
    return [(m11 * dx - m01 * dy) / det, (-m10 * dx + m00 * dy) / det];
  };
  const corners = [toImage(0, 0), toImage(PW, 0), toImage(PW, PH), toImage(0, PH)] as [Point, Point, Point, Point];
  return { image: scene(toPlate), corners };
}

function px(r: Raster, x: number, y: number): Px {
  const i = (y * r.width + x) * 3;
  return [r.data[i]!, r.data[i + 1]!, r.data[i + 2]!];
}

const near = (a: Px, b: Px) => a.every((v, i) => Math.abs(v - b[i]!) <= 40);

/**
 * The share of the rectified crop's pixels (away from the quadrant borders, which interpolation
 * blurs) that show the colour of the upright plate at the same relative position.
 */
function uprightShare(crop: Raster): number {
  let good = 0;
  let all = 0;
  for (let y = 0; y < crop.height; y++) {
    for (let x = 0; x < crop.width; x++) {
      const u = ((x + 0.5) / crop.width) * PW;
      const v = ((y + 0.5) / crop.height) * PH;
      if (Math.abs(u - PW / 2) < 6 || Math.abs(v - PH / 2) < 4 || u < 4 || v < 3 || u > PW - 4 || v > PH - 3) continue;
      all++;
      if (near(px(crop, x, y), quadrant(u, v))) good++;
    }
  }
  return good / all;
}

describe('rectifyPlate', () => {
  it('turns a plate rotated by 20° back into an upright rectangle of its own proportions', () => {
    const { image, corners } = affineScene(20, 0, 1.4, 120, 60);
    const crop = rectifyPlate(image, corners, 1);
    // Height 48, width from the plate's proportions (168:48 = 3.5).
    expect(crop).toMatchObject({ height: 48, width: 168, order: 'rgb' });
    expect(uprightShare(crop)).toBeGreaterThan(0.98);
    expect(near(px(crop, 10, 8), RED)).toBe(true);
    expect(near(px(crop, crop.width - 10, crop.height - 8), YELLOW)).toBe(true);
  });

  it('undoes a rotation the other way combined with a shear (a skewed plate)', () => {
    const { image, corners } = affineScene(-15, 0.35, 1.2, 90, 120);
    const crop = rectifyPlate(image, corners, 1);
    expect(crop.height).toBe(48);
    expect(crop.width).toBeGreaterThan(120);
    expect(uprightShare(crop)).toBeGreaterThan(0.97);
  });

  it('undoes a perspective view (a plate seen from the side and above)', () => {
    const quad: [Point, Point, Point, Point] = [
      [90, 110],
      [320, 70],
      [330, 160],
      [100, 205],
    ];
    const plateCorners: Point[] = [
      [0, 0],
      [PW, 0],
      [PW, PH],
      [0, PH],
    ];
    const imageToPlate = perspectiveTransform(quad, plateCorners);
    const image = scene((x, y) => applyHomography(imageToPlate, [x, y]));
    const crop = rectifyPlate(image, quad, 1);
    expect(crop.height).toBe(48);
    expect(uprightShare(crop)).toBeGreaterThan(0.97);
  });

  it('makes a double-row plate 96 pixels high', () => {
    const { image, corners } = affineScene(10, 0, 1, 100, 100);
    const crop = rectifyPlate(image, corners, 2);
    expect(crop).toMatchObject({ height: 96, width: 336 });
    expect(uprightShare(crop)).toBeGreaterThan(0.98);
  });

  it('keeps the crop width between 16 and 512 pixels for absurd corner sets', () => {
    const img = scene(() => [-1, -1]);
    const wide: [Point, Point, Point, Point] = [
      [0, 100],
      [399, 100],
      [399, 102],
      [0, 102],
    ];
    const narrow: [Point, Point, Point, Point] = [
      [200, 0],
      [202, 0],
      [202, 299],
      [200, 299],
    ];
    expect(rectifyPlate(img, wide, 1).width).toBe(512);
    expect(rectifyPlate(img, narrow, 1).width).toBe(16);
  });
});

describe('mergeDoubleRow', () => {
  /** A W×H plate whose red channel is the row number and green the column (mod 256). */
  function rows(width: number, height: number): Raster {
    const data = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set([y, x % 256, 9], (y * width + x) * 3);
    return { width, height, order: 'bgr', data };
  }

  it('is as high as the lower 2/3 and twice as wide as the plate', () => {
    for (const [w, h] of [
      [200, 96],
      [150, 50],
      [31, 7],
    ] as const) {
      const merged = mergeDoubleRow(rows(w, h));
      expect(merged, `${w}×${h}`).toMatchObject({ width: 2 * w, height: h - Math.floor(h / 3), order: 'bgr' });
    }
  });

  it('puts the lower 2/3 unchanged on the right and the upper 5/12, stretched to that height, on the left', () => {
    const plate = rows(200, 96); // upper: rows 0–39; lower: rows 32–95
    const merged = mergeDoubleRow(plate);
    expect(merged.height).toBe(64);
    for (let y = 0; y < 64; y++) {
      for (const x of [0, 57, 199]) expect(px(merged, 200 + x, y)).toEqual([32 + y, x, 9]);
    }
    // Left half: rows 0..39 of the plate spread over 64 rows, top to bottom.
    const left = Array.from({ length: 64 }, (_, y) => px(merged, 100, y)[0]);
    expect(left[0]).toBe(0);
    expect(left[63]).toBe(39);
    for (let y = 1; y < 64; y++) expect(left[y]!).toBeGreaterThanOrEqual(left[y - 1]!);
    for (let y = 0; y < 64; y++) expect(Math.abs(left[y]! - ((y + 0.5) * 40) / 64 + 0.5)).toBeLessThanOrEqual(1);
    // Columns are not mixed up.
    expect(px(merged, 57, 30)[1]).toBe(57);
  });
});
