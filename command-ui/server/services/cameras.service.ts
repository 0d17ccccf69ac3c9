import { existsSync, statSync } from 'node:fs';
import type { Logger } from '../../../config/logger.ts';
import type { Camera, CreateCameraRequest, UpdateCameraRequest } from '../../../contracts/api.ts';
import { filePathOf, normalizeSource, type CameraSourceKind } from '../../../contracts/camera-source.ts';
import { NotFoundError, ValidationError, type ErrorIssue } from '../../../contracts/errors.ts';
import type { AuditRepository } from '../../../storage/repositories/audit.repository.ts';
import { toCamera, type CamerasRepository } from '../../../storage/repositories/cameras.repository.ts';
import type { SecretBox } from '../../../storage/secret-box.ts';
import type { Principal, RequestMeta } from './auth.service.ts';
import type { EventBus } from './event-bus.ts';

interface CheckedSource {
  sourceUrl: string;
  subStreamUrl: string | null | undefined;
  username: string | null | undefined;
  password: string | null | undefined;
}

/**
 * Check a camera's addresses: credentials typed into a URL are moved to the credential fields,
 * explicit username/password fields win over those in the URL.
 */
function checkSource(
  kind: CameraSourceKind,
  sourceUrl: string,
  subStreamUrl: string | null | undefined,
  username: string | null | undefined,
  password: string | null | undefined,
): CheckedSource {
  const issues: ErrorIssue[] = [];
  const main = normalizeSource(kind, sourceUrl, 'sourceUrl');
  if (!main.ok) issues.push(main.issue);
  let sub: string | null | undefined = subStreamUrl;
  if (subStreamUrl) {
    const s = normalizeSource('rtsp', subStreamUrl, 'subStreamUrl');
    if (!s.ok) issues.push(s.issue);
    else sub = s.value.url;
  }
  if (main.ok && kind === 'file') {
    const path = filePathOf(main.value.url);
    if (!existsSync(path) || !statSync(path).isFile()) issues.push({ path: 'sourceUrl', message: `no such file: ${path}` });
  }
  if (issues.length || !main.ok) throw new ValidationError('The camera address is not valid.', issues);
  return {
    sourceUrl: main.value.url,
    subStreamUrl: sub,
    username: username !== undefined ? username || null : (main.value.username ?? undefined),
    password: password !== undefined ? password || null : (main.value.password ?? undefined),
  };
}

export class CamerasService {
  constructor(
    private readonly deps: { cameras: CamerasRepository; audit: AuditRepository; secrets: SecretBox; events: EventBus; log: Logger },
  ) {}

  async list(page: { limit: number; offset: number }): Promise<{ items: Camera[]; total: number }> {
    const { items, total } = await this.deps.cameras.list(page);
    return { items: items.map(toCamera), total };
  }

  async get(id: string): Promise<Camera> {
    const record = await this.deps.cameras.findById(id);
    if (!record) throw new NotFoundError(`No camera with id ${id}.`);
    return toCamera(record);
  }

  async create(input: CreateCameraRequest, actor: Principal, meta: RequestMeta): Promise<Camera> {
    const src = checkSource(input.sourceKind, input.sourceUrl, input.subStreamUrl, input.username, input.password);
    const record = await this.deps.cameras.create({
      name: input.name,
      sourceKind: input.sourceKind,
      sourceUrl: src.sourceUrl,
      subStreamUrl: src.subStreamUrl ?? null,
      username: src.username ?? null,
      passwordEnc: src.password ? this.deps.secrets.seal(src.password) : null,
      siteId: input.siteId ?? null,
      latitude: input.latitude ?? null,
      longitude: input.longitude ?? null,
      ptz: input.ptz ?? false,
      enabled: input.enabled ?? true,
    });
    const camera = toCamera(record);
    await this.deps.audit.append({
      userId: actor.userId,
      username: actor.username,
      action: 'camera.create',
      targetType: 'camera',
      targetId: camera.id,
      detail: { name: camera.name, sourceKind: camera.sourceKind, sourceUrl: camera.sourceUrl },
      ip: meta.ip,
    });
    this.deps.log.info({ cameraId: camera.id, sourceUrl: camera.sourceUrl }, 'camera created');
    this.deps.events.toPermitted('cameras.view', 'camera.created', camera);
    return camera;
  }

  async update(id: string, patch: UpdateCameraRequest, actor: Principal, meta: RequestMeta): Promise<Camera> {
    const current = await this.deps.cameras.findById(id);
    if (!current) throw new NotFoundError(`No camera with id ${id}.`);
    const addressChanged = patch.sourceKind !== undefined || patch.sourceUrl !== undefined || patch.subStreamUrl !== undefined;
    const credentialsChanged = patch.username !== undefined || patch.password !== undefined;
    let src: CheckedSource | null = null;
    if (addressChanged || credentialsChanged) {
      src = checkSource(
        patch.sourceKind ?? (current.sourceKind as CameraSourceKind),
        patch.sourceUrl ?? current.sourceUrl,
        patch.subStreamUrl !== undefined ? patch.subStreamUrl : current.subStreamUrl,
        patch.username,
        patch.password,
      );
    }
    const updated = await this.deps.cameras.update(id, {
      name: patch.name,
      sourceKind: patch.sourceKind,
      sourceUrl: src?.sourceUrl,
      subStreamUrl: src ? (src.subStreamUrl ?? null) : undefined,
      username: src?.username,
      passwordEnc: src?.password === undefined ? undefined : src.password === null ? null : this.deps.secrets.seal(src.password),
      siteId: patch.siteId,
      latitude: patch.latitude,
      longitude: patch.longitude,
      ptz: patch.ptz,
      enabled: patch.enabled,
    });
    if (!updated) throw new NotFoundError(`No camera with id ${id}.`);
    const camera = toCamera(updated);
    const changed = Object.keys(patch).filter((k) => k !== 'password');
    await this.deps.audit.append({
      userId: actor.userId,
      username: actor.username,
      action: 'camera.update',
      targetType: 'camera',
      targetId: id,
      detail: { changed, passwordChanged: patch.password !== undefined },
      ip: meta.ip,
    });
    this.deps.events.toPermitted('cameras.view', 'camera.updated', camera);
    return camera;
  }

  async remove(id: string, actor: Principal, meta: RequestMeta): Promise<void> {
    const current = await this.deps.cameras.findById(id);
    if (!current || !(await this.deps.cameras.delete(id))) throw new NotFoundError(`No camera with id ${id}.`);
    await this.deps.audit.append({
      userId: actor.userId,
      username: actor.username,
      action: 'camera.delete',
      targetType: 'camera',
      targetId: id,
      detail: { name: current.name },
      ip: meta.ip,
    });
    this.deps.events.toPermitted('cameras.view', 'camera.deleted', { id });
  }

  /** The stored password of a camera, decrypted, for ingest only. */
  async credentials(id: string): Promise<{ username: string | null; password: string | null }> {
    const record = await this.deps.cameras.findById(id);
    if (!record) throw new NotFoundError(`No camera with id ${id}.`);
    return { username: record.username, password: record.passwordEnc ? this.deps.secrets.open(record.passwordEnc) : null };
  }
}
