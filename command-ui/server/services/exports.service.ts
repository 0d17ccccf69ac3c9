import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, readdir, stat, unlink } from 'node:fs/promises';
import { basename, join, resolve, sep } from 'node:path';
import type { Logger } from '../../../config/logger.ts';
import type { Config } from '../../../config/schema.ts';
import { ConflictError, NotFoundError, ValidationError, type ErrorIssue } from '../../../contracts/errors.ts';
import { exportFileName, type ExportCreate, type ExportJob, type ExportPublicKey } from '../../../contracts/exports.ts';
import { hasPermission } from '../../../contracts/roles.ts';
import type { EvidenceStore } from '../../../storage/evidence-store.ts';
import { writeExportPackage, type PackageSource } from '../../../storage/export-package.ts';
import { ExportSigningKey } from '../../../storage/export-signing-key.ts';
import type { AlertRecord, AlertsRepository } from '../../../storage/repositories/alerts.repository.ts';
import type { AuditRepository } from '../../../storage/repositories/audit.repository.ts';
import type { CamerasRepository } from '../../../storage/repositories/cameras.repository.ts';
import type { ExportsRepository } from '../../../storage/repositories/exports.repository.ts';
import type { RecordingsRepository } from '../../../storage/repositories/recordings.repository.ts';
import type { SightingRecord, SightingsRepository } from '../../../storage/repositories/sightings.repository.ts';
import type { UsersRepository } from '../../../storage/repositories/users.repository.ts';
import type { Principal, RequestMeta } from './auth.service.ts';
import type { EventBus } from './event-bus.ts';

/** Caps that keep one export bounded whatever the range holds. */
const MAX_SIGHTINGS = 100_000;
const MAX_ALERTS = 20_000;
const MAX_AUDIT = 50_000;
const PROGRESS_EVERY_MS = 200;

export interface ExportDownload {
  stream: ReadStream;
  size: number;
  fileName: string;
  sha256: string;
}

/**
 * Evidence export: requests (validated, stored, audited, queued as `export.build`), the build itself
 * (run by the worker role: gathers the range's recordings, sightings, alerts, evidence images and
 * audit entries, writes the signed package, pushes progress to its creator's sockets), downloads
 * (audited) and retention of package files.
 */
export class ExportsService {
  #key: ExportSigningKey | null = null;

  constructor(
    private readonly deps: {
      exports: ExportsRepository;
      cameras: CamerasRepository;
      recordings: RecordingsRepository;
      sightings: SightingsRepository;
      alerts: AlertsRepository;
      users: UsersRepository;
      evidence: EvidenceStore;
      audit: AuditRepository;
      events: EventBus;
      config: Pick<Config, 'dataDir' | 'exports'>;
      enqueue: (exportId: string) => Promise<void>;
      log: Logger;
    },
  ) {}

  /** The signing key, loaded (or created) on first use. */
  get key(): ExportSigningKey {
    this.#key ??= ExportSigningKey.fromConfig(this.deps.config);
    return this.#key;
  }

  get dir(): string {
    return resolve(this.deps.config.exports.dir ?? join(this.deps.config.dataDir, 'exports'));
  }

  private get recordingsDir(): string {
    return resolve(this.deps.config.dataDir, 'recordings');
  }

  publicKey(): ExportPublicKey {
    return { algorithm: 'Ed25519', pem: this.key.publicKeyPem, fingerprint: this.key.fingerprint };
  }

  private push(job: ExportJob): void {
    if (job.createdBy.userId) this.deps.events.toRooms([`user:${job.createdBy.userId}`], 'export.updated', job);
  }

