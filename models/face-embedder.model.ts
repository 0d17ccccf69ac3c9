import { UnavailableError } from '../contracts/errors.ts';
import { OnnxModel, outputData, type ModelRuntime } from './onnx-model.ts';
import { toTensor, type Raster, type TensorFormat } from './raster.ts';

/** Input normalisation of each known embedder (RGB; value = (byte − mean) / std). */
const FORMATS: Record<string, TensorFormat> = {
  mobilefacenet: { order: 'rgb', mean: [127.5, 127.5, 127.5], std: [128, 128, 128] },
  faceplugin_fr_feature: { order: 'rgb', mean: [127, 127, 127], std: [128, 128, 128] },
};

/**
 * Face embedding from a face aligned to 112×112 (5-point similarity transform onto the ArcFace
 * template; analytics/faces does the alignment). mobilefacenet gives 128 values, faceplugin_fr_feature
 * 512. The result is L2-normalised: cosine similarity is a dot product.
 */
export class FaceEmbedderModel extends OnnxModel {
  private readonly format: TensorFormat;

  constructor(runtime: ModelRuntime, model = 'mobilefacenet') {
    super(model, ['face-embedding'], runtime);
    const format = FORMATS[model];
    if (!format) throw new UnavailableError(`No input format is known for face embedder "${model}" (known: ${Object.keys(FORMATS).join(', ')}).`);
    this.format = format;
  }

  async embed(aligned: Raster): Promise<number[]> {
    if (aligned.width !== 112 || aligned.height !== 112) {
      throw new RangeError(`Face embedder input must be an aligned 112×112 face, got ${aligned.width}×${aligned.height}.`);
    }
    const input = toTensor(aligned, 112, 112, this.format, { kind: 'stretch' });
    const outputs = await this.run({ input: OnnxModel.tensor(input.data, [1, 3, 112, 112]) });
    const raw = outputData(outputs, 'output', this.name);
    let sum = 0;
    for (const v of raw) sum += v * v;
    const norm = Math.sqrt(sum) || 1;
    return Array.from(raw, (v) => v / norm);
  }
}
