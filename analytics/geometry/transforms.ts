/**
 * Plane transforms used to cut aligned crops: a similarity (rotation + uniform scale + translation)
 * that aligns five face landmarks to the ArcFace 112×112 template, and a homography that rectifies a
 * plate's four detected corners to the recogniser's 168×48 input.
 *
 * Matrices are plain number tuples, row-major:
 * - `Affine` (2×3) is `[a, b, tx, c, d, ty]`: x' = a·x + b·y + tx, y' = c·x + d·y + ty
 *   (the layout of OpenCV's 2×3 `warpAffine` matrix, flattened row by row).
 * - `Homography` (3×3) is `[h0 … h8]`: w = h6·x + h7·y + h8, x' = (h0·x + h1·y + h2)/w,
 *   y' = (h3·x + h4·y + h5)/w. The functions here return it normalised so that h8 = 1.
 *
 * A warp samples the source image, so it needs the destination → source map: invert the matrix
 * (`invertAffine`, `invertHomography`) and apply it to every destination pixel.
 */
import type { Point } from '../../contracts/analytics.ts';

export type Affine = [number, number, number, number, number, number];
export type Homography = [number, number, number, number, number, number, number, number, number];

/** ArcFace's 112×112 landmark template: left eye, right eye, nose, left and right mouth corner. */
export const FACE_TEMPLATE_112: readonly [Point, Point, Point, Point, Point] = Object.freeze([
  [38.2946, 51.6963],
  [73.5318, 51.5014],
  [56.0252, 71.7366],
  [41.5493, 92.3655],
  [70.7299, 92.2041],
] as [Point, Point, Point, Point, Point]);

/** Thrown when points cannot define the requested transform (too few, coincident, collinear). */
export class DegenerateTransformError extends Error {
  override readonly name = 'DegenerateTransformError';
}

function checkFinite(points: readonly Point[], what: string): void {
  for (const [x, y] of points) {
    if (!Number.isFinite(x) || !Number.isFinite(y)) throw new RangeError(`${what}: non-finite point (${x}, ${y})`);
  }
}

/**
 * Least-squares similarity transform (rotation, uniform scale > 0, translation; never a reflection)
 * mapping `src[i]` onto `dst[i]`: Umeyama's solution. In 2-D a rotation with scale is multiplication
 * by a complex number z = s·e^(iθ), so with the centred points x_i, y_i the optimum is closed-form:
 * z = Σ conj(x_i)·y_i / Σ |x_i|², which is exactly what Umeyama's SVD gives (its reflection fix-up
 * is never needed because z cannot reflect). Exact when the points are related by a similarity.
 */
export function similarityTransform(src: readonly Point[], dst: readonly Point[]): Affine {
  if (src.length !== dst.length) throw new RangeError(`similarityTransform: ${src.length} source points but ${dst.length} destination points`);
  if (src.length < 2) throw new DegenerateTransformError('similarityTransform needs at least 2 point pairs');
  checkFinite(src, 'similarityTransform');
  checkFinite(dst, 'similarityTransform');
  const n = src.length;
  let msx = 0, msy = 0, mdx = 0, mdy = 0;
  for (let i = 0; i < n; i++) {
    const s = src[i] as Point;
    const d = dst[i] as Point;
    msx += s[0]; msy += s[1]; mdx += d[0]; mdy += d[1];
  }
  msx /= n; msy /= n; mdx /= n; mdy /= n;
  let norm = 0, re = 0, im = 0, spread = 0;
  for (let i = 0; i < n; i++) {
    const s = src[i] as Point;
    const d = dst[i] as Point;
    const xs = s[0] - msx, ys = s[1] - msy, xd = d[0] - mdx, yd = d[1] - mdy;
    norm += xs * xs + ys * ys;
    spread += xd * xd + yd * yd;
    // conj(xs + i·ys) · (xd + i·yd)
    re += xs * xd + ys * yd;
    im += xs * yd - ys * xd;
  }
  const scaleRef = Math.max(norm, spread, 1);
  if (norm <= 1e-12 * scaleRef) throw new DegenerateTransformError('similarityTransform: the source points all coincide');
  const a = re / norm;
  const b = im / norm;
  // x' = a·x − b·y + tx, y' = b·x + a·y + ty
  return [a, -b, mdx - (a * msx - b * msy), b, a, mdy - (b * msx + a * msy)];
}

