import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Config } from '../config/schema.ts';
import { ArgusError, ConfigError, ERROR_CODES } from '../contracts/errors.ts';

const VERSION = 'v1';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEX_KEY_RE = /^[0-9a-fA-F]{64}$/;

/** A sealed value that cannot be opened: altered, truncated, or sealed with another key. */
export class SecretBoxError extends ArgusError {
  constructor(message: string) {
    super(ERROR_CODES.INTERNAL, message);
    this.name = 'SecretBoxError';
  }
}

/**
 * Encrypts secrets at rest (camera passwords) with AES-256-GCM.
 *
 * Sealed form: `v1:` + base64(iv[12] | tag[16] | ciphertext). A fresh random IV per value, so the
 * same password sealed twice gives two different strings. `open` refuses anything altered.
 */
export class SecretBox {
  readonly #key: Buffer;

  private constructor(key: Buffer) {
    this.#key = key;
  }

  /** A box from a 32-byte key, given as a Buffer or as 64 hex characters. */
  static fromKey(key: Buffer | string): SecretBox {
    if (typeof key === 'string') {
      if (!HEX_KEY_RE.test(key.trim())) throw new ConfigError('The secret key must be 64 hex characters (32 bytes).');
      return new SecretBox(Buffer.from(key.trim(), 'hex'));
    }
    if (key.length !== KEY_BYTES) throw new ConfigError(`The secret key must be ${KEY_BYTES} bytes, not ${key.length}.`);
    return new SecretBox(Buffer.from(key));
  }

  /**
   * The key from the configuration: `secrets.key` when set, else the file `secrets.keyFile`
   * (which must exist), else `<dataDir>/secret.key`, created on first use with 32 random bytes
   * (hex) and mode 0600.
   */
  static fromConfig(config: Pick<Config, 'dataDir' | 'secrets'>): SecretBox {
    if (config.secrets.key) return SecretBox.fromKey(config.secrets.key);
    if (config.secrets.keyFile) {
      const file = resolve(config.secrets.keyFile);
      return SecretBox.fromKey(readKeyFile(file, 'secrets.keyFile'));
    }
    const file = resolve(config.dataDir, 'secret.key');
    return SecretBox.fromKey(readOrCreateKeyFile(file));
  }

  seal(plain: string): string {
    if (typeof plain !== 'string') throw new TypeError('SecretBox.seal takes a string');
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return `${VERSION}:${Buffer.concat([iv, tag, body]).toString('base64')}`;
  }

  open(sealed: string): string {
    if (typeof sealed !== 'string' || !sealed.startsWith(`${VERSION}:`)) {
      throw new SecretBoxError(`Cannot open a sealed secret: it does not start with "${VERSION}:" (not a value sealed by Argus).`);
    }
    const raw = Buffer.from(sealed.slice(VERSION.length + 1), 'base64');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new SecretBoxError('Cannot open a sealed secret: it is truncated.');
    const iv = raw.subarray(0, IV_BYTES);
    const tag = raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES);
    const body = raw.subarray(IV_BYTES + TAG_BYTES);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, iv);
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError(
        'Cannot open a sealed secret: authentication failed (it was altered, or sealed with a different key; check secrets.key / secrets.keyFile).',
      );
    }
  }

  /** Whether a string has the sealed form (it says nothing about the key). */
  static isSealed(value: string): boolean {
    return typeof value === 'string' && value.startsWith(`${VERSION}:`);
  }
}

function readKeyFile(file: string, what: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new ConfigError(`Cannot read the secret key file ${file} (${what}): ${code}.`, [{ path: 'secrets.keyFile', message: code }]);
  }
  if (!HEX_KEY_RE.test(text)) {
    throw new ConfigError(`The secret key file ${file} must hold 64 hex characters (32 bytes).`, [
      { path: 'secrets.keyFile', message: 'not a 64-hex-character key' },
    ]);
  }
  return text;
}

function readOrCreateKeyFile(file: string): string {
  mkdirSync(dirname(file), { recursive: true });
  try {
    // 'wx': never overwrite a key that another process created a moment ago.
    writeFileSync(file, `${randomBytes(KEY_BYTES).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return readKeyFile(file, join('<dataDir>', 'secret.key'));
}
