import { describe, expect, it } from 'vitest';
import {
  analyticsSettingsInputSchema,
  DEFAULT_ANALYTICS_SETTINGS,
  isSimplePolygon,
  normalizePlateText,
  pointInPolygon,
  polygonArea,
  recordSightingInputSchema,
  roiSchema,
  sightingSearchQuerySchema,
  sightingStatsQuerySchema,
} from '../../contracts/sightings.ts';

const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0]);
const CAMERA = '7d0c4a4e-8f7e-4a43-9d43-3a1f1f0f0a01';

describe('sighting contracts', () => {
  it('normalises plate text: case, spaces and separators', () => {
    expect(normalizePlateText(' 京a·12345 ')).toBe('京A12345');
    expect(normalizePlateText('wj-16.930 15')).toBe('WJ1693015');
    expect(normalizePlateText('ＡＢ１２')).toBe('AB12'); // full-width forms
  });

  it('polygons: area, simplicity, containment', () => {
    const square: Array<[number, number]> = [
      [0, 0],
      [1, 0],
      [1, 1],
      [0, 1],
    ];
    expect(polygonArea(square)).toBeCloseTo(1);
    expect(isSimplePolygon(square)).toBe(true);
    expect(isSimplePolygon([square[0]!, square[2]!, square[1]!, square[3]!])).toBe(false);
    expect(pointInPolygon([0.5, 0.5], square)).toBe(true);
    expect(pointInPolygon([1.5, 0.5], square)).toBe(false);
    expect(roiSchema.safeParse(square).success).toBe(true);
    expect(roiSchema.safeParse([[0, 0], [0.5, 0.5], [1, 1]]).success).toBe(false); // on one line
  });

  it('settings input: fields left out take the defaults; the defaults are valid', () => {
    expect(analyticsSettingsInputSchema.parse({})).toEqual(DEFAULT_ANALYTICS_SETTINGS);
    expect(analyticsSettingsInputSchema.parse({ enabled: false }).enabled).toBe(false);
    const bad = analyticsSettingsInputSchema.safeParse({ fps: 0, pipelines: ['plates', 'cars'], minFaceQuality: 2, nonsense: 1 });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => i.path.join('.')).sort()).toEqual(['', 'fps', 'minFaceQuality', 'pipelines.1']);
  });

  it('search query: lists from comma-separated text, plate normalised, ranges checked', () => {
    const other = 'c3a2d8d4-3b1e-4a43-9d43-3a1f1f0f0a02';
    const q = sightingSearchQuerySchema.parse({ cameraIds: `${CAMERA},${other}`, plate: '京a 123', plateMode: 'prefix', limit: '20' });
    expect(q).toMatchObject({ cameraIds: [CAMERA, other], plate: '京A123', plateMode: 'prefix', limit: 20 });
    expect(sightingSearchQuerySchema.parse({ cameraIds: [CAMERA] }).cameraIds).toEqual([CAMERA]);
    expect(sightingSearchQuerySchema.parse({}).plateMode).toBe('exact');
    expect(sightingSearchQuerySchema.parse({ cameraIds: '' }).cameraIds).toBeUndefined();
    const bad = sightingSearchQuerySchema.safeParse({ cameraIds: 'nope', from: '2026-01-02', to: '2026-01-01', limit: '0', plateMode: 'regex' });
    expect(bad.error!.issues.map((i) => i.path.join('.')).sort()).toEqual(['cameraIds.0', 'limit', 'plateMode']);
    expect(sightingSearchQuerySchema.safeParse({ from: '2026-01-02', to: '2026-01-01' }).error!.issues.map((i) => i.path.join('.'))).toEqual(['to']);
    expect(sightingStatsQuerySchema.safeParse({ from: '2026-01-01', to: '2026-03-01' }).error!.issues[0]!.message).toMatch(/31 days/);
  });

  it('record input: a plate sighting needs its plate; JPEGs only; embedding with its model', () => {
    const base = { cameraId: CAMERA, observedAt: '2026-01-01T00:00:00Z', score: 0.9 };
    expect(recordSightingInputSchema.parse({ ...base, kind: 'plate', plate: { text: 'a 1' }, crop: JPEG })).toMatchObject({ stage: 'final', plate: { text: 'A1' } });
    const paths = (input: unknown) => recordSightingInputSchema.safeParse(input).error?.issues.map((i) => i.path.join('.')) ?? [];
    expect(paths({ ...base, kind: 'plate' })).toEqual(['plate']);
    expect(paths({ ...base, kind: 'object', plate: { text: 'A1' } })).toEqual(['plate']);
    expect(paths({ ...base, kind: 'face', face: { quality: 0.5 }, crop: new Uint8Array([0x89, 0x50, 0x4e, 0x47]) })).toEqual(['crop']);
    expect(paths({ ...base, kind: 'face', face: { quality: 0.5, embedding: [1, 2] } })).toEqual(['face.model']);
    expect(paths({ ...base, kind: 'object', score: 1.2 })).toEqual(['score']);
    expect(paths({ ...base, kind: 'object', box: [10, 10, 5, 20] })).toEqual(['box']);
  });
});
