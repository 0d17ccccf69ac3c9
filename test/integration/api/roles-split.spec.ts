import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { io as connect } from 'socket.io-client';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL, startTestSystem, type TestSystem } from '../../helpers/system.ts';
import { TEST_DATABASE_URL } from '../storage/db-helpers.ts';

/**
 * Roles in separate processes' worth of wiring: one Argus with only the `api` role, another with
 * only the `worker` role, sharing a PostgreSQL schema and Redis. A job queued by the API is run by
 * the worker, which reaches the API's socket clients through Redis.
 */
describe('api and worker roles apart', () => {
  const schema = `argus_split_${randomBytes(5).toString('hex')}`;
  const redis = { url: TEST_REDIS_URL, startLocal: false, prefix: `argus-split-${randomBytes(4).toString('hex')}` };
  const database = { url: TEST_DATABASE_URL, schema };
  const systems: TestSystem[] = [];
  afterAll(async () => {
    for (const s of systems.reverse()) await s.stop();
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    await client.query(`drop schema if exists ${schema} cascade`);
    await client.end();
  });

  it('delivers a notice queued by the api process through the worker process', async () => {
    const api = await startTestSystem({ config: { roles: ['api'], redis, database } });
    systems.push(api);
    const worker = await startTestSystem({ config: { roles: ['worker'], redis, database } });
    systems.push(worker);
    expect(worker.argus.url).toBeNull();
    expect((await api.api('/api/health')).body.roles).toEqual(['api']);

    const token = await api.login(api.admin.username, api.admin.password);
    const socket = connect(api.baseUrl, { transports: ['websocket'], auth: { token }, forceNew: true });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('connect_error', reject);
      });
      const received = new Promise<{ id: string; text: string }>((resolve) => socket.once('notice', resolve));
      const res = await api.api('/api/system/notices', { token, body: { level: 'info', text: 'from the worker process' } });
      expect(res.status).toBe(202);
      expect(await received).toMatchObject({ id: res.body.jobId, text: 'from the worker process' });
    } finally {
      socket.disconnect();
    }
  });
});
