/**
 * Matching plate reads against the plate entries of all active watchlists. Pure: no I/O; the caller
 * hands in the entries (`replace`) and each read (`match`).
 *
 * ## Rules
 * - A read is compared as `normalizePlateText` gives it (NFKC, upper case, no spaces or separators).
 *   Patterns are stored canonical (plate-pattern.ts: also O → 0 and I → 1, because a listed O/I can
 *   only be a typing of 0/1). Reads keep an O or I: no plate has one, so a read that does is a misread
 *   and is counted as one (O is in the class of 0, I in the class of 1).
 * - A *misread* is one character of the read replaced by another of the same confusion class, at the
 *   same position. The classes (`CONFUSION_CLASSES`) are the recogniser confusions the issue names,
 *   plus 6/G:
 *     {0, D, Q, O}  round shapes (O only ever in reads, see above)
 *     {8, B}        {1, I}        {2, Z}        {5, S}
 *     {6, G}        the same closed bowl with an open top: a frequent LPR/OCR confusion, and both
 *                   characters are used on plates (G is an office letter and a new-energy class letter).
 *   Confusions across different glyph shapes (e.g. 4/A, 7/T) are not tolerated: each class widens
 *   every tolerant list, so only well-known pairs are in.
 * - A *wrong province character*: the listed and the read character are both province characters and
 *   differ (at the first position, or after WJ). With `ignoreProvince` it is free (the hit says
 *   `provinceIgnored: true`); without, it counts as one misread.
 * - A *lost province character*: a read that does not start with a province character (the recogniser
 *   dropped it: `A12345` for 沪A12345) matches an exact listing that starts with one only with
 *   `ignoreProvince`, as a province change would (the rest compared as above).
 * - Any other difference (a character of another class, a missing or extra character) means no match:
 *   lengths must agree, except where a `*` in the pattern stands for a run of characters.
 * - `?` matches exactly one character and `*` any run (also none); wildcard positions cost nothing.
 * - An entry matches when its misreads ≤ its list's `tolerance` (0..2; with several possible
 *   alignments of a `*` pattern the one with the fewest misreads counts).
 *
 * ## Score (1 = exact, best first)
 *   score = specificity − 0.15 × misreads − (0.1 if a different province was ignored)
 * where specificity is 1 for an exact pattern and 0.5 + 0.4 × (listed characters ÷ read length) for a
 * wildcard pattern (at most 0.9), so an exact listing outranks a pattern and a narrow pattern a broad
 * one. Hits are sorted by score, then fewer misreads, then entry id; one hit per entry (its best).
 *
 * ## Cost
 * Exact entries are indexed by their *confusion key*: every character replaced by its class's
 * representative and every province character by '#'. A tolerated misread or province change never
 * changes the key, so a read's candidates are the entries under its own key: one hash lookup, then a
 * positional check of the few candidates. Wildcard entries are indexed the same way by an *anchor*:
 * their longest run of listed characters (up to 4) that stands at a fixed place in every read they can
 * match (counted from the read's start before the first `*`, or from its end after the last `*`; for
 * patterns without `*` also the read length). A read looks up each anchor kind in use (a few dozen at
 * most), then checks the candidates: position by position without `*`, with `*` a regular expression
 * over the confusion key and then a small dynamic programme for the alignment with the fewest misreads.
 * Only patterns with no fixed-place listed character (`*123*`) are checked one by one. See
 * bench/matching.bench.ts for the numbers.
 */
import { normalizePlateText } from '../../../../contracts/sightings.ts';
import { canonicalPlateText, isProvinceChar, type PlatePatternKind } from './plate-pattern.ts';

export interface PlateEntryRef {
  entryId: string;
  watchlistId: string;
  /** As `parsePlatePattern` stored it (it is canonicalised again here, so a raw listing works too). */
  pattern: string;
  /** Informational: the matcher tells exact from wildcard patterns by their characters. */
  kind: PlatePatternKind;
  /** 0..2 misreads tolerated for this list (clamped to 0..2, fractions rounded down). */
  tolerance: number;
  ignoreProvince: boolean;
}

