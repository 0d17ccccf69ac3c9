import { describe, expect, it } from 'vitest';
import { FLEET_ROUTES, FLEET_UNITS, nearestOnRoute, positionAlong, routeLength, speedOf, stepTowards, type FleetRoute } from '../../cli/demo/fleet-routes.ts';
import { haversineMetres } from '../../contracts/geo.ts';

/** A square loop: 0.001° north (≈111 m), then east, south and west back. */
const SQUARE: FleetRoute = {
  name: 'test square',
  points: [
    [31.23, 121.47],
    [31.231, 121.47],
    [31.231, 121.471],
    [31.23, 121.471],
  ],
};
const NORTH_LEG = haversineMetres({ latitude: 31.23, longitude: 121.47 }, { latitude: 31.231, longitude: 121.47 });
const EAST_LEG = haversineMetres({ latitude: 31.231, longitude: 121.47 }, { latitude: 31.231, longitude: 121.471 });

describe('demo fleet routes', () => {
  it('measures the loop with haversine, the closing segment included', () => {
    expect(NORTH_LEG).toBeCloseTo(111.2, 0);
    expect(routeLength(SQUARE)).toBeCloseTo(2 * NORTH_LEG + EAST_LEG + haversineMetres({ latitude: 31.23, longitude: 121.471 }, { latitude: 31.23, longitude: 121.47 }), 6);
  });

  it('interpolates along a known segment, with its heading', () => {
    const start = positionAlong(SQUARE, 0);
    expect(start.latitude).toBeCloseTo(31.23, 9);
    expect(start.longitude).toBeCloseTo(121.47, 9);
    expect(start.heading).toBeCloseTo(0, 6);
    const half = positionAlong(SQUARE, NORTH_LEG / 2);
    expect(half.latitude).toBeCloseTo(31.2305, 7);
    expect(half.longitude).toBeCloseTo(121.47, 9);
    expect(haversineMetres({ latitude: 31.23, longitude: 121.47 }, half)).toBeCloseTo(NORTH_LEG / 2, 1);
    const east = positionAlong(SQUARE, NORTH_LEG + 40);
    expect(east.latitude).toBeCloseTo(31.231, 9);
    expect(haversineMetres({ latitude: 31.231, longitude: 121.47 }, east)).toBeCloseTo(40, 1);
    expect(east.heading).toBeCloseTo(90, 1);
    expect(positionAlong(SQUARE, 2 * NORTH_LEG + EAST_LEG + 10).heading).toBeCloseTo(270, 1);
    expect(positionAlong(SQUARE, NORTH_LEG + EAST_LEG + 10).heading).toBeCloseTo(180, 1);
  });

  it('wraps around the loop, forwards and backwards', () => {
    const total = routeLength(SQUARE);
    const a = positionAlong(SQUARE, 30);
    for (const p of [positionAlong(SQUARE, total + 30), positionAlong(SQUARE, 3 * total + 30)]) {
      expect(p.latitude).toBeCloseTo(a.latitude, 9);
      expect(p.longitude).toBeCloseTo(a.longitude, 9);
    }
    const back = positionAlong(SQUARE, -10);
    expect(back.latitude).toBeCloseTo(31.23, 9);
    expect(haversineMetres({ latitude: 31.23, longitude: 121.47 }, back)).toBeCloseTo(10, 1);
    expect(back.heading).toBeCloseTo(270, 1);
  });

  it('finds the nearest point of a route and steps towards a point', () => {
    const onEast = positionAlong(SQUARE, NORTH_LEG + 25);
    const near = nearestOnRoute(SQUARE, { latitude: onEast.latitude + 0.0001, longitude: onEast.longitude });
    expect(near.along).toBeCloseTo(NORTH_LEG + 25, 0);
    expect(near.distance).toBeCloseTo(11.1, 0);
    const from = { latitude: 31.23, longitude: 121.47 };
    const to = { latitude: 31.24, longitude: 121.47 };
    expect(haversineMetres(from, stepTowards(from, to, 100))).toBeCloseTo(100, 1);
    expect(stepTowards(from, to, 5000)).toEqual(to);
  });

  it('keeps every route near People’s Square and every unit on a route', () => {
    const centre = { latitude: 31.2304, longitude: 121.4737 };
    expect(FLEET_ROUTES.length).toBeGreaterThanOrEqual(4);
    expect(FLEET_ROUTES.length).toBeLessThanOrEqual(6);
    for (const route of FLEET_ROUTES) {
      expect(routeLength(route)).toBeGreaterThan(500);
      for (const [latitude, longitude] of route.points) expect(haversineMetres(centre, { latitude, longitude })).toBeLessThan(3000);
    }
    expect(new Set(FLEET_UNITS.map((u) => u.callSign)).size).toBe(FLEET_UNITS.length);
    expect(FLEET_UNITS.filter((u) => u.kind === 'patrol_car')).toHaveLength(6);
    expect(FLEET_UNITS.filter((u) => u.kind === 'officer')).toHaveLength(2);
    for (const u of FLEET_UNITS) expect(FLEET_ROUTES[u.route]).toBeDefined();
    expect(speedOf('patrol_car') * 3.6).toBeCloseTo(30, 6);
    expect(speedOf('officer') * 3.6).toBeCloseTo(5, 6);
  });
});
