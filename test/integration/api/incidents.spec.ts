import { sql } from 'kysely';
import sharp from 'sharp';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../../contracts/alerts.ts';
import type { ClientToServerEvents, ServerToClientEvents } from '../../../contracts/events.ts';
import type { Incident } from '../../../contracts/incidents.ts';
import { startTestSystem, type TestSystem } from '../../helpers/system.ts';
import { SQUARE } from '../../helpers/places.ts';

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function open(baseUrl: string, token: string): Client {
  return connect(baseUrl, { path: '/socket.io', transports: ['websocket'], auth: { token }, reconnection: false, forceNew: true });
}
function connected(socket: Client): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (err) => reject(err));
  });
}

describe('incidents', () => {
  let sys: TestSystem;
  let admin: string;
  let dispatcher: string;
  let commander: string;
  let patrol: string;
  const sockets: Client[] = [];

  beforeAll(async () => {
    sys = await startTestSystem();
    admin = await sys.login(sys.admin.username, sys.admin.password);
    await sys.createUser({ username: 'd110', password: 'dispatch-pass-1', roles: ['dispatcher'] });
    await sys.createUser({ username: 'cmd1', password: 'command-pass-1', roles: ['commander'] });
    await sys.createUser({ username: 'pt1', password: 'patrol-pass-1', roles: ['patrol'] });
    dispatcher = await sys.login('d110', 'dispatch-pass-1');
    commander = await sys.login('cmd1', 'command-pass-1');
    patrol = await sys.login('pt1', 'patrol-pass-1');
  });
  afterEach(() => {
    for (const s of sockets.splice(0)) s.disconnect();
  });
  afterAll(async () => sys?.stop());

  it('turns a 110 call into an incident with a timeline, pushed to the command roles', async () => {
    const desk = open(sys.baseUrl, commander);
    sockets.push(desk);
    await connected(desk);
    const pushed: Incident[] = [];
    desk.on('incident.created', (i) => pushed.push(i));
    const res = await sys.api('/api/incidents', {
      token: dispatcher,
      body: {
        type: 'traffic_accident',
        priority: 'P2',
        source: 'call',
        description: '两车追尾，有人受伤',
        location: SQUARE,
        address: '人民大道 200 号',
        caller: { name: '张女士', phone: '138 0013 8000' },
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const inc = res.body as Incident;
    expect(inc).toMatchObject({
      type: 'traffic_accident',
      priority: 'P2',
      status: 'open',
      source: 'call',
      title: '交通事故 · 人民大道 200 号',
      location: SQUARE,
      caller: { name: '张女士', phone: '138 0013 8000' },
      plan: null,
      outcome: null,
    });
    expect(inc.timeline).toHaveLength(1);
    expect(inc.timeline[0]).toMatchObject({ kind: 'created', username: 'd110', detail: { source: 'call', type: 'traffic_accident', priority: 'P2' } });
    expect(Date.now() - Date.parse(inc.timeline[0]!.at)).toBeLessThan(60_000);
    const deadline = Date.now() + 3000;
    while (pushed.length === 0 && Date.now() < deadline) await sleep(20);
    expect(pushed.map((i) => i.id)).toEqual([inc.id]);

    // Patrol officers see incidents but do not create them.
    expect((await sys.api(`/api/incidents/${inc.id}`, { token: patrol })).status).toBe(200);
    expect((await sys.api('/api/incidents', { token: patrol, body: { type: 'fire' } })).status).toBe(403);
    const listed = await sys.api('/api/incidents?open=true&priority=P2', { token: patrol });
    expect(listed.body.items.map((i: Incident) => i.id)).toContain(inc.id);

    // Changes are in the timeline with what changed from what; a closed incident does not change.
    const upd = await sys.api(`/api/incidents/${inc.id}`, { method: 'PATCH', token: dispatcher, body: { priority: 'P1' } });
    expect(upd.status).toBe(200);
    expect(upd.body.timeline.at(-1)).toMatchObject({ kind: 'updated', username: 'd110', detail: { priority: { from: 'P2', to: 'P1' } } });
    const note = await sys.api(`/api/incidents/${inc.id}/notes`, { token: dispatcher, body: { note: '120 已到场' } });
    expect(note.body.timeline.at(-1)).toMatchObject({ kind: 'note', detail: { note: '120 已到场' } });
    expect((await sys.api(`/api/incidents/${inc.id}/close`, { token: dispatcher, body: { outcome: 'won', report: 'x' } })).status).toBe(400);
    expect((await sys.api(`/api/incidents/${inc.id}/close`, { token: dispatcher, body: { outcome: 'resolved', report: '事故已处理，移交交警。' } })).status).toBe(200);
    const late = await sys.api(`/api/incidents/${inc.id}`, { method: 'PATCH', token: dispatcher, body: { priority: 'P3' } });
    expect(late.status).toBe(409);
    expect(late.body.error.message).toMatch(/closed/);
    const audit = await sys.api('/api/audit?action=incident.close', { token: admin });
    expect(JSON.stringify(audit.body)).toContain(inc.id);
  });

  it('refuses bad input with a clear error naming the field', async () => {
    const lat = await sys.api('/api/incidents', { token: dispatcher, body: { type: 'fire', location: { latitude: 91, longitude: 121.47 } } });
    expect(lat.status).toBe(400);
    expect(lat.body.error.issues.map((i: { path: string }) => i.path)).toEqual(['location.latitude']);
    const lon = await sys.api('/api/incidents', { token: dispatcher, body: { type: 'fire', location: { latitude: 31, longitude: 181 } } });
    expect(lon.status).toBe(400);
    expect(lon.body.error.issues[0].path).toBe('location.longitude');
    const type = await sys.api('/api/incidents', { token: dispatcher, body: { type: 'alien_landing' } });
    expect(type.status).toBe(400);
    expect(type.body.error).toMatchObject({ message: 'Unknown incident type alien_landing.', issues: [{ path: 'type' }] });
    expect(type.body.error.issues[0].message).toMatch(/traffic_accident/);
    expect((await sys.api('/api/incidents', { token: dispatcher, body: { type: 'fire', priority: 'P5' } })).status).toBe(400);
    expect((await sys.api('/api/incidents', { token: dispatcher, body: { type: 'fire', caller: { phone: 'call me' } } })).status).toBe(400);
    const types = await sys.api('/api/incident-types', { token: patrol });
    expect(types.body.items.find((t: { code: string }) => t.code === 'fire')).toEqual({ code: 'fire', name: { en: 'Fire', 'zh-CN': '火灾' } });
  });

  it('proposes the plan of the incident type; its steps are ticked once each, in the timeline', async () => {
    const plan = { incidentType: 'fire', name: '火灾处置预案', steps: ['通知消防 119', '疏散群众', '封控现场'], notify: ['commander'], resources: [{ kind: 'fire', count: 2 }], cameraCount: 2 };
    expect((await sys.api('/api/plans', { token: dispatcher, body: plan })).status).toBe(403);
    expect((await sys.api('/api/plans', { token: admin, body: { ...plan, incidentType: 'nope' } })).status).toBe(400);
    const created = await sys.api('/api/plans', { token: admin, body: plan });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect((await sys.api('/api/plans', { token: admin, body: plan })).status).toBe(409); // one active plan per type

    const res = await sys.api('/api/incidents', { token: dispatcher, body: { type: 'fire', priority: 'P1', location: SQUARE } });
    expect(res.status).toBe(201);
    const inc = res.body as Incident;
    expect(inc.plan).toMatchObject({ planId: created.body.id, name: '火灾处置预案', notify: ['commander'], resources: [{ kind: 'fire', count: 2 }], cameraCount: 2 });
    expect(inc.plan!.steps.map((s) => [s.index, s.text, s.doneAt])).toEqual([
      [0, '通知消防 119', null],
      [1, '疏散群众', null],
      [2, '封控现场', null],
    ]);
    expect(inc.timeline.map((e) => e.kind)).toEqual(['created', 'plan_proposed']);

    const tick = await sys.api(`/api/incidents/${inc.id}/plan/steps/1/tick`, { token: dispatcher, body: {} });
    expect(tick.status, JSON.stringify(tick.body)).toBe(200);
    expect(tick.body.plan.steps[1]).toMatchObject({ doneByName: 'd110' });
    expect(tick.body.plan.steps[1].doneAt).not.toBeNull();
    expect(tick.body.timeline.at(-1)).toMatchObject({ kind: 'plan_step', username: 'd110', detail: { index: 1, text: '疏散群众' } });
    expect((await sys.api(`/api/incidents/${inc.id}/plan/steps/1/tick`, { token: dispatcher, body: {} })).status).toBe(409);
    expect((await sys.api(`/api/incidents/${inc.id}/plan/steps/7/tick`, { token: dispatcher, body: {} })).status).toBe(404);
    expect((await sys.api(`/api/incidents/${inc.id}/plan/steps/0/tick`, { token: patrol, body: {} })).status).toBe(403);

    // A later edit of the plan does not change the incident's copy.
    await sys.api(`/api/plans/${created.body.id}`, { method: 'PATCH', token: admin, body: { name: '火灾预案 v2' } });
    expect((await sys.api(`/api/incidents/${inc.id}`, { token: dispatcher })).body.plan.name).toBe('火灾处置预案');
  });

  it('turns an alert into an incident that keeps its evidence, camera and position', async () => {
    const site = await sys.api('/api/sites', { token: admin, body: { name: '卡口 7', kind: 'checkpoint', latitude: 31.235, longitude: 121.48 } });
    const cam = await sys.api('/api/cameras', { token: admin, body: { name: 'CP7 lane 2', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1:8554/cp7', siteId: site.body.id } });
    const list = await sys.api('/api/watchlists', { token: admin, body: { name: '盗抢车辆', kind: 'plate', level: 'red' } });
    await sys.api(`/api/watchlists/${list.body.id}/entries`, { token: admin, body: { plate: '沪C67890', reason: '盗抢' } });
    const crop = await sharp({ create: { width: 96, height: 32, channels: 3, background: '#1d4ed8' } }).jpeg().toBuffer();
    await sys.argus.services.sightings.record({ cameraId: cam.body.id, observedAt: new Date(), kind: 'plate', score: 0.93, plate: { text: '沪C67890', colour: 'blue', layers: 1 }, crop });
    let alert: Alert | undefined;
    const deadline = Date.now() + 5000;
    while (!alert && Date.now() < deadline) {
      alert = ((await sys.api(`/api/alerts?cameraId=${cam.body.id}`, { token: admin })).body.items as Alert[])[0];
      if (!alert) await sleep(50);
    }
    expect(alert).toBeDefined();

    expect((await sys.api(`/api/incidents/from-alert/${alert!.id}`, { token: patrol, body: {} })).status).toBe(403);
    const res = await sys.api(`/api/incidents/from-alert/${alert!.id}`, { token: dispatcher, body: {} });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const inc = res.body as Incident;
    expect(inc).toMatchObject({
      type: 'wanted_vehicle',
      priority: 'P1',
      source: 'alert',
      sourceAlertId: alert!.id,
      location: { latitude: 31.235, longitude: 121.48 },
      address: '卡口 7',
      evidence: { alertId: alert!.id, cameraId: cam.body.id, cameraName: 'CP7 lane 2', cropUrl: `/api/incidents/${inc.id}/evidence/crop.jpg`, frameUrl: null },
    });
    expect(inc.evidence!.summary).toContain('沪C67890');
    expect(inc.timeline[0]).toMatchObject({ kind: 'created', detail: { alertId: alert!.id, level: 'red' } });
    const image = await fetch(`${sys.baseUrl}${inc.evidence!.cropUrl}`, { headers: { authorization: `Bearer ${patrol}` } });
    expect(image.status).toBe(200);
    expect(Buffer.from(await image.arrayBuffer()).equals(crop)).toBe(true);
    expect((await sys.api(`/api/incidents/from-alert/00000000-0000-4000-8000-000000000000`, { token: dispatcher, body: {} })).status).toBe(404);

    // The cameras nearest to it: by the camera's own position, else its site's.
    await sys.api('/api/cameras', { token: admin, body: { name: 'far', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1:8554/far', latitude: 31.3, longitude: 121.5 } });
    await sys.api('/api/cameras', { token: admin, body: { name: 'near', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1:8554/near', latitude: 31.2351, longitude: 121.48 } });
    const cams = await sys.api(`/api/incidents/${inc.id}/cameras?limit=2`, { token: patrol });
    expect(cams.status, JSON.stringify(cams.body)).toBe(200);
    expect(cams.body.items.map((c: { name: string; distanceMetres: number; positionFrom: string }) => [c.name, c.distanceMetres, c.positionFrom])).toEqual([
      ['CP7 lane 2', 0, 'site'],
      ['near', 11, 'camera'],
    ]);
  });

  it('keeps the timeline append-only in the database', async () => {
    const res = await sys.api('/api/incidents', { token: dispatcher, body: { type: 'theft', address: '南京东路' } });
    const db = sys.argus.database.db;
    await expect(sql`update incident_events set detail = '{}' where incident_id = ${res.body.id}`.execute(db)).rejects.toThrow(/append-only: UPDATE/);
    await expect(sql`delete from incident_events where incident_id = ${res.body.id}`.execute(db)).rejects.toThrow(/append-only: DELETE/);
    await expect(sql`delete from incidents where id = ${res.body.id}`.execute(db)).rejects.toThrow(/append-only: DELETE/);
    const after = await sys.api(`/api/incidents/${res.body.id}`, { token: dispatcher });
    expect(after.body.timeline).toHaveLength(1);
    expect(after.body.title).toBe('盗窃 · 南京东路');
  });
});
