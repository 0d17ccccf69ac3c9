import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ClientToServerEvents, ServerToClientEvents } from '../../../contracts/events.ts';
import type { Dispatch, Incident, TimelineEntry, Unit } from '../../../contracts/incidents.ts';
import { startTestSystem, type TestSystem } from '../../helpers/system.ts';
import { TEST_DATABASE_KINDS } from '../storage/db-helpers.ts';
import { BUND_1882M, EAST_475M, NEAR_20M, NORTH_111M, SQUARE } from '../../helpers/places.ts';

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

function open(baseUrl: string, token: string): Client {
  return connect(baseUrl, { path: '/socket.io', transports: ['websocket'], auth: { token }, reconnection: false, forceNew: true });
}
function connected(socket: Client): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (err) => reject(err));
  });
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(get: () => T | undefined, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await sleep(10);
  }
}

describe.each(TEST_DATABASE_KINDS)('dispatch on %s', (kind) => {
  let sys: TestSystem;
  let admin: string;
  let dispatcher: string;
  let p1: string;
  let p2: string;
  let p1Id: string;
  let p2Id: string;
  const units: Record<string, Unit> = {};
  const sockets: Client[] = [];

  const newIncident = async (extra: Record<string, unknown> = {}) => {
    const res = await sys.api('/api/incidents', {
      token: dispatcher,
      body: { type: 'fight', priority: 'P2', source: 'call', location: SQUARE, address: '人民广场', caller: { name: '王先生', phone: '13800000000' }, ...extra },
    });
    expect(res.status).toBe(201);
    return res.body as Incident;
  };

  beforeAll(async () => {
    sys = await startTestSystem({
      database: kind,
      config: { dispatch: { acceptWithinSeconds: 5, staleAfterSeconds: 30 } },
    });
    admin = await sys.login(sys.admin.username, sys.admin.password);
    await sys.createUser({ username: 'disp1', password: 'dispatch-pass-1', roles: ['dispatcher'], displayName: '调度员一' });
    await sys.createUser({ username: 'pat1', password: 'patrol-pass-1', roles: ['patrol'] });
    await sys.createUser({ username: 'pat2', password: 'patrol-pass-2', roles: ['patrol'] });
    dispatcher = await sys.login('disp1', 'dispatch-pass-1');
    p1 = await sys.login('pat1', 'patrol-pass-1');
    p2 = await sys.login('pat2', 'patrol-pass-2');
    const users = (await sys.api('/api/users', { token: admin })).body;
    const list = (Array.isArray(users) ? users : users.items) as Array<{ id: string; username: string }>;
    p1Id = list.find((u) => u.username === 'pat1')!.id;
    p2Id = list.find((u) => u.username === 'pat2')!.id;

    const mk = async (callSign: string, body: Record<string, unknown> = {}) => {
      const res = await sys.api('/api/units', { token: dispatcher, body: { callSign, kind: 'patrol_car', members: [{ name: '李警官', badge: '012345' }], ...body } });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      units[callSign] = res.body;
    };
    await mk('沪A-101', { userIds: [p1Id], capabilities: ['armed'] });
    await mk('沪A-102', { userIds: [p2Id] });
    await mk('沪A-103', { kind: 'officer' });
    await mk('沪A-104');
    await mk('沪A-105', { status: 'off_duty' });
    await mk('沪A-106', { kind: 'medical', capabilities: ['first_aid'] });
  });
  afterEach(() => {
    for (const s of sockets.splice(0)) s.disconnect();
  });
  afterAll(async () => {
    await sys?.stop();
  });

  it('takes positions from the tablet (linked users only) and the feed; stale is computed on read', async () => {
    const a = units['沪A-101']!;
    expect(a.stale).toBe(true); // no position yet
    const own = await sys.api(`/api/units/${a.id}/position`, { token: p1, body: { ...NORTH_111M, accuracy: 6 } });
    expect(own.status, JSON.stringify(own.body)).toBe(200);
    expect(own.body).toMatchObject({ stale: false, position: { ...NORTH_111M, accuracy: 6 } });
    expect((await sys.api(`/api/units/${a.id}/position`, { token: p2, body: NORTH_111M })).status).toBe(403);
    expect((await sys.api(`/api/units/${a.id}/position`, { token: p1, body: { latitude: 91, longitude: 0 } })).status).toBe(400);
    // Only dispatchers and administrators feed positions in bulk.
    const feed = {
      positions: [
        { unitId: units['沪A-102']!.id, ...EAST_475M },
        { unitId: units['沪A-103']!.id, ...NEAR_20M },
        { unitId: units['沪A-104']!.id, ...NEAR_20M, at: new Date(Date.now() - 10 * 60_000).toISOString() },
        { unitId: units['沪A-105']!.id, ...NEAR_20M },
        { unitId: units['沪A-106']!.id, ...BUND_1882M },
        { unitId: '00000000-0000-4000-8000-000000000000', ...SQUARE },
      ],
    };
    expect((await sys.api('/api/units/positions', { token: p1, body: feed })).status).toBe(403);
    const fed = await sys.api('/api/units/positions', { token: dispatcher, body: feed });
    expect(fed.status, JSON.stringify(fed.body)).toBe(200);
    expect(fed.body).toEqual({ accepted: 5, unknownUnitIds: ['00000000-0000-4000-8000-000000000000'] });
    // An older fix goes to the history but does not move the unit back.
    await sys.api('/api/units/positions', { token: dispatcher, body: { positions: [{ unitId: units['沪A-102']!.id, ...BUND_1882M, at: new Date(Date.now() - 60_000).toISOString() }] } });
    const b = (await sys.api(`/api/units/${units['沪A-102']!.id}`, { token: p1 })).body as Unit;
    expect(b.position).toMatchObject(EAST_475M);
    const track = await sys.api(`/api/units/${units['沪A-102']!.id}/track`, { token: dispatcher });
    expect(track.body.items).toHaveLength(2);
    expect(track.body.items[0]).toMatchObject(BUND_1882M); // oldest first
    const stale = (await sys.api(`/api/units/${units['沪A-104']!.id}`, { token: dispatcher })).body as Unit;
    expect(stale.stale).toBe(true);

    // Busy by hand (a linked officer or a dispatcher); not from a status that follows a dispatch.
    const busy = await sys.api(`/api/units/${units['沪A-103']!.id}/status`, { token: dispatcher, body: { status: 'busy' } });
    expect(busy.status).toBe(200);
    expect(busy.body.status).toBe('busy');
    expect((await sys.api(`/api/units/${units['沪A-103']!.id}/status`, { token: p1, body: { status: 'available' } })).status).toBe(403);
    expect((await sys.api(`/api/units/${units['沪A-103']!.id}/status`, { token: dispatcher, body: { status: 'on_scene' } })).status).toBe(400);
  });

  it('proposes the nearest suitable available units, nearest first, without busy, stale or off-duty ones', async () => {
    const inc = await newIncident();
    const res = await sys.api(`/api/incidents/${inc.id}/candidates`, { token: dispatcher });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.items.map((c: { unit: Unit; distanceMetres: number }) => [c.unit.callSign, c.distanceMetres])).toEqual([
      ['沪A-101', 111],
      ['沪A-102', 475],
      ['沪A-106', 1882],
    ]);
    const armed = await sys.api(`/api/incidents/${inc.id}/candidates?capability=armed`, { token: dispatcher });
    expect(armed.body.items.map((c: { unit: Unit }) => c.unit.callSign)).toEqual(['沪A-101']);
    const medical = await sys.api(`/api/incidents/${inc.id}/candidates?kind=medical&limit=1`, { token: dispatcher });
    expect(medical.body.items.map((c: { unit: Unit }) => c.unit.callSign)).toEqual(['沪A-106']);
    expect((await sys.api(`/api/incidents/${inc.id}/candidates`, { token: p1 })).status).toBe(403);
    // Busy units cannot be sent.
    const refused = await sys.api(`/api/incidents/${inc.id}/dispatches`, { token: dispatcher, body: { unitIds: [units['沪A-103']!.id] } });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/沪A-103 is busy/);
  });

  it('dispatch reaches the tablet at once; accept → en route → on scene → cleared, each step in the timeline with user and time', async () => {
    const inc = await newIncident();
    const a = units['沪A-101']!;
    const tablet = open(sys.baseUrl, p1);
    const other = open(sys.baseUrl, p2);
    const desk = open(sys.baseUrl, dispatcher);
    sockets.push(tablet, other, desk);
    await Promise.all([connected(tablet), connected(other), connected(desk)]);
    const onTablet: Array<{ d: Dispatch; at: number }> = [];
    const onOther: Dispatch[] = [];
    const deskUpdates: Dispatch[] = [];
    tablet.on('dispatch.created', (d) => onTablet.push({ d, at: Date.now() }));
    other.on('dispatch.created', (d) => onOther.push(d));
    // incident.updated goes to the command roles and `unit:<id>` only: a patrol tablet gets it through
    // the unit room its socket joined at connection.
    const incidentOnTablet: Incident[] = [];
    const incidentOnOther: Incident[] = [];
    tablet.on('incident.updated', (i) => incidentOnTablet.push(i));
    other.on('incident.updated', (i) => incidentOnOther.push(i));
    desk.on('dispatch.updated', (d) => deskUpdates.push(d));
    await sleep(100);

    const sentAt = Date.now();
    const sent = await sys.api(`/api/incidents/${inc.id}/dispatches`, { token: dispatcher, body: { unitIds: [a.id], note: '注意安全' } });
    expect(sent.status, JSON.stringify(sent.body)).toBe(201);
    const d = sent.body.items[0] as Dispatch;
    expect(d).toMatchObject({ unitId: a.id, callSign: '沪A-101', status: 'sent', note: '注意安全', incident: { priority: 'P2', location: SQUARE } });
    const got = await until(() => onTablet[0]);
    expect(got.d.id).toBe(d.id);
    expect(got.at - sentAt).toBeLessThan(1000);
    await sleep(200);
    expect(onOther).toHaveLength(0);
    expect((await sys.api(`/api/units/${a.id}`, { token: dispatcher })).body.status).toBe('dispatched');
    expect((await sys.api(`/api/incidents/${inc.id}`, { token: dispatcher })).body.status).toBe('dispatched');
    const mine = await sys.api(`/api/units/${a.id}/dispatches?active=true`, { token: p1 });
    expect(mine.body.items.map((x: Dispatch) => x.id)).toEqual([d.id]);
    expect((await sys.api(`/api/units/${a.id}/dispatches`, { token: p2 })).status).toBe(403);

    const step = (token: string, action: string) => sys.api(`/api/incidents/${inc.id}/dispatches/${d.id}/status`, { token, body: { action } });
    // Not linked to the unit; an illegal step; a step only dispatchers take.
    expect((await step(p2, 'accept')).status).toBe(403);
    const early = await step(p1, 'en_route');
    expect(early.status).toBe(409);
    expect(early.body.error.message).toMatch(/dispatch of 沪A-101 is sent \(allowed from accepted\)/);
    expect((await step(p1, 'cancel')).status).toBe(403);

    for (const [action, status, unitStatus] of [
      ['accept', 'accepted', 'dispatched'],
      ['en_route', 'en_route', 'en_route'],
      ['on_scene', 'on_scene', 'on_scene'],
      ['clear', 'cleared', 'available'],
    ] as const) {
      const r = await step(p1, action);
      expect(r.status, `${action}: ${JSON.stringify(r.body)}`).toBe(200);
      expect(r.body.status).toBe(status);
      expect((await sys.api(`/api/units/${a.id}`, { token: p1 })).body.status).toBe(unitStatus);
    }
    expect((await step(p1, 'on_scene')).status).toBe(409);
    await until(() => incidentOnTablet.find((i) => i.id === inc.id && i.status === 'on_scene'));
    expect(incidentOnOther).toHaveLength(0);
    await until(() => (deskUpdates.length >= 4 ? true : undefined));
    expect(deskUpdates.slice(-4).map((x) => x.status)).toEqual(['accepted', 'en_route', 'on_scene', 'cleared']);

    const after = (await sys.api(`/api/incidents/${inc.id}`, { token: dispatcher })).body as Incident;
    expect(after.status).toBe('on_scene');
    const steps = after.timeline.filter((e) => e.kind === 'dispatch_status' || e.kind === 'dispatch_created');
    expect(steps.map((e) => [e.kind, e.detail.to ?? null, e.username])).toEqual([
      ['dispatch_created', null, 'disp1'],
      ['dispatch_status', 'accepted', 'pat1'],
      ['dispatch_status', 'en_route', 'pat1'],
      ['dispatch_status', 'on_scene', 'pat1'],
      ['dispatch_status', 'cleared', 'pat1'],
    ]);
    // In order, each with its time.
    const seqs = after.timeline.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    const times = after.timeline.map((e) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((x, y) => x - y));
    expect(after.timeline.filter((e: TimelineEntry) => e.kind === 'updated').map((e) => e.detail.status)).toEqual([
      { from: 'open', to: 'dispatched' },
      { from: 'dispatched', to: 'on_scene' },
    ]);
    const stored = (await sys.api(`/api/incidents/${inc.id}/dispatches`, { token: dispatcher })).body.items[0] as Dispatch;
    for (const k of ['acceptedAt', 'enRouteAt', 'onSceneAt', 'clearedAt'] as const) expect(stored[k]).not.toBeNull();
    expect(Date.parse(stored.acceptedAt!)).toBeLessThanOrEqual(Date.parse(stored.enRouteAt!));

    const closed = await sys.api(`/api/incidents/${inc.id}/close`, { token: dispatcher, body: { outcome: 'resolved', report: '双方已调解，无人受伤。' } });
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ status: 'closed', outcome: 'resolved', report: '双方已调解，无人受伤。' });
    expect(closed.body.closedAt).not.toBeNull();
    expect(closed.body.timeline.at(-1)).toMatchObject({ kind: 'closed', username: 'disp1' });
  });

  it('flags a dispatch not accepted in time to the dispatchers; reassign and cancel free the units', async () => {
    const inc = await newIncident();
    const b = units['沪A-102']!;
    const a = units['沪A-101']!;
    const desk = open(sys.baseUrl, dispatcher);
    sockets.push(desk);
    await connected(desk);
    const updates: Dispatch[] = [];
    desk.on('dispatch.updated', (d) => updates.push(d));
    const sent = await sys.api(`/api/incidents/${inc.id}/dispatches`, { token: dispatcher, body: { unitIds: [b.id] } });
    expect(sent.status).toBe(201);
    const d = sent.body.items[0] as Dispatch;

    expect(await sys.argus.services.dispatch.flagOverdue(new Date())).toBe(0);
    expect(await sys.argus.services.dispatch.flagOverdue(new Date(Date.now() + 6_000))).toBe(1);
    expect(await sys.argus.services.dispatch.flagOverdue(new Date(Date.now() + 6_000))).toBe(0);
    const flagged = await until(() => updates.find((u) => u.id === d.id && u.overdueAt));
    expect(flagged.status).toBe('sent');
    const timeline = (await sys.api(`/api/incidents/${inc.id}`, { token: dispatcher })).body.timeline as TimelineEntry[];
    expect(timeline.filter((e) => e.kind === 'dispatch_overdue').map((e) => e.detail.dispatchId)).toEqual([d.id]);

    const moved = await sys.api(`/api/incidents/${inc.id}/dispatches/${d.id}/reassign`, { token: dispatcher, body: { unitId: a.id } });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body.old).toMatchObject({ status: 'reassigned', replacedBy: moved.body.replacement.id });
    expect(moved.body.replacement).toMatchObject({ unitId: a.id, status: 'sent' });
    expect((await sys.api(`/api/units/${b.id}`, { token: dispatcher })).body.status).toBe('available');
    expect((await sys.api(`/api/incidents/${inc.id}/dispatches/${d.id}/status`, { token: dispatcher, body: { action: 'accept' } })).status).toBe(409);

    const cancelled = await sys.api(`/api/incidents/${inc.id}/dispatches/${moved.body.replacement.id}/status`, { token: dispatcher, body: { action: 'cancel', note: '警情已撤销' } });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect((await sys.api(`/api/units/${a.id}`, { token: dispatcher })).body.status).toBe('available');
    expect((await sys.api(`/api/incidents/${inc.id}`, { token: dispatcher })).body.status).toBe('open');

    // Closing waits for every dispatch to end.
    await sys.api(`/api/incidents/${inc.id}/dispatches`, { token: dispatcher, body: { unitIds: [b.id] } });
    const early = await sys.api(`/api/incidents/${inc.id}/close`, { token: dispatcher, body: { outcome: 'resolved', report: 'x' } });
    expect(early.status).toBe(409);
    expect(early.body.error.message).toMatch(/1 active dispatch/);
  });

  it('SOS raises a P1 incident at the unit’s last position and reaches every dispatcher', async () => {
    const a = units['沪A-101']!;
    const desk = open(sys.baseUrl, dispatcher);
    const desk2 = open(sys.baseUrl, admin);
    sockets.push(desk, desk2);
    await Promise.all([connected(desk), connected(desk2)]);
    const seen: Incident[] = [];
    const seen2: Incident[] = [];
    desk.on('incident.created', (i) => seen.push(i));
    desk2.on('incident.created', (i) => seen2.push(i));
    expect((await sys.api(`/api/units/${a.id}/sos`, { token: p2, body: {} })).status).toBe(403);
    const res = await sys.api(`/api/units/${a.id}/sos`, { token: p1, body: { note: '遭遇袭击' } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ priority: 'P1', source: 'sos', sosUnitId: a.id, location: NORTH_111M, description: '遭遇袭击' });
    const got = await until(() => seen.find((i) => i.id === res.body.id));
    expect(got.source).toBe('sos');
    await until(() => seen2.find((i) => i.id === res.body.id));
  });
});
