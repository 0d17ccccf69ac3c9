import { normalizePlateText, type PlateMatchMode, type Sighting, type SightingKind, type SightingStats } from '../../../../contracts/sightings.ts';

/**
 * The Sightings screen's list logic, kept free of React so that it is unit-tested: whether a pushed
 * sighting belongs to the current search, and how pushes merge into the shown list and chart.
 */

/** The current search as the screen sent it (the parts that matter to a live push). */
export interface LiveFilter {
  cameraIds?: readonly string[];
  kind?: SightingKind;
  plate?: string;
  plateMode: PlateMatchMode;
  plateColour?: string;
  from?: Date;
  /** A search with an end does not take live pushes. */
  to?: Date;
}

/** At most one character different, anywhere inside (what the server's fuzzy search finds at least). */
function containsWithOneSubstitution(haystack: string, needle: string): boolean {
  const h = [...haystack];
  const n = [...needle];
  for (let start = 0; start + n.length <= h.length; start++) {
    let misses = 0;
    for (let i = 0; i < n.length && misses <= 1; i++) if (h[start + i] !== n[i]) misses++;
    if (misses <= 1) return true;
  }
  return false;
}

export function plateMatches(text: string, query: string, mode: PlateMatchMode): boolean {
  const q = normalizePlateText(query);
  switch (mode) {
    case 'exact':
      return text === q;
    case 'prefix':
      return text.startsWith(q);
    case 'contains':
      return text.includes(q);
    case 'fuzzy':
      return containsWithOneSubstitution(text, q);
    case 'wildcard':
      return wildcardMatches(text, q);
  }
}

/** `*` any run of characters, `?` exactly one; the whole plate (as the server's wildcard search). */
export function wildcardMatches(text: string, pattern: string): boolean {
  const source = [...pattern].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`, 'u').test(text);
}

/** Whether a pushed sighting would have been found by the current search (so it may be shown live). */
export function matchesLive(sighting: Sighting, filter: LiveFilter): boolean {
  if (filter.to) return false;
  if (filter.cameraIds && filter.cameraIds.length > 0 && !filter.cameraIds.includes(sighting.cameraId)) return false;
  if (filter.kind && sighting.kind !== filter.kind) return false;
  if (filter.from && Date.parse(sighting.observedAt) < filter.from.getTime()) return false;
  if (filter.plateColour && sighting.plate?.colour !== filter.plateColour) return false;
  if (filter.plate && filter.plate.trim() !== '') {
    if (!sighting.plate) return false;
    if (!plateMatches(sighting.plate.text, filter.plate, filter.plateMode)) return false;
  }
  return true;
}

export interface ShownSighting {
  sighting: Sighting;
  /** Arrived over the socket after the search. */
  fresh: boolean;
}

/**
 * A push into the shown list: a new sighting goes on top (once); an update replaces the shown copy
 * in place when it is newer, and is ignored when that sighting is not shown.
 */
export function mergeSighting(list: readonly ShownSighting[], sighting: Sighting, kind: 'created' | 'updated', max = 1000): ShownSighting[] {
  const at = list.findIndex((s) => s.sighting.id === sighting.id);
  if (at >= 0) {
    if (list[at]!.sighting.updatedAt > sighting.updatedAt) return [...list];
    const next = [...list];
    next[at] = { sighting, fresh: list[at]!.fresh };
    return next;
  }
  if (kind === 'updated') return [...list];
  return [{ sighting, fresh: true }, ...list].slice(0, max);
}

/** Count a new sighting into the hourly chart, when its hour is shown. */
export function countIntoStats(stats: SightingStats, sighting: Sighting): SightingStats {
  const time = Date.parse(sighting.observedAt);
  const hour = new Date(Math.floor(time / 3_600_000) * 3_600_000).toISOString();
  const index = stats.buckets.findIndex((b) => b.at === hour);
  if (index < 0) return stats;
  const buckets = stats.buckets.map((b, i) => (i === index ? { ...b, [sighting.kind]: b[sighting.kind] + 1 } : b));
  const byCamera = stats.byCamera.some((c) => c.cameraId === sighting.cameraId)
    ? stats.byCamera.map((c) => (c.cameraId === sighting.cameraId ? { ...c, count: c.count + 1 } : c))
    : [...stats.byCamera, { cameraId: sighting.cameraId, cameraName: sighting.cameraName, count: 1 }];
  return { ...stats, buckets, byCamera: byCamera.sort((a, b) => b.count - a.count), total: stats.total + 1 };
}

/** `YYYY-MM-DDTHH:mm` of a time in local time, for `<input type="datetime-local">`. */
export function toLocalInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** The time of a `datetime-local` value (local time); undefined when empty or not a time. */
export function fromLocalInput(value: string): Date | undefined {
  if (!value) return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value);
  if (!m) return undefined;
  const date = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0));
  return Number.isNaN(date.getTime()) ? undefined : date;
}
