/**
 * The grammar of Chinese (mainland) licence plates, used to accept or reject a recogniser's read before
 * it is voted on or reported. It knows the formats of GA 36 (the public-security standard) that the
 * recogniser's alphabet can express:
 *
 * | kind           | format                                          | example     |
 * |----------------|-------------------------------------------------|-------------|
 * | standard       | province + letter + 5 letters/digits            | 京A12345    |
 * | new-energy     | province + letter + 6: small car: D/A/B/C/E (electric) or F/G/H/J/K (other) + letter/digit + 4 digits; large vehicle: 5 digits + D/F | 沪AF71017, 粤B12345D |
 * | police         | province + letter + 4 letters/digits + 警        | 鄂F8888警   |
 * | learner        | province + letter + 4 letters/digits + 学        | 琼A6716学   |
 * | trailer        | province + letter + 4 letters/digits + 挂        | 鲁A1234挂   |
 * | consulate      | province + letter + 4 digits + 领                | 沪A1707领   |
 * | hong-kong      | 粤Z + 4 letters/digits + 港                      | 粤ZR066港   |
 * | macau          | 粤Z + 4 letters/digits + 澳                      | 粤Z1234澳   |
 * | embassy        | 使 + 6 digits (mission code + serial)            | 使014578    |
 * | armed-police   | WJ + [2-digit province code, or province] + 4 digits + digit/type letter | WJ1693015, WJ京1234X |
 * | civil-aviation | 民航 + 5 letters/digits                          | 民航B0150   |
 *
 * Letters are A–Z without I and O (never used on plates, and not in the recogniser's alphabet). The
 * second character (the issuing office) is always a letter. Military plates, 临/试/应急/超 plates and
 * the old 2-digit province code plates other than WJ need characters the recogniser cannot output, so
 * they are not accepted. 危, 险 and 品 are in the recogniser's alphabet only because it was trained on
 * hazard signs (危险品): they never belong to a plate.
 *
 * Not enforced, because real plates break it: at most two letters in a standard serial (older
 * plates such as 陕CCQ3TP have four), and per-province lists of office letters.
 */

/** The 31 provincial abbreviations, in the recogniser's alphabet order. */
export const PLATE_PROVINCES = Object.freeze(Array.from('京沪津渝冀晋蒙辽吉黑苏浙皖闽赣鲁豫鄂湘粤桂琼川贵云藏陕甘青宁新'));

/** Letters used on plates: A–Z without I and O. */
export const PLATE_LETTERS = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const DIGITS = '0123456789';

export type PlateKind =
  | 'standard'
  | 'new-energy'
  | 'police'
  | 'learner'
  | 'trailer'
  | 'consulate'
  | 'hong-kong'
  | 'macau'
  | 'embassy'
  | 'armed-police'
  | 'civil-aviation';

export type PlateCheck = { ok: true; text: string; kind: PlateKind } | { ok: false; reason: string };

/** Final characters that mark a special plate, and the kind they mark. */
const SUFFIX_KINDS: Readonly<Record<string, PlateKind>> = {
  警: 'police',
  学: 'learner',
  挂: 'trailer',
  领: 'consulate',
  港: 'hong-kong',
  澳: 'macau',
};
const SPECIAL_CHARS = new Set([...Object.keys(SUFFIX_KINDS), '使', '民', '航']);
const HAZARD_CHARS = new Set(['危', '险', '品']);
const PROVINCE_SET = new Set(PLATE_PROVINCES);
const ELECTRIC_SMALL = 'DABCE';
const HYBRID_SMALL = 'FGHJK';

const isProvince = (c: string | undefined): boolean => c !== undefined && PROVINCE_SET.has(c);
const isLetter = (c: string | undefined): boolean => c !== undefined && c.length === 1 && PLATE_LETTERS.includes(c);
const isDigit = (c: string | undefined): boolean => c !== undefined && c.length === 1 && DIGITS.includes(c);
const isAlnum = (c: string | undefined): boolean => isLetter(c) || isDigit(c);
const allDigits = (cs: readonly string[]): boolean => cs.every((c) => isDigit(c));
const allAlnum = (cs: readonly string[]): boolean => cs.every((c) => isAlnum(c));

/**
 * Canonical form of a read: Unicode NFKC (full-width letters and digits become ASCII), upper case,
 * without spaces and the separators printed on plates or typed by people (·, •, ., -, _).
 */
export function normalisePlateText(raw: string): string {
  return raw
    .normalize('NFKC')
    .toUpperCase()
    .replace(/[\s·•・.\-_]/g, '');
}

const fail = (reason: string): PlateCheck => ({ ok: false, reason });
const pass = (chars: readonly string[], kind: PlateKind): PlateCheck => ({ ok: true, text: chars.join(''), kind });

function checkCharacters(chars: readonly string[]): string | undefined {
  for (const c of chars) {
    if (c === 'I' || c === 'O') return `letter ${c} is not used on Chinese plates (it would be confused with 1 and 0)`;
    if (HAZARD_CHARS.has(c)) return `'${c}' is not a plate character (危险品 is a hazard sign)`;
    if (!isAlnum(c) && !isProvince(c) && !SPECIAL_CHARS.has(c)) return `'${c}' is not a plate character`;
  }
  return undefined;
}

