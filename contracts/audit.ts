import { z } from 'zod';

/**
 * Every action the audit log records: `subject.verb`, grouped by subject. AuditRepository.append
 * accepts only these names, so a new audited action is added here first (and translated in the web
 * app's `audit.action.*` strings).
 *
 * What each entry's detail holds is listed beside it. Never in a detail: passwords, tokens, session
 * ids, camera credentials, face embeddings or images.
 */
export const AUDIT_ACTIONS = [
  // sign-in
  'auth.login',
  'auth.login_failed', // { reason, failures?, locked? }; username is the name tried
  'auth.logout',
  // users and roles
  'user.create', // { username, roles }
  'user.update', // { changed } (display name)
  'user.role_change', // { from, to }
  'user.access_change', // { from, to } camera access (live, playback, search)
  'user.disable',
  'user.enable',
  'user.password_reset', // by an administrator or the console
  'user.password_changed', // by the user
  // video
  'live.open', // { viewerId, cameraName }
  'live.close', // { viewerId, durationMs, reason }
  'recording.play', // { recordingId, startedAt }
  'camera.snapshot', // { source: 'recording' | 'camera' }
  // searches (personal data)
  'sightings.search', // the criteria and the number of results
  'sightings.trajectory', // { plate, from, to, results }
  'sightings.frame_view', // { cameraId, observedAt }
  'faces.search', // { k, from, to, cameraIds, minScore, results } (never the photo or its embedding)
  // watchlists
  'watchlist.create',
  'watchlist.update',
  'watchlist.delete',
  'watchlist.deactivate',
  'watchlist.import', // { watchlistId, rows }
  'watchlist_entry.create', // { watchlistId, plate | personName }
  'watchlist_entry.update',
  'watchlist_entry.delete',
  'watchlist_entry.photo_add', // { watchlistId, model, quality }
  // alerts
  'alert.acknowledge',
  'alert.inspect',
  'alert.resolve', // { disposition }
  'alert.note',
  // incidents, dispatch, plans, units
  'incident.create',
  'incident.update',
  'incident.note',
  'incident.close',
  'incident.plan_step',
  'dispatch.create',
  'dispatch.accept',
  'dispatch.en_route',
  'dispatch.on_scene',
  'dispatch.clear',
  'dispatch.cancel',
  'dispatch.reassign',
  'plan.create',
  'plan.update',
  'plan.delete',
  'unit.create',
  'unit.update',
  'unit.delete',
  'unit.status',
  // cameras and sites
  'camera.create', // { name, sourceKind, sourceUrl, polygons? } polygons: privacy masks set
  'camera.update', // { changed, passwordChanged, polygons? } polygons: privacy masks now set (when changed)
  'camera.delete',
  'camera.ptz',
  'camera.analytics',
  'site.create',
  'site.delete',
  // evidence export (reserved for the export feature)
  'export.create',
  'export.download',
  'export.delete', // the package file removed (the record stays)
  // system
  'system.notice',
  'retention.run', // reserved for retention jobs
  'audit.export', // the filter of a CSV download of the audit log
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** The subjects (the part before the dot): what the audit screen's action filter groups by. */
export type AuditSubject = AuditAction extends `${infer S}.${string}` ? S : never;
export const AUDIT_SUBJECTS = [...new Set(AUDIT_ACTIONS.map((a) => a.slice(0, a.indexOf('.'))))] as AuditSubject[];

export function isAuditAction(value: string): value is AuditAction {
  return (AUDIT_ACTIONS as readonly string[]).includes(value);
}

/** An action filter: one action (`live.open`) or every action of a subject (`live.` or `live`). */
export const auditActionFilterSchema = z
  .string()
  .trim()
  .max(100)
  .regex(/^[a-z_]+(\.[a-z_]*)?$/, 'an action such as live.open, or a subject prefix such as live.');

export const auditQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    offset: z.coerce.number().int().min(0).default(0),
    action: auditActionFilterSchema.optional(),
    /** A user's id, or a user name (exact, case-insensitive). */
    user: z.string().trim().min(1).max(100).optional(),
    /** Kept for older clients: same as `user` with an id. */
    userId: z.string().uuid().optional(),
    targetType: z.string().trim().min(1).max(50).optional(),
    targetId: z.string().trim().min(1).max(200).optional(),
    /** Words found anywhere in the detail (case-insensitive). */
    q: z.string().trim().min(1).max(200).optional(),
    /** Inclusive. */
    from: z.coerce.date().optional(),
    /** Exclusive. */
    to: z.coerce.date().optional(),
  })
  .strict();
export type AuditQuery = z.infer<typeof auditQuerySchema>;

/** The CSV download takes the same filters; it is capped (the newest rows first). */
export const AUDIT_CSV_MAX_ROWS = 50_000;
export const auditCsvQuerySchema = auditQuerySchema.omit({ limit: true, offset: true }).strict();
export type AuditCsvQuery = z.infer<typeof auditCsvQuerySchema>;
