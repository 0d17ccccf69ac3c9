import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../schema.ts';
import { toCount } from './map.ts';

/** A file whose row is gone and which is still to be deleted (table retention_files, migration 0009). */
export interface PendingFile {
  /** evidence: relative to the evidence folder; recording: absolute. */
  path: string;
  kind: 'evidence' | 'recording';
}

/**
 * The deletions of retention, one batch per call (at most `limit` rows, in one short transaction).
 *
 * Every method that deletes a row holding a file path lists that path in `retention_files` in the
 * same transaction; the caller deletes the files after the commit (see storage/retention.ts). Alerts,
 * alert actions, incidents, their timeline and the audit log are append-only: their triggers let a
 * DELETE through only in a transaction that set `argus.retention` (here, and nowhere else), and never
 * an audit row younger than 180 days (migration 0009).
 */
export class RetentionRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** A transaction in which the append-only triggers accept this job's deletions. */
  private retentionTransaction<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(async (trx) => {
      await sql`select set_config('argus.retention', 'on', true)`.execute(trx);
      return work(trx);
    });
  }

  /** Recording segments that ended before `cutoff`: rows deleted, files listed. */
  async deleteRecordings(cutoff: Date, limit: number): Promise<number> {
    const r = await sql<{ n: string | number }>`
      with gone as (
        delete from recordings where id in (select id from recordings where ended_at < ${cutoff} order by ended_at limit ${limit})
        returning path),
      files as (
        insert into retention_files (path, kind) select path, 'recording' from gone
        on conflict (path) do nothing returning 1)
      select count(*) as n from gone`.execute(this.db);
    return toCount(r.rows[0]?.n);
  }

  /** Sightings (every kind) observed before `cutoff`, with their face embeddings; evidence files listed. */
  async deleteSightings(cutoff: Date, limit: number): Promise<{ sightings: number; embeddings: number }> {
    const r = await sql<{ sightings: string | number; embeddings: string | number }>`
      with batch as (
        select id, observed_at from sightings where observed_at < ${cutoff} order by observed_at limit ${limit}),
      gone as (
        delete from sightings s using batch b where s.id = b.id and s.observed_at = b.observed_at
        returning s.id, s.crop_path, s.frame_path),
      emb as (
        delete from face_embeddings where owner_kind = 'sighting' and owner_id in (select id from gone) returning 1),
      files as (
        insert into retention_files (path, kind)
        select distinct p, 'evidence' from gone, unnest(array[gone.crop_path, gone.frame_path]) as p where p is not null
        on conflict (path) do nothing returning 1)
      select (select count(*) from gone) as sightings, (select count(*) from emb) as embeddings`.execute(this.db);
    const row = r.rows[0];
    return { sightings: toCount(row?.sightings), embeddings: toCount(row?.embeddings) };
  }

  /**
   * Face sightings observed before `cutoff` that still have images: the paths are cleared on the row
   * (the sighting itself stays until retention.sightings) and the files listed.
   */
  async clearFaceImages(cutoff: Date, limit: number): Promise<number> {
    const r = await sql<{ n: string | number }>`
      with batch as (
        select id, observed_at, crop_path, frame_path from sightings
         where kind = 'face' and observed_at < ${cutoff} and (crop_path is not null or frame_path is not null)
         order by observed_at limit ${limit}
         for update),
      cleared as (
        update sightings s set crop_path = null, frame_path = null
          from batch b where s.id = b.id and s.observed_at = b.observed_at
        returning s.id),
      files as (
        insert into retention_files (path, kind)
        select distinct p, 'evidence' from batch, unnest(array[batch.crop_path, batch.frame_path]) as p where p is not null
        on conflict (path) do nothing returning 1)
      select count(*) as n from cleared`.execute(this.db);
    return toCount(r.rows[0]?.n);
  }

  /** Face embeddings of sightings made before `cutoff` (watchlist photos are never touched). */
  async deleteFaceEmbeddings(cutoff: Date, limit: number): Promise<number> {
    const r = await sql<{ n: string | number }>`
      with gone as (
        delete from face_embeddings where id in (
          select id from face_embeddings where owner_kind = 'sighting' and created_at < ${cutoff} order by created_at limit ${limit})
        returning 1)
      select count(*) as n from gone`.execute(this.db);
    return toCount(r.rows[0]?.n);
  }

  /**
   * Alerts raised before `cutoff`, with their actions, except the alerts of an incident that is not
   * closed yet; the evidence paths they held are listed.
   */
  async deleteAlerts(cutoff: Date, limit: number): Promise<{ alerts: number; actions: number }> {
    return this.retentionTransaction(async (trx) => {
      const batch = await sql<{ id: string }>`
        select a.id from alerts a
         where a.created_at < ${cutoff}
           and not exists (select 1 from incidents i where i.source_alert_id = a.id and i.status <> 'closed')
         order by a.created_at limit ${limit}
         for update of a skip locked`.execute(trx);
      const ids = batch.rows.map((row) => row.id);
      if (ids.length === 0) return { alerts: 0, actions: 0 };
      const actions = await sql<{ n: string | number }>`select count(*) as n from alert_actions where alert_id = any(${ids}::uuid[])`.execute(trx);
      // alert_actions go with their alert (on delete cascade; the trigger lets them through here).
      const gone = await sql<{ crop: string | null; frame: string | null }>`
        delete from alerts where id = any(${ids}::uuid[]) returning detail->>'cropPath' as crop, detail->>'framePath' as frame`.execute(trx);
      await this.listEvidence(trx, gone.rows.flatMap((row) => [row.crop, row.frame]));
      return { alerts: gone.rows.length, actions: toCount(actions.rows[0]?.n) };
    });
  }

  /**
   * Incidents closed before `cutoff`, with their timeline (cascade), dispatches and checklist; the
   * evidence paths they held are listed.
   */
  async deleteClosedIncidents(cutoff: Date, limit: number): Promise<{ incidents: number; events: number; dispatches: number }> {
    return this.retentionTransaction(async (trx) => {
      const batch = await sql<{ id: string }>`
        select id from incidents where status = 'closed' and closed_at < ${cutoff}
         order by closed_at limit ${limit}
         for update skip locked`.execute(trx);
      const ids = batch.rows.map((row) => row.id);
      if (ids.length === 0) return { incidents: 0, events: 0, dispatches: 0 };
      const events = await sql<{ n: string | number }>`select count(*) as n from incident_events where incident_id = any(${ids}::uuid[])`.execute(trx);
      await sql`delete from incident_plan_steps where incident_id = any(${ids}::uuid[])`.execute(trx);
      const dispatches = await sql`delete from dispatches where incident_id = any(${ids}::uuid[]) returning 1`.execute(trx);
      const gone = await sql<{ crop: string | null; frame: string | null }>`
        delete from incidents where id = any(${ids}::uuid[]) returning evidence->>'cropPath' as crop, evidence->>'framePath' as frame`.execute(trx);
      await this.listEvidence(trx, gone.rows.flatMap((row) => [row.crop, row.frame]));
      return { incidents: gone.rows.length, events: toCount(events.rows[0]?.n), dispatches: dispatches.rows.length };
    });
  }

  /** Unit positions reported before `cutoff`. */
  async deletePositions(cutoff: Date, limit: number): Promise<number> {
    const r = await sql<{ n: string | number }>`
      with gone as (
        delete from unit_positions where id in (select id from unit_positions where at < ${cutoff} order by at limit ${limit}) returning 1)
      select count(*) as n from gone`.execute(this.db);
    return toCount(r.rows[0]?.n);
  }

  /** Audit entries written before `cutoff` (the database refuses any younger than 180 days). */
  async deleteAudit(cutoff: Date, limit: number): Promise<number> {
    return this.retentionTransaction(async (trx) => {
      const r = await sql<{ n: string | number }>`
        with gone as (
          delete from audit_log where id in (select id from audit_log where at < ${cutoff} order by at, id limit ${limit}) returning 1)
        select count(*) as n from gone`.execute(trx);
      return toCount(r.rows[0]?.n);
    });
  }

  /** Files still to delete, oldest first. */
  async pendingFiles(limit: number): Promise<PendingFile[]> {
    return this.db.selectFrom('retention_files').select(['path', 'kind']).orderBy('queued_at').orderBy('path').limit(limit).execute();
  }

  /** Done with these files (deleted, already gone, or still held by another row). */
  async forgetFiles(paths: string[]): Promise<void> {
    if (paths.length === 0) return;
    await this.db.deleteFrom('retention_files').where('path', 'in', paths).execute();
  }

  /**
   * Which of these evidence paths a row still holds: a sighting, an alert or an incident. Those files
   * stay; they are listed again when the last row holding them is deleted.
   */
  async evidenceInUse(paths: string[]): Promise<Set<string>> {
    if (paths.length === 0) return new Set();
    const r = await sql<{ p: string }>`
      select p from unnest(${paths}::text[]) as p
       where exists (
               select 1 from sightings s
                where s.id = (regexp_match(p, '([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})-(crop|frame)\\.jpg$'))[1]::uuid
                  and (s.crop_path = p or s.frame_path = p))
          or exists (select 1 from alerts a where array[a.detail->>'cropPath', a.detail->>'framePath'] && array[p])
          or exists (
               select 1 from incidents i
                where i.evidence is not null and array[i.evidence->>'cropPath', i.evidence->>'framePath'] && array[p])`.execute(this.db);
    return new Set(r.rows.map((row) => row.p));
  }

  private async listEvidence(trx: Transaction<Database>, paths: Array<string | null>): Promise<void> {
    const unique = [...new Set(paths.filter((p): p is string => typeof p === 'string' && p.length > 0))];
    if (unique.length === 0) return;
    await sql`
      insert into retention_files (path, kind) select p, 'evidence' from unnest(${unique}::text[]) as p
      on conflict (path) do nothing`.execute(trx);
  }
}
