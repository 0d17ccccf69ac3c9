import type { Box, Point } from '../contracts/analytics.ts';
import { OnnxModel, outputData, type ModelRuntime } from './onnx-model.ts';
import { toImagePoint, toTensor, type Raster } from './raster.ts';

/** A plate found by the detector, before non-maximum suppression; coordinates in the source image. */
export interface PlateCandidate {
  box: Box;
  /** Top-left, top-right, bottom-right, bottom-left. */
  corners: [Point, Point, Point, Point];
  layers: 1 | 2;
  /** objectness × class score. */
  score: number;
}

export interface PlateDetectorOptions {
  model?: string;
  scoreThreshold?: number;
}

/**
 * Chinese plate detector (YOLOv5-face style). Contract: input [1,3,640,640] RGB/255, centred
 * letterbox padded with 114; output [1,25200,15] = cx,cy,w,h, objectness, 4 corners (8 values),
 * 2 class scores (single row, double row); score = obj × cls.
 */
export class PlateDetectorModel extends OnnxModel {
  readonly inputSize = 640;
  private readonly threshold: number;

  constructor(runtime: ModelRuntime, options: PlateDetectorOptions = {}) {
    super(options.model ?? 'plate_detect', ['plate-detection'], runtime);
    this.threshold = options.scoreThreshold ?? 0.3;
  }

  async detect(image: Raster): Promise<PlateCandidate[]> {
    const size = this.inputSize;
    const input = toTensor(image, size, size, { order: 'rgb', mean: [0, 0, 0], std: [255, 255, 255] }, { kind: 'letterbox', align: 'center', pad: 114 });
    const outputs = await this.run({ input: OnnxModel.tensor(input.data, [1, 3, size, size]) });
    const out = outputData(outputs, 'output', this.name);
    const p = input.placement;
    const plates: PlateCandidate[] = [];
    for (let o = 0; o + 15 <= out.length; o += 15) {
      const obj = out[o + 4]!;
      if (obj < this.threshold) continue;
      const single = out[o + 13]!;
      const double = out[o + 14]!;
      const score = obj * Math.max(single, double);
      if (score < this.threshold) continue;
      const cx = out[o]!;
      const cy = out[o + 1]!;
      const w = out[o + 2]!;
      const h = out[o + 3]!;
      const [x1, y1] = toImagePoint(p, cx - w / 2, cy - h / 2);
      const [x2, y2] = toImagePoint(p, cx + w / 2, cy + h / 2);
      const corners = [0, 1, 2, 3].map((k) => toImagePoint(p, out[o + 5 + 2 * k]!, out[o + 6 + 2 * k]!)) as PlateCandidate['corners'];
      plates.push({ box: [x1, y1, x2, y2], corners, layers: double > single ? 2 : 1, score });
    }
    return plates;
  }
}
