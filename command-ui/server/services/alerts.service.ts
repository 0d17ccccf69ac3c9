import { createHmac } from 'node:crypto';
import type { Logger } from '../../../config/logger.ts';
import { ALERT_TRANSITIONS, type Alert, type AlertPage, type AlertQuery, type AlertSinceQuery, type Disposition } from '../../../contracts/alerts.ts';
import { ConflictError, NotFoundError, UnavailableError } from '../../../contracts/errors.ts';
import { hasPermission, PERMISSIONS, type Role } from '../../../contracts/roles.ts';
import type { AlertLevel } from '../../../contracts/watchlists.ts';
import type { EvidencePart, EvidenceStore } from '../../../storage/evidence-store.ts';
import type { AlertRecord, AlertsRepository, NewAlert } from '../../../storage/repositories/alerts.repository.ts';
import type { Principal } from './auth.service.ts';
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
    cropUrl: d.cropPath ? url('crop') : null,
    frameUrl: d.framePath ? url('frame') : null,
    escalatedAt: r.escalatedAt,
    actions: r.actions,
  };
}

/** The socket rooms an alert goes to. */
export function alertRooms(alert: Pick<Alert, 'siteId' | 'cameraId' | 'watchlist'>): string[] {
  if (alert.watchlist.covert) return COVERT_ROLES.map((r) => `role:${r}`);
  return [...(alert.siteId ? [`site:${alert.siteId}`] : []), ...(alert.cameraId ? [`camera:${alert.cameraId}`] : []), ...FEED_ROLES.map((r) => `role:${r}`)];
}

export interface AlertDeliveryConfig {
  escalateAfterSeconds: number;
  deliveryTimeoutMs: number;
  webhooks: ReadonlyArray<{ url: string; secret: string | null; levels: readonly AlertLevel[] }>;
  sms: { url: string; recipients: readonly string[]; levels: readonly AlertLevel[] } | null;
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
    const record = await this.deps.alerts.create(input);
    if (!record) return undefined;
    const alert = toAlert(record);
    this.publish('alert.created', alert);
    this.deps.log.info({ alertId: alert.id, level: alert.level, watchlistId: alert.watchlist.id, sightingId: alert.sighting.id }, 'alert raised');
    const jobs: Array<Parameters<typeof this.deps.enqueue>[0]> = [];
    this.deps.config.webhooks.forEach((w, i) => {
      if (w.levels.includes(alert.level)) jobs.push({ kind: 'webhook', alertId: alert.id, webhook: i });
    });
    if (this.deps.config.sms?.levels.includes(alert.level)) jobs.push({ kind: 'sms', alertId: alert.id });
    for (const job of jobs) {
      await this.deps.enqueue(job).catch((err: unknown) => this.deps.log.error({ err: (err as Error).message, alertId: alert.id, job: job.kind }, 'could not queue an alert delivery'));
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
      { status: query.status, level: query.level, siteId: query.siteId, cameraId: query.cameraId, from: query.from, to: query.to, hideCovert: !this.canSeeCovert(actor) },
      { limit: query.limit, beforeSeq },
    );
    return { items: page.items.map(toAlert), nextCursor: page.nextCursor };
  }

  /** What a terminal missed: alerts with seq above `query.seq`, oldest first. */
  async since(query: AlertSinceQuery, actor: Principal): Promise<{ items: Alert[]; lastSeq: number }> {
    const items = (await this.deps.alerts.since(query.seq, { siteId: query.siteId, hideCovert: !this.canSeeCovert(actor) }, query.limit)).map(toAlert);
    return { items, lastSeq: items.length ? items[items.length - 1]!.seq : query.seq };
  }

  private async act(id: string, actor: Principal, action: 'acknowledge' | 'inspect' | 'resolve' | 'note', note: string | null, disposition?: Disposition): Promise<Alert> {
    await this.get(id, actor);
    const t = action === 'note' ? null : ALERT_TRANSITIONS[action];
    const result = await this.deps.alerts.act(id, { action, from: t ? t.from : null, to: t ? t.to : null, disposition, userId: actor.userId, note });
    if (!result.ok) {
      if (result.reason === 'missing') throw new NotFoundError(`No alert with id ${id}.`);
      throw new ConflictError(`Cannot ${action} an alert that is ${result.status}.`);
    }
    const alert = toAlert(result.alert);
    this.publish('alert.updated', alert);
    return alert;
  }

  acknowledge(id: string, actor: Principal, note?: string): Promise<Alert> {
    return this.act(id, actor, 'acknowledge', note ?? null);
  }
  inspect(id: string, actor: Principal, note?: string): Promise<Alert> {
    return this.act(id, actor, 'inspect', note ?? null);
  }
  resolve(id: string, actor: Principal, disposition: Disposition, note?: string): Promise<Alert> {
    return this.act(id, actor, 'resolve', note ?? null, disposition);
  }
  note(id: string, actor: Principal, note: string): Promise<Alert> {
    return this.act(id, actor, 'note', note);
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

  // ---------- delivery (run by the worker's jobs) ----------

  private async post(url: string, body: unknown, secret: string | null): Promise<void> {
    const text = JSON.stringify(body);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (secret) headers['x-argus-signature'] = `sha256=${createHmac('sha256', secret).update(text).digest('hex')}`;
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', headers, body: text, signal: AbortSignal.timeout(this.deps.config.deliveryTimeoutMs) });
    } catch (err) {
      throw new UnavailableError(`The receiver did not answer: ${(err as Error).message}`);
    }
    await res.arrayBuffer().catch(() => undefined);
    if (!res.ok) throw new UnavailableError(`The receiver answered HTTP ${res.status}.`);
  }

  private async stored(alertId: string): Promise<Alert> {
    const found = await this.deps.alerts.get(alertId);
    if (!found) throw new NotFoundError(`No alert with id ${alertId}.`);
    return toAlert(found);
  }

  /** POST the alert to webhook `index`; throws (so that the job is retried) when it fails. */
  async deliverWebhook(alertId: string, index: number): Promise<void> {
    const hook = this.deps.config.webhooks[index];
    if (!hook) throw new NotFoundError(`No webhook ${index} in the configuration.`);
    await this.post(hook.url, { event: 'alert.created', alert: await this.stored(alertId) }, hook.secret);
  }

  async deliverSms(alertId: string): Promise<void> {
    const sms = this.deps.config.sms;
    if (!sms) throw new NotFoundError('No SMS gateway in the configuration.');
    const a = await this.stored(alertId);
    const what = a.kind === 'plate' ? (a.sighting.plateText ?? a.entry.plate ?? '') : (a.entry.personName ?? '');
    const text = `[Argus ${a.level.toUpperCase()}] ${what} ${a.watchlist.covert ? '' : a.watchlist.name + ' '}@ ${a.cameraName ?? '?'} ${a.createdAt}`;
    await this.post(sms.url, { recipients: sms.recipients, text, alertId }, null);
  }
}
