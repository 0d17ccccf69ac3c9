import { z } from 'zod';
import { INCIDENT_PRIORITIES, UNIT_STATUSES } from './incidents.ts';
import { ALERT_LEVELS } from './watchlists.ts';

/** One hour of the command-centre chart: incidents and alerts created in it. */
export const overviewHourSchema = z.object({
  /** Start of the hour (a whole UTC hour), ISO 8601. */
  at: z.string(),
  incidents: z.number().int(),
  alerts: z.number().int(),
});
export type OverviewHour = z.infer<typeof overviewHourSchema>;

const countsOf = <T extends string>(keys: readonly T[]) => z.object(Object.fromEntries(keys.map((k) => [k, z.number().int()])) as Record<T, z.ZodNumber>);

/**
 * The command-centre overview. A section is null when the caller's roles may not see it
 * (incidents and units need incidents.view, alerts alerts.view; covert alerts are counted only for
 * the roles that manage watchlists).
 */
export const overviewSchema = z.object({
  generatedAt: z.string(),
  /** Incidents not closed, by priority. */
  incidents: countsOf(INCIDENT_PRIORITIES).extend({ total: z.number().int() }).nullable(),
  /**
   * Units by status. A unit that is on duty (any status but off_duty) and stale (no position for
   * dispatch.staleAfterSeconds) is counted under `stale` instead of its status.
   */
  units: countsOf(UNIT_STATUSES).extend({ stale: z.number().int(), total: z.number().int() }).nullable(),
  /** Alerts awaiting acknowledgement (status new), by level. */
  alertsAwaiting: countsOf(ALERT_LEVELS).extend({ total: z.number().int() }).nullable(),
  cameras: z.object({ total: z.number().int(), offline: z.number().int() }),
  /** 24 hours, oldest first, the last being the current hour. Counts the caller may not see are 0. */
  hours: z.array(overviewHourSchema),
});
export type Overview = z.infer<typeof overviewSchema>;
