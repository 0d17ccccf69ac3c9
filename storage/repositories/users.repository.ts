import { sql, type Kysely } from 'kysely';
import { parseCameraAccess, type CameraAccess } from '../../contracts/access.ts';
import type { User } from '../../contracts/api.ts';
import { ConflictError, NotFoundError } from '../../contracts/errors.ts';
import type { Role } from '../../contracts/roles.ts';
import { isPgError, PG_UNIQUE_VIOLATION } from '../pg-errors.ts';
import type { Database, UserRow } from '../schema.ts';
import { dateOrNull, defined, iso, page, toCount, type Page, type PageResult } from './map.ts';

/** A user as storage knows it: the API user plus the login secrets and lock state. */
export type UserRecord = User & {
  passwordHash: string;
  failedLogins: number;
  lockedUntil: Date | null;
};

export interface NewUser {
  username: string;
  displayName: string;
  passwordHash: string;
  roles: Role[];
  mustChangePassword?: boolean;
  cameraAccess?: CameraAccess;
}

export interface UserPatch {
  displayName?: string;
  roles?: Role[];
  disabled?: boolean;
  passwordHash?: string;
  mustChangePassword?: boolean;
  cameraAccess?: CameraAccess;
}

/** The API view of a user: no password hash, no lock state. */
export function toUser(record: UserRecord): User {
  return {
    id: record.id,
    username: record.username,
    displayName: record.displayName,
    roles: [...record.roles],
    disabled: record.disabled,
    mustChangePassword: record.mustChangePassword,
    cameraAccess: record.cameraAccess,
    createdAt: record.createdAt,
  };
}

function toRecord(row: UserRow): UserRecord {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    roles: row.roles as Role[],
    disabled: row.disabled,
    mustChangePassword: row.must_change_password,
    cameraAccess: parseCameraAccess(row.camera_access),
    createdAt: iso(row.created_at),
    passwordHash: row.password_hash,
    failedLogins: row.failed_logins,
    lockedUntil: dateOrNull(row.locked_until),
  };
}

const USERNAME_KEY = 'users_username_lower_key';

export class UsersRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async create(input: NewUser): Promise<UserRecord> {
    try {
      const row = await this.db
        .insertInto('users')
        .values({
          username: input.username,
          display_name: input.displayName,
          password_hash: input.passwordHash,
          roles: [...input.roles],
          must_change_password: input.mustChangePassword ?? false,
          camera_access: input.cameraAccess ? JSON.stringify(input.cameraAccess) : undefined,
          locked_until: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRecord(row);
    } catch (err) {
      if (isPgError(err, PG_UNIQUE_VIOLATION, USERNAME_KEY)) throw new ConflictError(`User name ${input.username} is already taken`);
      throw err;
    }
  }

  async findById(id: string): Promise<UserRecord | undefined> {
    const row = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRecord(row);
  }

  /** Case-insensitive, as user names are unique regardless of case. */
  async findByUsername(username: string): Promise<UserRecord | undefined> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where(sql<string>`lower(username)`, '=', username.toLowerCase())
      .executeTakeFirst();
    return row && toRecord(row);
  }

  /** Ordered by user name (case-insensitive). */
  async list(paging?: Partial<Page>): Promise<PageResult<UserRecord>> {
    const { limit, offset } = page(paging);
    const [rows, total] = await Promise.all([
      this.db
        .selectFrom('users')
        .selectAll()
        .orderBy(sql`lower(username)`)
        .orderBy('id')
        .limit(limit)
        .offset(offset)
        .execute(),
      this.count(),
    ]);
    return { items: rows.map(toRecord), total };
  }

  async update(id: string, patch: UserPatch): Promise<UserRecord | undefined> {
    const values = defined({
      display_name: patch.displayName,
      roles: patch.roles && [...patch.roles],
      disabled: patch.disabled,
      password_hash: patch.passwordHash,
      must_change_password: patch.mustChangePassword,
      camera_access: patch.cameraAccess && JSON.stringify(patch.cameraAccess),
    });
    if (Object.keys(values).length === 0) return this.findById(id);
    const row = await this.db.updateTable('users').set(values).where('id', '=', id).returningAll().executeTakeFirst();
    return row && toRecord(row);
  }

  /**
   * Count one more failed login; lock the account until `lockUntil` when given. Returns the new
   * count. Atomic, so concurrent attempts cannot lose an increment.
   */
  async recordFailedLogin(id: string, lockUntil: Date | null): Promise<number> {
    const row = await this.db
      .updateTable('users')
      .set((eb) => ({
        failed_logins: eb('failed_logins', '+', 1),
        ...(lockUntil ? { locked_until: lockUntil } : {}),
      }))
      .where('id', '=', id)
      .returning('failed_logins')
      .executeTakeFirst();
    if (!row) throw new NotFoundError(`User ${id} does not exist`);
    return row.failed_logins;
  }

  /** After a successful login: no failures, no lock. */
  async resetFailedLogins(id: string): Promise<void> {
    await this.db.updateTable('users').set({ failed_logins: 0, locked_until: null }).where('id', '=', id).execute();
  }

  async count(): Promise<number> {
    const r = await this.db.selectFrom('users').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst();
    return toCount(r?.n);
  }
}