/** The serial of an armed-police plate: 4 digits, then a digit or a type letter (X 消防, B 边防, …). */
function armedPoliceSerial(serial: readonly string[]): boolean {
  return serial.length === 5 && allDigits(serial.slice(0, 4)) && isAlnum(serial[4]);
}

function checkArmedPolice(chars: readonly string[]): PlateCheck {
  const rest = chars.slice(2);
  if (rest.length === 7 && allDigits(rest.slice(0, 2)) && armedPoliceSerial(rest.slice(2))) return pass(chars, 'armed-police');
  if (rest.length === 6 && isProvince(rest[0]) && armedPoliceSerial(rest.slice(1))) return pass(chars, 'armed-police');
  if (rest.length === 5 && armedPoliceSerial(rest)) return pass(chars, 'armed-police');
  return fail('armed-police plates are WJ + an optional 2-digit code or province + 4 digits + a digit or letter');
}

function checkNewEnergy(chars: readonly string[]): PlateCheck {
  const serial = chars.slice(2);
  const [first, second] = serial;
  const small =
    first !== undefined && (ELECTRIC_SMALL.includes(first) || HYBRID_SMALL.includes(first)) && isAlnum(second) && allDigits(serial.slice(2));
  const last = serial[5];
  const large = allDigits(serial.slice(0, 5)) && (last === 'D' || last === 'F');
  if (small || large) return pass(chars, 'new-energy');
  return fail(
    'an 8-character (new-energy) plate needs D/A/B/C/E or F/G/H/J/K, a letter or digit and 4 digits (small vehicle), or 5 digits and D or F (large vehicle), after the province and office letter',
  );
}

/**
 * Check a read against the plate grammar. On success `text` is the canonical form (see
 * `normalisePlateText`) and `kind` the plate type; on failure `reason` says what is wrong.
 */
export function checkPlate(raw: string): PlateCheck {
  const chars = Array.from(normalisePlateText(raw));
  if (chars.length === 0) return fail('empty');
  const badChar = checkCharacters(chars);
  if (badChar !== undefined) return fail(badChar);

  if (chars[0] === '民' || chars[0] === '航') {
    if (chars[0] !== '民' || chars[1] !== '航') return fail('civil-aviation plates start with 民航');
    const serial = chars.slice(2);
    if (serial.length === 5 && allAlnum(serial)) return pass(chars, 'civil-aviation');
    return fail('civil-aviation plates are 民航 + 5 letters or digits');
  }
  // No other plate starts with a letter.
  if (chars[0] === 'W' && chars[1] === 'J') return checkArmedPolice(chars);
  if (chars[0] === '使') {
    const serial = chars.slice(1);
    if (serial.length === 6 && allDigits(serial)) return pass(chars, 'embassy');
    return fail('embassy plates are 使 + 6 digits');
  }
  if (!isProvince(chars[0])) {
    if (chars.some((c) => isProvince(c))) return fail('the province character must come first');
    return fail('a plate starts with a province character, WJ, 民航 or 使');
  }

  // Province plates.
  const misplaced = chars.slice(1).find((c, i) => !isAlnum(c) && !(i === chars.length - 2 && c in SUFFIX_KINDS));
  if (misplaced !== undefined) {
    if (isProvince(misplaced)) return fail(`a second province character (${misplaced}) inside the plate`);
    if (misplaced in SUFFIX_KINDS) return fail(`'${misplaced}' can only be the last character`);
    return fail(`'${misplaced}' cannot appear after the province character`);
  }
  if (!isLetter(chars[1])) return fail('the character after the province must be a letter (the issuing office)');

  const lastChar = chars[chars.length - 1] as string;
  const suffixKind = SUFFIX_KINDS[lastChar];
  if (suffixKind !== undefined) {
    const serial = chars.slice(2, -1);
    if (serial.length !== 4) return fail(`a ${lastChar} plate has 7 characters: province, letter, 4 letters or digits, ${lastChar}`);
    if (suffixKind === 'hong-kong' || suffixKind === 'macau') {
      if (chars[0] !== '粤' || chars[1] !== 'Z') return fail(`${lastChar} plates (Hong Kong / Macau) are 粤Z + 4 letters or digits + ${lastChar}`);
    }
    if (suffixKind === 'consulate' && !allDigits(serial)) return fail('consulate plates are province + letter + 4 digits + 领');
    return pass(chars, suffixKind);
  }
  if (chars.length === 7) return pass(chars, 'standard');
  if (chars.length === 8) return checkNewEnergy(chars);
  return fail(`wrong length: ${chars.length} characters (a province plate has 7, or 8 for new-energy)`);
}

/**
 * The plate text without its province character, for evaluations that ignore the recogniser's most
 * common error: 京A12345 → A12345, WJ京1234X → WJ1234X; other texts are returned unchanged.
 */
export function plateWithoutProvince(text: string): string {
  const chars = Array.from(normalisePlateText(text));
  if (isProvince(chars[0])) return chars.slice(1).join('');
  if (chars[0] === 'W' && chars[1] === 'J' && isProvince(chars[2])) return ['W', 'J', ...chars.slice(3)].join('');
  return chars.join('');
}
