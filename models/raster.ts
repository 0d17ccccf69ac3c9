/**
 * Pixels in, tensors out: the one place that turns an image into a model's input tensor.
 *
 * A Raster is packed 8-bit, 3 channels, row-major, in RGB or BGR order (ffmpeg hands analytics
 * bgr24; sharp decodes files to rgb). `toTensor` resizes (bilinear, pixel centres aligned as in
 * OpenCV's INTER_LINEAR), letterboxes, reorders channels and normalises in a single pass into a
 * planar (CHW) Float32Array, so no intermediate image is allocated per frame.
 */

export type ChannelOrder = 'rgb' | 'bgr';

export interface Raster {
  width: number;
  height: number;
  order: ChannelOrder;
  /** width × height × 3 bytes. */
  data: Uint8Array;
}

/** How a model wants its input: channel order and value = (byte − mean) / std per channel (in the model's order). */
export interface TensorFormat {
  order: ChannelOrder;
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

/**
 * How the image is fitted into the tensor: `stretch` to fill it, or `letterbox` keeping the aspect
 * ratio, either `center`ed or at the `top-left`, padded with `pad` (a byte value, before normalisation).
 */
export type Fit = { kind: 'stretch' } | { kind: 'letterbox'; align: 'center' | 'top-left'; pad: number };

/** Where the image landed in the tensor: tensor = image × scale + offset (per axis). */
export interface Placement {
  scaleX: number;
  scaleY: number;
  offsetX: number;
  offsetY: number;
}

export interface TensorInput {
  data: Float32Array;
  width: number;
  height: number;
  placement: Placement;
}

export function checkRaster(image: Raster): void {
  if (!Number.isInteger(image.width) || !Number.isInteger(image.height) || image.width < 1 || image.height < 1) {
    throw new RangeError(`Image size ${image.width}×${image.height} is not a positive whole size.`);
  }
  if (image.data.length !== image.width * image.height * 3) {
    throw new RangeError(`Image data has ${image.data.length} bytes; ${image.width}×${image.height}×3 = ${image.width * image.height * 3} expected.`);
  }
}

/** Map a point of the tensor back to the source image. */
export function toImagePoint(p: Placement, x: number, y: number): [number, number] {
  return [(x - p.offsetX) / p.scaleX, (y - p.offsetY) / p.scaleY];
}

/** The placement of an image of `w`×`h` in a tensor of `tw`×`th` for a fit. */
export function placementFor(w: number, h: number, tw: number, th: number, fit: Fit): Placement {
  if (fit.kind === 'stretch') return { scaleX: tw / w, scaleY: th / h, offsetX: 0, offsetY: 0 };
  const scale = Math.min(tw / w, th / h);
  const rw = w * scale;
  const rh = h * scale;
  if (fit.align === 'top-left') return { scaleX: scale, scaleY: scale, offsetX: 0, offsetY: 0 };
  return { scaleX: scale, scaleY: scale, offsetX: (tw - rw) / 2, offsetY: (th - rh) / 2 };
}

/**
 * Write `image` into `out` (planar, 3 × th × tw floats starting at `outOffset`) resized and placed by
 * `fit`, in the format the model wants. Returns where the image landed.
 */
export function writeTensor(
  image: Raster,
  tw: number,
  th: number,
  format: TensorFormat,
  fit: Fit,
  out: Float32Array,
  outOffset = 0,
): Placement {
  checkRaster(image);
  const placement = placementFor(image.width, image.height, tw, th, fit);
  const { scaleX, scaleY, offsetX, offsetY } = placement;
  const plane = tw * th;
  if (out.length < outOffset + 3 * plane) throw new RangeError('Tensor buffer too small.');

  // Source channel feeding each tensor channel.
  const swap = image.order !== format.order;
  const srcC = swap ? [2, 1, 0] : [0, 1, 2];
  const mul = [1 / format.std[0], 1 / format.std[1], 1 / format.std[2]];
  const add = [-format.mean[0] * mul[0]!, -format.mean[1] * mul[1]!, -format.mean[2] * mul[2]!];
  const pad = fit.kind === 'letterbox' ? fit.pad : 0;
  const padValue = [pad * mul[0]! + add[0]!, pad * mul[1]! + add[1]!, pad * mul[2]! + add[2]!];

  const { width: w, height: h, data } = image;
  if (w === tw && h === th && placement.scaleX === 1 && placement.scaleY === 1 && placement.offsetX === 0 && placement.offsetY === 0) {
    // Already the model's size (an aligned face, a rectified plate): no resampling, only normalising.
    for (let i = 0, p = 0; i < plane; i++, p += 3) {
      out[outOffset + i] = data[p + srcC[0]!]! * mul[0]! + add[0]!;
      out[outOffset + plane + i] = data[p + srcC[1]!]! * mul[1]! + add[1]!;
      out[outOffset + 2 * plane + i] = data[p + srcC[2]!]! * mul[2]! + add[2]!;
    }
    return placement;
  }
  // The part of the tensor covered by the image.
  const x0 = Math.max(0, Math.round(offsetX));
  const x1 = Math.min(tw, Math.round(offsetX + w * scaleX));
  const y0 = Math.max(0, Math.round(offsetY));
  const y1 = Math.min(th, Math.round(offsetY + h * scaleY));

  // Per tensor column: the two source columns and the weight of the right one.
  const colA = new Int32Array(tw);
  const colB = new Int32Array(tw);
  const colW = new Float32Array(tw);
  for (let x = x0; x < x1; x++) {
    let sx = (x + 0.5 - offsetX) / scaleX - 0.5;
    if (sx < 0) sx = 0;
    if (sx > w - 1) sx = w - 1;
    const a = Math.floor(sx);
    colA[x] = a * 3;
    colB[x] = Math.min(a + 1, w - 1) * 3;
    colW[x] = sx - a;
  }

  // One pass over the covered rows: the 4 source pixels of each output pixel are located once and
  // all three channels interpolated from them; the padding is filled separately.
  const s0 = srcC[0]!;
  const s1 = srcC[1]!;
  const s2 = srcC[2]!;
  const [m0, m1, m2] = mul as [number, number, number];
  const [a0, a1, a2] = add as [number, number, number];
  const o0 = outOffset;
  const o1 = outOffset + plane;
  const o2 = outOffset + 2 * plane;
  for (let y = 0; y < th; y++) {
    const row = y * tw;
    if (y < y0 || y >= y1) {
      out.fill(padValue[0]!, o0 + row, o0 + row + tw);
      out.fill(padValue[1]!, o1 + row, o1 + row + tw);
      out.fill(padValue[2]!, o2 + row, o2 + row + tw);
      continue;
    }
    if (x0 > 0) {
      out.fill(padValue[0]!, o0 + row, o0 + row + x0);
      out.fill(padValue[1]!, o1 + row, o1 + row + x0);
      out.fill(padValue[2]!, o2 + row, o2 + row + x0);
    }
    if (x1 < tw) {
      out.fill(padValue[0]!, o0 + row + x1, o0 + row + tw);
      out.fill(padValue[1]!, o1 + row + x1, o1 + row + tw);
      out.fill(padValue[2]!, o2 + row + x1, o2 + row + tw);
    }
    let sy = (y + 0.5 - offsetY) / scaleY - 0.5;
    if (sy < 0) sy = 0;
    if (sy > h - 1) sy = h - 1;
    const ya = Math.floor(sy);
    const wy = sy - ya;
    const rowA = ya * w * 3;
    const rowB = Math.min(ya + 1, h - 1) * w * 3;
    for (let x = x0; x < x1; x++) {
      const wx = colW[x]!;
      const pa = rowA + colA[x]!;
      const pb = rowA + colB[x]!;
      const pc = rowB + colA[x]!;
      const pd = rowB + colB[x]!;
      // Bilinear weights of the four neighbours.
      const wd = wx * wy;
      const wc = wy - wd;
      const wb = wx - wd;
      const wa = 1 - wx - wy + wd;
      const i = row + x;
      out[o0 + i] = (data[pa + s0]! * wa + data[pb + s0]! * wb + data[pc + s0]! * wc + data[pd + s0]! * wd) * m0 + a0;
      out[o1 + i] = (data[pa + s1]! * wa + data[pb + s1]! * wb + data[pc + s1]! * wc + data[pd + s1]! * wd) * m1 + a1;
      out[o2 + i] = (data[pa + s2]! * wa + data[pb + s2]! * wb + data[pc + s2]! * wc + data[pd + s2]! * wd) * m2 + a2;
    }
  }
  return placement;
}

/** `writeTensor` into a new buffer. */
export function toTensor(image: Raster, tw: number, th: number, format: TensorFormat, fit: Fit): TensorInput {
  const data = new Float32Array(3 * tw * th);
  const placement = writeTensor(image, tw, th, format, fit, data);
  return { data, width: tw, height: th, placement };
}
