/**
 * Great-circle distances on the WGS84 mean sphere. CGCS2000 and WGS84 coordinates coincide to within
 * a metre for this use (finding the nearest unit or camera), so either may be passed.
 */

/** Mean earth radius in metres (IUGG). */
export const EARTH_RADIUS_METRES = 6_371_008.8;

export interface LatLon {
  latitude: number;
  longitude: number;
}

const rad = (deg: number) => (deg * Math.PI) / 180;

/** Haversine distance between two points, in metres. */
export function haversineMetres(a: LatLon, b: LatLon): number {
  const dLat = rad(b.latitude - a.latitude);
  const dLon = rad(b.longitude - a.longitude);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.latitude)) * Math.cos(rad(b.latitude)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_METRES * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * Items with a position ranked nearest first from `origin`, each with its distance in metres;
 * items without a position are left out. Ties keep their input order.
 */
export function rankByDistance<T>(origin: LatLon, items: readonly T[], positionOf: (item: T) => LatLon | null): Array<{ item: T; distanceMetres: number }> {
  const ranked: Array<{ item: T; distanceMetres: number; i: number }> = [];
  items.forEach((item, i) => {
    const p = positionOf(item);
    if (p) ranked.push({ item, distanceMetres: haversineMetres(origin, p), i });
  });
  ranked.sort((x, y) => x.distanceMetres - y.distanceMetres || x.i - y.i);
  return ranked.map(({ item, distanceMetres }) => ({ item, distanceMetres }));
}
