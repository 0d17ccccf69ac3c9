import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../../contracts/alerts.ts';
import type { AckReply, ClientToServerEvents, ServerToClientEvents } from '../../../contracts/events.ts';
import { startTestSystem, type TestSystem } from '../../helpers/system.ts';

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
function join(socket: Client, room: string): Promise<AckReply<{ room: string }>> {
  return new Promise((resolve) => socket.emit('subscribe', { room }, resolve));
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('plate watchlists and checkpoint alerts', () => {
  let sys: TestSystem;
  let admin: string;
  let officer: string;
  let cameraId: string;
  let siteId: string;
  let redList: string;
  let covertList: string;
  const sockets: Client[] = [];

  const plateRead = (text: string, extra: { crop?: Buffer } = {}) =>
    sys.argus.services.sightings.record({ cameraId, observedAt: new Date(), kind: 'plate', score: 0.92, plate: { text, colour: 'blue', layers: 1 }, ...extra });

  beforeAll(async () => {
    sys = await startTestSystem();
    await sys.createUser({ username: 'cp1', password: 'checkpoint-pass-1', roles: ['checkpoint'] });
    admin = await sys.login(sys.admin.username, sys.admin.password);
    officer = await sys.login('cp1', 'checkpoint-pass-1');
    const site = await sys.api('/api/sites', { token: admin, body: { name: '卡口 3 北', kind: 'checkpoint' } });
    expect(site.status).toBe(201);
    siteId = site.body.id;
    const cam = await sys.api('/api/cameras', { token: admin, body: { name: 'CP3 lane 1', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1:8554/cp3', siteId } });
    expect(cam.status).toBe(201);
    cameraId = cam.body.id;
    const red = await sys.api('/api/watchlists', { token: admin, body: { name: '在逃车辆', kind: 'plate', level: 'red', tolerance: 1 } });
    expect(red.status).toBe(201);
    redList = red.body.id;
    const covert = await sys.api('/api/watchlists', { token: admin, body: { name: '秘密布控', kind: 'plate', level: 'orange', covert: true } });
    expect(covert.status).toBe(201);
    covertList = covert.body.id;
  });
  afterEach(() => {
    for (const s of sockets.splice(0)) s.disconnect();
  });
  afterAll(async () => sys?.stop());

  it('refuses a pattern that is not a plate, and entries from users without watchlists.manage', async () => {
    for (const plate of ['', '***', 'HELLO WORLD 123', '京A12345678901']) {
      const res = await sys.api(`/api/watchlists/${redList}/entries`, { token: admin, body: { plate } });
      expect(res.status, plate).toBe(400);
    }
    const forbidden = await sys.api(`/api/watchlists/${redList}/entries`, { token: officer, body: { plate: '京A12345' } });
    expect(forbidden.status).toBe(403);
    const listed = await sys.api(`/api/watchlists/${redList}/entries`, { token: admin });
    expect(listed.body.total).toBe(0);
  });

  it('raises exactly one alert for a listed plate, stored before it is pushed to the checkpoint', async () => {
    const entry = await sys.api(`/api/watchlists/${redList}/entries`, { token: admin, body: { plate: '京A·12345', reason: '盗抢车辆', caseNumber: 'AJ-2026-001' } });
    expect(entry.status).toBe(201);
    expect(entry.body.plate).toBe('京A12345');

    const terminal = open(sys.baseUrl, officer);
    sockets.push(terminal);
    await connected(terminal);
    expect(await join(terminal, `site:${siteId}`)).toMatchObject({ ok: true });
    const received: Alert[] = [];
    // Asked for the moment the push arrives: the alert is stored by then.
    const storedWhenPushed: Array<Promise<number>> = [];
    terminal.on('alert.created', (alert) => {
      received.push(alert);
      storedWhenPushed.push(sys.api(`/api/alerts/${alert.id}`, { token: officer }).then((r) => r.status));
    });

    const crop = await sharp({ create: { width: 96, height: 32, channels: 3, background: '#1d4ed8' } }).jpeg().toBuffer();
    // A misread (1 → I is not allowed in plates, but 8/B is): 京A12345 read as 京A1234S, within tolerance 1.
    const sighting = await plateRead('京A1234S', { crop });
    const deadline = Date.now() + 5000;
    while (received.length === 0 && Date.now() < deadline) await sleep(20);
    await sleep(300);
    expect(received).toHaveLength(1);
    const alert = received[0]!;
    expect(await Promise.all(storedWhenPushed)).toEqual([200]);
    expect(alert).toMatchObject({
      level: 'red',
      status: 'new',
      kind: 'plate',
      watchlist: { id: redList, name: '在逃车辆', covert: false },
      entry: { id: entry.body.id, plate: '京A12345', reason: '盗抢车辆', caseNumber: 'AJ-2026-001' },
      sighting: { id: sighting.id, plateText: '京A1234S' },
      cameraId,
      cameraName: 'CP3 lane 1',
      siteId,
      siteName: '卡口 3 北',
      cropUrl: `/api/alerts/${alert.id}/crop.jpg`,
    });
    expect(alert.score).toBeLessThan(1);
    const image = await fetch(`${sys.baseUrl}${alert.cropUrl}`, { headers: { authorization: `Bearer ${officer}` } });
    expect(image.status).toBe(200);
    expect(Buffer.from(await image.arrayBuffer()).equals(crop)).toBe(true);

    // Refined with the right text: the same (sighting, entry) is not raised again.
    await sys.argus.services.sightings.refine(sighting.id, sighting.observedAt, { plate: { text: '京A12345' } });
    await sleep(300);
    expect(received).toHaveLength(1);
    const all = await sys.api(`/api/alerts?siteId=${siteId}`, { token: admin });
    expect(all.body.items.filter((a: Alert) => a.sighting.id === sighting.id)).toHaveLength(1);
    // An unlisted plate raises nothing.
    await plateRead('沪B99999');
    expect((await sys.api('/api/alerts', { token: admin })).body.items).toHaveLength(1);
  });

  it('keeps covert hits away from checkpoint terminals', async () => {
    expect((await sys.api(`/api/watchlists/${covertList}/entries`, { token: admin, body: { plate: '粤B*88' } })).status).toBe(201);
    const terminal = open(sys.baseUrl, officer);
    const commander = open(sys.baseUrl, admin);
    sockets.push(terminal, commander);
    await Promise.all([connected(terminal), connected(commander)]);
    await join(terminal, `site:${siteId}`);
    await join(terminal, `camera:${cameraId}`);
    const toTerminal: Alert[] = [];
    const toAdmin: Alert[] = [];
    terminal.on('alert.created', (a) => toTerminal.push(a));
    commander.on('alert.created', (a) => toAdmin.push(a));
    await plateRead('粤B12388');
    const deadline = Date.now() + 5000;
    while (toAdmin.length === 0 && Date.now() < deadline) await sleep(20);
    await sleep(300);
    expect(toAdmin).toHaveLength(1);
    expect(toAdmin[0]!.watchlist).toMatchObject({ id: covertList, covert: true });
    expect(toTerminal).toHaveLength(0);
    expect((await sys.api(`/api/alerts/${toAdmin[0]!.id}`, { token: officer })).status).toBe(404);
    const seen = await sys.api('/api/alerts', { token: officer });
    expect(seen.body.items.some((a: Alert) => a.watchlist.covert)).toBe(false);
  });

  it('moves an alert through acknowledge → inspect → resolve, recording who and when; illegal steps are 409', async () => {
    const [alert] = (await sys.api(`/api/alerts?level=red`, { token: officer })).body.items as Alert[];
    expect(alert).toBeDefined();
    const id = alert!.id;
    expect((await sys.api(`/api/alerts/${id}/resolve`, { token: officer, body: { disposition: 'lost' } })).status).toBe(400);
    const ack = await sys.api(`/api/alerts/${id}/acknowledge`, { token: officer, body: {} });
    expect(ack.status).toBe(200);
    expect(ack.body.status).toBe('acknowledged');
    expect((await sys.api(`/api/alerts/${id}/acknowledge`, { token: officer, body: {} })).status).toBe(409);
    expect((await sys.api(`/api/alerts/${id}/inspect`, { token: officer, body: { note: '已拦停' } })).body.status).toBe('inspecting');
    expect((await sys.api(`/api/alerts/${id}/note`, { token: officer, body: { note: '驾驶员配合' } })).status).toBe(200);
    const resolved = await sys.api(`/api/alerts/${id}/resolve`, { token: officer, body: { disposition: 'intercepted', note: '移交刑侦' } });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ status: 'resolved', disposition: 'intercepted' });
    expect((await sys.api(`/api/alerts/${id}/inspect`, { token: officer, body: {} })).status).toBe(409);
    const actions = (await sys.api(`/api/alerts/${id}`, { token: admin })).body.actions as Alert['actions'];
    expect(actions.map((a) => [a.action, a.fromStatus, a.toStatus, a.username, a.note])).toEqual([
      ['acknowledge', 'new', 'acknowledged', 'cp1', null],
      ['inspect', 'acknowledged', 'inspecting', 'cp1', '已拦停'],
      ['note', 'inspecting', 'inspecting', 'cp1', '驾驶员配合'],
      ['resolve', 'inspecting', 'resolved', 'cp1', '移交刑侦'],
    ]);
    for (const a of actions) expect(Date.now() - Date.parse(a.at)).toBeLessThan(60_000);
    // Patrol officers see alerts but do not act on them; nobody deletes one.
    await sys.createUser({ username: 'pt1', password: 'patrol-pass-1', roles: ['patrol'] });
    const patrol = await sys.login('pt1', 'patrol-pass-1');
    expect((await sys.api(`/api/alerts/${id}/note`, { token: patrol, body: { note: 'x' } })).status).toBe(403);
    expect((await sys.api(`/api/alerts/${id}`, { method: 'DELETE', token: admin })).status).toBe(404);
  });

  it('escalates red and orange alerts nobody acknowledged in time, pushing them to the commanders', async () => {
    const commander = open(sys.baseUrl, admin);
    sockets.push(commander);
    await connected(commander);
    const updates: Alert[] = [];
    commander.on('alert.updated', (a) => updates.push(a));
    await plateRead('京A12345');
    const fresh = ((await sys.api('/api/alerts?status=new', { token: admin })).body.items as Alert[]).filter((a) => a.level === 'red' || a.level === 'orange');
    expect(fresh.length).toBeGreaterThan(0);
    expect(await sys.argus.services.alerts.escalate(new Date())).toBe(0);
    const count = await sys.argus.services.alerts.escalate(new Date(Date.now() + 61_000));
    expect(count).toBe(fresh.length);
    expect(await sys.argus.services.alerts.escalate(new Date(Date.now() + 61_000))).toBe(0);
    const after = (await sys.api(`/api/alerts/${fresh[0]!.id}`, { token: admin })).body as Alert;
    expect(after.escalatedAt).not.toBeNull();
    expect(after.status).toBe('new');
    expect(after.actions.map((a) => a.action)).toEqual(['escalate']);
    const deadline = Date.now() + 3000;
    while (updates.length < count && Date.now() < deadline) await sleep(20);
    expect(updates.map((u) => u.id).sort()).toEqual(fresh.map((a) => a.id).sort());
  });

  it('replays what a terminal missed, in order, each alert once', async () => {
    const before = (await sys.api(`/api/alerts/since?seq=0&siteId=${siteId}`, { token: officer })).body;
    const lastSeq = before.lastSeq as number;
    const plates = ['京A12345', '京A12345', '京A12345'];
    const ids: string[] = [];
    for (const p of plates) {
      await plateRead(p);
      const page = (await sys.api(`/api/alerts?limit=1`, { token: officer })).body.items as Alert[];
      ids.push(page[0]!.id);
    }
    const replay = await sys.api(`/api/alerts/since?seq=${lastSeq}&siteId=${siteId}`, { token: officer });
    expect(replay.status).toBe(200);
    expect(replay.body.items.map((a: Alert) => a.id)).toEqual(ids);
    const seqs = replay.body.items.map((a: Alert) => a.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(replay.body.lastSeq).toBe(seqs[seqs.length - 1]);
    expect((await sys.api(`/api/alerts/since?seq=${replay.body.lastSeq}&siteId=${siteId}`, { token: officer })).body.items).toEqual([]);
  });

  it('imports CSV all or nothing, with a report per row and a dry run', async () => {
    const list = (await sys.api('/api/watchlists', { token: admin, body: { name: 'import', kind: 'plate', level: 'yellow' } })).body.id as string;
    const post = (csv: string, query = '') =>
      fetch(`${sys.baseUrl}/api/watchlists/${list}/import${query}`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'text/csv' }, body: csv }).then(
        async (r) => ({ status: r.status, body: (await r.json()) as any }),
      );
    const bad = 'plate,reason,case_number,valid_from,valid_to\n苏E12345,套牌,C1,,\nNOT A PLATE,x,,,\n苏E54321,,,2026-13-45,\n"浙A*9",引号,"C,2",2026-01-01,2027-01-01\n';
    const res = await post(bad);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('E_VALIDATION');
    expect(res.body.rows.map((r: { line: number; ok: boolean }) => [r.line, r.ok])).toEqual([
      [2, true],
      [3, false],
      [4, false],
      [5, true],
    ]);
    expect(res.body.rows[1].error).toMatch(/plate/);
    expect(res.body.rows[2].error).toMatch(/valid_from/);
    expect((await sys.api(`/api/watchlists/${list}/entries`, { token: admin })).body.total).toBe(0);

    const good = 'plate,reason,case_number\r\n苏E12345,套牌,C1\r\n"浙A*9","引号, 逗号","C,2"\r\n';
    const dry = await post(good, '?dryRun=1');
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ dryRun: true, imported: 0 });
    expect((await sys.api(`/api/watchlists/${list}/entries`, { token: admin })).body.total).toBe(0);
    const done = await post(good);
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ dryRun: false, imported: 2 });
    const entries = (await sys.api(`/api/watchlists/${list}/entries`, { token: admin })).body.items;
    expect(entries.map((e: { plate: string; reason: string; caseNumber: string }) => [e.plate, e.reason, e.caseNumber]).sort()).toEqual([
      ['浙A*9', '引号, 逗号', 'C,2'],
      ['苏E12345', '套牌', 'C1'],
    ]);
    // The import takes effect for the next sighting.
    await plateRead('浙A12349');
    const hits = (await sys.api('/api/alerts?level=yellow', { token: admin })).body.items as Alert[];
    expect(hits.map((a) => a.entry.plate)).toEqual(['浙A*9']);
  });

  it('reloads the matchers of every process on a watchlists.changed notice through Redis', async () => {
    const list = (await sys.api('/api/watchlists', { token: admin, body: { name: 'elsewhere', kind: 'plate', level: 'orange' } })).body.id as string;
    // Written by "another process": straight into storage, so this process only learns of it by the notice.
    const db = sys.argus.database.db;
    await db.insertInto('watchlist_entries').values({ watchlist_id: list, plate_pattern: '晋K55555', attributes: '{}' }).execute();
    await plateRead('晋K55555');
    const count = async () => ((await sys.api('/api/alerts?level=orange', { token: admin })).body.items as Alert[]).filter((a) => a.watchlist.id === list).length;
    expect(await count()).toBe(0);
    const pub = sys.argus.redis.connect('test-pub');
    try {
      await pub.publish(`${sys.argus.config.redis.prefix}:watchlists.changed`, 'test');
    } finally {
      await pub.quit();
    }
    const deadline = Date.now() + 5000;
    let n = 0;
    while (Date.now() < deadline) {
      await plateRead('晋K55555');
      if ((n = await count()) > 0) break;
      await sleep(100);
    }
    expect(n).toBe(1);
  });

  it('a list outside its validity period or deactivated raises nothing; deleting a list with alerts only deactivates it', async () => {
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const later = (await sys.api('/api/watchlists', { token: admin, body: { name: 'later', kind: 'plate', level: 'blue', validFrom: future } })).body.id;
    await sys.api(`/api/watchlists/${later}/entries`, { token: admin, body: { plate: '津C77777' } });
    await plateRead('津C77777');
    expect((await sys.api('/api/alerts?level=blue', { token: admin })).body.items).toHaveLength(0);
    expect((await sys.api(`/api/watchlists/${later}`, { method: 'PATCH', token: admin, body: { validFrom: null } })).status).toBe(200);
    await plateRead('津C77777');
    expect((await sys.api('/api/alerts?level=blue', { token: admin })).body.items).toHaveLength(1);
    const removed = await sys.api(`/api/watchlists/${later}`, { method: 'DELETE', token: admin });
    expect(removed.body).toEqual({ id: later, result: 'deactivated' });
    await plateRead('津C77777');
    expect((await sys.api('/api/alerts?level=blue', { token: admin })).body.items).toHaveLength(1);
  });
});

