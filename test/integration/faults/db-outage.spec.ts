/**
 * PostgreSQL unavailable for 60 s while a camera keeps producing reads (issue 7, item 4): the machine's
 * real PostgreSQL, reached through a TCP proxy that the test cuts (every connection destroyed, new ones
 * refused) and restores; the real sightings service, spool, watchlist matching and alerts.
 *
 * FAULTS_NO_SPOOL=1 runs the same test without the spool: it must then fail (reads are lost).
 */
import { mkdtempSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { SystemService } from '../../../command-ui/server/services/system.service.ts';
import { ValidationError } from '../../../contracts/errors.ts';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy.ts';
import { uniqueSchemaName } from '../storage/db-helpers.ts';
import { dropSchema, FAULT_DATABASE_URL, isListed, openRig, prepareSchema, readActions, storedState, type FaultRig } from './fault-rig.ts';

const NO_SPOOL = process.env.FAULTS_NO_SPOOL === '1';
const OUTAGE_MS = 60_000;
const READ_EVERY_MS = 200; // 5 reads a second
const REFINE_AFTER_MS = 300;

function capturingLog() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('PostgreSQL unreachable for 60 s while reads keep coming', () => {
  const target = new URL(FAULT_DATABASE_URL);
  let proxy: TcpProxy;
  const schemas: string[] = [];
  const dirs: string[] = [];
  const rigs: FaultRig[] = [];

  beforeAll(async () => {
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
  });
  afterAll(async () => {
    for (const rig of rigs) await rig.close().catch(() => undefined);
    await proxy?.close();
    for (const s of schemas) await dropSchema(s).catch(() => undefined);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function setUp(maxRead: number, spool?: { maxRecords?: number; maxBytes?: number }) {
    const schema = uniqueSchemaName('argus_fault');
    schemas.push(schema);
    const { cameraId } = await prepareSchema(schema, maxRead);
    const dataDir = mkdtempSync(join(tmpdir(), 'argus-fault-'));
    dirs.push(dataDir);
    const viaProxy = new URL(FAULT_DATABASE_URL);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    const { log, lines } = capturingLog();
    const rig = await openRig({ databaseUrl: viaProxy.toString(), schema, dataDir, log, spool: NO_SPOOL ? null : spool, recover: { everyMs: 2_000, graceMs: 1_000 } });
    rigs.push(rig);
    return { schema, cameraId, dataDir, rig, lines };
  }

  it(
    'spools every read to disk during the outage and stores each exactly once, in order per track, with its alert, when the database returns',
    async () => {
      // 12 s before, 60 s cut, 8 s after: 400 reads.
      const total = 400;
      const cutAt = 60;
      const { schema, cameraId, dataDir, rig, lines } = await setUp(total);
      const spoolPeaks = { count: 0, bytes: 0 };
      const sampler = setInterval(() => {
        const st = rig.sightings.spoolStats();
        if (st && st.count > spoolPeaks.count) spoolPeaks.count = st.count;
        if (st && st.bytes > spoolPeaks.bytes) spoolPeaks.bytes = st.bytes;
      }, 50);
      const work: Array<Promise<void>> = [];
      const started = Date.now();
      let restoredAt = 0;
      try {
        for (let n = 0; n < total; n++) {
          if (n === cutAt) {
            // A query running when the connections go must fail cleanly (not as an uncaught error).
            const running = sql`select pg_sleep(3)`.execute(rig.adb.db);
            await new Promise((r) => setTimeout(r, 100));
            await proxy.cut();
            await expect(running).rejects.toThrow(/terminated|closed|ECONNRESET/i);
            // Restored 60 s later while the reads go on.
            setTimeout(() => {
              void proxy.restore().then(() => {
                restoredAt = Date.now();
              });
            }, OUTAGE_MS);
          }
          const { record, refine } = readActions(n, Date.now());
          work.push(rig.writer.apply(cameraId, [record]));
          // The track ends a little later: its refinement follows the record (queued behind it when spooled).
          work.push(new Promise<void>((done) => setTimeout(() => void rig.writer.apply(cameraId, [refine]).then(done), REFINE_AFTER_MS)));
          const due = started + (n + 1) * READ_EVERY_MS;
          await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
        }
        expect(proxy.cutNow).toBe(false);
        await Promise.all(work);
        // Drained: the spool is empty and every read is matched.
        await waitFor('the spool to drain', () => (rig.sightings.spoolStats()?.count ?? 0) === 0, 60_000);
        await waitFor('matching to finish', async () => (await storedState(schema)).sightings.every((s) => s.matched), 30_000);
      } finally {
        clearInterval(sampler);
      }
      const stats = rig.sightings.spoolStats();
      const { sightings, alerts } = await storedState(schema);

      // Nothing lost, nothing duplicated: one row per read, each refined after its record.
      expect(rig.writer.stats.failed).toBe(0);
      const reads = sightings.map((s) => s.read).sort((a, b) => a - b);
      expect(reads).toEqual(Array.from({ length: total }, (_, i) => i));
      expect(new Set(sightings.map((s) => s.id)).size).toBe(total);
      // In order per track: every refinement (spooled behind its record, or after it) was applied after its record.
      // (Across tracks the order is the writer's, whose JPEG encoding runs concurrently; the spool's own FIFO
      // order is checked in storage/sighting-spool.spec.ts.)
      expect(sightings.filter((s) => s.stage !== 'final' || s.phase !== 'final').map((s) => s.read)).toEqual([]);

      // One alert per listed read, none for others, none twice.
      const byId = new Map(sightings.map((s) => [s.id, s]));
      const listed = sightings.filter((s) => isListed(s.read));
      expect(alerts).toHaveLength(listed.length);
      expect(new Set(alerts.map((a) => a.sighting_id)).size).toBe(listed.length);
      for (const a of alerts) expect(isListed(byId.get(a.sighting_id)!.read)).toBe(true);

      // Evidence: every referenced file is there.
      for (const s of sightings) {
        for (const rel of [s.crop_path, s.frame_path]) {
          expect(rel).not.toBeNull();
          expect(existsSync(join(dataDir, 'evidence', rel!))).toBe(true);
        }
      }

      // The spool metric rose during the outage and is back to zero; its files are gone.
      expect(spoolPeaks.count).toBeGreaterThan(250);
      expect(spoolPeaks.bytes).toBeGreaterThan(0);
      expect(stats).toMatchObject({ count: 0, bytes: 0, dropped: 0, spooling: false });
      expect(stats!.drained).toBe(stats!.spooled);
      expect(stats!.spooled).toBeGreaterThan(500); // records and refinements of the ~300 reads during the cut
      expect(readdirSync(join(dataDir, 'spool'))).toEqual([]);
      // Warnings when spooling started and stopped; no embedding or secret in the log.
      const messages = lines.map((l) => String(l.msg));
      expect(messages).toContain('the database is unreachable: sightings are spooled to disk until it answers');
      expect(messages).toContain('the database answers again: every spooled sighting is stored, spooling stopped');
      expect(restoredAt).toBeGreaterThan(0);
    },
    150_000,
  );

  it(
    'when the spool is full the oldest spooled sightings are dropped, counted and warned about',
    async () => {
      const { schema, cameraId, dataDir, rig, lines } = await setUp(20, { maxRecords: 5 });
      await rig.writer.apply(cameraId, [readActions(0, Date.now()).record]); // stored normally
      // A sighting the database refuses (no such camera) is an error, not something to spool.
      await expect(rig.sightings.record(readInput('0f0f0f0f-0000-4000-8000-000000000000', 99))).rejects.toBeInstanceOf(ValidationError);
      expect(rig.sightings.spoolStats()).toMatchObject({ count: 0, spooled: 0 });
      await proxy.cut();
      // Let the pool notice its idle connections are gone (the records below then fail before anything is sent).
      await new Promise((r) => setTimeout(r, 300));
      try {
        for (let n = 1; n <= 12; n++) await rig.sightings.record(readInput(cameraId, n));
        const during = rig.sightings.spoolStats()!;
        expect(during).toMatchObject({ count: 5, dropped: 7, spooling: true });
        expect(readdirSync(join(dataDir, 'spool'))).toHaveLength(5);
        const warning = lines.find((l) => l.msg === 'sighting spool: dropped the oldest spooled sighting');
        expect(warning).toMatchObject({ level: 40, reason: 'spool full', maxRecords: 5 });
        // GET /api/health shows it (SystemService.health, as cli/serve.ts wires it).
        const system = new SystemService({
          probes: { version: 'test', roles: ['analytics'], database: rig.adb, redisPing: async () => true, spool: () => rig.sightings.spoolStats() },
          audit: undefined as never,
          jobs: undefined as never,
        });
        const health = await system.health();
        expect(health).toMatchObject({ status: 'degraded', database: { ok: false }, spool: { spooling: true, count: 5, dropped: 7, spooled: 12 } });
      } finally {
        await proxy.restore();
      }
      await waitFor('the spool to drain', () => rig.sightings.spoolStats()!.count === 0, 30_000);
      const { sightings } = await storedState(schema);
      // The newest five and the one stored before the cut; the oldest seven were dropped, with their evidence.
      expect(sightings.map((s) => s.read).sort((a, b) => a - b)).toEqual([0, 8, 9, 10, 11, 12]);
      const files = readdirSync(join(dataDir, 'evidence', cameraId), { recursive: true }).filter((f) => String(f).endsWith('.jpg'));
      expect(files).toHaveLength(6 * 2);
      expect(rig.sightings.spoolStats()).toMatchObject({ count: 0, dropped: 7, drained: 5 });
    },
    60_000,
  );

  it('a spooled record whose earlier commit went through (reply lost) is not stored twice', async () => {
    const { schema, cameraId, rig } = await setUp(10);
    const stored = await rig.sightings.record(readInput(cameraId, 5));
    // What the spool holds after an attempt that committed but whose reply never came: the same id.
    const row = await rig.adb.db.selectFrom('sightings').selectAll().where('id', '=', stored.id).executeTakeFirstOrThrow();
    await rig.spool!.append(
      {
        op: 'record',
        sighting: { id: row.id, cameraId, observedAt: stored.observedAt, kind: 'plate', score: 0.9, plate: { text: row.plate_text! }, attributes: { read: 5, phase: 'final' }, stage: 'final', cropPath: row.crop_path, framePath: row.frame_path },
      },
      { uncertain: true },
    );
    rig.sightings.startSpool();
    await waitFor('the spool to drain', () => rig.sightings.spoolStats()!.count === 0, 20_000);
    const { sightings, alerts } = await storedState(schema);
    expect(sightings.map((s) => s.id)).toEqual([stored.id]);
    expect(alerts).toHaveLength(1); // read 5 is listed: one alert, not two
    expect(rig.sightings.spoolStats()).toMatchObject({ drained: 1, dropped: 0 });
  });
});

/** A record straight through the SightingRecorder port (the writer's JPEGs are not needed here). */
function readInput(cameraId: string, n: number) {
  // A minimal valid JPEG header is enough for the evidence store (it checks FF D8 FF).
  const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64, n)]);
  return {
    cameraId,
    observedAt: new Date(Date.now() + n),
    kind: 'plate' as const,
    trackId: `r${n}`,
    score: 0.9,
    plate: { text: readActions(n, 0).record.draft.plate!.text },
    attributes: { read: n, phase: 'final' },
    stage: 'final' as const,
    crop: jpeg,
    frame: jpeg,
  };
}
