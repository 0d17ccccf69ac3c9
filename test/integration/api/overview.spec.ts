import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Overview } from '../../../contracts/overview.ts';
import { startTestSystem, type TestSystem } from '../../helpers/system.ts';
import { TEST_DATABASE_KINDS } from '../storage/db-helpers.ts';

const HOUR = 3_600_000;

describe.each(TEST_DATABASE_KINDS)('command-centre overview on %s', (kind) => {
  let sys: TestSystem;
  let admin: string;
  let dispatcher: string;
  let analyst: string;
  // Whole hours back from the current hour; the data sits 10 minutes into each hour.
  const thisHour = Math.floor(Date.now() / HOUR) * HOUR;
  const inHour = (back: number) => new Date(thisHour - back * HOUR + 10 * 60_000);

  beforeAll(async () => {
    sys = await startTestSystem({
      database: kind,
      config: { dispatch: { staleAfterSeconds: 60 } },
    });
    admin = await sys.login(sys.admin.username, sys.admin.password);
    await sys.createUser({ username: 'ov-disp', password: 'dispatch-pass-1', roles: ['dispatcher'] });
    await sys.createUser({ username: 'ov-analyst', password: 'analyst-pass-1', roles: ['analyst'] });
    dispatcher = await sys.login('ov-disp', 'dispatch-pass-1');
    analyst = await sys.login('ov-analyst', 'analyst-pass-1');
    const db = sys.argus.database.db;
    const now = new Date();
    const incident = (priority: string, status: string, createdAt: Date) => ({ type: 'fight', priority, status, title: `${priority} ${status}`, created_at: createdAt, closed_at: status === 'closed' ? new Date() : null, outcome: status === 'closed' ? 'resolved' : null });
    await db
      .insertInto('incidents')
      .values([
        incident('P1', 'open', inHour(0)),
        incident('P1', 'dispatched', inHour(0)),
        incident('P2', 'on_scene', inHour(2)),
        incident('P3', 'open', inHour(23)),
        incident('P4', 'closed', inHour(2)),
        // Older than the 24 hours: counted as open, not in the chart.
        incident('P3', 'open', inHour(24)),
      ])
      .execute();
    const unit = (callSign: string, status: string, positionAt: Date | null) => ({
      call_sign: callSign,
      kind: 'patrol_car',
      members: '[]',
      capabilities: [],
      status,
      latitude: positionAt ? 31.23 : null,
      longitude: positionAt ? 121.47 : null,
      position_at: positionAt,
    });
    await db
      .insertInto('units')
      .values([
        unit('A1', 'available', now),
        unit('A2', 'available', now),
        unit('A3', 'en_route', now),
        unit('A4', 'available', new Date(now.getTime() - 5 * 60_000)), // stale
        unit('A5', 'on_scene', null), // stale
        unit('A6', 'off_duty', null), // off duty: never stale
      ])
      .execute();
    const alert = (level: string, status: string, createdAt: Date, covert = false) => ({
      level,
      status,
      created_at: createdAt,
      detail: JSON.stringify({ watchlist: { id: 'w', name: covert ? '秘密' : '在逃', covert }, entry: { id: 'e', reason: null, caseNumber: null }, sighting: { id: 's', observedAt: createdAt.toISOString(), score: 0.9 }, cropPath: null, framePath: null }),
    });
    await db
      .insertInto('alerts')
      .values([
        alert('red', 'new', inHour(0)),
        alert('red', 'new', inHour(1)),
        alert('orange', 'acknowledged', inHour(1)),
        alert('yellow', 'new', inHour(5)),
        alert('blue', 'resolved', inHour(30)),
        alert('orange', 'new', inHour(1), true), // covert
      ])
      .execute();
    await db
      .insertInto('cameras')
      .values([
        { name: 'C1', source_kind: 'rtsp', source_url: 'rtsp://127.0.0.1:1/a', status: 'online' },
        { name: 'C2', source_kind: 'rtsp', source_url: 'rtsp://127.0.0.1:1/b', status: 'offline' },
        { name: 'C3', source_kind: 'rtsp', source_url: 'rtsp://127.0.0.1:1/c', status: 'offline' },
      ])
      .execute();
  });
  afterAll(async () => {
    await sys?.stop();
  });

  it('counts open incidents, units (stale apart), alerts awaiting acknowledgement and cameras offline', async () => {
    const res = await sys.api('/api/overview', { token: admin });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const o = res.body as Overview;
    expect(o.incidents).toEqual({ P1: 2, P2: 1, P3: 2, P4: 0, total: 5 });
    expect(o.units).toEqual({ available: 2, dispatched: 0, en_route: 1, on_scene: 0, busy: 0, off_duty: 1, stale: 2, total: 6 });
    // The administrator manages watchlists: the covert alert counts.
    expect(o.alertsAwaiting).toEqual({ red: 2, orange: 1, yellow: 1, blue: 0, total: 4 });
    expect(o.cameras).toEqual({ total: 3, offline: 2 });
  });

  it('returns 24 hourly buckets, oldest first, ending with the current hour', async () => {
    const o = (await sys.api('/api/overview', { token: admin })).body as Overview;
    expect(o.hours).toHaveLength(24);
    expect(o.hours[23]!.at).toBe(new Date(thisHour).toISOString());
    expect(o.hours[0]!.at).toBe(new Date(thisHour - 23 * HOUR).toISOString());
    const at = (back: number) => o.hours[23 - back]!;
    expect(at(0)).toMatchObject({ incidents: 2, alerts: 1 });
    expect(at(1)).toMatchObject({ incidents: 0, alerts: 3 });
    expect(at(2)).toMatchObject({ incidents: 2, alerts: 0 });
    expect(at(5)).toMatchObject({ incidents: 0, alerts: 1 });
    expect(at(23)).toMatchObject({ incidents: 1, alerts: 0 });
    expect(o.hours.reduce((s, h) => s + h.incidents, 0)).toBe(5);
    expect(o.hours.reduce((s, h) => s + h.alerts, 0)).toBe(5);
  });

  it('hides covert alerts from a dispatcher and incidents and units from an analyst', async () => {
    const d = (await sys.api('/api/overview', { token: dispatcher })).body as Overview;
    expect(d.alertsAwaiting).toEqual({ red: 2, orange: 0, yellow: 1, blue: 0, total: 3 });
    expect(d.hours[22]!.alerts).toBe(2);
    expect(d.incidents?.total).toBe(5);
    const a = (await sys.api('/api/overview', { token: analyst })).body as Overview;
    expect(a.incidents).toBeNull();
    expect(a.units).toBeNull();
    expect(a.hours.reduce((s, h) => s + h.incidents, 0)).toBe(0);
    expect(a.alertsAwaiting?.total).toBe(3);
    expect(a.cameras.offline).toBe(2);
    expect((await sys.api('/api/overview')).status).toBe(401);
  });
});
