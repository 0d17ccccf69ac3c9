import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Logger } from '../../../config/logger.ts';
import { ForbiddenError, issuesFromZod, NotFoundError, UnavailableError, ValidationError } from '../../../contracts/errors.ts';
import {
  DEFAULT_ANALYTICS_SETTINGS,
  recordSightingInputSchema,
  refineSightingInputSchema,
  SIGHTING_KINDS,
  type AnalyticsSettings,
  type CameraAnalytics,
  type RecordSightingInput,
  type RefineSightingInput,
  type Sighting,
  type SightingPage,
  type SightingRecorder,
  type SightingSearchQuery,
  type SightingStats,
  type SightingStatsQuery,
  type FaceProbe,
  type FaceSearchQuery,
  type FaceSearchResult,
  type Trajectory,
  type TrajectoryQuery,
} from '../../../contracts/sightings.ts';
import type { EvidencePart, EvidenceStore } from '../../../storage/evidence-store.ts';
import { isDatabaseUnavailable, mayHaveCommitted, type SightingSpool, type SpoolEntry, type SpoolOperation, type SpoolStats } from '../../../storage/sighting-spool.ts';
import type { AuditRepository } from '../../../storage/repositories/audit.repository.ts';
import type { CameraAnalyticsRepository } from '../../../storage/repositories/camera-analytics.repository.ts';
import type { CamerasRepository } from '../../../storage/repositories/cameras.repository.ts';
import type { NewSighting, SightingChanges, SightingRecord, SightingsRepository } from '../../../storage/repositories/sightings.repository.ts';
import type { Principal, RequestMeta } from './auth.service.ts';
import { assertCameraIdAccess, searchableCameras } from './camera-access.ts';
import type { EventBus } from './event-bus.ts';

/** Called after a sighting is stored and pushed (watchlist matching); its failures are logged, never thrown. */
export type SightingStoredHook = (
  sighting: Sighting,
  extra: { face: { model: string; embedding: readonly number[] } | null; cropPath: string | null; framePath: string | null },
) => Promise<unknown>;

const HOUR = 3_600_000;
/** Backoff of the spool drainer while the database stays away. */
const DRAIN_MIN_MS = 500;
const DRAIN_MAX_MS = 5_000;

/**
 * For SightingSpool's onDrop: a dropped record's evidence files go too, unless its failed attempt
 * may have committed (then a stored row may point at them).
 */
export function dropSpooledEvidence(evidence: Pick<EvidenceStore, 'remove'>): (entry: SpoolEntry, operation: SpoolOperation | null) => Promise<void> {
  return async (entry, operation) => {
    if (entry.uncertain || operation?.op !== 'record') return;
    for (const rel of [operation.sighting.cropPath, operation.sighting.framePath]) if (rel) await evidence.remove(rel);
  };
}

/** The API view of a sighting known only from its row data (spooled, not stored yet). */
function spooledSighting(row: NewSighting & { id: string }): Sighting {
  const now = new Date().toISOString();
  return toSighting({
    id: row.id,
    cameraId: row.cameraId,
    cameraName: null,
    observedAt: row.observedAt.toISOString(),
    kind: row.kind,
    trackId: row.trackId ?? null,
    label: row.label ?? null,
    score: row.score,
    box: row.box ?? null,
    plate: row.plate ? { text: row.plate.text, colour: row.plate.colour ?? null, layers: row.plate.layers ?? null } : null,
    quality: row.quality ?? null,
    attributes: row.attributes ?? {},
    stage: row.stage ?? 'final',
    cropPath: row.cropPath ?? null,
    framePath: row.framePath ?? null,
    createdAt: now,
    updatedAt: now,
  });
}

/** The API view of a stored sighting: evidence paths become API addresses (versioned, so a refined crop is fetched anew). */
export function toSighting(record: SightingRecord): Sighting {
  const { cropPath, framePath, ...rest } = record;
  const version = Date.parse(record.updatedAt);
  const url = (part: EvidencePart) => `/api/sightings/${record.id}/${part}.jpg?v=${version}`;
  return { ...rest, cropUrl: cropPath ? url('crop') : null, frameUrl: framePath ? url('frame') : null };
}

