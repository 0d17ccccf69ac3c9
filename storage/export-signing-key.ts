import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Config } from '../config/schema.ts';
import { ConfigError } from '../contracts/errors.ts';

/** `sha256:<hex>` of a public key's DER SubjectPublicKeyInfo: what a person compares. */
export function publicKeyFingerprint(key: KeyObject): string {
  return `sha256:${createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex')}`;
}

/**
 * The server's Ed25519 key that signs evidence export manifests. From `exports.keyFile`, else
 * `<dataDir>/keys/export-signing.key`, created on first use (PKCS8 PEM, mode 0600; never
 * overwritten). The public half is served at GET /api/exports/public-key and put in every package.
 */
export class ExportSigningKey {
  readonly #privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly publicKeyPem: string;
  readonly fingerprint: string;

  private constructor(privateKey: KeyObject) {
    if (privateKey.asymmetricKeyType !== 'ed25519') throw new ConfigError(`The export signing key must be an Ed25519 key, not ${privateKey.asymmetricKeyType}.`);
    this.#privateKey = privateKey;
    this.publicKey = createPublicKey(privateKey);
    this.publicKeyPem = this.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    this.fingerprint = publicKeyFingerprint(this.publicKey);
  }

  static fromPem(pem: string): ExportSigningKey {
    return new ExportSigningKey(createPrivateKey(pem));
  }

  static fromConfig(config: Pick<Config, 'dataDir' | 'exports'>): ExportSigningKey {
    if (config.exports.keyFile) return ExportSigningKey.fromPem(readKey(resolve(config.exports.keyFile), 'exports.keyFile'));
    const file = resolve(config.dataDir, 'keys', 'export-signing.key');
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    try {
      const { privateKey } = generateKeyPairSync('ed25519');
      // 'wx': never replace a key another process created a moment ago (or any key at all).
      writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
      chmodSync(file, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    return ExportSigningKey.fromPem(readKey(file, join('<dataDir>', 'keys', 'export-signing.key')));
  }

  /** Ed25519 signature of exactly these bytes. */
  sign(data: Uint8Array): Buffer {
    return sign(null, data, this.#privateKey);
  }
}

function readKey(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new ConfigError(`Cannot read the export signing key ${file} (${what}): ${code}.`, [{ path: 'exports.keyFile', message: code }]);
  }
}
