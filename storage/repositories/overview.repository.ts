import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import { toCount } from './map.ts';

export interface OverviewCounts {
  /** Open (not closed) incidents per priority. */
  incidentsByPriority: Map<string, number>;
  /** Units per status; on-duty units with no position since `staleBefore` are counted under 'stale'. */
  unitsByStatus: Map<string, number>;
  /** Alerts with status new per level. */
  alertsNewByLevel: Map<string, number>;
  cameras: { total: number; offline: number };
}

export interface HourCount {
  /** Hours since the epoch (UTC) of the bucket. */
  hour: number;
  count: number;
}

const HIDE_COVERT = sql<boolean>`coalesce((detail->'watchlist'->>'covert')::boolean, false) = false`;
const HOUR_OF = (column: string) => sql<number>`floor(extract(epoch from ${sql.ref(column)}) / 3600)`;

/** The command-centre overview's aggregates (counts only; rows never leave). */
export class OverviewRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async counts(options: { staleBefore: Date; hideCovert: boolean }): Promise<OverviewCounts> {
    const [incidents, units, alerts, cameras] = await Promise.all([
      this.db
        .selectFrom('incidents')
        .select(['priority', (eb) => eb.fn.countAll().as('n')])
        .where('status', '!=', 'closed')
        .groupBy('priority')
        .execute(),
      this.db
        .selectFrom('units')
        .select([
          sql<string>`case when status <> 'off_duty' and (position_at is null or position_at < ${options.staleBefore}) then 'stale' else status end`.as('bucket'),
          (eb) => eb.fn.countAll().as('n'),
        ])
        .groupBy('bucket')
        .execute(),
      (() => {
        let q = this.db
          .selectFrom('alerts')
          .select(['level', (eb) => eb.fn.countAll().as('n')])
          .where('status', '=', 'new');
        if (options.hideCovert) q = q.where(HIDE_COVERT);
        return q.groupBy('level').execute();
      })(),
      this.db
        .selectFrom('cameras')
        .select([(eb) => eb.fn.countAll().as('total'), sql<number>`count(*) filter (where status = 'offline')`.as('offline')])
        .executeTakeFirstOrThrow(),
    ]);
    return {
      incidentsByPriority: new Map(incidents.map((r) => [r.priority, toCount(r.n)])),
      unitsByStatus: new Map(units.map((r) => [r.bucket, toCount(r.n)])),
      alertsNewByLevel: new Map(alerts.map((r) => [r.level, toCount(r.n)])),
      cameras: { total: toCount(cameras.total), offline: toCount(cameras.offline) },
    };
  }

  /** Incidents created per UTC hour from `from` (inclusive) to `to` (exclusive). */
  async incidentsPerHour(from: Date, to: Date): Promise<HourCount[]> {
    const rows = await this.db
      .selectFrom('incidents')
      .select([HOUR_OF('created_at').as('hour'), (eb) => eb.fn.countAll().as('n')])
      .where('created_at', '>=', from)
      .where('created_at', '<', to)
      .groupBy('hour')
      .execute();
    return rows.map((r) => ({ hour: Number(r.hour), count: toCount(r.n) }));
  }

  /** Alerts created per UTC hour from `from` (inclusive) to `to` (exclusive). */
  async alertsPerHour(from: Date, to: Date, options: { hideCovert: boolean }): Promise<HourCount[]> {
    let q = this.db
      .selectFrom('alerts')
      .select([HOUR_OF('created_at').as('hour'), (eb) => eb.fn.countAll().as('n')])
      .where('created_at', '>=', from)
      .where('created_at', '<', to);
    if (options.hideCovert) q = q.where(HIDE_COVERT);
    const rows = await q.groupBy('hour').execute();
    return rows.map((r) => ({ hour: Number(r.hour), count: toCount(r.n) }));
  }
}
