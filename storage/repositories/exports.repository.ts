import { sql, type Kysely, type Selectable } from 'kysely';
import type { AuditEntry } from '../../contracts/api.ts';
import type { ExportJob, ExportStatus } from '../../contracts/exports.ts';
import type { Database, ExportsTable } from '../schema.ts';
import { toEntry } from './audit.repository.ts';
import { iso, isoOrNull } from './map.ts';

export type ExportRecord = ExportJob;

export interface NewExport {
  createdBy: string;
  createdByName: string;
  cameraIds: string[];
  from: Date;
  to: Date;
  reason: string;
}

function toRecord(r: Selectable<ExportsTable>): ExportRecord {
  return {
    id: r.id,
    createdBy: { userId: r.created_by, username: r.created_by_name },
    cameraIds: r.camera_ids,
    from: iso(r.range_from),
    to: iso(r.range_to),
    reason: r.reason,
    status: r.status as ExportStatus,
    progress: r.progress,
    bytes: r.bytes === null ? null : Number(r.bytes),
    sha256: r.sha256,
    fileName: r.file_name,
    keyFingerprint: r.key_fingerprint,
    error: r.error,
    createdAt: iso(r.created_at),
    finishedAt: isoOrNull(r.finished_at),
    fileDeletedAt: isoOrNull(r.file_deleted_at),
  };
}

/** Evidence exports (contracts/exports.ts) and the audit entries an export package carries. */
export class ExportsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async create(input: NewExport): Promise<ExportRecord> {
    const row = await this.db
      .insertInto('exports')
      .values({
        created_by: input.createdBy,
        created_by_name: input.createdByName,
        camera_ids: input.cameraIds,
        range_from: input.from,
        range_to: input.to,
        reason: input.reason,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRecord(row);
  }

  async get(id: string): Promise<ExportRecord | undefined> {
    const row = await this.db.selectFrom('exports').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRecord(row);
  }

  /** Newest first; only one user's when `createdBy` is given. */
  async list(filter: { createdBy?: string; limit: number }): Promise<ExportRecord[]> {
    let q = this.db.selectFrom('exports').selectAll();
    if (filter.createdBy !== undefined) q = q.where('created_by', '=', filter.createdBy);
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
    return rows.map(toRecord);
  }

  /** The job begins (again, after a failed attempt): running from 0. */
  async start(id: string): Promise<ExportRecord | undefined> {
    const row = await this.db
      .updateTable('exports')
      .set({ status: 'running', progress: 0, started_at: new Date(), error: null, sha256: null, bytes: null, file_name: null, finished_at: null })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    return row && toRecord(row);
  }

  /** Progress only grows, and only while running. Returns the record when it changed. */
  async progress(id: string, progress: number): Promise<ExportRecord | undefined> {
    const row = await this.db
      .updateTable('exports')
      .set({ progress: Math.max(0, Math.min(100, Math.round(progress))) })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .where('progress', '<', Math.round(progress))
      .returningAll()
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async finish(id: string, done: { bytes: number; sha256: string; fileName: string; keyFingerprint: string }): Promise<ExportRecord | undefined> {
    const row = await this.db
      .updateTable('exports')
      .set({ status: 'done', progress: 100, bytes: done.bytes, sha256: done.sha256, file_name: done.fileName, key_fingerprint: done.keyFingerprint, finished_at: new Date(), error: null })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async fail(id: string, error: string): Promise<ExportRecord | undefined> {
    const row = await this.db
      .updateTable('exports')
      .set({ status: 'failed', error: error.slice(0, 2000), finished_at: new Date() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    return row && toRecord(row);
  }

  /** The package file is gone (deleted by its owner or by retention); the record stays. */
  async markFileDeleted(id: string): Promise<void> {
    await this.db.updateTable('exports').set({ file_deleted_at: new Date() }).where('id', '=', id).where('file_deleted_at', 'is', null).execute();
  }

  /** Finished exports older than `before` whose package file is still there. */
  async finishedBefore(before: Date, limit = 1000): Promise<ExportRecord[]> {
    const rows = await this.db
      .selectFrom('exports')
      .selectAll()
      .where('finished_at', '<', before)
      .where('file_deleted_at', 'is', null)
      .orderBy('finished_at')
      .limit(limit)
      .execute();
    return rows.map(toRecord);
  }

  /**
   * Audit entries an export carries, oldest first: those about its cameras made from the start of
   * the range until now (live views, playback, changes of the camera, earlier exports' entries are
   * about exports), and those about its alerts, sightings and recordings at any time; plus entries
   * about the export itself. At most `limit`.
   */
  async auditTrail(input: { cameraIds: string[]; alertIds: string[]; sightingIds: string[]; recordingIds: string[]; exportId: string; from: Date; limit: number }): Promise<AuditEntry[]> {
    const rows = await this.db
      .selectFrom('audit_log')
      .selectAll()
      .where((eb) =>
        eb.or([
          eb.and([eb('target_type', '=', 'camera'), eb('target_id', 'in', input.cameraIds), eb('at', '>=', input.from)]),
          ...(input.alertIds.length ? [eb.and([eb('target_type', '=', 'alert'), eb('target_id', 'in', input.alertIds)])] : []),
          ...(input.sightingIds.length ? [eb.and([eb('target_type', '=', 'sighting'), eb('target_id', 'in', input.sightingIds)])] : []),
          ...(input.recordingIds.length ? [eb(sql<string>`detail->>'recordingId'`, 'in', input.recordingIds)] : []),
          eb.and([eb('target_type', '=', 'export'), eb('target_id', '=', input.exportId)]),
        ]),
      )
      .orderBy('at')
      .orderBy('id')
      .limit(input.limit)
      .execute();
    return rows.map(toEntry);
  }
}
