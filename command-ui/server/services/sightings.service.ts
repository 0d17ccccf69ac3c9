import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Logger } from '../../../config/logger.ts';
import { issuesFromZod, NotFoundError, UnavailableError, ValidationError } from '../../../contracts/errors.ts';
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
import type { AuditRepository } from '../../../storage/repositories/audit.repository.ts';
import type { CameraAnalyticsRepository } from '../../../storage/repositories/camera-analytics.repository.ts';
import type { SightingChanges, SightingRecord, SightingsRepository } from '../../../storage/repositories/sightings.repository.ts';
import type { Principal, RequestMeta } from './auth.service.ts';
import type { EventBus } from './event-bus.ts';

/** Called after a sighting is stored and pushed (watchlist matching); its failures are logged, never thrown. */
export type SightingStoredHook = (
  sighting: Sighting,
  extra: { face: { model: string; embedding: readonly number[] } | null; cropPath: string | null; framePath: string | null },
) => Promise<unknown>;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

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
    },
  ) {}

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
    const id = randomUUID();
    const ref = { cameraId: s.cameraId, sightingId: id, observedAt: s.observedAt };
    const written: string[] = [];
    let record: SightingRecord;
    try {
      const cropPath = s.crop ? await this.deps.evidence.save(ref, 'crop', s.crop) : null;
      if (cropPath) written.push(cropPath);
      const framePath = s.frame ? await this.deps.evidence.save(ref, 'frame', s.frame) : null;
      if (framePath) written.push(framePath);
      record = await this.deps.sightings.create({
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
      });
    } catch (err) {
      await Promise.all(written.map((rel) => this.deps.evidence.remove(rel).catch(() => undefined)));
      throw err;
    }
    const sighting = toSighting(record);
    this.publish('sighting.created', sighting);
    await this.afterStore(sighting, record, s.face);
    return sighting;
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
    const current = await this.deps.sightings.findById(id, at);
    if (!current) throw new NotFoundError(`No sighting ${id} observed at ${at.toISOString()}.`);
    const ref = { cameraId: current.cameraId, sightingId: id, observedAt: at };
    const update: SightingChanges = {
      score: c.score,
      box: c.box,
      label: c.label,
      plate: c.plate ? { text: c.plate.text, colour: c.plate.colour, layers: c.plate.layers } : undefined,
      quality: c.face?.quality,
      attributes: c.attributes,
      stage: c.stage,
      embedding: c.face?.embedding && c.face.model ? { model: c.face.model, values: c.face.embedding } : undefined,
    };
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
      this.deps.events.toPermitted('sightings.search', event, sighting);
    } catch (err) {
      // Stored already; screens read it on their next search or reconnection.
      this.deps.log.warn({ err: (err as Error).message, sightingId: sighting.id, event }, 'could not push a sighting');
    }
  }

  // ---------- the API side ----------

  /** Search, newest first. The first page of each search is audited (plate searches are personal data). */
  async search(query: SightingSearchQuery, actor: Principal, meta: RequestMeta): Promise<SightingPage> {
    const result = await this.deps.sightings.search({
      cameraIds: query.cameraIds,
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
    const { points, truncated } = await this.deps.sightings.trajectory(query.plate, { from: query.from, to: query.to, limit: query.limit });
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
      cameraIds: query.cameraIds,
      minScore: query.minScore,
    });
    await this.deps.audit.append({
      userId: actor.userId,
      username: actor.username,
      action: 'sightings.face-search',
      targetType: 'sighting',
      detail: { k: query.k, from: query.from?.toISOString(), to: query.to?.toISOString(), cameraIds: query.cameraIds, results: items.length },
      ip: meta.ip,
    });
    return {
      probe: { quality: Math.round(face.quality * 1000) / 1000, model: face.model },
      items: items.map((i) => ({ sighting: toSighting(i.sighting), score: Math.round(i.score * 10_000) / 10_000 })),
      method,
    };
  }

  async get(id: string): Promise<Sighting> {
    const record = await this.deps.sightings.findById(id);
    if (!record) throw new NotFoundError(`No sighting with id ${id}.`);
    return toSighting(record);
  }

  /** An evidence image (JPEG). Viewing a whole frame is audited; crops (list thumbnails) are not. */
  async evidence(id: string, part: EvidencePart, actor: Principal, meta: RequestMeta): Promise<Buffer> {
    const record = await this.deps.sightings.findById(id);
    if (!record) throw new NotFoundError(`No sighting with id ${id}.`);
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
        action: 'sighting.frame.view',
        targetType: 'sighting',
        targetId: id,
        detail: { cameraId: record.cameraId, observedAt: record.observedAt },
        ip: meta.ip,
      });
    }
    return data;
  }

  /** Per-hour counts by kind (every hour of the range, empty ones as zeros) and the busiest cameras. */
  async stats(query: SightingStatsQuery): Promise<SightingStats> {
    const from = new Date(Math.floor(query.from.getTime() / HOUR) * HOUR);
    const to = query.to;
    const filter = { from, to, cameraIds: query.cameraIds, kind: query.kind };
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

  /**
   * Retention: sightings observed more than `days` days ago go, with their face embeddings and
   * their evidence day folders. (Not scheduled yet: a worker job can call it.)
   */
  async prune(days: number, now = new Date()): Promise<{ sightings: number; embeddings: number; evidenceDays: number }> {
    if (!Number.isFinite(days) || days < 1) throw new ValidationError('Keep sightings at least one day.', [{ path: 'days', message: 'at least 1' }]);
    const cutoff = new Date(now.getTime() - days * DAY);
    const rows = await this.deps.sightings.deleteObservedBefore(cutoff);
    const evidenceDays = await this.deps.evidence.deleteDaysBefore(cutoff);
    this.deps.log.info({ ...rows, evidenceDays, cutoff: cutoff.toISOString() }, 'old sightings removed');
    return { ...rows, evidenceDays };
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
