import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLEET_ROUTES, FLEET_UNITS, nearestOnRoute } from '../../../cli/demo/fleet-routes.ts';
import { haversineMetres, type LatLon } from '../../../contracts/geo.ts';
import type { Incident, Unit } from '../../../contracts/incidents.ts';
import { startTestSystem, type TestSystem } from '../../helpers/system.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A short step so the test sees several moves in a second (a car then moves ~0.8 m a step). */
const TICK_MS = 100;
const fleetConfig = { demo: { fleet: true, fleetTickMs: TICK_MS } };
const specOf = (u: Unit) => FLEET_UNITS.find((s) => s.callSign === u.callSign)!;
const pos = (u: Unit): LatLon => ({ latitude: u.position!.latitude, longitude: u.position!.longitude });

describe('demo fleet', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'argus-fleet-'));
  let sys: TestSystem;
  let admin: string;

  const fleet = async (): Promise<Unit[]> => {
    const res = await sys.api('/api/units', { token: admin });
    expect(res.status).toBe(200);
    const items = (Array.isArray(res.body) ? res.body : res.body.items) as Unit[];
    return items.filter((u) => FLEET_UNITS.some((s) => s.callSign === u.callSign));
  };
  const unit = async (callSign: string): Promise<Unit> => (await fleet()).find((u) => u.callSign === callSign)!;

  beforeAll(async () => {
    sys = await startTestSystem({ dataDir, config: fleetConfig });
    admin = await sys.login(sys.admin.username, sys.admin.password);
    const deadline = Date.now() + 10_000;
    while ((await fleet()).filter((u) => u.position).length < FLEET_UNITS.length) {
      if (Date.now() > deadline) throw new Error('the demo fleet did not report positions');
      await sleep(50);
    }
  });
  afterAll(async () => {
    await sys?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('adds the demo units once, available, fresh and on their routes', async () => {
    const units = await fleet();
    expect(units.map((u) => u.callSign).sort()).toEqual(FLEET_UNITS.map((s) => s.callSign).sort());
    for (const u of units) {
      expect(u.status).toBe('available');
      expect(u.stale).toBe(false);
      expect(u.userIds).toEqual([]);
      expect(nearestOnRoute(FLEET_ROUTES[specOf(u).route]!, pos(u)).distance).toBeLessThan(3);
    }
  });

  it('moves available units along their routes and stores the track', async () => {
    const before = await fleet();
    await sleep(TICK_MS * 8);
    const after = await fleet();
    for (const u of after) {
      const prev = before.find((b) => b.id === u.id)!;
      const moved = haversineMetres(pos(prev), pos(u));
      expect(moved, u.callSign).toBeGreaterThan(0);
      // At most ~30 km/h (with slack for timer jitter).
      expect(moved, u.callSign).toBeLessThan(((30 / 3.6) * (Date.now() - Date.parse(prev.position!.at))) / 1000 + 5);
      expect(nearestOnRoute(FLEET_ROUTES[specOf(u).route]!, pos(u)).distance, u.callSign).toBeLessThan(3);
    }
    const track = await sys.api(`/api/units/${after[0]!.id}/track`, { token: admin });
    expect(track.status).toBe(200);
    expect(track.body.items.length).toBeGreaterThan(3);
  });

  it('never moves a unit linked to a user (its tablet reports its position)', async () => {
    const user = await sys.argus.services.users.create({ username: 'fleetpatrol', displayName: '巡警', password: 'patrol-pass-9', roles: ['patrol'] }, null, {
      ip: null,
      userAgent: null,
    });
    const target = await unit(FLEET_UNITS[0]!.callSign);
    const patched = await sys.api(`/api/units/${target.id}`, { method: 'PATCH', token: admin, body: { userIds: [user.id] } });
    expect(patched.status).toBe(200);
    await sleep(TICK_MS * 3); // a step already under way may still land
    const before = await unit(target.callSign);
    await sleep(TICK_MS * 8);
    const after = await unit(target.callSign);
    expect(after.position).toEqual(before.position);
  });

  it('drives a dispatched unit towards its incident and stops there, without changing its status', async () => {
    const far = await unit(FLEET_UNITS[2]!.callSign);
    const bund = { latitude: 31.2405, longitude: 121.4903 };
    const incident = (await sys.api('/api/incidents', { token: admin, body: { type: 'fight', priority: 'P2', location: bund, address: '外滩' } })).body as Incident;
    expect((await sys.api(`/api/incidents/${incident.id}/dispatches`, { token: admin, body: { unitIds: [far.id] } })).status).toBe(201);
    await sleep(TICK_MS * 2);
    const start = await unit(far.callSign);
    await sleep(TICK_MS * 10);
    const later = await unit(far.callSign);
    expect(later.status).toBe('dispatched');
    const closer = haversineMetres(pos(start), bund) - haversineMetres(pos(later), bund);
    expect(closer).toBeGreaterThan(3);
    expect(closer).toBeLessThan(haversineMetres(pos(start), pos(later)) + 0.5); // a straight line towards it

    // A unit a few metres away arrives and stays there; the officers set it on scene, not the simulation.
    const near = await unit(FLEET_UNITS[4]!.callSign);
    const spot = { latitude: near.position!.latitude + 0.00003, longitude: near.position!.longitude };
    const second = (await sys.api('/api/incidents', { token: admin, body: { type: 'theft', location: spot } })).body as Incident;
    expect((await sys.api(`/api/incidents/${second.id}/dispatches`, { token: admin, body: { unitIds: [near.id] } })).status).toBe(201);
    await sleep(TICK_MS * 12);
    const arrived = await unit(near.callSign);
    expect(haversineMetres(pos(arrived), spot)).toBeLessThan(0.01);
    expect(arrived.status).toBe('dispatched');
    await sleep(TICK_MS * 4);
    expect((await unit(near.callSign)).position!.latitude).toBeCloseTo(spot.latitude, 9);
  });

  it('does not add the units again on a restart', async () => {
    await sys.stop();
    sys = await startTestSystem({ dataDir, config: fleetConfig });
    admin = await sys.login(sys.admin.username, sys.admin.password);
    await sleep(TICK_MS * 3);
    const units = await fleet();
    expect(units).toHaveLength(FLEET_UNITS.length);
    expect(new Set(units.map((u) => u.callSign)).size).toBe(FLEET_UNITS.length);
  });
});
