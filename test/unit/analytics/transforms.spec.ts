import { describe, expect, it } from 'vitest';
import type { Point } from '../../../contracts/analytics.ts';
import {
  DegenerateTransformError,
  FACE_TEMPLATE_112,
  applyAffine,
  applyHomography,
  invertAffine,
  invertHomography,
  perspectiveTransform,
  similarityTransform,
  type Affine,
  type Homography,
} from '../../../analytics/geometry/transforms.ts';

function expectPointClose(actual: Point, expected: Point, digits = 9): void {
  expect(actual[0]).toBeCloseTo(expected[0], digits);
  expect(actual[1]).toBeCloseTo(expected[1], digits);
}

function similarity(scale: number, angle: number, tx: number, ty: number): Affine {
  const c = scale * Math.cos(angle), s = scale * Math.sin(angle);
  return [c, -s, tx, s, c, ty];
}

function sse(m: Affine, src: readonly Point[], dst: readonly Point[]): number {
  return src.reduce((sum, p, i) => {
    const q = applyAffine(m, p);
    const d = dst[i] as Point;
    return sum + (q[0] - d[0]) ** 2 + (q[1] - d[1]) ** 2;
  }, 0);
}

describe('FACE_TEMPLATE_112', () => {
  it('holds the ArcFace 112×112 landmarks in order', () => {
    expect(FACE_TEMPLATE_112).toEqual([
      [38.2946, 51.6963],
      [73.5318, 51.5014],
      [56.0252, 71.7366],
      [41.5493, 92.3655],
      [70.7299, 92.2041],
    ]);
  });
});

describe('similarityTransform', () => {
  it('recovers a known similarity exactly', () => {
    for (const [scale, angle, tx, ty] of [
      [1.7, 0.6, 12, -30],
      [0.35, -2.5, 400, 220],
      [1, 0, 0, 0],
      [2.2, Math.PI, -15, 7],
    ] as const) {
      const truth = similarity(scale, angle, tx, ty);
      const src = [...FACE_TEMPLATE_112];
      const dst = src.map((p) => applyAffine(truth, p));
      const m = similarityTransform(src, dst);
      m.forEach((v, i) => expect(v).toBeCloseTo(truth[i] as number, 9));
    }
  });

  it('aligns a rotated, scaled face in a frame onto the template', () => {
    // A face twice the template size, rotated 20°, at (600, 300) in a frame.
    const faceInFrame = similarity(2, (20 * Math.PI) / 180, 600, 300);
    const landmarks = FACE_TEMPLATE_112.map((p) => applyAffine(faceInFrame, p));
    const align = similarityTransform(landmarks, FACE_TEMPLATE_112);
    landmarks.forEach((p, i) => expectPointClose(applyAffine(align, p), FACE_TEMPLATE_112[i] as Point, 9));
    // Its inverse maps template pixels back into the frame (what a warp samples).
    const back = invertAffine(align);
    FACE_TEMPLATE_112.forEach((p, i) => expectPointClose(applyAffine(back, p), landmarks[i] as Point, 9));
  });

  it('is the least-squares optimum under noise', () => {
    const truth = similarity(1.3, 0.4, 50, 80);
    const noise: Point[] = [[0.8, -0.5], [-0.6, 0.9], [0.3, 0.4], [-0.9, -0.7], [0.5, 0.2]];
    const dst = FACE_TEMPLATE_112.map((p, i) => {
      const q = applyAffine(truth, p);
      const n = noise[i] as Point;
      return [q[0] + n[0], q[1] + n[1]] as Point;
    });
    const m = similarityTransform(FACE_TEMPLATE_112, dst);
    const scale = Math.hypot(m[0], m[3]);
    expect(scale).toBeCloseTo(1.3, 1);
    expect(Math.atan2(m[3], m[0])).toBeCloseTo(0.4, 1);
    // Any small change of scale, angle or translation makes the fit worse.
    const best = sse(m, FACE_TEMPLATE_112, dst);
    const angle = Math.atan2(m[3], m[0]);
    for (const [ds, da, dx, dy] of [
      [1e-3, 0, 0, 0], [-1e-3, 0, 0, 0], [0, 1e-3, 0, 0], [0, -1e-3, 0, 0],
      [0, 0, 1e-2, 0], [0, 0, -1e-2, 0], [0, 0, 0, 1e-2], [0, 0, 0, -1e-2],
    ] as const) {
      const other = similarity(scale + ds, angle + da, m[2] + dx, m[5] + dy);
      expect(sse(other, FACE_TEMPLATE_112, dst)).toBeGreaterThan(best);
    }
  });

  it('never reflects, even for mirrored points', () => {
    const mirrored = FACE_TEMPLATE_112.map(([x, y]) => [-x, y] as Point);
    const m = similarityTransform(FACE_TEMPLATE_112, mirrored);
    expect(m[0] * m[4] - m[1] * m[3]).toBeGreaterThanOrEqual(0);
    expect(m[0]).toBeCloseTo(m[4], 12);
    expect(m[1]).toBeCloseTo(-m[3], 12);
  });

  it('rejects degenerate and mismatched input', () => {
    expect(() => similarityTransform([[5, 5], [5, 5], [5, 5]], [[1, 2], [3, 4], [5, 6]])).toThrow(DegenerateTransformError);
    expect(() => similarityTransform([[5, 5]], [[1, 2]])).toThrow(DegenerateTransformError);
    expect(() => similarityTransform([[0, 0], [1, 1]], [[0, 0]])).toThrow(RangeError);
    expect(() => similarityTransform([[0, 0], [1, Number.NaN]], [[0, 0], [1, 1]])).toThrow(RangeError);
  });
});

