import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { AuditEntry } from '../../contracts/api.ts';
import type { AuditAction } from '../../contracts/audit.ts';
import type { AuditRow, Database } from '../schema.ts';
import { iso, page, toCount, type Page, type PageResult } from './map.ts';

export interface NewAuditEntry {
  userId: string | null;
  username: string | null;
  action: AuditAction;
  targetType?: string | null;
  targetId?: string | null;
  detail?: Record<string, unknown>;
  ip?: string | null;
}

export interface AuditFilter {
  /** One action (`live.open`), or every action of a subject when it ends with a dot (`live.`). */
  action?: string;
  userId?: string;
  /** A user name, exact but case-insensitive. */
  username?: string;
  targetType?: string;
  targetId?: string;
  /** Text found anywhere in the detail (case-insensitive). */
  text?: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
}

export interface AuditQuery extends AuditFilter, Partial<Page> {}

/** An audit_log row as the API shows it (also used by the evidence export's audit trail). */
export function toEntry(row: AuditRow): AuditEntry {
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

/** LIKE pattern text for a literal (\, % and _ escaped; the default escape character is \). */
function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

type AuditSelect<O> = SelectQueryBuilder<Database, 'audit_log', O>;

function filtered<O>(q: AuditSelect<O>, f: AuditFilter): AuditSelect<O> {
  if (f.action !== undefined) {
    q = f.action.endsWith('.') ? q.where('action', 'like', `${likeLiteral(f.action)}%`) : q.where('action', '=', f.action);
  }
  if (f.userId !== undefined) q = q.where('user_id', '=', f.userId);
  if (f.username !== undefined) q = q.where(sql<string>`lower(username)`, '=', f.username.toLowerCase());
  if (f.targetType !== undefined) q = q.where('target_type', '=', f.targetType);
  if (f.targetId !== undefined) q = q.where('target_id', '=', f.targetId);
  if (f.text !== undefined) q = q.where(sql<string>`detail::text`, 'ilike', `%${likeLiteral(f.text)}%`);
  if (f.from !== undefined) q = q.where('at', '>=', f.from);
  if (f.to !== undefined) q = q.where('at', '<', f.to);
  return q;
}

/**
 * The append-only audit log: rows are only ever inserted (the database refuses UPDATE, DELETE and
 * TRUNCATE on it), so this class has no way to change or remove one.
 */
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
    const q = filtered(this.db.selectFrom('audit_log'), query);
    const [rows, total] = await Promise.all([
      q.selectAll().orderBy('at', 'desc').orderBy('id', 'desc').limit(limit).offset(offset).execute(),
      q.select((eb) => eb.fn.countAll().as('n')).executeTakeFirst(),
    ]);
    return { items: rows.map(toEntry), total: toCount(total?.n) };
  }

  /** Newest first, in pages of `batch`, at most `max` rows (for downloads); keyset paging, exact to the microsecond. */
  async *each(filter: AuditFilter, max: number, batch = 1000): AsyncGenerator<AuditEntry> {
    let sent = 0;
    let before: { at: string; id: string } | null = null;
    while (sent < max) {
      let q = filtered(this.db.selectFrom('audit_log'), filter);
      if (before) {
        const { at, id } = before;
        q = q.where(sql<boolean>`(at, id) < (${at}::timestamptz, ${id}::uuid)`);
      }
      const rows = await q
        .selectAll()
        .select(sql<string>`at::text`.as('at_text'))
        .orderBy('at', 'desc')
        .orderBy('id', 'desc')
        .limit(Math.min(batch, max - sent))
        .execute();
      for (const row of rows) yield toEntry(row);
      sent += rows.length;
      if (rows.length < batch) return;
      const last = rows[rows.length - 1]!;
      before = { at: last.at_text, id: last.id };
    }
  }
}
