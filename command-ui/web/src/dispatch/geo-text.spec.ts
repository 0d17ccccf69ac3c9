import { describe, expect, it } from 'vitest';
import { bearingDegrees, compassPoint, directionTo, distanceText } from './geo-text.ts';

const SQUARE = { latitude: 31.2304, longitude: 121.4737 };

describe('distanceText', () => {
  it('says metres below a kilometre and kilometres above', () => {
    expect(distanceText(0)).toBe('0 m');
    expect(distanceText(111.4)).toBe('111 m');
    expect(distanceText(999.4)).toBe('999 m');
    expect(distanceText(1234)).toBe('1.2 km');
    expect(distanceText(9949)).toBe('9.9 km');
    expect(distanceText(12_600)).toBe('13 km');
    expect(distanceText(-1)).toBe('—');
    expect(distanceText(Number.NaN)).toBe('—');
  });
});

describe('bearing and compass point', () => {
  it('finds the eight directions', () => {
    expect(Math.round(bearingDegrees(SQUARE, { latitude: 31.24, longitude: 121.4737 }))).toBe(0);
    expect(Math.round(bearingDegrees(SQUARE, { latitude: 31.2304, longitude: 121.49 }))).toBe(90);
    expect(Math.round(bearingDegrees(SQUARE, { latitude: 31.22, longitude: 121.4737 }))).toBe(180);
    expect(Math.round(bearingDegrees(SQUARE, { latitude: 31.2304, longitude: 121.46 }))).toBe(270);
    expect(compassPoint(0)).toBe('north');
    expect(compassPoint(22)).toBe('north');
    expect(compassPoint(23)).toBe('north_east');
    expect(compassPoint(135)).toBe('south_east');
    expect(compassPoint(200)).toBe('south');
    expect(compassPoint(210)).toBe('south_west');
    expect(compassPoint(292)).toBe('west');
    expect(compassPoint(338)).toBe('north');
    expect(compassPoint(-45)).toBe('north_west');
  });

  it('gives distance and direction between two points', () => {
    const d = directionTo(SQUARE, { latitude: 31.2385, longitude: 121.4832 });
    expect(d?.compass).toBe('north_east');
    expect(d?.text).toBe('1.3 km');
    expect(directionTo(null, SQUARE)).toBeNull();
  });
});