  async create(actor: Principal, input: ExportCreate, meta: RequestMeta): Promise<ExportJob> {
    const from = new Date(input.from);
    const to = new Date(input.to);
    const issues: ErrorIssue[] = [];
    const maxHours = this.deps.config.exports.maxRangeHours;
    if (to.getTime() <= from.getTime()) issues.push({ path: 'to', message: 'the end of the range must be after its start' });
    else if (to.getTime() - from.getTime() > maxHours * 3600_000) issues.push({ path: 'to', message: `the range is longer than ${maxHours} hours (exports.maxRangeHours)` });
    if (from.getTime() > Date.now()) issues.push({ path: 'from', message: 'the range starts in the future' });
    const cameraIds = [...new Set(input.cameraIds)];
    for (const [i, id] of cameraIds.entries()) {
      if (!(await this.deps.cameras.findById(id))) issues.push({ path: `cameraIds.${i}`, message: `no camera with id ${id}` });
    }
    if (issues.length) throw new ValidationError(`The export cannot be made: ${issues.map((i) => i.message).join('; ')}.`, issues);
    const record = await this.deps.exports.create({ createdBy: actor.userId, createdByName: actor.username, cameraIds, from, to, reason: input.reason });
    await this.deps.audit.append({
      userId: actor.userId,
      username: actor.username,
      action: 'export.create',
      targetType: 'export',
      targetId: record.id,
      detail: { cameraIds, from: record.from, to: record.to, reason: input.reason },
      ip: meta.ip,
    });
    await this.deps.enqueue(record.id);
    this.push(record);
    return record;
  }

  private mayRead(actor: Principal, job: ExportJob): boolean {
    // Administrators (who read the audit log) see every export; others their own.
    return job.createdBy.userId === actor.userId || hasPermission(actor.roles, 'audit.view');
  }

  async list(actor: Principal): Promise<ExportJob[]> {
    return this.deps.exports.list({ createdBy: hasPermission(actor.roles, 'audit.view') ? undefined : actor.userId, limit: 200 });
  }

  async get(actor: Principal, id: string): Promise<ExportJob> {
    const job = await this.deps.exports.get(id);
    if (!job || !this.mayRead(actor, job)) throw new NotFoundError(`No export with id ${id}.`);
    return job;
  }

  private packagePath(job: ExportJob): string {
    return join(this.dir, exportFileName(job.id));
  }

  async openDownload(actor: Principal, id: string, meta: RequestMeta): Promise<ExportDownload> {
    const job = await this.get(actor, id);
    if (job.status !== 'done' || !job.sha256) throw new ConflictError(`Export ${id} is ${job.status}; it can be downloaded when it is done.`);
    if (job.fileDeletedAt) throw new NotFoundError(`The package of export ${id} was deleted on ${job.fileDeletedAt}.`);
    const path = this.packagePath(job);
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch {
      throw new NotFoundError(`The package of export ${id} is missing from ${this.dir}.`);
    }
    await this.deps.audit.append({
      userId: actor.userId,
      username: actor.username,
      action: 'export.download',
      targetType: 'export',
      targetId: id,
      detail: { bytes: size, sha256: job.sha256, cameraIds: job.cameraIds, from: job.from, to: job.to },
      ip: meta.ip,
    });
    return { stream: createReadStream(path), size, fileName: exportFileName(id), sha256: job.sha256 };
  }

