import type { Box, PlateRead, Point } from '../../contracts/analytics.ts';
import type { PlateCandidate, PlateDetectorModel } from '../../models/plate-detector.model.ts';
import type { PlateRecognizerModel } from '../../models/plate-recognizer.model.ts';
import type { Raster } from '../../models/raster.ts';
import { boxCentre, nms } from '../geometry/boxes.ts';
import { perspectiveTransform } from '../geometry/transforms.ts';
import { joinHorizontally, resizeRaster, warpRaster, cropRaster } from '../image/raster-ops.ts';
import { decodePlateColour, decodePlateCtc, meanCharScore } from './plate-ctc.ts';
import { checkPlate } from './plate-grammar.ts';

/**
 * Plate pipeline: detector (box + 4 corners + single/double row) → non-maximum suppression →
 * perspective rectification of the 4 corners → double-row merge → recogniser (CTC text + colour) →
 * plate grammar (impossible strings are dropped) → PlateRead.
 */

export interface PlateOptions {
  /** Plates narrower than this (pixels, in the analysed image) are not read. */
  minPlateWidth: number;
  /** Detector candidates scoring below this are ignored. */
  minDetectionScore: number;
  /** Reads whose score (detection × mean character probability) is below this are dropped. */
  minReadScore: number;
  /** Only plates whose centre lies in one of these boxes (e.g. detected vehicles); null: anywhere. */
  regions: readonly Box[] | null;
}

export interface CropRead {
  /** What the recogniser read, before the grammar check. */
  raw: string;
  /** The plate text, or null when the read is not a possible plate. */
  text: string | null;
  colour: PlateRead['colour'];
  /** Mean per-character probability. */
  score: number;
  /** Why the grammar refused the read. */
  rejected?: string;
}

export const DEFAULT_PLATE_OPTIONS: PlateOptions = { minPlateWidth: 24, minDetectionScore: 0.4, minReadScore: 0.3, regions: null };

/** Rectified crop height; width follows the plate's own proportions (the recogniser stretches to 168×48 anyway). */
const RECT_HEIGHT = 48;

const dist = (a: Point, b: Point) => Math.hypot(a[0] - b[0], a[1] - b[1]);

/** The plate warped flat from its 4 corners, at its natural proportions (height 48, or 96 for double rows). */
export function rectifyPlate(image: Raster, corners: readonly [Point, Point, Point, Point], layers: 1 | 2): Raster {
  const [tl, tr, br, bl] = corners;
  const w = Math.max(dist(tl, tr), dist(bl, br));
  const h = Math.max(dist(tl, bl), dist(tr, br));
  const outH = layers === 2 ? RECT_HEIGHT * 2 : RECT_HEIGHT;
  const outW = Math.max(16, Math.min(512, Math.round((w / Math.max(1, h)) * outH)));
  const dst: Point[] = [
    [0, 0],
    [outW - 1, 0],
    [outW - 1, outH - 1],
    [0, outH - 1],
  ];
  // Output → source: map the output rectangle onto the detected corners.
  const H = perspectiveTransform(dst, [tl, tr, br, bl]);
  return warpRaster(image, outW, outH, H);
}

/**
 * A double-row plate as one row: the upper 5/12 (province and letter) scaled to the size of the
 * lower 2/3 and put on its left, as the recogniser was trained.
 */
export function mergeDoubleRow(plate: Raster): Raster {
  const h = plate.height;
  const upper = cropRaster(plate, [0, 0, plate.width, Math.max(1, Math.floor((5 / 12) * h))]);
  const lower = cropRaster(plate, [0, Math.floor(h / 3), plate.width, h]);
  return joinHorizontally([resizeRaster(upper, lower.width, lower.height), lower]);
}

/** Whether a candidate's corners make a usable quadrilateral (finite, some width and height). */
function sane(c: PlateCandidate): boolean {
  const pts = c.corners.flat();
  if (pts.some((v) => !Number.isFinite(v))) return false;
  return dist(c.corners[0], c.corners[1]) >= 4 && dist(c.corners[0], c.corners[3]) >= 2;
}

function inside(p: Point, b: Box): boolean {
  return p[0] >= b[0] && p[0] <= b[2] && p[1] >= b[1] && p[1] <= b[3];
}

export class PlatePipeline {
  constructor(
    private readonly detector: PlateDetectorModel,
    private readonly recognizer: PlateRecognizerModel,
  ) {}

  /** The plate candidates worth reading: non-overlapping, wide enough, inside the regions. */
  async detect(image: Raster, options: PlateOptions): Promise<PlateCandidate[]> {
    const candidates = await this.detector.detect(image);
    return nms(candidates, 0.5, { minScore: options.minDetectionScore }).filter(
      (c) => sane(c) && c.box[2] - c.box[0] >= options.minPlateWidth && (!options.regions || options.regions.some((r) => inside(boxCentre(c.box), r))),
    );
  }

  /** Rectify and read the candidates; reads that break the plate grammar are dropped. */
  async read(image: Raster, candidates: readonly PlateCandidate[], options: PlateOptions): Promise<PlateRead[]> {
    if (candidates.length === 0) return [];
    const crops = candidates.map((c) => {
      const flat = rectifyPlate(image, c.corners, c.layers);
      return c.layers === 2 ? mergeDoubleRow(flat) : flat;
    });
    const outputs = await this.recognizer.recognize(crops);
    const reads: PlateRead[] = [];
    candidates.forEach((c, i) => {
      const out = outputs[i]!;
      const decoded = decodePlateCtc(out.ctc, out.steps, out.classes);
      const grammar = checkPlate(decoded.text);
      if (!grammar.ok) return;
      const score = c.score * meanCharScore(decoded.charScores);
      if (score < options.minReadScore) return;
      reads.push({ text: grammar.text, colour: decodePlateColour(out.colour).colour, layers: c.layers, score, box: c.box, corners: c.corners });
    });
    return reads;
  }

  /**
   * Read plate images that are already cut out (tight crops, as in the evaluation set): no
   * detection, no rectification. Double-row crops (`layers` 2) are merged into one row first.
   * Every crop gets an answer: `text` is null when the read breaks the plate grammar (`raw` and
   * `rejected` say what was read and why it was refused).
   */
  async readCrops(crops: readonly { image: Raster; layers: 1 | 2 }[]): Promise<CropRead[]> {
    const inputs = crops.map((c) => (c.layers === 2 ? mergeDoubleRow(c.image) : c.image));
    const outputs = await this.recognizer.recognize(inputs);
    return outputs.map((out) => {
      const decoded = decodePlateCtc(out.ctc, out.steps, out.classes);
      const grammar = checkPlate(decoded.text);
      const colour = decodePlateColour(out.colour).colour;
      const score = meanCharScore(decoded.charScores);
      return grammar.ok ? { raw: decoded.text, text: grammar.text, colour, score } : { raw: decoded.text, text: null, colour, score, rejected: grammar.reason };
    });
  }

  async run(image: Raster, options: PlateOptions = DEFAULT_PLATE_OPTIONS): Promise<PlateRead[]> {
    return this.read(image, await this.detect(image, options), options);
  }
}
