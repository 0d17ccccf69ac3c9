import { describe, expect, it } from 'vitest';
import type { Box } from '../../../contracts/analytics.ts';
import { Tracker, type Detection } from '../../../analytics/tracking/tracker.ts';

const FRAME_MS = 200; // 5 fps analysis

function det<T>(box: Box, payload: T, score = 0.9): Detection<T> {
  return { box, score, payload };
}

/** A box of w × h whose left edge is at x. */
const at = (x: number, y = 100, w = 100, h = 60): Box => [x, y, x + w, y + h];

describe('Tracker', () => {
  it('keeps one id for a slowly moving object and ends it after maxMissedFrames misses', () => {
    const tracker = new Tracker<string>({ iouThreshold: 0.3, maxMissedFrames: 2 });
    const ids = new Set<string>();
    for (let f = 0; f < 5; f++) {
      const { updated, ended } = tracker.update([det(at(100 + f * 10), `f${f}`)], f * FRAME_MS);
      expect(updated).toHaveLength(1);
      expect(ended).toHaveLength(0);
      ids.add(updated[0]!.id);
    }
    expect(ids.size).toBe(1);
    expect(tracker.update([], 5 * FRAME_MS).ended).toHaveLength(0);
    expect(tracker.update([], 6 * FRAME_MS).ended).toHaveLength(0);
    const { ended } = tracker.update([], 7 * FRAME_MS);
    expect(ended.map((t) => t.id)).toEqual([...ids]);
    expect(ended[0]!.hits).toBe(5);
    expect(ended[0]!.last.payload).toBe('f4');
    expect(tracker.active()).toHaveLength(0);
  });

  it('follows a vehicle moving more than a box width per analysed frame', () => {
    const tracker = new Tracker<number>({ iouThreshold: 0.3, maxMissedFrames: 1 });
    const ids = new Set<string>();
    for (let f = 0; f < 8; f++) {
      const { updated } = tracker.update([det(at(50 + f * 130), f)], f * FRAME_MS);
      for (const t of updated) ids.add(t.id);
    }
    expect(ids.size).toBe(1);
    const [track] = tracker.active();
    expect(track!.velocity[0]).toBeCloseTo(130 / FRAME_MS, 9);
    expect(track!.predict(8 * FRAME_MS)[0]).toBeCloseTo(50 + 8 * 130, 6);
  });

  it('matches the predicted box, not the last one', () => {
    // A car moves 120 px per frame; on the third frame a parked car of the same size appears exactly
    // where the moving car was on the second frame. Without prediction the moving car's track would
    // take the parked car (IoU 1 with its last box).
    const tracker = new Tracker<string>({ iouThreshold: 0.3, maxMissedFrames: 1, centreGate: 1.25 });
    const first = tracker.update([det(at(0), 'moving')], 0).updated[0]!;
    expect(tracker.update([det(at(120), 'moving')], FRAME_MS).updated[0]!.id).toBe(first.id);
    const third = tracker.update([det(at(120), 'parked'), det(at(240), 'moving')], 2 * FRAME_MS);
    const moving = third.updated.find((t) => t.last.payload === 'moving');
    const parked = third.updated.find((t) => t.last.payload === 'parked');
    expect(moving?.id).toBe(first.id);
    expect(parked?.id).not.toBe(first.id);
  });

  it('coasts over a missed frame with the motion model', () => {
    // After a missed frame the car is 240 px (2.4 box widths) from its last box: only the prediction
    // (time-based) can match it, the centre fallback gate (1.25 widths) cannot.
    const tracker = new Tracker<number>({ iouThreshold: 0.3, maxMissedFrames: 2, centreGate: 1.25 });
    const id = tracker.update([det(at(0), 0)], 0).updated[0]!.id;
    tracker.update([det(at(120), 1)], FRAME_MS);
    expect(tracker.update([], 2 * FRAME_MS).updated).toHaveLength(0);
    const { updated } = tracker.update([det(at(360), 3)], 3 * FRAME_MS);
    expect(updated.map((t) => t.id)).toEqual([id]);
    expect(updated[0]!.missed).toBe(0);
  });

  it('does not chain unrelated objects beyond the centre gate', () => {
    const tracker = new Tracker<number>({ iouThreshold: 0.3, maxMissedFrames: 3 });
    const a = tracker.update([det(at(0), 0)], 0).updated[0]!.id;
    const { updated } = tracker.update([det(at(400), 1)], FRAME_MS);
    expect(updated[0]!.id).not.toBe(a);
    // …and not objects of very different size at the same place.
    const b = tracker.update([det([1000, 100, 1100, 160], 2)], 2 * FRAME_MS).updated[0]!.id;
    const c = tracker.update([det([1040, 120, 1060, 130], 3)], 3 * FRAME_MS).updated[0]!.id;
    expect(c).not.toBe(b);
  });

  it('keeps two objects apart whatever the detection order', () => {
    const tracker = new Tracker<string>({ iouThreshold: 0.3, maxMissedFrames: 1 });
    const first = tracker.update([det(at(0), 'L'), det(at(300), 'R')], 0).updated;
    const idOf = (payload: string): string => first.find((t) => t.last.payload === payload)!.id;
    for (let f = 1; f < 6; f++) {
      const detections = [det(at(0 + f * 20), 'L'), det(at(300 - f * 20), 'R')];
      if (f % 2 === 1) detections.reverse();
      for (const t of tracker.update(detections, f * FRAME_MS).updated) expect(t.id).toBe(idOf(t.last.payload));
    }
  });

  it('respects canMatch (a person does not continue a car track)', () => {
    const tracker = new Tracker<{ label: string }>({
      iouThreshold: 0.3,
      maxMissedFrames: 0,
      canMatch: (t, d) => t.last.payload.label === d.payload.label,
    });
    const car = tracker.update([det(at(0), { label: 'car' })], 0).updated[0]!;
    const r = tracker.update([det(at(0), { label: 'person' })], FRAME_MS);
    expect(r.updated[0]!.id).not.toBe(car.id);
    expect(r.ended.map((t) => t.id)).toEqual([car.id]);
  });

  it('reports a track only after minHits, and drops one-frame noise silently', () => {
    const tracker = new Tracker<number>({ iouThreshold: 0.3, maxMissedFrames: 5, minHits: 3 });
    expect(tracker.update([det(at(0), 0), det(at(500), 9)], 0).updated).toHaveLength(0);
    expect(tracker.update([det(at(5), 1)], FRAME_MS).updated).toHaveLength(0);
    const { updated, ended } = tracker.update([det(at(10), 2)], 2 * FRAME_MS);
    expect(updated).toHaveLength(1);
    expect(updated[0]!.confirmed).toBe(true);
    expect(updated[0]!.firstSeen).toBe(0);
    expect(ended).toHaveLength(0);
    expect(tracker.active()).toHaveLength(1);
    expect(tracker.flush().map((t) => t.id)).toEqual([updated[0]!.id]);
  });

  it('ends tracks by age with maxAgeMs', () => {
    const tracker = new Tracker<number>({ iouThreshold: 0.3, maxAgeMs: 1000 });
    const id = tracker.update([det(at(0), 0)], 0).updated[0]!.id;
    expect(tracker.update([], 1000).ended).toHaveLength(0);
    expect(tracker.update([], 1001).ended.map((t) => t.id)).toEqual([id]);
  });

  it('keeps a capped history of the best observations, in time order', () => {
    const tracker = new Tracker<number>({ iouThreshold: 0.3, maxMissedFrames: 1, historyCap: 3 });
    const scores = [0.5, 0.9, 0.2, 0.8, 0.95, 0.1];
    scores.forEach((s, f) => tracker.update([det(at(f * 2), f, s)], f * FRAME_MS));
    const [track] = tracker.active();
    expect(track!.history.map((o) => o.payload)).toEqual([1, 3, 4]);
    expect(track!.history.map((o) => o.at)).toEqual([1, 3, 4].map((f) => f * FRAME_MS));
    expect(track!.last.payload).toBe(5);
    expect(track!.hits).toBe(6);
  });

  it('weighs history by score × area unless told otherwise', () => {
    const sized = new Tracker<number>({ iouThreshold: 0.2, maxMissedFrames: 1, historyCap: 1 });
    // A bigger box with a lower score outweighs a small confident one.
    sized.update([det(at(0, 100, 100, 60), 0, 0.9)], 0);
    sized.update([det(at(0, 100, 140, 84), 1, 0.7)], FRAME_MS);
    expect(sized.active()[0]!.history.map((o) => o.payload)).toEqual([1]);

    const byScore = new Tracker<number>({ iouThreshold: 0.2, maxMissedFrames: 1, historyCap: 1, weight: (d) => d.score });
    byScore.update([det(at(0, 100, 100, 60), 0, 0.9)], 0);
    byScore.update([det(at(0, 100, 140, 84), 1, 0.7)], FRAME_MS);
    expect(byScore.active()[0]!.history.map((o) => o.payload)).toEqual([0]);
  });

  it('gives stable, prefixed, never reused ids; flush ends everything', () => {
    const tracker = new Tracker<number>({ iouThreshold: 0.3, maxMissedFrames: 10, idPrefix: 'cam1-' });
    const ids = tracker.update([det(at(0), 0), det(at(400), 1)], 0).updated.map((t) => t.id);
    expect(ids).toEqual(['cam1-1', 'cam1-2']);
    expect(tracker.flush().map((t) => t.id).sort()).toEqual(ids);
    expect(tracker.active()).toHaveLength(0);
    expect(tracker.flush()).toEqual([]);
    // The clock restarts after a flush, ids do not.
    expect(tracker.update([det(at(0), 2)], 0).updated[0]!.id).toBe('cam1-3');
  });

  it('refuses time going backwards and bad options', () => {
    const tracker = new Tracker<number>({ iouThreshold: 0.3, maxMissedFrames: 1 });
    tracker.update([], 1000);
    expect(() => tracker.update([], 999)).toThrow(/backwards/);
    expect(() => new Tracker<number>({ iouThreshold: 0.3 })).toThrow(/maxMissedFrames or maxAgeMs/);
    expect(() => new Tracker<number>({ iouThreshold: 0, maxMissedFrames: 1 })).toThrow(RangeError);
    expect(() => new Tracker<number>({ iouThreshold: 0.3, maxMissedFrames: 1, minHits: 0 })).toThrow(RangeError);
    expect(() => new Tracker<number>({ iouThreshold: 0.3, maxMissedFrames: 1, historyCap: 0 })).toThrow(RangeError);
  });
});
