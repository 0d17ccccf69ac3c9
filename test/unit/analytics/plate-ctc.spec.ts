import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PLATE_COLOURS } from '../../../contracts/analytics.ts';
import {
  PLATE_ALPHABET,
  PLATE_CLASSES,
  PLATE_COLOUR_ORDER,
  decodePlateColour,
  decodePlateCtc,
  isDistribution,
  meanCharScore,
  softmax,
} from '../../../analytics/plates/plate-ctc.ts';

const MODELS_README = fileURLToPath(new URL('../../../../shared/models/README.md', import.meta.url));
const STEPS = 21;
const CLASSES = 78;

const idx = (c: string): number => {
  const i = PLATE_CLASSES.indexOf(c);
  if (i < 0) throw new Error(`not in alphabet: ${c}`);
  return i;
};

/**
 * A probability tensor whose arg-max path is `path` (class indices, one per step, padded with blanks),
 * the chosen class getting `probs[t]` (default 0.9) and the rest sharing the remainder evenly.
 */
function probabilityTensor(path: number[], probs: number[] = []): Float32Array {
  const out = new Float32Array(STEPS * CLASSES);
  for (let t = 0; t < STEPS; t++) {
    const cls = path[t] ?? 0;
    const p = probs[t] ?? 0.9;
    const rest = (1 - p) / (CLASSES - 1);
    for (let c = 0; c < CLASSES; c++) out[t * CLASSES + c] = c === cls ? p : rest;
  }
  return out;
}

