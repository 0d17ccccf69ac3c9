import type { Alert, AlertLevel, AlertStatus } from './alert-types.ts';

/**
 * Pure list logic shared by the checkpoint terminal and the alert feed: alerts kept newest first,
 * one row per id whatever path it arrived by (first load, socket push, replay after a reconnect),
 * and the highest `seq` seen, from which a reconnecting terminal asks what it missed.
 */

/** Insert or replace by id; the list stays ordered by creation (newest first), ties by seq. */
export function mergeAlerts(list: readonly Alert[], incoming: readonly Alert[]): Alert[] {
  if (incoming.length === 0) return list as Alert[];
  const byId = new Map(list.map((a) => [a.id, a]));
  for (const alert of incoming) {
    const known = byId.get(alert.id);
    // An older copy (a replayed creation after an update already arrived) must not win.
    if (known && actionCount(known) > actionCount(alert)) continue;
    byId.set(alert.id, alert);
  }
  return [...byId.values()].sort(newestFirst);
}

function actionCount(alert: Alert): number {
  return alert.actions?.length ?? 0;
}

export function newestFirst(a: Alert, b: Alert): number {
  const t = Date.parse(b.createdAt) - Date.parse(a.createdAt);
  return t !== 0 ? t : b.seq - a.seq;
}

export function maxSeq(alerts: readonly Alert[], start = 0): number {
  return alerts.reduce((m, a) => (typeof a.seq === 'number' && a.seq > m ? a.seq : m), start);
}

export type LevelCounts = Record<AlertLevel, number>;

export function countByLevel(alerts: readonly Alert[]): LevelCounts {
  const counts: LevelCounts = { red: 0, orange: 0, yellow: 0, blue: 0 };
  for (const a of alerts) counts[a.level] += 1;
  return counts;
}

export interface AlertFilter {
  status?: AlertStatus | '';
  level?: AlertLevel | '';
  siteId?: string;
  from?: Date;
  to?: Date;
}

export function matchesFilter(alert: Alert, filter: AlertFilter): boolean {
  if (filter.status && alert.status !== filter.status) return false;
  if (filter.level && alert.level !== filter.level) return false;
  if (filter.siteId && alert.siteId !== filter.siteId) return false;
  const at = Date.parse(alert.createdAt);
  if (filter.from && at < filter.from.getTime()) return false;
  if (filter.to && at > filter.to.getTime()) return false;
  return true;
}

/** The alert the terminal shows big: the oldest one still open, most severe level first. */
const LEVEL_RANK: Record<AlertLevel, number> = { red: 0, orange: 1, yellow: 2, blue: 3 };
export function currentAlert(alerts: readonly Alert[]): Alert | null {
  const open = alerts.filter((a) => a.status !== 'resolved');
  if (open.length === 0) return alerts[0] ?? null;
  return [...open].sort((a, b) => LEVEL_RANK[a.level] - LEVEL_RANK[b.level] || Date.parse(b.createdAt) - Date.parse(a.createdAt))[0]!;
}

/** The next actions allowed from a status. */
export function nextAction(status: AlertStatus): 'acknowledge' | 'inspect' | 'resolve' | null {
  switch (status) {
    case 'new':
      return 'acknowledge';
    case 'acknowledged':
      return 'inspect';
    case 'inspecting':
      return 'resolve';
    case 'resolved':
      return null;
  }
}
