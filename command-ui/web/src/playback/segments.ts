import type { Recording } from '../../../../contracts/media.ts';

/**
 * Recorded segments on a time line, in epoch milliseconds: which segment holds a moment, which one
 * follows, how much of a window is covered, and the windows and tick marks of the timeline.
 */
export interface Segment {
  id: string;
  start: number;
  end: number;
  bytes: number;
}

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** Valid segments (end after start), sorted by start. */
export function toSegments(recordings: readonly Recording[]): Segment[] {
  const out: Segment[] = [];
  for (const r of recordings) {
    const start = Date.parse(r.startedAt);
    const end = Date.parse(r.endedAt);
    if (Number.isFinite(start) && Number.isFinite(end) && end > start) out.push({ id: r.id, start, end, bytes: r.bytes });
  }
  return out.sort((a, b) => a.start - b.start || a.end - b.end);
}

/** Where to start playing for `time`: the segment holding it (and the offset into it), else the next segment from its start. */
export function locate(segments: readonly Segment[], time: number): { index: number; offsetMs: number; exact: boolean } | null {
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if (time >= s.start && time < s.end) return { index: i, offsetMs: time - s.start, exact: true };
  }
  const next = segments.findIndex((s) => s.start >= time);
  return next >= 0 ? { index: next, offsetMs: 0, exact: false } : null;
}

/** The segment after the one with `id` (by start time), or null at the end. */
export function segmentAfter(segments: readonly Segment[], id: string): { index: number; segment: Segment } | null {
  const at = segments.findIndex((s) => s.id === id);
  if (at < 0 || at + 1 >= segments.length) return null;
  return { index: at + 1, segment: segments[at + 1]! };
}

/** Recorded time within [from, to) and the number of gaps between recorded stretches there. */
export function coverage(segments: readonly Segment[], from: number, to: number): { recordedMs: number; gaps: number; stretches: number } {
  let recordedMs = 0;
  let stretches = 0;
  let current: { start: number; end: number } | null = null;
  for (const s of segments) {
    const a = Math.max(s.start, from);
    const b = Math.min(s.end, to);
    if (b <= a) continue;
    // Segments that touch or overlap (within a second) make one stretch.
    if (current && a <= current.end + 1000) {
      current.end = Math.max(current.end, b);
      continue;
    }
    if (current) recordedMs += current.end - current.start;
    current = { start: a, end: b };
    stretches++;
  }
  if (current) recordedMs += current.end - current.start;
  return { recordedMs, gaps: Math.max(0, stretches - 1), stretches };
}

/** Recorded stretches: segments that touch or overlap (within a second) joined, for drawing. */
export function stretches(segments: readonly Segment[]): Array<{ start: number; end: number; count: number }> {
  const out: Array<{ start: number; end: number; count: number }> = [];
  for (const s of segments) {
    const last = out[out.length - 1];
    if (last && s.start <= last.end + 1000) {
      last.end = Math.max(last.end, s.end);
      last.count++;
    } else out.push({ start: s.start, end: s.end, count: 1 });
  }
  return out;
}

export type TimeWindow = { start: number; end: number; mode: 'last24' | 'day' };

export function last24Window(now: number): TimeWindow {
  return { start: now - DAY, end: now, mode: 'last24' };
}

/** Local midnight to the next local midnight of the day holding `time`. */
export function dayWindow(time: number): TimeWindow {
  const d = new Date(time);
  const start = new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const end = new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime();
  return { start, end, mode: 'day' };
}

/** The last 24 hours, unless `from` lies before them: then the day of `from`. */
export function initialWindow(from: number | null, now: number): TimeWindow {
  if (from === null || from > now - DAY + 5 * 60_000) return last24Window(now);
  return dayWindow(from);
}

/** `YYYY-MM-DD` of a local time (for `<input type=date>`). */
export function localDateValue(time: number): string {
  const d = new Date(time);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** The local midnight of a `YYYY-MM-DD` value, or null. */
export function parseLocalDate(value: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return null;
  const t = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])).getTime();
  return Number.isFinite(t) ? t : null;
}

/** Tick spacing for a visible span: minor ticks, and labels every `label`. */
const STEPS: ReadonlyArray<{ maxSpan: number; minor: number; label: number }> = [
  { maxSpan: 20 * 60_000, minor: 60_000, label: 5 * 60_000 },
  { maxSpan: 75 * 60_000, minor: 5 * 60_000, label: 10 * 60_000 },
  { maxSpan: 3 * HOUR, minor: 10 * 60_000, label: 30 * 60_000 },
  { maxSpan: 7 * HOUR, minor: 30 * 60_000, label: HOUR },
  { maxSpan: 13 * HOUR, minor: HOUR, label: 2 * HOUR },
  { maxSpan: Infinity, minor: HOUR, label: 3 * HOUR },
];

export interface Tick {
  time: number;
  label: string | null;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Tick marks on local clock boundaries within [start, end]. */
export function ticks(start: number, end: number): Tick[] {
  const span = end - start;
  const step = STEPS.find((s) => span <= s.maxSpan) ?? STEPS[STEPS.length - 1]!;
  const out: Tick[] = [];
  // Align on local time: the offset of local time from UTC at `start` (steps divide an hour or are whole hours).
  const offset = -new Date(start).getTimezoneOffset() * 60_000;
  let t = Math.ceil((start + offset) / step.minor) * step.minor - offset;
  for (; t <= end && out.length < 500; t += step.minor) {
    const local = t + offset;
    const isLabel = ((local % step.label) + step.label) % step.label === 0;
    const d = new Date(t);
    out.push({ time: t, label: isLabel ? `${pad(d.getHours())}:${pad(d.getMinutes())}` : null });
  }
  return out;
}

/** `1 h 25 min`, `12 min`, `40 s` (units are the same in both languages). */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
}

/** `HH:MM:SS` local. */
export function formatClock(time: number): string {
  const d = new Date(time);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
