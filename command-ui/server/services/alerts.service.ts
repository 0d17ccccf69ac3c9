import type { AlertLevelDisplay } from '../../../contracts/display.ts';
import type { Logger } from '../../../config/logger.ts';
import { ALERT_TRANSITIONS, DEFAULT_NEAR_RADIUS_METRES, type Alert, type AlertPage, type AlertQuery, type AlertSinceQuery, type Disposition } from '../../../contracts/alerts.ts';
import { ConflictError, NotFoundError } from '../../../contracts/errors.ts';
import { hasPermission, PERMISSIONS, type Role } from '../../../contracts/roles.ts';
import type { AlertLevel } from '../../../contracts/watchlists.ts';
import type { EvidencePart, EvidenceStore } from '../../../storage/evidence-store.ts';
import type { AlertRecord, AlertsRepository, NewAlert } from '../../../storage/repositories/alerts.repository.ts';
import type { AuditRepository } from '../../../storage/repositories/audit.repository.ts';
import type { Principal, RequestMeta } from './auth.service.ts';
import type { EventBus } from './event-bus.ts';

/** Roles that see every non-covert alert in their role room; checkpoint terminals get their site's, patrols their cameras'. */
const FEED_ROLES = (PERMISSIONS['alerts.view'] as readonly Role[]).filter((r) => r !== 'checkpoint' && r !== 'patrol');
/** Covert alerts reach only the roles that manage watchlists. */
const COVERT_ROLES = PERMISSIONS['watchlists.manage'] as readonly Role[];
const ESCALATED_LEVELS: readonly AlertLevel[] = ['red', 'orange'];

export function toAlert(r: AlertRecord): Alert {
  const d = r.detail;
  const url = (part: EvidencePart) => `/api/alerts/${r.id}/${part}.jpg`;
  return {
    id: r.id,
    seq: r.seq,
    createdAt: r.createdAt,
    level: r.level,
    status: r.status,
    disposition: r.disposition,
    kind: r.kind,
    watchlist: { id: r.watchlistId, name: d.watchlist.name, covert: d.watchlist.covert },
    entry: { ...d.entry, id: r.entryId },
    sighting: d.sighting,
    score: r.score,
    ...(d.candidates ? { candidates: d.candidates } : {}),
    cameraId: r.cameraId,
    cameraName: r.cameraName,
    siteId: r.siteId,
    siteName: r.siteName,
    location: r.location,
    cropUrl: d.cropPath ? url('crop') : null,
    frameUrl: d.framePath ? url('frame') : null,
    escalatedAt: r.escalatedAt,
    actions: r.actions,
  };
}

/** One SMS: level name and action, what was seen, the list (not for covert lists), where and when (China time). */
export function smsText(a: Alert, level: AlertLevelDisplay, language: 'zh-CN' | 'en'): string {
  const what = a.kind === 'plate' ? (a.sighting.plateText ?? a.entry.plate ?? '') : (a.entry.personName ?? '');
  const when = new Date(a.createdAt).toLocaleString(language === 'zh-CN' ? 'zh-CN' : 'en-GB', { timeZone: 'Asia/Shanghai', hour12: false });
  const list = a.watchlist.covert ? '' : language === 'zh-CN' ? ` 名单:${a.watchlist.name}` : ` list: ${a.watchlist.name}`;
  const where = a.cameraName ?? '?';
  return language === 'zh-CN'
    ? `【Argus ${level.name['zh-CN']}预警·${level.action['zh-CN']}】${what}${list} 地点:${where} 时间:${when}`
    : `[Argus ${level.name.en} alert: ${level.action.en}] ${what}${list} at ${where}, ${when}`;
}

/** The socket rooms an alert goes to. */
export function alertRooms(alert: Pick<Alert, 'siteId' | 'cameraId' | 'watchlist'>): string[] {
  if (alert.watchlist.covert) return COVERT_ROLES.map((r) => `role:${r}`);
  return [...(alert.siteId ? [`site:${alert.siteId}`] : []), ...(alert.cameraId ? [`camera:${alert.cameraId}`] : []), ...FEED_ROLES.map((r) => `role:${r}`)];
}