export interface PlateHit {
  entryId: string;
  watchlistId: string;
  pattern: string;
  /** 1 exact, lower with each tolerated misread (see the file comment). */
  score: number;
  misreads: number;
  provinceIgnored: boolean;
}

/** Characters a recogniser confuses; a substitution within one class is one misread. */
export const CONFUSION_CLASSES: readonly string[] = Object.freeze(['0DQO', '8B', '1I', '2Z', '5S', '6G']);
/** Score lost per misread. */
export const MISREAD_PENALTY = 0.15;
/** Score lost when a different province character was ignored. */
export const PROVINCE_IGNORED_PENALTY = 0.1;
/** The highest tolerance a list may have. */
export const MAX_TOLERANCE = 2;

const CLASS_OF = new Map<string, string>();
for (const cls of CONFUSION_CLASSES) for (const c of cls) CLASS_OF.set(c, cls[0]!);

/** The confusion key of one character: its class representative, '#' for a province, else itself. */
function keyChar(c: string): string {
  if (isProvinceChar(c)) return '#';
  return CLASS_OF.get(c) ?? c;
}

/** The confusion key of a text (see the file comment): equal keys are necessary for a tolerated match. */
export function confusionKey(chars: readonly string[]): string {
  let out = '';
  for (const c of chars) out += c === '*' || c === '?' ? c : keyChar(c);
  return out;
}

/**
 * The cost of reading `r` where `p` is listed: 0 same; PROVINCE_FREE a different province, ignored;
 * MISREAD a misread (or a different province, counted); NO_MATCH otherwise. Costs add up as
 * misreads × MISREAD + ignored provinces, so comparing sums compares misreads first.
 */
const MISREAD = 16;
const PROVINCE_FREE = 1;
const NO_MATCH = Number.POSITIVE_INFINITY;

function charCost(p: string, r: string, ignoreProvince: boolean): number {
  if (p === r || p === '?') return 0;
  if (isProvinceChar(p)) {
    if (!isProvinceChar(r)) return NO_MATCH;
    return ignoreProvince ? PROVINCE_FREE : MISREAD;
  }
  const cp = CLASS_OF.get(p);
  return cp !== undefined && cp === CLASS_OF.get(r) ? MISREAD : NO_MATCH;
}

interface Compiled {
  ref: PlateEntryRef;
  pattern: string;
  chars: string[];
  wildcard: boolean;
  star: boolean;
  /** Characters other than wildcards. */
  literals: number;
  /** Fewest read characters the pattern can match. */
  minLength: number;
  tolerance: number;
  /** `*` patterns: a necessary condition on the read's confusion key. */
  keyRegex: RegExp | undefined;
}

/**
 * Where a wildcard pattern's longest run of listed characters stands at a fixed place in any read it
 * matches: `offset` characters from the read's start (before the pattern's first `*`) or from its end
 * (after the last `*`), `length` characters (at most ANCHOR_MAX). For patterns without `*`, the read's
 * length is fixed too (`readLength`; 0 for `*` patterns).
 */
interface Anchor {
  fromEnd: boolean;
  offset: number;
  length: number;
  readLength: number;
}
const ANCHOR_MAX = 4;
const anchorId = (a: Anchor) => `${a.fromEnd ? 'E' : 'S'}${a.offset}.${a.length}.${a.readLength}`;

/** The longest run of literal characters in `chars` (start index, length), or undefined if none. */
function longestLiteralRun(chars: readonly string[]): { start: number; length: number } | undefined {
  let best: { start: number; length: number } | undefined;
  let start = -1;
  for (let i = 0; i <= chars.length; i++) {
    const literal = i < chars.length && chars[i] !== '*' && chars[i] !== '?';
    if (literal && start < 0) start = i;
    if (!literal && start >= 0) {
      if (!best || i - start > best.length) best = { start, length: i - start };
      start = -1;
    }
  }
  return best;
}

