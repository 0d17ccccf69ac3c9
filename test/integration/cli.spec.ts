import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

function argus(args: string[], env: Record<string, string> = {}) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ARGUS_') && k !== 'DATABASE_URL' && k !== 'REDIS_URL'));
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/argus.mjs'), ...args], { cwd: ROOT, env: { ...clean, ...env }, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('the argus command', () => {
  it('describes every command in --help', () => {
    const r = argus(['--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['serve', 'migrate', 'users', 'config', 'models']) expect(r.out).toMatch(new RegExp(`^\\s+${cmd}\\b.*\\S`, 'm'));
    expect(r.out).toContain('DATABASE_URL');
  });

  it('describes the roles and options of serve', () => {
    const r = argus(['serve', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('--roles <roles>');
    for (const role of ['api', 'ingest', 'analytics', 'worker']) expect(r.out).toContain(role);
    expect(r.out).toContain('--config <file>');
  });

  it('has help for each sub-command', () => {
    for (const args of [['users', '--help'], ['users', 'reset-password', '--help'], ['migrate', '--help'], ['config', 'check', '--help'], ['models', '--help']]) {
      const r = argus(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.out).toMatch(/Usage: argus/);
    }
  });

  it('refuses a bad configuration before starting anything, listing every problem', () => {
    const dir = mkdtempSync(join(tmpdir(), 'argus-cli-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'server:\n  port: 70000\n  colour: red\ndatabase:\n  url: mysql://db/argus\n');
    const r = argus(['serve', '--config', file, '--data-dir', join(dir, 'data')], { ARGUS_ROLES: 'api,teleport' });
    expect(r.code).toBe(2);
    expect(r.err).toContain('The configuration has 4 problems');
    expect(r.err).toContain('server.port');
    expect(r.err).toContain('database.url: must be a postgres:// or postgresql:// URL');
    expect(r.err).toContain('roles.1');
    expect(r.err).toMatch(/colour/);
    expect(r.out).not.toContain('Argus is running');
  });

  it('rejects an unknown role on the command line', () => {
    const r = argus(['serve', '--roles', 'api,cameras', '--data-dir', mkdtempSync(join(tmpdir(), 'argus-cli-'))]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('roles.1');
  });

  it('checks a configuration and hides secrets', () => {
    const r = argus(['config', 'check'], { DATABASE_URL: 'postgres://argus:topsecret@db.example:5432/argus' });
    expect(r.code).toBe(0);
    expect(r.out).toContain('The configuration is valid');
    expect(r.out).toContain('postgres://argus:***@db.example:5432/argus');
    expect(r.out).not.toContain('topsecret');
  });

  it('creates users and resets a password from the console, on the embedded database', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'argus-cli-'));
    const created = argus(['users', 'create', 'duty1', '--roles', 'commander,dispatcher', '--data-dir', dataDir]);
    expect(created.code, created.err).toBe(0);
    const password = /: (\S+)\n$/.exec(created.out)?.[1];
    expect(password).toMatch(/^[A-Za-z0-9]{16}$/);
    const list = argus(['users', 'list', '--data-dir', dataDir]);
    expect(list.out).toMatch(/^duty1\tcommander,dispatcher\tactive/m);
    const reset = argus(['users', 'reset-password', 'duty1', '--data-dir', dataDir]);
    expect(reset.code).toBe(0);
    expect(/: (\S+)\n$/.exec(reset.out)?.[1]).not.toBe(password);
    const missing = argus(['users', 'reset-password', 'ghost', '--data-dir', dataDir]);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('No user named ghost');
    const badRole = argus(['users', 'create', 'x1', '--roles', 'king', '--data-dir', dataDir]);
    expect(badRole.code).toBe(1);
    expect(badRole.err).toContain('roles.0');
  });
});
