import type { Box, Point } from '../contracts/analytics.ts';
import { OnnxModel, outputData, type ModelRuntime } from './onnx-model.ts';
import { toImagePoint, toTensor, type Raster } from './raster.ts';

/** A face found by the detector, before non-maximum suppression; coordinates in the source image. */
export interface FaceCandidate {
  box: Box;
  score: number;
  /** Left eye, right eye (image left/right), nose, left and right mouth corner. */
  landmarks: [Point, Point, Point, Point, Point];
}

export interface FaceDetectorOptions {
  /** Manifest name (a face-detection model with the YuNet contract). */
  model?: string;
  /** The image is scaled down (never up) so its longer side is at most this, then padded to multiples of 32. */
  maxSide?: number;
  /** Minimum score √(cls·obj) kept. */
  scoreThreshold?: number;
}

const STRIDES = [8, 16, 32] as const;
const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

/**
 * YuNet face detector (libfacedetection), any input size. Contract (models/manifest.ts): input
 * [1,3,H,W] BGR raw 0–255, H and W multiples of 32; per stride s: cls_s, obj_s [1,N,1], bbox_s [1,N,4],
 * kps_s [1,N,10] with N = (H/s)(W/s), anchor i at row ⌊i/cols⌋, column i mod cols.
 */
export class FaceDetectorModel extends OnnxModel {
  private readonly maxSide: number;
  private readonly threshold: number;

  constructor(runtime: ModelRuntime, options: FaceDetectorOptions = {}) {
    super(options.model ?? 'yunet_n_dynamic', ['face-detection'], runtime);
    this.maxSide = options.maxSide ?? 640;
    this.threshold = options.scoreThreshold ?? 0.6;
  }

  async detect(image: Raster): Promise<FaceCandidate[]> {
    // Preprocess: scale down, pad bottom/right to multiples of 32.
    const scale = Math.min(1, this.maxSide / Math.max(image.width, image.height));
    const tw = Math.max(32, Math.ceil((image.width * scale) / 32) * 32);
    const th = Math.max(32, Math.ceil((image.height * scale) / 32) * 32);
    const input = toTensor(image, tw, th, { order: 'bgr', mean: [0, 0, 0], std: [1, 1, 1] }, { kind: 'letterbox', align: 'top-left', pad: 0 });
    const outputs = await this.run({ input: OnnxModel.tensor(input.data, [1, 3, th, tw]) });

    // Postprocess: decode every anchor above the threshold, back to image coordinates.
    const faces: FaceCandidate[] = [];
    const p = input.placement;
    for (const s of STRIDES) {
      const cls = outputData(outputs, `cls_${s}`, this.name);
      const obj = outputData(outputs, `obj_${s}`, this.name);
      const bbox = outputData(outputs, `bbox_${s}`, this.name);
      const kps = outputData(outputs, `kps_${s}`, this.name);
      const cols = tw / s;
      for (let i = 0; i < cls.length; i++) {
        const score = Math.sqrt(clamp01(cls[i]!) * clamp01(obj[i]!));
        if (score < this.threshold) continue;
        const r = Math.floor(i / cols);
        const c = i - r * cols;
        const cx = (c + bbox[i * 4]!) * s;
        const cy = (r + bbox[i * 4 + 1]!) * s;
        const w = Math.exp(bbox[i * 4 + 2]!) * s;
        const h = Math.exp(bbox[i * 4 + 3]!) * s;
        const [x1, y1] = toImagePoint(p, cx - w / 2, cy - h / 2);
        const [x2, y2] = toImagePoint(p, cx + w / 2, cy + h / 2);
        const landmarks = [0, 1, 2, 3, 4].map((k) => toImagePoint(p, (c + kps[i * 10 + 2 * k]!) * s, (r + kps[i * 10 + 2 * k + 1]!) * s));
        faces.push({ box: [x1, y1, x2, y2], score, landmarks: landmarks as FaceCandidate['landmarks'] });
      }
    }
    return faces;
  }
}