/** Apply a 2×3 affine matrix to a point. */
export function applyAffine(m: Affine, p: Point): Point {
  return [m[0] * p[0] + m[1] * p[1] + m[2], m[3] * p[0] + m[4] * p[1] + m[5]];
}

/** The inverse of a 2×3 affine matrix; throws DegenerateTransformError when it is singular. */
export function invertAffine(m: Affine): Affine {
  const [a, b, tx, c, d, ty] = m;
  const det = a * d - b * c;
  // Scale-invariant test: |det| relative to the product of the row lengths is the sine of the angle
  // between the rows of the linear part (translation does not matter).
  const bound = Math.hypot(a, b) * Math.hypot(c, d);
  if (!Number.isFinite(det) || bound === 0 || Math.abs(det) <= 1e-12 * bound) {
    throw new DegenerateTransformError('invertAffine: the matrix is singular');
  }
  const ia = d / det, ib = -b / det, ic = -c / det, id = a / det;
  return [ia, ib, -(ia * tx + ib * ty), ic, id, -(ic * tx + id * ty)];
}

/** Apply a homography to a point; throws when the point maps to infinity (w = 0). */
export function applyHomography(h: Homography, p: Point): Point {
  const w = h[6] * p[0] + h[7] * p[1] + h[8];
  if (w === 0 || !Number.isFinite(w)) throw new RangeError(`applyHomography: (${p[0]}, ${p[1]}) maps to infinity`);
  return [(h[0] * p[0] + h[1] * p[1] + h[2]) / w, (h[3] * p[0] + h[4] * p[1] + h[5]) / w];
}

function normaliseHomography(h: Homography): Homography {
  const s = h[8];
  if (Math.abs(s) < 1e-14 * Math.max(...h.map(Math.abs))) return h;
  return h.map((v) => v / s) as Homography;
}

function multiply3(a: Homography, b: Homography): Homography {
  const r = new Array<number>(9).fill(0);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      let sum = 0;
      for (let k = 0; k < 3; k++) sum += (a[i * 3 + k] as number) * (b[k * 3 + j] as number);
      r[i * 3 + j] = sum;
    }
  }
  return r as Homography;
}

/** The inverse homography (normalised so h8 = 1 where possible); throws when singular. */
export function invertHomography(h: Homography): Homography {
  const [a, b, c, d, e, f, g, k, l] = h;
  const A = e * l - f * k;
  const B = -(d * l - f * g);
  const C = d * k - e * g;
  const det = a * A + b * B + c * C;
  // Scale-invariant test against Hadamard's bound (|det| ≤ product of the row or column lengths),
  // since pixel homographies mix entries of very different magnitude (1e-4 … 1e3).
  const rows = Math.hypot(a, b, c) * Math.hypot(d, e, f) * Math.hypot(g, k, l);
  const cols = Math.hypot(a, d, g) * Math.hypot(b, e, k) * Math.hypot(c, f, l);
  const bound = Math.min(rows, cols);
  if (!Number.isFinite(det) || bound === 0 || Math.abs(det) <= 1e-13 * bound) {
    throw new DegenerateTransformError('invertHomography: the matrix is singular');
  }
  const inv: Homography = [
    A / det, -(b * l - c * k) / det, (b * f - c * e) / det,
    B / det, (a * l - c * g) / det, -(a * f - c * d) / det,
    C / det, -(a * k - b * g) / det, (a * e - b * d) / det,
  ];
  return normaliseHomography(inv);
}

/**
 * Solve A·x = b (A n×n, row-major arrays) by Gaussian elimination with partial pivoting.
 * Returns undefined when A is singular (a pivot below `tol` × the largest entry of A).
 */