function parse<S extends z.ZodTypeAny>(schema: S, input: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new ValidationError(`The ${what} is not valid.`, issuesFromZod(parsed.error.issues));
  return parsed.data as z.output<S>;
}

const idSchema = z.string().uuid('not a sighting id');

function toDate(value: Date | string, path: string): Date {
  const at = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(at.getTime())) throw new ValidationError(`${path} is not a valid time.`, [{ path, message: 'invalid date' }]);
  return at;
}

/** The row changes of a refinement (evidence images apart: saved, or spooled, by the caller). */
function refineChanges(c: z.output<typeof refineSightingInputSchema>): SightingChanges {
  return {
    score: c.score,
    box: c.box,
    label: c.label,
    plate: c.plate ? { text: c.plate.text, colour: c.plate.colour, layers: c.plate.layers } : undefined,
    quality: c.face?.quality,
    attributes: c.attributes,
    stage: c.stage,
    embedding: c.face?.embedding && c.face.model ? { model: c.face.model, values: c.face.embedding } : undefined,
  };
}

/**
 * Sightings: search, statistics and evidence for the API; `record` and `refine` for the analytics
 * role (it implements contracts' SightingRecorder, which cli/serve.ts hands to the role). Every
 * write is persisted (evidence files, then the row and any face embedding in one transaction)
 * before it is published on the event bus. Also the per-camera analytics settings.
 */
export class SightingsService implements SightingRecorder {
  constructor(
    private readonly deps: {
      sightings: SightingsRepository;
      settings: CameraAnalyticsRepository;
      evidence: EvidenceStore;
      audit: AuditRepository;
      events: EventBus;
      log: Logger;
      /** Watchlist matching, run after each record/refine is persisted. */
      onStored?: SightingStoredHook;
      /** Turns an uploaded photo into a face embedding, for face search by photo; null: not offered. */
      faceProbe?: FaceProbe | null;
      /**
       * Where record/refine go while the database is unreachable (storage/sighting-spool.ts); drained
       * in order once it answers again (`startSpool`). null: such a failure is thrown.
       */
      spool?: SightingSpool | null;
      /** Camera placements, for per-camera search permissions; a restricted user is refused without it. */
      cameras?: Pick<CamerasRepository, 'placements' | 'findById'>;
    },
  ) {}

  private drainTimer: NodeJS.Timeout | null = null;
  private draining: Promise<void> | null = null;
  private drainAgain = false;
  /** Set by a drain that met the database away: the next one waits this long (backoff). */
  private retryInMs: number | null = null;
  private drainDelayMs = DRAIN_MIN_MS;
  /** Spooling has begun and the spool has not been emptied since (for the start/stop warnings). */
  private spooling = false;
  private closed = false;
  /** Spooled records by id, as `record` answered them (for a refinement spooled behind them). */
  private readonly spooledViews = new Map<string, Sighting>();

  /** The spool's state (null without one): the health endpoint shows it. */
  spoolStats(): (SpoolStats & { spooling: boolean }) | null {
    const spool = this.deps.spool;
    return spool ? { ...spool.stats(), spooling: spool.size > 0 } : null;
  }

  /** Begin draining what the spool holds (also what an earlier run left). */
  startSpool(): void {
    const spool = this.deps.spool;
    if (!spool) return;
    if (spool.size > 0) this.spooling = true;
    this.scheduleDrain(0);
  }

