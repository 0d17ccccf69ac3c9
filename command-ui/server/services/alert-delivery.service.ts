import { createHmac } from 'node:crypto';
import type { Logger } from '../../../config/logger.ts';
import { NotFoundError, UnavailableError } from '../../../contracts/errors.ts';
import type { AlertsRepository } from '../../../storage/repositories/alerts.repository.ts';
import type { DeliveriesRepository, DeliveryReceiver } from '../../../storage/repositories/deliveries.repository.ts';
import { smsText, toAlert, type AlertDeliveryConfig } from './alerts.service.ts';

/** One delivery job: webhook number `webhook` of the configuration, or the SMS gateway. */
export type DeliveryJob = { kind: 'webhook'; alertId: string; webhook: number } | { kind: 'sms'; alertId: string };

/** The queue's id of a delivery job: the same delivery is never queued twice while its job is kept. */
export function deliveryJobId(job: DeliveryJob): string {
  return job.kind === 'webhook' ? `alert-webhook-${job.alertId}-${job.webhook}` : `alert-sms-${job.alertId}`;
}

/**
 * What a receiver dedupes on (header `Idempotency-Key`): the same for every attempt of one alert to
 * one receiver, whichever process or job sends it, however often a lost reply makes it send again.
 */
export function idempotencyKey(job: DeliveryJob): string {
  return job.kind === 'webhook' ? `argus-alert-${job.alertId}-webhook-${job.webhook}` : `argus-alert-${job.alertId}-sms`;
}

function receiverOf(job: DeliveryJob): DeliveryReceiver {
  return job.kind === 'webhook' ? { kind: 'webhook', index: job.webhook } : { kind: 'sms' };
}

function jobOf(alertId: string, receiver: DeliveryReceiver): DeliveryJob {
  return receiver.kind === 'webhook' ? { kind: 'webhook', alertId, webhook: receiver.index } : { kind: 'sms', alertId };
}

/** Settles with the promise, or rejects after `ms` (the promise itself goes on). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new UnavailableError(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

export interface AlertDeliveryOptions extends AlertDeliveryConfig {
  deliveryAttempts: number;
  deliverySweepSeconds: number;
}

/**
 * Alert deliveries to webhooks and the SMS gateway. The state of each (alert × receiver) is kept in
 * the database: pending when the alert is raised, sent or failed when its job is done. The BullMQ
 * job only carries it out, so a Redis that restarts (empty, or with its data) loses no delivery:
 * `sweep()` (on start, when Redis reconnects, and every `deliverySweepSeconds`) queues again every
 * pending delivery; a job that is still queued keeps its id, so nothing runs twice because of it.
 * Every request carries `Idempotency-Key` (stable per alert × receiver) and `X-Argus-Alert-Id`, so
 * a receiver that dedupes on it sees each alert once even when a retry after a lost reply repeats it.
 */
export class AlertDeliveryService {
  private timer: NodeJS.Timeout | null = null;
  private sweeping: Promise<number> | null = null;

  constructor(
    private readonly deps: {
      deliveries: Pick<DeliveriesRepository, 'plan' | 'get' | 'attempt' | 'markSent' | 'markError' | 'pending'>;
      alerts: Pick<AlertsRepository, 'get'>;
      config: AlertDeliveryOptions;
      /** Queue one delivery job under `deliveryJobId(job)` (a no-op when a job with that id exists). */
      queue: (job: DeliveryJob, jobId: string) => Promise<void>;
      log: Logger;
      /** A sweep leaves alone what was touched this recently (its own job is on the way). */
      sweepGraceMs?: number;
    },
  ) {}

  /**
   * A new alert needs this delivery: stored as pending first (awaited), then queued without waiting,
   * so that raising alerts never waits for a Redis that is down (the client keeps the command until
   * Redis is back); what does not reach the queue is queued by a later sweep.
   */
  async plan(job: DeliveryJob): Promise<void> {
    await this.deps.deliveries.plan(job.alertId, [receiverOf(job)]);
    this.deps.queue(job, deliveryJobId(job)).catch((err: unknown) =>
      this.deps.log.warn({ err: (err as Error).message, alertId: job.alertId, receiver: job.kind }, 'delivery not queued now: the sweeper queues it'),
    );
  }

