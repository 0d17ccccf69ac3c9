import type { Box, ObjectLabel } from '../contracts/analytics.ts';
import { OnnxModel, outputData, type ModelRuntime } from './onnx-model.ts';
import { toImagePoint, toTensor, type Raster } from './raster.ts';

/** COCO class indices of the labels Argus reports. */
export const COCO_LABELS: ReadonlyMap<number, ObjectLabel> = new Map([
  [0, 'person'],
  [1, 'bicycle'],
  [2, 'car'],
  [3, 'motorcycle'],
  [5, 'bus'],
  [7, 'truck'],
]);

export interface ObjectCandidate {
  label: ObjectLabel;
  box: Box;
  score: number;
}

export interface ObjectDetectorOptions {
  model?: string;
  scoreThreshold?: number;
}

/**
 * YOLOX-nano (COCO-80). Contract: input `images` [1,3,416,416] BGR 0–255, top-left letterbox
 * padded with 114; output [1,3549,85] per anchor on grids 52/26/13 (strides 8/16/32):
 * x = (tx+gx)·s, y = (ty+gy)·s, w = e^tw·s, h = e^th·s, objectness, 80 class scores; score = obj·cls.
 */
export class ObjectDetectorModel extends OnnxModel {
  readonly inputSize = 416;
  private readonly threshold: number;

  constructor(runtime: ModelRuntime, options: ObjectDetectorOptions = {}) {
    super(options.model ?? 'yolox_nano', ['object-detection'], runtime);
    this.threshold = options.scoreThreshold ?? 0.35;
  }

  async detect(image: Raster): Promise<ObjectCandidate[]> {
    const size = this.inputSize;
    const input = toTensor(image, size, size, { order: 'bgr', mean: [0, 0, 0], std: [1, 1, 1] }, { kind: 'letterbox', align: 'top-left', pad: 114 });
    const outputs = await this.run({ images: OnnxModel.tensor(input.data, [1, 3, size, size]) });
    const out = outputData(outputs, 'output', this.name);
    const p = input.placement;
    const found: ObjectCandidate[] = [];
    let anchor = 0;
    for (const s of [8, 16, 32]) {
      const grid = size / s;
      for (let gy = 0; gy < grid; gy++) {
        for (let gx = 0; gx < grid; gx++, anchor++) {
          const o = anchor * 85;
          const obj = out[o + 4]!;
          if (obj < this.threshold) continue;
          for (const [cls, label] of COCO_LABELS) {
            const score = obj * out[o + 5 + cls]!;
            if (score < this.threshold) continue;
            const cx = (out[o]! + gx) * s;
            const cy = (out[o + 1]! + gy) * s;
            const w = Math.exp(out[o + 2]!) * s;
            const h = Math.exp(out[o + 3]!) * s;
            const [x1, y1] = toImagePoint(p, cx - w / 2, cy - h / 2);
            const [x2, y2] = toImagePoint(p, cx + w / 2, cy + h / 2);
            found.push({ label, box: [x1, y1, x2, y2], score });
          }
        }
      }
    }
    return found;
  }
}
