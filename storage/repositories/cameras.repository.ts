import { sql, type Kysely } from 'kysely';
import type { Camera, CameraStatus, PrivacyMask } from '../../contracts/api.ts';
import { ConflictError, ValidationError } from '../../contracts/errors.ts';
import { isHalfPositionError, isPgError, PG_FOREIGN_KEY_VIOLATION } from '../pg-errors.ts';
import { redactUrl } from '../redact.ts';
import type { CameraRow, Database } from '../schema.ts';
import { defined, iso, isoOrNull, page, toCount, type Page, type PageResult } from './map.ts';

/** A camera as storage knows it: the API camera plus the sealed password. */
export type CameraRecord = Camera & { passwordEnc: string | null; onvifProfile: string | null };

export interface NewCamera {
  name: string;
  sourceKind: Camera['sourceKind'];
  /** As the camera needs it (ingest reads it from the record); `toCamera` redacts it for the API. */
  sourceUrl: string;
  subStreamUrl?: string | null;
  username?: string | null;
  /** Sealed with SecretBox; never plain text. */
  passwordEnc?: string | null;
  siteId?: string | null;
  latitude?: number | null;
  longitude?: number | null;
  ptz?: boolean;
  enabled?: boolean;
  /** What an ONVIF device reported (see migration 0004). */
  streamUrl?: string | null;
  snapshotUrl?: string | null;
  onvifProfile?: string | null;
  deviceInfo?: Record<string, string> | null;
  /** Polygons blacked out of video (see migration 0013); [] for none. */
  privacyMasks?: PrivacyMask[];
}

export type CameraPatch = Partial<NewCamera>;

/**
 * The API view of a camera: no sealed password, and source URLs through redactUrl (they should
 * hold no credentials, which live in username/passwordEnc, but a hand-typed one might).
 */
export function toCamera(record: CameraRecord): Camera {
  const { passwordEnc: _sealed, onvifProfile: _profile, ...camera } = record;
  return {
    ...camera,
    sourceUrl: redactUrl(camera.sourceUrl),
    subStreamUrl: camera.subStreamUrl === null ? null : redactUrl(camera.subStreamUrl),
    streamUrl: camera.streamUrl === null ? null : redactUrl(camera.streamUrl),
    snapshotUrl: camera.snapshotUrl === null ? null : redactUrl(camera.snapshotUrl),
  };
}

function toRecord(row: CameraRow): CameraRecord {
  return {
    id: row.id,
    name: row.name,
    sourceKind: row.source_kind as Camera['sourceKind'],
    sourceUrl: row.source_url,
    subStreamUrl: row.sub_stream_url,
    streamUrl: row.stream_url,
    snapshotUrl: row.snapshot_url,
    deviceInfo: (row.device_info as Record<string, string> | null) ?? null,
    onvifProfile: row.onvif_profile,
    hasCredentials: row.password_enc !== null || row.username !== null,
    username: row.username,
    siteId: row.site_id,
    latitude: row.latitude,
    longitude: row.longitude,
    ptz: row.ptz,
    enabled: row.enabled,
    status: row.status as CameraStatus,
    privacyMasks: (row.privacy_masks as PrivacyMask[] | null) ?? [],
    statusReason: row.status_reason,
    statusChangedAt: isoOrNull(row.status_changed_at),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    passwordEnc: row.password_enc,
  };
}

function columns(input: CameraPatch) {
  return defined({
    name: input.name,
    source_kind: input.sourceKind,
    source_url: input.sourceUrl,
    sub_stream_url: input.subStreamUrl,
    username: input.username,
    password_enc: input.passwordEnc,
    site_id: input.siteId,
    latitude: input.latitude,
    longitude: input.longitude,
    ptz: input.ptz,
    enabled: input.enabled,
    stream_url: input.streamUrl,
    snapshot_url: input.snapshotUrl,
    onvif_profile: input.onvifProfile,
    device_info: input.deviceInfo === undefined ? undefined : input.deviceInfo === null ? null : JSON.stringify(input.deviceInfo),
    privacy_masks: input.privacyMasks === undefined ? undefined : JSON.stringify(input.privacyMasks),
  });
}

export class CamerasRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async create(input: NewCamera): Promise<CameraRecord> {
    try {
      const row = await this.db
        .insertInto('cameras')
        .values({
          ...columns(input),
          name: input.name,
          source_kind: input.sourceKind,
          source_url: input.sourceUrl,
          status_reason: null,
          status_changed_at: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRecord(row);
    } catch (err) {
      throw this.mapError(err, input.siteId);
    }
  }

  /** Only the fields given change; `null` clears a nullable field. */
  async update(id: string, patch: CameraPatch): Promise<CameraRecord | undefined> {
    const values = columns(patch);
    if (Object.keys(values).length === 0) return this.findById(id);
    try {
      const row = await this.db.updateTable('cameras').set(values).where('id', '=', id).returningAll().executeTakeFirst();
      return row && toRecord(row);
    } catch (err) {
      throw this.mapError(err, patch.siteId);
    }
  }

  /** false when there is no such camera. A camera with recordings or sightings cannot be deleted (ConflictError). */
  async delete(id: string): Promise<boolean> {
    try {
      const r = await this.db.deleteFrom('cameras').where('id', '=', id).executeTakeFirst();
      return r.numDeletedRows > 0n;
    } catch (err) {
      if (isPgError(err, PG_FOREIGN_KEY_VIOLATION)) {
        throw new ConflictError(`Camera ${id} has stored recordings or sightings; disable it instead of deleting it`);
      }
      throw err;
    }
  }

  async findById(id: string): Promise<CameraRecord | undefined> {
    const row = await this.db.selectFrom('cameras').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRecord(row);
  }

  /** Ids and sites of every camera (camera access checks). */
  async placements(): Promise<Array<{ id: string; siteId: string | null }>> {
    const rows = await this.db.selectFrom('cameras').select(['id', 'site_id']).execute();
    return rows.map((r) => ({ id: r.id, siteId: r.site_id }));
  }

  /** Ordered by name. */
  async list(paging?: Partial<Page>): Promise<PageResult<CameraRecord>> {
    const { limit, offset } = page(paging);
    const [rows, total] = await Promise.all([
      this.db.selectFrom('cameras').selectAll().orderBy('name').orderBy('id').limit(limit).offset(offset).execute(),
      this.db.selectFrom('cameras').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst(),
    ]);
    return { items: rows.map(toRecord), total: toCount(total?.n) };
  }

  /** Record a health state. status_changed_at moves only when the status changes; the reason always updates. */
  async setStatus(id: string, status: CameraStatus, reason: string | null): Promise<CameraRecord | undefined> {
    const row = await this.db
      .updateTable('cameras')
      .set({
        status,
        status_reason: reason,
        status_changed_at: sql<Date>`case when status = ${status} and status_changed_at is not null then status_changed_at else now() end`,
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    return row && toRecord(row);
  }

  private mapError(err: unknown, siteId: string | null | undefined): unknown {
    if (isPgError(err, PG_FOREIGN_KEY_VIOLATION, 'cameras_site_id_fkey')) {
      return new ValidationError(`Site ${siteId} does not exist`, [{ path: 'siteId', message: 'no such site' }]);
    }
    if (isHalfPositionError(err)) return new ValidationError('Give both latitude and longitude, or neither.', [{ path: 'latitude', message: 'latitude and longitude go together' }]);
    return err;
  }
}