  /** Delete the package file (the record and its audit entries stay). */
  async deletePackage(actor: Principal, id: string, meta: RequestMeta = { ip: null, userAgent: null }): Promise<ExportJob> {
    const job = await this.get(actor, id);
    if (job.status === 'queued' || job.status === 'running') throw new ConflictError(`Export ${id} is ${job.status}; wait until it ends.`);
    await unlink(this.packagePath(job)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    await this.deps.exports.markFileDeleted(id);
    await this.deps.audit.append({
      userId: actor.userId,
      username: actor.username,
      action: 'export.delete',
      targetType: 'export',
      targetId: id,
      detail: { sha256: job.sha256, cameraIds: job.cameraIds, from: job.from, to: job.to },
      ip: meta.ip,
    });
    return (await this.deps.exports.get(id))!;
  }

  /** Retention: delete package files older than exports.keepDays. */
  async prune(): Promise<{ removed: number }> {
    const before = new Date(Date.now() - this.deps.config.exports.keepDays * 24 * 3600_000);
    let removed = 0;
    for (const job of await this.deps.exports.finishedBefore(before)) {
      await unlink(this.packagePath(job)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
      await this.deps.exports.markFileDeleted(job.id);
      removed++;
    }
    // Half-written packages of builds that died with their process (a finished one is renamed).
    const names = await readdir(this.dir).catch(() => [] as string[]);
    for (const name of names.filter((n) => n.endsWith('.partial'))) {
      const path = join(this.dir, name);
      const age = Date.now() - (await stat(path).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age > 24 * 3600_000) await unlink(path).catch(() => undefined);
    }
    return { removed };
  }

  /** The `export.build` job. A failed attempt marks the export failed; a retry starts it again. */
  async build(exportId: string, log: Logger): Promise<{ bytes: number; sha256: string }> {
    const job = await this.deps.exports.get(exportId);
    if (!job) throw new NotFoundError(`No export with id ${exportId}.`);
    if (job.status === 'done' && job.sha256 && job.bytes !== null) return { bytes: job.bytes, sha256: job.sha256 };
    const started = await this.deps.exports.start(exportId);
    if (started) this.push(started);
    try {
      const result = await this.assemble(job, log);
      const done = await this.deps.exports.finish(exportId, { ...result, fileName: exportFileName(exportId), keyFingerprint: this.key.fingerprint });
      if (done) this.push(done);
      log.info({ exportId, bytes: result.bytes }, 'evidence export built');
      return result;
    } catch (err) {
      const failed = await this.deps.exports.fail(exportId, (err as Error).message);
      if (failed) this.push(failed);
      throw err;
    }
  }

  private async assemble(job: ExportJob, log: Logger): Promise<{ bytes: number; sha256: string }> {
    const from = new Date(job.from);
    const to = new Date(job.to);
    const files: PackageSource[] = [];
    const omitted: string[] = [];
    const paths = new Set<string>();
    const add = (source: PackageSource) => {
      if (paths.has(source.path)) return false;
      paths.add(source.path);
      files.push(source);
      return true;
    };
    const progress = async (percent: number) => {
      const changed = await this.deps.exports.progress(job.id, percent);
      if (changed) this.push(changed);
    };

    // Cameras and their recorded segments, copied as they are.
    const cameras: Array<{ id: string; name: string | null }> = [];
    const recordingIds: string[] = [];
    let segments = 0;
    const root = this.recordingsDir;
    for (const cameraId of job.cameraIds) {
      const camera = await this.deps.cameras.findById(cameraId);
      cameras.push({ id: cameraId, name: camera?.name ?? null });
      for (const rec of await this.deps.recordings.listForCamera(cameraId, from, to, 100_000)) {
        const path = resolve(rec.path);
        const name = `clips/${cameraId}/${basename(path)}`;
        if (!path.startsWith(root + sep)) {
          omitted.push(`${name}: the recording's file lies outside the recordings folder; not exported`);
          continue;
        }
        try {
          const { size } = await stat(path);
          if (add({ path: name, file: path, size })) {
            segments++;
            recordingIds.push(rec.id);
          }
        } catch {
          omitted.push(`${name}: recording ${rec.id} (${rec.startedAt} – ${rec.endedAt}) has no file any more (removed by retention?)`);
        }
      }
    }
    await progress(2);

    // Evidence images, by their path in the evidence store.
    let evidenceImages = 0;
    const evidenceFile = async (rel: string | null | undefined): Promise<string | null> => {
      if (!rel) return null;
      const full = this.deps.evidence.resolvePath(rel);
      const name = `evidence/${rel}`;
      if (paths.has(name)) return name;
      if (!full) return null;
      try {
        const { size } = await stat(full);
        add({ path: name, file: full, size });
        evidenceImages++;
        return name;
      } catch {
        omitted.push(`${name}: the evidence image is gone (removed by retention?)`);
        return null;
      }
    };

    // Sightings of the cameras in the range (oldest first in the file).
    const sightings: Array<SightingRecord & { cropFile: string | null; frameFile: string | null }> = [];
    let cursor: string | undefined;
    do {
      const page = await this.deps.sightings.search({ cameraIds: job.cameraIds, from, to, limit: 500, cursor });
      for (const s of page.items) sightings.push({ ...s, cropFile: await evidenceFile(s.cropPath), frameFile: await evidenceFile(s.framePath) });
      cursor = page.nextCursor ?? undefined;
      if (sightings.length >= MAX_SIGHTINGS && cursor) {
        omitted.push(`sightings.json: more than ${MAX_SIGHTINGS} sightings in the range; the newest ${MAX_SIGHTINGS} are included`);
        break;
      }
    } while (cursor);
    sightings.reverse();
    await progress(4);

    // Alerts raised at the cameras in the range, with their actions. Covert lists' hits only for
    // a creator allowed to see them.
    const creator = job.createdBy.userId ? await this.deps.users.findById(job.createdBy.userId) : undefined;
    const hideCovert = !creator || !hasPermission(creator.roles, 'watchlists.manage');
    const alerts: Array<AlertRecord & { cropFile: string | null; frameFile: string | null }> = [];
    for (const cameraId of job.cameraIds) {
      let beforeSeq: number | undefined;
      for (;;) {
        const page = await this.deps.alerts.list({ cameraId, from, to, hideCovert }, { limit: 500, beforeSeq });
        for (const a of page.items) alerts.push({ ...a, cropFile: await evidenceFile(a.detail?.cropPath), frameFile: await evidenceFile(a.detail?.framePath) });
        if (!page.nextCursor || alerts.length >= MAX_ALERTS) break;
        beforeSeq = Number(page.nextCursor);
      }
    }
    alerts.sort((a, b) => a.seq - b.seq);

    // The audit trail of all of it, the export's own creation included.
    const audit = await this.deps.exports.auditTrail({
      cameraIds: job.cameraIds,
      alertIds: alerts.map((a) => a.id),
      sightingIds: sightings.map((s) => s.id),
      recordingIds,
      exportId: job.id,
      from,
      limit: MAX_AUDIT,
    });
    if (audit.length >= MAX_AUDIT) omitted.push(`audit.json: more than ${MAX_AUDIT} entries; the oldest ${MAX_AUDIT} are included`);
    await progress(5);

    const json = (value: unknown) => Buffer.from(`${JSON.stringify(value, null, 2)}\n`);
    add({ path: 'sightings.json', data: json(sightings) });
    add({ path: 'alerts.json', data: json(alerts) });
    add({ path: 'audit.json', data: json(audit) });

    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    let last = 0;
    let pending: Promise<void> = Promise.resolve();
    const result = await writeExportPackage({
      target: this.packagePath(job),
      key: this.key,
      files,
      manifest: {
        exportId: job.id,
        createdAt: job.createdAt,
        createdBy: job.createdBy,
        reason: job.reason,
        range: { from: job.from, to: job.to },
        cameras,
        counts: { segments, sightings: sightings.length, alerts: alerts.length, auditEntries: audit.length, evidenceImages },
        omitted,
      },
      onProgress: (fraction) => {
        const now = Date.now();
        if (now - last < PROGRESS_EVERY_MS) return;
        last = now;
        // 5..99 while writing; 100 when stored as done.
        pending = pending.then(() => progress(5 + Math.floor(fraction * 94))).catch((err: unknown) => log.warn({ err: (err as Error).message }, 'could not store export progress'));
      },
    });
    await pending;
    return { bytes: result.bytes, sha256: result.sha256 };
  }
}
