import { sql, type Kysely, type Migration } from 'kysely';
import { literalList } from './capabilities.ts';

/** Delivery states as of this migration (storage/repositories/deliveries.repository.ts). */
export const MIGRATION_0011_ENUMS = {
  deliveryStatuses: ['pending', 'sent', 'failed'],
} as const;

/**
 * Alert deliveries: one row per alert per receiver (`webhook:<index>` or `sms`), written when the
 * alert is raised, so that what still has to be sent is known from the database alone: a Redis
 * that comes back empty loses the queued jobs, not the deliveries (the sweeper queues them again).
 */
export function deliveryMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('alert_deliveries')
        .addColumn('alert_id', 'uuid', (c) => c.notNull().references('alerts.id').onDelete('cascade'))
        .addColumn('receiver', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('sent_at', 'timestamptz')
        .addPrimaryKeyConstraint('alert_deliveries_pkey', ['alert_id', 'receiver'])
        .execute();
      await sql`alter table alert_deliveries add constraint alert_deliveries_status_check check (status in (${literalList(MIGRATION_0011_ENUMS.deliveryStatuses)}))`.execute(db);
      await sql`alter table alert_deliveries add constraint alert_deliveries_receiver_check check (receiver ~ '^(webhook:[0-9]{1,4}|sms)$')`.execute(db);
      // The sweeper reads only what is still pending.
      await sql`create index alert_deliveries_pending_idx on alert_deliveries (updated_at) where status = 'pending'`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('alert_deliveries').ifExists().execute();
    },
  };
}
