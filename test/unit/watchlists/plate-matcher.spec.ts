import { describe, expect, it } from 'vitest';
import { CONFUSION_CLASSES, PlateMatcher, type PlateEntryRef } from '../../../command-ui/server/services/watchlists/plate-matcher.ts';
import { seededRandom } from '../../helpers/seeded-random.ts';

let seq = 0;
function entry(pattern: string, opts: Partial<PlateEntryRef> = {}): PlateEntryRef {
  seq++;
  return {
    entryId: `e${seq}`,
    watchlistId: 'w1',
    pattern,
    kind: /[*?]/.test(pattern) ? 'wildcard' : 'exact',
    tolerance: 0,
    ignoreProvince: false,
    ...opts,
  };
}

const ids = (m: PlateMatcher, read: string) => m.match(read).map((h) => h.entryId);

describe('PlateMatcher: exact and wildcard', () => {
  it('matches an exact plate and nothing else at tolerance 0', () => {
    const e = entry('京A12345');
    const m = new PlateMatcher([e, entry('京A12346'), entry('沪A12345')]);
    expect(m.size).toBe(3);
    expect(m.match('京A12345')).toEqual([{ entryId: e.entryId, watchlistId: 'w1', pattern: '京A12345', score: 1, misreads: 0, provinceIgnored: false }]);
    expect(m.match(' 京a·12345 ')).toHaveLength(1); // the read is normalised too
    expect(m.match('京A1234')).toEqual([]); // length must agree
    expect(m.match('京A123456')).toEqual([]);
    expect(m.match('京A12S45')).toEqual([]); // a misread is not tolerated at 0
    expect(m.match('')).toEqual([]);
  });

  it('wildcards: ? is exactly one character, * any run (also none)', () => {
    const q = entry('京A?23?5');
    const tail = entry('*1234');
    const head = entry('京A12*');
    const mid = entry('京*345');
    const m = new PlateMatcher([q, tail, head, mid]);
    expect(ids(m, '京AX23Y5')).toEqual([q.entryId]);
    expect(new Set(ids(m, '京AX2345'))).toEqual(new Set([q.entryId, mid.entryId]));
    expect(ids(m, '京AX235')).toEqual([]); // ? does not match nothing; * is not in q
    expect(new Set(ids(m, '沪B51234'))).toEqual(new Set([tail.entryId]));
    expect(new Set(ids(m, '京A12'))).toEqual(new Set([head.entryId])); // * matches the empty run
    expect(new Set(ids(m, '京A12345'))).toEqual(new Set([head.entryId, mid.entryId, q.entryId]));
    expect(ids(m, '沪A12345')).toEqual([]);
  });

  it('patterns are canonicalised like listings: a typed O or I stands for 0 or 1', () => {
    const m = new PlateMatcher([entry('京a1o3i5')]);
    expect(m.match('京A10315')).toHaveLength(1);
    expect(m.match('京A10315')[0]!.misreads).toBe(0);
  });
});

