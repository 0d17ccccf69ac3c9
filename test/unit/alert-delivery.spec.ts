import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertDeliveryService, deliveryJobId, idempotencyKey, type DeliveryJob } from '../../command-ui/server/services/alert-delivery.service.ts';
import { createLogger } from '../../config/logger.ts';
import { NotFoundError } from '../../contracts/errors.ts';
import { DEFAULT_ALERT_LEVELS } from '../../contracts/display.ts';
import type { AlertRecord } from '../../storage/repositories/alerts.repository.ts';
import { receiverKey, type DeliveryReceiver, type DeliveryStatus } from '../../storage/repositories/deliveries.repository.ts';

const log = createLogger({ log: { level: 'silent', pretty: false } });
const ALERT_ID = '6a1b0c8e-0000-4000-8000-000000000001';

/** A strict in-memory stand-in for DeliveriesRepository. */
class FakeDeliveries {
  rows = new Map<string, { status: DeliveryStatus; attempts: number; lastError: string | null; touched: number }>();
  now = 0;
  private key = (alertId: string, r: DeliveryReceiver) => `${alertId}|${receiverKey(r)}`;
  async plan(alertId: string, receivers: readonly DeliveryReceiver[]) {
    for (const r of receivers) if (!this.rows.has(this.key(alertId, r))) this.rows.set(this.key(alertId, r), { status: 'pending', attempts: 0, lastError: null, touched: this.now });
  }
  async get(alertId: string, receiver: DeliveryReceiver) {
    const row = this.rows.get(this.key(alertId, receiver));
    return row ? { alertId, receiver, status: row.status, attempts: row.attempts, lastError: row.lastError } : undefined;
  }
  async attempt(alertId: string, receiver: DeliveryReceiver) {
    const row = this.rows.get(this.key(alertId, receiver));
    if (!row) return undefined;
    row.attempts++;
    return row.attempts;
  }
  async markSent(alertId: string, receiver: DeliveryReceiver) {
    this.rows.get(this.key(alertId, receiver))!.status = 'sent';
  }
  async markError(alertId: string, receiver: DeliveryReceiver, error: string, final: boolean) {
    const row = this.rows.get(this.key(alertId, receiver))!;
    if (row.status !== 'pending') return;
    row.lastError = error;
    if (final) row.status = 'failed';
  }
  async pending(before: Date, limit: number) {
    return [...this.rows.entries()]
      .filter(([, r]) => r.status === 'pending' && r.touched < before.getTime())
      .slice(0, limit)
      .map(([k]) => {
        const [alertId, receiver] = k.split('|') as [string, string];
        return { alertId, receiver: receiver === 'sms' ? ({ kind: 'sms' } as const) : ({ kind: 'webhook', index: Number(receiver.split(':')[1]) } as const) };
      });
  }
}

function alertRecord(id: string): AlertRecord {
  return {
    id,
    seq: 1,
    createdAt: new Date().toISOString(),
    kind: 'plate',
    level: 'red',
    status: 'new',
    disposition: null,
    watchlistId: null,
    entryId: null,
    sightingId: null,
    cameraId: null,
    cameraName: 'Gate 1',
    siteId: null,
    siteName: null,
    location: null,
    score: 0.9,
    escalatedAt: null,
    updatedAt: new Date().toISOString(),
    detail: {
      watchlist: { id: 'w', name: 'wanted', covert: false },
      entry: { id: 'e', plate: '京A12345', reason: null, caseNumber: null },
      sighting: { id: 's', observedAt: new Date().toISOString(), plateText: '京A12345', score: 0.9 },
      cropPath: null,
      framePath: null,
    },
    actions: [],
  };
}

