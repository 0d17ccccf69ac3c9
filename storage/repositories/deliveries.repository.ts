import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.ts';

/** A receiver of alert deliveries: webhook number `index` of the configuration, or the SMS gateway. */
export type DeliveryReceiver = { kind: 'webhook'; index: number } | { kind: 'sms' };
export type DeliveryStatus = 'pending' | 'sent' | 'failed';

export interface DeliveryRecord {
  alertId: string;
  receiver: DeliveryReceiver;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
}

export function receiverKey(r: DeliveryReceiver): string {
  return r.kind === 'webhook' ? `webhook:${r.index}` : 'sms';
}

export function parseReceiver(key: string): DeliveryReceiver | null {
  if (key === 'sms') return { kind: 'sms' };
  const m = /^webhook:(\d{1,4})$/.exec(key);
  return m ? { kind: 'webhook', index: Number(m[1]) } : null;
}

/**
 * The delivery state of alerts, one row per alert × receiver (migration 0011): written pending
 * when the alert is raised, marked sent by the job that delivered it, failed when its job gave
 * up. What the queue lost (Redis restarted empty) is found here again by `pending()`.
 */
export class DeliveriesRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Record the deliveries an alert needs (pending); rows already there are kept as they are. */
  async plan(alertId: string, receivers: readonly DeliveryReceiver[]): Promise<void> {
    if (receivers.length === 0) return;
    await this.db
      .insertInto('alert_deliveries')
      .values(receivers.map((r) => ({ alert_id: alertId, receiver: receiverKey(r) })))
      .onConflict((oc) => oc.columns(['alert_id', 'receiver']).doNothing())
      .execute();
  }

  async get(alertId: string, receiver: DeliveryReceiver): Promise<DeliveryRecord | undefined> {
    const row = await this.db
      .selectFrom('alert_deliveries')
      .selectAll()
      .where('alert_id', '=', alertId)
      .where('receiver', '=', receiverKey(receiver))
      .executeTakeFirst();
    if (!row) return undefined;
    return { alertId: row.alert_id, receiver, status: row.status as DeliveryStatus, attempts: row.attempts, lastError: row.last_error };
  }

  /** Count one attempt (before it is made); returns the attempts so far, or undefined when there is no such row. */
  async attempt(alertId: string, receiver: DeliveryReceiver): Promise<number | undefined> {
    const row = await this.db
      .updateTable('alert_deliveries')
      .set({ attempts: sql<number>`attempts + 1`, updated_at: sql`now()` })
      .where('alert_id', '=', alertId)
      .where('receiver', '=', receiverKey(receiver))
      .returning('attempts')
      .executeTakeFirst();
    return row?.attempts;
  }

  async markSent(alertId: string, receiver: DeliveryReceiver): Promise<void> {
    await this.db
      .updateTable('alert_deliveries')
      .set({ status: 'sent', last_error: null, sent_at: sql`now()`, updated_at: sql`now()` })
      .where('alert_id', '=', alertId)
      .where('receiver', '=', receiverKey(receiver))
      .execute();
  }

  /** Note why an attempt failed; `final` when no attempt is left (the job goes to the dead letters). */
  async markError(alertId: string, receiver: DeliveryReceiver, error: string, final: boolean): Promise<void> {
    await this.db
      .updateTable('alert_deliveries')
      .set({ last_error: error.slice(0, 1000), updated_at: sql`now()`, ...(final ? { status: 'failed' } : {}) })
      .where('alert_id', '=', alertId)
      .where('receiver', '=', receiverKey(receiver))
      .where('status', '=', 'pending')
      .execute();
  }

  /** Deliveries still pending that were last touched before `before`, oldest first. */
  async pending(before: Date, limit: number): Promise<Array<{ alertId: string; receiver: DeliveryReceiver }>> {
    const rows = await this.db
      .selectFrom('alert_deliveries')
      .select(['alert_id', 'receiver'])
      .where('status', '=', 'pending')
      .where('updated_at', '<', before)
      .orderBy('updated_at')
      .limit(limit)
      .execute();
    return rows.flatMap((r) => {
      const receiver = parseReceiver(r.receiver);
      return receiver ? [{ alertId: r.alert_id, receiver }] : [];
    });
  }

  /** Counts by status (for a health view and the tests). */
  async counts(): Promise<Record<DeliveryStatus, number>> {
    const rows = await this.db.selectFrom('alert_deliveries').select(['status', sql<string>`count(*)`.as('n')]).groupBy('status').execute();
    const out: Record<DeliveryStatus, number> = { pending: 0, sent: 0, failed: 0 };
    for (const r of rows) out[r.status as DeliveryStatus] = Number(r.n);
    return out;
  }
}
