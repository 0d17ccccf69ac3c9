import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import type { PrivacyMask } from '../../contracts/api.ts';

/**
 * Privacy masks as ffmpeg needs them: one PNG per camera and mask set, opaque black inside the
 * polygons and transparent elsewhere, laid over the picture by ffmpeg (ffmpeg-args.ts
 * maskFilterGraph scales it to the camera's size).
 *
 * The file is named by a hash of the polygons, `<dataDir>/masks/<cameraId>-<hash>.png`: a changed
 * mask is a new file (and a new fingerprint, so the camera's session restarts with it), and a
 * session never reads a file that is being rewritten.
 */

/** Size the mask is drawn at; ffmpeg scales it to the picture (its aspect does not matter: points are normalised). */
export const MASK_WIDTH = 1920;
export const MASK_HEIGHT = 1080;

function coord(v: number, size: number): string {
  return (Math.round(Math.min(1, Math.max(0, v)) * size * 100) / 100).toString();
}

/**
 * The SVG of the masks: black polygons on nothing, in pixels of width × height. Pure; `nonzero`
 * fill so a polygon whose edges cross still hides everything it encloses.
 */
export function privacyMaskSvg(masks: readonly PrivacyMask[], width = MASK_WIDTH, height = MASK_HEIGHT): string {
  const polygons = masks
    .map((poly) => `<polygon points="${poly.map(([x, y]) => `${coord(x, width)},${coord(y, height)}`).join(' ')}" fill="#000" fill-opacity="1" fill-rule="nonzero"/>`)
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${polygons}</svg>`;
}

/** A short hash of the polygons: the same masks give the same name. */
export function privacyMaskHash(masks: readonly PrivacyMask[]): string {
  return createHash('sha256').update(JSON.stringify(masks)).digest('hex').slice(0, 16);
}

/** Where the PNG of a camera's masks lives. */
export function privacyMaskPath(dataDir: string, cameraId: string, masks: readonly PrivacyMask[]): string {
  return join(dataDir, 'masks', `${cameraId}-${privacyMaskHash(masks)}.png`);
}

/**
 * Remove the camera's mask files other than `keep`. Safe while the camera is pulled: ffmpeg reads
 * its PNG once, at start, and a camera's old session is stopped before its new one is started.
 */
async function removeOtherMasks(dataDir: string, cameraId: string, keep: string | null): Promise<void> {
  const dir = join(dataDir, 'masks');
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const path = join(dir, name);
    if (name.startsWith(`${cameraId}-`) && path !== keep) await rm(path, { force: true });
  }
}

/**
 * Write the PNG of a camera's masks (once: an existing file of the same hash is the same picture)
 * and return its path; null when the camera has no mask. The camera's older mask files are removed.
 */
export async function writePrivacyMask(dataDir: string, cameraId: string, masks: readonly PrivacyMask[]): Promise<string | null> {
  if (masks.length === 0) {
    await removeOtherMasks(dataDir, cameraId, null);
    return null;
  }
  const path = privacyMaskPath(dataDir, cameraId, masks);
  await removeOtherMasks(dataDir, cameraId, path);
  if (existsSync(path)) return path;
  await mkdir(join(dataDir, 'masks'), { recursive: true });
  const png = await sharp(Buffer.from(privacyMaskSvg(masks)))
    .ensureAlpha()
    .png()
    .toBuffer();
  // Written aside and renamed: ffmpeg never reads half a file.
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, png);
  await rename(tmp, path);
  return path;
}