/** The anchor of a wildcard pattern, or undefined when no listed character has a fixed place (e.g. `*123*`). */
function anchorOf(chars: readonly string[]): Anchor | undefined {
  const firstStar = chars.indexOf('*');
  if (firstStar < 0) {
    const run = longestLiteralRun(chars);
    return run && { fromEnd: false, offset: run.start, length: Math.min(ANCHOR_MAX, run.length), readLength: chars.length };
  }
  const head = longestLiteralRun(chars.slice(0, firstStar));
  const tail = chars.slice(chars.lastIndexOf('*') + 1);
  const tailRun = longestLiteralRun(tail);
  if (tailRun && (!head || tailRun.length > head.length)) {
    const length = Math.min(ANCHOR_MAX, tailRun.length);
    // Offset from the read's end of the anchor's first character, counted so that key.slice(m - offset, m - offset + length).
    return { fromEnd: true, offset: tail.length - tailRun.start, length, readLength: 0 };
  }
  return head && { fromEnd: false, offset: head.start, length: Math.min(ANCHOR_MAX, head.length), readLength: 0 };
}

/** The anchor's text in a read's confusion key, or undefined when the read is too short or of the wrong length. */
function anchorText(a: Anchor, key: string): string | undefined {
  const m = key.length;
  if (a.readLength > 0 && m !== a.readLength) return undefined;
  const start = a.fromEnd ? m - a.offset : a.offset;
  if (start < 0 || start + a.length > m) return undefined;
  return key.slice(start, start + a.length);
}

const escapeRegex = (s: string) => s.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');

function compile(ref: PlateEntryRef): Compiled | undefined {
  const pattern = canonicalPlateText(ref.pattern);
  const chars = Array.from(pattern);
  const literals = chars.filter((c) => c !== '*' && c !== '?').length;
  if (literals === 0) return undefined;
  const star = chars.includes('*');
  const wildcard = star || chars.includes('?');
  let keyRegex: RegExp | undefined;
  if (star) {
    const body = chars.map((c) => (c === '*' ? '.*' : c === '?' ? '.' : escapeRegex(keyChar(c)))).join('');
    keyRegex = new RegExp(`^${body}$`, 'u');
  }
  const tolerance = Math.max(0, Math.min(MAX_TOLERANCE, Math.floor(Number.isFinite(ref.tolerance) ? ref.tolerance : 0)));
  return { ref, pattern, chars, wildcard, star, literals, minLength: chars.filter((c) => c !== '*').length, tolerance, keyRegex };
}

/** Sum of `charCost` position by position (same length), stopping once over the limit. */
function positionalCost(p: readonly string[], r: readonly string[], ignoreProvince: boolean, limit: number): number {
  let cost = 0;
  for (let i = 0; i < p.length; i++) {
    cost += charCost(p[i]!, r[i]!, ignoreProvince);
    if (cost > limit) return NO_MATCH;
  }
  return cost;
}