describe('alert delivery', () => {
  const requests: Array<{ url: string; headers: IncomingHttpHeaders }> = [];
  let base = '';
  let answer = 204;
  const server = createServer((req, res) => {
    requests.push({ url: req.url ?? '', headers: req.headers });
    req.resume();
    req.on('end', () => res.writeHead(answer).end());
  });
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  function make(options: { queue?: (job: DeliveryJob, jobId: string) => Promise<void>; alerts?: Map<string, AlertRecord> } = {}) {
    const deliveries = new FakeDeliveries();
    const queued: string[] = [];
    const alerts = options.alerts ?? new Map([[ALERT_ID, alertRecord(ALERT_ID)]]);
    const service = new AlertDeliveryService({
      deliveries,
      alerts: { get: async (id: string) => alerts.get(id) },
      config: {
        escalateAfterSeconds: 60,
        deliveryTimeoutMs: 2000,
        deliveryAttempts: 3,
        deliverySweepSeconds: 30,
        webhooks: [{ url: `${base}/hook`, secret: null, levels: ['red'], covert: false }],
        sms: { url: `${base}/sms`, recipients: ['+8613800000000'], levels: ['red'], language: 'en', covert: false },
        levels: DEFAULT_ALERT_LEVELS,
      },
      queue:
        options.queue ??
        (async (_job, jobId) => {
          queued.push(jobId);
        }),
      log,
      sweepGraceMs: 0,
    });
    return { service, deliveries, queued };
  }

  it('stores the delivery as pending before queueing it, and never waits for a queue that hangs', async () => {
    const { service, deliveries } = make({ queue: () => new Promise(() => undefined) });
    const job: DeliveryJob = { kind: 'webhook', alertId: ALERT_ID, webhook: 0 };
    await service.plan(job);
    expect((await deliveries.get(ALERT_ID, { kind: 'webhook', index: 0 }))?.status).toBe('pending');
    expect(deliveryJobId(job)).toBe(`alert-webhook-${ALERT_ID}-0`);
  });

  it('sends the Idempotency-Key and the alert id, marks the delivery sent, and does not send a sent one again', async () => {
    const { service, deliveries } = make();
    requests.length = 0;
    const job: DeliveryJob = { kind: 'webhook', alertId: ALERT_ID, webhook: 0 };
    await service.plan(job);
    expect(await service.deliver(job, 1)).toEqual({ sent: true });
    expect(await service.deliver(job, 1)).toEqual({ sent: false });
    expect(requests).toHaveLength(1);
    expect(requests[0]!.headers['idempotency-key']).toBe(idempotencyKey(job));
    expect(requests[0]!.headers['x-argus-alert-id']).toBe(ALERT_ID);
    expect(await deliveries.get(ALERT_ID, { kind: 'webhook', index: 0 })).toMatchObject({ status: 'sent', attempts: 1 });
    // The same key on every attempt; another receiver has its own.
    expect(idempotencyKey(job)).toBe(idempotencyKey({ ...job }));
    expect(idempotencyKey({ kind: 'sms', alertId: ALERT_ID })).not.toBe(idempotencyKey(job));
  });

  it('keeps a failing delivery pending until its last attempt, then marks it failed', async () => {
    const { service, deliveries } = make();
    answer = 503;
    try {
      const job: DeliveryJob = { kind: 'sms', alertId: ALERT_ID };
      await service.plan(job);
      await expect(service.deliver(job, 1)).rejects.toThrow(/HTTP 503/);
      expect(await deliveries.get(ALERT_ID, { kind: 'sms' })).toMatchObject({ status: 'pending', attempts: 1, lastError: expect.stringMatching(/503/) });
      await expect(service.deliver(job, 3)).rejects.toThrow(/HTTP 503/);
      expect(await deliveries.get(ALERT_ID, { kind: 'sms' })).toMatchObject({ status: 'failed', attempts: 2 });
    } finally {
      answer = 204;
    }
  });

  it('fails at once (NotFoundError) when the alert is gone', async () => {
    const { service, deliveries } = make({ alerts: new Map() });
    const job: DeliveryJob = { kind: 'webhook', alertId: ALERT_ID, webhook: 0 };
    await service.plan(job);
    await expect(service.deliver(job, 1)).rejects.toBeInstanceOf(NotFoundError);
    expect((await deliveries.get(ALERT_ID, { kind: 'webhook', index: 0 }))?.status).toBe('failed');
  });

  it('sweeps: queues again what is still pending, under the same job id, and nothing that was sent', async () => {
    const { service, deliveries, queued } = make();
    const other = '6a1b0c8e-0000-4000-8000-000000000002';
    await deliveries.plan(ALERT_ID, [{ kind: 'webhook', index: 0 }, { kind: 'sms' }]);
    await deliveries.plan(other, [{ kind: 'webhook', index: 0 }]);
    await deliveries.markSent(other, { kind: 'webhook', index: 0 });
    // A receiver removed from the configuration since: failed, not queued.
    await deliveries.plan(other, [{ kind: 'webhook', index: 7 }]);
    deliveries.now = -1;
    expect(await service.sweep()).toBe(2);
    expect(queued.sort()).toEqual([`alert-sms-${ALERT_ID}`, `alert-webhook-${ALERT_ID}-0`]);
    expect((await deliveries.get(other, { kind: 'webhook', index: 7 }))?.status).toBe('failed');
  });

  it('stops a sweep when the queue does not answer, and goes on at the next one', async () => {
    let up = false;
    const queued: string[] = [];
    const { service, deliveries } = make({
      queue: async (_job, jobId) => {
        if (!up) throw new Error('Redis is down');
        queued.push(jobId);
      },
    });
    await deliveries.plan(ALERT_ID, [{ kind: 'webhook', index: 0 }]);
    await expect(service.sweep()).rejects.toThrow(/down/);
    up = true;
    expect(await service.sweep()).toBe(1);
    expect(queued).toEqual([`alert-webhook-${ALERT_ID}-0`]);
  });
});
