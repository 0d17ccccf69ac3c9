import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRtspCamera, type RtspCamera } from '../../helpers/rtsp-camera.ts';
import { TEST_REDIS_URL, startTestSystem, type TestSystem } from '../../helpers/system.ts';
import { TEST_DATABASE_URL } from '../storage/db-helpers.ts';

const ROOT = resolve(import.meta.dirname, '../../..');

/**
 * Two ingest processes share the cameras through leases in Redis. One of them, a real `argus serve
 * --roles ingest` process, is killed with SIGKILL: the other takes its cameras within 30 s.
 */
describe('an ingest process dies', () => {
  const schema = `argus_takeover_${randomBytes(4).toString('hex')}`;
  const prefix = `argus-takeover-${randomBytes(4).toString('hex')}`;
  const key = randomBytes(32).toString('hex');
  let cam: RtspCamera;
  let sys: TestSystem;
  let child: ChildProcess | null = null;
  const redis = new Redis(TEST_REDIS_URL);

  beforeAll(async () => {
    cam = await startRtspCamera({
      mounts: ['a', 'b', 'c', 'd'].map((p) => ({ path: p, source: { kind: 'pattern' as const }, width: 160, height: 90, fps: 5 })),
    });
    const shared = {
      database: { url: TEST_DATABASE_URL, schema },
      redis: { url: TEST_REDIS_URL, startLocal: false, prefix },
      secrets: { key },
      relay: { enabled: false },
      ingest: { roundSeconds: 1, leaseSeconds: 5, backoffSeconds: [0.5, 1], recording: { enabled: true, segmentSeconds: 60 } },
    };
    sys = await startTestSystem({ config: { ...shared, roles: ['api', 'worker', 'ingest'] } });
    const dir = mkdtempSync(join(tmpdir(), 'argus-takeover-'));
    const file = join(dir, 'ingest.yaml');
    writeFileSync(file, JSON.stringify({ ...shared, dataDir: join(dir, 'data'), roles: ['ingest'], log: { level: 'warn' } }));
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ARGUS_') && k !== 'DATABASE_URL' && k !== 'REDIS_URL'));
    child = spawn(process.execPath, [join(ROOT, 'bin/argus.mjs'), 'serve', '--config', file], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await sys?.stop();
    await cam?.stop();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    await client.query(`drop schema if exists ${schema} cascade`);
    await client.end();
  });

  async function holders(ids: string[]): Promise<string[]> {
    return Promise.all(ids.map(async (id) => (await redis.get(`${prefix}:lease:camera:${id}`)) ?? 'none'));
  }
  async function waitFor(what: string, fn: () => Promise<boolean>, timeoutMs: number): Promise<number> {
    const start = Date.now();
    while (!(await fn())) {
      if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    return Date.now() - start;
  }

  it('takes over the cameras of a killed ingest process within 30 s', async () => {
    const token = await sys.login(sys.admin.username, sys.admin.password);
    const ids: string[] = [];
    for (const p of ['a', 'b', 'c', 'd']) {
      ids.push((await sys.api('/api/cameras', { token, body: { name: `cam ${p}`, sourceKind: 'rtsp', sourceUrl: cam.url(p) } })).body.id);
    }
    const childTag = `:${child!.pid}:`;
    const mineTag = `:${process.pid}:`;
    // Both processes hold some cameras, and every camera is online.
    await waitFor('cameras shared by both processes', async () => {
      const h = await holders(ids);
      return h.some((x) => x.includes(childTag)) && h.some((x) => x.includes(mineTag)) && h.every((x) => x !== 'none');
    }, 40_000);
    const statuses = async () => {
      const items = (await sys.api('/api/cameras', { token })).body.items as Array<{ status: string; statusReason: string | null; name: string }>;
      last = items.map((c) => `${c.name}:${c.status}:${c.statusReason}`).join(', ');
      return items.map((c) => c.status);
    };
    let last = '';
    await waitFor('all online', async () => (await statuses()).every((s: string) => s === 'online'), 30_000).catch((err: Error) => {
      throw new Error(`${err.message}: ${last}`);
    });

    child!.kill('SIGKILL');
    const tookOver = await waitFor('this process to hold every camera', async () => (await holders(ids)).every((x) => x.includes(mineTag)), 30_000);
    expect(tookOver).toBeLessThan(30_000);
    await waitFor('all online again', async () => (await statuses()).every((s: string) => s === 'online'), 20_000);
  }, 120_000);
});