  /** Stop draining; resolves when a drain in progress has finished its current entry. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.drainTimer = null;
    await this.draining;
  }

  private scheduleDrain(delayMs: number): void {
    if (this.closed || !this.deps.spool) return;
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    if (this.drainTimer) return;
    this.drainTimer = setTimeout(() => {
      this.drainTimer = null;
      this.draining = this.drain()
        .catch((err: unknown) => {
          // The spool's files could not be read or removed: try again later.
          this.deps.log.error({ err: (err as Error).message }, 'the sighting spool could not be drained');
          this.retryInMs = DRAIN_MAX_MS;
        })
        .finally(() => {
          this.draining = null;
          const retry = this.retryInMs;
          this.retryInMs = null;
          const again = this.drainAgain;
          this.drainAgain = false;
          // After a failure only the backoff timer drains again (appends meanwhile must not hammer a database that is away).
          if (retry !== null) this.scheduleDrain(retry);
          else if (again) this.scheduleDrain(0);
        });
    }, delayMs);
    this.drainTimer.unref();
  }

  /** Apply spooled entries oldest first, each removed only after its commit; back off while the database is away. */
  private async drain(): Promise<void> {
    const spool = this.deps.spool!;
    for (;;) {
      if (this.closed) return;
      this.drainAgain = false;
      const head = await spool.head();
      if (!head) break;
      if (!head.operation) {
        await spool.discard(head.entry, 'unreadable');
        continue;
      }
      try {
        await this.applySpooled(head.operation);
      } catch (err) {
        if (isDatabaseUnavailable(err)) {
          spool.release(head.entry);
          this.retryInMs = this.drainDelayMs;
          this.drainDelayMs = Math.min(DRAIN_MAX_MS, this.drainDelayMs * 2);
          return;
        }
        this.deps.log.error({ sightingId: head.entry.sightingId, op: head.entry.op, err: (err as Error).message }, 'a spooled sighting could not be stored; it is dropped');
        await spool.discard(head.entry, 'refused by the database');
        continue;
      }
      await spool.done(head.entry);
      if (head.entry.op === 'record') this.spooledViews.delete(head.entry.sightingId);
      this.drainDelayMs = DRAIN_MIN_MS;
    }
    if (this.spooling && spool.size === 0) {
      this.spooling = false;
      this.spooledViews.clear();
      const { drained, dropped } = spool.stats();
      this.deps.log.warn({ drained, dropped }, 'the database answers again: every spooled sighting is stored, spooling stopped');
    }
  }

  /** Store one spooled operation (idempotent: a record stored already is not stored twice), then publish and match it. */
  private async applySpooled(op: SpoolOperation): Promise<void> {
    if (op.op === 'record') {
      const row: NewSighting = { ...op.sighting, observedAt: new Date(op.sighting.observedAt) };
      const record = await this.deps.sightings.create(row);
      const sighting = toSighting(record);
      this.publish('sighting.created', sighting);
      const e = op.sighting.embedding;
      await this.afterStore(sighting, record, e ? { model: e.model, embedding: [...e.values] } : null);
      return;
    }
    const at = new Date(op.observedAt);
    const current = await this.deps.sightings.findById(op.id, at);
    if (!current) throw new NotFoundError(`No sighting ${op.id} observed at ${op.observedAt} to refine (its record was dropped).`);
    const ref = { cameraId: current.cameraId, sightingId: op.id, observedAt: at };
    const update: SightingChanges = { ...op.changes };
    if (op.crop) update.cropPath = await this.deps.evidence.save(ref, 'crop', Buffer.from(op.crop, 'base64'));
    if (op.frame) update.framePath = await this.deps.evidence.save(ref, 'frame', Buffer.from(op.frame, 'base64'));
    const record = await this.deps.sightings.refine(op.id, at, update);
    if (!record) throw new NotFoundError(`No sighting ${op.id} observed at ${op.observedAt} to refine.`);
    const sighting = toSighting(record);
    this.publish('sighting.updated', sighting);
    const e = op.changes.embedding;
    await this.afterStore(sighting, record, e ? { model: e.model, embedding: [...e.values] } : null);
  }

  /** Append durably to the spool; warns when spooling begins. */
  private async toSpool(operation: SpoolOperation, opts: { extraBytes: number; uncertain: boolean }, cause: unknown): Promise<void> {
    const spool = this.deps.spool!;
    await spool.append(operation, opts);
    if (!this.spooling) {
      this.spooling = true;
      const e = (cause ?? {}) as { code?: unknown; message?: unknown };
      this.deps.log.warn(
        { code: typeof e.code === 'string' ? e.code : undefined, reason: typeof e.message === 'string' ? e.message.slice(0, 200) : undefined, dir: spool.dir },
        'the database is unreachable: sightings are spooled to disk until it answers',
      );
    }
    this.scheduleDrain(this.drainDelayMs);
  }

