import { sql, type Kysely, type Selectable } from 'kysely';
import type { AlertActionRecord, AlertStatus, Disposition } from '../../contracts/alerts.ts';
import type { AlertLevel, WatchlistKind } from '../../contracts/watchlists.ts';
import type { AlertsTable, Database } from '../schema.ts';
import { EARTH_RADIUS_METRES } from '../../contracts/geo.ts';
import { receiverKey, type DeliveryReceiver } from './deliveries.repository.ts';
import { iso, isoOrNull } from './map.ts';

/**
 * What an alert keeps of its list, entry and sighting at the time it was raised (the list or entry
 * may change or go later; the sighting's partition may be dropped by retention).
 */
export interface AlertDetail {
  watchlist: { id: string; name: string; covert: boolean };
  entry: { id: string; plate?: string | null; personName?: string | null; reason: string | null; caseNumber: string | null };
  sighting: { id: string; observedAt: string; plateText?: string | null; plateColour?: string | null; score: number | null };
  candidates?: Array<{ entryId: string; personName: string | null; score: number }>;
  cropPath: string | null;
  framePath: string | null;
  misreads?: number;
}

export interface NewAlert {
  kind: WatchlistKind;
  level: AlertLevel;
  watchlistId: string;
  entryId: string;
  sightingId: string;
  sightingObservedAt: Date;
  cameraId: string;
  score: number;
  detail: AlertDetail;
}

export interface AlertRecord {
  id: string;
  seq: number;
  createdAt: string;
  kind: WatchlistKind;
  level: AlertLevel;
  status: AlertStatus;
  disposition: Disposition | null;
  watchlistId: string | null;
  entryId: string | null;
  sightingId: string | null;
  cameraId: string | null;
  cameraName: string | null;
  siteId: string | null;
  siteName: string | null;
  /** The camera's position, else the site's; null when neither has one. */
  location: { latitude: number; longitude: number } | null;
  score: number | null;
  escalatedAt: string | null;
  updatedAt: string;
  detail: AlertDetail;
  actions: AlertActionRecord[];
}

export interface AlertFilter {
  status?: AlertStatus;
  level?: AlertLevel;
  siteId?: string;
  cameraId?: string;
  from?: Date;
  to?: Date;
  /** Leave out covert alerts (users without watchlists.manage). */
  hideCovert?: boolean;
  /** Only alerts whose camera (or, without one, its site) lies within `radiusMetres` of this point. */
  near?: { latitude: number; longitude: number; radiusMetres: number };
}

type Row = Selectable<AlertsTable> & { camera_name: string | null; site_name: string | null; latitude: number | null; longitude: number | null };

/** Where an alert was raised: its camera's position, else its site's. */
const ALERT_LAT = sql<number | null>`case when c.latitude is not null and c.longitude is not null then c.latitude else s.latitude end`;
const ALERT_LON = sql<number | null>`case when c.latitude is not null and c.longitude is not null then c.longitude else s.longitude end`;

/** Great-circle distance in metres from a point to the alert's position (haversine, as contracts/geo.ts). */
function distanceFrom(latitude: number, longitude: number) {
  // Parameters are cast: PostgreSQL would otherwise guess integer from the arithmetic around them.
  const lat = sql`${latitude}::float8`;
  const lon = sql`${longitude}::float8`;
  return sql<number>`2 * ${EARTH_RADIUS_METRES}::float8 * asin(least(1, sqrt(
    power(sin(radians(${ALERT_LAT} - ${lat}) / 2), 2)
    + cos(radians(${lat})) * cos(radians(${ALERT_LAT})) * power(sin(radians(${ALERT_LON} - ${lon}) / 2), 2))))`;
}