  /** Queue again the deliveries still pending (their job was lost, or never queued). */
  sweep(): Promise<number> {
    this.sweeping ??= this.sweepOnce().finally(() => {
      this.sweeping = null;
    });
    return this.sweeping;
  }

  private async sweepOnce(): Promise<number> {
    const before = new Date(Date.now() - (this.deps.sweepGraceMs ?? 5000));
    let queued = 0;
    // One batch per sweep: the rows queued stay pending until their job runs, so a loop would read them again.
    const batch = await this.deps.deliveries.pending(before, 500);
    for (const { alertId, receiver } of batch) {
      const job = jobOf(alertId, receiver);
      if (job.kind === 'webhook' ? !this.deps.config.webhooks[job.webhook] : !this.deps.config.sms) {
        await this.deps.deliveries.markError(alertId, receiver, 'the receiver is no longer in the configuration', true);
        continue;
      }
      // Redis down: this throws and the sweep stops here; the next one (or the reconnect) goes on.
      await within(this.deps.queue(job, deliveryJobId(job)), 5000, 'queueing a delivery');
      queued++;
    }
    if (queued) this.deps.log.info({ queued }, 'pending alert deliveries queued again');
    return queued;
  }

  /** Sweep now and every `deliverySweepSeconds` until `stop()`. */
  start(): void {
    const run = () =>
      void this.sweep().catch((err: unknown) => this.deps.log.warn({ err: (err as Error).message }, 'delivery sweep failed'));
    run();
    this.timer = setInterval(run, this.deps.config.deliverySweepSeconds * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.sweeping?.catch(() => undefined);
  }

  /** Run one delivery job: attempt `attempt` of it (1-based). Throws so that the job is retried. */
  async deliver(job: DeliveryJob, attempt: number): Promise<{ sent: boolean }> {
    const receiver = receiverOf(job);
    const { deliveries, config } = this.deps;
    const state = await deliveries.get(job.alertId, receiver);
    // Sent already (a job queued again by a sweep that raced with the first one): nothing to do.
    if (state?.status === 'sent') return { sent: false };
    if (!state) await deliveries.plan(job.alertId, [receiver]);
    await deliveries.attempt(job.alertId, receiver);
    try {
      await this.send(job);
    } catch (err) {
      const final = err instanceof NotFoundError || attempt >= config.deliveryAttempts;
      await deliveries.markError(job.alertId, receiver, (err as Error).message, final).catch((e: unknown) =>
        this.deps.log.warn({ err: (e as Error).message, alertId: job.alertId }, 'could not store a delivery error'),
      );
      throw err;
    }
    await deliveries.markSent(job.alertId, receiver);
    return { sent: true };
  }

  private async send(job: DeliveryJob): Promise<void> {
    const found = await this.deps.alerts.get(job.alertId);
    if (!found) throw new NotFoundError(`No alert with id ${job.alertId}.`);
    const alert = toAlert(found);
    const headers = { 'idempotency-key': idempotencyKey(job), 'x-argus-alert-id': alert.id };
    if (job.kind === 'webhook') {
      const hook = this.deps.config.webhooks[job.webhook];
      if (!hook) throw new NotFoundError(`No webhook ${job.webhook} in the configuration.`);
      await this.post(hook.url, { event: 'alert.created', alert }, hook.secret, headers);
      return;
    }
    const sms = this.deps.config.sms;
    if (!sms) throw new NotFoundError('No SMS gateway in the configuration.');
    const text = smsText(alert, this.deps.config.levels[alert.level], sms.language);
    await this.post(sms.url, { recipients: sms.recipients, text, alertId: alert.id }, null, headers);
  }

  private async post(url: string, body: unknown, secret: string | null, extra: Record<string, string>): Promise<void> {
    const text = JSON.stringify(body);
    const headers: Record<string, string> = { 'content-type': 'application/json', ...extra };
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
}
