import { existsSync, statSync } from 'node:fs';
import type { Logger } from '../../../config/logger.ts';
import type { Camera, CreateCameraRequest, UpdateCameraRequest } from '../../../contracts/api.ts';
import type { PtzCommand, PtzPreset } from '../../../contracts/media.ts';
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

/** What the ONVIF adapter (ingest/onvif/onvif-devices.ts) does for this service; cli/serve.ts supplies it. */
export interface OnvifPort {
  probe(
    address: string,
    username: string | null,
    password: string | null,
  ): Promise<{ mainUri: string; subUri: string | null; snapshotUri: string | null; ptz: boolean; profileToken: string; deviceInfo: Record<string, string> }>;
  ptz(target: OnvifTargetInfo, command: PtzCommand): Promise<{ token?: string }>;
  presets(target: OnvifTargetInfo): Promise<PtzPreset[]>;
}
export interface OnvifTargetInfo {
  address: string;
  username: string | null;
  password: string | null;
  profileToken: string;
}

export class CamerasService {
  constructor(
    private readonly deps: {
      cameras: CamerasRepository;
      audit: AuditRepository;
      secrets: SecretBox;
      events: EventBus;
      log: Logger;
      onvif: OnvifPort;
    },
  ) {}

  /** Ask an ONVIF device for its streams; the camera is not saved when it cannot answer. */
  private async probeOnvif(address: string, username: string | null, password: string | null, subStreamUrl: string | null | undefined, ptz: boolean | undefined) {
    const found = await this.deps.onvif.probe(address, username, password);
    return {
      streamUrl: found.mainUri,
      subStreamUrl: subStreamUrl ?? found.subUri,
      snapshotUrl: found.snapshotUri,
      onvifProfile: found.profileToken,
      deviceInfo: found.deviceInfo,
      ptz: ptz ?? found.ptz,
    };
  }

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
    const onvif =
      input.sourceKind === 'onvif'
        ? await this.probeOnvif(src.sourceUrl, src.username ?? null, src.password ?? null, src.subStreamUrl, input.ptz)
        : null;
    const record = await this.deps.cameras.create({
      name: input.name,
      sourceKind: input.sourceKind,
      sourceUrl: src.sourceUrl,
      subStreamUrl: onvif ? onvif.subStreamUrl : (src.subStreamUrl ?? null),
      username: src.username ?? null,
      passwordEnc: src.password ? this.deps.secrets.seal(src.password) : null,
      siteId: input.siteId ?? null,
      latitude: input.latitude ?? null,
      longitude: input.longitude ?? null,
      ptz: onvif ? onvif.ptz : (input.ptz ?? false),
      enabled: input.enabled ?? true,
      streamUrl: onvif?.streamUrl ?? null,
      snapshotUrl: onvif?.snapshotUrl ?? null,
      onvifProfile: onvif?.onvifProfile ?? null,
      deviceInfo: onvif?.deviceInfo ?? null,
      privacyMasks: input.privacyMasks ?? [],
    });
    const camera = toCamera(record);
    await this.deps.audit.append({
      userId: actor.userId,
      username: actor.username,
      action: 'camera.create',
      targetType: 'camera',
      targetId: camera.id,
      detail: { name: camera.name, sourceKind: camera.sourceKind, sourceUrl: camera.sourceUrl, ...(camera.privacyMasks.length ? { polygons: camera.privacyMasks.length } : {}) },
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
    // An ONVIF camera whose address or credentials changed is asked for its streams again.
    const kind = patch.sourceKind ?? current.sourceKind;
    let onvif: Awaited<ReturnType<CamerasService['probeOnvif']>> | null = null;
    if (kind === 'onvif' && src) {
      const username = src.username !== undefined ? src.username : current.username;
      const password =
        src.password !== undefined ? src.password : current.passwordEnc ? this.deps.secrets.open(current.passwordEnc) : null;
      onvif = await this.probeOnvif(src.sourceUrl, username, password, patch.subStreamUrl, patch.ptz);
    }
    const clearOnvif = kind !== 'onvif' && current.sourceKind === 'onvif';
    const updated = await this.deps.cameras.update(id, {
      ...(onvif
        ? { streamUrl: onvif.streamUrl, snapshotUrl: onvif.snapshotUrl, onvifProfile: onvif.onvifProfile, deviceInfo: onvif.deviceInfo }
        : clearOnvif
          ? { streamUrl: null, snapshotUrl: null, onvifProfile: null, deviceInfo: null }
          : {}),
      name: patch.name,
      sourceKind: patch.sourceKind,
      sourceUrl: src?.sourceUrl,
      subStreamUrl: onvif ? onvif.subStreamUrl : src ? (src.subStreamUrl ?? null) : undefined,
      username: src?.username,
      passwordEnc: src?.password === undefined ? undefined : src.password === null ? null : this.deps.secrets.seal(src.password),
      siteId: patch.siteId,
      latitude: patch.latitude,
      longitude: patch.longitude,
      ptz: onvif ? onvif.ptz : patch.ptz,
      enabled: patch.enabled,
      privacyMasks: patch.privacyMasks,
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
      detail: { changed, passwordChanged: patch.password !== undefined, ...(patch.privacyMasks ? { polygons: patch.privacyMasks.length } : {}) },
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

  private async ptzTarget(id: string): Promise<OnvifTargetInfo> {
    const record = await this.deps.cameras.findById(id);
    if (!record) throw new NotFoundError(`No camera with id ${id}.`);
    if (!record.ptz) throw new ValidationError(`Camera ${record.name} has no PTZ.`, [{ path: 'ptz', message: 'not a PTZ camera' }]);
    if (record.sourceKind !== 'onvif' || !record.onvifProfile) {
      throw new ValidationError(`PTZ control needs the camera to be added by its ONVIF address; ${record.name} was added by a stream URL.`, [
        { path: 'sourceKind', message: 'not an ONVIF camera' },
      ]);
    }
    return {
      address: record.sourceUrl,
      username: record.username,
      password: record.passwordEnc ? this.deps.secrets.open(record.passwordEnc) : null,
      profileToken: record.onvifProfile,
    };
  }

  async ptz(id: string, command: PtzCommand, actor: Principal, meta: RequestMeta): Promise<{ token?: string }> {
    const result = await this.deps.onvif.ptz(await this.ptzTarget(id), command);
    if (command.action !== 'stop') {
      await this.deps.audit.append({ userId: actor.userId, username: actor.username, action: 'camera.ptz', targetType: 'camera', targetId: id, detail: { ...command }, ip: meta.ip });
    }
    return result;
  }

  async ptzPresets(id: string): Promise<PtzPreset[]> {
    return this.deps.onvif.presets(await this.ptzTarget(id));
  }

  /** The stored password of a camera, decrypted, for ingest only. */
  async credentials(id: string): Promise<{ username: string | null; password: string | null }> {
    const record = await this.deps.cameras.findById(id);
    if (!record) throw new NotFoundError(`No camera with id ${id}.`);
    return { username: record.username, password: record.passwordEnc ? this.deps.secrets.open(record.passwordEnc) : null };
  }
}
