import { z } from 'zod';
import { cameraAccessSchema } from './access.ts';
import { roleSchema } from './roles.ts';

/**
 * Request and response schemas of the HTTP API. The server validates with them and generates the
 * OpenAPI document from them; the browser imports the types. Field names are camelCase; database
 * rows never leave the server unmapped.
 */

export const idSchema = z.string().uuid().describe('Identifier (UUID)');
export const idParamsSchema = z.object({ id: idSchema }).strict();

export const localeSchema = z.enum(['zh-CN', 'en']).describe('UI language');
export type Locale = z.infer<typeof localeSchema>;

// ---------- auth ----------
export const loginRequestSchema = z
  .object({
    username: z.string().trim().min(1).max(64).describe('Login name'),
    password: z.string().min(1).max(256).describe('Password'),
  })
  .strict();
export type LoginRequest = z.infer<typeof loginRequestSchema>;

export const userSchema = z.object({
  id: idSchema,
  username: z.string(),
  displayName: z.string(),
  roles: z.array(roleSchema),
  disabled: z.boolean(),
  mustChangePassword: z.boolean(),
  cameraAccess: cameraAccessSchema.describe('Which cameras the user may watch live, play back and search'),
  createdAt: z.string().describe('ISO 8601 time'),
});
export type User = z.infer<typeof userSchema>;

export const loginResponseSchema = z.object({
  token: z.string().describe('Bearer token; also set as the argus_session cookie'),
  expiresAt: z.string().describe('ISO 8601 time the session ends unless renewed'),
  user: userSchema,
});
export type LoginResponse = z.infer<typeof loginResponseSchema>;

export const changePasswordRequestSchema = z
  .object({
    currentPassword: z.string().min(1).max(256),
    newPassword: z.string().min(10, 'at least 10 characters').max(256),
  })
  .strict();

// ---------- users ----------
export const usernameSchema = z
  .string()
  .trim()
  .min(2)
  .max(64)
  .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only');

export const createUserRequestSchema = z
  .object({
    username: usernameSchema,
    displayName: z.string().trim().min(1).max(100),
    password: z.string().min(10, 'at least 10 characters').max(256),
    roles: z.array(roleSchema).min(1).max(6),
    cameraAccess: cameraAccessSchema.optional().describe('Default: every camera'),
  })
  .strict();
export type CreateUserRequest = z.infer<typeof createUserRequestSchema>;

export const updateUserRequestSchema = z
  .object({
    displayName: z.string().trim().min(1).max(100).optional(),
    roles: z.array(roleSchema).min(1).max(6).optional(),
    disabled: z.boolean().optional(),
    password: z.string().min(10, 'at least 10 characters').max(256).optional(),
    cameraAccess: cameraAccessSchema.optional(),
  })
  .strict();
export type UpdateUserRequest = z.infer<typeof updateUserRequestSchema>;

// ---------- sites (checkpoints and other places cameras belong to) ----------
export const SITE_KINDS = ['checkpoint', 'virtual_checkpoint', 'station', 'area'] as const;
export const siteKindSchema = z.enum(SITE_KINDS);
export const latitudeSchema = z.number().min(-90).max(90).describe('Latitude, WGS84/CGCS2000 degrees');
export const longitudeSchema = z.number().min(-180).max(180).describe('Longitude, WGS84/CGCS2000 degrees');

export const siteSchema = z.object({
  id: idSchema,
  name: z.string(),
  kind: siteKindSchema,
  code: z.string().nullable(),
  latitude: z.number().nullable(),
  longitude: z.number().nullable(),
  createdAt: z.string(),
});
export type Site = z.infer<typeof siteSchema>;

export const createSiteRequestSchema = z
  .object({
    name: z.string().trim().min(1).max(100),
    kind: siteKindSchema,
    code: z.string().trim().max(32).nullable().optional(),
    latitude: latitudeSchema.nullable().optional(),
    longitude: longitudeSchema.nullable().optional(),
  })
  .strict();
export type CreateSiteRequest = z.infer<typeof createSiteRequestSchema>;

// ---------- cameras ----------
export const CAMERA_SOURCE_KINDS = ['rtsp', 'onvif', 'file'] as const;
export const cameraSourceKindSchema = z.enum(CAMERA_SOURCE_KINDS);
export const CAMERA_STATUSES = ['unknown', 'online', 'degraded', 'offline', 'disabled'] as const;
export const cameraStatusSchema = z.enum(CAMERA_STATUSES);
export type CameraStatus = z.infer<typeof cameraStatusSchema>;

