import { createHash, randomBytes } from 'node:crypto';
import type { Config } from '../../../config/schema.ts';
import type { Logger } from '../../../config/logger.ts';
import type { CameraAccess } from '../../../contracts/access.ts';
import type { LoginResponse, User } from '../../../contracts/api.ts';
import { ConflictError, ForbiddenError, RateLimitedError, UnauthenticatedError, ValidationError } from '../../../contracts/errors.ts';
import type { Role } from '../../../contracts/roles.ts';
import type { AuditRepository } from '../../../storage/repositories/audit.repository.ts';
import type { SessionsRepository } from '../../../storage/repositories/sessions.repository.ts';
import { toUser, type UsersRepository } from '../../../storage/repositories/users.repository.ts';
import { generatePassword, hashPassword, verifyPassword } from './passwords.ts';

/** Who is making a request, as routes and socket handlers see it. */
export interface Principal {
  userId: string;
  username: string;
  roles: Role[];
  /** sha256 of the session token; identifies the session without holding the token. */
  sessionId: string;
  /**
   * Which cameras the user may watch live, play back and search (read on every request, so a change
   * applies at once). `authenticate` always sets it; absent only in principals made by hand (tests,
   * the console), which are not restricted.
   */
  cameraAccess?: CameraAccess;
}

export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A hash of a random password, so unknown user names cost as much time as known ones. */
let dummyHash: Promise<string> | null = null;

export class AuthService {
  private readonly ttlMs: number;
  private readonly sessionEndListeners: Array<(sessionId: string) => void> = [];

  constructor(
    private readonly deps: {
      users: UsersRepository;
      sessions: SessionsRepository;
      audit: AuditRepository;
      config: Config['auth'];
      log: Logger;
      now?: () => Date;
    },
  ) {
    this.ttlMs = deps.config.sessionTtlMinutes * 60_000;
  }

  private now(): Date {
    return this.deps.now ? this.deps.now() : new Date();
  }

