/**
 * Redis killed (SIGKILL) and started again, EMPTY (no persistence) or with its data (append-only file),
 * while alerts are being raised. The roles are apart,
 * as in production: an `api` Argus (socket.io with the Redis adapter; the checkpoint terminal in a
 * real Chromium is connected to it) and a `worker` Argus that records the plate sightings, raises
 * the alerts (pushed through the Redis emitter) and runs the BullMQ delivery jobs, sharing one
 * PostgreSQL schema and a redis-server of this test's own (never the machine's Redis).
 *
 * Two webhook receivers dedupe on the Idempotency-Key header; the second one drops the first request
 * of each key unanswered and loses the reply to the second (it processed it), so every delivery to
 * it is retried twice and sent three times: the retries pending at the kill live only in Redis, and only the
 * delivery state in the database (swept again when Redis is back) gets them sent.
 *
 * Asserted: every alert is on the terminal exactly once (pushes lost while Redis was down come
 * through the terminal's catch-up), every receiver processed every alert exactly once by key (raw
 * request counts are printed), every delivery is `sent` in the database, nothing is in the
 * dead-letter list, and both processes still answer.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { newPage, signIn, ensureWebBuilt, launchChromium } from '../../browser/browser.ts';
import { startTestSystem, type TestSystem } from '../../helpers/system.ts';
import { TEST_DATABASE_URL } from '../storage/db-helpers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

/**
 * A redis-server of this test's own. `dir` null: no persistence, so a restart comes back empty; else an
 * append-only file there, fsynced on every write, so a restart comes back with everything it had.
 */
async function startRedis(port: number, dir: string | null, want: 'empty' | 'data'): Promise<ChildProcess> {
  const persistence = dir ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir] : ['--appendonly', 'no'];
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--daemonize', 'no'], { stdio: 'ignore' });
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  client.on('error', () => undefined);
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await client.connect();
      if ((await client.ping()) === 'PONG') break;
    } catch {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`redis-server on port ${port} did not start`);
      await sleep(50);
    }
  }
  const keys = await client.dbsize();
  client.disconnect();
  if (want === 'empty' && keys !== 0) throw new Error(`redis-server on port ${port} is not empty (${keys} keys)`);
  if (want === 'data' && keys === 0) throw new Error(`redis-server on port ${port} came back without its data`);
  return child;
}

interface Receiver {
  url: string;
  server: Server;
  /** Every request, as it came. */
  raw: Array<{ key: string | undefined; alertHeader: string | undefined; alertId: string }>;
  /** Alert ids processed (once per Idempotency-Key). */
  processed: string[];
}

/**
 * A webhook receiver that dedupes on Idempotency-Key. `flaky`: the first request of a key is dropped
 * unanswered and unprocessed (a retry is needed), the second is processed but its reply is lost (the
 * connection dropped), so the third is a duplicate that only its key tells apart.
 */
