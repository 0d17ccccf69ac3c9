/**
 * The coordinate grid (graticule) the map draws when no tile source is configured: lines of equal
 * latitude and longitude, spaced so that a handful cross the view, with their labels. Pure, so
 * that spacing and labels are unit-tested; argus-map.tsx turns the result into Leaflet layers.
 */

/** Candidate spacings in degrees, coarsest first (1–2–5 steps, down to about 10 m). */
export const GRID_STEPS: readonly number[] = [30, 20, 10, 5, 2, 1, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001, 0.0005, 0.0002, 0.0001];

/** Web Mercator cannot show the poles: latitude lines stop here. */
export const MAX_LATITUDE = 85.0511287798;

export interface GridBounds {
  south: number;
  west: number;
  north: number;
  east: number;
}

export type GridAxis = 'latitude' | 'longitude';

export interface GridLine {
  axis: GridAxis;
  /** Degrees: the line's latitude (axis latitude) or longitude (axis longitude), as drawn. */
  value: number;
  /** Decimal places that show the spacing exactly. */
  decimals: number;
  /** [latitude, longitude] of the line's two ends, at the edges of the bounds. */
  from: readonly [number, number];
  to: readonly [number, number];
  /** Where its label sits: latitude lines at the east edge, longitude lines at the south edge (clear of the zoom buttons). */
  labelAt: readonly [number, number];
}

export interface Graticule {
  latitudeStep: number;
  longitudeStep: number;
  lines: GridLine[];
}

/**
 * The finest spacing (from GRID_STEPS) that puts at most `maxLines` lines across a span of
 * `span` degrees; the coarsest step when even that gives more.
 */
export function gridStep(span: number, maxLines = 6): number {
  const width = Math.abs(span);
  for (let i = GRID_STEPS.length - 1; i >= 0; i--) {
    const step = GRID_STEPS[i]!;
    if (width / step <= maxLines + 1e-6) return step;
  }
  return GRID_STEPS[0]!;
}

/** Decimal places that show multiples of `step` exactly (0.05 → 2, 1 → 0, 0.0002 → 4). */
export function stepDecimals(step: number): number {
  for (let d = 0; d < 8; d++) if (Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) < 1e-9) return d;
  return 8;
}

/** A longitude brought into -180..180 (the view may have been panned around the world). */
export function wrapLongitude(longitude: number): number {
  const wrapped = ((((longitude + 180) % 360) + 360) % 360) - 180;
  return wrapped === -180 && longitude > 0 ? 180 : wrapped;
}

export interface CoordinateText {
  /** 'N', 'S', 'E' or 'W'. */
  hemisphere: 'N' | 'S' | 'E' | 'W';
  /** Absolute value, with the given decimals. */
  value: string;
}

/** 31.2304 → { value: '31.23', hemisphere: 'N' } (with 2 decimals). */
export function coordinateText(axis: GridAxis, degrees: number, decimals: number): CoordinateText {
  const v = axis === 'longitude' ? wrapLongitude(degrees) : degrees;
  const rounded = Number(v.toFixed(decimals));
  const hemisphere = axis === 'latitude' ? (rounded < 0 ? 'S' : 'N') : rounded < 0 ? 'W' : 'E';
  return { hemisphere, value: Math.abs(rounded).toFixed(decimals) };
}

/** 31.23°N, 121.47°E: the plain form; the map passes a translated one. */
export function formatCoordinate(axis: GridAxis, degrees: number, decimals: number): string {
  const { value, hemisphere } = coordinateText(axis, degrees, decimals);
  return `${value}°${hemisphere}`;
}

/** Multiples of `step` within [min, max], computed from integer indices so that no rounding drifts. */
function multiples(min: number, max: number, step: number, decimals: number, limit: number): number[] {
  const first = Math.ceil(min / step - 1e-9);
  const last = Math.floor(max / step + 1e-9);
  const values: number[] = [];
  for (let i = first; i <= last && values.length < limit; i++) values.push(Number((i * step).toFixed(decimals)));
  return values;
}

/** The grid lines across `bounds`, at most about `maxLines` per axis (never more than 4 × that). */
export function graticule(bounds: GridBounds, maxLines = 6): Graticule {
  const south = Math.max(-MAX_LATITUDE, Math.min(bounds.south, bounds.north));
  const north = Math.min(MAX_LATITUDE, Math.max(bounds.south, bounds.north));
  const west = Math.min(bounds.west, bounds.east);
  const east = Math.max(bounds.west, bounds.east);
  const latitudeStep = gridStep(north - south, maxLines);
  const longitudeStep = gridStep(east - west, maxLines);
  const latDecimals = stepDecimals(latitudeStep);
  const lngDecimals = stepDecimals(longitudeStep);
  const limit = maxLines * 4;
  const lines: GridLine[] = [];
  for (const lat of multiples(south, north, latitudeStep, latDecimals, limit)) {
    lines.push({ axis: 'latitude', value: lat, decimals: latDecimals, from: [lat, west], to: [lat, east], labelAt: [lat, east] });
  }
  for (const lng of multiples(west, east, longitudeStep, lngDecimals, limit)) {
    lines.push({ axis: 'longitude', value: lng, decimals: lngDecimals, from: [south, lng], to: [north, lng], labelAt: [south, lng] });
  }
  return { latitudeStep, longitudeStep, lines };
}
