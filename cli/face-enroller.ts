import { DEFAULT_REQUEST, FrameAnalyzer, type AnalyzerModelNames } from '../analytics/analyzer.ts';
import { decodeImage } from '../analytics/image/raster-ops.ts';
import type { FaceDetection } from '../contracts/analytics.ts';
import { ValidationError } from '../contracts/errors.ts';
import type { FaceEnroller } from '../contracts/watchlists.ts';

export interface FaceEnrollerOptions {
  modelsDir: string;
  models: AnalyzerModelNames;
  /** Below this quality (0..1: size, sharpness, pose) a photo is refused. */
  minQuality?: number;
  /** Smallest face side in pixels. */
  minFaceSize?: number;
}

const area = (f: FaceDetection) => (f.box[2] - f.box[0]) * (f.box[3] - f.box[1]);

/**
 * Watchlist enrolment with the analytics face pipeline, in this process: one FrameAnalyzer, created
 * on the first photo (the models load then), photos analysed one at a time. A photo must hold
 * exactly one face (faces under a quarter of the largest one's area are background and ignored) of
 * at least `minQuality`; otherwise a ValidationError says which.
 */
export class AnalyzerFaceEnroller implements FaceEnroller {
  private analyzer: FrameAnalyzer | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: FaceEnrollerOptions) {}

  enrol(image: Uint8Array): Promise<{ embedding: number[]; model: string; quality: number }> {
    const run = this.queue.then(() => this.enrolNow(image));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async enrolNow(bytes: Uint8Array): Promise<{ embedding: number[]; model: string; quality: number }> {
    const image = await decodeImage(bytes, 'photo');
    this.analyzer ??= new FrameAnalyzer({ modelsDir: this.options.modelsDir, threads: 1 }, this.options.models);
    const { analysis } = await this.analyzer.analyze(image, {
      ...DEFAULT_REQUEST,
      pipelines: ['faces'],
      embeddings: true,
      minFaceSize: this.options.minFaceSize ?? 20,
      minEmbedQuality: 0,
    });
    const faces = [...analysis.faces].sort((a, b) => area(b) - area(a));
    const largest = faces[0];
    if (!largest) throw new ValidationError('No face was found in the photo.', [{ path: 'photo', message: 'no face' }]);
    const others = faces.slice(1).filter((f) => area(f) >= area(largest) / 4);
    if (others.length > 0) {
      throw new ValidationError(`The photo shows several faces (${others.length + 1}); use a photo of the person alone.`, [{ path: 'photo', message: 'several faces' }]);
    }
    const minQuality = this.options.minQuality ?? 0.5;
    if (largest.quality < minQuality || !largest.embedding) {
      throw new ValidationError(`The face is of too little quality (${largest.quality.toFixed(2)} < ${minQuality}): too small, blurred or turned away.`, [
        { path: 'photo', message: 'low quality' },
      ]);
    }
    return { embedding: largest.embedding, model: this.options.models.faceEmbedder, quality: largest.quality };
  }

  async close(): Promise<void> {
    await this.queue;
    await this.analyzer?.close();
    this.analyzer = null;
  }
}
