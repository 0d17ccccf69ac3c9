import { readFileSync, readdirSync } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PLATE_CLASSES } from '../../../analytics/plates/plate-ctc.ts';
import { PLATE_PROVINCES, checkPlate, normalisePlateText, plateWithoutProvince, type PlateKind } from '../../../analytics/plates/plate-grammar.ts';

const PLATES = fileURLToPath(new URL('../../../../shared/media/plates/', import.meta.url));
const stem = (file: string): string => file.slice(0, file.length - extname(file).length);

function expectPlate(text: string, kind: PlateKind): void {
  const result = checkPlate(text);
  expect(result, text).toEqual({ ok: true, text, kind });
}

function expectRejected(text: string, reason: RegExp): void {
  const result = checkPlate(text);
  expect(result.ok, text).toBe(false);
  if (!result.ok) expect(result.reason, text).toMatch(reason);
}

describe('real plate texts in ../shared/media', () => {
  it('accepts all 1000 LPRNet crop labels as standard plates', () => {
    const names = readdirSync(`${PLATES}crops/lprnet`).map(stem);
    expect(names).toHaveLength(1000);
    const rejected = names.map((n) => ({ n, r: checkPlate(n) })).filter(({ r }) => !r.ok || r.kind !== 'standard');
    expect(rejected).toEqual([]);
  });

  it('accepts the labelled crops with their kinds', () => {
    const kinds: Record<string, PlateKind> = {
      新AU3006: 'standard',
      民航B0150: 'civil-aviation',
      沪A1639领: 'consulate',
      沪KR9888: 'standard',
      浙D99999: 'standard',
      浙G1946Z: 'standard',
      粤BAQ286: 'standard',
      陕CCQ3TP: 'standard', // four letters in the serial: an older plate, still real
      津B6H920: 'standard',
      皖KD01833: 'new-energy',
      蒙B023H6: 'standard',
      冀D5L690: 'standard',
    };
    // The text follows the last '_' (crnn_TEXT, hyperlpr_N_TEXT).
    const texts = readdirSync(`${PLATES}crops/labelled`).map((f) => stem(f).slice(stem(f).lastIndexOf('_') + 1));
    expect(texts.sort()).toEqual(Object.keys(kinds).sort());
    for (const t of texts) expectPlate(t, kinds[t] as PlateKind);
  });

  it('accepts every fully readable plate of the scene labels, and no partial one', () => {
    const kinds: Record<string, PlateKind> = {
      苏ED51712: 'new-energy',
      藏DT5022: 'standard',
      皖K66666: 'standard',
      沪AF71017: 'new-energy',
      京EA5331: 'standard',
      沪AN9241: 'standard',
      鄂F8888警: 'police',
      沪A1707领: 'consulate',
      粤ZR066港: 'hong-kong',
      琼A6716学: 'learner',
      WJ1693015: 'armed-police',
      川A8H458: 'standard',
      粤NBM959: 'standard',
      粤B6R678: 'standard',
    };
    const labels = JSON.parse(readFileSync(`${PLATES}scenes/labels.json`, 'utf8')) as Record<string, unknown>;
    const texts: string[] = [];
    const partial: string[] = [];
    for (const [file, entry] of Object.entries(labels)) {
      if (file.startsWith('_') || typeof entry !== 'object' || entry === null) continue;
      const e = entry as { plates?: { text: string }[]; partial?: string[] };
      for (const p of e.plates ?? []) texts.push(p.text);
      partial.push(...(e.partial ?? []));
    }
    expect(texts.sort()).toEqual(Object.keys(kinds).sort());
    for (const t of texts) expectPlate(t, kinds[t] as PlateKind);
    expect(partial.length).toBeGreaterThan(0);
    for (const p of partial) expect(checkPlate(p).ok, p).toBe(false);
  });
});

