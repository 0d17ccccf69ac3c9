import type { Kysely } from 'kysely';
import type { Recording } from '../../contracts/media.ts';
import type { Database } from '../schema.ts';
import { iso } from './map.ts';

export interface RecordingRecord extends Recording {
  /** Absolute path of the segment file; never sent to clients. */
  path: string;
}

/** One row per recorded segment file. */
export class RecordingsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Record a finished segment; a path already known is left as it is. */
  async add(input: { cameraId: string; startedAt: Date; endedAt: Date; path: string; bytes: number }): Promise<void> {
    await this.db
      .insertInto('recordings')
      .values({ camera_id: input.cameraId, started_at: input.startedAt, ended_at: input.endedAt, path: input.path, bytes: input.bytes })
      .onConflict((oc) => oc.column('path').doNothing())
      .execute();
  }

  /** Segments of a camera overlapping [from, to], in time order. */
  async listForCamera(cameraId: string, from: Date, to: Date, limit = 5000): Promise<RecordingRecord[]> {
    const rows = await this.db
      .selectFrom('recordings')
      .selectAll()
      .where('camera_id', '=', cameraId)
      .where('ended_at', '>=', from)
      .where('started_at', '<=', to)
      .orderBy('started_at')
      .limit(limit)
      .execute();
    return rows.map(toRecord);
  }

  async findById(id: string): Promise<RecordingRecord | undefined> {
    const row = await this.db.selectFrom('recordings').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  async deleteByPaths(paths: string[]): Promise<number> {
    if (paths.length === 0) return 0;
    const r = await this.db.deleteFrom('recordings').where('path', 'in', paths).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}

function toRecord(row: { id: string; camera_id: string; started_at: Date | string; ended_at: Date | string; path: string; bytes: string | number }): RecordingRecord {
  return { id: row.id, cameraId: row.camera_id, startedAt: iso(row.started_at), endedAt: iso(row.ended_at), bytes: Number(row.bytes), path: row.path };
}
