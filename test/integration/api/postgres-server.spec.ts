import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSystem, type TestSystem } from '../../helpers/system.ts';
import { TEST_DATABASE_URL } from '../storage/db-helpers.ts';

/** The whole system on a PostgreSQL server instead of the embedded PGlite. */
describe('Argus on a PostgreSQL server', () => {
  const schema = `argus_sys_${randomBytes(5).toString('hex')}`;
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem({ config: { database: { url: TEST_DATABASE_URL, schema } } });
  });
  afterAll(async () => {
    await sys?.stop();
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    await client.query(`drop schema if exists ${schema} cascade`);
    await client.end();
  });

  it('migrates, logs in and stores a camera in its own schema', async () => {
    const health = await sys.api('/api/health');
    expect(health.body.database).toEqual({ kind: 'postgres', ok: true, vector: false });
    const token = await sys.login(sys.admin.username, sys.admin.password);
    const cam = await sys.api('/api/cameras', { token, body: { name: 'PG cam', sourceKind: 'rtsp', sourceUrl: 'rtsp://u:p@127.0.0.1/pg' } });
    expect(cam.status).toBe(201);
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
      const rows = await client.query(`select name, source_url, password_enc from ${schema}.cameras`);
      expect(rows.rows).toHaveLength(1);
      expect(rows.rows[0]).toMatchObject({ name: 'PG cam', source_url: 'rtsp://127.0.0.1/pg' });
      expect(rows.rows[0].password_enc).toMatch(/^v1:/);
    } finally {
      await client.end();
    }
  });

  it('fails with a clear message when the server cannot be reached', async () => {
    await expect(
      startTestSystem({ config: { database: { url: 'postgres://argus:hunter2@127.0.0.1:1/argus' } } }),
    ).rejects.toThrow(/Cannot reach PostgreSQL at postgres:\/\/argus:\*\*\*@127\.0\.0\.1:1\/argus/);
  });
});

describe('start-up problems', () => {
  it('says clearly when the port is taken', async () => {
    const first = await startTestSystem();
    try {
      const port = Number(new URL(first.baseUrl).port);
      await expect(startTestSystem({ config: { server: { host: '127.0.0.1', port } } })).rejects.toThrow(
        new RegExp(`Cannot listen on 127\\.0\\.0\\.1:${port} \\(EADDRINUSE\\): another program uses this port`),
      );
    } finally {
      await first.stop();
    }
  });
});
