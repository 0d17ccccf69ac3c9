import { scopeAllows, type CameraAccessKind } from '../../../contracts/access.ts';
import { ForbiddenError } from '../../../contracts/errors.ts';
import type { Principal } from './auth.service.ts';

/**
 * Per-camera and per-area permissions (contracts/access.ts) as the services apply them: a user whose
 * roles allow live view, playback or search may still be limited to some cameras and sites for each.
 */

const REFUSALS: Readonly<Record<CameraAccessKind, (name: string) => string>> = {
  live: (name) => `You may not watch camera "${name}" live: it is outside the cameras your account may view. Ask an administrator.`,
  playback: (name) => `You may not play back camera "${name}": it is outside the cameras your account may play back. Ask an administrator.`,
  search: (name) => `You may not see what camera "${name}" recorded: it is outside the cameras your account may search. Ask an administrator.`,
};

/** Refuse (403) when the actor's access does not cover the camera. */
export function assertCameraAccess(actor: Pick<Principal, 'cameraAccess'>, kind: CameraAccessKind, camera: { id: string; siteId: string | null; name?: string }): void {
  const scope = actor.cameraAccess?.[kind] ?? null;
  if (!scopeAllows(scope, camera)) throw new ForbiddenError(REFUSALS[kind](camera.name ?? camera.id));
}

/**
 * The cameras a search may cover: `requested` when the actor may search all of them (403 naming the
 * first that is not allowed otherwise); with nothing requested, undefined (every camera) for an
 * unrestricted actor, else exactly the cameras the actor may search (possibly none).
 */
export async function searchableCameras(
  actor: Pick<Principal, 'cameraAccess'>,
  requested: readonly string[] | undefined,
  placements: () => Promise<Array<{ id: string; siteId: string | null }>>,
): Promise<string[] | undefined> {
  const scope = actor.cameraAccess?.search ?? null;
  if (scope === null) return requested ? [...requested] : undefined;
  const allowed = (await placements()).filter((c) => scopeAllows(scope, c)).map((c) => c.id);
  if (!requested) return allowed;
  const refused = requested.find((id) => !allowed.includes(id));
  if (refused) throw new ForbiddenError(REFUSALS.search(refused));
  return [...requested];
}

/** assertCameraAccess for a camera known by id; the camera is looked up only when the actor is restricted. */
export async function assertCameraIdAccess(
  actor: Pick<Principal, 'cameraAccess'>,
  kind: CameraAccessKind,
  cameraId: string,
  findCamera: (id: string) => Promise<{ id: string; siteId: string | null; name: string } | undefined>,
): Promise<void> {
  if ((actor.cameraAccess?.[kind] ?? null) === null) return;
  const camera = await findCamera(cameraId);
  assertCameraAccess(actor, kind, camera ?? { id: cameraId, siteId: null });
}
