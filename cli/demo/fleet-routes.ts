import { haversineMetres, type LatLon } from '../../contracts/geo.ts';
import type { UnitKind } from '../../contracts/incidents.ts';

/**
 * The demo fleet's patrol routes and units (pure data and geometry, no I/O).
 *
 * Each route is a closed loop: a polyline of [latitude, longitude] (WGS84 degrees) whose last point
 * joins its first. The coordinates are APPROXIMATE and HAND-DRAWN along real streets around People's
 * Square, Shanghai (the map's default centre, 31.2304 N 121.4737 E): Nanjing Road, Xizang Road,
 * Yan'an Road, Huangpi Road, Renmin Avenue, Fuzhou Road, Henan Road, Beijing Road, Chengdu Road and
 * the Bund. No map data is fetched; they are good to some tens of metres, enough for a demo map.
 */
export type LatLonPair = readonly [latitude: number, longitude: number];

export interface FleetRoute {
  name: string;
  points: readonly LatLonPair[];
}

export const FLEET_ROUTES: readonly FleetRoute[] = [
  {
    // Around People's Square: Nanjing Road W → Xizang Road M (south) → Yan'an Road E (west) → Huangpi Road N (north).
    name: "People's Square loop",
    points: [
      [31.2346, 121.47],
      [31.2349, 121.474],
      [31.2353, 121.4783],
      [31.2322, 121.4782],
      [31.2287, 121.4779],
      [31.2282, 121.4738],
      [31.2278, 121.47],
      [31.2312, 121.47],
    ],
  },
  {
    // Nanjing Road E to the Bund, down the Bund, back along Yan'an Road E and up Xizang Road.
    name: 'Nanjing Road E – Bund – Yan’an Road E',
    points: [
      [31.2353, 121.4783],
      [31.237, 121.483],
      [31.2388, 121.487],
      [31.2405, 121.4903],
      [31.237, 121.4905],
      [31.2336, 121.4907],
      [31.2315, 121.485],
      [31.23, 121.4815],
      [31.2287, 121.4779],
      [31.2322, 121.4782],
    ],
  },
  {
    // Fuzhou Road (east) → Henan Road M (north) → Nanjing Road E (west) → Xizang Road M (south).
    name: 'Fuzhou Road – Henan Road',
    points: [
      [31.2322, 121.4782],
      [31.2328, 121.481],
      [31.2333, 121.484],
      [31.2352, 121.4839],
      [31.2372, 121.4838],
      [31.237, 121.483],
      [31.2353, 121.4783],
    ],
  },
  {
    // North of Nanjing Road: Xizang Road M (north) → Beijing Road E (east) → Henan Road M (south) → Nanjing Road E (west).
    name: 'Beijing Road E – Henan Road',
    points: [
      [31.2353, 121.4783],
      [31.2385, 121.4778],
      [31.2392, 121.4805],
      [31.24, 121.4835],
      [31.2386, 121.4837],
      [31.2372, 121.4838],
      [31.237, 121.483],
    ],
  },
  {
    // West: Nanjing Road W (west) → Chengdu Road N (south) → Yan'an Road (east) → Huangpi Road N (north).
    name: 'Nanjing Road W – Chengdu Road',
    points: [
      [31.2346, 121.47],
      [31.2335, 121.466],
      [31.2322, 121.4625],
      [31.2295, 121.4626],
      [31.2268, 121.4627],
      [31.2273, 121.4665],
      [31.2278, 121.47],
      [31.2312, 121.47],
    ],
  },
  {
    // On foot inside the square: Renmin Avenue (east) and back along the square's north side (west).
    name: 'Renmin Avenue beat',
    points: [
      [31.2313, 121.4706],
      [31.2315, 121.474],
      [31.2317, 121.4772],
      [31.2336, 121.4772],
      [31.2338, 121.474],
      [31.2336, 121.4708],
    ],
  },
];

export interface FleetUnitSpec {
  callSign: string;
  kind: UnitKind;
  capabilities: string[];
  members: Array<{ name: string; badge: string }>;
  /** Index into FLEET_ROUTES. */
  route: number;
  /** Where on its route the unit starts, as a fraction of the route's length. */
  start: number;
}

/** 6 patrol cars, 2 officers on foot, a fire engine and an ambulance. Created once, by call sign. */
export const FLEET_UNITS: readonly FleetUnitSpec[] = [
  { callSign: '巡逻一组 沪A·P001', kind: 'patrol_car', capabilities: ['armed', 'first_aid'], members: [{ name: '王强', badge: '031201' }, { name: '李明', badge: '031202' }], route: 0, start: 0 },
  { callSign: '巡逻二组 沪A·P002', kind: 'patrol_car', capabilities: ['armed', 'traffic'], members: [{ name: '张伟', badge: '031203' }, { name: '刘洋', badge: '031204' }], route: 1, start: 0 },
  { callSign: '巡逻三组 沪A·P003', kind: 'patrol_car', capabilities: ['first_aid', 'negotiator'], members: [{ name: '陈静', badge: '031205' }, { name: '杨帆', badge: '031206' }], route: 2, start: 0 },
  { callSign: '巡逻四组 沪A·P004', kind: 'patrol_car', capabilities: ['armed', 'k9'], members: [{ name: '赵磊', badge: '031207' }, { name: '黄海', badge: '031208' }], route: 3, start: 0 },
  { callSign: '巡逻五组 沪A·P005', kind: 'patrol_car', capabilities: ['traffic', 'first_aid'], members: [{ name: '周涛', badge: '031209' }, { name: '吴敏', badge: '031210' }], route: 4, start: 0 },
  { callSign: '巡逻六组 沪A·P006', kind: 'patrol_car', capabilities: ['armed', 'first_aid'], members: [{ name: '徐刚', badge: '031211' }, { name: '孙丽', badge: '031212' }], route: 1, start: 0.5 },
  { callSign: '步巡一组', kind: 'officer', capabilities: ['first_aid'], members: [{ name: '马超', badge: '031213' }], route: 5, start: 0 },
  { callSign: '步巡二组', kind: 'officer', capabilities: ['first_aid', 'negotiator'], members: [{ name: '胡军', badge: '031214' }], route: 5, start: 0.5 },
  { callSign: '消防一队 沪A·F119', kind: 'fire', capabilities: ['fire', 'rescue'], members: [{ name: '郭峰', badge: 'F0119' }], route: 0, start: 0.5 },
  { callSign: '急救一组 沪A·E120', kind: 'medical', capabilities: ['first_aid', 'medical'], members: [{ name: '林芳', badge: 'E0120' }], route: 2, start: 0.5 },
];