describe('checkPlate', () => {
  it('accepts the other formats it knows', () => {
    expectPlate('粤B12345D', 'new-energy'); // large vehicle, electric
    expectPlate('京A23456F', 'new-energy'); // large vehicle, other
    expectPlate('京AD12345', 'new-energy');
    expectPlate('京AA12345', 'new-energy'); // extended electric letters A/B/C/E
    expectPlate('浙AKQ1234', 'new-energy'); // extended hybrid letters G/H/J/K, letter second
    expectPlate('鲁A1234挂', 'trailer');
    expectPlate('粤Z1234澳', 'macau');
    expectPlate('使014578', 'embassy');
    expectPlate('WJ京1234X', 'armed-police');
    expectPlate('WJ12345', 'armed-police');
  });

  it('normalises case, spaces, separators and full-width characters', () => {
    expect(checkPlate(' 京a·12345 ')).toEqual({ ok: true, text: '京A12345', kind: 'standard' });
    expect(checkPlate('沪Ａ－Ｆ７１０１７')).toEqual({ ok: true, text: '沪AF71017', kind: 'new-energy' });
    expect(normalisePlateText('wj 16-93015')).toBe('WJ1693015');
  });

  it('rejects impossible strings with a reason', () => {
    const cases: [string, RegExp][] = [
      ['', /empty/],
      ['京A1234', /wrong length/],
      ['京A1234567', /wrong length/],
      ['京A123456', /new-energy/],
      ['京AD1234A', /new-energy/],
      ['京A12345X', /new-energy/],
      ['京AZ12345', /new-energy/],
      ['A京12345', /province character must come first/],
      ['12345', /starts with a province/],
      ['京112345', /must be a letter/],
      ['京AI2345', /letter I/],
      ['京A0O345', /letter O/],
      ['京A12警45', /only be the last/],
      ['京A123京5', /second province/],
      ['京民12345', /cannot appear/],
      ['京A1234使', /cannot appear/],
      ['危险品', /hazard sign/],
      ['京A1234$', /not a plate character/],
      ['京A?2345', /not a plate character/],
      ['沪A1707港', /粤Z/],
      ['粤ZR06港', /7 characters/],
      ['京A12345警', /7 characters/],
      ['沪AB707领', /consulate/],
      ['民航B015', /民航 \+ 5/],
      ['航民B0150', /start with 民航/],
      ['使01457', /使 \+ 6 digits/],
      ['使01457A', /使 \+ 6 digits/],
      ['WJ1693A15', /armed-police/],
      ['WJ169301', /armed-police/],
      ['WJ京123X5', /armed-police/],
    ];
    for (const [text, reason] of cases) expectRejected(text, reason);
  });

  it('rejects every non-province first character of the recogniser alphabet on a standard layout', () => {
    for (const c of PLATE_CLASSES) {
      const result = checkPlate(`${c}A12345`);
      expect(result.ok, c).toBe(PLATE_PROVINCES.includes(c));
    }
  });
});

describe('PLATE_PROVINCES and plateWithoutProvince', () => {
  it('lists the 31 provinces, all in the recogniser alphabet', () => {
    expect(PLATE_PROVINCES).toHaveLength(31);
    expect(new Set(PLATE_PROVINCES).size).toBe(31);
    for (const p of PLATE_PROVINCES) expect(PLATE_CLASSES).toContain(p);
    expect(PLATE_CLASSES.slice(1, 32)).toEqual([...PLATE_PROVINCES]);
  });

  it('drops the province character only', () => {
    expect(plateWithoutProvince('京A12345')).toBe('A12345');
    expect(plateWithoutProvince('皖KD01833')).toBe('KD01833');
    expect(plateWithoutProvince('WJ京1234X')).toBe('WJ1234X');
    expect(plateWithoutProvince('WJ1693015')).toBe('WJ1693015');
    expect(plateWithoutProvince('民航B0150')).toBe('民航B0150');
    // A misread province compares equal once the province is ignored.
    expect(plateWithoutProvince('皖A00E66')).toBe(plateWithoutProvince('苏A00E66'));
  });
});
