import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../contracts/errors.ts';
import { SecretBox, SecretBoxError } from '../../../storage/secret-box.ts';

const tmp = mkdtempSync(join(tmpdir(), 'argus-secret-box-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const keyHex = () => randomBytes(32).toString('hex');
const config = (dataDir: string, secrets: { key?: string | null; keyFile?: string | null } = {}) => ({
  dataDir,
  secrets: { key: secrets.key ?? null, keyFile: secrets.keyFile ?? null },
});

describe('SecretBox', () => {
  it('round-trips text, including empty and non-ASCII, with a fresh IV each time', () => {
    const box = SecretBox.fromKey(keyHex());
    for (const plain of ['hunter2', '', 'pässwörd 密码 🔐', 'x'.repeat(10_000)]) {
      const sealed = box.seal(plain);
      expect(sealed.startsWith('v1:')).toBe(true);
      expect(sealed).not.toContain(plain || 'never-empty-needle');
      expect(box.open(sealed)).toBe(plain);
    }
    expect(box.seal('same')).not.toBe(box.seal('same'));
    expect(SecretBox.isSealed(box.seal('a'))).toBe(true);
    expect(SecretBox.isSealed('plain')).toBe(false);
  });

  it('detects tampering with the ciphertext, the tag or the IV', () => {
    const box = SecretBox.fromKey(keyHex());
    const sealed = box.seal('camera-password');
    const raw = Buffer.from(sealed.slice(3), 'base64');
    // Flip one bit at several positions: IV (0..11), tag (12..27), ciphertext (28..).
    for (const pos of [0, 11, 12, 27, 28, raw.length - 1]) {
      const copy = Buffer.from(raw);
      copy[pos] = copy[pos]! ^ 0x01;
      expect(() => box.open(`v1:${copy.toString('base64')}`)).toThrow(SecretBoxError);
    }
    expect(() => box.open(`v1:${raw.subarray(0, 20).toString('base64')}`)).toThrow(/truncated/);
    expect(() => box.open('camera-password')).toThrow(/does not start with "v1:"/);
    expect(() => box.open(`v2:${raw.toString('base64')}`)).toThrow(SecretBoxError);
  });

  it('refuses a value sealed with another key, saying so', () => {
    const sealed = SecretBox.fromKey(keyHex()).seal('secret');
    expect(() => SecretBox.fromKey(keyHex()).open(sealed)).toThrow(/authentication failed.*different key/);
  });

  it('fromConfig: secrets.key wins, then keyFile, then <dataDir>/secret.key', () => {
    const key = keyHex();
    const fromKey = SecretBox.fromConfig(config(join(tmp, 'unused'), { key, keyFile: join(tmp, 'missing.key') }));
    expect(SecretBox.fromKey(key).open(fromKey.seal('k'))).toBe('k');

    const file = join(tmp, 'given.key');
    const fileKey = keyHex();
    writeFileSync(file, `${fileKey}\n`);
    const fromFile = SecretBox.fromConfig(config(join(tmp, 'unused'), { keyFile: file }));
    expect(SecretBox.fromKey(fileKey).open(fromFile.seal('f'))).toBe('f');

    expect(() => SecretBox.fromConfig(config(tmp, { keyFile: join(tmp, 'missing.key') }))).toThrow(ConfigError);
    writeFileSync(join(tmp, 'short.key'), 'abcd');
    expect(() => SecretBox.fromConfig(config(tmp, { keyFile: join(tmp, 'short.key') }))).toThrow(/64 hex characters/);
    expect(() => SecretBox.fromKey('zz')).toThrow(ConfigError);
    expect(() => SecretBox.fromKey(Buffer.alloc(16))).toThrow(ConfigError);
  });

  it('creates <dataDir>/secret.key with mode 0600 and 32 random bytes, and reuses it', () => {
    const dataDir = join(tmp, 'data', 'nested');
    const box = SecretBox.fromConfig(config(dataDir));
    const file = join(dataDir, 'secret.key');
    const st = statSync(file);
    expect(st.mode & 0o777).toBe(0o600);
    const hex = readFileSync(file, 'utf8').trim();
    expect(hex).toMatch(/^[0-9a-f]{64}$/);
    const sealed = box.seal('kept');
    // A second start reads the same key instead of making a new one.
    expect(SecretBox.fromConfig(config(dataDir)).open(sealed)).toBe('kept');
    expect(readFileSync(file, 'utf8').trim()).toBe(hex);
    expect(SecretBox.fromKey(hex).open(sealed)).toBe('kept');
    // Another data folder gets another key.
    const other = SecretBox.fromConfig(config(join(tmp, 'data2')));
    expect(() => other.open(sealed)).toThrow(SecretBoxError);
  });
});
