import type { Box, FaceDetection, FrameAnalysis, ObjectDetection, PipelineName, PlateRead, Point } from '../contracts/analytics.ts';
import { VEHICLE_LABELS } from '../contracts/analytics.ts';
import { FaceDetectorModel } from '../models/face-detector.model.ts';
import { FaceEmbedderModel } from '../models/face-embedder.model.ts';
import { ObjectDetectorModel } from '../models/object-detector.model.ts';
import type { ModelRuntime, OnnxModel } from '../models/onnx-model.ts';
import { PlateDetectorModel } from '../models/plate-detector.model.ts';
import { PlateRecognizerModel } from '../models/plate-recognizer.model.ts';
import type { Raster } from '../models/raster.ts';
import { boxCentre } from './geometry/boxes.ts';
import { DEFAULT_FACE_OPTIONS, FacePipeline } from './faces/face.pipeline.ts';
import { ObjectPipeline } from './objects/object.pipeline.ts';
import { DEFAULT_PLATE_OPTIONS, PlatePipeline } from './plates/plate.pipeline.ts';

/**
 * One image in, every requested pipeline's results out: the unit of work of an analysis worker and
 * of `argus analyze`. Models load lazily, so a pipeline that is never asked for never loads.
 */

/** Which weights each task uses (manifest names); swappable by configuration. */
export interface AnalyzerModelNames {
  faceDetector: string;
  faceEmbedder: string;
  plateDetector: string;
  plateRecognizer: string;
  objectDetector: string;
}

export const DEFAULT_MODEL_NAMES: AnalyzerModelNames = {
  faceDetector: 'yunet_n_dynamic',
  faceEmbedder: 'mobilefacenet',
  plateDetector: 'plate_detect',
  plateRecognizer: 'plate_rec_color',
  objectDetector: 'yolox_nano',
};

export interface AnalysisRequest {
  pipelines: readonly PipelineName[];
  /** Compute face embeddings (for faces of at least `minEmbedQuality`). */
  embeddings: boolean;
  minPlateWidth: number;
  minFaceSize: number;
  minEmbedQuality: number;
  /** Region of interest, points normalised 0..1; results whose centre is outside are dropped. null: whole image. */
  roi: readonly Point[] | null;
  /** Read only plates inside detected vehicles (runs the object detector). */
  vehiclesOnly: boolean;
}

export const DEFAULT_REQUEST: AnalysisRequest = {
  pipelines: ['plates', 'faces', 'objects'],
  embeddings: false,
  minPlateWidth: DEFAULT_PLATE_OPTIONS.minPlateWidth,
  minFaceSize: DEFAULT_FACE_OPTIONS.minFaceSize,
  minEmbedQuality: 0,
  roi: null,
  vehiclesOnly: false,
};

/** Milliseconds per stage of one analysis, and how much of it was inside ONNX Runtime. */
export interface StageTimings {
  objects?: number;
  plateDetect?: number;
  plateRead?: number;
  faces?: number;
  total: number;
  inference: number;
}

export interface AnalysisOutcome {
  analysis: FrameAnalysis;
  timings: StageTimings;
}

/** Even-odd rule. */
export function pointInPolygon(p: Point, polygon: readonly Point[]): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i]!;
    const [xj, yj] = polygon[j]!;
    if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

const r1 = (v: number) => Math.round(v * 10) / 10;
const r4 = (v: number) => Math.round(v * 10_000) / 10_000;
const roundBox = (b: Box): Box => [r1(b[0]), r1(b[1]), r1(b[2]), r1(b[3])];
const roundPoint = (p: Point): Point => [r1(p[0]), r1(p[1])];

/** Results as the public JSON contract has them: coordinates to 0.1 px, scores to 4 decimals. */
export function roundAnalysis(a: FrameAnalysis): FrameAnalysis {
  return {
    plates: a.plates.map((p) => ({
      text: p.text,
      colour: p.colour,
      layers: p.layers,
      score: r4(p.score),
      box: roundBox(p.box),
      corners: p.corners.map(roundPoint) as PlateRead['corners'],
    })),
    faces: a.faces.map((f) => {
      const out: FaceDetection = {
        box: roundBox(f.box),
        score: r4(f.score),
        landmarks: f.landmarks.map(roundPoint) as FaceDetection['landmarks'],
        quality: r4(f.quality),
      };
      if (f.embedding) out.embedding = f.embedding;
      return out;
    }),
    objects: a.objects.map((o) => ({ label: o.label, score: r4(o.score), box: roundBox(o.box) })),
  };
}

