import sharp from 'sharp';
import type { Box } from '../../contracts/analytics.ts';
import { ValidationError } from '../../contracts/errors.ts';
import { checkRaster, type ChannelOrder, type Raster } from '../../models/raster.ts';

/**
 * Image operations the pipelines need between models: decoding files, warping (plate rectification,
 * face alignment), cropping, sharpness, JPEG encoding for evidence. Rasters are packed 8-bit 3-channel
 * (see models/raster.ts).
 */

/** Largest image accepted (pixels): a 8K frame; bigger input is refused rather than exhausting memory. */
export const MAX_IMAGE_PIXELS = 7680 * 4320;

/** Decode a JPEG/PNG/WebP/… file's bytes (EXIF orientation applied) into an RGB raster. */
export async function decodeImage(bytes: Uint8Array, what = 'image'): Promise<Raster> {
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: MAX_IMAGE_PIXELS, failOn: 'error' })
      .rotate()
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    return { width: info.width, height: info.height, order: 'rgb', data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  } catch (err) {
    throw new ValidationError(`${what} is not a readable image (${(err as Error).message}).`, [{ path: what, message: 'not an image' }]);
  }
}

/** The same pixels in the other channel order (a copy), or the raster itself when already in `order`. */
export function withOrder(image: Raster, order: ChannelOrder): Raster {
  if (image.order === order) return image;
  const src = image.data;
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i += 3) {
    out[i] = src[i + 2]!;
    out[i + 1] = src[i + 1]!;
    out[i + 2] = src[i]!;
  }
  return { width: image.width, height: image.height, order, data: out };
}

/** JPEG bytes of a raster (for evidence crops and frames). */
export async function encodeJpeg(image: Raster, quality = 85): Promise<Buffer> {
  checkRaster(image);
  const rgb = withOrder(image, 'rgb');
  return sharp(Buffer.from(rgb.data.buffer, rgb.data.byteOffset, rgb.data.length), { raw: { width: rgb.width, height: rgb.height, channels: 3 } })
    .jpeg({ quality, mozjpeg: false })
    .toBuffer();
}

/**
 * Warp into a new `width`×`height` raster: each output pixel (x, y) samples the source at
 * H·(x, y, 1) (a 3×3 row-major homography from output to source; an affine map has last row 0 0 1),
 * bilinear, edge pixels repeated outside the source.
 */
export function warpRaster(src: Raster, width: number, height: number, outToSrc: readonly number[]): Raster {
  checkRaster(src);
  if (outToSrc.length !== 9) throw new RangeError('warpRaster needs a 3×3 matrix (9 numbers, row-major).');
  const [a, b, c, d, e, f, g, h, i] = outToSrc as [number, number, number, number, number, number, number, number, number];
  const out = new Uint8Array(width * height * 3);
  const { width: sw, height: sh, data } = src;
  const affine = g === 0 && h === 0;
  const maxX = sw - 1;
  const maxY = sh - 1;
  let o = 0;
  for (let y = 0; y < height; y++) {
    // Along a row the source position moves by (a, d) per pixel (divided by w for a homography).
    let nx = b * y + c;
    let ny = e * y + f;
    let nw = h * y + i;
    for (let x = 0; x < width; x++, nx += a, ny += d, nw += g, o += 3) {
      let sx = affine ? nx / i : nx / nw;
      let sy = affine ? ny / i : ny / nw;
      if (!(sx >= 0)) sx = 0; // also NaN
      if (!(sy >= 0)) sy = 0;
      if (sx > maxX) sx = maxX;
      if (sy > maxY) sy = maxY;
      const x0 = sx | 0;
      const y0 = sy | 0;
      const wx = sx - x0;
      const wy = sy - y0;
      const dx = x0 < maxX ? 3 : 0;
      const dy = y0 < maxY ? sw * 3 : 0;
      const p00 = (y0 * sw + x0) * 3;
      const p01 = p00 + dx;
      const p10 = p00 + dy;
      const p11 = p10 + dx;
      const w11 = wx * wy;
      const w10 = wy - w11;
      const w01 = wx - w11;
      const w00 = 1 - wx - wy + w11;
      out[o] = data[p00]! * w00 + data[p01]! * w01 + data[p10]! * w10 + data[p11]! * w11 + 0.5;
      out[o + 1] = data[p00 + 1]! * w00 + data[p01 + 1]! * w01 + data[p10 + 1]! * w10 + data[p11 + 1]! * w11 + 0.5;
      out[o + 2] = data[p00 + 2]! * w00 + data[p01 + 2]! * w01 + data[p10 + 2]! * w10 + data[p11 + 2]! * w11 + 0.5;
    }
  }
  return { width, height, order: src.order, data: out };
}

