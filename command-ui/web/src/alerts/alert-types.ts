/**
 * Watchlist and alert shapes, from the shared contracts (contracts/alerts.ts, contracts/watchlists.ts),
 * plus the request bodies as the web app builds them (dates as ISO text).
 */
import type { AlertQuery as ServerAlertQuery } from '../../../../contracts/alerts.ts';
import type { AlertLevel, WatchlistKind } from '../../../../contracts/watchlists.ts';

export { ALERT_STATUSES, DISPOSITIONS as ALERT_DISPOSITIONS } from '../../../../contracts/alerts.ts';
export type { Alert, AlertActionRecord as AlertAction, AlertPage, AlertStatus, Disposition as AlertDisposition } from '../../../../contracts/alerts.ts';
export { ALERT_LEVELS, WATCHLIST_KINDS } from '../../../../contracts/watchlists.ts';
export type { AlertLevel, FacePhoto, ImportReport, Watchlist, WatchlistEntry, WatchlistKind } from '../../../../contracts/watchlists.ts';

/** `GET /api/alerts` query; every field optional (the server defaults the limit). `near` is sent as "lat,lon". */
export type AlertQuery = Partial<Omit<ServerAlertQuery, 'near'>> & { near?: { latitude: number; longitude: number } };

export interface AlertSince {
  items: import('../../../../contracts/alerts.ts').Alert[];
  lastSeq: number;
}

export interface WatchlistInput {
  name: string;
  kind: WatchlistKind;
  level: AlertLevel;
  covert: boolean;
  tolerance?: number;
  ignoreProvince?: boolean;
  threshold?: number;
  active?: boolean;
  validFrom?: string | null;
  validTo?: string | null;
}

export interface WatchlistEntryInput {
  plate?: string;
  personName?: string;
  reason?: string | null;
  caseNumber?: string | null;
  validFrom?: string | null;
  validTo?: string | null;
}
