import { describe, expect, it } from 'vitest';
import { checkPlate } from '../../../analytics/plates/plate-grammar.ts';
import { canonicalPlateText, parsePlatePattern } from '../../../command-ui/server/services/watchlists/plate-pattern.ts';

const ok = (raw: string) => {
  const r = parsePlatePattern(raw);
  if (!r.ok) throw new Error(`${raw} refused: ${r.reason}`);
  return r;
};
const refused = (raw: string) => {
  const r = parsePlatePattern(raw);
  if (r.ok) throw new Error(`${raw} accepted as ${r.pattern}`);
  return r.reason;
};

describe('parsePlatePattern: exact plates', () => {
  it('accepts every plate format and normalises what a person typed', () => {
    for (const plate of ['京A12345', '沪AF71017', '粤B12345D', '鄂F8888警', '琼A6716学', '鲁A1234挂', '沪A1707领', '粤ZR066港', '粤Z1234澳', '使014578', 'WJ1693015', 'WJ京1234X', 'WJ12345', '民航B0150']) {
      expect(ok(plate)).toEqual({ ok: true, pattern: plate, kind: 'exact' });
    }
    expect(ok(' 京a·123-45 ').pattern).toBe('京A12345');
    expect(ok('京Ａ１２３４５').pattern).toBe('京A12345'); // full-width
  });

  it('reads a typed O as 0 and I as 1 (no plate uses I or O)', () => {
    expect(ok('京A1O3I5').pattern).toBe('京A10315');
    expect(ok('京ao12i*').pattern).toBe('京A0121*');
    expect(canonicalPlateText('o*i')).toBe('0*1');
  });

  it('refuses exact texts that break the plate grammar, saying why', () => {
    expect(refused('京A1234')).toMatch(/wrong length/);
    expect(refused('京A123456789')).toMatch(/too long/);
    expect(refused('京112345')).toMatch(/letter/);
    expect(refused('A京12345')).toMatch(/province/);
    expect(refused('京A警1234')).toMatch(/last/);
    expect(refused('沪A17A7领')).toMatch(/consulate/);
    expect(refused('京A1234港')).toMatch(/Hong Kong/);
    expect(refused('使01457')).toMatch(/embassy/);
    expect(refused('京AX12345')).toMatch(/new-energy/);
  });

  it('agrees with the recogniser grammar (analytics/plates/plate-grammar.ts) on exact plates', () => {
    const samples = [
      '京A12345', '京AD12345', '京A12345D', '京A1234D5', '京AZ1234', '京A12345F', '京A123456', '粤ZR066港', '川ZR066港', '沪A1707领', '沪AB707领',
      '鄂F8888警', '鄂88888警', '鲁A1234挂', '鲁A12345挂', '使014578', '使01457A', 'WJ1693015', 'WJ京1234X', 'WJ京123XX', 'WJ12345', 'WJ1234', '民航B0150',
      '民航B015', '民B01500', '京京12345', 'AA12345', '12345AB', '京A1234', '京A警1234', '危A12345',
    ];
    for (const s of samples) expect({ s, ok: parsePlatePattern(s).ok }).toEqual({ s, ok: checkPlate(s).ok });
  });
});

describe('parsePlatePattern: wildcards', () => {
  it('accepts * and ? patterns and collapses runs of *', () => {
    expect(ok('京A12*')).toEqual({ ok: true, pattern: '京A12*', kind: 'wildcard' });
    expect(ok('*1234')).toEqual({ ok: true, pattern: '*1234', kind: 'wildcard' });
    expect(ok('京A?23?5')).toEqual({ ok: true, pattern: '京A?23?5', kind: 'wildcard' });
    expect(ok('京**A1')).toEqual({ ok: true, pattern: '京*A1', kind: 'wildcard' });
    expect(ok('WJ?1234X').kind).toBe('wildcard');
    expect(ok('*京A12').kind).toBe('wildcard');
    expect(ok('＊１２３').pattern).toBe('*123'); // full-width wildcard
  });

  it('refuses empty, only wildcards, too broad, too long, illegal characters, misplaced characters', () => {
    expect(refused('')).toBe('empty');
    expect(refused(' · ')).toBe('empty');
    expect(refused('*')).toMatch(/only wildcards/);
    expect(refused('???????')).toMatch(/only wildcards/);
    expect(refused('京A*')).toMatch(/too broad/);
    expect(refused('京A123456*789')).toMatch(/too long/);
    expect(refused('京A12345678?')).toMatch(/too long/);
    expect(refused('??????1234')).toMatch(/at least 10 characters/);
    expect(refused('京A12?')).toMatch(/too short/);
    expect(refused('京A12$*')).toMatch(/not a plate character/);
    expect(refused('京A1234@')).toMatch(/not a plate character/);
    expect(refused('危险品*')).toMatch(/hazard/);
    expect(refused('?京A1234')).toMatch(/must come first/);
    expect(refused('A京*12')).toMatch(/must come first/);
    expect(refused('京A警*12')).toMatch(/last character/);
    expect(refused('京A*使12')).toMatch(/first character/);
    expect(refused('航B01*')).toMatch(/must follow/);
  });
});
