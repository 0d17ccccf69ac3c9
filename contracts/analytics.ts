/**
 * What the recognition pipelines report for one image or frame. This is also the public JSON
 * contract of `argus analyze FILE... --json` (documented in docs/analyze.md): keep it stable.
 *
 * Coordinates are pixels of the analysed image, origin top-left, rounded to 0.1.
 */

/** [x1, y1, x2, y2]: left, top, right, bottom. */
export type Box = [number, number, number, number];
/** [x, y]. */
export type Point = [number, number];

export const PLATE_COLOURS = ['black', 'blue', 'green', 'white', 'yellow'] as const;
export type PlateColour = (typeof PLATE_COLOURS)[number];

export interface PlateRead {
  /** The plate text after the grammar check, e.g. "京A12345", "沪AF71017", "WJ1693015". */
  text: string;
  colour: PlateColour;
  /** Single-row (1) or double-row (2) plate. */
  layers: 1 | 2;
  /** Confidence 0..1: detection score × mean per-character probability of the read. */
  score: number;
  box: Box;
  /** The plate's four corners: top-left, top-right, bottom-right, bottom-left. */
  corners: [Point, Point, Point, Point];
}

export interface FaceDetection {
  box: Box;
  /** Detector confidence 0..1. */
  score: number;
  /** Left eye, right eye (as seen in the image), nose, left and right mouth corner. */
  landmarks: [Point, Point, Point, Point, Point];
  /** 0..1 from size, sharpness and pose; faces below the configured minimum are not enrolled or matched. */
  quality: number;
  /** The L2-normalised embedding; only with `--embeddings` (CLI) or when the pipeline needs it. */
  embedding?: number[];
}

/** The object classes Argus reports (of the detector's 80 COCO classes). */
export const OBJECT_LABELS = ['person', 'bicycle', 'car', 'motorcycle', 'bus', 'truck'] as const;
export type ObjectLabel = (typeof OBJECT_LABELS)[number];
/** Labels that carry licence plates. */
export const VEHICLE_LABELS: readonly ObjectLabel[] = ['car', 'motorcycle', 'bus', 'truck'];

export interface ObjectDetection {
  label: ObjectLabel;
  score: number;
  box: Box;
}

export interface FrameAnalysis {
  plates: PlateRead[];
  faces: FaceDetection[];
  objects: ObjectDetection[];
}

/** One line of `argus analyze --json` output per image (an array of these). */
export interface AnalyzeFileResult extends FrameAnalysis {
  file: string;
}

export const PIPELINES = ['plates', 'faces', 'objects'] as const;
export type PipelineName = (typeof PIPELINES)[number];
