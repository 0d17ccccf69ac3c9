import { describe, expect, it } from 'vitest';
import { MAX_LATITUDE, coordinateText, formatCoordinate, graticule, gridStep, stepDecimals, wrapLongitude } from './graticule.ts';

describe('graticule', () => {
  it('chooses the finest 1–2–5 spacing that keeps a handful of lines across the span', () => {
    expect(gridStep(0.1)).toBe(0.02);
    expect(gridStep(0.05)).toBe(0.01);
    expect(gridStep(1)).toBe(0.2);
    expect(gridStep(3)).toBe(0.5);
    expect(gridStep(40)).toBe(10);
    // Wider than 6 × the coarsest step: the coarsest step is kept; nothing is finer than 0.0001°.
    expect(gridStep(360)).toBe(30);
    expect(gridStep(0)).toBe(0.0001);
    // Fewer lines asked, coarser spacing.
    expect(gridStep(1, 3)).toBe(0.5);
  });

  it('shows the spacing with as many decimals as it needs', () => {
    expect(stepDecimals(0.05)).toBe(2);
    expect(stepDecimals(1)).toBe(0);
    expect(stepDecimals(0.5)).toBe(1);
    expect(stepDecimals(0.0002)).toBe(4);
  });

  it('labels coordinates with their hemisphere, e.g. 31.23°N 121.47°E', () => {
    expect(formatCoordinate('latitude', 31.2304, 2)).toBe('31.23°N');
    expect(formatCoordinate('longitude', 121.4737, 2)).toBe('121.47°E');
    expect(formatCoordinate('latitude', -33.5, 1)).toBe('33.5°S');
    expect(formatCoordinate('longitude', -0.5, 1)).toBe('0.5°W');
    expect(formatCoordinate('latitude', 0, 0)).toBe('0°N');
    // A view panned once around the world still reads true longitudes.
    expect(wrapLongitude(200)).toBe(-160);
    expect(wrapLongitude(-190)).toBe(170);
    expect(wrapLongitude(180)).toBe(180);
    expect(formatCoordinate('longitude', 481.47, 2)).toBe('121.47°E');
    expect(coordinateText('latitude', -0.001, 2)).toEqual({ value: '0.00', hemisphere: 'N' });
  });

  it('draws lines at exact multiples of the spacing across the view, labelled at its east and south edges', () => {
    const grid = graticule({ south: 31.2, west: 121.42, north: 31.26, east: 121.52 });
    expect(grid.latitudeStep).toBe(0.01);
    expect(grid.longitudeStep).toBe(0.02);
    const lat = grid.lines.filter((l) => l.axis === 'latitude');
    const lng = grid.lines.filter((l) => l.axis === 'longitude');
    expect(lat.map((l) => l.value)).toEqual([31.2, 31.21, 31.22, 31.23, 31.24, 31.25, 31.26]);
    expect(lng.map((l) => l.value)).toEqual([121.42, 121.44, 121.46, 121.48, 121.5, 121.52]);
    expect(lat[3]).toMatchObject({ decimals: 2, from: [31.23, 121.42], to: [31.23, 121.52], labelAt: [31.23, 121.52] });
    expect(lng[0]).toMatchObject({ from: [31.2, 121.42], to: [31.26, 121.42], labelAt: [31.2, 121.42] });
    expect(formatCoordinate('latitude', lat[3]!.value, lat[3]!.decimals)).toBe('31.23°N');
  });

  it('keeps a handful of lines at every zoom and never draws past the Mercator limit', () => {
    // Views of about 256 × 256 px × 4 at zoom 3 … 18 around Shanghai.
    for (let zoom = 3; zoom <= 18; zoom++) {
      const half = 360 / 2 ** zoom;
      const grid = graticule({ south: 31.23 - half / 1.2, west: 121.47 - half, north: 31.23 + half / 1.2, east: 121.47 + half });
      for (const axis of ['latitude', 'longitude'] as const) {
        const count = grid.lines.filter((l) => l.axis === axis).length;
        expect(count, `zoom ${zoom} ${axis}`).toBeGreaterThanOrEqual(2);
        expect(count, `zoom ${zoom} ${axis}`).toBeLessThanOrEqual(7);
      }
    }
    const world = graticule({ south: -90, west: -180, north: 90, east: 180 });
    expect(world.lines.filter((l) => l.axis === 'latitude').every((l) => Math.abs(l.value) <= MAX_LATITUDE)).toBe(true);
    expect(world.lines.length).toBeLessThanOrEqual(6 * 4 * 2);
    // Swapped corners are read as the same box.
    expect(graticule({ south: 31.26, west: 121.52, north: 31.2, east: 121.42 }).lines).toEqual(graticule({ south: 31.2, west: 121.42, north: 31.26, east: 121.52 }).lines);
  });
});
