import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, copyFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatVerifyReport } from '../../../cli/verify-export.command.ts';
import { ConfigError } from '../../../contracts/errors.ts';
import { writeExportPackage, type ExportManifest } from '../../../storage/export-package.ts';
import { ExportSigningKey } from '../../../storage/export-signing-key.ts';
import { TarFormatError, verifyExport } from '../../../storage/export-verify.ts';
import { flipByte, repack } from '../../helpers/export-tamper.ts';

const tmp = mkdtempSync(join(tmpdir(), 'argus-export-verify-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const CAM = '0b6c1f1e-5d7a-4c53-9a36-0c1a8a4c2f10';
const SIGHTING = '7f0e2a55-2b1c-4f0a-8a53-3d2c1b0a9e88';
const CLIP = `clips/${CAM}/20261122-031000.mp4`;
// Longer than ustar's 100-byte name field: stored with the prefix field.
const EVIDENCE = `evidence/${CAM}/2026-11-22/${SIGHTING}-crop.jpg`;
const exportsConfig = (keyFile: string | null = null) => ({ keyFile, dir: null, maxRangeHours: 24, keepDays: 30 });
const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function buildPackage(name: string, key: ExportSigningKey): Promise<{ file: string; clip: Buffer; manifest: ExportManifest }> {
  const src = join(tmp, `${name}-src`);
  mkdirSync(src, { recursive: true });
  // Over 1 MiB so that the copy runs in several chunks.
  const clip = randomBytes(1024 * 1024 + 4321);
  writeFileSync(join(src, 'seg.mp4'), clip);
  writeFileSync(join(src, 'crop.jpg'), Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), randomBytes(700)]));
  const target = join(tmp, `${name}.tar`);
  const fractions: number[] = [];
  const { manifest } = await writeExportPackage({
    target,
    key,
    files: [
      { path: CLIP, file: join(src, 'seg.mp4'), size: clip.length },
      { path: EVIDENCE, file: join(src, 'crop.jpg'), size: 703 },
      { path: 'sightings.json', data: Buffer.from(JSON.stringify([{ id: SIGHTING, plateText: '沪A12345' }])) },
      { path: 'alerts.json', data: Buffer.from('[]') },
      { path: 'audit.json', data: Buffer.from('[]') },
    ],
    manifest: {
      exportId: '5c3e1d2b-0a9f-4e8d-8c7b-6a5f4e3d2c1b',
      createdAt: '2026-11-22T04:00:00.000Z',
      createdBy: { userId: null, username: 'analyst1' },
      reason: 'case 2026-0117',
      range: { from: '2026-11-22T03:00:00.000Z', to: '2026-11-22T03:30:00.000Z' },
      cameras: [{ id: CAM, name: 'Gate 1' }],
      counts: { segments: 1, sightings: 1, alerts: 0, auditEntries: 0, evidenceImages: 1 },
      omitted: [],
    },
    onProgress: (f) => fractions.push(f),
  });
  expect(fractions.at(-1)).toBe(1);
  expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
  return { file: target, clip, manifest };
}

