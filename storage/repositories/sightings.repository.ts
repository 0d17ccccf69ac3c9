import { randomUUID } from 'node:crypto';
import { sql, type Expression, type Kysely, type SqlBool, type Transaction } from 'kysely';
import type { Box, PlateColour } from '../../contracts/analytics.ts';
import { ValidationError } from '../../contracts/errors.ts';
import type { PlateMatchMode, Sighting, SightingCounts, SightingKind, SightingStage } from '../../contracts/sightings.ts';
import { isPgError, PG_FOREIGN_KEY_VIOLATION } from '../pg-errors.ts';
import type { Database, SightingRow } from '../schema.ts';
import { FaceEmbeddingsRepository, normalizeEmbedding } from './face-embeddings.repository.ts';
import { iso, toCount } from './map.ts';

/** A sighting as storage knows it: the API sighting with evidence paths instead of addresses. */
export type SightingRecord = Omit<Sighting, 'cropUrl' | 'frameUrl'> & {
  /** Relative to the evidence folder (storage/evidence-store.ts); never sent to clients. */
  cropPath: string | null;
  framePath: string | null;
};

export interface SightingPlateInput {
  /** Already normalised (contracts/sightings.ts normalizePlateText). */
  text: string;
  colour?: PlateColour | null;
  layers?: 1 | 2 | null;
}

export interface SightingEmbeddingInput {
  /** Model that produced it; only embeddings of one model are comparable. */
  model: string;
  values: readonly number[];
}

export interface NewSighting {
  /** Default: a new UUID. The caller may choose it to name evidence files before the row exists. */
  id?: string;
  cameraId: string;
  observedAt: Date;
  kind: SightingKind;
  trackId?: string | null;
  label?: string | null;
  score: number;
  box?: Box | null;
  plate?: SightingPlateInput | null;
  quality?: number | null;
  attributes?: Record<string, unknown>;
  /** Default 'final'. */
  stage?: SightingStage;
  cropPath?: string | null;
  framePath?: string | null;
  /** Faces: stored in face_embeddings (owner 'sighting', this id) in the same transaction. */
  embedding?: SightingEmbeddingInput | null;
}

/** What `refine` may change; fields left undefined stay as they are. */
export interface SightingChanges {
  score?: number;
  box?: Box | null;
  label?: string | null;
  plate?: SightingPlateInput;
  quality?: number | null;
  /** Merged into the stored attributes (top-level keys replaced). */
  attributes?: Record<string, unknown>;
  stage?: SightingStage;
  cropPath?: string | null;
  framePath?: string | null;
  /** Replaces the sighting's stored embedding(s), in the same transaction. */
  embedding?: SightingEmbeddingInput;
}

