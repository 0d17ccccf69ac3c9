import type { Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import { dateOrNull } from './map.ts';

export interface NewSession {
  /** sha256 (hex) of the bearer token; the token itself is never stored. */
  tokenHash: string;
  userId: string;
  expiresAt: Date;
  ip: string | null;
  userAgent: string | null;
}

export interface ActiveSession {
  userId: string;
  expiresAt: Date;
}

/** Login sessions, keyed by the hash of their bearer token. */
export class SessionsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async create(input: NewSession): Promise<void> {
    await this.db
      .insertInto('sessions')
      .values({
        token_hash: input.tokenHash,
        user_id: input.userId,
        expires_at: input.expiresAt,
        ip: input.ip,
        user_agent: input.userAgent,
        revoked_at: null,
      })
      .execute();
  }

  /** The session when it exists, is not revoked and has not expired at `now`. */
  async findActive(tokenHash: string, now: Date): Promise<ActiveSession | undefined> {
    const row = await this.db
      .selectFrom('sessions')
      .select(['user_id', 'expires_at'])
      .where('token_hash', '=', tokenHash)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return row && { userId: row.user_id, expiresAt: dateOrNull(row.expires_at)! };
  }

  /** Which of these sessions are still active at `now` (neither revoked nor expired, user not disabled); nothing is renewed. */
  async activeAmong(tokenHashes: readonly string[], now: Date): Promise<Set<string>> {
    if (tokenHashes.length === 0) return new Set();
    const rows = await this.db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .select('sessions.token_hash')
      .where('sessions.token_hash', 'in', [...tokenHashes])
      .where('sessions.revoked_at', 'is', null)
      .where('sessions.expires_at', '>', now)
      .where('users.disabled', '=', false)
      .execute();
    return new Set(rows.map((r) => r.token_hash));
  }

  /** Renew a session in use: new end time, last seen now. Revoked sessions stay revoked. */
  async touch(tokenHash: string, expiresAt: Date): Promise<void> {
    await this.db
      .updateTable('sessions')
      .set({ expires_at: expiresAt, last_seen_at: new Date() })
      .where('token_hash', '=', tokenHash)
      .where('revoked_at', 'is', null)
      .execute();
  }

  async revoke(tokenHash: string): Promise<void> {
    await this.db.updateTable('sessions').set({ revoked_at: new Date() }).where('token_hash', '=', tokenHash).where('revoked_at', 'is', null).execute();
  }

  /** Log a user out everywhere (password change, account disabled). Returns how many were revoked. */
  async revokeAllForUser(userId: string): Promise<number> {
    const r = await this.db
      .updateTable('sessions')
      .set({ revoked_at: new Date() })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  /** Remove sessions that ended by `now` and revoked ones (neither can be used again). Returns how many. */
  async deleteExpired(now: Date): Promise<number> {
    const r = await this.db
      .deleteFrom('sessions')
      .where((eb) => eb.or([eb('expires_at', '<=', now), eb('revoked_at', 'is not', null)]))
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