  private async afterStore(sighting: Sighting, record: SightingRecord, face: { model?: string; embedding?: number[] } | null | undefined): Promise<void> {
    if (!this.deps.onStored) return;
    try {
      await this.deps.onStored(sighting, {
        face: face?.model && face.embedding ? { model: face.model, embedding: face.embedding } : null,
        cropPath: record.cropPath,
        framePath: record.framePath,
      });
    } catch (err) {
      this.deps.log.error({ err: (err as Error).message, sightingId: sighting.id }, 'watchlist matching failed for a sighting');
    }
  }

  // ---------- the analytics side ----------

  /**
   * Store a new sighting and push `sighting.created`. Evidence images (JPEG buffers in
   * `input.crop` / `input.frame`) are written first; when the row cannot be stored they are removed
   * again and the error is thrown (ValidationError for bad input or an unknown camera).
   */
  async record(input: RecordSightingInput): Promise<Sighting> {
    const s = parse(recordSightingInputSchema, input, 'sighting');
    // Chosen before the first attempt: a retry from the spool stores this id once (insert on conflict do nothing).
    const id = randomUUID();
    const ref = { cameraId: s.cameraId, sightingId: id, observedAt: s.observedAt };
    const written: string[] = [];
    let record: SightingRecord;
    let row: (NewSighting & { id: string }) | null = null;
    const spool = this.deps.spool;
    try {
      const cropPath = s.crop ? await this.deps.evidence.save(ref, 'crop', s.crop) : null;
      if (cropPath) written.push(cropPath);
      const framePath = s.frame ? await this.deps.evidence.save(ref, 'frame', s.frame) : null;
      if (framePath) written.push(framePath);
      row = {
        id,
        cameraId: s.cameraId,
        observedAt: s.observedAt,
        kind: s.kind,
        trackId: s.trackId ?? null,
        label: s.label ?? null,
        score: s.score,
        box: s.box ?? null,
        plate: s.plate ? { text: s.plate.text, colour: s.plate.colour ?? null, layers: s.plate.layers ?? null } : null,
        quality: s.face?.quality ?? null,
        attributes: s.attributes ?? {},
        stage: s.stage,
        cropPath,
        framePath,
        embedding: s.face?.embedding && s.face.model ? { model: s.face.model, values: s.face.embedding } : null,
      };
      // Spooled sightings are stored in order: while some wait, new ones queue behind them.
      if (spool && spool.size > 0) return await this.spoolRecord(row, s, false, null);
      record = await this.deps.sightings.create(row);
    } catch (err) {
      if (row && spool && isDatabaseUnavailable(err)) {
        try {
          return await this.spoolRecord(row, s, mayHaveCommitted(err), err);
        } catch (spoolErr) {
          this.deps.log.error({ err: (spoolErr as Error).message, sightingId: id }, 'could not spool a sighting');
          if (mayHaveCommitted(err)) throw err;
        }
      }
      await Promise.all(written.map((rel) => this.deps.evidence.remove(rel).catch(() => undefined)));
      throw err;
    }
    const sighting = toSighting(record);
    this.publish('sighting.created', sighting);
    await this.afterStore(sighting, record, s.face);
    return sighting;
  }

  private async spoolRecord(row: NewSighting & { id: string }, s: { crop?: Uint8Array | null; frame?: Uint8Array | null }, uncertain: boolean, cause: unknown): Promise<Sighting> {
    const extraBytes = (row.cropPath ? (s.crop?.length ?? 0) : 0) + (row.framePath ? (s.frame?.length ?? 0) : 0);
    await this.toSpool({ op: 'record', sighting: { ...row, observedAt: row.observedAt.toISOString() } }, { extraBytes, uncertain }, cause);
    const view = spooledSighting(row);
    this.spooledViews.set(row.id, view);
    return view;
  }

  /**
   * Refine a stored sighting in place (an early read when its track ended) and push
   * `sighting.updated`. New evidence images replace the old files (atomically, same names). Stage
   * becomes 'final' unless `changes.stage` says otherwise. NotFoundError when there is no such
   * sighting at that observedAt.
   */
  async refine(id: string, observedAt: Date | string, changes: RefineSightingInput): Promise<Sighting> {
    parse(idSchema, id, 'sighting id');
    const at = toDate(observedAt, 'observedAt');
    const c = parse(refineSightingInputSchema, changes, 'refinement');
    const spool = this.deps.spool;
    // Behind its record (or anything else) waiting in the spool: applied after it, in order.
    if (spool && spool.size > 0) return this.spoolRefine(id, at, c, null);
    try {
      return await this.refineNow(id, at, c);
    } catch (err) {
      if (spool && isDatabaseUnavailable(err)) return this.spoolRefine(id, at, c, err);
      throw err;
    }
  }

