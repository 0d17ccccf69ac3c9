import { describe, expect, it } from 'vitest';
import { EARLY_EMIT_DEFAULTS, bestAttempt, shouldEmitEarly, voteText, type TextAttempt } from '../../../analytics/tracking/track-vote.ts';

const read = (text: string, score: number, size: number): TextAttempt => ({ text, score, size });

describe('voteText', () => {
  it('sums score × size per text', () => {
    const attempts = [read('京A12345', 0.9, 100), read('津A12345', 0.95, 50), read('京A12345', 0.5, 100)];
    const vote = voteText(attempts);
    const a = 0.9 * 100 + 0.5 * 100;
    const b = 0.95 * 50;
    expect(vote).toEqual({ text: '京A12345', weight: a, share: a / (a + b), count: 2, bestScore: 0.9 });
  });

  it('lets one large, clear read outweigh several small ones', () => {
    const attempts = [read('B', 0.9, 20), read('B', 0.9, 20), read('B', 0.9, 20), read('A', 0.8, 100)];
    expect(voteText(attempts)?.text).toBe('A');
    // …but enough small reads win.
    expect(voteText([...attempts, read('B', 0.9, 20), read('B', 0.9, 20)])?.text).toBe('B');
  });

  it('breaks ties by the highest single score, then by first seen', () => {
    expect(voteText([read('A', 0.5, 100), read('B', 1, 50)])?.text).toBe('B');
    expect(voteText([read('B', 1, 50), read('A', 0.5, 100)])?.text).toBe('B');
    expect(voteText([read('A', 0.5, 10), read('B', 0.5, 10)])?.text).toBe('A');
    expect(voteText([read('B', 0.5, 10), read('A', 0.5, 10)])?.text).toBe('B');
  });

  it('ignores empty texts and returns undefined when nothing votes', () => {
    expect(voteText([])).toBeUndefined();
    expect(voteText([read('', 0.9, 100)])).toBeUndefined();
    const vote = voteText([read('', 0.99, 500), read('A', 0.5, 10)]);
    expect(vote?.text).toBe('A');
    expect(vote?.share).toBe(1);
  });

  it('shares by count when every weight is zero', () => {
    const vote = voteText([read('A', 0, 10), read('A', 0.9, 0), read('B', 0, 0)]);
    expect(vote?.text).toBe('A');
    expect(vote?.share).toBeCloseTo(2 / 3, 12);
  });

  it('refuses negative or non-finite scores and sizes', () => {
    expect(() => voteText([read('A', -0.1, 10)])).toThrow(RangeError);
    expect(() => voteText([read('A', 0.5, Number.NaN)])).toThrow(RangeError);
    expect(() => bestAttempt([{ score: 0.5, size: -1 }])).toThrow(RangeError);
  });
});

describe('bestAttempt', () => {
  it('returns the attempt with the largest score × size, extra fields intact', () => {
    const faces = [
      { score: 0.9, size: 40, crop: 'small-sharp' },
      { score: 0.6, size: 90, crop: 'large' },
      { score: 0.95, size: 50, crop: 'medium' },
    ];
    expect(bestAttempt(faces)).toBe(faces[1]);
    expect(bestAttempt([])).toBeUndefined();
    const tie = [{ score: 0.5, size: 10, n: 1 }, { score: 1, size: 5, n: 2 }];
    expect(bestAttempt(tie)?.n).toBe(1);
  });
});

describe('shouldEmitEarly', () => {
  it('defaults to two agreeing reads scoring at least 0.8', () => {
    expect(EARLY_EMIT_DEFAULTS).toEqual({ minScore: 0.8, minAgreeing: 2 });
    expect(shouldEmitEarly([read('A', 0.99, 100)])).toBe(false);
    expect(shouldEmitEarly([read('A', 0.85, 100), read('A', 0.8, 100)])).toBe(true);
    expect(shouldEmitEarly([read('A', 0.85, 100), read('A', 0.79, 100)])).toBe(false);
    expect(shouldEmitEarly([read('A', 0.85, 100), read('B', 0.9, 100)])).toBe(false);
    expect(shouldEmitEarly([])).toBe(false);
  });

  it('counts only reads of the leading text', () => {
    // B has two confident reads but A leads the weighted vote.
    const attempts = [read('B', 0.85, 10), read('B', 0.85, 10), read('A', 0.6, 100)];
    expect(voteText(attempts)?.text).toBe('A');
    expect(shouldEmitEarly(attempts)).toBe(false);
    expect(shouldEmitEarly([...attempts, read('A', 0.9, 100), read('A', 0.9, 100)])).toBe(true);
  });

  it('emits on a single confident read with minAgreeing 1', () => {
    expect(shouldEmitEarly([read('A', 0.9, 10)], { minAgreeing: 1 })).toBe(true);
    expect(shouldEmitEarly([read('A', 0.9, 10)], { minAgreeing: 1, minScore: 0.95 })).toBe(false);
    expect(shouldEmitEarly([read('A', 0.9, 10)], { minAgreeing: 1, minScore: undefined })).toBe(true);
    expect(() => shouldEmitEarly([read('A', 0.9, 10)], { minAgreeing: 0 })).toThrow(RangeError);
  });
});
