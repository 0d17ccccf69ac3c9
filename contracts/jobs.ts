import { z } from 'zod';

/**
 * Background jobs (BullMQ). One payload schema and exactly one handler per job name; the worker
 * checks at start-up that every name has a handler.
 */
export const JOB_QUEUE = 'argus-jobs';

export const jobPayloadSchemas = {
  'notice.broadcast': z.object({ level: z.enum(['info', 'warning', 'critical']), text: z.string().min(1).max(2000) }).strict(),
  'sessions.prune': z.object({}).strict(),
  /**
   * Retention of every data class (config `retention`): recordings, sightings, face images and
   * embeddings, alerts, closed incidents, unit positions, the audit log (storage/retention.ts); hourly.
   * It replaced 'sightings.prune' and 'units.positions.prune' (their schedules are removed at start-up).
   */
  'retention.run': z.object({}).strict(),
  /** POST an alert to one configured webhook (config alerts.webhooks[index]); retried with backoff. */
  'alert.webhook': z.object({ alertId: z.string().uuid(), webhook: z.number().int().min(0) }).strict(),
  /** Send an alert through the SMS gateway (config alerts.sms); retried with backoff. */
  'alert.sms': z.object({ alertId: z.string().uuid() }).strict(),
  /** Mark red/orange alerts not acknowledged in time as escalated and push them to commanders. */
  'alerts.escalate': z.object({}).strict(),
  /** Flag dispatches not accepted within dispatch.acceptWithinSeconds and push them to the dispatchers again. */
  'dispatches.overdue': z.object({}).strict(),
  /** Build the signed package of one evidence export (contracts/exports.ts); progress is pushed to its creator. */
  'export.build': z.object({ exportId: z.string().uuid() }).strict(),
  /** Delete export packages older than exports.keepDays (the records stay). */
  'exports.prune': z.object({}).strict(),
} as const;

export type JobName = keyof typeof jobPayloadSchemas;
export const JOB_NAMES = Object.keys(jobPayloadSchemas) as JobName[];
export type JobPayload<N extends JobName> = z.infer<(typeof jobPayloadSchemas)[N]>;