/** The box grown by `margin` (a fraction of its size on each side), clipped to the image, in whole pixels. */
export function expandBox(box: Box, margin: number, width: number, height: number): Box {
  const mw = (box[2] - box[0]) * margin;
  const mh = (box[3] - box[1]) * margin;
  return [
    Math.max(0, Math.floor(box[0] - mw)),
    Math.max(0, Math.floor(box[1] - mh)),
    Math.min(width, Math.ceil(box[2] + mw)),
    Math.min(height, Math.ceil(box[3] + mh)),
  ];
}

/** A copy of the pixels inside `box` (clipped to the image; at least 1×1). */
export function cropRaster(src: Raster, box: Box): Raster {
  checkRaster(src);
  const x0 = Math.max(0, Math.min(src.width - 1, Math.floor(box[0])));
  const y0 = Math.max(0, Math.min(src.height - 1, Math.floor(box[1])));
  const x1 = Math.max(x0 + 1, Math.min(src.width, Math.ceil(box[2])));
  const y1 = Math.max(y0 + 1, Math.min(src.height, Math.ceil(box[3])));
  const w = x1 - x0;
  const h = y1 - y0;
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const from = ((y0 + y) * src.width + x0) * 3;
    out.set(src.data.subarray(from, from + w * 3), y * w * 3);
  }
  return { width: w, height: h, order: src.order, data: out };
}

/** Horizontally join rasters of the same height, left to right. */
export function joinHorizontally(parts: readonly Raster[]): Raster {
  if (parts.length === 0) throw new RangeError('Nothing to join.');
  const height = parts[0]!.height;
  const order = parts[0]!.order;
  if (parts.some((p) => p.height !== height || p.order !== order)) throw new RangeError('Joined rasters need one height and one channel order.');
  const width = parts.reduce((s, p) => s + p.width, 0);
  const out = new Uint8Array(width * height * 3);
  let x = 0;
  for (const p of parts) {
    for (let y = 0; y < height; y++) out.set(p.data.subarray(y * p.width * 3, (y + 1) * p.width * 3), (y * width + x) * 3);
    x += p.width;
  }
  return { width, height, order, data: out };
}

/** Resize (bilinear) to exactly width×height. */
export function resizeRaster(src: Raster, width: number, height: number): Raster {
  const sx = src.width / width;
  const sy = src.height / height;
  // Output pixel centre (x+0.5) maps to source (x+0.5)·s − 0.5.
  return warpRaster(src, width, height, [sx, 0, 0.5 * sx - 0.5, 0, sy, 0.5 * sy - 0.5, 0, 0, 1]);
}

/**
 * Sharpness: the variance of the 4-neighbour Laplacian of the grey image, inside `box` (whole image
 * by default). Blurred faces score low (single digits to tens), sharp ones in the hundreds.
 */
export function laplacianVariance(src: Raster, box?: Box): number {
  const x0 = Math.max(1, Math.floor(box?.[0] ?? 0));
  const y0 = Math.max(1, Math.floor(box?.[1] ?? 0));
  const x1 = Math.min(src.width - 1, Math.ceil(box?.[2] ?? src.width));
  const y1 = Math.min(src.height - 1, Math.ceil(box?.[3] ?? src.height));
  if (x1 - x0 < 1 || y1 - y0 < 1) return 0;
  // Grey values of the region with a 1-pixel border, computed once.
  const gw = x1 - x0 + 2;
  const gh = y1 - y0 + 2;
  const grey = new Float32Array(gw * gh);
  const d = src.data;
  for (let y = 0; y < gh; y++) {
    let p = ((y0 - 1 + y) * src.width + (x0 - 1)) * 3;
    for (let x = 0; x < gw; x++, p += 3) grey[y * gw + x] = 0.299 * d[p]! + 0.587 * d[p + 1]! + 0.114 * d[p + 2]!;
  }
  let sum = 0;
  let sum2 = 0;
  let n = 0;
  for (let y = 1; y < gh - 1; y++) {
    for (let x = 1, q = y * gw + 1; x < gw - 1; x++, q++) {
      const lap = grey[q - 1]! + grey[q + 1]! + grey[q - gw]! + grey[q + gw]! - 4 * grey[q]!;
      sum += lap;
      sum2 += lap * lap;
      n++;
    }
  }
  const mean = sum / n;
  return sum2 / n - mean * mean;
}
