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

  for (let c = 0; c < 3; c++) {
    const base = outOffset + c * plane;
    const sc = srcC[c]!;
    const m = mul[c]!;
    const ad = add[c]!;
    const pv = padValue[c]!;
    for (let y = 0; y < th; y++) {
      const row = base + y * tw;
      if (y < y0 || y >= y1) {
        out.fill(pv, row, row + tw);
        continue;
      }
      if (x0 > 0) out.fill(pv, row, row + x0);
      if (x1 < tw) out.fill(pv, row + x1, row + tw);
      let sy = (y + 0.5 - offsetY) / scaleY - 0.5;
      if (sy < 0) sy = 0;
      if (sy > h - 1) sy = h - 1;
      const ya = Math.floor(sy);
      const wy = sy - ya;
      const rowA = ya * w * 3 + sc;
      const rowB = Math.min(ya + 1, h - 1) * w * 3 + sc;
      for (let x = x0; x < x1; x++) {
        const wx = colW[x]!;
        const a = colA[x]!;
        const b = colB[x]!;
        const top = data[rowA + a]! + (data[rowA + b]! - data[rowA + a]!) * wx;
        const bottom = data[rowB + a]! + (data[rowB + b]! - data[rowB + a]!) * wx;
        out[row + x] = (top + (bottom - top) * wy) * m + ad;
      }
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
