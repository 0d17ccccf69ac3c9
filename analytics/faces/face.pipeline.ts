import type { FaceDetection, Point } from '../../contracts/analytics.ts';
import type { FaceDetectorModel } from '../../models/face-detector.model.ts';
import type { FaceEmbedderModel } from '../../models/face-embedder.model.ts';
import type { Raster } from '../../models/raster.ts';
import { nms } from '../geometry/boxes.ts';
import { FACE_TEMPLATE_112, invertAffine, similarityTransform } from '../geometry/transforms.ts';
import { laplacianVariance, warpRaster } from '../image/raster-ops.ts';
import { faceQuality, type QualityOptions } from './face-quality.ts';

/**
 * Face pipeline: YuNet (box + 5 landmarks) → non-maximum suppression → similarity alignment of the
 * landmarks onto the 112×112 ArcFace template → quality (size, sharpness, pose) → embedding
 * (L2-normalised) for faces good enough to match.
 */

export interface FaceOptions {
  /** Faces whose box's shorter side is below this (pixels) are not reported. */
  minFaceSize: number;
  /** Embed faces (for matching and enrolment). */
  embed: boolean;
  /** Faces below this quality are reported but not embedded (not matched blindly). */
  minEmbedQuality: number;
  quality?: QualityOptions;
}

export const DEFAULT_FACE_OPTIONS: FaceOptions = { minFaceSize: 20, embed: false, minEmbedQuality: 0 };

/** The face aligned to the 112×112 template from its 5 landmarks. */
export function alignFace(image: Raster, landmarks: readonly Point[]): Raster {
  const toTemplate = similarityTransform(landmarks, FACE_TEMPLATE_112);
  const [a, b, c, d, e, f] = invertAffine(toTemplate);
  return warpRaster(image, 112, 112, [a, b, c, d, e, f, 0, 0, 1]);
}

export interface FaceResult extends FaceDetection {
  /** The aligned face (for evidence crops and enrolment), kept in-process only. */
  aligned: Raster;
}

export class FacePipeline {
  constructor(
    private readonly detector: FaceDetectorModel,
    private readonly embedder: FaceEmbedderModel | null,
  ) {}

  get embedderName(): string | null {
    return this.embedder?.name ?? null;
  }

  async run(image: Raster, options: FaceOptions = DEFAULT_FACE_OPTIONS): Promise<FaceResult[]> {
    const found = nms(await this.detector.detect(image), 0.3).filter((f) => Math.min(f.box[2] - f.box[0], f.box[3] - f.box[1]) >= options.minFaceSize);
    const faces: FaceResult[] = [];
    for (const f of found) {
      const aligned = alignFace(image, f.landmarks);
      const { quality } = faceQuality(f.box, f.landmarks, laplacianVariance(aligned), options.quality);
      const face: FaceResult = { box: f.box, score: f.score, landmarks: f.landmarks, quality, aligned };
      if (options.embed && this.embedder && quality >= options.minEmbedQuality) face.embedding = await this.embedder.embed(aligned);
      faces.push(face);
    }
    return faces;
  }
}
