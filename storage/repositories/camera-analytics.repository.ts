import { sql, type Kysely } from 'kysely';
import { issuesFromZod, ValidationError } from '../../contracts/errors.ts';
import { analyticsSettingsSchema, DEFAULT_ANALYTICS_SETTINGS, type AnalyticsSettings, type CameraAnalytics } from '../../contracts/sightings.ts';
import type { Database } from '../schema.ts';
import { iso } from './map.ts';

function defaults(): AnalyticsSettings {
  return { ...DEFAULT_ANALYTICS_SETTINGS, pipelines: [...DEFAULT_ANALYTICS_SETTINGS.pipelines] };
}

/**
 * A stored settings object read back: merged over the defaults (a field added to the schema later
 * takes its default) and checked; a stored object that no longer passes gives the defaults.
 */
export function settingsFromStored(stored: unknown): { settings: AnalyticsSettings; valid: boolean } {
  const merged = { ...defaults(), ...(stored && typeof stored === 'object' && !Array.isArray(stored) ? stored : {}) };
  const parsed = analyticsSettingsSchema.safeParse(merged);
  return parsed.success ? { settings: parsed.data, valid: true } : { settings: defaults(), valid: false };
}

/**
 * Per-camera analytics settings (table camera_analytics, one row per configured camera; a camera
 * without a row uses DEFAULT_ANALYTICS_SETTINGS). The analytics role reads them with `listAll`
 * (or `listChangedSince` to poll cheaply); the API writes them with `set`.
 */
export class CameraAnalyticsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** The settings of a camera; undefined when there is no such camera. */
  async get(cameraId: string): Promise<CameraAnalytics | undefined> {
    const row = await this.db
      .selectFrom('cameras as c')
      .leftJoin('camera_analytics as a', 'a.camera_id', 'c.id')
      .select(['c.id', 'a.settings', 'a.updated_at'])
      .where('c.id', '=', cameraId)
      .executeTakeFirst();
    if (!row) return undefined;
    return toCameraAnalytics(row.id, row.settings, row.updated_at);
  }

  /**
   * Store (replace) a camera's settings. They are checked against analyticsSettingsSchema first
   * (ValidationError with the issues). Returns undefined when there is no such camera.
   */
  async set(cameraId: string, settings: AnalyticsSettings, updatedBy: string | null = null): Promise<CameraAnalytics | undefined> {
    const parsed = analyticsSettingsSchema.safeParse(settings);
    if (!parsed.success) throw new ValidationError('The analytics settings are not valid.', issuesFromZod(parsed.error.issues));
    const camera = await this.db.selectFrom('cameras').select('id').where('id', '=', cameraId).executeTakeFirst();
    if (!camera) return undefined;
    const json = JSON.stringify(parsed.data);
    const row = await this.db
      .insertInto('camera_analytics')
      .values({ camera_id: cameraId, settings: json, updated_by: updatedBy })
      .onConflict((oc) => oc.column('camera_id').doUpdateSet({ settings: json, updated_by: updatedBy, updated_at: sql<Date>`now()` }))
      .returning(['camera_id', 'settings', 'updated_at'])
      .executeTakeFirst();
    // The camera can go between the check and the insert: the foreign key refuses, and so do we.
    if (!row) return undefined;
    return toCameraAnalytics(row.camera_id, row.settings, row.updated_at);
  }

  /** Every camera's effective settings (defaults where none are stored), by camera id. */
  async listAll(): Promise<CameraAnalytics[]> {
    const rows = await this.db
      .selectFrom('cameras as c')
      .leftJoin('camera_analytics as a', 'a.camera_id', 'c.id')
      .select(['c.id', 'a.settings', 'a.updated_at'])
      .orderBy('c.id')
      .execute();
    return rows.map((r) => toCameraAnalytics(r.id, r.settings, r.updated_at));
  }

  /** Stored settings changed after `since` (exclusive), oldest change first: for polling. */
  async listChangedSince(since: Date): Promise<CameraAnalytics[]> {
    const rows = await this.db
      .selectFrom('camera_analytics')
      .select(['camera_id', 'settings', 'updated_at'])
      .where('updated_at', '>', since)
      .orderBy('updated_at')
      .execute();
    return rows.map((r) => toCameraAnalytics(r.camera_id, r.settings, r.updated_at));
  }
}

function toCameraAnalytics(cameraId: string, stored: unknown, updatedAt: Date | string | null): CameraAnalytics {
  if (stored === null || stored === undefined) return { cameraId, settings: defaults(), isDefault: true, updatedAt: null };
  return { cameraId, settings: settingsFromStored(stored).settings, isDefault: false, updatedAt: updatedAt === null ? null : iso(updatedAt) };
}
