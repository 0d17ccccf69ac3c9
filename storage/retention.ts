import { readdir, rmdir, unlink } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { Queue } from 'bullmq';
import type { Logger } from '../config/logger.ts';
import type { Config } from '../config/schema.ts';
import { JOB_QUEUE } from '../contracts/jobs.ts';
import { utcDay, type EvidenceStore } from './evidence-store.ts';
import type { RedisHandle } from './redis.ts';
import type { AuditRepository } from './repositories/audit.repository.ts';
import type { PendingFile, RetentionRepository } from './repositories/retention.repository.ts';

const DAY_MS = 86_400_000;

export type RetentionPolicy = Config['retention'];

/** What one run deleted, per class. */
export interface RetentionCounts {
  /** Recording segments (rows). */
  recordings: number;
  /** Sightings of every kind (rows). */
  sightings: number;
  /** Face sightings whose images were removed (the rows stay until retention.sightings). */
  faceImages: number;
  /** Face embeddings of sightings. */
  faceEmbeddings: number;
  alerts: number;
  alertActions: number;
  /** Closed incidents, with their timeline entries and dispatches. */
  incidents: number;
  incidentEvents: number;
  dispatches: number;
  /** Unit position history. */
  positions: number;
  audit: number;
  /** Evidence images deleted from disk (those still held by an alert or incident are not). */
  evidenceFiles: number;
  /** Recording files deleted from disk (a file on another ingest host goes by that host's own retention). */
  recordingFiles: number;
}

export interface RetentionResult {
  counts: RetentionCounts;
  /** The cutoff of each class (ISO): rows older than this were deleted. */
  cutoffs: Record<'recordings' | 'sightings' | 'faceCrops' | 'alerts' | 'incidents' | 'positions' | 'audit', string>;
  /** Files that could not be deleted this time (they stay listed and are retried on the next run). */
  failedFiles: number;
}

export interface RetentionDeps {
  retention: RetentionRepository;
  audit: AuditRepository;
  evidence: EvidenceStore;
  /** `<dataDir>/recordings`: a listed recording path outside it is never deleted. */
  recordingsDir: string;
  policy: RetentionPolicy;
  log: Logger;
  now?: () => Date;
}

function zeroCounts(): RetentionCounts {
  return {
    recordings: 0,
    sightings: 0,
    faceImages: 0,
    faceEmbeddings: 0,
    alerts: 0,
    alertActions: 0,
    incidents: 0,
    incidentEvents: 0,
    dispatches: 0,
    positions: 0,
    audit: 0,
    evidenceFiles: 0,
    recordingFiles: 0,
  };
}

/**
 * Retention of every data class (the `retention.run` job, hourly): recordings, sightings, face images
 * and embeddings, alerts, closed incidents, unit positions and the audit log, each by its own period
 * (config `retention`).
 *
 * Order, so that a crash at any point leaves neither a row pointing at a deleted file nor a file
 * forgotten on disk: each batch deletes its rows and lists their files (table retention_files) in one
 * short transaction; after the commit the listed files are deleted and then struck off the list. A
 * crash in between leaves files listed, and the next run deletes them first. An evidence image is
 * deleted only when no sighting, alert or incident still holds it, so an alert or incident kept for
 * longer keeps its images (they are listed again when the last row holding them goes).
 *
 * One audit entry `retention.run` with the counts per class is written when anything was deleted; the
 * same counts are logged at info on every run.
 */
export class RetentionRunner {
  private readonly now: () => Date;

