import { describe, expect, it } from 'vitest';
import type { Point } from '../../../contracts/analytics.ts';
import { alignFace } from '../../../analytics/faces/face.pipeline.ts';
import { FACE_TEMPLATE_112 } from '../../../analytics/geometry/transforms.ts';
import type { Raster } from '../../../models/raster.ts';

/**
 * alignFace: a synthetic "face" made of five bright dots at known landmark positions (the template
 * moved by a known rotation, scale and shift) must come out of the 112×112 alignment with each dot
 * on its template point, and nowhere else.
 */

function blank(width: number, height: number): Raster {
  return { width, height, order: 'rgb', data: new Uint8Array(width * height * 3) };
}

/** Add a Gaussian spot (σ in pixels) of brightness 255 at (cx, cy). */
function spot(img: Raster, cx: number, cy: number, sigma: number): void {
  const r = Math.ceil(sigma * 3);
  for (let y = Math.floor(cy - r); y <= Math.ceil(cy + r); y++) {
    for (let x = Math.floor(cx - r); x <= Math.ceil(cx + r); x++) {
      if (x < 0 || y < 0 || x >= img.width || y >= img.height) continue;
      const v = 255 * Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * sigma * sigma));
      const i = (y * img.width + x) * 3;
      const value = Math.min(255, img.data[i]! + Math.round(v));
      img.data.fill(value, i, i + 3);
    }
  }
}

/** The template moved by a similarity: scale, rotation (degrees), then shift. */
function placeTemplate(scale: number, deg: number, dx: number, dy: number): Point[] {
  const a = (deg * Math.PI) / 180;
  const c = scale * Math.cos(a);
  const s = scale * Math.sin(a);
  return FACE_TEMPLATE_112.map(([x, y]) => [c * x - s * y + dx, s * x + c * y + dy]);
}

/** Brightness-weighted centre of the red channel inside a window, and the brightness there. */
function centroid(img: Raster, cx: number, cy: number, radius: number): { x: number; y: number; mass: number } {
  let sx = 0;
  let sy = 0;
  let mass = 0;
  for (let y = Math.max(0, Math.floor(cy - radius)); y <= Math.min(img.height - 1, Math.ceil(cy + radius)); y++) {
    for (let x = Math.max(0, Math.floor(cx - radius)); x <= Math.min(img.width - 1, Math.ceil(cx + radius)); x++) {
      const v = img.data[(y * img.width + x) * 3]!;
      sx += v * x;
      sy += v * y;
      mass += v;
    }
  }
  return { x: sx / mass, y: sy / mass, mass };
}

function totalMass(img: Raster): number {
  let m = 0;
  for (let i = 0; i < img.data.length; i += 3) m += img.data[i]!;
  return m;
}

describe('alignFace', () => {
  it('returns the image unchanged when the landmarks already sit on the template of a 112×112 image', () => {
    const img = blank(112, 112);
    for (let i = 0; i < img.data.length; i++) img.data[i] = (i * 37 + (i >> 7)) % 256;
    const out = alignFace(img, FACE_TEMPLATE_112);
    expect(out).toMatchObject({ width: 112, height: 112, order: 'rgb' });
    expect(Buffer.from(out.data).equals(Buffer.from(img.data))).toBe(true);
  });

  const cases = [
    { name: 'a larger face tilted 25° clockwise', scale: 2.2, deg: 25, dx: 180, dy: 30 },
    { name: 'a smaller face tilted 30° anticlockwise', scale: 0.8, deg: -30, dx: 60, dy: 150 },
    { name: 'an upright face, shifted only', scale: 1, deg: 0, dx: 140, dy: 90 },
  ];
  for (const c of cases) {
    it(`brings the five landmark dots of ${c.name} onto the template points`, () => {
      const img = blank(400, 320);
      const landmarks = placeTemplate(c.scale, c.deg, c.dx, c.dy);
      for (const [x, y] of landmarks) spot(img, x, y, 1.6 * c.scale);
      const aligned = alignFace(img, landmarks);
      expect(aligned).toMatchObject({ width: 112, height: 112 });
      let inWindows = 0;
      FACE_TEMPLATE_112.forEach(([tx, ty], k) => {
        const found = centroid(aligned, tx, ty, 9);
        expect(found.mass, `landmark ${k} missing`).toBeGreaterThan(255);
        expect(Math.hypot(found.x - tx, found.y - ty), `landmark ${k} at (${found.x.toFixed(2)}, ${found.y.toFixed(2)})`).toBeLessThan(0.6);
        inWindows += found.mass;
      });
      // No dot landed anywhere else.
      expect(inWindows / totalMass(aligned)).toBeGreaterThan(0.99);
    });
  }

  it('keeps left and right: a face whose left-eye dot is marked lands that mark on the left-eye template point', () => {
    const img = blank(300, 300);
    const landmarks = placeTemplate(1.5, 170, 250, 260); // nearly upside down
    landmarks.forEach(([x, y], k) => spot(img, x, y, k === 0 ? 3.5 : 1.5));
    const aligned = alignFace(img, landmarks);
    const masses = FACE_TEMPLATE_112.map(([tx, ty]) => centroid(aligned, tx, ty, 9).mass);
    expect(masses.indexOf(Math.max(...masses))).toBe(0);
  });
});
