import { sql, type Kysely, type Selectable } from 'kysely';
import type { ManualUnitStatus, UnitKind, UnitPosition, UnitStatus } from '../../contracts/incidents.ts';
import type { Database, UnitsTable } from '../schema.ts';
import { isPgError, PG_FOREIGN_KEY_VIOLATION, PG_UNIQUE_VIOLATION } from '../pg-errors.ts';
import { defined, iso, isoOrNull } from './map.ts';

export interface UnitMember {
  name: string;
  badge?: string;
  phone?: string;
}

export interface UnitRecord {
  id: string;
  callSign: string;
  kind: UnitKind;
  members: UnitMember[];
  capabilities: string[];
  status: UnitStatus;
  latitude: number | null;
  longitude: number | null;
  positionAt: string | null;
  accuracy: number | null;
  userIds: string[];
  activeDispatchId: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface NewUnit {
  callSign: string;
  kind: UnitKind;
  members: UnitMember[];
  capabilities: string[];
  userIds: string[];
  status: ManualUnitStatus;
}

export interface PositionFix {
  unitId: string;
  latitude: number;
  longitude: number;
  accuracy: number | null;
  at: Date;
}

type Row = Selectable<UnitsTable> & { active_dispatch_id: string | null };

function toRecord(r: Row): UnitRecord {
  return {
    id: r.id,
    callSign: r.call_sign,
    kind: r.kind as UnitKind,
    members: Array.isArray(r.members) ? (r.members as UnitMember[]) : [],
    capabilities: r.capabilities,
    status: r.status as UnitStatus,
    latitude: r.latitude,
    longitude: r.longitude,
    positionAt: isoOrNull(r.position_at),
    accuracy: r.position_accuracy,
    userIds: r.user_ids,
    activeDispatchId: r.active_dispatch_id,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

/** Units, their linked users and positions (the current one on the unit, the history in unit_positions). */
export class UnitsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  private base() {
    return this.db
      .selectFrom('units as u')
      .selectAll('u')
      .select((eb) =>
        eb
          .selectFrom('dispatches as d')
          .select('d.id')
          .whereRef('d.unit_id', '=', 'u.id')
          .where('d.status', 'in', ['sent', 'accepted', 'en_route', 'on_scene'])
          .limit(1)
          .as('active_dispatch_id'),
      );
  }

  /** 'conflict' when the call sign is taken. */
  async create(u: NewUnit): Promise<{ ok: true; unit: UnitRecord } | { ok: false; reason: 'conflict' }> {
    try {
      const row = await this.db
        .insertInto('units')
        .values({
          call_sign: u.callSign,
          kind: u.kind,
          members: JSON.stringify(u.members),
          capabilities: u.capabilities,
          user_ids: u.userIds,
          status: u.status,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return { ok: true, unit: (await this.get(row.id))! };
    } catch (err) {
      if (isPgError(err, PG_UNIQUE_VIOLATION)) return { ok: false, reason: 'conflict' };
      throw err;
    }
  }

  async get(id: string): Promise<UnitRecord | undefined> {
    const row = await this.base().where('u.id', '=', id).executeTakeFirst();
    return row ? toRecord(row as Row) : undefined;
  }

  async list(filter: { status?: UnitStatus; kind?: UnitKind; capabilities?: readonly string[] } = {}): Promise<UnitRecord[]> {
    let q = this.base();
    if (filter.status) q = q.where('u.status', '=', filter.status);
    if (filter.kind) q = q.where('u.kind', '=', filter.kind);
    if (filter.capabilities?.length) q = q.where(sql<boolean>`u.capabilities @> ${sql.val([...filter.capabilities])}::text[]`);
    const rows = await q.orderBy('u.call_sign').execute();
    return rows.map((r) => toRecord(r as Row));
  }

  /** Ids of the units a user is linked to. */
  async unitIdsOfUser(userId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('units').select('id').where(sql<boolean>`${userId}::uuid = any(user_ids)`).execute();
    return rows.map((r) => r.id);
  }

  /** Which of these user ids exist. */
  async existingUsers(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.db.selectFrom('users').select('id').where('id', 'in', [...ids]).execute();
    return new Set(rows.map((r) => r.id));
  }

  async update(
    id: string,
    patch: Partial<Pick<NewUnit, 'callSign' | 'kind' | 'members' | 'capabilities' | 'userIds'>>,
  ): Promise<{ ok: true; unit: UnitRecord } | { ok: false; reason: 'missing' | 'conflict' }> {
    const set = defined({
      call_sign: patch.callSign,
      kind: patch.kind,
      members: patch.members ? JSON.stringify(patch.members) : undefined,
      capabilities: patch.capabilities,
      user_ids: patch.userIds,
    });
    try {
      const r = await this.db
        .updateTable('units')
        .set(Object.keys(set).length ? set : { updated_at: new Date() })
        .where('id', '=', id)
        .returning('id')
        .executeTakeFirst();
      if (!r) return { ok: false, reason: 'missing' };
    } catch (err) {
      if (isPgError(err, PG_UNIQUE_VIOLATION)) return { ok: false, reason: 'conflict' };
      throw err;
    }
    return { ok: true, unit: (await this.get(id))! };
  }

  /** 'in_use' when the unit has dispatches (keep it for the record: set it off duty). */
  async delete(id: string): Promise<'deleted' | 'missing' | 'in_use'> {
    try {
      const r = await this.db.deleteFrom('units').where('id', '=', id).returning('id').executeTakeFirst();
      return r ? 'deleted' : 'missing';
    } catch (err) {
      if (isPgError(err, PG_FOREIGN_KEY_VIOLATION)) return 'in_use';
      throw err;
    }
  }

  /** Set a manual status, only from one of `from`; otherwise the current status. */
  async setStatus(
    id: string,
    to: ManualUnitStatus,
    allowedFrom: (status: UnitStatus) => boolean,
  ): Promise<{ ok: true; unit: UnitRecord; from: UnitStatus } | { ok: false; reason: 'missing' } | { ok: false; reason: 'conflict'; status: UnitStatus }> {
    const done = await this.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('units').select('status').where('id', '=', id).forUpdate().executeTakeFirst();
      if (!row) return { ok: false as const, reason: 'missing' as const };
      const from = row.status as UnitStatus;
      if (!allowedFrom(from)) return { ok: false as const, reason: 'conflict' as const, status: from };
      await trx.updateTable('units').set({ status: to }).where('id', '=', id).execute();
      return { ok: true as const, from };
    });
    if (!done.ok) return done;
    return { ok: true, unit: (await this.get(id))!, from: done.from };
  }

  /**
   * Store position fixes: every fix goes to the history; a unit's current position moves only to a
   * fix newer than the one it has (fixes may arrive out of order). Returns the ids of the units whose
   * current position moved; unknown unit ids are left out and returned as `unknown`.
   */
  async recordPositions(fixes: readonly PositionFix[]): Promise<{ moved: string[]; unknown: string[] }> {
    if (fixes.length === 0) return { moved: [], unknown: [] };
    const ids = [...new Set(fixes.map((f) => f.unitId))];
    const known = new Set((await this.db.selectFrom('units').select('id').where('id', 'in', ids).execute()).map((r) => r.id));
    const kept = fixes.filter((f) => known.has(f.unitId));
    const moved = new Set<string>();
    if (kept.length > 0) {
      await this.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('unit_positions')
          .values(kept.map((f) => ({ unit_id: f.unitId, at: f.at, latitude: f.latitude, longitude: f.longitude, accuracy: f.accuracy })))
          .execute();
        // The newest fix of each unit in this batch.
        const newest = new Map<string, PositionFix>();
        for (const f of kept) {
          const cur = newest.get(f.unitId);
          if (!cur || f.at > cur.at) newest.set(f.unitId, f);
        }
        for (const f of newest.values()) {
          const r = await trx
            .updateTable('units')
            .set({ latitude: f.latitude, longitude: f.longitude, position_accuracy: f.accuracy, position_at: f.at })
            .where('id', '=', f.unitId)
            .where((eb) => eb.or([eb('position_at', 'is', null), eb('position_at', '<=', f.at)]))
            .returning('id')
            .executeTakeFirst();
          if (r) moved.add(r.id);
        }
      });
    }
    return { moved: [...moved], unknown: ids.filter((id) => !known.has(id)) };
  }

