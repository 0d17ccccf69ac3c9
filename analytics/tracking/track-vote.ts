/**
 * The per-track decision (CONVENTIONS.md, point 10): a track collects recognition attempts (one per
 * analysed frame in which its object was read), and the result is chosen by a weighted vote rather
 * than trusting any single frame.
 *
 * - `voteText`: each distinct text gets the sum of score × size over its attempts; the largest sum
 *   wins (ties: the text with the highest single score, then the one seen first). Size is whatever
 *   measure of the crop the caller uses consistently (plate width in px, or box area): a read of a
 *   near, large plate is worth more than one of a far, small plate.
 * - `bestAttempt`: the attempt with the largest score × size, for the evidence crop. It needs no text,
 *   so it also picks a face track's best face (score = quality).
 * - `shouldEmitEarly`: whether a still-live track may be reported now instead of when it ends: true
 *   once at least `minAgreeing` attempts read the leading text with score ≥ `minScore` (defaults 0.8
 *   and 2, `EARLY_EMIT_DEFAULTS`). With `minAgreeing: 1` a single confident read emits at once.
 *
 * Attempts are plain objects; extra fields (the crop, the frame time, the payload) pass through
 * `bestAttempt` unchanged. Scores and sizes must be finite and ≥ 0. Attempts with an empty text (a
 * read that failed the plate grammar, say) do not vote.
 */

export interface Attempt {
  /** Confidence 0..1 (a plate read's score, a face's quality). */
  score: number;
  /** Size of the crop (e.g. width in px or area): larger crops weigh more. */
  size: number;
}

export interface TextAttempt extends Attempt {
  text: string;
}

export interface TextVote {
  /** The winning text. */
  text: string;
  /** Its summed score × size. */
  weight: number;
  /** Its fraction (0..1) of the summed weight of all voting attempts (by count when every weight is 0). */
  share: number;
  /** How many attempts read it. */
  count: number;
  /** Its highest single score. */
  bestScore: number;
}

export interface EarlyEmitOptions {
  /** Minimum score of an agreeing attempt (default 0.8). */
  minScore?: number;
  /** Agreeing attempts needed (default 2). */
  minAgreeing?: number;
}

export const EARLY_EMIT_DEFAULTS: Readonly<Required<EarlyEmitOptions>> = Object.freeze({ minScore: 0.8, minAgreeing: 2 });

function weightOf(a: Attempt): number {
  if (!(Number.isFinite(a.score) && a.score >= 0) || !(Number.isFinite(a.size) && a.size >= 0)) {
    throw new RangeError(`attempt score and size must be finite and ≥ 0 (got score ${a.score}, size ${a.size})`);
  }
  return a.score * a.size;
}

/** The weighted-vote winner among the attempts' texts, or undefined when no attempt has a text. */
export function voteText(attempts: readonly TextAttempt[]): TextVote | undefined {
  const tally = new Map<string, { weight: number; count: number; bestScore: number; first: number }>();
  let total = 0;
  let voters = 0;
  attempts.forEach((a, index) => {
    const w = weightOf(a);
    if (a.text === '') return;
    voters += 1;
    total += w;
    const entry = tally.get(a.text);
    if (entry === undefined) tally.set(a.text, { weight: w, count: 1, bestScore: a.score, first: index });
    else {
      entry.weight += w;
      entry.count += 1;
      entry.bestScore = Math.max(entry.bestScore, a.score);
    }
  });
  let winner: [string, { weight: number; count: number; bestScore: number; first: number }] | undefined;
  for (const item of tally) {
    if (winner === undefined) {
      winner = item;
      continue;
    }
    const [, e] = item;
    const [, w] = winner;
    if (e.weight > w.weight || (e.weight === w.weight && (e.bestScore > w.bestScore || (e.bestScore === w.bestScore && e.first < w.first)))) {
      winner = item;
    }
  }
  if (winner === undefined) return undefined;
  const [text, e] = winner;
  const share = total > 0 ? e.weight / total : e.count / voters;
  return { text, weight: e.weight, share, count: e.count, bestScore: e.bestScore };
}

/** The attempt with the largest score × size (ties: the earliest), or undefined for none. */
export function bestAttempt<A extends Attempt>(attempts: readonly A[]): A | undefined {
  let best: A | undefined;
  let bestWeight = -Infinity;
  for (const a of attempts) {
    const w = weightOf(a);
    if (w > bestWeight) {
      best = a;
      bestWeight = w;
    }
  }
  return best;
}

/** True once at least `minAgreeing` attempts read the vote's leading text with score ≥ `minScore`. */
export function shouldEmitEarly(attempts: readonly TextAttempt[], options: EarlyEmitOptions = {}): boolean {
  const minScore = options.minScore ?? EARLY_EMIT_DEFAULTS.minScore;
  const minAgreeing = options.minAgreeing ?? EARLY_EMIT_DEFAULTS.minAgreeing;
  if (!(Number.isInteger(minAgreeing) && minAgreeing >= 1)) throw new RangeError('shouldEmitEarly: minAgreeing must be an integer ≥ 1');
  const leader = voteText(attempts);
  if (leader === undefined) return false;
  let agreeing = 0;
  for (const a of attempts) if (a.text === leader.text && a.score >= minScore) agreeing += 1;
  return agreeing >= minAgreeing;
}