describe('PlateMatcher: fuzzy', () => {
  // Each pair: listed character, a misread of it. Placed at position 3 of 京A1?345 (or 京A12345 for letters).
  const pairs: Array<[string, string]> = [
    ['0', 'D'], ['0', 'Q'], ['D', 'Q'], ['D', '0'], ['8', 'B'], ['B', '8'], ['1', 'I'], ['2', 'Z'], ['Z', '2'], ['5', 'S'], ['S', '5'], ['6', 'G'], ['G', '6'],
  ];
  for (const [listed, read] of pairs) {
    it(`tolerates ${listed} read as ${read} at tolerance 1, not at 0`, () => {
      const strict = entry(`京A1${listed}345`, { tolerance: 0 });
      const tolerant = entry(`京A1${listed}345`, { tolerance: 1 });
      const m = new PlateMatcher([strict, tolerant]);
      const hits = m.match(`京A1${read}345`);
      expect(hits.map((h) => h.entryId)).toEqual([tolerant.entryId]);
      expect(hits[0]).toMatchObject({ misreads: 1, provinceIgnored: false });
      expect(hits[0]!.score).toBeLessThan(1);
    });
  }

  it('a read O counts as a misread of 0 (reads keep their O)', () => {
    const m = new PlateMatcher([entry('京A10345', { tolerance: 1 }), entry('京A10346')]);
    expect(m.match('京A1O345')).toMatchObject([{ misreads: 1 }]);
  });

  it('documents the classes it uses', () => {
    expect(CONFUSION_CLASSES).toEqual(['0DQO', '8B', '1I', '2Z', '5S', '6G']);
  });

  it('does not tolerate characters of different classes (4/A, 7/T, 3/8)', () => {
    const m = new PlateMatcher([entry('京A12345', { tolerance: 2 })]);
    expect(m.match('京A12A45')).toEqual([]);
    expect(m.match('京A1234T')).toEqual([]);
    expect(m.match('京A12845')).toEqual([]);
  });

  it('two misreads: refused at tolerance 1, accepted at 2 with a lower score', () => {
    const one = entry('京A12345', { tolerance: 1 });
    const two = entry('京A12345', { tolerance: 2 });
    const m = new PlateMatcher([one, two]);
    expect(m.match('京AIZ345').map((h) => [h.entryId, h.misreads])).toEqual([[two.entryId, 2]]);
    expect(m.match('京AIZ3S5')).toEqual([]); // three
    const single = m.match('京A1Z345');
    expect(single.map((h) => h.misreads)).toEqual([1, 1]);
    expect(m.match('京AIZ345')[0]!.score).toBeLessThan(single[0]!.score);
  });

  it('a wrong province character: one misread unless the list ignores the province', () => {
    const counted0 = entry('京A12345', { tolerance: 0 });
    const counted1 = entry('京A12345', { tolerance: 1 });
    const ignored = entry('京A12345', { tolerance: 0, ignoreProvince: true });
    const m = new PlateMatcher([counted0, counted1, ignored]);
    const hits = m.match('津A12345');
    expect(hits.find((h) => h.entryId === counted0.entryId)).toBeUndefined();
    expect(hits.find((h) => h.entryId === counted1.entryId)).toMatchObject({ misreads: 1, provinceIgnored: false });
    expect(hits.find((h) => h.entryId === ignored.entryId)).toMatchObject({ misreads: 0, provinceIgnored: true });
    // Ignoring the province does not ignore a letter in its place, nor a second misread at tolerance 0.
    expect(m.match('AA12345')).toEqual([]);
    // 津A1Z345: the province (counted) and Z for 2 are two misreads for counted1; Z alone is over 0 for the others.
    expect(ids(m, '津A1Z345')).toEqual([]);
    // With the right province, provinceIgnored stays false.
    expect(m.match('京A12345').find((h) => h.entryId === ignored.entryId)).toMatchObject({ score: 1, provinceIgnored: false });
  });

  it('a read that lost its province character matches only lists that ignore the province', () => {
    const ignored = entry('沪A12345', { ignoreProvince: true });
    const ignoredTolerant = entry('京B54321', { ignoreProvince: true, tolerance: 1 });
    const counted = entry('沪A12345', { tolerance: 2 });
    const m = new PlateMatcher([ignored, ignoredTolerant, counted]);
    expect(m.match('A12345')).toEqual([expect.objectContaining({ entryId: ignored.entryId, misreads: 0, provinceIgnored: true })]);
    expect(m.match('A12345')[0]!.score).toBeLessThan(1);
    // The rest still follows the list's tolerance.
    expect(ids(m, 'B5432I')).toEqual([ignoredTolerant.entryId]);
    expect(ids(m, 'A1Z345')).toEqual([]);
    // Only a missing first character: a read missing another one, or one character short of a wildcard, is not it.
    expect(ids(m, 'A1234')).toEqual([]);
    expect(ids(m, '沪A1234')).toEqual([]);
  });

  it('province tolerance with a misread: ignoreProvince + tolerance 1 takes both', () => {
    const e = entry('京A12345', { tolerance: 1, ignoreProvince: true });
    const m = new PlateMatcher([e]);
    expect(m.match('津A1Z345')).toMatchObject([{ entryId: e.entryId, misreads: 1, provinceIgnored: true }]);
    expect(m.match('津AIZ345')).toEqual([]);
  });

  it('fuzzy wildcards: misreads in the listed characters of ? and * patterns', () => {
    const q = entry('京A?2345', { tolerance: 1 });
    const star = entry('*B1234', { tolerance: 1 });
    const m = new PlateMatcher([q, star]);
    expect(m.match('京AXZ345')).toMatchObject([{ entryId: q.entryId, misreads: 1 }]);
    expect(m.match('沪A81234')).toMatchObject([{ entryId: star.entryId, misreads: 1 }]);
    expect(m.match('沪A8I234')).toEqual([]);
    const star0 = new PlateMatcher([entry('*B1234')]);
    expect(star0.match('沪A81234')).toEqual([]);
    expect(star0.match('沪AB1234')).toHaveLength(1);
  });
});

