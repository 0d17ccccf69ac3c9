import { z } from 'zod';

/**
 * Camera access (per-camera and per-area permissions): which cameras a user may watch live, play
 * back and search, on top of what the user's roles allow. For each of the three, `null` means every
 * camera (the default); a scope means only the cameras listed and the cameras of the sites (areas,
 * checkpoints, stations) listed. A camera without a site is reached only by being listed.
 */
export const CAMERA_ACCESS_KINDS = ['live', 'playback', 'search'] as const;
export type CameraAccessKind = (typeof CAMERA_ACCESS_KINDS)[number];

const id = z.string().uuid();

export const cameraScopeSchema = z
  .object({
    siteIds: z.array(id).max(1000).default([]).describe('Every camera of these sites'),
    cameraIds: z.array(id).max(10_000).default([]).describe('These cameras'),
  })
  .strict();
export type CameraScope = z.output<typeof cameraScopeSchema>;

export const cameraAccessSchema = z
  .object({
    live: cameraScopeSchema.nullable().default(null).describe('Cameras this user may watch live; null: all'),
    playback: cameraScopeSchema.nullable().default(null).describe('Cameras whose recordings this user may play; null: all'),
    search: cameraScopeSchema.nullable().default(null).describe('Cameras whose sightings this user may search and see; null: all'),
  })
  .strict();
export type CameraAccess = z.output<typeof cameraAccessSchema>;

export const UNRESTRICTED_ACCESS: CameraAccess = Object.freeze({ live: null, playback: null, search: null });

/** Whether a scope (null: no restriction) covers a camera. */
export function scopeAllows(scope: CameraScope | null, camera: { id: string; siteId: string | null }): boolean {
  if (scope === null) return true;
  return scope.cameraIds.includes(camera.id) || (camera.siteId !== null && scope.siteIds.includes(camera.siteId));
}

const NOTHING: CameraScope = Object.freeze({ siteIds: [], cameraIds: [] }) as CameraScope;

/** Read a stored value. Missing kinds are unrestricted; a malformed value allows nothing (fail closed). */
export function parseCameraAccess(value: unknown): CameraAccess {
  const parsed = cameraAccessSchema.safeParse(value ?? {});
  return parsed.success ? parsed.data : { live: NOTHING, playback: NOTHING, search: NOTHING };
}