  private async spoolRefine(id: string, at: Date, c: z.output<typeof refineSightingInputSchema>, cause: unknown): Promise<Sighting> {
    const changes = refineChanges(c);
    await this.toSpool(
      {
        op: 'refine',
        id,
        observedAt: at.toISOString(),
        changes: JSON.parse(JSON.stringify(changes)) as SightingChanges,
        ...(c.crop ? { crop: Buffer.from(c.crop).toString('base64') } : {}),
        ...(c.frame ? { frame: Buffer.from(c.frame).toString('base64') } : {}),
      },
      { extraBytes: 0, uncertain: false },
      cause,
    );
    const before = this.spooledViews.get(id);
    const view: Sighting = before
      ? { ...before, score: c.score ?? before.score, stage: c.stage ?? 'final', updatedAt: new Date().toISOString() }
      : ({ id, observedAt: at.toISOString(), stage: c.stage ?? 'final' } as Sighting);
    if (before) this.spooledViews.set(id, view);
    return view;
  }

  private async refineNow(id: string, at: Date, c: z.output<typeof refineSightingInputSchema>): Promise<Sighting> {
    const current = await this.deps.sightings.findById(id, at);
    if (!current) throw new NotFoundError(`No sighting ${id} observed at ${at.toISOString()}.`);
    const ref = { cameraId: current.cameraId, sightingId: id, observedAt: at };
    const update = refineChanges(c);
    if (c.crop) update.cropPath = await this.deps.evidence.save(ref, 'crop', c.crop);
    if (c.frame) update.framePath = await this.deps.evidence.save(ref, 'frame', c.frame);
    const record = await this.deps.sightings.refine(id, at, update);
    if (!record) throw new NotFoundError(`No sighting ${id} observed at ${at.toISOString()}.`);
    const sighting = toSighting(record);
    this.publish('sighting.updated', sighting);
    // Matched again: a better read may hit other entries; an entry already alerted is not raised twice.
    await this.afterStore(sighting, record, c.face);
    return sighting;
  }

  /** Only to users allowed to search sightings; camera rooms are open to every camera viewer. */
  private publish(event: 'sighting.created' | 'sighting.updated', sighting: Sighting): void {
    try {
      // To searchers of this camera only, where the bus can tell (per-camera search permissions).
      if (this.deps.events.toCameraSearchers) this.deps.events.toCameraSearchers(sighting.cameraId, event, sighting);
      else this.deps.events.toPermitted('sightings.search', event, sighting);
    } catch (err) {
      // Stored already; screens read it on their next search or reconnection.
      this.deps.log.warn({ err: (err as Error).message, sightingId: sighting.id, event }, 'could not push a sighting');
    }
  }

  // ---------- the API side ----------

  private readonly placements = async (): Promise<Array<{ id: string; siteId: string | null }>> => {
    if (!this.deps.cameras) throw new ForbiddenError('Your account may search only some cameras, and this process cannot tell which.');
    return this.deps.cameras.placements();
  };

  private readonly findCamera = async (id: string) => {
    if (!this.deps.cameras) throw new ForbiddenError('Your account may search only some cameras, and this process cannot tell which.');
    return this.deps.cameras.findById(id);
  };