describe('PlateMatcher: scores, hits, replace', () => {
  it('orders hits: exact > ignored province > one misread > narrow wildcard > broad wildcard', () => {
    const exact = entry('京A12345');
    const misread = entry('京A1Z345', { tolerance: 1 });
    const province = entry('沪A12345', { ignoreProvince: true });
    const narrow = entry('京A1234?');
    const broad = entry('*345');
    const m = new PlateMatcher([broad, narrow, province, misread, exact]);
    const hits = m.match('京A12345');
    // 1; 1 − 0.1 (province ignored); 1 − 0.15 (one misread); 0.5 + 0.4 × 6/7; 0.5 + 0.4 × 3/7.
    expect(hits.map((h) => h.entryId)).toEqual([exact.entryId, province.entryId, misread.entryId, narrow.entryId, broad.entryId]);
    const score = (id: string) => hits.find((h) => h.entryId === id)!.score;
    expect(score(exact.entryId)).toBe(1);
    expect(score(province.entryId)).toBeLessThan(1);
    expect(score(misread.entryId)).toBeLessThan(score(province.entryId));
    expect(score(narrow.entryId)).toBeLessThan(Math.min(score(misread.entryId), score(province.entryId)));
    expect(score(broad.entryId)).toBeLessThan(score(narrow.entryId));
    for (let i = 1; i < hits.length; i++) expect(hits[i - 1]!.score).toBeGreaterThanOrEqual(hits[i]!.score);
  });

  it('one hit per entry, even when listed twice or when a * pattern aligns several ways', () => {
    const a = entry('京A12345', { tolerance: 1 });
    const starry = entry('*3*', { tolerance: 0 });
    const m = new PlateMatcher([a, { ...a, tolerance: 0 }, starry, { ...starry, pattern: '京*3*' }]);
    const hits = m.match('京A12345');
    expect(hits.map((h) => h.entryId).sort()).toEqual([a.entryId, starry.entryId].sort());
    expect(hits.find((h) => h.entryId === a.entryId)!.misreads).toBe(0);
  });

  it('replace() takes effect for the next read, and drops what was removed', () => {
    const first = entry('京A12345');
    const second = entry('沪B54321');
    const m = new PlateMatcher([first]);
    expect(ids(m, '京A12345')).toEqual([first.entryId]);
    m.replace([second]);
    expect(m.size).toBe(1);
    expect(ids(m, '京A12345')).toEqual([]);
    expect(ids(m, '沪B54321')).toEqual([second.entryId]);
    m.replace([{ ...second, tolerance: 1 }]);
    expect(ids(m, '沪854321')).toEqual([second.entryId]);
    m.replace([]);
    expect(m.size).toBe(0);
    expect(m.match('沪B54321')).toEqual([]);
  });

  it('carries the watchlist id and the canonical pattern on each hit', () => {
    const m = new PlateMatcher([entry('京a12345', { watchlistId: 'red-list' })]);
    expect(m.match('京A12345')[0]).toMatchObject({ watchlistId: 'red-list', pattern: '京A12345' });
  });
});