/** Least total cost of aligning a pattern with `*` to the read (dynamic programme over tokens × read). */
function alignedCost(p: readonly string[], r: readonly string[], ignoreProvince: boolean): number {
  const m = r.length;
  let prev = new Array<number>(m + 1).fill(NO_MATCH);
  let cur = new Array<number>(m + 1).fill(NO_MATCH);
  prev[0] = 0;
  for (const t of p) {
    if (t === '*') {
      cur[0] = prev[0]!;
      for (let j = 1; j <= m; j++) cur[j] = Math.min(prev[j]!, cur[j - 1]!);
    } else {
      cur[0] = NO_MATCH;
      for (let j = 1; j <= m; j++) cur[j] = prev[j - 1]! + charCost(t, r[j - 1]!, ignoreProvince);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[m]!;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export class PlateMatcher {
  /** Exact entries by confusion key. */
  #exact = new Map<string, Compiled[]>();
  /** Wildcard entries by anchor kind, then by the anchor's text in the confusion key. */
  #anchored = new Map<string, { anchor: Anchor; byText: Map<string, Compiled[]> }>();
  /** Wildcard entries without an anchor (every listed character between two `*`): checked one by one. */
  #loose: Compiled[] = [];
  #size = 0;

  constructor(entries?: readonly PlateEntryRef[]) {
    if (entries) this.replace(entries);
  }

  /** Replace all entries at once (entries whose pattern has no listed character are left out). */
  replace(entries: readonly PlateEntryRef[]): void {
    const exact = new Map<string, Compiled[]>();
    const anchored = new Map<string, { anchor: Anchor; byText: Map<string, Compiled[]> }>();
    const loose: Compiled[] = [];
    const push = <K>(map: Map<K, Compiled[]>, key: K, c: Compiled) => {
      const list = map.get(key);
      if (list) list.push(c);
      else map.set(key, [c]);
    };
    let size = 0;
    for (const ref of entries) {
      const c = compile(ref);
      if (!c) continue;
      size++;
      if (!c.wildcard) {
        push(exact, confusionKey(c.chars), c);
        continue;
      }
      const anchor = anchorOf(c.chars);
      if (!anchor) {
        loose.push(c);
        continue;
      }
      const id = anchorId(anchor);
      let group = anchored.get(id);
      if (!group) anchored.set(id, (group = { anchor, byText: new Map() }));
      const key = confusionKey(c.chars);
      const start = anchor.fromEnd ? key.length - anchor.offset : anchor.offset;
      push(group.byText, key.slice(start, start + anchor.length), c);
    }
    this.#exact = exact;
    this.#anchored = anchored;
    this.#loose = loose;
    this.#size = size;
  }

  /** Number of entries held. */
  get size(): number {
    return this.#size;
  }

  /** The entries a plate read matches, best first, one hit per entry. */
  match(text: string): PlateHit[] {
    const read = Array.from(normalizePlateText(text));
    if (read.length === 0) return [];
    const key = confusionKey(read);
    const best = new Map<string, PlateHit>();
    const consider = (c: Compiled, cost: number) => {
      const misreads = Math.floor(cost / MISREAD);
      if (!Number.isFinite(cost) || misreads > c.tolerance) return;
      const provinceIgnored = cost % MISREAD > 0;
      const specificity = c.wildcard ? Math.min(0.9, 0.5 + (0.4 * c.literals) / read.length) : 1;
      const score = round3(Math.max(0.01, specificity - MISREAD_PENALTY * misreads - (provinceIgnored ? PROVINCE_IGNORED_PENALTY : 0)));
      const hit: PlateHit = { entryId: c.ref.entryId, watchlistId: c.ref.watchlistId, pattern: c.pattern, score, misreads, provinceIgnored };
      const prior = best.get(hit.entryId);
      if (!prior || hit.score > prior.score || (hit.score === prior.score && hit.misreads < prior.misreads)) best.set(hit.entryId, hit);
    };
    const check = (c: Compiled) => {
      if (!c.star) {
        if (c.chars.length === read.length) consider(c, positionalCost(c.chars, read, c.ref.ignoreProvince, c.tolerance * MISREAD + MISREAD - 1));
      } else if (c.minLength <= read.length && c.keyRegex!.test(key)) {
        consider(c, alignedCost(c.chars, read, c.ref.ignoreProvince));
      }
    };
    for (const c of this.#exact.get(key) ?? []) check(c);
    // The province character lost by the recogniser: listings of one more character under '#' + key.
    if (!isProvinceChar(read[0]!)) {
      for (const c of this.#exact.get(`#${key}`) ?? []) {
        if (!c.ref.ignoreProvince || c.chars.length !== read.length + 1 || !isProvinceChar(c.chars[0]!)) continue;
        const rest = positionalCost(c.chars.slice(1), read, true, c.tolerance * MISREAD + MISREAD - 1);
        consider(c, rest + PROVINCE_FREE);
      }
    }
    for (const { anchor, byText } of this.#anchored.values()) {
      const t = anchorText(anchor, key);
      if (t === undefined) continue;
      for (const c of byText.get(t) ?? []) check(c);
    }
    for (const c of this.#loose) check(c);
    return [...best.values()].sort((a, b) => b.score - a.score || a.misreads - b.misreads || (a.entryId < b.entryId ? -1 : a.entryId > b.entryId ? 1 : 0));
  }
}
