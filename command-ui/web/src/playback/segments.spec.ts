import { describe, expect, it } from 'vitest';
import { coverage, DAY, dayWindow, initialWindow, locate, segmentAfter, stretches, ticks, toSegments } from './segments.ts';

const at = (hhmm: string) => Date.parse(`2026-03-07T${hhmm}:00Z`);
const rec = (id: string, from: string, to: string) => ({ id, cameraId: 'c', startedAt: new Date(at(from)).toISOString(), endedAt: new Date(at(to)).toISOString(), bytes: 1 });

describe('recorded segments', () => {
  const segments = toSegments([rec('b', '10:05', '10:10'), rec('a', '10:00', '10:05'), rec('c', '10:20', '10:25'), rec('bad', '11:00', '10:00')]);

  it('sorts and drops invalid segments', () => {
    expect(segments.map((s) => s.id)).toEqual(['a', 'b', 'c']);
  });

  it('finds the segment holding a moment, or the next one after a gap', () => {
    expect(locate(segments, at('10:07'))).toEqual({ index: 1, offsetMs: 2 * 60_000, exact: true });
    expect(locate(segments, at('10:15'))).toEqual({ index: 2, offsetMs: 0, exact: false });
    expect(locate(segments, at('10:30'))).toBeNull();
    expect(segmentAfter(segments, 'a')?.segment.id).toBe('b');
    expect(segmentAfter(segments, 'c')).toBeNull();
  });

  it('joins touching segments into the stretches drawn on the timeline', () => {
    expect(stretches(segments)).toEqual([
      { start: at('10:00'), end: at('10:10'), count: 2 },
      { start: at('10:20'), end: at('10:25'), count: 1 },
    ]);
  });

  it('measures what is recorded and the gaps', () => {
    expect(coverage(segments, at('10:00'), at('11:00'))).toEqual({ recordedMs: 15 * 60_000, gaps: 1, stretches: 2 });
    expect(coverage(segments, at('10:08'), at('10:22'))).toEqual({ recordedMs: 4 * 60_000, gaps: 1, stretches: 2 });
  });
});

describe('timeline windows', () => {
  it('opens on the last 24 hours, or on the day of an older moment', () => {
    const now = Date.parse('2026-03-07T12:00:00Z');
    expect(initialWindow(null, now)).toEqual({ start: now - DAY, end: now, mode: 'last24' });
    expect(initialWindow(now - 3600_000, now).mode).toBe('last24');
    const older = initialWindow(now - 3 * DAY, now);
    expect(older.mode).toBe('day');
    expect(older.end - older.start).toBeGreaterThanOrEqual(23 * 3600_000);
    expect(dayWindow(older.start + 1000)).toEqual(older);
  });

  it('labels whole local hours on a day', () => {
    const day = dayWindow(Date.parse('2026-03-07T12:00:00Z'));
    const marks = ticks(day.start, day.end);
    expect(marks.filter((m) => m.label).map((m) => m.label)).toContain('03:00');
    expect(marks.every((m) => m.time >= day.start && m.time <= day.end)).toBe(true);
  });
});