export class FrameAnalyzer {
  readonly plateDetector: PlateDetectorModel;
  readonly plateRecognizer: PlateRecognizerModel;
  readonly faceDetector: FaceDetectorModel;
  readonly faceEmbedder: FaceEmbedderModel;
  readonly objectDetector: ObjectDetectorModel;
  readonly plates: PlatePipeline;
  readonly faces: FacePipeline;
  readonly objects: ObjectPipeline;

  constructor(runtime: ModelRuntime, names: AnalyzerModelNames = DEFAULT_MODEL_NAMES) {
    this.plateDetector = new PlateDetectorModel(runtime, { model: names.plateDetector });
    this.plateRecognizer = new PlateRecognizerModel(runtime, names.plateRecognizer);
    this.faceDetector = new FaceDetectorModel(runtime, { model: names.faceDetector });
    this.faceEmbedder = new FaceEmbedderModel(runtime, names.faceEmbedder);
    this.objectDetector = new ObjectDetectorModel(runtime, { model: names.objectDetector });
    this.plates = new PlatePipeline(this.plateDetector, this.plateRecognizer);
    this.faces = new FacePipeline(this.faceDetector, this.faceEmbedder);
    this.objects = new ObjectPipeline(this.objectDetector);
  }

  private models(): OnnxModel[] {
    return [this.plateDetector, this.plateRecognizer, this.faceDetector, this.faceEmbedder, this.objectDetector];
  }

  /** Verify and load the models the pipelines need now (fail early with the file and the fix). */
  async load(pipelines: readonly PipelineName[], embeddings: boolean): Promise<void> {
    const need: OnnxModel[] = [];
    if (pipelines.includes('plates')) need.push(this.plateDetector, this.plateRecognizer);
    if (pipelines.includes('faces')) need.push(this.faceDetector, ...(embeddings ? [this.faceEmbedder] : []));
    if (pipelines.includes('objects')) need.push(this.objectDetector);
    await Promise.all(need.map((m) => m.load()));
  }

  /** Total time spent inside ONNX Runtime so far. */
  inferenceMs(): number {
    return this.models().reduce((s, m) => s + m.stats.totalMs, 0);
  }

  async analyze(image: Raster, request: AnalysisRequest = DEFAULT_REQUEST): Promise<AnalysisOutcome> {
    const started = performance.now();
    const inferenceBefore = this.inferenceMs();
    const timings: StageTimings = { total: 0, inference: 0 };
    const want = new Set(request.pipelines);
    const roi = request.roi && request.roi.length >= 3 ? request.roi.map(([x, y]) => [x * image.width, y * image.height] as Point) : null;
    const inRoi = (box: Box) => !roi || pointInPolygon(boxCentre(box), roi);

    let objects: ObjectDetection[] = [];
    if (want.has('objects') || (want.has('plates') && request.vehiclesOnly)) {
      const t = performance.now();
      objects = (await this.objects.run(image)).filter((o) => inRoi(o.box));
      timings.objects = performance.now() - t;
    }

    let plates: PlateRead[] = [];
    if (want.has('plates')) {
      const options = {
        ...DEFAULT_PLATE_OPTIONS,
        minPlateWidth: request.minPlateWidth,
        regions: request.vehiclesOnly ? objects.filter((o) => VEHICLE_LABELS.includes(o.label)).map((o) => o.box) : null,
      };
      let t = performance.now();
      const candidates = (await this.plates.detect(image, options)).filter((c) => inRoi(c.box));
      timings.plateDetect = performance.now() - t;
      t = performance.now();
      plates = await this.plates.read(image, candidates, options);
      timings.plateRead = performance.now() - t;
    }

    let faces: FaceDetection[] = [];
    if (want.has('faces')) {
      const t = performance.now();
      const found = await this.faces.run(image, {
        minFaceSize: request.minFaceSize,
        embed: request.embeddings,
        minEmbedQuality: request.minEmbedQuality,
      });
      faces = found.filter((f) => inRoi(f.box)).map(({ aligned: _aligned, ...face }) => face);
      timings.faces = performance.now() - t;
    }

    timings.total = performance.now() - started;
    timings.inference = this.inferenceMs() - inferenceBefore;
    return { analysis: roundAnalysis({ plates, faces, objects: want.has('objects') ? objects : [] }), timings };
  }

  async close(): Promise<void> {
    await Promise.all(this.models().map((m) => m.close()));
  }
}