export interface AlertDeliveryConfig {
  escalateAfterSeconds: number;
  deliveryTimeoutMs: number;
  webhooks: ReadonlyArray<{ url: string; secret: string | null; levels: readonly AlertLevel[]; covert: boolean }>;
  sms: { url: string; recipients: readonly string[]; levels: readonly AlertLevel[]; language: 'zh-CN' | 'en'; covert: boolean } | null;
  /** Names of the levels (SMS text). */
  levels: Readonly<Record<AlertLevel, AlertLevelDisplay>>;
}

/**
 * Alerts: raised by watchlist matching (stored, then pushed, then handed to delivery jobs), read by
 * the feed and the checkpoint terminals (with replay by seq), moved through their lifecycle by
 * officers (each action with its user and time; illegal transitions are ConflictError), escalated
 * when red or orange ones wait unacknowledged, and delivered to webhooks and an SMS gateway.
 */
export class AlertsService {
  constructor(
    private readonly deps: {
      alerts: AlertsRepository;
      /** Every officer's action on an alert is audited. */
      audit: Pick<AuditRepository, 'append'>;
      evidence: EvidenceStore;
      events: EventBus;
      config: AlertDeliveryConfig;
      /** Queue the delivery jobs of a new alert (webhook i, sms). */
      enqueue: (job: { kind: 'webhook'; alertId: string; webhook: number } | { kind: 'sms'; alertId: string }) => Promise<void>;
      log: Logger;
    },
  ) {}

  private canSeeCovert(actor: Principal): boolean {
    return hasPermission(actor.roles, 'watchlists.manage');
  }

  private publish(event: 'alert.created' | 'alert.updated', alert: Alert, extraRooms: string[] = []): void {
    try {
      this.deps.events.toRooms([...new Set([...alertRooms(alert), ...extraRooms])], event, alert);
    } catch (err) {
      // Stored already: terminals get it through replay (GET /api/alerts/since).
      this.deps.log.warn({ err: (err as Error).message, alertId: alert.id, event }, 'could not push an alert');
    }
  }

  /** Store an alert, then push it, then queue its deliveries. undefined when this (sighting, entry) already has one. */
  async raise(input: NewAlert): Promise<Alert | undefined> {
    // Who gets it is decided before it is stored, so that its deliveries are stored with it.
    const jobs: Array<Parameters<typeof this.deps.enqueue>[0]> = [];
    // Covert hits stay inside Argus unless a receiver is configured as cleared for them.
    const covert = input.detail.watchlist.covert;
    this.deps.config.webhooks.forEach((w, i) => {
      if (w.levels.includes(input.level) && (!covert || w.covert)) jobs.push({ kind: 'webhook', alertId: '', webhook: i });
    });
    const sms = this.deps.config.sms;
    if (sms?.levels.includes(input.level) && (!covert || sms.covert)) jobs.push({ kind: 'sms', alertId: '' });
    const record = await this.deps.alerts.create(
      input,
      jobs.map((j) => (j.kind === 'webhook' ? { kind: 'webhook', index: j.webhook } : { kind: 'sms' })),
    );
    if (!record) return undefined;
    const alert = toAlert(record);
    this.publish('alert.created', alert);
    this.deps.log.info({ alertId: alert.id, level: alert.level, watchlistId: alert.watchlist.id, sightingId: alert.sighting.id }, 'alert raised');
    for (const job of jobs) {
      const withId = { ...job, alertId: alert.id };
      await this.deps.enqueue(withId).catch((err: unknown) => this.deps.log.error({ err: (err as Error).message, alertId: alert.id, job: job.kind }, 'could not queue an alert delivery'));
    }
    return alert;
  }

  async entriesAlerted(sightingId: string): Promise<Set<string>> {
    return this.deps.alerts.entriesAlerted(sightingId);
  }

  async get(id: string, actor: Principal): Promise<Alert> {
    const found = await this.deps.alerts.get(id);
    if (!found || (found.detail.watchlist.covert && !this.canSeeCovert(actor))) throw new NotFoundError(`No alert with id ${id}.`);
    return toAlert(found);
  }

