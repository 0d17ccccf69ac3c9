import { describe, expect, it } from 'vitest';
import { generatePassword, hashPassword, verifyPassword } from '../../command-ui/server/services/passwords.ts';
import { createLogger } from '../../config/logger.ts';
import { Writable } from 'node:stream';

describe('passwords', () => {
  it('hashes with scrypt and a salt, and verifies only the right password', async () => {
    const a = await hashPassword('correct horse 马');
    const b = await hashPassword('correct horse 马');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse 马', a)).toBe(true);
    expect(await verifyPassword('correct horse', a)).toBe(false);
    expect(await verifyPassword('x', 'plain-text-password')).toBe(false);
  });

  it('generates readable random passwords', () => {
    const p = generatePassword();
    expect(p).toMatch(/^[A-HJ-NP-Za-km-z2-9]{16}$/);
    expect(new Set(Array.from({ length: 50 }, () => generatePassword())).size).toBe(50);
  });
});

describe('logger', () => {
  it('never writes passwords, tokens or embeddings', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const log = createLogger({ log: { level: 'info', pretty: false } }, sink);
    log.info({ password: 'hunter2', camera: { password: 'p4ss', name: 'gate' }, token: 'tok-123', req: { headers: { authorization: 'Bearer abc' } }, embedding: [0.1, 0.2] }, 'x');
    const text = lines.join('');
    for (const secret of ['hunter2', 'p4ss', 'tok-123', 'Bearer abc', '0.1']) expect(text).not.toContain(secret);
    expect(text).toContain('gate');
  });
});

describe('readable log lines', () => {
  it('formats a record as one line with time, level, module and fields', async () => {
    const { prettyLine } = await import('../../config/logger.ts');
    const line = prettyLine(JSON.stringify({ level: 40, time: '2026-11-21T20:15:40.957Z', app: 'argus', module: 'http', msg: 'slow', ms: 812 }));
    expect(line).toBe('20:15:40 WARN  [http] slow  ms=812\n');
    expect(prettyLine('not json')).toBe('not json');
  });
});
