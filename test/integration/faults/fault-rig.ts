/**
 * The real sighting path for the fault tests, without cameras: SightingWriter → SightingsService
 * (evidence files, row + embedding, the disk spool) → WatchlistMatching → AlertsService, on a real
 * PostgreSQL schema reached at `databaseUrl` (through a TcpProxy in db-outage.spec.ts) and a real
 * data folder. Reads are synthetic track actions with real JPEG evidence (encoded by the writer).
 *
 * Used in-process by db-outage.spec.ts and in a child process by kill-fixture.ts.
 */
import { join } from 'node:path';
import pg from 'pg';
import { SightingWriter } from '../../../analytics/live/sighting-writer.ts';
import type { SightingDraft, TrackAction } from '../../../analytics/live/camera-tracks.ts';
import { AlertsService, type AlertDeliveryConfig } from '../../../command-ui/server/services/alerts.service.ts';
import type { EventBus } from '../../../command-ui/server/services/event-bus.ts';
import { dropSpooledEvidence, SightingsService } from '../../../command-ui/server/services/sightings.service.ts';
import { WatchlistMatching } from '../../../command-ui/server/services/watchlist-matching.ts';
import type { Logger } from '../../../config/logger.ts';
import { openDatabase, type ArgusDatabase } from '../../../storage/database.ts';
import { EvidenceStore } from '../../../storage/evidence-store.ts';
import { migrateToLatest } from '../../../storage/migrator.ts';
import { AlertsRepository } from '../../../storage/repositories/alerts.repository.ts';
import { AuditRepository } from '../../../storage/repositories/audit.repository.ts';
import { CameraAnalyticsRepository } from '../../../storage/repositories/camera-analytics.repository.ts';
import { CamerasRepository } from '../../../storage/repositories/cameras.repository.ts';
import { SightingsRepository } from '../../../storage/repositories/sightings.repository.ts';
import { WatchlistsRepository } from '../../../storage/repositories/watchlists.repository.ts';
import { SightingSpool } from '../../../storage/sighting-spool.ts';
import { dropTestSchema } from '../storage/db-helpers.ts';

export const FAULT_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Plate of read n; every fifth read is a listed plate. */
export function plateOf(n: number): string {
  return n % 5 === 0 ? `沪B${String(n).padStart(5, '0')}` : `京A${String(n).padStart(5, '0')}`;
}
export function isListed(n: number): boolean {
  return n % 5 === 0;
}

/** A small noisy frame (so every JPEG differs), 96×64. */
function frame(seed: number): SightingDraft['evidence']['frame'] {
  const width = 96;
  const height = 64;
  const data = new Uint8Array(width * height * 3);
  let x = (seed * 2654435761) >>> 0;
  for (let i = 0; i < data.length; i++) {
    x = (x * 1664525 + 1013904223) >>> 0;
    data[i] = x >>> 24;
  }
  return { width, height, order: 'rgb', data };
}

/** The early record of read n (its track `r<n>`), and its refinement with new evidence. */
export function readActions(n: number, observedAt: number): { record: TrackAction; refine: TrackAction } {
  const base: SightingDraft = {
    kind: 'plate',
    trackId: `r${n}`,
    observedAt,
    score: 0.8,
    box: [10, 10, 60, 30],
    label: 'car',
    plate: { text: plateOf(n), colour: 'blue', layers: 1 },
    face: null,
    attributes: { read: n, phase: 'early' },
    evidence: { frame: frame(n), box: [10, 10, 60, 30], at: observedAt },
  };
  const refined: SightingDraft = { ...base, score: 0.9, attributes: { read: n, phase: 'final' }, evidence: { frame: frame(n + 1_000_000), box: [12, 10, 62, 30], at: observedAt + 200 } };
  return { record: { type: 'record', stage: 'early', draft: base }, refine: { type: 'refine', draft: refined } };
}

export interface FaultRig {
  adb: ArgusDatabase;
  sightings: SightingsService;
  matching: WatchlistMatching;
  writer: SightingWriter;
  spool: SightingSpool | null;
  evidence: EvidenceStore;
  close(): Promise<void>;
}

const DELIVERY: AlertDeliveryConfig = {
  escalateAfterSeconds: 60,
  deliveryTimeoutMs: 1000,
  webhooks: [],
  sms: null,
  levels: {} as AlertDeliveryConfig['levels'],
};

const NO_EVENTS: EventBus = { toPermitted: () => undefined, toRooms: () => undefined };

