/**
 * What the analytics benchmarks (accuracy, analytics) share: where the models and the test media are,
 * command-line flags, loading real images as rasters (decoded as `argus analyze` decodes them, or
 * fitted onto a camera-sized canvas), and the environment lines of their results files.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { decodeImage } from '../../analytics/image/raster-ops.ts';
import type { Raster } from '../../models/raster.ts';
import { loadLine, machineInfo } from './machine.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The shared model files (`../shared/models` from the repository root), or `--models DIR`. */
export const MODELS_DIR = resolve(REPO_ROOT, argString('models') ?? '../shared/models');
/** The shared test media (`../shared/media` from the repository root), or `--media DIR`. */
export const MEDIA_DIR = resolve(REPO_ROOT, argString('media') ?? '../shared/media');

export function argFlag(name: string): boolean {
  return process.argv.includes(`--${name}`);
}

export function argString(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : undefined;
  return v !== undefined && !v.startsWith('--') ? v : undefined;
}

/** A positive number given as `--name N`, or the fallback. */
export function argNumber(name: string, fallback: number): number {
  const v = Number(argString(name));
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

/** A file decoded exactly as `argus analyze` decodes it (sharp, EXIF rotation, RGB). */
export async function loadRaster(path: string): Promise<Raster> {
  return decodeImage(await readFile(path), path);
}

/**
 * A file fitted into a `width`×`height` frame keeping its proportions (scaled up or down, centred,
 * padded with dark grey), as a camera of that size would deliver it; `order` bgr as ffmpeg hands
 * analytics its frames.
 */
export async function frameFromFile(path: string, width: number, height: number, order: 'rgb' | 'bgr' = 'bgr'): Promise<Raster> {
  const { data, info } = await sharp(await readFile(path))
    .rotate()
    .removeAlpha()
    .toColourspace('srgb')
    .resize(width, height, { fit: 'contain', background: { r: 40, g: 40, b: 40 } })
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || info.width !== width || info.height !== height) throw new Error(`${path}: fitted to ${info.width}×${info.height}×${info.channels}`);
  return toOrder({ width, height, order: 'rgb', data: new Uint8Array(data.buffer, data.byteOffset, data.length) }, order);
}

/**
 * Several files side by side on one `width`×`height` canvas: the canvas is cut into `columns` ×
 * ⌈n / columns⌉ cells and each file is fitted (contain) into its cell.
 */
export async function compositeFrame(paths: readonly string[], width: number, height: number, columns: number, order: 'rgb' | 'bgr' = 'bgr'): Promise<Raster> {
  const rows = Math.ceil(paths.length / columns);
  const cw = Math.floor(width / columns);
  const ch = Math.floor(height / rows);
  const cells = await Promise.all(
    paths.map(async (p, i) => ({
      input: await sharp(await readFile(p))
        .rotate()
        .removeAlpha()
        .resize(cw, ch, { fit: 'contain', background: { r: 40, g: 40, b: 40 } })
        .png()
        .toBuffer(),
      left: (i % columns) * cw,
      top: Math.floor(i / columns) * ch,
    })),
  );
  const { data, info } = await sharp({ create: { width, height, channels: 3, background: { r: 40, g: 40, b: 40 } } })
    .composite(cells)
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`composite decoded to ${info.channels} channels`);
  return toOrder({ width, height, order: 'rgb', data: new Uint8Array(data.buffer, data.byteOffset, data.length) }, order);
}

function toOrder(image: Raster, order: 'rgb' | 'bgr'): Raster {
  if (image.order === order) return image;
  const out = new Uint8Array(image.data.length);
  const d = image.data;
  for (let i = 0; i < d.length; i += 3) {
    out[i] = d[i + 2]!;
    out[i + 1] = d[i + 1]!;
    out[i + 2] = d[i]!;
  }
  return { width: image.width, height: image.height, order, data: out };
}

function packageVersion(name: string): string {
  try {
    const pkg = JSON.parse(readFileSync(resolve(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Markdown lines: run date, machine, load, Node / ONNX Runtime / sharp versions. */
export function analyticsEnvironmentMarkdown(startedAt: Date, extra: string[] = []): string {
  const m = machineInfo();
  return [
    `- Run: ${startedAt.toISOString()}`,
    `- Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB memory, Linux ${m.kernel}`,
    `- Load: ${loadLine()} at the end of the run`,
    `- Software: Node ${process.version}; onnxruntime-node ${packageVersion('onnxruntime-node')} (CPU execution provider); sharp ${packageVersion('sharp')}`,
    `- Models: \`${MODELS_DIR}\`; media: \`${MEDIA_DIR}\``,
    ...extra.map((l) => `- ${l}`),
  ].join('\n');
}

/** A percentage with one decimal: `89.3 %`. */
export function pct(part: number, whole: number): string {
  return whole > 0 ? `${((100 * part) / whole).toFixed(1)} %` : '–';
}