async function startReceiver(flaky: boolean): Promise<Receiver> {
  const seen = new Set<string>();
  const tries = new Map<string, number>();
  const receiver: Receiver = { url: '', server: undefined as unknown as Server, raw: [], processed: [] };
  const read = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let data = '';
      req.on('data', (c: Buffer) => (data += c.toString()));
      req.on('end', () => resolve(data));
    });
  receiver.server = createServer((req, res) => {
    void read(req).then((data) => {
      const body = JSON.parse(data) as { alert: { id: string } };
      const key = req.headers['idempotency-key'] as string | undefined;
      receiver.raw.push({ key, alertHeader: req.headers['x-argus-alert-id'] as string | undefined, alertId: body.alert.id });
      const n = (tries.get(key ?? '') ?? 0) + 1;
      tries.set(key ?? '', n);
      if (flaky && n === 1) {
        req.socket.destroy();
        return;
      }
      const first = key !== undefined && !seen.has(key);
      if (key !== undefined) seen.add(key);
      if (first || key === undefined) receiver.processed.push(body.alert.id);
      if (flaky && n === 2) {
        // Processed, but the reply is lost: the sender cannot tell, and sends it again.
        req.socket.destroy();
        return;
      }
      res.writeHead(first ? 201 : 200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => receiver.server.listen(0, '127.0.0.1', r));
  receiver.url = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}/hook`;
  return receiver;
}

describe.each(['empty', 'with its data'] as const)('Redis restarted %s with alerts in flight', (mode) => {
  const redisDir = mode === 'empty' ? null : mkdtempSync(join(tmpdir(), 'argus-redis-fault-'));
  const schema = `argus_redis_fault_${randomBytes(5).toString('hex')}`;
  const database = { url: TEST_DATABASE_URL, schema };
  let redisPort = 0;
  let redisProc: ChildProcess | null = null;
  let api: TestSystem | undefined;
  let worker: TestSystem | undefined;
  let browser: Browser | undefined;
  const receivers: Receiver[] = [];

  afterAll(async () => {
    await browser?.close();
    await worker?.stop();
    await api?.stop();
    redisProc?.kill('SIGKILL');
    if (redisDir) rmSync(redisDir, { recursive: true, force: true });
    for (const r of receivers) await new Promise((done) => r.server.close(done));
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    await client.query(`drop schema if exists ${schema} cascade`);
    await client.end();
  });

  it('gets every alert to the terminal and to every receiver exactly once', async () => {
    ensureWebBuilt();
    redisPort = await freePort();
    redisProc = await startRedis(redisPort, redisDir, 'empty');
    const redis = { url: `redis://127.0.0.1:${redisPort}`, startLocal: false, prefix: `argus-fault-${randomBytes(4).toString('hex')}` };
    receivers.push(await startReceiver(false), await startReceiver(true));
    const alerts = {
      deliveryAttempts: 8,
      deliveryTimeoutMs: 2000,
      deliverySweepSeconds: 2,
      webhooks: receivers.map((r) => ({ url: r.url, levels: ['red'] })),
    };

    api = await startTestSystem({ config: { roles: ['api'], redis, database, alerts } });
    const admin = await api.login(api.admin.username, api.admin.password);
    const post = async (path: string, body: unknown) => {
      const res = await api!.api(path, { token: admin, body });
      expect(res.status, `${path} ${JSON.stringify(res.body)}`).toBe(201);
      return res.body as { id: string };
    };
    const site = await post('/api/sites', { name: '高速出口卡口', kind: 'checkpoint', code: 'KK-R1' });
    const camera = await post('/api/cameras', { name: '出口 1 号', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1:8554/r1', siteId: site.id });
    const list = await post('/api/watchlists', { name: '在逃车辆', kind: 'plate', level: 'red' });
    await post(`/api/watchlists/${list.id}/entries`, { plate: '京A12345', reason: 'wanted' });
    const officer = { username: 'kk.redis', password: 'checkpoint-pass-1' };
    await api.createUser({ ...officer, roles: ['checkpoint'] });
    // The worker starts after the list exists, so its matcher has it from the start.
    worker = await startTestSystem({ config: { roles: ['worker'], redis, database, alerts } });
    expect(worker.argus.url).toBeNull();

    // The terminal, in Chromium, on the api process.
    browser = await launchChromium();
    const { page, pageErrors } = await newPage(browser);
    await signIn(page, api.baseUrl, officer);
    await page.locator('[data-screen=checkpoint]').click();
    await page.getByTestId('terminal-screen').waitFor();
    await page.getByTestId('terminal-site').selectOption(site.id);
    await expect.poll(() => page.getByTestId('terminal-link').getAttribute('data-connected')).toBe('true');
    await expect.poll(() => page.getByTestId('terminal-screen').getAttribute('data-site-id')).toBe(site.id);
    const terminalIds = (p: Page) => p.evaluate(() => window.__argusTerminal?.alertIds() ?? []);

    let plates = 0;
    const raise = async () => {
      plates++;
      await worker!.argus.services.sightings.record({
        cameraId: camera.id,
        observedAt: new Date(),
        kind: 'plate',
        score: 0.95,
        plate: { text: '京A12345', colour: 'blue', layers: 1 },
      });
    };

    // Before: Redis up.
    for (let i = 0; i < 5; i++) {
      await raise();
      await sleep(250);
    }
    // The kill: the retries of the second receiver's deliveries wait in Redis (backoff) and are lost.
    await sleep(300);
    redisProc.kill('SIGKILL');
    await new Promise((r) => redisProc!.once('exit', r));
    const downAt = Date.now();
    // While Redis is down: alerts are stored; their pushes and jobs cannot go anywhere now.
    while (Date.now() - downAt < 4000) {
      await raise();
      await sleep(400);
    }
    // Back on the same port: empty, or with what it had at the kill.
    redisProc = await startRedis(redisPort, redisDir, mode === 'empty' ? 'empty' : 'data');
    for (let i = 0; i < 5; i++) {
      await raise();
      await sleep(250);
    }

    const stored = await api.api(`/api/alerts?siteId=${site.id}&limit=200`, { token: admin });
    expect(stored.status).toBe(200);
    const storedAlerts = stored.body.items as Array<{ id: string; createdAt: string }>;
    const ids = storedAlerts.map((a) => a.id);
    expect(ids).toHaveLength(plates);

    // The terminal's catch-up runs every 10 s and the sweep every 2 s: 30 s is plenty. (Without the
    // catch-up the pushes lost while Redis was down reach the terminal only if its socket happens to
    // reconnect, which took about 50 s in a trial run.)
    const deadline = Date.now() + 30_000;
    const done = async () => {
      const shown = await terminalIds(page);
      return ids.every((id) => shown.includes(id)) && receivers.every((r) => ids.every((id) => r.processed.includes(id)));
    };
    while (Date.now() < deadline && !(await done())) await sleep(500);
    // A little longer: anything sent twice would show now.
    await sleep(3000);

    const shown = await terminalIds(page);
    expect([...shown].sort()).toEqual([...ids].sort());
    for (const [n, r] of receivers.entries()) {
      expect([...r.processed].sort(), `receiver ${n} processed`).toEqual([...ids].sort());
      // Every request carried the key and the alert id, and one key is always the same alert.
      for (const req of r.raw) {
        expect(req.key).toMatch(/^argus-alert-[0-9a-f-]{36}-webhook-\d$/);
        expect(req.alertHeader).toBe(req.alertId);
        expect(req.key).toContain(req.alertId);
      }
    }
    const deliveries = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 1 });
    try {
      const states = await deliveries.query<{ status: string; n: string }>(`select status, count(*) as n from ${schema}.alert_deliveries group by status`);
      expect(Object.fromEntries(states.rows.map((r) => [r.status, Number(r.n)]))).toEqual({ sent: ids.length * receivers.length });
    } finally {
      await deliveries.end();
    }
    expect(await worker.argus.jobs.failed()).toEqual([]);
    // Both processes still serve.
    expect((await api.api('/api/health')).status).toBe(200);
    expect(await worker.argus.jobs.counts()).toMatchObject({ failed: 0 });
    expect(pageErrors).toEqual([]);

    // How each alert came: pushed (on screen within 2 s of being raised) or through the catch-up.
    const drawn = await page.evaluate(() => window.__argusTerminal!.drawnAt());
    const late = storedAlerts.filter((a) => (drawn[a.id] ?? 0) - Date.parse(a.createdAt) > 2000).length;
    console.info(
      `[redis-restart ${mode}] alerts ${ids.length} (${plates} raised; Redis down ${Math.round((Date.now() - downAt) / 1000)} s ago); ` +
        `terminal: ${shown.length} shown, ${late} of them more than 2 s late (the catch-up); ` +
        receivers.map((r, n) => `receiver ${n}: ${r.raw.length} requests, ${r.processed.length} processed`).join('; '),
    );
  }, 150_000);
});
