/**
 * Helpers for tests that look at pictures Argus produced (snapshots, evidence): decode a JPEG to
 * luma, and check a left-half privacy mask (black left, white right, on a white camera).
 */
import { createServer } from 'node:net';
import sharp from 'sharp';
import { expect } from 'vitest';

export interface LumaPicture {
  width: number;
  height: number;
  /** Luma (0–255) at a point given as fractions of the width and height. */
  luma(x: number, y: number): number;
}

export async function decodeLuma(jpeg: Buffer): Promise<LumaPicture> {
  const { data, info } = await sharp(jpeg).greyscale().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, luma: (x, y) => data[Math.floor(y * info.height) * info.width + Math.floor(x * info.width)]! };
}

/** A white camera with the left half masked: dark on the left, white on the right. */
export function expectLeftHalfMasked(pic: LumaPicture): void {
  for (const [x, y] of [
    [0.05, 0.1],
    [0.25, 0.5],
    [0.45, 0.9],
  ] as const) {
    expect(pic.luma(x, y), `masked point ${x},${y}`).toBeLessThanOrEqual(40);
  }
  for (const [x, y] of [
    [0.55, 0.1],
    [0.75, 0.5],
    [0.95, 0.9],
  ] as const) {
    expect(pic.luma(x, y), `visible point ${x},${y}`).toBeGreaterThanOrEqual(215);
  }
}

/** A port on 127.0.0.1 that nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}
