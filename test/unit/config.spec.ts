import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatConfigError, loadConfig } from '../../config/load.ts';
import { ConfigError } from '../../contracts/errors.ts';

function problems(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('gives the embedded defaults with no file and no environment', () => {
    const c = loadConfig({ env: {}, cwd: '/srv/argus' });
    expect(c.database.url).toBeNull();
    expect(c.server).toMatchObject({ host: '127.0.0.1', port: 8080 });
    expect(c.roles).toEqual(['api', 'ingest', 'analytics', 'worker']);
    expect(c.dataDir).toBe('/srv/argus/data');
    expect(Object.isFrozen(c) && Object.isFrozen(c.server)).toBe(true);
  });

  it('reads the commented sample file as valid, equal to the defaults', () => {
    const sample = resolve(import.meta.dirname, '../../config/argus.sample.yaml');
    expect(loadConfig({ env: {}, file: sample, cwd: '/x' })).toEqual(loadConfig({ env: {}, cwd: '/x' }));
  });

  it('alert levels: names, actions and colours configurable one by one; bad colours and tile URLs refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'argus-cfg-levels-'));
    writeFileSync(join(dir, 'a.yaml'), "alerts:\n  levels:\n    red: { name: { en: L1, zh-CN: 一级 }, action: { en: Detain, zh-CN: 扣留 }, colour: '#aa0011' }\n");
    const c = loadConfig({ env: {}, file: join(dir, 'a.yaml'), cwd: '/x' });
    expect(c.alerts.levels.red).toEqual({ name: { en: 'L1', 'zh-CN': '一级' }, action: { en: 'Detain', 'zh-CN': '扣留' }, colour: '#aa0011' });
    expect(c.alerts.levels.orange.name['zh-CN']).toBe('橙色');
    expect(c.map.tiles).toBeNull();
    writeFileSync(join(dir, 'b.yaml'), "alerts:\n  levels:\n    red: { name: { en: L1, zh-CN: 一级 }, action: { en: D, zh-CN: 扣 }, colour: red }\nmap:\n  tiles: { url: 'http://tiles.local/tile.png' }\n");
    const issues = problems(() => loadConfig({ env: {}, file: join(dir, 'b.yaml'), cwd: '/x' })).issues;
    expect(issues.map((i) => i.path)).toEqual(expect.arrayContaining(['alerts.levels.red.colour', 'map.tiles.url']));
    expect(issues.find((i) => i.path === 'alerts.levels.red.colour')!.message).toMatch(/#rrggbb/);
    expect(issues.find((i) => i.path === 'map.tiles.url')!.message).toMatch(/\{z\}/);
  });

  it('applies environment overrides over the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'argus-config-'));
    const file = join(dir, 'argus.yaml');
    writeFileSync(file, 'server:\n  port: 9000\nredis:\n  url: redis://10.1.1.1:6379\n');
    const c = loadConfig({
      env: { DATABASE_URL: 'postgres://u:p@db:5432/argus', ARGUS_LISTEN: '0.0.0.0:9100', ARGUS_ROLES: 'api,worker', ARGUS_DATA_DIR: '/var/lib/argus' },
      file,
    });
    expect(c.database.url).toBe('postgres://u:p@db:5432/argus');
    expect(c.server.host).toBe('0.0.0.0');
    expect(c.server.port).toBe(9100);
    expect(c.redis.url).toBe('redis://10.1.1.1:6379');
    expect(c.roles).toEqual(['api', 'worker']);
    expect(c.dataDir).toBe('/var/lib/argus');
  });

  it('lists every problem with its path instead of stopping at the first', () => {
    const err = problems(() =>
      loadConfig({
        env: { ARGUS_PORT: 'eighty', DATABASE_URL: 'mysql://x/y', ARGUS_ROLES: 'api,cameras' },
        overrides: { colour: 'blue', auth: { sessionTtlMinutes: 1 } },
      }),
    );
    const paths = err.issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['server.port', 'database.url', 'roles.1', 'auth.sessionTtlMinutes']));
    expect(err.issues.some((i) => i.message.includes('colour'))).toBe(true);
    const text = formatConfigError(err);
    expect(text).toContain(`${err.issues.length} problems`);
    expect(text).toContain('server.port: ARGUS_PORT="eighty" is not a port number');
  });

  it('reports a missing file, bad YAML and a file that is not a mapping', () => {
    const dir = mkdtempSync(join(tmpdir(), 'argus-config-'));
    expect(problems(() => loadConfig({ env: {}, file: join(dir, 'none.yaml') })).issues[0]!.message).toMatch(/does not exist/);
    writeFileSync(join(dir, 'bad.yaml'), 'server: [unclosed\n');
    expect(problems(() => loadConfig({ env: {}, file: join(dir, 'bad.yaml') })).issues[0]!.message).toMatch(/not valid YAML/);
    writeFileSync(join(dir, 'list.yaml'), '- a\n- b\n');
    expect(problems(() => loadConfig({ env: {}, file: join(dir, 'list.yaml') })).issues[0]!.message).toMatch(/mapping/);
  });
});

describe('derived folders', () => {
  it('puts models and media under the data folder unless set', () => {
    const c = loadConfig({ env: { ARGUS_DATA_DIR: '/var/lib/argus' } });
    expect(c.modelsDir).toBe('/var/lib/argus/models');
    expect(c.mediaDir).toBe('/var/lib/argus/media');
    const d = loadConfig({ env: { ARGUS_DATA_DIR: '/var/lib/argus', ARGUS_MODELS_DIR: '/opt/models' } });
    expect(d.modelsDir).toBe('/opt/models');
  });
});
