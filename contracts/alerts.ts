import { z } from 'zod';
import { alertLevelSchema, watchlistKindSchema } from './watchlists.ts';

export const ALERT_STATUSES = ['new', 'acknowledged', 'inspecting', 'resolved'] as const;
export const alertStatusSchema = z.enum(ALERT_STATUSES);
export type AlertStatus = z.infer<typeof alertStatusSchema>;

export const DISPOSITIONS = ['intercepted', 'released', 'false_match', 'not_found'] as const;
export const dispositionSchema = z.enum(DISPOSITIONS);
export type Disposition = z.infer<typeof dispositionSchema>;

export const ALERT_ACTIONS = ['acknowledge', 'inspect', 'resolve', 'note', 'escalate'] as const;
export type AlertAction = (typeof ALERT_ACTIONS)[number];

/** Legal transitions: action → statuses it may start from, and where it leads. */
export const ALERT_TRANSITIONS: Readonly<Record<'acknowledge' | 'inspect' | 'resolve', { from: readonly AlertStatus[]; to: AlertStatus }>> = {
  acknowledge: { from: ['new'], to: 'acknowledged' },
  inspect: { from: ['new', 'acknowledged'], to: 'inspecting' },
  resolve: { from: ['new', 'acknowledged', 'inspecting'], to: 'resolved' },
};

export const alertActionSchema = z.object({
  at: z.string(),
  userId: z.string().nullable(),
  username: z.string().nullable(),
  action: z.string(),
  fromStatus: alertStatusSchema.nullable(),
  toStatus: alertStatusSchema.nullable(),
  note: z.string().nullable(),
});
export type AlertActionRecord = z.infer<typeof alertActionSchema>;

export const alertSchema = z.object({
  id: z.string().uuid(),
  seq: z.number().int().describe('Increases with each alert created; replay with GET /api/alerts/since?seq='),
  createdAt: z.string(),
  level: alertLevelSchema,
  status: alertStatusSchema,
  disposition: dispositionSchema.nullable(),
  kind: watchlistKindSchema,
  watchlist: z.object({ id: z.string().nullable(), name: z.string(), covert: z.boolean() }),
  entry: z.object({
    id: z.string().nullable(),
    plate: z.string().nullable().optional(),
    personName: z.string().nullable().optional(),
    reason: z.string().nullable(),
    caseNumber: z.string().nullable(),
  }),
  sighting: z.object({
    id: z.string().nullable(),
    observedAt: z.string().nullable(),
    plateText: z.string().nullable().optional(),
    plateColour: z.string().nullable().optional(),
    score: z.number().nullable(),
  }),
  score: z.number().nullable(),
  /** Face hits: the best candidates of the same list with scores. */
  candidates: z.array(z.object({ entryId: z.string(), personName: z.string().nullable(), score: z.number() })).optional(),
  cameraId: z.string().nullable(),
  cameraName: z.string().nullable(),
  siteId: z.string().nullable(),
  siteName: z.string().nullable(),
  /** `/api/alerts/:id/crop.jpg` and `/frame.jpg` (readable with alerts.view), null when the sighting had none. */
  cropUrl: z.string().nullable(),
  frameUrl: z.string().nullable(),
  escalatedAt: z.string().nullable(),
  actions: z.array(alertActionSchema),
});
export type Alert = z.infer<typeof alertSchema>;

export const ALERT_PAGE_MAX = 200;
export const alertQuerySchema = z
  .object({
    status: alertStatusSchema.optional(),
    level: alertLevelSchema.optional(),
    siteId: z.string().uuid().optional(),
    cameraId: z.string().uuid().optional(),
    from: z.coerce.date().optional(),
    to: z.coerce.date().optional(),
    limit: z.coerce.number().int().min(1).max(ALERT_PAGE_MAX).default(50),
    cursor: z.string().max(40).optional().describe('nextCursor of the previous page (newest first)'),
  })
  .strict();
export type AlertQuery = z.output<typeof alertQuerySchema>;
export const alertPageSchema = z.object({ items: z.array(alertSchema), nextCursor: z.string().nullable() });
export type AlertPage = z.infer<typeof alertPageSchema>;

export const alertSinceQuerySchema = z
  .object({
    seq: z.coerce.number().int().min(0),
    siteId: z.string().uuid().optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(500),
  })
  .strict();
export type AlertSinceQuery = z.output<typeof alertSinceQuerySchema>;
export const alertSinceSchema = z.object({ items: z.array(alertSchema), lastSeq: z.number().int() });

export const resolveAlertSchema = z.object({ disposition: dispositionSchema, note: z.string().trim().max(2000).optional() }).strict();
export const noteAlertSchema = z.object({ note: z.string().trim().min(1).max(2000) }).strict();
export const optionalNoteSchema = z.object({ note: z.string().trim().max(2000).optional() }).strict().optional();
