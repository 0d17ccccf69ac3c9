import { OnnxModel, outputData, type ModelRuntime } from './onnx-model.ts';
import { writeTensor, type Raster } from './raster.ts';

/** The recogniser's raw answer for one plate crop: CTC scores per step and the colour scores. */
export interface PlateRecognizerOutput {
  /** steps × classes values (class 0 = CTC blank), row-major. */
  ctc: Float32Array;
  steps: number;
  classes: number;
  /** Scores of black, blue, green, white, yellow. */
  colour: Float32Array;
}

/**
 * Chinese plate text (CTC) and colour. Contract: input [b,3,48,168] BGR, (v/255 − 0.588)/0.193,
 * from a tight perspective-rectified crop (double-row plates merged into one row first); outputs
 * `output` [b,21,78] (CTC over PLATE_REC_ALPHABET) and [b,5] colour scores.
 */
export class PlateRecognizerModel extends OnnxModel {
  static readonly WIDTH = 168;
  static readonly HEIGHT = 48;

  constructor(runtime: ModelRuntime, model = 'plate_rec_color') {
    super(model, ['plate-recognition'], runtime);
  }

  /** Recognise several crops (any size; each is stretched to 168×48) in one batch. */
  async recognize(crops: readonly Raster[]): Promise<PlateRecognizerOutput[]> {
    if (crops.length === 0) return [];
    const W = PlateRecognizerModel.WIDTH;
    const H = PlateRecognizerModel.HEIGHT;
    const plane = 3 * W * H;
    const data = new Float32Array(crops.length * plane);
    const format = { order: 'bgr', mean: [0.588 * 255, 0.588 * 255, 0.588 * 255], std: [0.193 * 255, 0.193 * 255, 0.193 * 255] } as const;
    crops.forEach((crop, i) => writeTensor(crop, W, H, format, { kind: 'stretch' }, data, i * plane));
    const outputs = await this.run({ input: OnnxModel.tensor(data, [crops.length, 3, H, W]) });
    const session = await this.load();
    const ctcName = session.outputNames[0]!;
    const colourName = session.outputNames[1]!;
    const ctc = outputData(outputs, ctcName, this.name);
    const colour = outputData(outputs, colourName, this.name);
    const dims = outputs[ctcName]!.dims;
    const steps = Number(dims[1]);
    const classes = Number(dims[2]);
    return crops.map((_, i) => ({
      ctc: ctc.subarray(i * steps * classes, (i + 1) * steps * classes),
      steps,
      classes,
      colour: colour.subarray(i * 5, i * 5 + 5),
    }));
  }
}
