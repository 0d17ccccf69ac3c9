import { sql, type Kysely, type Selectable } from 'kysely';
import type { AlertLevel, FacePhoto, Watchlist, WatchlistEntry, WatchlistKind } from '../../contracts/watchlists.ts';
import type { Database, WatchlistEntriesTable, WatchlistsTable } from '../schema.ts';
import { iso, isoOrNull, toCount } from './map.ts';

export interface NewWatchlist {
  name: string;
  kind: WatchlistKind;
  level: AlertLevel;
  covert: boolean;
  tolerance: number;
  ignoreProvince: boolean;
  threshold: number | null;
  active: boolean;
  validFrom: Date | null;
  validTo: Date | null;
  ownerId: string | null;
}
export type WatchlistChanges = Partial<Omit<NewWatchlist, 'kind' | 'ownerId'>>;

export interface NewEntry {
  plate: string | null;
  personName: string | null;
  reason: string | null;
  caseNumber: string | null;
  validFrom: Date | null;
  validTo: Date | null;
}
export type EntryChanges = Partial<NewEntry>;

/** What the matchers load: entries of active lists valid now, with their list's settings. */
export interface ActivePlateEntry {
  entryId: string;
  watchlistId: string;
  pattern: string;
  tolerance: number;
  ignoreProvince: boolean;
  reason: string | null;
  caseNumber: string | null;
}
export interface ActiveFaceEmbedding {
  entryId: string;
  watchlistId: string;
  model: string;
  embedding: number[];
  threshold: number | null;
  personName: string | null;
  reason: string | null;
  caseNumber: string | null;
}

type ListRow = Selectable<WatchlistsTable> & { entry_count: unknown };
type EntryRow = Selectable<WatchlistEntriesTable>;

