import type { Logger } from '../../../config/logger.ts';
import type { CreateUserRequest, UpdateUserRequest, User } from '../../../contracts/api.ts';
import { ConflictError, NotFoundError } from '../../../contracts/errors.ts';
import type { AuditAction } from '../../../contracts/audit.ts';
import type { AuditRepository } from '../../../storage/repositories/audit.repository.ts';
import type { SessionsRepository } from '../../../storage/repositories/sessions.repository.ts';
import { toUser, type UsersRepository } from '../../../storage/repositories/users.repository.ts';
import type { Principal, RequestMeta } from './auth.service.ts';
import { hashPassword } from './passwords.ts';

export class UsersService {
  constructor(
    private readonly deps: { users: UsersRepository; sessions: SessionsRepository; audit: AuditRepository; log: Logger },
  ) {}

  async list(page: { limit: number; offset: number }): Promise<{ items: User[]; total: number }> {
    const { items, total } = await this.deps.users.list(page);
    return { items: items.map(toUser), total };
  }

  async create(input: CreateUserRequest, actor: Principal | null, meta: RequestMeta): Promise<User> {
    const record = await this.deps.users.create({
      username: input.username,
      displayName: input.displayName,
      passwordHash: await hashPassword(input.password),
      roles: [...new Set(input.roles)],
      mustChangePassword: actor !== null,
      cameraAccess: input.cameraAccess,
    });
    await this.deps.audit.append({
      userId: actor?.userId ?? null,
      username: actor?.username ?? null,
      action: 'user.create',
      targetType: 'user',
      targetId: record.id,
      detail: { username: record.username, roles: record.roles, cameraAccess: record.cameraAccess },
      ip: meta.ip,
    });
    return toUser(record);
  }

  async update(id: string, patch: UpdateUserRequest, actor: Principal, meta: RequestMeta): Promise<User> {
    const current = await this.deps.users.findById(id);
    if (!current) throw new NotFoundError(`No user with id ${id}.`);
    const losesAdmin =
      current.roles.includes('admin') && !current.disabled && (patch.disabled === true || (patch.roles && !patch.roles.includes('admin')));
    if (losesAdmin && (await this.activeAdminCount()) <= 1) {
      throw new ConflictError('This is the last active administrator; create another administrator first.');
    }
    const updated = await this.deps.users.update(id, {
      displayName: patch.displayName,
      roles: patch.roles ? [...new Set(patch.roles)] : undefined,
      disabled: patch.disabled,
      passwordHash: patch.password ? await hashPassword(patch.password) : undefined,
      mustChangePassword: patch.password ? id !== actor.userId : undefined,
      cameraAccess: patch.cameraAccess,
    });
    if (!updated) throw new NotFoundError(`No user with id ${id}.`);
    // A disabled account, a reset password or changed roles end the user's open sessions.
    if (patch.disabled || patch.password || patch.roles) await this.deps.sessions.revokeAllForUser(id);
    // One entry per kind of change, so that role changes and disabled accounts can be filtered for.
    const entries: Array<{ action: AuditAction; detail: Record<string, unknown> }> = [];
    if (patch.displayName !== undefined && patch.displayName !== current.displayName) {
      entries.push({ action: 'user.update', detail: { username: current.username, changed: ['displayName'], from: current.displayName, to: patch.displayName } });
    }
    const newRoles = patch.roles ? [...new Set(patch.roles)] : undefined;
    if (newRoles && JSON.stringify([...newRoles].sort()) !== JSON.stringify([...current.roles].sort())) {
      entries.push({ action: 'user.role_change', detail: { username: current.username, from: current.roles, to: newRoles } });
    }
    if (patch.cameraAccess && JSON.stringify(patch.cameraAccess) !== JSON.stringify(current.cameraAccess)) {
      entries.push({ action: 'user.access_change', detail: { username: current.username, from: current.cameraAccess, to: patch.cameraAccess } });
    }
    if (patch.disabled !== undefined && patch.disabled !== current.disabled) {
      entries.push({ action: patch.disabled ? 'user.disable' : 'user.enable', detail: { username: current.username } });
    }
    if (patch.password) entries.push({ action: 'user.password_reset', detail: { username: current.username } });
    for (const e of entries) {
      await this.deps.audit.append({ userId: actor.userId, username: actor.username, action: e.action, targetType: 'user', targetId: id, detail: e.detail, ip: meta.ip });
    }
    return toUser(updated);
  }

  private async activeAdminCount(): Promise<number> {
    let count = 0;
    for (let offset = 0; ; offset += 1000) {
      const { items } = await this.deps.users.list({ limit: 1000, offset });
      count += items.filter((u) => u.roles.includes('admin') && !u.disabled).length;
      if (items.length < 1000) return count;
    }
  }
}