  async login(username: string, password: string, meta: RequestMeta): Promise<LoginResponse> {
    const { users, sessions, audit, config } = this.deps;
    const record = await users.findByUsername(username);
    const now = this.now();
    if (!record) {
      dummyHash ??= hashPassword(generatePassword());
      await verifyPassword(password, await dummyHash);
      await audit.append({ userId: null, username, action: 'auth.login_failed', detail: { reason: 'unknown user' }, ip: meta.ip });
      throw new UnauthenticatedError('Wrong user name or password.');
    }
    if (record.lockedUntil && record.lockedUntil > now) {
      const seconds = Math.ceil((record.lockedUntil.getTime() - now.getTime()) / 1000);
      await audit.append({ userId: record.id, username: record.username, action: 'auth.login_failed', detail: { reason: 'locked' }, ip: meta.ip });
      throw new RateLimitedError(
        `This account is locked after ${config.maxFailedLogins} failed logins. Try again in ${Math.ceil(seconds / 60)} minute(s), or ask an administrator to reset the password.`,
        seconds,
      );
    }
    if (!(await verifyPassword(password, record.passwordHash))) {
      const failures = record.failedLogins + 1;
      const lockUntil = failures >= config.maxFailedLogins ? new Date(now.getTime() + config.lockMinutes * 60_000) : null;
      await users.recordFailedLogin(record.id, lockUntil);
      await audit.append({
        userId: record.id,
        username: record.username,
        action: 'auth.login_failed',
        detail: { reason: 'wrong password', failures, locked: lockUntil !== null },
        ip: meta.ip,
      });
      throw new UnauthenticatedError('Wrong user name or password.');
    }
    if (record.disabled) {
      await audit.append({ userId: record.id, username: record.username, action: 'auth.login_failed', detail: { reason: 'disabled' }, ip: meta.ip });
      throw new ForbiddenError('This account is disabled. Ask an administrator.');
    }
    if (record.failedLogins > 0 || record.lockedUntil) await users.resetFailedLogins(record.id);
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now.getTime() + this.ttlMs);
    await sessions.create({ tokenHash: hashToken(token), userId: record.id, expiresAt, ip: meta.ip, userAgent: meta.userAgent });
    await audit.append({ userId: record.id, username: record.username, action: 'auth.login', ip: meta.ip });
    this.deps.log.info({ userId: record.id, username: record.username }, 'login');
    return { token, expiresAt: expiresAt.toISOString(), user: toUser(record) };
  }

  /** The principal behind a token, renewing the session while it is used. */
  async authenticate(token: string | null | undefined): Promise<Principal> {
    if (!token || token.length > 200) throw new UnauthenticatedError();
    const tokenHash = hashToken(token);
    const now = this.now();
    const session = await this.deps.sessions.findActive(tokenHash, now);
    if (!session) throw new UnauthenticatedError('Not logged in, or the session has expired. Log in again.');
    const user = await this.deps.users.findById(session.userId);
    if (!user || user.disabled) throw new UnauthenticatedError('This account is no longer active. Log in again.');
    // Sliding expiry, written at most once a minute per session.
    const renewed = new Date(now.getTime() + this.ttlMs);
    if (renewed.getTime() - session.expiresAt.getTime() > 60_000) await this.deps.sessions.touch(tokenHash, renewed);
    return { userId: user.id, username: user.username, roles: user.roles, sessionId: tokenHash, cameraAccess: user.cameraAccess };
  }

  /** Called with the session id when a session ends by logout (the socket gateway closes its sockets). */
  onSessionEnd(listener: (sessionId: string) => void): void {
    this.sessionEndListeners.push(listener);
  }

  /**
   * Of these open sessions (the socket gateway's), end those that expired, were revoked (password
   * change, account disabled) or whose user is disabled: the session-end listeners run for each, as on
   * logout. Checking renews nothing. Returns the ended ones.
   */
  async endInactive(sessionIds: readonly string[]): Promise<string[]> {
    const unique = [...new Set(sessionIds)];
    if (unique.length === 0) return [];
    const active = await this.deps.sessions.activeAmong(unique, this.now());
    const ended = unique.filter((id) => !active.has(id));
    for (const sessionId of ended) for (const listener of this.sessionEndListeners) listener(sessionId);
    return ended;
  }

  async logout(principal: Principal, meta: RequestMeta): Promise<void> {
    await this.deps.sessions.revoke(principal.sessionId);
    for (const listener of this.sessionEndListeners) listener(principal.sessionId);
    await this.deps.audit.append({ userId: principal.userId, username: principal.username, action: 'auth.logout', ip: meta.ip });
  }

  async currentUser(principal: Principal): Promise<User> {
    const user = await this.deps.users.findById(principal.userId);
    if (!user) throw new UnauthenticatedError();
    return toUser(user);
  }

  async changePassword(principal: Principal, currentPassword: string, newPassword: string, meta: RequestMeta): Promise<void> {
    const user = await this.deps.users.findById(principal.userId);
    if (!user) throw new UnauthenticatedError();
    if (!(await verifyPassword(currentPassword, user.passwordHash))) {
      throw new ValidationError('The current password is wrong.', [{ path: 'currentPassword', message: 'wrong password' }]);
    }
    if (currentPassword === newPassword) {
      throw new ValidationError('The new password must differ from the current one.', [{ path: 'newPassword', message: 'same as the current password' }]);
    }
    await this.deps.users.update(user.id, { passwordHash: await hashPassword(newPassword), mustChangePassword: false });
    await this.deps.audit.append({ userId: user.id, username: user.username, action: 'user.password_changed', targetType: 'user', targetId: user.id, ip: meta.ip });
  }

  /**
   * On the first start (no users at all) create an administrator with a random password and
   * return its credentials, to be printed once. Later starts return null.
   */
  async ensureFirstAdmin(): Promise<{ username: string; password: string } | null> {
    if ((await this.deps.users.count()) > 0) return null;
    const password = generatePassword();
    let user;
    try {
      user = await this.deps.users.create({
        username: 'admin',
        displayName: 'Administrator',
        passwordHash: await hashPassword(password),
        roles: ['admin'],
        mustChangePassword: true,
      });
    } catch (err) {
      // Another process starting at the same moment created it first.
      if (err instanceof ConflictError) return null;
      throw err;
    }
    await this.deps.audit.append({ userId: null, username: null, action: 'user.create', targetType: 'user', targetId: user.id, detail: { username: 'admin', roles: ['admin'], firstStart: true }, ip: null });
    return { username: 'admin', password };
  }
}
