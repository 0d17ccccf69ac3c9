/**
 * The real server killed (SIGKILL) while a camera's plates are being read (issue 7, item 4), end to end:
 * `argus serve` (all roles, on a PostgreSQL schema of its own) pulls a real RTSP camera showing real
 * plate photos, recognises them with the real models and raises alerts for the listed ones. It is
 * killed at seeded random moments while sightings are being stored, and started again each time.
 * kill-restart.spec.ts drives the sighting path itself at 20 reads a second, with kills placed between
 * storing a sighting and matching it; this test checks what only the real process shows: that a killed
 * `argus serve` starts again on its own data (its camera taken up again once the dead process's lease
 * runs out, recognition running) and that what it stored across the kills is consistent:
 *
 *   - sightings keep coming after every restart;
 *   - every sighting has been matched against the watchlists (none left unmatched by a kill);
 *   - every sighting of a listed plate has an alert, no sighting has two alerts for the same entry,
 *     and no alert is without its sighting;
 *   - every evidence file a sighting names is there and is a whole JPEG.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { MEDIA_DIR, MODELS_DIR } from '../../helpers/plate-clip.ts';
import { startRtspCamera, type RtspCamera } from '../../helpers/rtsp-camera.ts';
import { seededRandom } from '../../helpers/seeded-random.ts';
import { TEST_REDIS_URL } from '../../helpers/system.ts';
import { dropTestSchema, TEST_DATABASE_URL, uniqueSchemaName } from '../storage/db-helpers.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const KILLS = 3;
/** Plates of the slideshow (ground truth in ../shared/media/plates/labels.json) put on the watchlist. */
const LISTED = ['皖K66666', '鄂F8888警', '沪AF71017', '琼A6716学', '京EA5331'];

interface Serve {
  child: ChildProcess;
  url: Promise<string>;
  firstPassword: Promise<string | null>;
  exited: Promise<number | null>;
  output: string[];
}

function startServe(configFile: string): Serve {
  const child = spawn(process.execPath, [join(ROOT, 'bin/argus.mjs'), 'serve', '--config', configFile], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'test' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  let gotUrl: (url: string) => void = () => undefined;
  let gotPassword: (p: string | null) => void = () => undefined;
  const url = new Promise<string>((r) => (gotUrl = r));
  const firstPassword = new Promise<string | null>((r) => (gotPassword = r));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      output.push(line);
      if (output.length > 200) output.shift();
      const running = /Argus is running: (http:\/\/\S+)/.exec(line);
      if (running) gotUrl(running[1]!);
      const first = /First start: log in as "admin" with password\s+(\S+)/.exec(line);
      if (first) gotPassword(first[1]!);
      if (/Log in with your account/.test(line)) gotPassword(null);
    });
  }
  return { child, url, firstPassword, exited, output };
}