export interface SightingSearch {
  cameraIds?: readonly string[];
  kind?: SightingKind;
  /** Normalised plate text and how it matches. */
  plate?: { text: string; mode: PlateMatchMode };
  plateColour?: PlateColour;
  label?: string;
  stage?: SightingStage;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
  minScore?: number;
  /** 1..500. */
  limit: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

export interface SightingSearchResult {
  items: SightingRecord[];
  nextCursor: string | null;
  fuzzy: 'trigram' | 'substitution' | null;
}

export interface SightingCountFilter {
  /** Inclusive. */
  from: Date;
  /** Exclusive. */
  to: Date;
  cameraIds?: readonly string[];
  kind?: SightingKind;
}

/** Smallest plate text a fuzzy search accepts (shorter ones would match nearly everything). */
export const FUZZY_MIN_LENGTH = 3;
const MAX_LIMIT = 500;
const CURSOR_RE = /^(\d{1,20})_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

type RowWithCamera = SightingRow & { camera_name: string | null };

function toBox(value: unknown): Box | null {
  return Array.isArray(value) && value.length === 4 && value.every((v) => typeof v === 'number') ? (value as Box) : null;
}

export interface TrajectoryRecord {
  sighting: SightingRecord;
  siteId: string | null;
  siteName: string | null;
  latitude: number | null;
  longitude: number | null;
}

function toRecord(row: RowWithCamera): SightingRecord {
  return {
    id: row.id,
    cameraId: row.camera_id,
    cameraName: row.camera_name,
    observedAt: iso(row.observed_at),
    kind: row.kind as SightingKind,
    trackId: row.track_id,
    label: row.label,
    score: Number(row.score),
    box: toBox(row.box),
    plate:
      row.plate_text === null
        ? null
        : { text: row.plate_text, colour: (row.plate_colour as PlateColour | null) ?? null, layers: row.plate_layers === 1 || row.plate_layers === 2 ? row.plate_layers : null },
    quality: row.quality === null ? null : Number(row.quality),
    attributes: (row.attributes as Record<string, unknown> | null) ?? {},
    stage: row.stage as SightingStage,
    cropPath: row.crop_path,
    framePath: row.frame_path,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

/** `\`, `%` and `_` taken literally in a LIKE pattern (backslash is PostgreSQL's default escape). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** A plate pattern with `*` (any run) and `?` (one character) as a LIKE pattern, everything else literal. */
export function wildcardToLike(pattern: string): string {
  return [...pattern].map((c) => (c === '*' ? '%' : c === '?' ? '_' : escapeLike(c))).join('');
}

/** Contains-patterns that let exactly one character of `text` be anything (the fuzzy search without pg_trgm). */
export function substitutionPatterns(text: string): string[] {
  const chars = [...text];
  return chars.map((_, i) => `%${chars.map((c, j) => (j === i ? '_' : escapeLike(c))).join('')}%`);
}

function encodeCursor(observedMicros: string, id: string): string {
  return `${observedMicros}_${id}`;
}

/**
 * Plate reads, faces and objects (the `sightings` table, range-partitioned by observed_at: a
 * sighting is identified by id and observed_at together; lookups by id alone work, through the
 * primary-key index of every partition).
 *
 * `trgm`: the database has pg_trgm (fuzzy plate search by trigram similarity, index-backed);
 * `vector`: pgvector is in use (for the face embeddings stored with face sightings).
 */
export class SightingsRepository {
  private readonly trgm: boolean;
  private readonly vector: boolean;

  constructor(
    private readonly db: Kysely<Database>,
    options: { trgm: boolean; vector: boolean },
  ) {
    this.trgm = options.trgm;
    this.vector = options.vector;
  }

  private withCamera(db: Kysely<Database>) {
    return db.selectFrom('sightings as s').leftJoin('cameras as c', 'c.id', 's.camera_id').selectAll('s').select('c.name as camera_name');
  }

  private async read(db: Kysely<Database>, id: string, observedAt: Date): Promise<SightingRecord | undefined> {
    const row = await this.withCamera(db).where('s.id', '=', id).where('s.observed_at', '=', observedAt).executeTakeFirst();
    return row && toRecord(row);
  }

  /**
   * Store a sighting; a face sighting's embedding goes to face_embeddings in the same transaction.
   * A camera that does not exist is a ValidationError (cameraId). Idempotent per (id, observedAt):
   * when that sighting is stored already (an earlier attempt committed but its reply was lost), the
   * stored row is returned and nothing is written.
   */
  async create(input: NewSighting): Promise<SightingRecord> {
    const id = input.id ?? randomUUID();
    try {
      return await this.db.transaction().execute(async (trx) => {
        const inserted = await trx
          .insertInto('sightings')
          .values({
            id,
            observed_at: input.observedAt,
            camera_id: input.cameraId,
            kind: input.kind,
            track_id: input.trackId ?? null,
            label: input.label ?? null,
            score: input.score,
            box: JSON.stringify(input.box ?? {}),
            plate_text: input.plate?.text ?? null,
            plate_colour: input.plate?.colour ?? null,
            plate_layers: input.plate?.layers ?? null,
            quality: input.quality ?? null,
            crop_path: input.cropPath ?? null,
            frame_path: input.framePath ?? null,
            attributes: JSON.stringify(input.attributes ?? {}),
            stage: input.stage ?? 'final',
          })
          .onConflict((oc) => oc.columns(['id', 'observed_at']).doNothing())
          .returning('id')
          .executeTakeFirst();
        if (inserted && input.embedding) await this.embeddings(trx).add({ ownerKind: 'sighting', ownerId: id, model: input.embedding.model, embedding: [...input.embedding.values] });
        return (await this.read(trx, id, input.observedAt))!;
      });
    } catch (err) {
      if (isPgError(err, PG_FOREIGN_KEY_VIOLATION)) {
        throw new ValidationError(`Camera ${input.cameraId} does not exist.`, [{ path: 'cameraId', message: 'no such camera' }]);
      }
      throw err;
    }
  }

  /**
   * Change a stored sighting in place (an early read refined when its track ended). Returns
   * undefined when there is no sighting with this id and observedAt. updated_at moves.
   */
  async refine(id: string, observedAt: Date, changes: SightingChanges): Promise<SightingRecord | undefined> {
    return this.db.transaction().execute(async (trx) => {
      // New content: to be matched against the watchlists again (migration 0010).
      const set: Record<string, unknown> = { updated_at: sql`now()`, matched_at: null };
      if (changes.score !== undefined) set.score = changes.score;
      if (changes.box !== undefined) set.box = JSON.stringify(changes.box ?? {});
      if (changes.label !== undefined) set.label = changes.label;
      if (changes.plate !== undefined) {
        set.plate_text = changes.plate.text;
        if (changes.plate.colour !== undefined) set.plate_colour = changes.plate.colour;
        if (changes.plate.layers !== undefined) set.plate_layers = changes.plate.layers;
      }
      if (changes.quality !== undefined) set.quality = changes.quality;
      if (changes.attributes !== undefined) set.attributes = sql`attributes || ${JSON.stringify(changes.attributes)}::jsonb`;
      if (changes.stage !== undefined) set.stage = changes.stage;
      if (changes.cropPath !== undefined) set.crop_path = changes.cropPath;
      if (changes.framePath !== undefined) set.frame_path = changes.framePath;
      const updated = await trx
        .updateTable('sightings')
        .set(set)
        .where('id', '=', id)
        .where('observed_at', '=', observedAt)
        .returning('id')
        .executeTakeFirst();
      if (!updated) return undefined;
      if (changes.embedding) {
        const embeddings = this.embeddings(trx);
        await embeddings.deleteByOwner('sighting', id);
        await embeddings.add({ ownerKind: 'sighting', ownerId: id, model: changes.embedding.model, embedding: [...changes.embedding.values] });
      }
      return this.read(trx, id, observedAt);
    });
  }

  /**
   * Sightings whose watchlist matching has not finished (matched_at null), updated in [since, before),
   * oldest first, with a face sighting's embedding. The recovery sweep after a crash or an outage.
   */
  async listUnmatched(opts: { since: Date; before: Date; limit: number }): Promise<Array<{ record: SightingRecord; face: { model: string; embedding: number[] } | null }>> {
    const rows = await this.withCamera(this.db)
      .leftJoin('face_embeddings as fe', (j) => j.onRef('fe.owner_id', '=', 's.id').on('fe.owner_kind', '=', 'sighting'))
      .select(['fe.model as fe_model', 'fe.embedding as fe_embedding'])
      .where('s.matched_at', 'is', null)
      .where('s.updated_at', '>=', opts.since)
      .where('s.updated_at', '<', opts.before)
      .orderBy('s.updated_at')
      .orderBy('s.id')
      .limit(opts.limit)
      .execute();
    return rows.map((row) => ({
      record: toRecord(row),
      face: row.fe_model && Array.isArray(row.fe_embedding) ? { model: row.fe_model, embedding: row.fe_embedding.map(Number) } : null,
    }));
  }

  /**
   * Watchlist matching finished for this sighting as it was at `seenUpdatedAt` (its updatedAt when it
   * was matched): a refinement stored meanwhile (a later updated_at) keeps it unmatched.
   */
  async markMatched(id: string, observedAt: Date, seenUpdatedAt: Date): Promise<boolean> {
    const r = await this.db
      .updateTable('sightings')
      .set({ matched_at: sql`now()` })
      .where('id', '=', id)
      .where('observed_at', '=', observedAt)
      .where(sql<SqlBool>`date_trunc('milliseconds', updated_at) <= ${seenUpdatedAt}`)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** By id (and observedAt, which narrows the lookup to one partition, when known). */
  async findById(id: string, observedAt?: Date): Promise<SightingRecord | undefined> {
    let q = this.withCamera(this.db).where('s.id', '=', id);
    if (observedAt) q = q.where('s.observed_at', '=', observedAt);
    const row = await q.orderBy('s.observed_at', 'desc').limit(1).executeTakeFirst();
    return row && toRecord(row);
  }

  /**
   * Newest first (observed_at, then id, descending), keyset-paged: `nextCursor` continues after the
   * last item. Filters combine with AND.
   */
  async search(query: SightingSearch): Promise<SightingSearchResult> {
    const limit = Math.min(Math.max(Math.trunc(query.limit), 1), MAX_LIMIT);
    let fuzzy: SightingSearchResult['fuzzy'] = null;
    let q = this.withCamera(this.db).select(sql<string>`(extract(epoch from s.observed_at) * 1000000)::bigint::text`.as('observed_us'));
    if (query.cameraIds !== undefined) {
      if (query.cameraIds.length === 0) return { items: [], nextCursor: null, fuzzy };
      q = q.where('s.camera_id', 'in', [...query.cameraIds]);
    }
    if (query.kind !== undefined) q = q.where('s.kind', '=', query.kind);
    if (query.plateColour !== undefined) q = q.where('s.plate_colour', '=', query.plateColour);
    if (query.label !== undefined) q = q.where('s.label', '=', query.label);
    if (query.stage !== undefined) q = q.where('s.stage', '=', query.stage);
    if (query.from !== undefined) q = q.where('s.observed_at', '>=', query.from);
    if (query.to !== undefined) q = q.where('s.observed_at', '<', query.to);
    if (query.minScore !== undefined) q = q.where('s.score', '>=', query.minScore);
    if (query.plate !== undefined) {
      const { text, mode } = query.plate;
      if (mode === 'fuzzy') fuzzy = this.trgm ? 'trigram' : 'substitution';
      q = q.where(this.plateCondition(text, mode));
    }
    if (query.cursor !== undefined) {
      const m = CURSOR_RE.exec(query.cursor);
      if (!m) throw new ValidationError('The cursor is not one this search returned.', [{ path: 'cursor', message: 'invalid cursor' }]);
      const at = sql<Date>`timestamptz 'epoch' + (${m[1]!} || ' microseconds')::interval`;
      q = q.where(sql<SqlBool>`(s.observed_at, s.id) < (${at}, ${m[2]!}::uuid)`);
    }
    const rows = await q
      .orderBy('s.observed_at', 'desc')
      .orderBy('s.id', 'desc')
      .limit(limit + 1)
      .execute();
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toRecord),
      nextCursor: rows.length > limit && last ? encodeCursor(last.observed_us, last.id) : null,
      fuzzy,
    };
  }

  /**
   * One plate's reads in time order (oldest first), with where each was seen: the camera's position,
   * else its site's. Uses the plate_text index; at most `limit` points (the oldest ones; `truncated`
   * says more exist).
   */
  async trajectory(plate: string, opts: { from?: Date; to?: Date; limit: number }): Promise<{ points: TrajectoryRecord[]; truncated: boolean }> {
    let q = this.withCamera(this.db)
      .leftJoin('sites as site', 'site.id', 'c.site_id')
      .select(['c.site_id as t_site_id', 'site.name as t_site_name', 'c.latitude as t_cam_lat', 'c.longitude as t_cam_lon', 'site.latitude as t_site_lat', 'site.longitude as t_site_lon'])
      .where('s.plate_text', '=', plate)
      .where('s.kind', '=', 'plate');
    if (opts.from) q = q.where('s.observed_at', '>=', opts.from);
    if (opts.to) q = q.where('s.observed_at', '<', opts.to);
    const rows = await q.orderBy('s.observed_at', 'asc').orderBy('s.id', 'asc').limit(opts.limit + 1).execute();
    const points = rows.slice(0, opts.limit).map((row) => {
      const camPos = row.t_cam_lat !== null && row.t_cam_lon !== null;
      return {
        sighting: toRecord(row),
        siteId: row.t_site_id,
        siteName: row.t_site_name,
        latitude: camPos ? Number(row.t_cam_lat) : row.t_site_lat !== null ? Number(row.t_site_lat) : null,
        longitude: camPos ? Number(row.t_cam_lon) : row.t_site_lon !== null ? Number(row.t_site_lon) : null,
      };
    });
    return { points, truncated: rows.length > opts.limit };
  }

  /**
   * Face sightings most similar to an embedding (cosine, most similar first), over the whole history
   * or a time range and some cameras. With pgvector the order comes from the vector column (its index
   * where there is one); without it, an exact scan in SQL. Only embeddings of `model` are compared.
   */
  async faceSearch(
    embedding: readonly number[],
    opts: { model: string; k: number; from?: Date; to?: Date; cameraIds?: readonly string[]; minScore?: number },
  ): Promise<{ items: Array<{ sighting: SightingRecord; score: number }>; method: 'pgvector' | 'exact' }> {
    const q = normalizeEmbedding(embedding, 'embedding');
    if (opts.cameraIds !== undefined && opts.cameraIds.length === 0) return { items: [], method: this.vector ? 'pgvector' : 'exact' };
    const literal = `[${q.join(',')}]`;
    const score = this.vector
      ? sql<number>`1 - (fe.vec <=> ${literal}::vector)`
      : sql<number>`(select sum(p.e::float8 * p.q) / nullif(sqrt(sum(p.e::float8 * p.e::float8)), 0)
                      from unnest(fe.embedding, ${q}::float8[]) as p(e, q))`;
    let query = this.withCamera(this.db)
      .innerJoin('face_embeddings as fe', (j) => j.onRef('fe.owner_id', '=', 's.id').on('fe.owner_kind', '=', 'sighting'))
      .select(score.as('face_score'))
      .where('s.kind', '=', 'face')
      .where('fe.model', '=', opts.model)
      .where('fe.dims', '=', q.length);
    if (opts.from) query = query.where('s.observed_at', '>=', opts.from);
    if (opts.to) query = query.where('s.observed_at', '<', opts.to);
    if (opts.cameraIds) query = query.where('s.camera_id', 'in', [...opts.cameraIds]);
    if (opts.minScore !== undefined) query = query.where(score, '>=', opts.minScore);
    const ordered = this.vector ? query.orderBy(sql`fe.vec <=> ${literal}::vector`) : query.orderBy(score, 'desc');
    const rows = await ordered.orderBy('s.id').limit(opts.k).execute();
    return { items: rows.map((row) => ({ sighting: toRecord(row), score: Number(row.face_score) })), method: this.vector ? 'pgvector' : 'exact' };
  }

  private plateCondition(text: string, mode: PlateMatchMode): Expression<SqlBool> {
    switch (mode) {
      case 'exact':
        return sql<SqlBool>`s.plate_text = ${text}`;
      case 'prefix':
        return sql<SqlBool>`s.plate_text like ${`${escapeLike(text)}%`}`;
      case 'contains':
        return sql<SqlBool>`s.plate_text like ${`%${escapeLike(text)}%`}`;
      case 'wildcard': {
        const literal = text.replace(/[*?]/g, '');
        if (literal.length === 0) throw new ValidationError('A wildcard plate search needs at least one character besides * and ?.', [{ path: 'plate', message: 'only wildcards' }]);
        return sql<SqlBool>`s.plate_text like ${wildcardToLike(text)}`;
      }
      case 'fuzzy': {
        if ([...text].length < FUZZY_MIN_LENGTH) {
          throw new ValidationError(`A fuzzy plate search needs at least ${FUZZY_MIN_LENGTH} characters.`, [{ path: 'plate', message: `at least ${FUZZY_MIN_LENGTH} characters for fuzzy` }]);
        }
        // Trigram similarity (pg_trgm's % operator, threshold pg_trgm.similarity_threshold, 0.3 by
        // default) or containing the text: both use the trigram GIN index.
        if (this.trgm) return sql<SqlBool>`(s.plate_text % ${text} or s.plate_text like ${`%${escapeLike(text)}%`})`;
        return sql<SqlBool>`s.plate_text like any(${substitutionPatterns(text)}::text[])`;
      }
    }
  }

  /** Counts per whole UTC hour and kind in [from, to); hours without sightings are absent. */
  async hourlyCounts(filter: SightingCountFilter): Promise<Array<{ at: Date; kind: SightingKind; count: number }>> {
    let q = this.db
      .selectFrom('sightings')
      .select([sql<Date>`date_bin('1 hour', observed_at, timestamptz '2000-01-01 00:00:00+00')`.as('at'), 'kind', (eb) => eb.fn.countAll().as('n')])
      .where('observed_at', '>=', filter.from)
      .where('observed_at', '<', filter.to);
    if (filter.cameraIds !== undefined) {
      if (filter.cameraIds.length === 0) return [];
      q = q.where('camera_id', 'in', [...filter.cameraIds]);
    }
    if (filter.kind !== undefined) q = q.where('kind', '=', filter.kind);
    const rows = await q.groupBy(['at', 'kind']).orderBy('at').execute();
    return rows.map((r) => ({ at: r.at instanceof Date ? r.at : new Date(r.at), kind: r.kind as SightingKind, count: toCount(r.n) }));
  }

  /** Counts per camera in [from, to), most first (at most `limit` cameras). */
  async countsByCamera(filter: SightingCountFilter, limit = 50): Promise<Array<{ cameraId: string; cameraName: string | null; count: number }>> {
    let q = this.db
      .selectFrom('sightings as s')
      .leftJoin('cameras as c', 'c.id', 's.camera_id')
      .select(['s.camera_id', 'c.name', (eb) => eb.fn.countAll().as('n')])
      .where('s.observed_at', '>=', filter.from)
      .where('s.observed_at', '<', filter.to);
    if (filter.cameraIds !== undefined) {
      if (filter.cameraIds.length === 0) return [];
      q = q.where('s.camera_id', 'in', [...filter.cameraIds]);
    }
    if (filter.kind !== undefined) q = q.where('s.kind', '=', filter.kind);
    const rows = await q
      .groupBy(['s.camera_id', 'c.name'])
      .orderBy(sql`count(*)`, 'desc')
      .orderBy('s.camera_id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ cameraId: r.camera_id, cameraName: r.name, count: toCount(r.n) }));
  }

  /** Totals per kind in [from, to). */
  async totals(filter: SightingCountFilter): Promise<SightingCounts> {
    const out: SightingCounts = { plate: 0, face: 0, object: 0 };
    for (const r of await this.hourlyCounts(filter)) out[r.kind] += r.count;
    return out;
  }

  private embeddings(trx: Transaction<Database>): FaceEmbeddingsRepository {
    return new FaceEmbeddingsRepository(trx, { vector: this.vector });
  }
}
