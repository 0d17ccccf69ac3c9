import { describe, expect, it } from 'vitest';
import { FaceMatcher, type FaceEntryRef } from '../../../command-ui/server/services/watchlists/face-matcher.ts';
import { seededRandom } from '../../helpers/seeded-random.ts';

function unit(v: number[]): number[] {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

function randomUnit(dim: number, next: () => number): number[] {
  return unit(Array.from({ length: dim }, () => next() * 2 - 1));
}

/** A unit vector whose cosine with unit vector `a` is exactly `cos` (b orthogonalised against a). */
function atCosine(a: number[], cos: number, next: () => number): number[] {
  const r = randomUnit(a.length, next);
  const d = r.reduce((s, x, i) => s + x * a[i]!, 0);
  const o = unit(r.map((x, i) => x - d * a[i]!));
  const sin = Math.sqrt(1 - cos * cos);
  return a.map((x, i) => cos * x + sin * o[i]!);
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

const face = (entryId: string, embedding: number[] | Float32Array, opts: Partial<FaceEntryRef> = {}): FaceEntryRef => ({
  entryId,
  watchlistId: 'faces',
  model: 'mobilefacenet',
  embedding,
  threshold: 0.45,
  ...opts,
});

for (const wasm of [true, false]) describe(`FaceMatcher (${wasm ? 'WebAssembly SIMD kernel' : 'JavaScript'})`, () => {
  const next = seededRandom(7);
  const Matcher = class extends FaceMatcher {
    constructor(entries?: readonly FaceEntryRef[]) {
      super(entries, { wasm });
    }
  };

  it(wasm ? 'runs 128-d and 512-d queries in the kernel; other dimensions in JavaScript' : 'runs every query in JavaScript when told to', () => {
    const m = new Matcher([face('a', randomUnit(128, next)), face('b', randomUnit(512, next), { model: 'big' }), face('c', randomUnit(6, next), { model: 'odd' })]);
    expect(m.usesWasm('mobilefacenet')).toBe(wasm);
    expect(m.usesWasm('big')).toBe(wasm);
    expect(m.usesWasm('odd')).toBe(false);
    const e6 = randomUnit(6, next);
    const odd = new Matcher([face('c', e6, { model: 'odd' })]);
    expect(odd.match('odd', e6)).toEqual([{ entryId: 'c', watchlistId: 'faces', score: expect.closeTo(1, 5) as unknown as number }]);
  });
  const query = randomUnit(128, next);

  it('returns the entries above threshold, best first, cosine scores, top-K', () => {
    const cosines = [0.9, 0.5, 0.7, 0.3, 0.8, 0.46, 0.44];
    const entries = cosines.map((c, i) => face(`p${i}`, new Float32Array(atCosine(query, c, next))));
    const m = new Matcher(entries);
    expect(m.size).toBe(7);
    const all = m.match('mobilefacenet', query, 10);
    expect(all.map((h) => h.entryId)).toEqual(['p0', 'p4', 'p2', 'p1', 'p5']); // 0.3 and 0.44 are under 0.45
    expect(all[0]!.score).toBeCloseTo(0.9, 5);
    expect(all[4]!.score).toBeCloseTo(0.46, 5);
    expect(m.match('mobilefacenet', query, 2).map((h) => h.entryId)).toEqual(['p0', 'p4']);
    expect(m.match('mobilefacenet', query).length).toBe(5); // default top 5
    expect(m.match('mobilefacenet', query, 0)).toEqual([]);
  });

  it('applies each entry’s own threshold', () => {
    const strict = face('strict', atCosine(query, 0.6, next), { threshold: 0.65, watchlistId: 'strict-list' });
    const loose = face('loose', atCosine(query, 0.4, next), { threshold: 0.35, watchlistId: 'loose-list' });
    const m = new Matcher([strict, loose]);
    expect(m.match('mobilefacenet', query)).toEqual([{ entryId: 'loose', watchlistId: 'loose-list', score: expect.closeTo(0.4, 5) as unknown as number }]);
    m.replace([{ ...strict, threshold: 0.55 }, loose]);
    expect(m.match('mobilefacenet', query).map((h) => h.entryId)).toEqual(['strict', 'loose']);
  });

  it('one hit per person: the best of several photos', () => {
    const photos = [0.5, 0.85, 0.6].map((c) => face('person', atCosine(query, c, next)));
    const other = face('other', atCosine(query, 0.7, next));
    const m = new Matcher([...photos, other]);
    expect(m.size).toBe(4);
    const hits = m.match('mobilefacenet', query, 5);
    expect(hits.map((h) => h.entryId)).toEqual(['person', 'other']);
    expect(hits[0]!.score).toBeCloseTo(0.85, 5);
  });

  it('never compares embeddings of different models (128-d vs 512-d)', () => {
    const q512 = randomUnit(512, next);
    const m = new Matcher([
      face('small', atCosine(query, 0.9, next)),
      face('large', atCosine(q512, 0.9, next), { model: 'faceplugin_fr_feature' }),
    ]);
    expect(m.dimension('mobilefacenet')).toBe(128);
    expect(m.dimension('faceplugin_fr_feature')).toBe(512);
    expect(m.match('mobilefacenet', query).map((h) => h.entryId)).toEqual(['small']);
    expect(m.match('faceplugin_fr_feature', q512).map((h) => h.entryId)).toEqual(['large']);
    expect(() => m.match('mobilefacenet', q512)).toThrow(RangeError);
    expect(() => m.match('faceplugin_fr_feature', query)).toThrow(RangeError);
    expect(m.match('unknown-model', query)).toEqual([]);
  });

  it('leaves out (and reports) an enrolled embedding of the wrong length for its model', () => {
    const m = new Matcher([face('a', atCosine(query, 0.9, next)), face('b', randomUnit(512, next)), face('c', new Array<number>(128).fill(0))]);
    expect(m.size).toBe(1);
    expect(m.skipped.map((s) => s.entryId)).toEqual(['b', 'c']);
    expect(m.match('mobilefacenet', query).map((h) => h.entryId)).toEqual(['a']);
  });

  it('scores are cosines even when a vector is not normalised', () => {
    const e = atCosine(query, 0.75, next);
    const m = new Matcher([face('x', e.map((v) => v * 3))]);
    expect(m.match('mobilefacenet', query.map((v) => v * 0.2))[0]!.score).toBeCloseTo(0.75, 5);
  });

  it('agrees with a brute-force search on random data', () => {
    const r = seededRandom(11);
    const entries = Array.from({ length: 500 }, (_, i) => face(`e${i % 200}`, randomUnit(128, r), { threshold: 0.1 + r() * 0.1 }));
    const q = entries[17]!.embedding as number[];
    const best = new Map<string, number>();
    for (const e of entries) {
      const s = dot(e.embedding, q);
      if (s >= e.threshold && s > (best.get(e.entryId) ?? -Infinity)) best.set(e.entryId, s);
    }
    const expected = [...best].sort((a, b) => b[1] - a[1]).slice(0, 8);
    const got = new Matcher(entries).match('mobilefacenet', q, 8);
    expect(got.map((h) => h.entryId)).toEqual(expected.map(([id]) => id));
    got.forEach((h, i) => expect(h.score).toBeCloseTo(expected[i]![1], 5));
  });

  it('replace() takes effect for the next query', () => {
    const m = new Matcher([face('old', atCosine(query, 0.9, next))]);
    expect(m.match('mobilefacenet', query).map((h) => h.entryId)).toEqual(['old']);
    m.replace([face('new', atCosine(query, 0.8, next))]);
    expect(m.match('mobilefacenet', query).map((h) => h.entryId)).toEqual(['new']);
    m.replace([]);
    expect(m.size).toBe(0);
    expect(m.match('mobilefacenet', query)).toEqual([]);
  });
});
