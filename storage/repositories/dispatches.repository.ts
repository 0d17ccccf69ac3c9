import { sql, type Kysely, type Transaction } from 'kysely';
import {
  ACTIVE_DISPATCH_STATUSES,
  DISPATCH_TRANSITIONS,
  UNIT_STATUS_FOR_DISPATCH,
  type Dispatch,
  type DispatchAction,
  type DispatchStatus,
  type IncidentPriority,
  type IncidentStatus,
  type UnitStatus,
} from '../../contracts/incidents.ts';
import type { Database } from '../schema.ts';
import { isPgError, PG_UNIQUE_VIOLATION } from '../pg-errors.ts';
import { insertTimeline, type NewTimelineEntry } from './incidents.repository.ts';
import { iso, isoOrNull } from './map.ts';

export interface Actor {
  userId: string | null;
  username: string | null;
}

export type DispatchFailure =
  | { ok: false; reason: 'missing' }
  | { ok: false; reason: 'closed' }
  | { ok: false; reason: 'unit_missing'; unitId: string }
  | { ok: false; reason: 'unit_busy'; callSign: string; status: UnitStatus }
  | { ok: false; reason: 'conflict'; status: DispatchStatus };

/** Which column holds the time a dispatch reached a status. */
const TIME_COLUMN: Partial<Record<DispatchStatus, 'accepted_at' | 'en_route_at' | 'on_scene_at' | 'cleared_at' | 'cancelled_at'>> = {
  accepted: 'accepted_at',
  en_route: 'en_route_at',
  on_scene: 'on_scene_at',
  cleared: 'cleared_at',
  cancelled: 'cancelled_at',
  reassigned: 'cancelled_at',
};

const ACTIVE = [...ACTIVE_DISPATCH_STATUSES] as string[];
type Trx = Transaction<Database>;

/**
 * Bring an incident's status in line with its dispatches (open / dispatched / on_scene; a closed
 * one stays closed), appending the change to the timeline.
 */
async function syncIncidentStatus(trx: Trx, incidentId: string, by: Actor): Promise<void> {
  const inc = await trx.selectFrom('incidents').select('status').where('id', '=', incidentId).executeTakeFirst();
  if (!inc || inc.status === 'closed') return;
  const counts = await trx
    .selectFrom('dispatches')
    .select([
      sql<number>`count(*) filter (where status in ('sent', 'accepted', 'en_route', 'on_scene'))`.as('active'),
      sql<number>`count(*) filter (where on_scene_at is not null)`.as('reached'),
    ])
    .where('incident_id', '=', incidentId)
    .executeTakeFirstOrThrow();
  const to: IncidentStatus = Number(counts.reached) > 0 ? 'on_scene' : Number(counts.active) > 0 ? 'dispatched' : 'open';
  if (to === inc.status) return;
  await trx.updateTable('incidents').set({ status: to }).where('id', '=', incidentId).execute();
  await insertTimeline(trx, incidentId, [{ ...by, kind: 'updated', detail: { status: { from: inc.status, to } } }]);
}

/**
 * Dispatches: units sent to incidents, moved through their states in transactions that also set
 * the unit's status, the incident's status and append to the incident's timeline. One active
 * dispatch per unit (a unique index settles races).
 */
export class DispatchesRepository {
  constructor(private readonly db: Kysely<Database>) {}

  private base() {
    return this.db
      .selectFrom('dispatches as d')
      .innerJoin('units as u', 'u.id', 'd.unit_id')
      .innerJoin('incidents as i', 'i.id', 'd.incident_id')
      .selectAll('d')
      .select(['u.call_sign', 'i.type as incident_type', 'i.priority as incident_priority', 'i.title as incident_title', 'i.address as incident_address', 'i.latitude as incident_lat', 'i.longitude as incident_lon']);
  }

  private async byIds(ids: readonly string[]): Promise<Dispatch[]> {
    if (ids.length === 0) return [];
    const rows = await this.base().where('d.id', 'in', [...ids]).orderBy('d.sent_at').orderBy('u.call_sign').execute();
    return rows.map((r) => ({
      id: r.id,
      incidentId: r.incident_id,
      unitId: r.unit_id,
      callSign: r.call_sign,
      status: r.status as DispatchStatus,
      note: r.note,
      sentAt: iso(r.sent_at),
      sentBy: r.sent_by,
      acceptedAt: isoOrNull(r.accepted_at),
      enRouteAt: isoOrNull(r.en_route_at),
      onSceneAt: isoOrNull(r.on_scene_at),
      clearedAt: isoOrNull(r.cleared_at),
      cancelledAt: isoOrNull(r.cancelled_at),
      overdueAt: isoOrNull(r.overdue_at),
      replacedBy: r.replaced_by,
      updatedAt: iso(r.updated_at),
      updatedBy: r.updated_by,
      incident: {
        type: r.incident_type,
        priority: r.incident_priority as IncidentPriority,
        title: r.incident_title,
        address: r.incident_address,
        location: r.incident_lat !== null && r.incident_lon !== null ? { latitude: r.incident_lat, longitude: r.incident_lon } : null,
      },
    }));
  }

