import { randomBytes } from 'node:crypto';
import { rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ExportSigningKey } from './export-signing-key.ts';
import { TarWriter } from './export-tar.ts';

/**
 * The evidence export package: one uncompressed tar (the video is compressed already).
 *
 *   clips/<cameraId>/<segment file>     recorded segments overlapping the range, copied byte for byte
 *   evidence/<cameraId>/<day>/<id>-crop.jpg|-frame.jpg   evidence images of the sightings and alerts
 *   sightings.json, alerts.json (with their actions), audit.json (entries about these cameras,
 *   recordings, sightings and alerts, and the export's own creation)
 *   README.txt                          how to verify
 *   public-key.pem                      the signing key's public half (SPKI PEM)
 *   manifest.json                       what is in the package: every file above with size and sha256
 *   manifest.sig                        Ed25519 signature of the exact bytes of manifest.json, base64
 */
export const EXPORT_FORMAT = 'argus-evidence-export';
export const EXPORT_FORMAT_VERSION = 1;
export const MANIFEST_FILE = 'manifest.json';
export const SIGNATURE_FILE = 'manifest.sig';
export const PUBLIC_KEY_FILE = 'public-key.pem';

export interface ManifestFile {
  path: string;
  size: number;
  sha256: string;
}

export interface ExportManifest {
  format: typeof EXPORT_FORMAT;
  version: number;
  exportId: string;
  createdAt: string;
  createdBy: { userId: string | null; username: string };
  reason: string;
  range: { from: string; to: string };
  cameras: Array<{ id: string; name: string | null }>;
  counts: { segments: number; sightings: number; alerts: number; auditEntries: number; evidenceImages: number };
  /** What belonged in the package but could not be included, and why (a segment deleted by retention meanwhile). */
  omitted: string[];
  signature: { algorithm: 'Ed25519'; file: typeof SIGNATURE_FILE; publicKey: typeof PUBLIC_KEY_FILE; fingerprint: string };
  /** Every file of the package but manifest.json and manifest.sig. */
  files: ManifestFile[];
}

export type PackageSource = { path: string; file: string; size: number } | { path: string; data: Buffer };

export interface PackageInput {
  /** Final path of the package; it appears only when complete (written beside it, then renamed). */
  target: string;
  manifest: Omit<ExportManifest, 'format' | 'version' | 'files' | 'signature'>;
  files: PackageSource[];
  key: ExportSigningKey;
  /** Called as bytes are copied, with the fraction done (0..1). */
  onProgress?: (fraction: number) => void;
}

export function readmeText(fingerprint: string, exportId: string): string {
  return [
    'Argus evidence export',
    '=====================',
    '',
    `Export ${exportId}.`,
    '',
    'manifest.json lists every file of this package with its size and SHA-256 hash. manifest.sig is',
    'the Ed25519 signature of the exact bytes of manifest.json, made with the Argus server key whose',
    'public half is public-key.pem. A change to any file changes its hash; a change to the manifest',
    'breaks the signature.',
    '',
    'To verify, with Argus:',
    '',
    `    npx argus verify-export ${'argus-export-' + exportId + '.tar'} --public-key SERVER-KEY.pem`,
    '',
    'where SERVER-KEY.pem is the server key obtained separately (GET /api/exports/public-key on the',
    'server, or from its administrator). The key inside the package proves that nothing changed since',
    'signing, not who signed: compare its fingerprint with the server key\'s.',
    '',
    `Fingerprint of the signing key (sha256 of its DER SubjectPublicKeyInfo): ${fingerprint}`,
    '',
    'Without Argus (OpenSSL 3 and coreutils), after `tar -xf` of the package:',
    '',
    '    base64 -d manifest.sig > manifest.sig.bin',
    '    openssl pkeyutl -verify -pubin -inkey public-key.pem -rawin -in manifest.json -sigfile manifest.sig.bin',
    '    # then compare `sha256sum` of each file with manifest.json',
    '',
    'Video segments in clips/ are the recorder\'s files as written, not re-encoded. Times are UTC.',
    '',
  ].join('\n');
}

/**
 * Write a package: every file (hashed while copied), then README, public key, the manifest and its
 * signature. Returns the package's size and sha256.
 */
export async function writeExportPackage(input: PackageInput): Promise<{ bytes: number; sha256: string; manifest: ExportManifest }> {
  const temp = join(dirname(input.target), `.${basename(input.target)}.${randomBytes(6).toString('hex')}.partial`);
  const createdAt = new Date(input.manifest.createdAt);
  const writer = await TarWriter.create(temp, createdAt);
  const totalBytes = input.files.reduce((n, f) => n + ('data' in f ? f.data.length : f.size), 0) || 1;
  let doneBytes = 0;
  const progress = (n: number) => {
    doneBytes += n;
    input.onProgress?.(Math.min(1, doneBytes / totalBytes));
  };
  try {
    const files: ManifestFile[] = [];
    for (const f of input.files) {
      if ('data' in f) {
        files.push({ path: f.path, size: f.data.length, sha256: await writer.addBuffer(f.path, f.data) });
        progress(f.data.length);
      } else {
        files.push({ path: f.path, size: f.size, sha256: await writer.addFile(f.path, f.file, f.size, progress) });
      }
    }
    const readme = Buffer.from(readmeText(input.key.fingerprint, input.manifest.exportId));
    files.push({ path: 'README.txt', size: readme.length, sha256: await writer.addBuffer('README.txt', readme) });
    const pem = Buffer.from(input.key.publicKeyPem);
    files.push({ path: PUBLIC_KEY_FILE, size: pem.length, sha256: await writer.addBuffer(PUBLIC_KEY_FILE, pem) });
    const manifest: ExportManifest = {
      format: EXPORT_FORMAT,
      version: EXPORT_FORMAT_VERSION,
      ...input.manifest,
      signature: { algorithm: 'Ed25519', file: SIGNATURE_FILE, publicKey: PUBLIC_KEY_FILE, fingerprint: input.key.fingerprint },
      files,
    };
    const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
    await writer.addBuffer(MANIFEST_FILE, manifestBytes);
    await writer.addBuffer(SIGNATURE_FILE, Buffer.from(`${input.key.sign(manifestBytes).toString('base64')}\n`));
    const result = await writer.finish();
    await rename(temp, input.target);
    return { ...result, manifest };
  } catch (err) {
    await writer.abort();
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}
