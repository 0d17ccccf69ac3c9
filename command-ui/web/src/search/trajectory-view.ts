import type { TrajectoryPoint } from '../../../../contracts/sightings.ts';

/**
 * What the trajectory tab shows, kept free of React and Leaflet so that it is unit-tested: the
 * reads in time order, numbered; the positioned ones as map markers with the same numbers; and
 * the line joining them in time order. A read without a position (neither its camera nor its site
 * has one) keeps its number in the list and is left off the map.
 */

export interface TrajectoryRow {
  /** 1-based, in time order: the number on the list row and on its marker. */
  number: number;
  point: TrajectoryPoint;
  position: { latitude: number; longitude: number } | null;
}

export interface TrajectoryView {
  rows: TrajectoryRow[];
  /** Marker data for the map: id is the sighting id, label the row number. */
  markers: { id: string; latitude: number; longitude: number; label: string; title: string }[];
  /** [latitude, longitude] of the positioned reads, oldest first. */
  line: [number, number][];
  /** Reads with no position. */
  unpositioned: number;
}

function positionOf(point: TrajectoryPoint): TrajectoryRow['position'] {
  const { latitude, longitude } = point;
  if (latitude === null || longitude === null || !Number.isFinite(latitude) || !Number.isFinite(longitude)) return null;
  return { latitude, longitude };
}

/** Oldest first; reads at the same moment by id, so that the order (and the numbers) never flicker. */
export function orderTrajectory(points: readonly TrajectoryPoint[]): TrajectoryPoint[] {
  return [...points].sort((a, b) => Date.parse(a.sighting.observedAt) - Date.parse(b.sighting.observedAt) || a.sighting.id.localeCompare(b.sighting.id));
}

export function trajectoryView(points: readonly TrajectoryPoint[], titleOf: (row: TrajectoryRow) => string = (r) => String(r.number)): TrajectoryView {
  const rows = orderTrajectory(points).map((point, i) => ({ number: i + 1, point, position: positionOf(point) }));
  const markers: TrajectoryView['markers'] = [];
  const line: [number, number][] = [];
  for (const row of rows) {
    if (!row.position) continue;
    markers.push({ id: row.point.sighting.id, latitude: row.position.latitude, longitude: row.position.longitude, label: String(row.number), title: titleOf(row) });
    line.push([row.position.latitude, row.position.longitude]);
  }
  return { rows, markers, line, unpositioned: rows.length - markers.length };
}

/** A face search score (cosine, -1..1) as a percentage 0..100 for the bar and the text. */
export function scorePercent(score: number): number {
  if (!Number.isFinite(score)) return 0;
  return Math.round(Math.min(1, Math.max(0, score)) * 100);
}
