/**
 * Plate patterns as a watchlist lists them: an exact plate (京A12345) or a pattern with wildcards
 * (`*` any run of characters, also none; `?` exactly one character), e.g. 京A12*, *1234, 粤B?23?5.
 *
 * Parsing normalises what a person typed and refuses what cannot be a plate, saying why:
 * - `normalizePlateText` (NFKC so full-width ＡＢ１２＊？ become ASCII, upper case, no spaces or · . - _);
 * - the letter O becomes the digit 0 and I becomes 1. Chinese plates never use I or O (GA 36 leaves
 *   them out because they would be confused with 1 and 0), and the recogniser cannot output them, so a
 *   listed O or I can only be a person's typing of 0 or 1: kept as typed, the entry could never match.
 *   (If the person meant D or Q, fuzzy tolerance covers it: 0, D and Q are one confusion class.)
 * - runs of `*` collapse to one `*`.
 * Refused: empty; only wildcards; fewer than 3 literal characters (`京A*` would raise an alert for every
 * car from that office); longer than 10 characters; characters outside the plate alphabet (the 31
 * province characters, A–Z without I/O, digits, 警学领港澳挂使民航); special characters out of place
 * (a province after the start, a suffix such as 警 before the end, 使 or 民航 not first); a pattern
 * whose shortest match is longer than any plate (9) or, without `*`, whose length is not a plate's
 * (7–9); and an exact plate that breaks the plate grammar.
 *
 * The grammar for exact plates is the one of analytics/plates/plate-grammar.ts (GA 36 formats the
 * recogniser can read), restated here because command-ui must not import analytics; a unit test
 * (test/unit/watchlists/plate-pattern.spec.ts) checks that the two agree.
 */
import { normalizePlateText } from '../../../../contracts/sightings.ts';

export type PlatePatternKind = 'exact' | 'wildcard';

export type PlatePatternParse = { ok: true; pattern: string; kind: PlatePatternKind } | { ok: false; reason: string };

/** The 31 provincial abbreviations. */
export const PLATE_PROVINCES: readonly string[] = Object.freeze(Array.from('京沪津渝冀晋蒙辽吉黑苏浙皖闽赣鲁豫鄂湘粤桂琼川贵云藏陕甘青宁新'));
/** Letters used on plates: A–Z without I and O. */
export const PLATE_LETTERS = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
/** Final characters of special plates: police, learner, consulate, Hong Kong, Macau, trailer. */
export const PLATE_SUFFIXES = '警学领港澳挂';
/** The longest pattern accepted, in characters (wildcards included). */
export const MAX_PATTERN_LENGTH = 10;
/** The fewest non-wildcard characters a wildcard pattern must have. */
export const MIN_LITERALS = 3;
/** Plate lengths: 7 (standard, special, embassy, civil aviation, short WJ), 8 (new energy, WJ + province), 9 (WJ + code). */
const MIN_PLATE_LENGTH = 7;
const MAX_PLATE_LENGTH = 9;

const PROVINCE_SET = new Set(PLATE_PROVINCES);
const DIGITS = '0123456789';
const HAZARD = new Set(['危', '险', '品']);

export const isProvinceChar = (c: string | undefined): boolean => c !== undefined && PROVINCE_SET.has(c);
const isLetter = (c: string | undefined): boolean => c !== undefined && c.length === 1 && PLATE_LETTERS.includes(c);
const isDigit = (c: string | undefined): boolean => c !== undefined && c.length === 1 && DIGITS.includes(c);
const isAlnum = (c: string | undefined): boolean => isLetter(c) || isDigit(c);
const isSuffix = (c: string | undefined): boolean => c !== undefined && c.length === 1 && PLATE_SUFFIXES.includes(c);
const isWildcard = (c: string | undefined): boolean => c === '*' || c === '?';
const isPlateChar = (c: string): boolean => isAlnum(c) || isProvinceChar(c) || isSuffix(c) || c === '使' || c === '民' || c === '航';

/**
 * A plate text or pattern in the form the matcher compares: `normalizePlateText`, then O → 0 and
 * I → 1 (see the file comment), then runs of `*` collapsed.
 */
export function canonicalPlateText(raw: string): string {
  return normalizePlateText(raw).replace(/O/g, '0').replace(/I/g, '1').replace(/\*{2,}/g, '*');
}

const fail = (reason: string): PlatePatternParse => ({ ok: false, reason });

/** Whether a run of pattern characters (`*`, `?` and literals) can match `text` exactly. */
function globMatches(pattern: readonly string[], text: readonly string[]): boolean {
  const [p, ...rest] = pattern;
  if (p === undefined) return text.length === 0;
  if (p === '*') {
    for (let k = 0; k <= text.length; k++) if (globMatches(rest, text.slice(k))) return true;
    return false;
  }
  if (text.length === 0) return false;
  return (p === '?' || p === text[0]) && globMatches(rest, text.slice(1));
}

const EMPTY: readonly string[] = [];
const WJ: readonly string[] = ['W', 'J'];

/** Where special characters may stand, wildcards or not. Returns a reason, or undefined when fine. */
function checkPlacement(chars: readonly string[]): string | undefined {
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    const before = chars.slice(0, i);
    const after = chars.slice(i + 1);
    const first = globMatches(before, EMPTY);
    if (isProvinceChar(c)) {
      // Only nothing or WJ (armed police) may precede a province character.
      if (!first && !globMatches(before, WJ)) return `the province character ${c} must come first (or after WJ)`;
    } else if (isSuffix(c)) {
      if (!globMatches(after, EMPTY)) return `'${c}' can only be the last character`;
    } else if (c === '使') {
      if (!first) return "'使' (embassy) can only be the first character";
    } else if (c === '民') {
      if (!first) return '民航 (civil aviation) can only stand first';
      if (after[0] !== '航' && !isWildcard(after[0])) return "'民' must be followed by '航' (民航, civil aviation)";
    } else if (c === '航') {
      if (!globMatches(before, ['民'])) return "'航' must follow '民' (民航, civil aviation)";
    }
  }
  return undefined;
}