/** Alerts (never deleted) and their actions (append-only); the database enforces both. */
export class AlertsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  private base() {
    return this.db
      .selectFrom('alerts as a')
      .leftJoin('cameras as c', 'c.id', 'a.camera_id')
      .leftJoin('sites as s', 's.id', 'a.site_id')
      .selectAll('a')
      .select(['c.name as camera_name', 's.name as site_name', ALERT_LAT.as('latitude'), ALERT_LON.as('longitude')]);
  }

  private async withActions(rows: Row[]): Promise<AlertRecord[]> {
    if (rows.length === 0) return [];
    const actions = await this.db
      .selectFrom('alert_actions as x')
      .leftJoin('users as u', 'u.id', 'x.user_id')
      .select(['x.alert_id', 'x.at', 'x.user_id', 'u.username', 'x.action', 'x.from_status', 'x.to_status', 'x.note'])
      .where(
        'x.alert_id',
        'in',
        rows.map((r) => r.id),
      )
      .orderBy('x.at')
      .orderBy('x.id')
      .execute();
    const byAlert = new Map<string, AlertActionRecord[]>();
    for (const a of actions) {
      const list = byAlert.get(a.alert_id) ?? [];
      list.push({
        at: iso(a.at),
        userId: a.user_id,
        username: a.username ?? null,
        action: a.action,
        fromStatus: a.from_status as AlertStatus | null,
        toStatus: a.to_status as AlertStatus | null,
        note: a.note,
      });
      byAlert.set(a.alert_id, list);
    }
    return rows.map((r) => ({
      id: r.id,
      seq: Number(r.seq),
      createdAt: iso(r.created_at),
      kind: r.kind as WatchlistKind,
      level: r.level as AlertLevel,
      status: r.status as AlertStatus,
      disposition: r.disposition as Disposition | null,
      watchlistId: r.watchlist_id,
      entryId: r.entry_id,
      sightingId: r.sighting_id,
      cameraId: r.camera_id,
      cameraName: r.camera_name,
      siteId: r.site_id,
      siteName: r.site_name,
      location: r.latitude !== null && r.longitude !== null ? { latitude: Number(r.latitude), longitude: Number(r.longitude) } : null,
      score: r.score,
      escalatedAt: isoOrNull(r.escalated_at),
      updatedAt: iso(r.updated_at),
      detail: r.detail as unknown as AlertDetail,
      actions: byAlert.get(r.id) ?? [],
    }));
  }

  /**
   * Store an alert (its site is the camera's site now) unless one exists for this (sighting, entry):
   * then undefined. Concurrent duplicates are settled by the unique index.
   */
  async create(a: NewAlert, deliveries: readonly DeliveryReceiver[] = []): Promise<AlertRecord | undefined> {
    // The alert and its pending deliveries in one transaction: a process killed right after the insert
    // leaves deliveries the sweeper finds, never an alert nobody will deliver.
    const id = await this.db.transaction().execute(async (trx) => {
      const row = await this.insertAlert(trx, a);
      if (row && deliveries.length > 0) {
        await trx
          .insertInto('alert_deliveries')
          .values(deliveries.map((r) => ({ alert_id: row.id, receiver: receiverKey(r) })))
          .onConflict((oc) => oc.columns(['alert_id', 'receiver']).doNothing())
          .execute();
      }
      return row?.id;
    });
    return id ? this.get(id) : undefined;
  }

  private insertAlert(db: Kysely<Database>, a: NewAlert): Promise<{ id: string } | undefined> {
    return db
      .insertInto('alerts')
      .values({
        kind: a.kind,
        level: a.level,
        watchlist_id: a.watchlistId,
        entry_id: a.entryId,
        sighting_id: a.sightingId,
        sighting_observed_at: a.sightingObservedAt,
        camera_id: a.cameraId,
        site_id: (eb) => eb.selectFrom('cameras').select('site_id').where('id', '=', a.cameraId),
        score: a.score,
        detail: JSON.stringify(a.detail),
      })
      .onConflict((oc) => oc.columns(['sighting_id', 'entry_id']).where('sighting_id', 'is not', null).where('entry_id', 'is not', null).doNothing())
      .returning('id')
      .executeTakeFirst();
  }

  /** Entry ids that already have an alert for this sighting. */
  async entriesAlerted(sightingId: string): Promise<Set<string>> {
    const rows = await this.db.selectFrom('alerts').select('entry_id').where('sighting_id', '=', sightingId).execute();
    return new Set(rows.map((r) => r.entry_id).filter((x): x is string => x !== null));
  }

  async get(id: string): Promise<AlertRecord | undefined> {
    const row = await this.base().where('a.id', '=', id).executeTakeFirst();
    return row ? (await this.withActions([row as Row]))[0] : undefined;
  }

  /** Newest first; the cursor is the last seq of the previous page. */
  async list(filter: AlertFilter, page: { limit: number; beforeSeq?: number }): Promise<{ items: AlertRecord[]; nextCursor: string | null }> {
    let q = this.base();
    if (filter.status) q = q.where('a.status', '=', filter.status);
    if (filter.level) q = q.where('a.level', '=', filter.level);
    if (filter.siteId) q = q.where('a.site_id', '=', filter.siteId);
    if (filter.cameraId) q = q.where('a.camera_id', '=', filter.cameraId);
    if (filter.from) q = q.where('a.created_at', '>=', filter.from);
    if (filter.to) q = q.where('a.created_at', '<', filter.to);
    if (filter.hideCovert) q = q.where(sql<boolean>`coalesce((a.detail->'watchlist'->>'covert')::boolean, false) = false`);
    if (filter.near) q = q.where(sql<boolean>`${ALERT_LAT} is not null and ${ALERT_LON} is not null and ${distanceFrom(filter.near.latitude, filter.near.longitude)} <= ${filter.near.radiusMetres}::float8`);
    if (page.beforeSeq !== undefined) q = q.where('a.seq', '<', sql<string>`${page.beforeSeq}`);
    const rows = (await q.orderBy('a.seq', 'desc').limit(page.limit + 1).execute()) as Row[];
    const more = rows.length > page.limit;
    const items = await this.withActions(rows.slice(0, page.limit));
    return { items, nextCursor: more ? String(items[items.length - 1]!.seq) : null };
  }

  /** Alerts created after `seq`, oldest first (replay for a terminal that reconnects). */
  async since(seq: number, filter: { siteId?: string; hideCovert?: boolean }, limit: number): Promise<AlertRecord[]> {
    let q = this.base().where('a.seq', '>', sql<string>`${seq}`);
    if (filter.siteId) q = q.where('a.site_id', '=', filter.siteId);
    if (filter.hideCovert) q = q.where(sql<boolean>`coalesce((a.detail->'watchlist'->>'covert')::boolean, false) = false`);
    const rows = (await q.orderBy('a.seq', 'asc').limit(limit).execute()) as Row[];
    return this.withActions(rows);
  }

  /**
   * Change status (only from one of `from`) and append the action, in one transaction.
   * 'missing' when there is no such alert, 'conflict' (with the current status) when its status
   * is not one of `from`.
   */
  async act(
    id: string,
    action: { action: string; from: readonly AlertStatus[] | null; to: AlertStatus | null; disposition?: Disposition; userId: string | null; note: string | null },
  ): Promise<{ ok: true; alert: AlertRecord } | { ok: false; reason: 'missing' } | { ok: false; reason: 'conflict'; status: AlertStatus }> {
    const done = await this.db.transaction().execute(async (trx) => {
      const current = await trx.selectFrom('alerts').select(['status']).where('id', '=', id).forUpdate().executeTakeFirst();
      if (!current) return { ok: false as const, reason: 'missing' as const };
      const status = current.status as AlertStatus;
      if (action.from && !action.from.includes(status)) return { ok: false as const, reason: 'conflict' as const, status };
      if (action.to) {
        await trx
          .updateTable('alerts')
          .set({ status: action.to, ...(action.disposition ? { disposition: action.disposition } : {}) })
          .where('id', '=', id)
          .execute();
      } else {
        await trx.updateTable('alerts').set({ updated_at: new Date() }).where('id', '=', id).execute();
      }
      await trx
        .insertInto('alert_actions')
        .values({ alert_id: id, user_id: action.userId, action: action.action, from_status: status, to_status: action.to ?? status, note: action.note })
        .execute();
      return { ok: true as const };
    });
    if (!done.ok) return done;
    return { ok: true, alert: (await this.get(id))! };
  }

  /**
   * Mark red/orange alerts still 'new' and created before `before` as escalated (with an action),
   * returning them.
   */
  async escalate(before: Date, levels: readonly AlertLevel[]): Promise<AlertRecord[]> {
    const ids = await this.db.transaction().execute(async (trx) => {
      const rows = await trx
        .updateTable('alerts')
        .set({ escalated_at: new Date() })
        .where('status', '=', 'new')
        .where('escalated_at', 'is', null)
        .where('created_at', '<', before)
        .where('level', 'in', [...levels])
        .returning('id')
        .execute();
      if (rows.length > 0) {
        await trx
          .insertInto('alert_actions')
          .values(rows.map((r) => ({ alert_id: r.id, user_id: null, action: 'escalate', from_status: 'new', to_status: 'new', note: null })))
          .execute();
      }
      return rows.map((r) => r.id);
    });
    if (ids.length === 0) return [];
    const rows = (await this.base().where('a.id', 'in', ids).orderBy('a.seq').execute()) as Row[];
    return this.withActions(rows);
  }
}