function solveLinear(A: number[][], b: number[]): number[] | undefined {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i] as number]);
  let maxEntry = 0;
  for (const row of A) for (const v of row) maxEntry = Math.max(maxEntry, Math.abs(v));
  const tol = 1e-10 * (maxEntry || 1);
  for (let col = 0; col < n; col++) {
    let pivotRow = col;
    for (let r = col + 1; r < n; r++) {
      if (Math.abs((M[r] as number[])[col] as number) > Math.abs((M[pivotRow] as number[])[col] as number)) pivotRow = r;
    }
    const pivot = (M[pivotRow] as number[])[col] as number;
    if (!(Math.abs(pivot) > tol)) return undefined;
    if (pivotRow !== col) [M[col], M[pivotRow]] = [M[pivotRow] as number[], M[col] as number[]];
    const prow = M[col] as number[];
    for (let r = col + 1; r < n; r++) {
      const row = M[r] as number[];
      const factor = (row[col] as number) / pivot;
      if (factor === 0) continue;
      for (let c = col; c <= n; c++) row[c] = (row[c] as number) - factor * (prow[c] as number);
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    const row = M[r] as number[];
    let sum = row[n] as number;
    for (let c = r + 1; c < n; c++) sum -= (row[c] as number) * (x[c] as number);
    x[r] = sum / (row[r] as number);
  }
  return x;
}

/** Similarity normalisation (Hartley): centroid to the origin, mean distance √2. */
function normaliser(points: readonly Point[]): Homography {
  let mx = 0, my = 0;
  for (const [x, y] of points) { mx += x; my += y; }
  mx /= points.length; my /= points.length;
  let dist = 0;
  for (const [x, y] of points) dist += Math.hypot(x - mx, y - my);
  dist /= points.length;
  const s = dist > 0 ? Math.SQRT2 / dist : 1;
  return [s, 0, -s * mx, 0, s, -s * my, 0, 0, 1];
}

/** Throw when any three of the four points are collinear (or two coincide). */
function checkQuad(points: readonly Point[], which: string): void {
  let span = 0;
  for (const p of points) for (const q of points) span = Math.max(span, Math.hypot(p[0] - q[0], p[1] - q[1]));
  if (span === 0) throw new DegenerateTransformError(`perspectiveTransform: the four ${which} points coincide`);
  for (let i = 0; i < 4; i++) {
    for (let j = i + 1; j < 4; j++) {
      for (let k = j + 1; k < 4; k++) {
        const p = points[i] as Point, q = points[j] as Point, r = points[k] as Point;
        const cross = (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]);
        if (Math.abs(cross) <= 1e-9 * span * span) {
          throw new DegenerateTransformError(`perspectiveTransform: ${which} points ${i}, ${j} and ${k} are collinear (or coincide); no homography maps them`);
        }
      }
    }
  }
}

/**
 * The homography mapping four `src` points onto four `dst` points (e.g. a plate's detected corners
 * onto the corners of a 168×48 crop), from the 8×8 linear system with h8 = 1, solved by Gaussian
 * elimination with partial pivoting on Hartley-normalised coordinates (for conditioning; the result
 * is then de-normalised). Throws DegenerateTransformError when three points of either quad are collinear.
 */
export function perspectiveTransform(src: readonly Point[], dst: readonly Point[]): Homography {
  if (src.length !== 4 || dst.length !== 4) {
    throw new RangeError(`perspectiveTransform needs exactly 4 source and 4 destination points (got ${src.length} and ${dst.length})`);
  }
  checkFinite(src, 'perspectiveTransform');
  checkFinite(dst, 'perspectiveTransform');
  checkQuad(src, 'source');
  checkQuad(dst, 'destination');
  const ts = normaliser(src);
  const td = normaliser(dst);
  const ns = src.map((p) => applyHomography(ts, p));
  const nd = dst.map((p) => applyHomography(td, p));
  const A: number[][] = [];
  const b: number[] = [];
  for (let i = 0; i < 4; i++) {
    const [x, y] = ns[i] as Point;
    const [u, v] = nd[i] as Point;
    A.push([x, y, 1, 0, 0, 0, -u * x, -u * y]);
    b.push(u);
    A.push([0, 0, 0, x, y, 1, -v * x, -v * y]);
    b.push(v);
  }
  const sol = solveLinear(A, b);
  if (sol === undefined) throw new DegenerateTransformError('perspectiveTransform: the point correspondences are degenerate (singular system)');
  const hn = [...sol, 1] as Homography;
  // H = Td⁻¹ · Hn · Ts
  return normaliseHomography(multiply3(multiply3(invertHomography(td), hn), ts));
}