/** Open the pipeline on an existing, migrated schema. */
export async function openRig(opts: {
  databaseUrl: string;
  schema: string;
  dataDir: string;
  log: Logger;
  spool?: { maxBytes?: number; maxRecords?: number } | null;
  recover?: { everyMs?: number; graceMs?: number };
  /** Delay between a sighting's commit and its matching (a slower alert path: widens the window a crash can hit). */
  matchDelayMs?: number;
}): Promise<FaultRig> {
  const adb = await openDatabase({ dataDir: opts.dataDir, database: { url: opts.databaseUrl, poolSize: 4, schema: opts.schema } }, { vector: 'off' });
  const evidence = new EvidenceStore(join(opts.dataDir, 'evidence'));
  const repo = new SightingsRepository(adb.db, { trgm: adb.trgm, vector: adb.vector });
  const alerts = new AlertsService({
    alerts: new AlertsRepository(adb.db),
    audit: new AuditRepository(adb.db),
    evidence,
    events: NO_EVENTS,
    config: DELIVERY,
    enqueue: async () => undefined,
    log: opts.log,
  });
  const matching = new WatchlistMatching({ watchlists: new WatchlistsRepository(adb.db), alerts, sightings: repo, log: opts.log, recover: opts.recover });
  const spool =
    opts.spool === null
      ? null
      : await SightingSpool.open({
          dir: join(opts.dataDir, 'spool'),
          maxBytes: opts.spool?.maxBytes ?? 512 * 1024 * 1024,
          maxRecords: opts.spool?.maxRecords ?? 200_000,
          log: opts.log,
          onDrop: dropSpooledEvidence(evidence),
        });
  const sightings = new SightingsService({
    sightings: repo,
    settings: new CameraAnalyticsRepository(adb.db),
    evidence,
    audit: new AuditRepository(adb.db),
    events: NO_EVENTS,
    log: opts.log,
    onStored: async (s, extra) => {
      if (opts.matchDelayMs) await new Promise((r) => setTimeout(r, opts.matchDelayMs));
      return matching.onSighting(s, extra);
    },
    spool,
  });
  await matching.start();
  sightings.startSpool();
  const writer = new SightingWriter(sightings, 'none', opts.log);
  return {
    adb,
    sightings,
    matching,
    writer,
    spool,
    evidence,
    async close() {
      matching.close();
      await sightings.close();
      await adb.close();
    },
  };
}

/** A fresh schema (migrated, directly on PostgreSQL) with one camera and a plate list holding the listed plates of reads 0..maxRead. */
export async function prepareSchema(schema: string, maxRead: number): Promise<{ cameraId: string; watchlistId: string }> {
  const adb = await openDatabase({ dataDir: '/nonexistent', database: { url: FAULT_DATABASE_URL, poolSize: 2, schema } }, { vector: 'off' });
  try {
    await migrateToLatest(adb);
    const camera = await new CamerasRepository(adb.db).create({ name: 'Fault gate', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1/fault' });
    const lists = new WatchlistsRepository(adb.db);
    const list = await lists.create({
      name: 'Fault list',
      kind: 'plate',
      level: 'red',
      covert: false,
      tolerance: 0,
      ignoreProvince: false,
      threshold: null,
      active: true,
      validFrom: null,
      validTo: null,
      ownerId: null,
    });
    const plates: string[] = [];
    for (let n = 0; n <= maxRead; n++) if (isListed(n)) plates.push(plateOf(n));
    await lists.createEntries(
      list.id,
      plates.map((plate) => ({ plate, personName: null, reason: 'fault test', caseNumber: null, validFrom: null, validTo: null })),
      null,
    );
    return { cameraId: camera.id, watchlistId: list.id };
  } finally {
    await adb.close();
  }
}

/** Drops a fault test's schema (with all in it). */
export const dropSchema = (schema: string): Promise<void> => dropTestSchema(schema, FAULT_DATABASE_URL);

/** What is stored: sightings (with their read number) and alerts, straight from PostgreSQL. */
export async function storedState(schema: string): Promise<{
  /** In the order they were inserted (created_at). */
  sightings: Array<{ id: string; read: number; phase: string; stage: string; crop_path: string | null; frame_path: string | null; matched: boolean; plate_text: string }>;
  alerts: Array<{ id: string; sighting_id: string; entry_id: string }>;
}> {
  const client = new pg.Client({ connectionString: FAULT_DATABASE_URL });
  await client.connect();
  try {
    const s = await client.query(
      `select id, (attributes->>'read')::int as read, attributes->>'phase' as phase, stage, crop_path, frame_path, matched_at is not null as matched, plate_text
         from ${schema}.sightings order by created_at, id`,
    );
    const a = await client.query(`select id, sighting_id, entry_id from ${schema}.alerts order by seq`);
    return { sightings: s.rows, alerts: a.rows };
  } finally {
    await client.end();
  }
}
