import type { AuditEntry, Health } from '../../../contracts/api.ts';
import { AUDIT_CSV_MAX_ROWS, type AuditCsvQuery, type AuditQuery } from '../../../contracts/audit.ts';
import type { AuditFilter, AuditRepository } from '../../../storage/repositories/audit.repository.ts';
import type { JobQueue } from '../../../storage/job-queue.ts';
import type { Principal, RequestMeta } from './auth.service.ts';

export interface SystemProbes {
  version: string;
  roles: string[];
  database: { kind: 'pglite' | 'postgres'; vector: boolean; ping(): Promise<boolean> };
  redisPing(): Promise<boolean>;
  /** The sighting spool (sightings waiting on disk for the database); null or absent: none. */
  spool?: () => NonNullable<Health['spool']> | null;
}

export class SystemService {
  constructor(private readonly deps: { probes: SystemProbes; audit: AuditRepository; jobs: JobQueue }) {}

  async health(): Promise<Health> {
    const { probes } = this.deps;
    const [dbOk, redisOk] = await Promise.all([probes.database.ping().catch(() => false), probes.redisPing().catch(() => false)]);
    const spool = probes.spool?.() ?? null;
    return {
      status: dbOk && redisOk ? 'ok' : 'degraded',
      version: probes.version,
      roles: probes.roles,
      database: { kind: probes.database.kind, ok: dbOk, vector: probes.database.vector },
      redis: { ok: redisOk },
      ...(spool ? { spool } : {}),
    };
  }

  /** The audit log, newest first, filtered. */
  async audit(query: AuditQuery): Promise<{ items: AuditEntry[]; total: number }> {
    return this.deps.audit.list({ ...auditFilter(query), limit: query.limit, offset: query.offset });
  }

  /**
   * The filtered audit log as CSV lines (newest first, at most AUDIT_CSV_MAX_ROWS rows). The download
   * is itself audited, with its filter, before the first row is read.
   */
  async auditCsv(query: AuditCsvQuery, actor: Principal, meta: RequestMeta): Promise<AsyncGenerator<string>> {
    const filter = auditFilter(query);
    const criteria = Object.fromEntries(Object.entries(query).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v]).filter(([, v]) => v !== undefined));
    await this.deps.audit.append({ userId: actor.userId, username: actor.username, action: 'audit.export', targetType: 'audit', detail: { ...criteria, max: AUDIT_CSV_MAX_ROWS }, ip: meta.ip });
    return auditCsvLines(this.deps.audit.each(filter, AUDIT_CSV_MAX_ROWS));
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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The API's audit query as a repository filter: `user` is an id when it looks like one, else a user name; `live` means `live.`. */
export function auditFilter(query: AuditCsvQuery): AuditFilter {
  const f: AuditFilter = {};
  if (query.action !== undefined && query.action !== '') f.action = query.action.includes('.') ? query.action : `${query.action}.`;
  const user = query.user ?? query.userId;
  if (user !== undefined) {
    if (UUID.test(user)) f.userId = user.toLowerCase();
    else f.username = user;
  }
  if (query.targetType !== undefined) f.targetType = query.targetType;
  if (query.targetId !== undefined) f.targetId = query.targetId;
  if (query.q !== undefined) f.text = query.q;
  if (query.from !== undefined) f.from = query.from;
  if (query.to !== undefined) f.to = query.to;
  return f;
}

export const AUDIT_CSV_COLUMNS = ['at', 'username', 'user_id', 'action', 'target_type', 'target_id', 'ip', 'detail'] as const;

/** One CSV field: quoted when needed; text a spreadsheet would run as a formula is prefixed with '. */
export function csvField(value: string | null): string {
  if (value === null) return '';
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The header line (after a UTF-8 byte order mark, so that spreadsheets read Chinese), then one line per entry. */
export async function* auditCsvLines(entries: AsyncIterable<AuditEntry>): AsyncGenerator<string> {
  yield `\uFEFF${AUDIT_CSV_COLUMNS.join(',')}\r\n`;
  for await (const e of entries) {
    yield `${[e.at, e.username, e.userId, e.action, e.targetType, e.targetId, e.ip, JSON.stringify(e.detail)].map(csvField).join(',')}\r\n`;
  }
}
