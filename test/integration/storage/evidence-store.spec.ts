import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../contracts/errors.ts';
import { EvidenceStore } from '../../../storage/evidence-store.ts';

/** Evidence images on a real file system (a temporary folder). */
const base = mkdtempSync(join(tmpdir(), 'argus-evidence-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 0xff, 0xd9]);

describe('EvidenceStore', () => {
  const store = new EvidenceStore(join(base, 'evidence'));
  const cameraId = randomUUID();

  it('saves under <camera>/<UTC day>/<sighting>-<part>.jpg and reads it back', async () => {
    const sightingId = randomUUID();
    // 23:30 in China on 7 March is still 7 March in UTC at 15:30.
    const observedAt = new Date('2026-03-07T15:30:00+00:00');
    const rel = await store.save({ cameraId, sightingId, observedAt }, 'crop', JPEG);
    expect(rel).toBe(`${cameraId}/2026-03-07/${sightingId}-crop.jpg`);
    expect(readFileSync(join(store.root, rel))).toEqual(JPEG);
    expect(await store.read(rel)).toEqual(JPEG);

    // Replacing is atomic and leaves no temporary file behind.
    const newer = Buffer.concat([JPEG, Buffer.from([9, 9])]);
    expect(await store.save({ cameraId, sightingId, observedAt }, 'crop', newer)).toBe(rel);
    expect(await store.read(rel)).toEqual(newer);
    expect(readdirSync(join(store.root, cameraId, '2026-03-07'))).toEqual([`${sightingId}-crop.jpg`]);

    await store.remove(rel);
    expect(await store.read(rel)).toBeNull();
    await store.remove(rel); // absent is fine
  });

  it('refuses what is not a JPEG and identifiers that are not UUIDs', async () => {
    const ref = { cameraId, sightingId: randomUUID(), observedAt: new Date() };
    await expect(store.save(ref, 'frame', Buffer.from('GIF89a'))).rejects.toBeInstanceOf(ValidationError);
    await expect(store.save({ ...ref, cameraId: '../../etc' }, 'frame', JPEG)).rejects.toBeInstanceOf(ValidationError);
    await expect(store.save({ ...ref, sightingId: 'x/../../y' }, 'frame', JPEG)).rejects.toBeInstanceOf(ValidationError);
    expect(existsSync(join(base, 'etc'))).toBe(false);
  });

  it('reads nothing outside its folder: traversal, absolute paths, odd names and symbolic links', async () => {
    writeFileSync(join(base, 'secret.key'), 'top secret');
    const sightingId = randomUUID();
    for (const rel of [
      '../secret.key',
      `${cameraId}/../../secret.key`,
      join(base, 'secret.key'),
      `${cameraId}/2026-03-07/../../../secret.key`,
      `${cameraId}/2026-03-07/${sightingId}-crop.jpg/../../../../secret.key`,
      `${cameraId}/2026-03-07/${sightingId}-crop.png`,
      '',
    ]) {
      expect(store.resolvePath(rel), rel).toBeNull();
      expect(await store.read(rel), rel).toBeNull();
    }
    // A link planted inside the folder that points out of it.
    const day = join(store.root, cameraId, '2026-03-08');
    mkdirSync(day, { recursive: true });
    symlinkSync(join(base, 'secret.key'), join(day, `${sightingId}-frame.jpg`));
    expect(store.resolvePath(`${cameraId}/2026-03-08/${sightingId}-frame.jpg`)).not.toBeNull();
    expect(await store.read(`${cameraId}/2026-03-08/${sightingId}-frame.jpg`)).toBeNull();
  });

});