  constructor(private readonly deps: RetentionDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async run(): Promise<RetentionResult> {
    const { policy, retention } = this.deps;
    const started = this.now();
    const before = (days: number) => new Date(started.getTime() - days * DAY_MS);
    const cutoffs = {
      recordings: before(policy.recordings),
      sightings: before(policy.sightings),
      // Face sighting rows (with whatever they still hold) go at retention.sightings anyway.
      faceCrops: before(Math.min(policy.faceCrops, policy.sightings)),
      alerts: before(policy.alerts),
      incidents: before(policy.incidents),
      positions: before(policy.positions),
      audit: before(policy.audit),
    };
    const counts = zeroCounts();
    const files = { failed: 0 };
    const limit = policy.batchSize;

    // Files left listed by a run that stopped half-way.
    await this.deleteListedFiles(counts, files);

    /** Batches until one comes back short; the listed files go after each batch. */
    const inBatches = async (deleteBatch: () => Promise<number>) => {
      for (;;) {
        const n = await deleteBatch();
        await this.deleteListedFiles(counts, files);
        if (n < limit) return;
      }
    };

    await inBatches(async () => {
      const n = await retention.deleteRecordings(cutoffs.recordings, limit);
      counts.recordings += n;
      return n;
    });
    // Biometric data first (its period is the shorter), then whole sightings.
    await inBatches(async () => {
      const n = await retention.clearFaceImages(cutoffs.faceCrops, limit);
      counts.faceImages += n;
      return n;
    });
    await inBatches(async () => {
      const n = await retention.deleteFaceEmbeddings(cutoffs.faceCrops, limit);
      counts.faceEmbeddings += n;
      return n;
    });
    await inBatches(async () => {
      const r = await retention.deleteSightings(cutoffs.sightings, limit);
      counts.sightings += r.sightings;
      counts.faceEmbeddings += r.embeddings;
      return r.sightings;
    });
    await inBatches(async () => {
      const r = await retention.deleteAlerts(cutoffs.alerts, limit);
      counts.alerts += r.alerts;
      counts.alertActions += r.actions;
      return r.alerts;
    });
    await inBatches(async () => {
      const r = await retention.deleteClosedIncidents(cutoffs.incidents, limit);
      counts.incidents += r.incidents;
      counts.incidentEvents += r.events;
      counts.dispatches += r.dispatches;
      return r.incidents;
    });
    await inBatches(async () => {
      const n = await retention.deletePositions(cutoffs.positions, limit);
      counts.positions += n;
      return n;
    });
    await inBatches(async () => {
      const n = await retention.deleteAudit(cutoffs.audit, limit);
      counts.audit += n;
      return n;
    });

    await this.removeEmptyDayFolders(cutoffs.faceCrops);

    const iso = Object.fromEntries(Object.entries(cutoffs).map(([k, v]) => [k, v.toISOString()])) as RetentionResult['cutoffs'];
    const deletedAnything = Object.values(counts).some((n) => n > 0);
    if (deletedAnything) {
      await this.deps.audit.append({
        userId: null,
        username: 'system',
        action: 'retention.run',
        targetType: 'retention',
        detail: { counts, days: { ...policy }, cutoffs: iso, failedFiles: files.failed },
      });
    }
    this.deps.log.info({ counts, failedFiles: files.failed, ms: this.now().getTime() - started.getTime() }, 'retention run');
    return { counts, cutoffs: iso, failedFiles: files.failed };
  }

  /**
   * Delete the files listed by earlier batches, then strike them off. A file that cannot be deleted
   * (other than already gone) stays listed for the next run; this run stops trying after that batch.
   */
  private async deleteListedFiles(counts: RetentionCounts, files: { failed: number }): Promise<void> {
    const { retention } = this.deps;
    const limit = this.deps.policy.batchSize;
    for (;;) {
      const listed = await retention.pendingFiles(limit);
      if (listed.length === 0) return;
      const evidence = listed.filter((f) => f.kind === 'evidence').map((f) => f.path);
      const inUse = await retention.evidenceInUse(evidence);
      const done: string[] = [];
      let failed = 0;
      for (const file of listed) {
        if (file.kind === 'evidence' && inUse.has(file.path)) {
          done.push(file.path);
          continue;
        }
        try {
          const removed = await this.deleteFile(file);
          if (removed && file.kind === 'evidence') counts.evidenceFiles++;
          if (removed && file.kind === 'recording') counts.recordingFiles++;
          done.push(file.path);
        } catch (err) {
          failed++;
          this.deps.log.warn({ kind: file.kind, err: (err as Error).message }, 'retention could not delete a file; it is retried on the next run');
        }
      }
      await retention.forgetFiles(done);
      files.failed += failed;
      if (failed > 0 || listed.length < limit) return;
    }
  }

  /**
   * Evidence day folders (`<camera>/<YYYY-MM-DD>`) left empty, older than `before`'s day (no image is
   * written there any more). A folder that still holds an image is left alone.
   */
  private async removeEmptyDayFolders(before: Date): Promise<void> {
    const root = this.deps.evidence.root;
    const limit = utcDay(before);
    const cameras = await readdir(root).catch(() => [] as string[]);
    for (const camera of cameras) {
      const days = await readdir(join(root, camera)).catch(() => [] as string[]);
      for (const day of days) {
        if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || day >= limit) continue;
        await rmdir(join(root, camera, day)).catch(() => undefined); // not empty: kept
      }
    }
  }

  /** True when the file was deleted, false when it was already gone (or not one Argus may delete). */
  private async deleteFile(file: PendingFile): Promise<boolean> {
    let full: string | null;
    if (file.kind === 'evidence') {
      full = this.deps.evidence.resolvePath(file.path);
    } else {
      const root = resolve(this.deps.recordingsDir);
      const target = resolve(file.path);
      const back = relative(root, target);
      full = back && !back.startsWith('..') && !isAbsolute(back) ? target : null;
    }
    if (!full) {
      this.deps.log.warn({ kind: file.kind }, 'retention skipped a listed file outside its folder');
      return false;
    }
    try {
      await unlink(full);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }
}

/** Schedules of the jobs that retention.run replaced ('sightings.prune', 'units.positions.prune'). */
export const RETIRED_JOB_SCHEDULES = ['every:sightings.prune', 'every:units.positions.prune'] as const;

/**
 * Remove the schedules of retired jobs that an earlier version left in Redis (they would otherwise
 * queue a job no handler knows, every hour). Returns how many were there.
 */
export async function removeRetiredJobSchedules(redis: RedisHandle, prefix: string): Promise<number> {
  const connection = redis.connect('retired-schedules');
  const queue = new Queue(JOB_QUEUE, { connection, prefix });
  try {
    let removed = 0;
    for (const id of RETIRED_JOB_SCHEDULES) if (await queue.removeJobScheduler(id)) removed++;
    return removed;
  } finally {
    await queue.close();
    connection.disconnect();
  }
}