describe('PlateMatcher: the index finds what a brute-force search finds', () => {
  // An independent reference: every entry against every read, by recursion over the pattern.
  const PROVINCES = new Set(Array.from('京沪津渝冀晋蒙辽吉黑苏浙皖闽赣鲁豫鄂湘粤桂琼川贵云藏陕甘青宁新'));
  const sameClass = (a: string, b: string) => CONFUSION_CLASSES.some((c) => c.includes(a) && c.includes(b));
  function reference(p: readonly string[], r: readonly string[], ignoreProvince: boolean): number {
    if (p.length === 0) return r.length === 0 ? 0 : Infinity;
    const [t, ...rest] = p;
    if (t === '*') {
      let best = Infinity;
      for (let k = 0; k <= r.length; k++) best = Math.min(best, reference(rest, r.slice(k), ignoreProvince));
      return best;
    }
    if (r.length === 0) return Infinity;
    const c = r[0]!;
    let cost: number;
    if (t === '?' || t === c) cost = 0;
    else if (PROVINCES.has(t!) && PROVINCES.has(c)) cost = ignoreProvince ? 0 : 1;
    else if (sameClass(t!, c)) cost = 1;
    else return Infinity;
    return cost + reference(rest, r.slice(1), ignoreProvince);
  }

  it('on random plates, patterns (exact, ?, * at the start, middle, end, both ends) and misread reads', () => {
    const r = seededRandom(3);
    // A small alphabet so that fuzzy and wildcard collisions are frequent.
    const provinces = '京津沪';
    const chars = '0DQ8B125SZ6GA3';
    const pick = (s: string) => s[Math.floor(r() * s.length)]!;
    const plate = () => pick(provinces) + pick('ABD') + Array.from({ length: 5 }, () => pick(chars)).join('');
    const wild = (p: string) => {
      const c = Array.from(p);
      const k = r();
      if (k < 0.25) {
        c[1 + Math.floor(r() * 6)] = '?';
        return c.join('');
      }
      if (k < 0.45) return `*${c.slice(-4).join('')}`;
      if (k < 0.65) return `${c.slice(0, 4).join('')}*`;
      if (k < 0.8) return `${c.slice(0, 3).join('')}*${c.slice(-2).join('')}`;
      return `*${c.slice(2, 5).join('')}*`;
    };
    const entries: PlateEntryRef[] = Array.from({ length: 400 }, (_, i) => {
      const p = plate();
      const pattern = r() < 0.4 ? wild(p) : p;
      return { entryId: `r${i}`, watchlistId: 'w', pattern, kind: /[*?]/.test(pattern) ? 'wildcard' : 'exact', tolerance: i % 3, ignoreProvince: i % 4 === 0 };
    });
    const m = new PlateMatcher(entries);
    let compared = 0;
    let matched = 0;
    for (let n = 0; n < 300; n++) {
      const base = r() < 0.7 ? entries[Math.floor(r() * entries.length)]!.pattern.replace(/[*?]/g, () => pick(chars)) : plate();
      const read = Array.from(base).map((c) => (r() < 0.15 ? pick(chars) : c)).join('');
      const expected = entries
        .map((e) => ({ e, cost: reference(Array.from(e.pattern), Array.from(read), e.ignoreProvince) }))
        .filter(({ e, cost }) => cost <= e.tolerance)
        .map(({ e, cost }) => `${e.entryId}:${cost}`)
        .sort();
      const got = m.match(read).map((h) => `${h.entryId}:${h.misreads}`).sort();
      expect({ read, got }).toEqual({ read, got: expected });
      compared++;
      matched += expected.length;
    }
    expect(compared).toBe(300);
    expect(matched).toBeGreaterThan(100); // the test exercises hits, not only misses
  });
});