describe('affine inversion', () => {
  it('round-trips points, including pixel-scale matrices with large translations', () => {
    for (const m of [similarity(0.1, 0.3, 3000, -2500), [2, 0.5, -4, 0.1, 3, 9] as Affine, similarity(40, -1, 0.5, 0.5)]) {
      const inv = invertAffine(m);
      for (const p of [[0, 0], [12.5, -8], [1000, 700]] as Point[]) expectPointClose(applyAffine(inv, applyAffine(m, p)), p, 6);
    }
  });

  it('refuses singular matrices', () => {
    expect(() => invertAffine([1, 2, 3, 2, 4, 5])).toThrow(DegenerateTransformError);
    expect(() => invertAffine([0, 0, 3, 0, 0, 5])).toThrow(DegenerateTransformError);
  });
});

describe('perspectiveTransform', () => {
  const truth: Homography = [1.2, 0.15, 30, -0.1, 0.9, 40, 0.0004, -0.0002, 1];

  it('recovers a known homography exactly, including off-corner points', () => {
    const src: Point[] = [[10, 20], [400, 30], [380, 250], [20, 230]];
    const dst = src.map((p) => applyHomography(truth, p));
    const h = perspectiveTransform(src, dst);
    h.forEach((v, i) => expect(v).toBeCloseTo(truth[i] as number, 9));
    for (const p of [[200, 100], [0, 0], [640, 480]] as Point[]) expectPointClose(applyHomography(h, p), applyHomography(truth, p), 6);
  });

  it('rectifies a skewed plate quad onto a 168×48 crop', () => {
    const corners: Point[] = [[812.4, 530.2], [1004.9, 548.7], [998.1, 611.3], [806.0, 590.8]];
    const crop: Point[] = [[0, 0], [168, 0], [168, 48], [0, 48]];
    const h = perspectiveTransform(corners, crop);
    corners.forEach((p, i) => expectPointClose(applyHomography(h, p), crop[i] as Point, 7));
    // The inverse (what a warp needs) maps crop pixels back onto the plate.
    const inv = invertHomography(h);
    crop.forEach((p, i) => expectPointClose(applyHomography(inv, p), corners[i] as Point, 6));
    // The crop's centre lands inside the plate quad's bounding box.
    const [cx, cy] = applyHomography(inv, [84, 24]);
    expect(cx).toBeGreaterThan(806);
    expect(cx).toBeLessThan(1005);
    expect(cy).toBeGreaterThan(530);
    expect(cy).toBeLessThan(612);
  });

  it('returns an affine map for a parallelogram', () => {
    const src: Point[] = [[0, 0], [10, 0], [13, 5], [3, 5]];
    const dst: Point[] = [[0, 0], [1, 0], [1, 1], [0, 1]];
    const h = perspectiveTransform(src, dst);
    expect(h[6]).toBeCloseTo(0, 12);
    expect(h[7]).toBeCloseTo(0, 12);
    expect(h[8]).toBe(1);
  });

  it('inverts: H⁻¹(H(p)) = p', () => {
    const inv = invertHomography(truth);
    for (const p of [[5, 5], [300, 120], [-40, 60]] as Point[]) expectPointClose(applyHomography(inv, applyHomography(truth, p)), p, 8);
    expect(inv[8]).toBe(1);
  });

  it('rejects collinear, coincident and miscounted points with a clear error', () => {
    const good: Point[] = [[0, 0], [10, 0], [10, 10], [0, 10]];
    expect(() => perspectiveTransform([[0, 0], [5, 5], [10, 10], [0, 10]], good)).toThrow(/collinear/);
    expect(() => perspectiveTransform([[0, 0], [5, 5], [10, 10], [0, 10]], good)).toThrow(DegenerateTransformError);
    expect(() => perspectiveTransform(good, [[0, 0], [10, 0], [20, 0], [0, 10]])).toThrow(/destination points 0, 1 and 2 are collinear/);
    expect(() => perspectiveTransform([[0, 0], [0, 0], [10, 10], [0, 10]], good)).toThrow(DegenerateTransformError);
    expect(() => perspectiveTransform([[3, 3], [3, 3], [3, 3], [3, 3]], good)).toThrow(/coincide/);
    expect(() => perspectiveTransform(good.slice(0, 3), good.slice(0, 3))).toThrow(RangeError);
  });

  it('refuses singular homographies and points at infinity', () => {
    expect(() => invertHomography([1, 2, 3, 2, 4, 6, 0, 0, 1])).toThrow(DegenerateTransformError);
    expect(() => applyHomography([1, 0, 0, 0, 1, 0, 1, 0, 0], [0, 5])).toThrow(/infinity/);
  });
});
