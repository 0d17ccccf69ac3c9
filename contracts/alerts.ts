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
  /** Where it was raised: the camera's position, else its site's (WGS84); null when neither has one. */
  location: z.object({ latitude: z.number(), longitude: z.number() }).nullable().optional(),
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
    near: z
      .string()
      .regex(/^-?\d{1,3}(\.\d+)?,-?\d{1,3}(\.\d+)?$/, 'near is "latitude,longitude" in decimal degrees')
      .transform((text) => {
        const [latitude, longitude] = text.split(',').map(Number) as [number, number];
        return { latitude, longitude };
      })
      .refine((p) => Math.abs(p.latitude) <= 90 && Math.abs(p.longitude) <= 180, 'near is outside valid coordinates')
      .optional()
      .describe('Only alerts raised within radiusM of this point (WGS84 "latitude,longitude"), by the camera\'s position or else its site\'s'),
    radiusM: z.coerce.number().positive().max(100_000).optional().describe('Radius for near, in metres (default 2000)'),
  })
  .strict()
  .refine((q) => q.radiusM === undefined || q.near !== undefined, { message: 'radiusM needs near', path: ['radiusM'] });
export type AlertQuery = z.output<typeof alertQuerySchema>;
/** The radius of `near` when the query gives none. */
export const DEFAULT_NEAR_RADIUS_METRES = 2000;
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
