import type { Command } from 'commander';
import { generatePassword, hashPassword } from '../command-ui/server/services/passwords.ts';
import { createUserRequestSchema } from '../contracts/api.ts';
import { NotFoundError, ValidationError, issuesFromZod } from '../contracts/errors.ts';
import { ROLES } from '../contracts/roles.ts';
import { openDatabase } from '../storage/database.ts';
import { migrateToLatest } from '../storage/migrator.ts';
import { AuditRepository } from '../storage/repositories/audit.repository.ts';
import { SessionsRepository } from '../storage/repositories/sessions.repository.ts';
import { UsersRepository } from '../storage/repositories/users.repository.ts';
import { addCommonOptions, configFor, type CommonOptions } from './common.ts';

async function withUsers<T>(options: CommonOptions, fn: (repos: { users: UsersRepository; sessions: SessionsRepository; audit: AuditRepository }) => Promise<T>): Promise<T> {
  const database = await openDatabase(configFor(options));
  try {
    await migrateToLatest(database);
    return await fn({ users: new UsersRepository(database.db), sessions: new SessionsRepository(database.db), audit: new AuditRepository(database.db) });
  } finally {
    await database.close();
  }
}

export function registerUsersCommand(program: Command): void {
  const users = program.command('users').description('Manage user accounts from the server console (when nobody can log in)');

  addCommonOptions(users.command('list').description('List user accounts')).action(async (options: CommonOptions) => {
    await withUsers(options, async ({ users: repo }) => {
      const { items } = await repo.list({ limit: 1000, offset: 0 });
      for (const u of items) process.stdout.write(`${u.username}\t${u.roles.join(',')}\t${u.disabled ? 'disabled' : 'active'}\t${u.displayName}\n`);
    });
  });

  addCommonOptions(
    users
      .command('create <username>')
      .description('Create a user with a random password (printed once)')
      .requiredOption('--roles <roles>', `comma-separated roles: ${ROLES.join(', ')}`)
      .option('--display-name <name>', 'name shown in the UI (default: the user name)'),
  ).action(async (username: string, options: CommonOptions & { roles: string; displayName?: string }) => {
    const password = generatePassword();
    const parsed = createUserRequestSchema.safeParse({
      username,
      displayName: options.displayName ?? username,
      password,
      roles: options.roles.split(',').map((r) => r.trim()),
    });
    if (!parsed.success) throw new ValidationError('The user cannot be created.', issuesFromZod(parsed.error.issues));
    await withUsers(options, async ({ users: repo, audit }) => {
      const user = await repo.create({ ...parsed.data, passwordHash: await hashPassword(password), mustChangePassword: true });
      await audit.append({ userId: null, username: 'console', action: 'user.create', targetType: 'user', targetId: user.id, detail: { username, roles: user.roles } });
      process.stdout.write(`Created ${user.username} (${user.roles.join(', ')}). Password (shown once, must be changed at first login): ${password}\n`);
    });
  });

  addCommonOptions(
    users.command('reset-password <username>').description('Set a new random password (printed once), unlock the account and end its sessions'),
  ).action(async (username: string, options: CommonOptions) => {
    await withUsers(options, async ({ users: repo, sessions, audit }) => {
      const user = await repo.findByUsername(username);
      if (!user) throw new NotFoundError(`No user named ${username}. List them with: npx argus users list`);
      const password = generatePassword();
      await repo.update(user.id, { passwordHash: await hashPassword(password), mustChangePassword: true, disabled: false });
      await repo.resetFailedLogins(user.id);
      await sessions.revokeAllForUser(user.id);
      await audit.append({ userId: null, username: 'console', action: 'user.password_reset', targetType: 'user', targetId: user.id, detail: { username } });
      process.stdout.write(`New password for ${user.username} (shown once, must be changed at next login): ${password}\n`);
    });
  });
}