describe('the export signing key', () => {
  it('is created on first use as a PKCS8 PEM with mode 0600, then reused', () => {
    const dataDir = join(tmp, 'keydata');
    const a = ExportSigningKey.fromConfig({ dataDir, exports: exportsConfig() });
    const file = join(dataDir, 'keys', 'export-signing.key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const b = ExportSigningKey.fromConfig({ dataDir, exports: exportsConfig() });
    expect(b.fingerprint).toBe(a.fingerprint);
    expect(a.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(a.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
  });

  it('uses a configured key file, and refuses a missing one or a key that is not Ed25519', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const file = join(tmp, 'configured.key');
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const key = ExportSigningKey.fromConfig({ dataDir: join(tmp, 'unused'), exports: exportsConfig(file) });
    expect(key.publicKeyPem).toBe(ExportSigningKey.fromPem(readFileSync(file, 'utf8')).publicKeyPem);
    expect(() => ExportSigningKey.fromConfig({ dataDir: tmp, exports: exportsConfig(join(tmp, 'absent.key')) })).toThrow(ConfigError);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => ExportSigningKey.fromPem(rsa)).toThrow(/Ed25519/);
  });
});

describe('verify-export on packages', () => {
  let key: ExportSigningKey;
  let pkg: Awaited<ReturnType<typeof buildPackage>>;
  beforeAll(async () => {
    key = ExportSigningKey.fromConfig({ dataDir: join(tmp, 'server'), exports: exportsConfig() });
    pkg = await buildPackage('intact', key);
  });

  it('verifies an intact package, with the origin checked when the server key is given', async () => {
    const report = await verifyExport(pkg.file, { trustedKeyPem: key.publicKeyPem });
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ verified: true, files: 7, fingerprint: key.fingerprint, originChecked: true, warnings: [] });
    expect(report.manifest?.files.map((f) => f.path)).toEqual([CLIP, EVIDENCE, 'sightings.json', 'alerts.json', 'audit.json', 'README.txt', 'public-key.pem']);
    expect(report.manifest?.files[0]).toEqual({ path: CLIP, size: pkg.clip.length, sha256: sha(pkg.clip) });
    expect(formatVerifyReport('p.tar', report)).toContain(`VERIFIED: 7 files, signed by key ${key.fingerprint} (the key given with --public-key)`);

    // Without a key given: still intact, but it says that the package's own key proves no origin.
    const own = await verifyExport(pkg.file);
    expect(own.verified).toBe(true);
    expect(own.originChecked).toBe(false);
    expect(own.warnings.join('\n')).toMatch(/proves the package is unchanged since it was signed, not who signed it/);
    expect(own.warnings.join('\n')).toContain(key.fingerprint);
  });

  it('opens with GNU tar and OpenSSL as the README says', () => {
    const out = join(tmp, 'extracted');
    mkdirSync(out);
    execFileSync('tar', ['-xf', pkg.file, '-C', out]);
    expect(sha(readFileSync(join(out, CLIP)))).toBe(sha(pkg.clip));
    expect(readFileSync(join(out, EVIDENCE)).length).toBe(703);
    writeFileSync(join(out, 'manifest.sig.bin'), Buffer.from(readFileSync(join(out, 'manifest.sig'), 'utf8').trim(), 'base64'));
    const ok = execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', join(out, 'public-key.pem'), '-rawin', '-in', join(out, 'manifest.json'), '-sigfile', join(out, 'manifest.sig.bin')], { encoding: 'utf8' });
    expect(ok).toMatch(/Signature Verified Successfully/);
  });

  it('names a clip whose content changed by one byte', async () => {
    const bad = join(tmp, 'flipped.tar');
    flipByte(pkg.file, bad, CLIP, 1000);
    const report = await verifyExport(bad, { trustedKeyPem: key.publicKeyPem });
    const changed = Buffer.from(pkg.clip);
    changed[1000] = changed[1000]! ^ 0x01;
    expect(report.verified).toBe(false);
    expect(report.problems).toEqual([`${CLIP}: content changed (sha256 ${sha(pkg.clip).slice(0, 12)}…≠${sha(changed).slice(0, 12)}…)`]);
    expect(formatVerifyReport(bad, report)).toMatch(/NOT VERIFIED: 1 problem\n$/);
  });

  it('names a file removed, a file added and a file present twice', async () => {
    const removed = join(tmp, 'removed.tar');
    await repack(pkg.file, removed, (entries) => entries.filter((e) => e.path !== 'sightings.json'));
    expect((await verifyExport(removed, { trustedKeyPem: key.publicKeyPem })).problems).toEqual(['sightings.json: missing']);

    const added = join(tmp, 'added.tar');
    await repack(pkg.file, added, (entries) => [...entries, { path: 'clips/notes.txt', data: Buffer.from('planted') }]);
    expect((await verifyExport(added, { trustedKeyPem: key.publicKeyPem })).problems).toEqual(['extra file not in manifest: clips/notes.txt']);

    const twice = join(tmp, 'twice.tar');
    await repack(pkg.file, twice, (entries) => [...entries, { path: 'sightings.json', data: Buffer.from('[]') }]);
    expect((await verifyExport(twice, { trustedKeyPem: key.publicKeyPem })).problems).toEqual([
      'sightings.json: present 2 times in the package (a copy was added; tar programs extract the last one)',
      expect.stringMatching(/^sightings\.json: content changed \(size \d+≠2 bytes, sha256 /),
    ]);
  });

  it('catches a manifest edited to hide a change: the signature no longer matches', async () => {
    const hidden = join(tmp, 'hidden.tar');
    const forged = Buffer.from('forged sightings');
    await repack(pkg.file, hidden, (entries) =>
      entries.map((e) => {
        if (e.path === 'sightings.json') return { ...e, data: forged };
        if (e.path !== 'manifest.json') return e;
        const m = JSON.parse(e.data.toString('utf8')) as ExportManifest;
        m.files = m.files.map((f) => (f.path === 'sightings.json' ? { ...f, size: forged.length, sha256: sha(forged) } : f));
        return { ...e, data: Buffer.from(`${JSON.stringify(m, null, 2)}\n`) };
      }),
    );
    const report = await verifyExport(hidden);
    expect(report.problems).toEqual(['manifest.json: signature does not match — the manifest was altered or signed with another key']);
    expect(formatVerifyReport(hidden, report)).toContain('ALTERED manifest.json: signature does not match');
  });

  it('refuses a package signed with another key when the server key is given (origin), though it is intact', async () => {
    const other = ExportSigningKey.fromConfig({ dataDir: join(tmp, 'impostor'), exports: exportsConfig() });
    const fake = await buildPackage('impostor', other);
    // Intact by its own key: integrity only, with the impostor's fingerprint shown.
    const own = await verifyExport(fake.file);
    expect(own.verified).toBe(true);
    expect(own.fingerprint).toBe(other.fingerprint);
    const report = await verifyExport(fake.file, { trustedKeyPem: key.publicKeyPem });
    expect(report.verified).toBe(false);
    expect(report.problems).toEqual([
      `public-key.pem: not the key given with --public-key (package key ${other.fingerprint}, expected ${key.fingerprint}) — the package was not signed by that server`,
      'manifest.json: signature does not match the key given with --public-key — the manifest was altered or signed with another key',
    ]);
  });

  it('never leaves a half-written package: a source that shrinks while copied fails the build and leaves nothing', async () => {
    const dir = join(tmp, 'half');
    mkdirSync(dir);
    writeFileSync(join(dir, 'seg.mp4'), randomBytes(1000));
    const target = join(dir, 'argus-export-x.tar');
    await expect(
      writeExportPackage({
        target,
        key,
        // The recorder's row said 5000 bytes; the file has 1000 (cut by retention meanwhile).
        files: [{ path: CLIP, file: join(dir, 'seg.mp4'), size: 5000 }],
        manifest: { ...pkg.manifest, omitted: [] },
      }),
    ).rejects.toThrow(/became shorter while it was copied \(1000 of 5000 bytes\)/);
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(dir)).toEqual(['seg.mp4']);
  });

  it('cannot read a truncated package or a file that is not a tar (the exit-2 class)', async () => {
    const cut = join(tmp, 'cut.tar');
    copyFileSync(pkg.file, cut);
    truncateSync(cut, 700_000);
    await expect(verifyExport(cut)).rejects.toThrow(TarFormatError);
    await expect(verifyExport(cut)).rejects.toThrow(/truncated: clips\/.*should have 1052897 bytes/);
    const endless = join(tmp, 'no-end.tar');
    copyFileSync(pkg.file, endless);
    truncateSync(endless, statSync(pkg.file).size - 1024);
    await expect(verifyExport(endless)).rejects.toThrow(/truncated: no end-of-archive marker/);
    const text = join(tmp, 'not.tar');
    writeFileSync(text, 'x'.repeat(4096));
    await expect(verifyExport(text)).rejects.toThrow(/not a tar archive/);
    const empty = join(tmp, 'empty.tar');
    writeFileSync(empty, '');
    await expect(verifyExport(empty)).rejects.toThrow(/empty, not a tar archive/);
    await expect(verifyExport(join(tmp, 'absent.tar'))).rejects.toThrow(/cannot open .*ENOENT/);
  });
});
