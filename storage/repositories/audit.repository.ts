import type { Kysely } from 'kysely';
import type { AuditEntry } from '../../contracts/api.ts';
import type { AuditRow, Database } from '../schema.ts';
import { iso, page, toCount, type Page, type PageResult } from './map.ts';

export interface NewAuditEntry {
  userId: string | null;
  username: string | null;
  action: string;
  targetType?: string | null;
  targetId?: string | null;
  detail?: Record<string, unknown>;
  ip?: string | null;
}

export interface AuditQuery extends Partial<Page> {
  action?: string;
  userId?: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
}

function toEntry(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    at: iso(row.at),
    userId: row.user_id,
    username: row.username,
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    detail: row.detail ?? {},
    ip: row.ip,
  };
}

/** The append-only audit log (the database refuses UPDATE, DELETE and TRUNCATE on it). */
export class AuditRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async append(entry: NewAuditEntry): Promise<void> {
    await this.db
      .insertInto('audit_log')
      .values({
        user_id: entry.userId,
        username: entry.username,
        action: entry.action,
        target_type: entry.targetType ?? null,
        target_id: entry.targetId ?? null,
        detail: JSON.stringify(entry.detail ?? {}),
        ip: entry.ip ?? null,
      })
      .execute();
  }

  /** Newest first. */
  async list(query: AuditQuery = {}): Promise<PageResult<AuditEntry>> {
    const { limit, offset } = page(query);
    let q = this.db.selectFrom('audit_log');
    if (query.action !== undefined) q = q.where('action', '=', query.action);
    if (query.userId !== undefined) q = q.where('user_id', '=', query.userId);
    if (query.from !== undefined) q = q.where('at', '>=', query.from);
    if (query.to !== undefined) q = q.where('at', '<', query.to);
    const [rows, total] = await Promise.all([
      q.selectAll().orderBy('at', 'desc').orderBy('id', 'desc').limit(limit).offset(offset).execute(),
      q.select((eb) => eb.fn.countAll().as('n')).executeTakeFirst(),
    ]);
    return { items: rows.map(toEntry), total: toCount(total?.n) };
  }
}