async function within<T>(what: string, p: Promise<T>, ms: number, serve?: Serve): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}${serve ? `; last output:\n${serve.output.slice(-15).join('\n')}` : ''}`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('argus serve killed at random moments while it reads plates', () => {
  // Each try of the test (vitest may retry it) gets a schema, data folder and server of its own.
  const cleanups: Array<() => Promise<unknown>> = [];
  let serve: Serve | undefined;
  let schema = '';
  let dataDir = '';
  let db: pg.Client;

  afterAll(async () => {
    while (cleanups.length) await cleanups.pop()!().catch(() => undefined);
  });

  const count = async (table: string) => Number((await db.query(`select count(*)::int as n from ${schema}.${table}`)).rows[0].n);

  async function until(what: string, check: () => Promise<boolean>, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}; last output:\n${serve?.output.slice(-15).join('\n') ?? ''}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  it('stores sightings and alerts completely and consistently across kills, and goes on reading after each restart', { timeout: 420_000 }, async () => {
    schema = uniqueSchemaName('argus_kill_serve');
    cleanups.push(() => dropTestSchema(schema));
    dataDir = mkdtempSync(join(tmpdir(), 'argus-kill-serve-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const configFile = join(dataDir, 'argus.yaml');
    const camera: RtspCamera = await startRtspCamera({
      mounts: [{ path: 'plates', source: { kind: 'slideshow', path: join(MEDIA_DIR, 'plates', 'scenes'), secondsPerImage: 2 }, width: 640, height: 360, fps: 10 }],
    });
    const config = {
      dataDir,
      roles: ['api', 'worker', 'ingest', 'analytics'],
      modelsDir: MODELS_DIR,
      server: { host: '127.0.0.1', port: 0 },
      database: { url: TEST_DATABASE_URL, schema },
      redis: { url: TEST_REDIS_URL, startLocal: false, prefix: `argus-kill-serve-${randomBytes(5).toString('hex')}` },
      secrets: { key: randomBytes(32).toString('hex') },
      relay: { enabled: false },
      log: { level: 'warn' },
      ingest: { roundSeconds: 1, leaseSeconds: 3, recording: { enabled: false }, analytics: { fps: 2 } },
    };
    writeFileSync(configFile, JSON.stringify(config)); // JSON is YAML
    cleanups.push(() => camera.stop());
    cleanups.push(async () => {
      if (serve && serve.child.exitCode === null && serve.child.signalCode === null) {
        serve.child.kill('SIGKILL');
        await serve.exited;
      }
    });

    // First start: the administrator's one-time password, then a password of our own.
    serve = startServe(configFile);
    const url = await within('the first start', serve.url, 120_000, serve);
    const firstPassword = await within('the first administrator password', serve.firstPassword, 5_000, serve);
    expect(firstPassword, 'a fresh schema prints the first administrator').not.toBeNull();
    const call = async (base: string, path: string, init: { method?: string; token?: string; body?: unknown } = {}) => {
      const res = await fetch(`${base}${path}`, {
        method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
        headers: { ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${init.method ?? 'POST'} ${path}: ${res.status} ${text}`);
      return text ? JSON.parse(text) : null;
    };
    const password = 'kill-serve-admin-1';
    let token = (await call(url, '/api/auth/login', { body: { username: 'admin', password: firstPassword } })).token as string;
    await call(url, '/api/auth/password', { token, body: { currentPassword: firstPassword, newPassword: password } });
    token = (await call(url, '/api/auth/login', { body: { username: 'admin', password } })).token as string;
    const list = await call(url, '/api/watchlists', { token, body: { name: 'kill test', kind: 'plate', level: 'orange', covert: false } });
    for (const plate of LISTED) await call(url, `/api/watchlists/${list.id}/entries`, { token, body: { plate, reason: 'kill test' } });
    const cam = await call(url, '/api/cameras', { token, body: { name: 'Plates', sourceKind: 'rtsp', sourceUrl: camera.url('plates') } });
    await call(url, `/api/cameras/${cam.id}/analytics`, { token, method: 'PUT', body: { pipelines: ['plates'], fps: 2 } });
    db = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await db.connect();
    cleanups.push(() => db.end());

    // Kill it at random moments while sightings are being stored, and start it again each time.
    const random = seededRandom(20261122);
    for (let kill = 1; kill <= KILLS + 1; kill++) {
      const before = await count('sightings');
      await until(`sightings after start ${kill}`, async () => (await count('sightings')) >= before + 2, 150_000);
      if (kill > KILLS) break;
      await new Promise((r) => setTimeout(r, 300 + random() * 3_000));
      serve.child.kill('SIGKILL');
      await serve.exited;
      serve = startServe(configFile);
      await within(`start ${kill + 1}`, serve.url, 120_000, serve);
    }

    // Stop as an operator would; whatever it had in hand is stored or was never acknowledged.
    serve.child.kill('SIGTERM');
    expect(await within('a clean stop', serve.exited, 60_000, serve)).toBe(0);

    const sightings = (
      await db.query<{ id: string; plate_text: string | null; crop_path: string | null; frame_path: string | null; matched: boolean }>(
        `select id, plate_text, crop_path, frame_path, matched_at is not null as matched from ${schema}.sightings`,
      )
    ).rows;
    const alerts = (await db.query<{ sighting_id: string | null; entry_id: string | null }>(`select sighting_id, entry_id from ${schema}.alerts`)).rows;
    expect(sightings.length).toBeGreaterThanOrEqual(2 * (KILLS + 1));
    expect(sightings.filter((s) => !s.matched).map((s) => s.plate_text)).toEqual([]);
    const ids = new Set(sightings.map((s) => s.id));
    expect(alerts.filter((a) => !a.sighting_id || !ids.has(a.sighting_id))).toEqual([]);
    const pairs = alerts.map((a) => `${a.sighting_id}/${a.entry_id}`);
    expect(pairs.length - new Set(pairs).size, 'alerts raised twice for one sighting and entry').toBe(0);
    const alerted = new Set(alerts.map((a) => a.sighting_id));
    const listedReads = sightings.filter((s) => s.plate_text !== null && LISTED.includes(s.plate_text));
    expect(listedReads.length, 'the slideshow shows listed plates').toBeGreaterThan(0);
    expect(listedReads.filter((s) => !alerted.has(s.id)).map((s) => s.plate_text)).toEqual([]);
    const broken: string[] = [];
    for (const s of sightings) {
      for (const rel of [s.crop_path, s.frame_path]) {
        if (!rel) continue;
        let bytes: Buffer;
        try {
          bytes = readFileSync(join(dataDir, 'evidence', rel));
        } catch {
          broken.push(`${rel}: missing`);
          continue;
        }
        if (bytes[0] !== 0xff || bytes[1] !== 0xd8 || bytes.at(-2) !== 0xff || bytes.at(-1) !== 0xd9) broken.push(`${rel}: not a whole JPEG`);
      }
    }
    expect(broken).toEqual([]);
  });
});
