/**
 * The process storing sightings killed (SIGKILL) at random moments during a stream of reads (issue 7,
 * item 4): kill-fixture.ts runs the real sighting path on the machine's PostgreSQL in a child process;
 * it is killed 6 times at seeded random moments and restarted each time, then runs to the end. After
 * that, what is stored must be complete and consistent: every acknowledged read stored once, every
 * acknowledged refinement applied, every stored sighting of a listed plate with exactly one alert (also
 * those stored just before a kill, before their alert), no alert without its sighting, no evidence
 * file missing, no temporary file left.
 *
 * The child reaches PostgreSQL through a TCP proxy; in two of the runs the proxy is cut before the kill,
 * so those reads are acknowledged from the disk spool and killed there: the next run stores them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startTcpProxy } from '../../helpers/tcp-proxy.ts';
import { uniqueSchemaName } from '../storage/db-helpers.ts';
import { dropSchema, FAULT_DATABASE_URL, isListed, prepareSchema, storedState } from './fault-rig.ts';
import { seededRandom } from '../../helpers/seeded-random.ts';

const FIXTURE = resolve(import.meta.dirname, 'kill-fixture.ts');
const KILLS = 6;
/** Runs in which the database is cut off (after start-up) before the kill. */
const OUTAGE_RUNS = new Set([2, 4]);
const SEED = 20261122;

interface Run {
  child: ChildProcess;
  ready: Promise<void>;
  exited: Promise<number | null>;
}

describe('the process killed at random moments during a stream of reads', () => {
  const schema = uniqueSchemaName('argus_kill');
  const dataDir = mkdtempSync(join(tmpdir(), 'argus-kill-'));
  afterAll(async () => {
    await dropSchema(schema).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(
    'keeps stored sightings and alerts complete and consistent across 6 kills and restarts',
    async () => {
      const { cameraId } = await prepareSchema(schema, 5_000);
      const target = new URL(FAULT_DATABASE_URL);
      const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
      const viaProxy = new URL(FAULT_DATABASE_URL);
      viaProxy.hostname = '127.0.0.1';
      viaProxy.port = String(proxy.port);
      const issued = new Set<number>();
      const acked = new Set<number>();
      const refined = new Set<number>();
      const stderr: string[] = [];

      const start = (from: number, to: number): Run => {
        const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
          env: {
            ...process.env,
            FAULT_SCHEMA: schema,
            FAULT_DATA_DIR: dataDir,
            FAULT_CAMERA_ID: cameraId,
            FAULT_FROM: String(from),
            FAULT_TO: String(to),
            FAULT_DATABASE_URL: viaProxy.toString(),
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let onReady: () => void = () => undefined;
        const ready = new Promise<void>((r) => (onReady = r));
        createInterface({ input: child.stdout! }).on('line', (line) => {
          const [what, n] = line.split(' ');
          if (what === 'READY') onReady();
          else if (what === 'ISSUE') issued.add(Number(n));
          else if (what === 'ACK') acked.add(Number(n));
          else if (what === 'REFINED') refined.add(Number(n));
        });
        child.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
        const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
        return { child, ready, exited };
      };

      const random = seededRandom(SEED);
      let next = 0;
      let unmatchedAfterKills = 0;
      /** Reads acknowledged while the database was cut off (so from the spool). */
      let spooledAcks = 0;
      const client = new pg.Client({ connectionString: FAULT_DATABASE_URL });
      await client.connect();
      try {
        for (let k = 0; k < KILLS; k++) {
          const run = start(next, next + 100_000);
          await Promise.race([run.ready, run.exited.then(() => Promise.reject(new Error(`the fixture exited before it was ready: ${stderr.join('')}`)))]);
          if (OUTAGE_RUNS.has(k)) {
            await new Promise((r) => setTimeout(r, 500));
            await proxy.cut();
            spooledAcks -= acked.size;
          }
          await new Promise((r) => setTimeout(r, 800 + random() * 2_200));
          run.child.kill('SIGKILL');
          expect(await run.exited).toBeNull();
          if (OUTAGE_RUNS.has(k)) {
            spooledAcks += acked.size;
            await proxy.restore();
          }
          // Stored, but killed before its matching finished: the next start must raise its alert.
          const r = await client.query(`select count(*)::int as n from ${schema}.sightings where matched_at is null`);
          unmatchedAfterKills += r.rows[0].n as number;
          next = Math.max(next, ...issued) + 1;
        }
        // The last run goes to the end (and recovers what the kills left unmatched as it starts).
        const last = start(next, next + 80);
        expect(await last.exited).toBe(0);
      } finally {
        await client.end();
        await proxy.close();
      }

      const { sightings, alerts } = await storedState(schema);
      const reads = sightings.map((s) => s.read);
      // No duplicates: one row per read number.
      expect(reads.length - new Set(reads).size).toBe(0);
      // Every acknowledged read is stored; nothing stored that was never issued.
      const stored = new Set(reads);
      expect([...acked].filter((n) => !stored.has(n))).toEqual([]);
      expect(reads.filter((n) => !issued.has(n))).toEqual([]);
      expect(acked.size).toBeGreaterThan(150);
      expect(spooledAcks).toBeGreaterThan(10);
      // Every acknowledged refinement is applied.
      const byRead = new Map(sightings.map((s) => [s.read, s]));
      expect([...refined].filter((n) => byRead.get(n)?.phase !== 'final')).toEqual([]);
      // Every sighting is matched; those of listed plates have exactly one alert; no alert without its sighting.
      expect(unmatchedAfterKills).toBeGreaterThan(0);
      expect(sightings.filter((s) => !s.matched).map((s) => s.read)).toEqual([]);
      const alertsBySighting = new Map<string, number>();
      for (const a of alerts) alertsBySighting.set(a.sighting_id, (alertsBySighting.get(a.sighting_id) ?? 0) + 1);
      const ids = new Set(sightings.map((s) => s.id));
      expect(alerts.filter((a) => !ids.has(a.sighting_id))).toEqual([]);
      for (const s of sightings) expect([s.read, alertsBySighting.get(s.id) ?? 0]).toEqual([s.read, isListed(s.read) ? 1 : 0]);
      // Evidence: every referenced file exists; no temporary file is left (evidence or spool).
      for (const s of sightings) {
        for (const rel of [s.crop_path, s.frame_path]) {
          expect(rel).not.toBeNull();
          expect(existsSync(join(dataDir, 'evidence', rel!))).toBe(true);
        }
      }
      const leftovers = readdirSync(dataDir, { recursive: true }).map(String).filter((f) => f.endsWith('.tmp'));
      expect(leftovers).toEqual([]);
      expect(readdirSync(join(dataDir, 'spool'))).toEqual([]);
    },
    // About 75 s on an idle machine; process start-ups are slow when the machine is shared.
    180_000,
  );
});
