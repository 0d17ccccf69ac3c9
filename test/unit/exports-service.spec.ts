import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../command-ui/server/services/auth.service.ts';
import type { EventBus } from '../../command-ui/server/services/event-bus.ts';
import { ExportsService } from '../../command-ui/server/services/exports.service.ts';
import { createLogger } from '../../config/logger.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../contracts/errors.ts';
import type { ExportJob } from '../../contracts/exports.ts';
import { EvidenceStore } from '../../storage/evidence-store.ts';
import type { AlertsRepository } from '../../storage/repositories/alerts.repository.ts';
import type { AuditRepository, NewAuditEntry } from '../../storage/repositories/audit.repository.ts';
import type { CamerasRepository } from '../../storage/repositories/cameras.repository.ts';
import type { ExportsRepository, NewExport } from '../../storage/repositories/exports.repository.ts';
import type { RecordingsRepository } from '../../storage/repositories/recordings.repository.ts';
import type { SightingsRepository } from '../../storage/repositories/sightings.repository.ts';
import type { UsersRepository } from '../../storage/repositories/users.repository.ts';

const tmp = mkdtempSync(join(tmpdir(), 'argus-exports-service-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const log = createLogger({ log: { level: 'silent', pretty: false } });
const CAM = '0b6c1f1e-5d7a-4c53-9a36-0c1a8a4c2f10';
const analyst: Principal = { userId: 'a1', username: 'analyst1', roles: ['analyst'], sessionId: 's1' };
const admin: Principal = { userId: 'ad', username: 'chief', roles: ['admin'], sessionId: 's2' };

/** Strict in-memory fake of the exports table. */
class FakeExports {
  rows = new Map<string, ExportJob>();
  async create(input: NewExport): Promise<ExportJob> {
    const id = `00000000-0000-4000-8000-00000000000${this.rows.size + 1}`;
    const job: ExportJob = {
      id,
      createdBy: { userId: input.createdBy, username: input.createdByName },
      cameraIds: input.cameraIds,
      from: input.from.toISOString(),
      to: input.to.toISOString(),
      reason: input.reason,
      status: 'queued',
      progress: 0,
      bytes: null,
      sha256: null,
      fileName: null,
      keyFingerprint: null,
      error: null,
      createdAt: new Date().toISOString(),
      finishedAt: null,
      fileDeletedAt: null,
    };
    this.rows.set(id, job);
    return job;
  }
  async get(id: string) {
    return this.rows.get(id);
  }
  async list(filter: { createdBy?: string }) {
    return [...this.rows.values()].filter((j) => filter.createdBy === undefined || j.createdBy.userId === filter.createdBy);
  }
  private set(id: string, patch: Partial<ExportJob>) {
    const job = { ...this.rows.get(id)!, ...patch };
    this.rows.set(id, job);
    return job;
  }
  async start(id: string) {
    return this.set(id, { status: 'running', progress: 0 });
  }
  async progress(id: string, progress: number) {
    return this.rows.get(id)!.progress < progress ? this.set(id, { progress }) : undefined;
  }
  async fail(id: string, error: string) {
    return this.set(id, { status: 'failed', error });
  }
}

function setup() {
  const exports = new FakeExports();
  const audit: NewAuditEntry[] = [];
  const pushed: Array<{ rooms: string[]; job: ExportJob }> = [];
  const queued: string[] = [];
  const events: EventBus = {
    toPermitted: () => {
      throw new Error('exports are pushed to their creator only');
    },
    toRooms: (rooms, _event, ...args) => void pushed.push({ rooms, job: args[0] as ExportJob }),
  };
  const service = new ExportsService({
    exports: exports as unknown as ExportsRepository,
    cameras: { findById: async (id: string) => (id === CAM ? { id, name: 'Gate' } : undefined) } as unknown as CamerasRepository,
    recordings: {
      listForCamera: async () => {
        throw new Error('database gone');
      },
    } as unknown as RecordingsRepository,
    sightings: {} as SightingsRepository,
    alerts: {} as AlertsRepository,
    users: {} as UsersRepository,
    evidence: new EvidenceStore(join(tmp, 'evidence')),
    audit: { append: async (e: NewAuditEntry) => void audit.push(e) } as unknown as AuditRepository,
    events,
    config: { dataDir: tmp, exports: { keyFile: null, dir: null, maxRangeHours: 2, keepDays: 30 } },
    enqueue: async (id) => void queued.push(id),
    log,
  });
  return { service, exports, audit, pushed, queued };
}

const meta = { ip: '127.0.0.1', userAgent: null };
const hoursAgo = (h: number) => new Date(Date.now() - h * 3600_000).toISOString();

describe('evidence export requests', () => {
  it('stores, audits, queues and pushes a valid request to its creator only', async () => {
    const { service, audit, pushed, queued } = setup();
    const job = await service.create(analyst, { cameraIds: [CAM, CAM], from: hoursAgo(1.5), to: hoursAgo(0), reason: 'case 7' }, meta);
    expect(job).toMatchObject({ status: 'queued', cameraIds: [CAM], createdBy: { userId: 'a1', username: 'analyst1' } });
    expect(queued).toEqual([job.id]);
    expect(audit).toEqual([
      { userId: 'a1', username: 'analyst1', action: 'export.create', targetType: 'export', targetId: job.id, detail: { cameraIds: [CAM], from: job.from, to: job.to, reason: 'case 7' }, ip: '127.0.0.1' },
    ]);
    expect(pushed).toEqual([{ rooms: ['user:a1'], job }]);
  });

  it('refuses a reversed, too long or future range and unknown cameras, naming each field; nothing is stored or queued', async () => {
    const { service, exports, queued, audit } = setup();
    const refused = async (input: { cameraIds: string[]; from: string; to: string }) => {
      const err = await service.create(analyst, { ...input, reason: 'r' }, meta).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      return (err as ValidationError).issues;
    };
    expect(await refused({ cameraIds: [CAM], from: hoursAgo(1), to: hoursAgo(2) })).toEqual([{ path: 'to', message: 'the end of the range must be after its start' }]);
    expect(await refused({ cameraIds: [CAM], from: hoursAgo(3), to: hoursAgo(0) })).toEqual([{ path: 'to', message: 'the range is longer than 2 hours (exports.maxRangeHours)' }]);
    expect(await refused({ cameraIds: [CAM], from: new Date(Date.now() + 3600_000).toISOString(), to: new Date(Date.now() + 7200_000).toISOString() })).toEqual([
      { path: 'from', message: 'the range starts in the future' },
    ]);
    const ghost = '00000000-0000-4000-8000-0000000000ff';
    expect(await refused({ cameraIds: [CAM, ghost], from: hoursAgo(1), to: hoursAgo(0) })).toEqual([{ path: 'cameraIds.1', message: `no camera with id ${ghost}` }]);
    expect(exports.rows.size).toBe(0);
    expect(queued).toEqual([]);
    expect(audit).toEqual([]);
  });

  it("shows a user their own exports only (administrators every one), and no download before it is done", async () => {
    const { service } = setup();
    const job = await service.create(analyst, { cameraIds: [CAM], from: hoursAgo(1), to: hoursAgo(0), reason: 'r' }, meta);
    const other: Principal = { ...analyst, userId: 'a2', username: 'analyst2' };
    await expect(service.get(other, job.id)).rejects.toBeInstanceOf(NotFoundError);
    expect(await service.list(other)).toEqual([]);
    expect((await service.get(admin, job.id)).id).toBe(job.id);
    expect((await service.list(admin)).map((j) => j.id)).toEqual([job.id]);
    await expect(service.openDownload(analyst, job.id, meta)).rejects.toBeInstanceOf(ConflictError);
    await expect(service.deletePackage(analyst, job.id)).rejects.toBeInstanceOf(ConflictError);
  });

  it('marks a build that fails as failed with the reason, pushes it, and rethrows for the job queue to retry', async () => {
    const { service, exports, pushed } = setup();
    const job = await service.create(analyst, { cameraIds: [CAM], from: hoursAgo(1), to: hoursAgo(0), reason: 'r' }, meta);
    await expect(service.build(job.id, log)).rejects.toThrow('database gone');
    expect(exports.rows.get(job.id)).toMatchObject({ status: 'failed', error: 'database gone' });
    expect(pushed.map((p) => p.job.status)).toEqual(['queued', 'running', 'failed']);
    await expect(service.build('00000000-0000-4000-8000-0000000000ee', log)).rejects.toBeInstanceOf(NotFoundError);
  });
});