describe('PLATE_ALPHABET', () => {
  it('is exactly the alphabet of the models README, blank first', () => {
    const readme = readFileSync(MODELS_README, 'utf8');
    const match = /Alphabet \(index 0 is the blank `#`\):\s*`([^`]+)`/.exec(readme);
    expect(match).not.toBeNull();
    expect(PLATE_ALPHABET).toBe(match?.[1]);
    expect(PLATE_CLASSES).toHaveLength(CLASSES);
    expect(PLATE_CLASSES[0]).toBe('#');
    expect(PLATE_CLASSES).not.toContain('I');
    expect(PLATE_CLASSES).not.toContain('O');
  });

  it('has the colour order of the contract', () => {
    expect([...PLATE_COLOUR_ORDER]).toEqual([...PLATE_COLOURS]);
  });
});

describe('decodePlateCtc', () => {
  it('takes the arg-max path, collapses repeats and drops blanks', () => {
    const B = 0;
    const path = [B, idx('京'), idx('京'), B, idx('A'), idx('1'), idx('1'), B, idx('2'), idx('3'), B, idx('4'), idx('4'), idx('4'), idx('5'), B];
    const { text, charScores } = decodePlateCtc(probabilityTensor(path), STEPS, CLASSES);
    expect(text).toBe('京A12345');
    expect(charScores).toHaveLength(7);
    for (const s of charScores) expect(s).toBeCloseTo(0.9, 6);
  });

  it('keeps a repeated character separated by a blank', () => {
    const path = [idx('沪'), idx('A'), idx('8'), 0, idx('8'), idx('8'), 0, idx('8'), idx('D'), idx('D')];
    expect(decodePlateCtc(probabilityTensor(path), STEPS, CLASSES).text).toBe('沪A888D');
  });

  it('scores a character by the highest probability of its run', () => {
    const path = [idx('苏'), idx('E'), idx('E'), idx('D')];
    const probs = [0.6, 0.55, 0.95, 0.7];
    const { text, charScores } = decodePlateCtc(probabilityTensor(path, probs), STEPS, CLASSES);
    expect(text).toBe('苏ED');
    expect(charScores[0]).toBeCloseTo(0.6, 6);
    expect(charScores[1]).toBeCloseTo(0.95, 6);
    expect(charScores[2]).toBeCloseTo(0.7, 6);
  });

  it('returns an empty read for all blanks', () => {
    expect(decodePlateCtc(probabilityTensor([]), STEPS, CLASSES)).toEqual({ text: '', charScores: [] });
  });

  it('applies a softmax to logits (detected, or forced) and not to probabilities', () => {
    const path = [idx('粤'), idx('B'), idx('6')];
    const logits = new Float32Array(STEPS * CLASSES);
    for (let t = 0; t < STEPS; t++) {
      for (let c = 0; c < CLASSES; c++) logits[t * CLASSES + c] = Math.sin(t * 7 + c) * 2;
      logits[t * CLASSES + (path[t] ?? 0)] = 6 + t * 0.1;
    }
    const expected = (t: number): number => {
      const row = Array.from(logits.subarray(t * CLASSES, (t + 1) * CLASSES));
      const sum = row.reduce((a, v) => a + Math.exp(v), 0);
      return Math.exp(row[path[t] as number] as number) / sum;
    };
    const auto = decodePlateCtc(logits, STEPS, CLASSES);
    expect(auto.text).toBe('粤B6');
    auto.charScores.forEach((s, t) => expect(s).toBeCloseTo(expected(t), 6));
    expect(decodePlateCtc(logits, STEPS, CLASSES, { scores: 'logits' }).charScores).toEqual(auto.charScores);

    const probs = probabilityTensor(path, [0.5, 0.6, 0.7]);
    expect(decodePlateCtc(probs, STEPS, CLASSES).charScores.map((s) => Number(s.toFixed(6)))).toEqual([0.5, 0.6, 0.7]);
    // Forcing a softmax onto probabilities flattens them: the same text, much lower scores.
    const forced = decodePlateCtc(probs, STEPS, CLASSES, { scores: 'logits' });
    expect(forced.text).toBe('粤B6');
    for (const s of forced.charScores) expect(s).toBeLessThan(0.1);
  });

  it('checks the tensor shape against the alphabet', () => {
    expect(() => decodePlateCtc(new Float32Array(STEPS * CLASSES - 1), STEPS, CLASSES)).toThrow(RangeError);
    expect(() => decodePlateCtc(new Float32Array(STEPS * 77), STEPS, 77)).toThrow(/alphabet/);
    expect(() => decodePlateCtc(new Float32Array(0), 0, CLASSES)).toThrow(RangeError);
    // A custom alphabet works when it matches.
    const tiny = new Float32Array([0.1, 0.8, 0.1, 0.1, 0.1, 0.8]);
    expect(decodePlateCtc(tiny, 2, 3, { alphabet: ['-', 'x', 'y'] }).text).toBe('xy');
  });
});

describe('score helpers', () => {
  it('detects distributions', () => {
    expect(isDistribution([0.2, 0.3, 0.5])).toBe(true);
    expect(isDistribution([0.2, 0.3, 0.4])).toBe(false);
    expect(isDistribution([1.5, -0.5])).toBe(false);
    expect(isDistribution([])).toBe(false);
  });

  it('computes a stable softmax and the mean character score', () => {
    const s = softmax([1000, 1001, 999]);
    expect(s.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(s[1]).toBeCloseTo(Math.exp(1) / (1 + Math.exp(1) + Math.exp(-1)), 12);
    expect(meanCharScore([0.5, 1, 0.75])).toBeCloseTo(0.75, 12);
    expect(meanCharScore([])).toBe(0);
  });
});

describe('decodePlateColour', () => {
  it('picks the colour from probabilities or logits', () => {
    expect(decodePlateColour([0.1, 0.05, 0.7, 0.05, 0.1])).toEqual({ colour: 'green', score: 0.7 });
    const logits = [1, 3, 0, -1, 2];
    const sum = logits.reduce((a, v) => a + Math.exp(v), 0);
    const r = decodePlateColour(logits);
    expect(r.colour).toBe('blue');
    expect(r.score).toBeCloseTo(Math.exp(3) / sum, 12);
    expect(decodePlateColour(new Float32Array([0, 0, 0, 0, 9])).colour).toBe('yellow');
    expect(() => decodePlateColour([1, 2, 3])).toThrow(RangeError);
  });
});
