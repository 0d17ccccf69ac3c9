import type { AuditEntry, Health } from '../../../contracts/api.ts';
import type { AuditRepository } from '../../../storage/repositories/audit.repository.ts';
import type { JobQueue } from '../../../storage/job-queue.ts';
import type { Principal, RequestMeta } from './auth.service.ts';

export interface SystemProbes {
  version: string;
  roles: string[];
  database: { kind: 'pglite' | 'postgres'; vector: boolean; ping(): Promise<boolean> };
  redisPing(): Promise<boolean>;
}

export class SystemService {
  constructor(private readonly deps: { probes: SystemProbes; audit: AuditRepository; jobs: JobQueue }) {}

  async health(): Promise<Health> {
    const { probes } = this.deps;
    const [dbOk, redisOk] = await Promise.all([probes.database.ping().catch(() => false), probes.redisPing().catch(() => false)]);
    return {
      status: dbOk && redisOk ? 'ok' : 'degraded',
      version: probes.version,
      roles: probes.roles,
      database: { kind: probes.database.kind, ok: dbOk, vector: probes.database.vector },
      redis: { ok: redisOk },
    };
  }

  async audit(query: { limit: number; offset: number; action?: string | undefined; userId?: string | undefined; from?: Date | undefined; to?: Date | undefined }): Promise<{ items: AuditEntry[]; total: number }> {
    return this.deps.audit.list(query);
  }

  /** Queue a notice to every connected client; delivered by a worker through the socket gateway. */
  async broadcastNotice(level: 'info' | 'warning' | 'critical', text: string, actor: Principal, meta: RequestMeta): Promise<{ jobId: string }> {
    const jobId = await this.deps.jobs.add('notice.broadcast', { level, text });
    await this.deps.audit.append({ userId: actor.userId, username: actor.username, action: 'system.notice', detail: { level, text, jobId }, ip: meta.ip });
    return { jobId };
  }

  async deadLetters() {
    return this.deps.jobs.failed();
  }
}