  /** Search, newest first. The first page of each search is audited (plate searches are personal data). */
  async search(query: SightingSearchQuery, actor: Principal, meta: RequestMeta): Promise<SightingPage> {
    const result = await this.deps.sightings.search({
      cameraIds: await searchableCameras(actor, query.cameraIds, this.placements),
      kind: query.kind,
      plate: query.plate !== undefined ? { text: query.plate, mode: query.plateMode } : undefined,
      plateColour: query.plateColour,
      label: query.label,
      stage: query.stage,
      from: query.from,
      to: query.to,
      minScore: query.minScore,
      limit: query.limit,
      cursor: query.cursor,
    });
    if (query.cursor === undefined) {
      const { limit: _limit, cursor: _cursor, ...criteria } = query;
      await this.deps.audit.append({
        userId: actor.userId,
        username: actor.username,
        action: 'sightings.search',
        targetType: 'sighting',
        detail: { ...criteria, from: query.from?.toISOString(), to: query.to?.toISOString(), results: result.items.length },
        ip: meta.ip,
      });
    }
    return { items: result.items.map(toSighting), nextCursor: result.nextCursor, fuzzy: result.fuzzy };
  }

  /** A vehicle's trajectory: its reads across cameras and checkpoints in time order. Audited (personal data). */
  async trajectory(query: TrajectoryQuery, actor: Principal, meta: RequestMeta): Promise<Trajectory> {
    const found = await this.deps.sightings.trajectory(query.plate, { from: query.from, to: query.to, limit: query.limit });
    const searchable = await searchableCameras(actor, undefined, this.placements);
    const points = searchable ? found.points.filter((p) => searchable.includes(p.sighting.cameraId)) : found.points;
    const truncated = found.truncated;
    await this.deps.audit.append({
      userId: actor.userId,
      username: actor.username,
      action: 'sightings.trajectory',
      targetType: 'sighting',
      detail: { plate: query.plate, from: query.from?.toISOString(), to: query.to?.toISOString(), results: points.length },
      ip: meta.ip,
    });
    return {
      plate: query.plate,
      points: points.map((p) => ({ ...p, sighting: toSighting(p.sighting) })),
      truncated,
      cameras: new Set(points.map((p) => p.sighting.cameraId)).size,
      sites: new Set(points.map((p) => p.siteId).filter((id) => id !== null)).size,
    };
  }

  /**
   * Face search by photo: the photo's one face (the enrolment rules: one face, enough quality) is
   * embedded and compared with every stored face sighting of the same model; most similar first.
   * Audited with the criteria and the number of results (not the photo).
   */
  async faceSearch(photo: Uint8Array, query: FaceSearchQuery, actor: Principal, meta: RequestMeta): Promise<FaceSearchResult> {
    const probe = this.deps.faceProbe;
    if (!probe) throw new UnavailableError('Face search by photo is not available in this process (no face models).');
    if (photo.length === 0) throw new ValidationError('Send the photo as the request body (image/jpeg or image/png).', [{ path: 'body', message: 'empty' }]);
    const face = await probe.enrol(photo);
    const { items, method } = await this.deps.sightings.faceSearch(face.embedding, {
      model: face.model,
      k: query.k,
      from: query.from,
      to: query.to,
      cameraIds: await searchableCameras(actor, query.cameraIds, this.placements),
      minScore: query.minScore,
    });
    await this.deps.audit.append({
      userId: actor.userId,
      username: actor.username,
      action: 'faces.search',
      targetType: 'sighting',
      detail: { k: query.k, from: query.from?.toISOString(), to: query.to?.toISOString(), cameraIds: query.cameraIds, minScore: query.minScore, results: items.length },
      ip: meta.ip,
    });
    return {
      probe: { quality: Math.round(face.quality * 1000) / 1000, model: face.model },
      items: items.map((i) => ({ sighting: toSighting(i.sighting), score: Math.round(i.score * 10_000) / 10_000 })),
      method,
    };
  }

  async get(id: string, actor: Pick<Principal, 'cameraAccess'> = {}): Promise<Sighting> {
    const record = await this.deps.sightings.findById(id);
    if (!record) throw new NotFoundError(`No sighting with id ${id}.`);
    await assertCameraIdAccess(actor, 'search', record.cameraId, this.findCamera);
    return toSighting(record);
  }