  async get(id: string): Promise<Dispatch | undefined> {
    return (await this.byIds([id]))[0];
  }

  async listForIncident(incidentId: string): Promise<Dispatch[]> {
    const ids = await this.db.selectFrom('dispatches').select('id').where('incident_id', '=', incidentId).execute();
    return this.byIds(ids.map((r) => r.id));
  }

  async listForUnit(unitId: string, activeOnly: boolean): Promise<Dispatch[]> {
    let q = this.db.selectFrom('dispatches').select('id').where('unit_id', '=', unitId);
    if (activeOnly) q = q.where('status', 'in', ACTIVE);
    const ids = await q.orderBy('sent_at', 'desc').limit(200).execute();
    return this.byIds(ids.map((r) => r.id));
  }

  /** Lock the units and check that each is there and available. */
  private async lockAvailable(trx: Trx, unitIds: readonly string[]): Promise<DispatchFailure | { ok: true; callSigns: Map<string, string> }> {
    const units = await trx.selectFrom('units').select(['id', 'call_sign', 'status']).where('id', 'in', [...unitIds]).orderBy('id').forUpdate().execute();
    const byId = new Map(units.map((u) => [u.id, u]));
    for (const id of unitIds) {
      const u = byId.get(id);
      if (!u) return { ok: false, reason: 'unit_missing', unitId: id };
      if (u.status !== 'available') return { ok: false, reason: 'unit_busy', callSign: u.call_sign, status: u.status as UnitStatus };
    }
    return { ok: true, callSigns: new Map(units.map((u) => [u.id, u.call_sign])) };
  }

  /** Send units to an incident (all or none). */
  async create(incidentId: string, unitIds: readonly string[], by: Actor, note: string | null): Promise<{ ok: true; dispatches: Dispatch[] } | DispatchFailure> {
    let done: DispatchFailure | { ok: true; ids: string[] };
    try {
      done = await this.db.transaction().execute(async (trx) => {
        const inc = await trx.selectFrom('incidents').select('status').where('id', '=', incidentId).forUpdate().executeTakeFirst();
        if (!inc) return { ok: false as const, reason: 'missing' as const };
        if (inc.status === 'closed') return { ok: false as const, reason: 'closed' as const };
        const locked = await this.lockAvailable(trx, unitIds);
        if (!locked.ok) return locked;
        const rows = await trx
          .insertInto('dispatches')
          .values(unitIds.map((unitId) => ({ incident_id: incidentId, unit_id: unitId, note, sent_by: by.userId, updated_by: by.userId, sent_at: sql<Date>`clock_timestamp()` })))
          .returning(['id', 'unit_id'])
          .execute();
        await trx.updateTable('units').set({ status: 'dispatched' }).where('id', 'in', [...unitIds]).execute();
        const entries: NewTimelineEntry[] = rows.map((r) => ({
          ...by,
          kind: 'dispatch_created',
          detail: { dispatchId: r.id, unitId: r.unit_id, callSign: locked.callSigns.get(r.unit_id), ...(note ? { note } : {}) },
        }));
        await insertTimeline(trx, incidentId, entries);
        await syncIncidentStatus(trx, incidentId, by);
        return { ok: true as const, ids: rows.map((r) => r.id) };
      });
    } catch (err) {
      // Another dispatch took one of the units between the check and the insert.
      if (isPgError(err, PG_UNIQUE_VIOLATION)) return { ok: false, reason: 'unit_busy', callSign: '?', status: 'dispatched' };
      throw err;
    }
    if (!done.ok) return done;
    return { ok: true, dispatches: await this.byIds(done.ids) };
  }

