import { haversineMetres, type LatLon } from '../../../../contracts/geo.ts';

/**
 * Pure helpers for the dispatch screens: distances as people say them, the compass direction from
 * one point to another, and the colours of priorities and unit statuses.
 */

export const COMPASS_POINTS = ['north', 'north_east', 'east', 'south_east', 'south', 'south_west', 'west', 'north_west'] as const;
export type CompassPoint = (typeof COMPASS_POINTS)[number];

/** Initial great-circle bearing from `from` to `to`, degrees clockwise from north in [0, 360). */
export function bearingDegrees(from: LatLon, to: LatLon): number {
  const rad = (d: number) => (d * Math.PI) / 180;
  const φ1 = rad(from.latitude);
  const φ2 = rad(to.latitude);
  const Δλ = rad(to.longitude - from.longitude);
  const y = Math.sin(Δλ) * Math.cos(φ2);
  const x = Math.cos(φ1) * Math.sin(φ2) - Math.sin(φ1) * Math.cos(φ2) * Math.cos(Δλ);
  const deg = (Math.atan2(y, x) * 180) / Math.PI;
  return (deg + 360) % 360;
}

/** The nearest of the eight compass points to a bearing. */
export function compassPoint(bearing: number): CompassPoint {
  const normalised = ((bearing % 360) + 360) % 360;
  return COMPASS_POINTS[Math.round(normalised / 45) % 8]!;
}

/** `850 m`, `1.2 km`, `12 km`: metres below a kilometre, one decimal below ten kilometres. */
export function distanceText(metres: number): string {
  if (!Number.isFinite(metres) || metres < 0) return '—';
  if (metres < 1000) return `${Math.round(metres)} m`;
  const km = metres / 1000;
  return km < 10 ? `${km.toFixed(1)} km` : `${Math.round(km)} km`;
}

/** Distance and direction from `from` to `to` (null when either is missing). */
export function directionTo(from: LatLon | null | undefined, to: LatLon | null | undefined): { metres: number; compass: CompassPoint; text: string } | null {
  if (!from || !to) return null;
  const metres = haversineMetres(from, to);
  return { metres, compass: compassPoint(bearingDegrees(from, to)), text: distanceText(metres) };
}

export const PRIORITY_COLOURS: Readonly<Record<'P1' | 'P2' | 'P3' | 'P4', string>> = {
  P1: '#ff3d3d',
  P2: '#ff8a1f',
  P3: '#f2c200',
  P4: '#3ea0ff',
};

export const UNIT_STATUS_COLOURS: Readonly<Record<string, string>> = {
  available: '#2fbf71',
  dispatched: '#ff8a1f',
  en_route: '#f2c200',
  on_scene: '#ff3d3d',
  busy: '#a070ff',
  off_duty: '#6b7280',
};
export const STALE_COLOUR = '#6b7280';

/** `HH:MM:SS` local time. */
export function clockText(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}`;
}