function toWatchlist(r: ListRow): Watchlist {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind as WatchlistKind,
    level: r.level as AlertLevel,
    covert: r.covert,
    tolerance: r.tolerance,
    ignoreProvince: r.ignore_province,
    threshold: r.threshold,
    active: r.active,
    validFrom: isoOrNull(r.valid_from),
    validTo: isoOrNull(r.valid_to),
    ownerId: r.owner_id,
    entryCount: toCount(r.entry_count),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

function photosOf(attributes: Record<string, unknown>): FacePhoto[] {
  const photos = attributes.photos;
  return Array.isArray(photos) ? (photos as FacePhoto[]) : [];
}

function toEntry(r: EntryRow): WatchlistEntry {
  return {
    id: r.id,
    watchlistId: r.watchlist_id,
    plate: r.plate_pattern,
    personName: r.person_name,
    reason: r.reason,
    caseNumber: r.case_number,
    validFrom: isoOrNull(r.valid_from),
    validTo: isoOrNull(r.valid_to),
    createdBy: r.created_by,
    createdAt: iso(r.created_at),
    photos: photosOf(r.attributes),
  };
}

function entryValues(e: EntryChanges) {
  return {
    ...(e.plate !== undefined ? { plate_pattern: e.plate } : {}),
    ...(e.personName !== undefined ? { person_name: e.personName } : {}),
    ...(e.reason !== undefined ? { reason: e.reason } : {}),
    ...(e.caseNumber !== undefined ? { case_number: e.caseNumber } : {}),
    ...(e.validFrom !== undefined ? { valid_from: e.validFrom } : {}),
    ...(e.validTo !== undefined ? { valid_to: e.validTo } : {}),
  };
}

/** Watchlists, their entries (plate patterns or persons) and the persons' face photos (face_embeddings). */
export class WatchlistsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  private lists() {
    return this.db
      .selectFrom('watchlists as w')
      .selectAll('w')
      .select((eb) => eb.selectFrom('watchlist_entries as e').whereRef('e.watchlist_id', '=', 'w.id').select(sql<string>`count(*)`.as('n')).as('entry_count'));
  }

  async list(): Promise<Watchlist[]> {
    const rows = await this.lists().orderBy('w.name').orderBy('w.id').execute();
    return rows.map((r) => toWatchlist(r as ListRow));
  }

  async get(id: string): Promise<Watchlist | undefined> {
    const row = await this.lists().where('w.id', '=', id).executeTakeFirst();
    return row ? toWatchlist(row as ListRow) : undefined;
  }

  async create(w: NewWatchlist): Promise<Watchlist> {
    const { id } = await this.db
      .insertInto('watchlists')
      .values({
        name: w.name,
        kind: w.kind,
        level: w.level,
        covert: w.covert,
        tolerance: w.tolerance,
        ignore_province: w.ignoreProvince,
        threshold: w.threshold,
        active: w.active,
        valid_from: w.validFrom,
        valid_to: w.validTo,
        owner_id: w.ownerId,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return (await this.get(id))!;
  }

  async update(id: string, c: WatchlistChanges): Promise<Watchlist | undefined> {
    const values = {
      ...(c.name !== undefined ? { name: c.name } : {}),
      ...(c.level !== undefined ? { level: c.level } : {}),
      ...(c.covert !== undefined ? { covert: c.covert } : {}),
      ...(c.tolerance !== undefined ? { tolerance: c.tolerance } : {}),
      ...(c.ignoreProvince !== undefined ? { ignore_province: c.ignoreProvince } : {}),
      ...(c.threshold !== undefined ? { threshold: c.threshold } : {}),
      ...(c.active !== undefined ? { active: c.active } : {}),
      ...(c.validFrom !== undefined ? { valid_from: c.validFrom } : {}),
      ...(c.validTo !== undefined ? { valid_to: c.validTo } : {}),
    };
    if (Object.keys(values).length > 0) {
      const r = await this.db.updateTable('watchlists').set(values).where('id', '=', id).executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) return undefined;
    }
    return this.get(id);
  }

  /**
   * Remove a list, or only deactivate it when alerts refer to it (alerts are kept with their list).
   * undefined when there is no such list.
   */
  async remove(id: string): Promise<'deleted' | 'deactivated' | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const found = await trx.selectFrom('watchlists').select('id').where('id', '=', id).forUpdate().executeTakeFirst();
      if (!found) return undefined;
      const referenced = await trx.selectFrom('alerts').select('id').where('watchlist_id', '=', id).limit(1).executeTakeFirst();
      if (referenced) {
        await trx.updateTable('watchlists').set({ active: false }).where('id', '=', id).execute();
        return 'deactivated';
      }
      const entries = trx.selectFrom('watchlist_entries').select('id').where('watchlist_id', '=', id);
      await trx.deleteFrom('face_embeddings').where('owner_kind', '=', 'watchlist_entry').where('owner_id', 'in', entries).execute();
      await trx.deleteFrom('watchlists').where('id', '=', id).execute();
      return 'deleted';
    });
  }

  async listEntries(watchlistId: string, opts: { q?: string; limit: number; offset: number }): Promise<{ items: WatchlistEntry[]; total: number }> {
    let q = this.db.selectFrom('watchlist_entries').where('watchlist_id', '=', watchlistId);
    if (opts.q) {
      const like = `%${opts.q.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
      q = q.where((eb) => eb.or([eb('plate_pattern', 'ilike', like), eb('person_name', 'ilike', like)]));
    }
    const [rows, count] = await Promise.all([
      q.selectAll().orderBy('created_at').orderBy('id').limit(opts.limit).offset(opts.offset).execute(),
      q.select(sql<string>`count(*)`.as('n')).executeTakeFirstOrThrow(),
    ]);
    return { items: rows.map(toEntry), total: toCount(count.n) };
  }

  async getEntry(watchlistId: string, entryId: string): Promise<WatchlistEntry | undefined> {
    const row = await this.db.selectFrom('watchlist_entries').selectAll().where('id', '=', entryId).where('watchlist_id', '=', watchlistId).executeTakeFirst();
    return row ? toEntry(row) : undefined;
  }

  /** Store entries in one transaction: all of them or none. */
  async createEntries(watchlistId: string, entries: readonly NewEntry[], createdBy: string | null): Promise<WatchlistEntry[]> {
    if (entries.length === 0) return [];
    return this.db.transaction().execute(async (trx) => {
      const out: WatchlistEntry[] = [];
      for (let i = 0; i < entries.length; i += 1000) {
        const rows = await trx
          .insertInto('watchlist_entries')
          .values(
            entries.slice(i, i + 1000).map((e) => ({
              watchlist_id: watchlistId,
              plate_pattern: e.plate,
              person_name: e.personName,
              reason: e.reason,
              case_number: e.caseNumber,
              valid_from: e.validFrom,
              valid_to: e.validTo,
              created_by: createdBy,
              attributes: '{}',
            })),
          )
          .returningAll()
          .execute();
        out.push(...rows.map(toEntry));
      }
      await trx.updateTable('watchlists').set({ updated_at: new Date() }).where('id', '=', watchlistId).execute();
      return out;
    });
  }

  async updateEntry(watchlistId: string, entryId: string, c: EntryChanges): Promise<WatchlistEntry | undefined> {
    const values = entryValues(c);
    if (Object.keys(values).length === 0) return this.getEntry(watchlistId, entryId);
    const row = await this.db
      .updateTable('watchlist_entries')
      .set(values)
      .where('id', '=', entryId)
      .where('watchlist_id', '=', watchlistId)
      .returningAll()
      .executeTakeFirst();
    return row ? toEntry(row) : undefined;
  }

  /** Remove an entry and its face photos; alerts keep their copy of its details. */
  async removeEntry(watchlistId: string, entryId: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const r = await trx.deleteFrom('watchlist_entries').where('id', '=', entryId).where('watchlist_id', '=', watchlistId).executeTakeFirst();
      if (Number(r.numDeletedRows) === 0) return false;
      await trx.deleteFrom('face_embeddings').where('owner_kind', '=', 'watchlist_entry').where('owner_id', '=', entryId).execute();
      return true;
    });
  }

  /** Add an enrolled face photo to a person (embedding stored, L2-normalised by the caller). */
  async addPhoto(watchlistId: string, entryId: string, photo: { embedding: number[]; model: string; quality: number }): Promise<WatchlistEntry | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const entry = await trx.selectFrom('watchlist_entries').selectAll().where('id', '=', entryId).where('watchlist_id', '=', watchlistId).forUpdate().executeTakeFirst();
      if (!entry) return undefined;
      const { id, created_at } = await trx
        .insertInto('face_embeddings')
        .values({ owner_kind: 'watchlist_entry', owner_id: entryId, model: photo.model, dims: photo.embedding.length, embedding: photo.embedding })
        .returning(['id', 'created_at'])
        .executeTakeFirstOrThrow();
      const photos = [...photosOf(entry.attributes), { id, quality: photo.quality, model: photo.model, createdAt: iso(created_at) }];
      const row = await trx
        .updateTable('watchlist_entries')
        .set({ attributes: JSON.stringify({ ...entry.attributes, photos }) })
        .where('id', '=', entryId)
        .returningAll()
        .executeTakeFirstOrThrow();
      return toEntry(row);
    });
  }

  /** Plate entries of active lists, the list and the entry both valid at `now`. */
  async activePlateEntries(now: Date): Promise<ActivePlateEntry[]> {
    const rows = await this.db
      .selectFrom('watchlist_entries as e')
      .innerJoin('watchlists as w', 'w.id', 'e.watchlist_id')
      .select(['e.id as entryId', 'w.id as watchlistId', 'e.plate_pattern as pattern', 'w.tolerance', 'w.ignore_province as ignoreProvince', 'e.reason', 'e.case_number as caseNumber'])
      .where('w.kind', '=', 'plate')
      .where('w.active', '=', true)
      .where('e.plate_pattern', 'is not', null)
      .where((eb) => eb.and([valid(eb, 'w', now), valid(eb, 'e', now)]))
      .execute();
    return rows.map((r) => ({ ...r, pattern: r.pattern! }));
  }

  async activeFaceEmbeddings(now: Date): Promise<ActiveFaceEmbedding[]> {
    const rows = await this.db
      .selectFrom('face_embeddings as f')
      .innerJoin('watchlist_entries as e', 'e.id', 'f.owner_id')
      .innerJoin('watchlists as w', 'w.id', 'e.watchlist_id')
      .select(['e.id as entryId', 'w.id as watchlistId', 'f.model', 'f.embedding', 'w.threshold', 'e.person_name as personName', 'e.reason', 'e.case_number as caseNumber'])
      .where('f.owner_kind', '=', 'watchlist_entry')
      .where('w.kind', '=', 'face')
      .where('w.active', '=', true)
      .where((eb) => eb.and([valid(eb, 'w', now), valid(eb, 'e', now)]))
      .execute();
    return rows;
  }

  /** The earliest future validity boundary (a list or entry starting or ending), so matchers reload then. */
  async nextValidityChange(now: Date): Promise<Date | null> {
    const r = await sql<{ at: Date | null }>`
      select min(t) as at from (
        select valid_from as t from watchlists where valid_from > ${now}
        union all select valid_to from watchlists where valid_to > ${now}
        union all select valid_from from watchlist_entries where valid_from > ${now}
        union all select valid_to from watchlist_entries where valid_to > ${now}
      ) x`.execute(this.db);
    const at = r.rows[0]?.at;
    return at ? new Date(at) : null;
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function valid(eb: any, alias: 'w' | 'e', now: Date) {
  return eb.and([
    eb.or([eb(`${alias}.valid_from`, 'is', null), eb(`${alias}.valid_from`, '<=', now)]),
    eb.or([eb(`${alias}.valid_to`, 'is', null), eb(`${alias}.valid_to`, '>', now)]),
  ]);
}