  /** Move a dispatch on by an action (not reassign), when its status allows it. */
  async act(dispatchId: string, action: Exclude<DispatchAction, 'reassign'>, by: Actor, note: string | null): Promise<{ ok: true; dispatch: Dispatch; from: DispatchStatus } | DispatchFailure> {
    const t = DISPATCH_TRANSITIONS[action];
    const done = await this.db.transaction().execute(async (trx) => {
      const d = await trx.selectFrom('dispatches').selectAll().where('id', '=', dispatchId).forUpdate().executeTakeFirst();
      if (!d) return { ok: false as const, reason: 'missing' as const };
      const from = d.status as DispatchStatus;
      if (!t.from.includes(from)) return { ok: false as const, reason: 'conflict' as const, status: from };
      const column = TIME_COLUMN[t.to];
      await trx
        .updateTable('dispatches')
        .set({ status: t.to, updated_by: by.userId, ...(column ? { [column]: sql<Date>`clock_timestamp()` } : {}) })
        .where('id', '=', dispatchId)
        .execute();
      await trx.updateTable('units').set({ status: UNIT_STATUS_FOR_DISPATCH[t.to] ?? 'available' }).where('id', '=', d.unit_id).execute();
      const unit = await trx.selectFrom('units').select('call_sign').where('id', '=', d.unit_id).executeTakeFirstOrThrow();
      await insertTimeline(trx, d.incident_id, [
        { ...by, kind: 'dispatch_status', detail: { dispatchId, unitId: d.unit_id, callSign: unit.call_sign, action, from, to: t.to, ...(note ? { note } : {}) } },
      ]);
      await syncIncidentStatus(trx, d.incident_id, by);
      return { ok: true as const, from };
    });
    if (!done.ok) return done;
    return { ok: true, dispatch: (await this.get(dispatchId))!, from: done.from };
  }

  /** Replace the unit of an active dispatch (before it is on scene) with another available unit. */
  async reassign(dispatchId: string, unitId: string, by: Actor, note: string | null): Promise<{ ok: true; old: Dispatch; replacement: Dispatch } | DispatchFailure> {
    const t = DISPATCH_TRANSITIONS.reassign;
    let done: DispatchFailure | { ok: true; newId: string };
    try {
      done = await this.db.transaction().execute(async (trx) => {
        const d = await trx.selectFrom('dispatches').selectAll().where('id', '=', dispatchId).forUpdate().executeTakeFirst();
        if (!d) return { ok: false as const, reason: 'missing' as const };
        const from = d.status as DispatchStatus;
        if (!t.from.includes(from)) return { ok: false as const, reason: 'conflict' as const, status: from };
        const locked = await this.lockAvailable(trx, [unitId]);
        if (!locked.ok) return locked;
        const row = await trx
          .insertInto('dispatches')
          .values({ incident_id: d.incident_id, unit_id: unitId, note, sent_by: by.userId, updated_by: by.userId, sent_at: sql<Date>`clock_timestamp()` })
          .returning('id')
          .executeTakeFirstOrThrow();
        await trx
          .updateTable('dispatches')
          .set({ status: 'reassigned', replaced_by: row.id, cancelled_at: sql<Date>`clock_timestamp()`, updated_by: by.userId })
          .where('id', '=', dispatchId)
          .execute();
        await trx.updateTable('units').set({ status: 'available' }).where('id', '=', d.unit_id).execute();
        await trx.updateTable('units').set({ status: 'dispatched' }).where('id', '=', unitId).execute();
        const old = await trx.selectFrom('units').select('call_sign').where('id', '=', d.unit_id).executeTakeFirstOrThrow();
        await insertTimeline(trx, d.incident_id, [
          { ...by, kind: 'dispatch_status', detail: { dispatchId, unitId: d.unit_id, callSign: old.call_sign, action: 'reassign', from, to: 'reassigned', replacedBy: row.id, ...(note ? { note } : {}) } },
          { ...by, kind: 'dispatch_created', detail: { dispatchId: row.id, unitId, callSign: locked.callSigns.get(unitId), replaces: dispatchId, ...(note ? { note } : {}) } },
        ]);
        await syncIncidentStatus(trx, d.incident_id, by);
        return { ok: true as const, newId: row.id };
      });
    } catch (err) {
      if (isPgError(err, PG_UNIQUE_VIOLATION)) return { ok: false, reason: 'unit_busy', callSign: '?', status: 'dispatched' };
      throw err;
    }
    if (!done.ok) return done;
    const [old, replacement] = await Promise.all([this.get(dispatchId), this.get(done.newId)]);
    return { ok: true, old: old!, replacement: replacement! };
  }

  /** Flag dispatches still 'sent' since before `before` (once each), with a timeline entry; returns them. */
  async flagOverdue(before: Date): Promise<Dispatch[]> {
    const ids = await this.db.transaction().execute(async (trx) => {
      const rows = await trx
        .updateTable('dispatches')
        .set({ overdue_at: sql<Date>`clock_timestamp()` })
        .where('status', '=', 'sent')
        .where('overdue_at', 'is', null)
        .where('sent_at', '<', before)
        .returning(['id', 'incident_id', 'unit_id', 'sent_at'])
        .execute();
      for (const r of rows) {
        await insertTimeline(trx, r.incident_id, [
          { userId: null, username: null, kind: 'dispatch_overdue', detail: { dispatchId: r.id, unitId: r.unit_id, sentAt: iso(r.sent_at) } },
        ]);
      }
      return rows.map((r) => r.id);
    });
    return this.byIds(ids);
  }
}