/** One corner of a privacy mask, normalised to the picture: x from the left, y from the top, both 0..1. */
export const maskPointSchema = z.tuple([
  z.number().min(0, 'mask points must lie inside the picture (x from 0 to 1)').max(1, 'mask points must lie inside the picture (x from 0 to 1)'),
  z.number().min(0, 'mask points must lie inside the picture (y from 0 to 1)').max(1, 'mask points must lie inside the picture (y from 0 to 1)'),
]);
export const MAX_PRIVACY_MASKS = 16;
export const MAX_MASK_POINTS = 32;
/** A polygon blacked out of the live view, the recording and the analytics frames. */
export const privacyMaskSchema = z
  .array(maskPointSchema)
  .min(3, 'a privacy mask needs at least 3 points')
  .max(MAX_MASK_POINTS, `a privacy mask has at most ${MAX_MASK_POINTS} points`)
  // Fewer than 3 points already has its own message.
  .refine((pts) => pts.length < 3 || Math.abs(pts.reduce((a, [x, y], i) => a + x * pts[(i + 1) % pts.length]![1] - pts[(i + 1) % pts.length]![0] * y, 0)) > 1e-6, {
    message: 'a privacy mask must cover an area (its points lie on one line)',
  });
export type PrivacyMask = z.infer<typeof privacyMaskSchema>;
export const privacyMasksSchema = z
  .array(privacyMaskSchema)
  .max(MAX_PRIVACY_MASKS, `a camera has at most ${MAX_PRIVACY_MASKS} privacy masks`)
  .describe('Polygons blacked out of live view, recording and analytics; points as [x, y] normalised to 0..1 (x right, y down)');

export const cameraSchema = z.object({
  id: idSchema,
  name: z.string(),
  sourceKind: cameraSourceKindSchema,
  /** Source URL with any credentials removed. */
  sourceUrl: z.string(),
  subStreamUrl: z.string().nullable(),
  /** ONVIF cameras: the main stream URI the device reported when it was added (no credentials). */
  streamUrl: z.string().nullable(),
  snapshotUrl: z.string().nullable(),
  /** ONVIF cameras: manufacturer, model, firmware as the device reported them. */
  deviceInfo: z.record(z.string(), z.string()).nullable(),
  hasCredentials: z.boolean().describe('Whether a user name/password is stored (never returned)'),
  username: z.string().nullable(),
  siteId: idSchema.nullable(),
  latitude: z.number().nullable(),
  longitude: z.number().nullable(),
  ptz: z.boolean(),
  enabled: z.boolean(),
  status: cameraStatusSchema,
  privacyMasks: privacyMasksSchema,
  statusReason: z.string().nullable(),
  statusChangedAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Camera = z.infer<typeof cameraSchema>;

const cameraFields = {
  name: z.string().trim().min(1, 'a name is required').max(100),
  sourceKind: cameraSourceKindSchema.describe('rtsp: an RTSP URL; onvif: the ONVIF device address; file: a local video (demos, tests)'),
  sourceUrl: z
    .string()
    .trim()
    .min(1, 'an address is required')
    .max(2048)
    .describe('rtsp://host[:port]/path, http://host[:port] (ONVIF) or file:///path'),
  subStreamUrl: z.string().trim().max(2048).nullable().optional(),
  username: z.string().max(128).nullable().optional(),
  password: z.string().max(256).nullable().optional().describe('Write-only; stored encrypted'),
  siteId: idSchema.nullable().optional(),
  latitude: latitudeSchema.nullable().optional(),
  longitude: longitudeSchema.nullable().optional(),
  ptz: z.boolean().optional(),
  enabled: z.boolean().optional(),
  privacyMasks: privacyMasksSchema.optional(),
};

export const createCameraRequestSchema = z.object(cameraFields).strict();
export type CreateCameraRequest = z.infer<typeof createCameraRequestSchema>;
export const updateCameraRequestSchema = z.object(cameraFields).partial().strict();
export type UpdateCameraRequest = z.infer<typeof updateCameraRequestSchema>;

export const listQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(1000).default(200),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict();

export function listResponseSchema<T extends z.ZodTypeAny>(item: T) {
  return z.object({ items: z.array(item), total: z.number().int() });
}

// ---------- system ----------
export const healthSchema = z.object({
  status: z.enum(['ok', 'degraded']),
  version: z.string(),
  roles: z.array(z.string()),
  database: z.object({ kind: z.enum(['pglite', 'postgres']), ok: z.boolean(), vector: z.boolean() }),
  redis: z.object({ ok: z.boolean() }),
  /** Sightings spooled to disk while the database was unreachable (absent: no spool in this process). */
  spool: z
    .object({
      spooling: z.boolean().describe('Sightings are waiting on disk for the database now'),
      count: z.number().int().describe('Sightings (and refinements) waiting now'),
      bytes: z.number().int().describe('Disk they use, with the evidence images they hold'),
      spooled: z.number().int().describe('Spooled since this process started'),
      drained: z.number().int().describe('Stored from the spool since this process started'),
      dropped: z.number().int().describe('Dropped (oldest first when the spool was full, or refused by the database) since this process started'),
      maxBytes: z.number().int(),
      maxRecords: z.number().int(),
    })
    .optional(),
});
export type Health = z.infer<typeof healthSchema>;

export const auditEntrySchema = z.object({
  id: z.string(),
  at: z.string(),
  userId: idSchema.nullable(),
  username: z.string().nullable(),
  action: z.string(),
  targetType: z.string().nullable(),
  targetId: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()),
  ip: z.string().nullable(),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;
