import { INCIDENT_PRIORITIES, UNIT_STATUSES } from '../../../contracts/incidents.ts';
import type { Overview, OverviewHour } from '../../../contracts/overview.ts';
import { hasPermission } from '../../../contracts/roles.ts';
import { ALERT_LEVELS } from '../../../contracts/watchlists.ts';
import type { HourCount, OverviewRepository } from '../../../storage/repositories/overview.repository.ts';
import type { Principal } from './auth.service.ts';

const HOUR_MS = 3_600_000;
export const OVERVIEW_HOURS = 24;

function countsOf<K extends string>(keys: readonly K[], map: ReadonlyMap<string, number>): Record<K, number> & { total: number } {
  const out = Object.fromEntries(keys.map((k) => [k, map.get(k) ?? 0])) as Record<K, number>;
  return { ...out, total: keys.reduce((sum, k) => sum + out[k], 0) };
}

/** Fills the 24 hourly buckets (the last is the current hour), empty hours included. */
export function hourBuckets(now: Date, incidents: readonly HourCount[], alerts: readonly HourCount[]): OverviewHour[] {
  const current = Math.floor(now.getTime() / HOUR_MS);
  const byHour = (rows: readonly HourCount[]) => new Map(rows.map((r) => [r.hour, r.count]));
  const inc = byHour(incidents);
  const al = byHour(alerts);
  return Array.from({ length: OVERVIEW_HOURS }, (_, i) => {
    const hour = current - (OVERVIEW_HOURS - 1) + i;
    return { at: new Date(hour * HOUR_MS).toISOString(), incidents: inc.get(hour) ?? 0, alerts: al.get(hour) ?? 0 };
  });
}

/**
 * The command-centre overview: open incidents by priority, units by status (stale apart), alerts
 * awaiting acknowledgement, cameras offline and the last 24 hours of incidents and alerts, each
 * computed by an SQL aggregate. What a role may not see is null (or 0 in the hours).
 */
export class OverviewService {
  constructor(
    private readonly deps: {
      overview: OverviewRepository;
      config: { staleAfterSeconds: number };
      now?: () => Date;
    },
  ) {}

  async get(actor: Principal): Promise<Overview> {
    const now = this.deps.now?.() ?? new Date();
    const seesIncidents = hasPermission(actor.roles, 'incidents.view');
    const seesAlerts = hasPermission(actor.roles, 'alerts.view');
    const hideCovert = !hasPermission(actor.roles, 'watchlists.manage');
    const to = new Date((Math.floor(now.getTime() / HOUR_MS) + 1) * HOUR_MS);
    const from = new Date(to.getTime() - OVERVIEW_HOURS * HOUR_MS);
    const [counts, incidentHours, alertHours] = await Promise.all([
      this.deps.overview.counts({ staleBefore: new Date(now.getTime() - this.deps.config.staleAfterSeconds * 1000), hideCovert }),
      seesIncidents ? this.deps.overview.incidentsPerHour(from, to) : Promise.resolve([]),
      seesAlerts ? this.deps.overview.alertsPerHour(from, to, { hideCovert }) : Promise.resolve([]),
    ]);
    const units = countsOf(UNIT_STATUSES, counts.unitsByStatus);
    const stale = counts.unitsByStatus.get('stale') ?? 0;
    return {
      generatedAt: now.toISOString(),
      incidents: seesIncidents ? countsOf(INCIDENT_PRIORITIES, counts.incidentsByPriority) : null,
      units: seesIncidents ? { ...units, stale, total: units.total + stale } : null,
      alertsAwaiting: seesAlerts ? countsOf(ALERT_LEVELS, counts.alertsNewByLevel) : null,
      cameras: counts.cameras,
      hours: hourBuckets(now, incidentHours, alertHours),
    };
  }
}