/** The exact-plate grammar (see analytics/plates/plate-grammar.ts `checkPlate`). */
function checkExactPlate(chars: readonly string[]): string | undefined {
  const n = chars.length;
  const allDigits = (cs: readonly string[]) => cs.every(isDigit);
  const allAlnum = (cs: readonly string[]) => cs.every(isAlnum);
  if (chars[0] === '民') {
    if (chars[1] === '航' && n === 7 && allAlnum(chars.slice(2))) return undefined;
    return 'civil-aviation plates are 民航 + 5 letters or digits';
  }
  if (chars[0] === '使') {
    if (n === 7 && allDigits(chars.slice(1))) return undefined;
    return 'embassy plates are 使 + 6 digits';
  }
  if (chars[0] === 'W' && chars[1] === 'J') {
    const rest = chars.slice(2);
    const serial = (s: readonly string[]) => s.length === 5 && allDigits(s.slice(0, 4)) && isAlnum(s[4]);
    if ((rest.length === 7 && allDigits(rest.slice(0, 2)) && serial(rest.slice(2))) || (rest.length === 6 && isProvinceChar(rest[0]) && serial(rest.slice(1))) || serial(rest)) {
      return undefined;
    }
    return 'armed-police plates are WJ + an optional 2-digit code or province + 4 digits + a digit or letter';
  }
  if (!isProvinceChar(chars[0])) return 'a plate starts with a province character, WJ, 民航 or 使';
  const inner = chars.slice(1, -1);
  if (inner.some((c) => !isAlnum(c))) return 'only letters and digits may follow the province character (a special character only last)';
  if (!isLetter(chars[1])) return 'the character after the province must be a letter (the issuing office)';
  const last = chars[n - 1]!;
  if (isSuffix(last)) {
    if (n !== 7) return `a ${last} plate has 7 characters: province, letter, 4 letters or digits, ${last}`;
    if ((last === '港' || last === '澳') && (chars[0] !== '粤' || chars[1] !== 'Z')) return `${last} plates (Hong Kong / Macau) are 粤Z + 4 letters or digits + ${last}`;
    if (last === '领' && !allDigits(chars.slice(2, -1))) return 'consulate plates are province + letter + 4 digits + 领';
    return undefined;
  }
  if (!isAlnum(last)) return `'${last}' cannot end a plate`;
  if (n === 7) return undefined;
  if (n === 8) {
    const s = chars.slice(2);
    const small = s[0] !== undefined && 'DABCEFGHJK'.includes(s[0]) && isAlnum(s[1]) && allDigits(s.slice(2));
    const large = allDigits(s.slice(0, 5)) && (s[5] === 'D' || s[5] === 'F');
    if (small || large) return undefined;
    return 'an 8-character (new-energy) plate needs D/A/B/C/E or F/G/H/J/K, a letter or digit and 4 digits (small vehicle), or 5 digits and D or F (large vehicle), after the province and office letter';
  }
  return `wrong length: ${n} characters (a province plate has 7, or 8 for new-energy)`;
}

/**
 * Parse a listed plate pattern. On success `pattern` is the canonical form to store and match
 * (see `canonicalPlateText`) and `kind` says whether it has wildcards; on failure `reason` says why.
 */
export function parsePlatePattern(raw: string): PlatePatternParse {
  const text = canonicalPlateText(raw);
  const chars = Array.from(text);
  if (chars.length === 0) return fail('empty');
  if (chars.length > MAX_PATTERN_LENGTH) return fail(`too long: ${chars.length} characters (at most ${MAX_PATTERN_LENGTH})`);
  for (const c of chars) {
    if (isWildcard(c)) continue;
    if (HAZARD.has(c)) return fail(`'${c}' is not a plate character (危险品 is a hazard sign)`);
    if (!isPlateChar(c)) return fail(`'${c}' is not a plate character (plates use province characters, A–Z without I and O, digits and 警学领港澳挂使民航)`);
  }
  const literals = chars.filter((c) => !isWildcard(c)).length;
  if (literals === 0) return fail('only wildcards: the pattern would match every plate');
  const hasWildcard = literals < chars.length;
  if (!hasWildcard) {
    const bad = checkExactPlate(chars);
    return bad === undefined ? { ok: true, pattern: text, kind: 'exact' } : fail(`not a plate: ${bad}`);
  }
  if (literals < MIN_LITERALS) return fail(`too broad: a pattern needs at least ${MIN_LITERALS} characters besides wildcards`);
  const minLength = chars.filter((c) => c !== '*').length;
  if (minLength > MAX_PLATE_LENGTH) return fail(`too long: matches at least ${minLength} characters, no plate has more than ${MAX_PLATE_LENGTH}`);
  if (!chars.includes('*') && minLength < MIN_PLATE_LENGTH) {
    return fail(`too short: ${minLength} characters without '*' (a plate has ${MIN_PLATE_LENGTH} to ${MAX_PLATE_LENGTH}; use '*' for any run of characters)`);
  }
  const misplaced = checkPlacement(chars);
  if (misplaced !== undefined) return fail(`not a plate: ${misplaced}`);
  return { ok: true, pattern: text, kind: 'wildcard' };
}