  async list(query: AlertQuery, actor: Principal): Promise<AlertPage> {
    const beforeSeq = query.cursor !== undefined && /^\d+$/.test(query.cursor) ? Number(query.cursor) : undefined;
    const page = await this.deps.alerts.list(
      { status: query.status, level: query.level, siteId: query.siteId, cameraId: query.cameraId, from: query.from, to: query.to, hideCovert: !this.canSeeCovert(actor),
        near: query.near ? { ...query.near, radiusMetres: query.radiusM ?? DEFAULT_NEAR_RADIUS_METRES } : undefined,
      },
      { limit: query.limit, beforeSeq },
    );
    return { items: page.items.map(toAlert), nextCursor: page.nextCursor };
  }

  /** What a terminal missed: alerts with seq above `query.seq`, oldest first. */
  async since(query: AlertSinceQuery, actor: Principal): Promise<{ items: Alert[]; lastSeq: number }> {
    const items = (await this.deps.alerts.since(query.seq, { siteId: query.siteId, hideCovert: !this.canSeeCovert(actor) }, query.limit)).map(toAlert);
    return { items, lastSeq: items.length ? items[items.length - 1]!.seq : query.seq };
  }

  private async act(id: string, actor: Principal, meta: RequestMeta, action: 'acknowledge' | 'inspect' | 'resolve' | 'note', note: string | null, disposition?: Disposition): Promise<Alert> {
    const before = await this.get(id, actor);
    const t = action === 'note' ? null : ALERT_TRANSITIONS[action];
    const result = await this.deps.alerts.act(id, { action, from: t ? t.from : null, to: t ? t.to : null, disposition, userId: actor.userId, note });
    if (!result.ok) {
      if (result.reason === 'missing') throw new NotFoundError(`No alert with id ${id}.`);
      throw new ConflictError(`Cannot ${action} an alert that is ${result.status}.`);
    }
    const alert = toAlert(result.alert);
    await this.deps.audit.append({
      userId: actor.userId,
      username: actor.username,
      action: `alert.${action}`,
      targetType: 'alert',
      targetId: id,
      detail: {
        level: alert.level,
        kind: alert.kind,
        watchlistId: alert.watchlist.id,
        from: before.status,
        to: alert.status,
        ...(disposition ? { disposition } : {}),
        ...(note ? { note } : {}),
      },
      ip: meta.ip,
    });
    this.publish('alert.updated', alert);
    return alert;
  }

  acknowledge(id: string, actor: Principal, meta: RequestMeta, note?: string): Promise<Alert> {
    return this.act(id, actor, meta, 'acknowledge', note ?? null);
  }
  inspect(id: string, actor: Principal, meta: RequestMeta, note?: string): Promise<Alert> {
    return this.act(id, actor, meta, 'inspect', note ?? null);
  }
  resolve(id: string, actor: Principal, meta: RequestMeta, disposition: Disposition, note?: string): Promise<Alert> {
    return this.act(id, actor, meta, 'resolve', note ?? null, disposition);
  }
  note(id: string, actor: Principal, meta: RequestMeta, note: string): Promise<Alert> {
    return this.act(id, actor, meta, 'note', note);
  }

  /** The evidence image of an alert's sighting (kept with the alert's copy of the path). */
  async evidence(id: string, part: EvidencePart, actor: Principal): Promise<Buffer> {
    const found = await this.deps.alerts.get(id);
    if (!found || (found.detail.watchlist.covert && !this.canSeeCovert(actor))) throw new NotFoundError(`No alert with id ${id}.`);
    const rel = part === 'crop' ? found.detail.cropPath : found.detail.framePath;
    const data = rel ? await this.deps.evidence.read(rel) : null;
    if (!data) throw new NotFoundError(`Alert ${id} has no ${part} image${rel ? ' any more' : ''}.`);
    return data;
  }

  /** Escalate red/orange alerts not acknowledged in time; each is pushed again, also to the commanders. */
  async escalate(now = new Date()): Promise<number> {
    const before = new Date(now.getTime() - this.deps.config.escalateAfterSeconds * 1000);
    const escalated = await this.deps.alerts.escalate(before, ESCALATED_LEVELS);
    for (const record of escalated) this.publish('alert.updated', toAlert(record), ['role:commander']);
    if (escalated.length) this.deps.log.warn({ count: escalated.length }, 'alerts escalated');
    return escalated.length;
  }

  // Delivery to webhooks and the SMS gateway: AlertDeliveryService (alert-delivery.service.ts), run by the worker's jobs.
}
