import { randomBytes } from 'node:crypto';
import { mkdir, readFile, realpath, rename, unlink, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Config } from '../config/schema.ts';
import { ValidationError } from '../contracts/errors.ts';

/** Which image of a sighting: the cropped object, or the whole frame it was seen in. */
export type EvidencePart = 'crop' | 'frame';

export interface EvidenceRef {
  cameraId: string;
  sightingId: string;
  /** Decides the day folder (UTC date). */
  observedAt: Date;
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const UUID_RE = new RegExp(`^${UUID}$`);
/** The only relative paths this store writes, and so the only ones it reads. */
const RELATIVE_RE = new RegExp(`^(${UUID})/(\\d{4}-\\d{2}-\\d{2})/(${UUID})-(crop|frame)\\.jpg$`);
const MAX_BYTES = 8 * 1024 * 1024;

/** `2026-03-07` (UTC) of a time. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

function isJpeg(data: Uint8Array): boolean {
  return data.length >= 4 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff;
}

/**
 * Evidence images of sightings, as files:
 * `<root>/<cameraId>/<YYYY-MM-DD>/<sightingId>-{crop|frame}.jpg` (the day is observedAt's UTC date),
 * root being `<dataDir>/evidence`. Rows store the path relative to the root.
 *
 * Writes are atomic (a temporary file in the same folder, then rename), so a reader never sees half
 * an image and a crash leaves at most a `.tmp` file. Reads accept only paths of the shape this
 * store writes, resolved inside the root (symbolic links included), so a path from anywhere
 * cannot reach another file. Retention removes whole day folders.
 */
export class EvidenceStore {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  static fromConfig(config: Pick<Config, 'dataDir'>): EvidenceStore {
    return new EvidenceStore(join(config.dataDir, 'evidence'));
  }

  /** The relative path an image of this sighting has (whether or not it exists). */
  relativePath(ref: EvidenceRef, part: EvidencePart): string {
    if (!UUID_RE.test(ref.cameraId)) throw new ValidationError('cameraId must be a UUID', [{ path: 'cameraId', message: 'not a UUID' }]);
    if (!UUID_RE.test(ref.sightingId)) throw new ValidationError('sightingId must be a UUID', [{ path: 'sightingId', message: 'not a UUID' }]);
    if (Number.isNaN(ref.observedAt.getTime())) throw new ValidationError('observedAt is not a valid time', [{ path: 'observedAt', message: 'invalid date' }]);
    return `${ref.cameraId}/${utcDay(ref.observedAt)}/${ref.sightingId}-${part}.jpg`;
  }

  /** Store (or replace) a JPEG atomically; returns its path relative to the root. */
  async save(ref: EvidenceRef, part: EvidencePart, jpeg: Uint8Array): Promise<string> {
    if (!isJpeg(jpeg)) throw new ValidationError(`The ${part} image is not a JPEG.`, [{ path: part, message: 'not a JPEG (must start with FF D8 FF)' }]);
    if (jpeg.length > MAX_BYTES) throw new ValidationError(`The ${part} image is larger than 8 MiB.`, [{ path: part, message: 'too large' }]);
    const rel = this.relativePath(ref, part);
    const target = join(this.root, rel);
    const dir = resolve(target, '..');
    await mkdir(dir, { recursive: true });
    const temp = join(dir, `.${ref.sightingId}-${part}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await writeFile(temp, jpeg, { flag: 'wx' });
      await rename(temp, target);
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw err;
    }
    return rel;
  }

  /**
   * The absolute path of a stored relative path, or null when the path is not one this store could
   * have written or leads outside the root. Does not check that the file exists.
   */
  resolvePath(rel: string): string | null {
    if (typeof rel !== 'string' || isAbsolute(rel) || !RELATIVE_RE.test(rel)) return null;
    const full = resolve(this.root, rel);
    const back = relative(this.root, full);
    if (back.startsWith('..') || isAbsolute(back)) return null;
    return full;
  }

  /** The image at a stored relative path; null when the path is refused or the file is absent. */
  async read(rel: string): Promise<Buffer | null> {
    const full = this.resolvePath(rel);
    if (!full) return null;
    try {
      // A symbolic link inside the folder must not lead out of it either.
      const [realRoot, realFile] = await Promise.all([realpath(this.root), realpath(full)]);
      if (!realFile.startsWith(realRoot + sep)) return null;
      return await readFile(realFile);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
      throw err;
    }
  }

  /** Remove one image (a sighting whose row could not be stored). Absent is fine. */
  async remove(rel: string): Promise<void> {
    const full = this.resolvePath(rel);
    if (!full) return;
    await unlink(full).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
}
