/**
 * Decoding the plate recogniser's outputs (plate_rec_color.onnx, see ../shared/models/README.md):
 *
 * - the text head is a CTC sequence [steps = 21, classes = 78] over `PLATE_ALPHABET`, index 0 the
 *   blank `#`. Greedy decoding: take the arg-max class of every step, collapse runs of the same class,
 *   then drop blanks (so a blank between two equal classes keeps both: "A#A" → "AA").
 * - the colour head is 5 scores in `PLATE_COLOUR_ORDER`.
 *
 * Scores. Exported models differ in whether they end in a softmax. By default (`scores: 'auto'`) a
 * step is taken as probabilities when every value of the step is in [0, 1] and the step sums to 1
 * within 1e-3; otherwise a softmax is applied to that step. The detection is per step, so a row of
 * logits that happens to look like a distribution is taken as one; pass `scores: 'probabilities'` or
 * `'logits'` to force either reading when the model is known. A character's score is the probability
 * of its class, the maximum over the run of steps that produced it.
 */
import type { PlateColour } from '../../contracts/analytics.ts';

/** The recogniser's classes in output order; index 0 is the CTC blank `#`. Copied from the models README. */
export const PLATE_ALPHABET =
  '#京沪津渝冀晋蒙辽吉黑苏浙皖闽赣鲁豫鄂湘粤桂琼川贵云藏陕甘青宁新学警港澳挂使领民航危0123456789ABCDEFGHJKLMNPQRSTUVWXYZ险品';

/** `PLATE_ALPHABET` split into single characters (78 classes). */
export const PLATE_CLASSES: readonly string[] = Object.freeze(Array.from(PLATE_ALPHABET));

/** Index of the CTC blank. */
export const PLATE_BLANK = 0;

/** The colour head's output order. */
export const PLATE_COLOUR_ORDER = ['black', 'blue', 'green', 'white', 'yellow'] as const satisfies readonly PlateColour[];

/** How raw scores are read: detected per row (default), or forced. */
export type ScoreReading = 'auto' | 'probabilities' | 'logits';

export interface PlateCtcOptions {
  scores?: ScoreReading;
  /** Classes in output order, index 0 the blank (default `PLATE_CLASSES`); its length must equal `classes`. */
  alphabet?: readonly string[];
}

export interface PlateCtcResult {
  text: string;
  /** One probability (0..1) per character of `text`. */
  charScores: number[];
}

/** True when the values are already a probability distribution (all in [0, 1], summing to 1 ± 1e-3). */
export function isDistribution(values: ArrayLike<number>, tolerance = 1e-3): boolean {
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!(v >= 0 && v <= 1)) return false;
    sum += v;
  }
  return values.length > 0 && Math.abs(sum - 1) <= tolerance;
}

/** Numerically stable softmax. */
export function softmax(values: ArrayLike<number>): number[] {
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) max = Math.max(max, values[i] as number);
  const exps: number[] = [];
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const e = Math.exp((values[i] as number) - max);
    exps.push(e);
    sum += e;
  }
  return exps.map((e) => e / sum);
}

function toProbabilities(row: ArrayLike<number>, reading: ScoreReading): ArrayLike<number> {
  if (reading === 'probabilities') return row;
  if (reading === 'logits') return softmax(row);
  return isDistribution(row) ? row : softmax(row);
}

/**
 * Greedy CTC decoding of one plate: `output` holds `steps` rows of `classes` scores (row-major, the
 * [1, 21, 78] tensor flattened). Returns the text and a probability per character.
 */
export function decodePlateCtc(output: Float32Array, steps: number, classes: number, opts: PlateCtcOptions = {}): PlateCtcResult {
  const alphabet = opts.alphabet ?? PLATE_CLASSES;
  const reading = opts.scores ?? 'auto';
  if (!Number.isInteger(steps) || !Number.isInteger(classes) || steps <= 0 || classes <= 0) {
    throw new RangeError(`decodePlateCtc: steps and classes must be positive integers (got ${steps}, ${classes})`);
  }
  if (classes !== alphabet.length) {
    throw new RangeError(`decodePlateCtc: the model has ${classes} classes but the alphabet has ${alphabet.length}`);
  }
  if (output.length !== steps * classes) {
    throw new RangeError(`decodePlateCtc: expected ${steps}×${classes} = ${steps * classes} values, got ${output.length}`);
  }
  const chars: string[] = [];
  const charScores: number[] = [];
  let previous = -1;
  for (let t = 0; t < steps; t++) {
    const probs = toProbabilities(output.subarray(t * classes, (t + 1) * classes), reading);
    let best = 0;
    let bestP = probs[0] as number;
    for (let c = 1; c < classes; c++) {
      const p = probs[c] as number;
      if (p > bestP) {
        best = c;
        bestP = p;
      }
    }
    if (best !== PLATE_BLANK) {
      if (best === previous) {
        const last = charScores.length - 1;
        charScores[last] = Math.max(charScores[last] as number, bestP);
      } else {
        chars.push(alphabet[best] as string);
        charScores.push(bestP);
      }
    }
    previous = best;
  }
  return { text: chars.join(''), charScores };
}

/** Mean of the per-character scores (0 for an empty read): the read's confidence in `PlateRead.score`. */
export function meanCharScore(charScores: readonly number[]): number {
  if (charScores.length === 0) return 0;
  return charScores.reduce((a, b) => a + b, 0) / charScores.length;
}

/** The plate colour from the colour head's 5 scores (probabilities or logits, detected as above). */
export function decodePlateColour(scores: ArrayLike<number>, reading: ScoreReading = 'auto'): { colour: PlateColour; score: number } {
  if (scores.length !== PLATE_COLOUR_ORDER.length) {
    throw new RangeError(`decodePlateColour: expected ${PLATE_COLOUR_ORDER.length} scores, got ${scores.length}`);
  }
  const probs = toProbabilities(scores, reading);
  let best = 0;
  for (let i = 1; i < probs.length; i++) if ((probs[i] as number) > (probs[best] as number)) best = i;
  return { colour: PLATE_COLOUR_ORDER[best] as PlateColour, score: probs[best] as number };
}
