import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { EXPORT_FORMAT, MANIFEST_FILE, PUBLIC_KEY_FILE, SIGNATURE_FILE, type ExportManifest, type ManifestFile } from './export-package.ts';
import { publicKeyFingerprint } from './export-signing-key.ts';
import { readTar, TarFormatError } from './export-tar.ts';

export { TarFormatError } from './export-tar.ts';

export interface VerifyReport {
  /** True only when the signature holds and every file matches the manifest exactly. */
  verified: boolean;
  /** Files the manifest lists. */
  files: number;
  /** Fingerprint of the key the signature was checked with (the given one, else the package's). */
  fingerprint: string | null;
  /** Whether the signing key was compared with a key given by the caller (origin), not only the package's own. */
  originChecked: boolean;
  /** One line per alteration found, saying exactly what. */
  problems: string[];
  /** Things to know that are not alterations (e.g. origin not checked). */
  warnings: string[];
  manifest: ExportManifest | null;
}

const SMALL = new Set([MANIFEST_FILE, SIGNATURE_FILE, PUBLIC_KEY_FILE]);
const short = (hex: string) => `${hex.slice(0, 12)}…`;

function parseKey(pem: string): KeyObject | null {
  try {
    const key = createPublicKey(pem);
    return key.asymmetricKeyType === 'ed25519' ? key : null;
  } catch {
    return null;
  }
}

function isManifestFile(f: unknown): f is ManifestFile {
  const o = f as ManifestFile;
  return typeof o === 'object' && o !== null && typeof o.path === 'string' && Number.isSafeInteger(o.size) && typeof o.sha256 === 'string' && /^[0-9a-f]{64}$/.test(o.sha256);
}

/**
 * Check an evidence export package: the manifest's Ed25519 signature (with `trustedKeyPem` when
 * given, and that the package's key is that key), then every listed file's size and sha256, files
 * missing, files present twice and files not in the manifest. Throws TarFormatError when the file
 * cannot be read as a tar at all (not a tar, truncated, damaged header).
 */
export async function verifyExport(file: string, options: { trustedKeyPem?: string } = {}): Promise<VerifyReport> {
  const trusted = options.trustedKeyPem === undefined ? undefined : parseKey(options.trustedKeyPem);
  if (trusted === null) throw new TarFormatError('the key given with --public-key is not an Ed25519 public key (PEM)');
  const { entries, refused } = await readTar(file, (path, size) => SMALL.has(path) && size <= 64 * 1024 * 1024);
  const problems: string[] = [];
  const warnings: string[] = [];
  for (const r of refused) problems.push(`${r.path}: ${r.reason}`);

  const byPath = new Map<string, typeof entries>();
  for (const e of entries) byPath.set(e.path, [...(byPath.get(e.path) ?? []), e]);
  for (const [path, list] of byPath) {
    if (list.length > 1) problems.push(`${path}: present ${list.length} times in the package (a copy was added; tar programs extract the last one)`);
  }
  const one = (path: string) => byPath.get(path)?.at(-1);

  // The manifest and its signature.
  const manifestEntry = one(MANIFEST_FILE);
  const sigEntry = one(SIGNATURE_FILE);
  const keyEntry = one(PUBLIC_KEY_FILE);
  let manifest: ExportManifest | null = null;
  let fingerprint: string | null = trusted ? publicKeyFingerprint(trusted) : null;
  if (!manifestEntry?.data) {
    problems.push(`${MANIFEST_FILE}: missing — without it nothing in the package can be checked`);
  } else {
    try {
      const parsed = JSON.parse(manifestEntry.data.toString('utf8')) as ExportManifest;
      if (parsed?.format !== EXPORT_FORMAT || !Array.isArray(parsed.files)) problems.push(`${MANIFEST_FILE}: not an Argus evidence export manifest`);
      else manifest = parsed;
    } catch {
      problems.push(`${MANIFEST_FILE}: not valid JSON (altered or damaged)`);
    }
  }
  const packageKey = keyEntry?.data ? parseKey(keyEntry.data.toString('utf8')) : null;
  if (!keyEntry) problems.push(`${PUBLIC_KEY_FILE}: missing`);
  else if (!packageKey) problems.push(`${PUBLIC_KEY_FILE}: not an Ed25519 public key (altered or damaged)`);
  if (trusted && packageKey && !packageKey.equals(trusted)) {
    problems.push(
      `${PUBLIC_KEY_FILE}: not the key given with --public-key (package key ${publicKeyFingerprint(packageKey)}, expected ${publicKeyFingerprint(trusted)}) — the package was not signed by that server`,
    );
  }
  const checkWith = trusted ?? packageKey;
  if (!trusted && packageKey) fingerprint = publicKeyFingerprint(packageKey);
  if (!sigEntry?.data) {
    problems.push(`${SIGNATURE_FILE}: missing — the manifest is not signed`);
  } else if (manifestEntry?.data && checkWith) {
    const signature = Buffer.from(sigEntry.data.toString('utf8').trim(), 'base64');
    let ok = false;
    try {
      ok = signature.length === 64 && verify(null, manifestEntry.data, checkWith, signature);
    } catch {
      ok = false;
    }
    if (!ok) {
      problems.push(
        trusted
          ? `${MANIFEST_FILE}: signature does not match the key given with --public-key — the manifest was altered or signed with another key`
          : `${MANIFEST_FILE}: signature does not match — the manifest was altered or signed with another key`,
      );
    }
  }

  // Every file against the manifest.
  let files = 0;
  if (manifest) {
    const listed = new Set<string>();
    for (const f of manifest.files) {
      if (!isManifestFile(f)) {
        problems.push(`${MANIFEST_FILE}: a file entry is malformed (${JSON.stringify(f).slice(0, 120)})`);
        continue;
      }
      files++;
      listed.add(f.path);
      const found = one(f.path);
      if (!found) {
        problems.push(`${f.path}: missing`);
        continue;
      }
      if (found.size !== f.size || found.sha256 !== f.sha256) {
        const size = found.size !== f.size ? `size ${f.size}≠${found.size} bytes, ` : '';
        problems.push(`${f.path}: content changed (${size}sha256 ${short(f.sha256)}≠${short(found.sha256)})`);
      }
    }
    for (const path of byPath.keys()) {
      if (!listed.has(path) && path !== MANIFEST_FILE && path !== SIGNATURE_FILE) problems.push(`extra file not in manifest: ${path}`);
    }
  }
  if (!trusted && packageKey) {
    warnings.push(
      `the signature was checked with the key inside the package (${fingerprint}): this proves the package is unchanged since it was signed, not who signed it. ` +
        'Compare this fingerprint with the server\'s key (GET /api/exports/public-key), or pass --public-key SERVER-KEY.pem.',
    );
  }
  return { verified: problems.length === 0, files, fingerprint, originChecked: Boolean(trusted), problems, warnings, manifest };
}