  /** An evidence image (JPEG). Viewing a whole frame is audited; crops (list thumbnails) are not. */
  async evidence(id: string, part: EvidencePart, actor: Principal, meta: RequestMeta): Promise<Buffer> {
    const record = await this.deps.sightings.findById(id);
    if (!record) throw new NotFoundError(`No sighting with id ${id}.`);
    await assertCameraIdAccess(actor, 'search', record.cameraId, this.findCamera);
    const rel = part === 'crop' ? record.cropPath : record.framePath;
    const data = rel ? await this.deps.evidence.read(rel) : null;
    if (!data) {
      if (rel) this.deps.log.warn({ sightingId: id, part }, 'evidence image missing or refused');
      throw new NotFoundError(`Sighting ${id} has no ${part} image${rel ? ' any more' : ''}.`);
    }
    if (part === 'frame') {
      await this.deps.audit.append({
        userId: actor.userId,
        username: actor.username,
        action: 'sightings.frame_view',
        targetType: 'sighting',
        targetId: id,
        detail: { cameraId: record.cameraId, observedAt: record.observedAt },
        ip: meta.ip,
      });
    }
    return data;
  }

  /** Per-hour counts by kind (every hour of the range, empty ones as zeros) and the busiest cameras. */
  async stats(query: SightingStatsQuery, actor: Pick<Principal, 'cameraAccess'> = {}): Promise<SightingStats> {
    const from = new Date(Math.floor(query.from.getTime() / HOUR) * HOUR);
    const to = query.to;
    const filter = { from, to, cameraIds: await searchableCameras(actor, query.cameraIds, this.placements), kind: query.kind };
    const [hourly, byCamera] = await Promise.all([this.deps.sightings.hourlyCounts(filter), this.deps.sightings.countsByCamera(filter)]);
    const buckets: SightingStats['buckets'] = [];
    const index = new Map<number, SightingStats['buckets'][number]>();
    for (let t = from.getTime(); t < to.getTime(); t += HOUR) {
      const bucket = { at: new Date(t).toISOString(), plate: 0, face: 0, object: 0 };
      buckets.push(bucket);
      index.set(t, bucket);
    }
    let total = 0;
    for (const row of hourly) {
      const bucket = index.get(row.at.getTime());
      if (bucket && (SIGHTING_KINDS as readonly string[]).includes(row.kind)) {
        bucket[row.kind] += row.count;
        total += row.count;
      }
    }
    return { from: from.toISOString(), to: to.toISOString(), bucketSeconds: 3600, buckets, byCamera, total };
  }

  // ---------- per-camera analytics settings ----------

  /**
   * For the analytics role (its `settingsFor`): a camera's effective settings, the defaults for a
   * camera nobody configured (or one not known, e.g. removed meanwhile). Cache it for a few
   * seconds: a change made through the API is then followed within that time.
   */
  async settingsFor(cameraId: string): Promise<AnalyticsSettings> {
    const found = await this.deps.settings.get(cameraId);
    return found ? found.settings : { ...DEFAULT_ANALYTICS_SETTINGS, pipelines: [...DEFAULT_ANALYTICS_SETTINGS.pipelines] };
  }

  async getAnalytics(cameraId: string): Promise<CameraAnalytics> {
    const found = await this.deps.settings.get(cameraId);
    if (!found) throw new NotFoundError(`No camera with id ${cameraId}.`);
    return found;
  }

  /**
   * Replace a camera's analytics settings; audited like other camera changes and pushed as
   * `camera.analytics` to administrators' screens. A running analytics role picks the change up
   * from storage (CameraAnalyticsRepository.listChangedSince / listAll).
   */
  async setAnalytics(cameraId: string, settings: AnalyticsSettings, actor: Principal, meta: RequestMeta): Promise<CameraAnalytics> {
    const before = await this.deps.settings.get(cameraId);
    if (!before) throw new NotFoundError(`No camera with id ${cameraId}.`);
    const saved = await this.deps.settings.set(cameraId, settings, actor.userId);
    if (!saved) throw new NotFoundError(`No camera with id ${cameraId}.`);
    const changed = (Object.keys(saved.settings) as Array<keyof AnalyticsSettings>).filter(
      (k) => JSON.stringify(saved.settings[k]) !== JSON.stringify(before.settings[k]),
    );
    await this.deps.audit.append({
      userId: actor.userId,
      username: actor.username,
      action: 'camera.analytics',
      targetType: 'camera',
      targetId: cameraId,
      detail: { changed, settings: saved.settings },
      ip: meta.ip,
    });
    this.deps.events.toPermitted('cameras.manage', 'camera.analytics', saved);
    return saved;
  }
}
