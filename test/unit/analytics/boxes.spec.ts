import { describe, expect, it } from 'vitest';
import type { Box } from '../../../contracts/analytics.ts';
import { area, boxCentre, boxFromPoints, clipBox, intersectionArea, iou, nms } from '../../../analytics/geometry/boxes.ts';
import { seededRandom } from '../../helpers/seeded-random.ts';

describe('area, intersection, iou', () => {
  it('computes areas, with empty and inverted boxes at 0', () => {
    expect(area([0, 0, 10, 20])).toBe(200);
    expect(area([5, 5, 5, 9])).toBe(0);
    expect(area([10, 0, 0, 10])).toBe(0);
  });

  it('computes IoU of known configurations', () => {
    expect(iou([0, 0, 10, 10], [0, 0, 10, 10])).toBe(1);
    expect(iou([0, 0, 10, 10], [20, 20, 30, 30])).toBe(0);
    expect(iou([0, 0, 10, 10], [10, 0, 20, 10])).toBe(0); // touching edges
    expect(iou([0, 0, 10, 10], [5, 0, 15, 10])).toBeCloseTo(50 / 150, 12);
    expect(iou([0, 0, 10, 10], [0, 0, 5, 5])).toBeCloseTo(25 / 100, 12);
    expect(intersectionArea([0, 0, 10, 10], [5, 5, 20, 20])).toBe(25);
    expect(iou([0, 0, 0, 0], [0, 0, 0, 0])).toBe(0);
  });

  it('is symmetric and within [0, 1] for random boxes', () => {
    const r = seededRandom(1);
    const box = (): Box => {
      const x = r() * 100, y = r() * 100;
      return [x, y, x + r() * 50, y + r() * 50];
    };
    for (let i = 0; i < 500; i++) {
      const a = box(), b = box();
      const v = iou(a, b);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
      expect(iou(b, a)).toBeCloseTo(v, 12);
    }
  });

  it('finds the centre', () => {
    expect(boxCentre([10, 20, 30, 60])).toEqual([20, 40]);
  });
});

describe('clipBox and boxFromPoints', () => {
  it('clamps to the image', () => {
    expect(clipBox([-5, -7, 120, 50], 100, 40)).toEqual([0, 0, 100, 40]);
    expect(clipBox([10, 10, 20, 20], 100, 40)).toEqual([10, 10, 20, 20]);
  });

  it('bounds a set of points, and refuses none', () => {
    expect(boxFromPoints([[30, 5], [10, 40], [25, 12], [18, -3]])).toEqual([10, -3, 30, 40]);
    expect(boxFromPoints([[4, 7]])).toEqual([4, 7, 4, 7]);
    expect(() => boxFromPoints([])).toThrow(RangeError);
    expect(() => boxFromPoints([[Number.NaN, 1]])).toThrow(RangeError);
  });
});

describe('nms', () => {
  const a = { box: [0, 0, 10, 10] as Box, score: 0.9, label: 'car' };
  const b = { box: [1, 0, 11, 10] as Box, score: 0.8, label: 'car' }; // IoU with a = 90/110
  const c = { box: [50, 50, 60, 60] as Box, score: 0.7, label: 'car' };
  const d = { box: [0, 0, 10, 10] as Box, score: 0.95, label: 'person' };

  it('suppresses overlapping lower-scored boxes and sorts by score', () => {
    expect(nms([c, b, a], 0.5)).toEqual([a, c]);
    expect(nms([c, b, a], 0.85)).toEqual([a, b, c]); // 0.818 ≤ 0.85: kept
  });

  it('suppresses only overlaps strictly above the threshold', () => {
    const e = { box: [5, 0, 15, 10] as Box, score: 0.5 }; // IoU with a = 1/3
    expect(nms([a, e], 1 / 3)).toEqual([a, e]);
    expect(nms([a, e], 1 / 3 - 1e-9)).toEqual([a]);
  });

  it('is class-aware with a key function', () => {
    expect(nms([a, b, c, d], 0.5)).toEqual([d, c]);
    expect(nms([a, b, c, d], 0.5, { classKey: (x) => x.label })).toEqual([d, a, c]);
  });

  it('applies minScore and maxDetections, and leaves the input alone', () => {
    const input = [c, b, a];
    const copy = [...input];
    expect(nms(input, 0.5, { minScore: 0.75 })).toEqual([a]);
    expect(nms(input, 0.99, { maxDetections: 2 })).toEqual([a, b]);
    expect(input).toEqual(copy);
  });

  it('keeps equal scores in input order', () => {
    const p = { box: [0, 0, 1, 1] as Box, score: 0.5, id: 1 };
    const q = { box: [5, 5, 6, 6] as Box, score: 0.5, id: 2 };
    expect(nms([p, q], 0.5).map((x) => x.id)).toEqual([1, 2]);
    expect(nms([q, p], 0.5).map((x) => x.id)).toEqual([2, 1]);
  });

  it('satisfies the NMS invariants on random input', () => {
    const r = seededRandom(7);
    for (let round = 0; round < 30; round++) {
      const items = Array.from({ length: 40 }, (_, i) => {
        const x = r() * 200, y = r() * 200, w = 10 + r() * 60, h = 10 + r() * 60;
        return { box: [x, y, x + w, y + h] as Box, score: r(), id: i };
      });
      const thr = 0.2 + r() * 0.6;
      const kept = nms(items, thr);
      for (let i = 1; i < kept.length; i++) expect(kept[i - 1]!.score).toBeGreaterThanOrEqual(kept[i]!.score);
      for (let i = 0; i < kept.length; i++) {
        for (let j = i + 1; j < kept.length; j++) expect(iou(kept[i]!.box, kept[j]!.box)).toBeLessThanOrEqual(thr);
      }
      const keptIds = new Set(kept.map((k) => k.id));
      for (const item of items) {
        if (keptIds.has(item.id)) continue;
        // Every dropped item is covered by a kept item scoring at least as high.
        expect(kept.some((k) => k.score >= item.score && iou(k.box, item.box) > thr)).toBe(true);
      }
    }
  });
});