describe('alert delivery by webhook', () => {
  let sys: TestSystem;
  let server: Server;
  const hits: Array<{ path: string; body: any }> = [];
  let flakyCalls = 0;
  const sms: Array<{ recipients: string[]; text: string; alertId: string }> = [];
  const cleared: Array<{ alert: Alert }> = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let data = '';
      req.on('data', (c) => (data += c));
      req.on('end', () => {
        if (req.url === '/sms') {
          sms.push(JSON.parse(data));
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
          return;
        }
        if (req.url === '/cleared') {
          cleared.push(JSON.parse(data));
          res.writeHead(204).end();
          return;
        }
        if (req.url === '/flaky') {
          flakyCalls++;
          if (flakyCalls <= 2) {
            res.writeHead(503).end();
            return;
          }
          hits.push({ path: req.url, body: JSON.parse(data) });
          res.writeHead(204).end();
          return;
        }
        res.writeHead(500).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    sys = await startTestSystem({
      config: {
        alerts: {
          deliveryAttempts: 3,
          webhooks: [
            { url: `http://127.0.0.1:${port}/flaky`, levels: ['red'] },
            { url: `http://127.0.0.1:${port}/down`, levels: ['red'] },
            { url: `http://127.0.0.1:${port}/cleared`, levels: ['red'], covert: true },
          ],
          levels: { red: { name: { en: 'Level 1', 'zh-CN': '一级' }, action: { en: 'Detain', 'zh-CN': '立即扣留' }, colour: '#aa0011' } },
          sms: { url: `http://127.0.0.1:${port}/sms`, recipients: ['+8613800000000'], levels: ['red'] },
        },
      },
    });
  });
  afterAll(async () => {
    await sys?.stop();
    await new Promise((r) => server?.close(r));
  });

  it('retries a failing receiver until it takes the alert once; one that always fails ends in the dead-letter list', async () => {
    const admin = await sys.login(sys.admin.username, sys.admin.password);
    const cam = await sys.api('/api/cameras', { token: admin, body: { name: 'W1', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1:8554/w1' } });
    const list = (await sys.api('/api/watchlists', { token: admin, body: { name: 'wanted', kind: 'plate', level: 'red' } })).body.id;
    await sys.api(`/api/watchlists/${list}/entries`, { token: admin, body: { plate: '鲁Q66666' } });
    await sys.argus.services.sightings.record({ cameraId: cam.body.id, observedAt: new Date(), kind: 'plate', score: 0.9, plate: { text: '鲁Q66666' } });
    const alert = (await sys.api('/api/alerts', { token: admin })).body.items[0] as Alert;
    expect(alert).toBeDefined();
    const deadline = Date.now() + 30_000;
    let failed: Awaited<ReturnType<typeof sys.argus.jobs.failed>> = [];
    while (Date.now() < deadline) {
      failed = await sys.argus.jobs.failed();
      if (hits.length > 0 && failed.some((f) => f.name === 'alert.webhook')) break;
      await sleep(200);
    }
    await sleep(1500);
    expect(hits).toHaveLength(1);
    expect(hits[0]!.body).toMatchObject({ event: 'alert.created', alert: { id: alert.id, level: 'red', entry: { plate: '鲁Q66666' } } });
    expect(flakyCalls).toBe(3);
    const dead = failed.filter((f) => f.name === 'alert.webhook');
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ id: `alert-webhook-${alert.id}-1`, attemptsMade: 3 });
    expect(dead[0]!.failedReason).toMatch(/HTTP 500/);
    // The SMS gateway got one message for the red alert.
    expect(sms).toEqual([{ recipients: ['+8613800000000'], alertId: alert.id, text: expect.stringContaining('鲁Q66666') }]);
    // In Chinese by default, with the level as configured, the list and the camera.
    expect(sms[0]!.text).toMatch(/^【Argus 一级预警·立即扣留】鲁Q66666 名单:wanted 地点:W1 时间:/);
  }, 60_000);

  it('sends covert hits only to receivers cleared for them: not by SMS, not to ordinary webhooks', async () => {
    const admin = await sys.login(sys.admin.username, sys.admin.password);
    const cam = await sys.api('/api/cameras', { token: admin, body: { name: 'W2', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1:8554/w2' } });
    const list = (await sys.api('/api/watchlists', { token: admin, body: { name: '专案 covert', kind: 'plate', level: 'red', covert: true } })).body.id;
    await sys.api(`/api/watchlists/${list}/entries`, { token: admin, body: { plate: '鲁Q77777' } });
    const before = { flaky: flakyCalls, sms: sms.length };
    await sys.argus.services.sightings.record({ cameraId: cam.body.id, observedAt: new Date(), kind: 'plate', score: 0.9, plate: { text: '鲁Q77777' } });
    const alert = ((await sys.api('/api/alerts', { token: admin })).body.items as Alert[]).find((a) => a.sighting.plateText === '鲁Q77777');
    expect(alert?.watchlist.covert).toBe(true);
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && !cleared.some((c) => c.alert.id === alert!.id)) await sleep(100);
    expect(cleared.filter((c) => c.alert.id === alert!.id)).toHaveLength(1);
    await sleep(1000);
    expect({ flaky: flakyCalls, sms: sms.length }).toEqual(before);
    const jobs = await sys.argus.jobs.failed();
    expect(jobs.filter((j) => j.id.includes(alert!.id))).toEqual([]);
  }, 30_000);

  it('serves the configured level names and colours, and the map settings, to any signed-in user', async () => {
    expect((await sys.api('/api/settings/display')).status).toBe(401);
    await sys.createUser({ username: 'kk.display', password: 'kk-display-pass-1', roles: ['checkpoint'] });
    const token = await sys.login('kk.display', 'kk-display-pass-1');
    const res = await sys.api('/api/settings/display', { token });
    expect(res.status).toBe(200);
    expect(res.body.alertLevels.red).toEqual({ name: { en: 'Level 1', 'zh-CN': '一级' }, action: { en: 'Detain', 'zh-CN': '立即扣留' }, colour: '#aa0011' });
    // Levels not configured keep their defaults; no tiles unless configured.
    expect(res.body.alertLevels.blue.name['zh-CN']).toBe('蓝色');
    expect(res.body.map).toMatchObject({ tiles: null, zoom: expect.any(Number), center: { latitude: expect.any(Number), longitude: expect.any(Number) } });
    expect(res.body.unitStaleAfterSeconds).toBe(30);
  });
});