/** Speeds in metres per second: vehicles ~30 km/h in city traffic, officers on foot ~5 km/h. */
export function speedOf(kind: UnitKind): number {
  return kind === 'officer' ? 5 / 3.6 : 30 / 3.6;
}

const pt = (p: LatLonPair): LatLon => ({ latitude: p[0], longitude: p[1] });
const rad = (deg: number) => (deg * Math.PI) / 180;

/** Initial bearing from a to b, degrees clockwise from north in [0, 360). */
export function bearingDegrees(a: LatLon, b: LatLon): number {
  const lat1 = rad(a.latitude);
  const lat2 = rad(b.latitude);
  const dLon = rad(b.longitude - a.longitude);
  const y = Math.sin(dLon) * Math.cos(lat2);
  const x = Math.cos(lat1) * Math.sin(lat2) - Math.sin(lat1) * Math.cos(lat2) * Math.cos(dLon);
  return ((Math.atan2(y, x) * 180) / Math.PI + 360) % 360;
}

/** The segments of a closed route (the last point joins the first), with their lengths in metres. */
function segments(route: FleetRoute): Array<{ a: LatLon; b: LatLon; length: number }> {
  const n = route.points.length;
  return route.points.map((p, i) => {
    const a = pt(p);
    const b = pt(route.points[(i + 1) % n]!);
    return { a, b, length: haversineMetres(a, b) };
  });
}

/** Length of the closed loop, in metres. */
export function routeLength(route: FleetRoute): number {
  return segments(route).reduce((sum, s) => sum + s.length, 0);
}

/** A point between a and b; the segments are short (hundreds of metres), so linear in degrees is fine. */
export function lerp(a: LatLon, b: LatLon, f: number): LatLon {
  return { latitude: a.latitude + (b.latitude - a.latitude) * f, longitude: a.longitude + (b.longitude - a.longitude) * f };
}

export interface RoutePosition extends LatLon {
  /** Direction of travel, degrees clockwise from north. */
  heading: number;
}

/**
 * The point `metres` along a closed route from its first point, wrapping around the loop (negative
 * distances count backwards), with the heading of the segment it lies on.
 */
export function positionAlong(route: FleetRoute, metres: number): RoutePosition {
  const segs = segments(route).filter((s) => s.length > 0);
  if (segs.length === 0) {
    const p = pt(route.points[0]!);
    return { ...p, heading: 0 };
  }
  const total = segs.reduce((sum, s) => sum + s.length, 0);
  let d = ((metres % total) + total) % total;
  for (const s of segs) {
    if (d <= s.length) return { ...lerp(s.a, s.b, d / s.length), heading: bearingDegrees(s.a, s.b) };
    d -= s.length;
  }
  const last = segs[segs.length - 1]!;
  return { ...last.b, heading: bearingDegrees(last.a, last.b) };
}

/**
 * The point of the route nearest to `p`: how far along the route it is and how far `p` is from it,
 * in metres. Uses a local flat projection around `p` (fine over a few kilometres).
 */
export function nearestOnRoute(route: FleetRoute, p: LatLon): { along: number; distance: number } {
  const kx = 111_320 * Math.cos(rad(p.latitude));
  const ky = 110_574;
  const xy = (q: LatLon) => ({ x: (q.longitude - p.longitude) * kx, y: (q.latitude - p.latitude) * ky });
  let best = { along: 0, distance: Number.POSITIVE_INFINITY };
  let start = 0;
  for (const s of segments(route)) {
    const a = xy(s.a);
    const b = xy(s.b);
    const dx = b.x - a.x;
    const dy = b.y - a.y;
    const len2 = dx * dx + dy * dy;
    const f = len2 === 0 ? 0 : Math.max(0, Math.min(1, -(a.x * dx + a.y * dy) / len2));
    const distance = haversineMetres(p, lerp(s.a, s.b, f));
    if (distance < best.distance) best = { along: start + f * s.length, distance };
    start += s.length;
  }
  return best;
}

/** Move from `from` towards `to` by at most `metres` along the straight line; stops at `to`. */
export function stepTowards(from: LatLon, to: LatLon, metres: number): LatLon {
  const d = haversineMetres(from, to);
  if (d <= metres || d === 0) return { latitude: to.latitude, longitude: to.longitude };
  return lerp(from, to, metres / d);
}
