/**
 * Axis-aligned box arithmetic shared by every detector and the tracker.
 *
 * A box is `[x1, y1, x2, y2]` (left, top, right, bottom) in pixels, as in `contracts/analytics.ts`.
 * A box with `x2 <= x1` or `y2 <= y1` is empty: its area is 0 and it overlaps nothing. Nothing here
 * mutates its input.
 */
import type { Box, Point } from '../../contracts/analytics.ts';

/** Width × height, 0 for an empty (or inverted) box. */
export function area(box: Box): number {
  const w = box[2] - box[0];
  const h = box[3] - box[1];
  return w > 0 && h > 0 ? w * h : 0;
}

/** Area of the overlap of two boxes (0 when they do not overlap). */
export function intersectionArea(a: Box, b: Box): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  return w > 0 && h > 0 ? w * h : 0;
}

/** Intersection over union, 0..1; 0 when either box is empty. */
export function iou(a: Box, b: Box): number {
  const inter = intersectionArea(a, b);
  if (inter === 0) return 0;
  const union = area(a) + area(b) - inter;
  return union > 0 ? inter / union : 0;
}

/** The box's centre point. */
export function boxCentre(box: Box): Point {
  return [(box[0] + box[2]) / 2, (box[1] + box[3]) / 2];
}

/** Clamp a box to an image of `width` × `height` pixels (coordinates 0..width, 0..height). */
export function clipBox(box: Box, width: number, height: number): Box {
  const cx = (v: number): number => Math.min(Math.max(v, 0), width);
  const cy = (v: number): number => Math.min(Math.max(v, 0), height);
  return [cx(box[0]), cy(box[1]), cx(box[2]), cy(box[3])];
}

/** The smallest box holding every point (e.g. a plate's four corners or a face's landmarks). */
export function boxFromPoints(points: readonly Point[]): Box {
  if (points.length === 0) throw new RangeError('boxFromPoints needs at least one point');
  let x1 = Infinity;
  let y1 = Infinity;
  let x2 = -Infinity;
  let y2 = -Infinity;
  for (const [x, y] of points) {
    if (!Number.isFinite(x) || !Number.isFinite(y)) throw new RangeError(`boxFromPoints: non-finite point (${x}, ${y})`);
    x1 = Math.min(x1, x);
    y1 = Math.min(y1, y);
    x2 = Math.max(x2, x);
    y2 = Math.max(y2, y);
  }
  return [x1, y1, x2, y2];
}

/** Anything with a box and a score: a detection before or after decoding. */
export interface ScoredBox {
  box: Box;
  score: number;
}

export interface NmsOptions<T extends ScoredBox> {
  /**
   * Class-aware NMS: items only suppress items with the same key (e.g. `d => d.label`), so a person
   * standing in front of a car does not remove the car. Without it every item competes with every other.
   */
  classKey?: (item: T) => string | number;
  /** Drop items scoring below this before suppression (default: keep all). */
  minScore?: number;
  /** Keep at most this many items (the highest scoring). */
  maxDetections?: number;
}

/**
 * Greedy non-maximum suppression: walk the items from the highest score down and keep an item unless
 * it overlaps an already kept item (of the same class, with `classKey`) with IoU **strictly greater
 * than** `iouThreshold`. Returns the kept items, highest score first (equal scores keep input order).
 */
export function nms<T extends ScoredBox>(items: readonly T[], iouThreshold: number, opts: NmsOptions<T> = {}): T[] {
  const minScore = opts.minScore ?? -Infinity;
  const max = opts.maxDetections ?? Infinity;
  const ordered = items
    .map((item, index) => ({ item, index }))
    .filter(({ item }) => item.score >= minScore)
    .sort((a, b) => b.item.score - a.item.score || a.index - b.index)
    .map(({ item }) => item);
  const keptByClass = new Map<string | number, T[]>();
  const kept: T[] = [];
  for (const item of ordered) {
    if (kept.length >= max) break;
    const key = opts.classKey ? opts.classKey(item) : 0;
    let group = keptByClass.get(key);
    if (group === undefined) {
      group = [];
      keptByClass.set(key, group);
    }
    if (group.some((k) => iou(k.box, item.box) > iouThreshold)) continue;
    group.push(item);
    kept.push(item);
  }
  return kept;
}