  /**
   * One fix of a unit known to exist (a tablet's report): history row and current position in one
   * statement. True when it became the unit's position (false: older than the position it has).
   */
  async recordPosition(fix: PositionFix): Promise<boolean> {
    const moved = await sql<{ id: string }>`
      with history as (
        insert into unit_positions (unit_id, at, latitude, longitude, accuracy)
        values (${fix.unitId}, ${fix.at}, ${fix.latitude}, ${fix.longitude}, ${fix.accuracy})
      )
      update units set latitude = ${fix.latitude}, longitude = ${fix.longitude}, position_accuracy = ${fix.accuracy}, position_at = ${fix.at}
      where id = ${fix.unitId} and (position_at is null or position_at <= ${fix.at})
      returning id`.execute(this.db);
    return moved.rows.length > 0;
  }

  /** A unit's track, oldest first. */
  async track(unitId: string, range: { from?: Date; to?: Date; limit: number }): Promise<UnitPosition[]> {
    let q = this.db.selectFrom('unit_positions').selectAll().where('unit_id', '=', unitId);
    if (range.from) q = q.where('at', '>=', range.from);
    if (range.to) q = q.where('at', '<', range.to);
    const rows = await q.orderBy('at', 'desc').orderBy('id', 'desc').limit(range.limit).execute();
    return rows.reverse().map((r) => ({ latitude: r.latitude, longitude: r.longitude, at: iso(r.at), accuracy: r.accuracy }));
  }

}
