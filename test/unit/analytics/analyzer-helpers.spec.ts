import { describe, expect, it } from 'vitest';
import { PIPELINES, type FrameAnalysis, type Point } from '../../../contracts/analytics.ts';
import { DEFAULT_REQUEST, pointInPolygon, roundAnalysis } from '../../../analytics/analyzer.ts';

/** The pure helpers of analytics/analyzer.ts: the region-of-interest test and the JSON rounding. */

describe('pointInPolygon', () => {
  const square: Point[] = [
    [0, 0],
    [10, 0],
    [10, 10],
    [0, 10],
  ];
  // A U shape: the notch (4..6 × 5..10) is outside.
  const u: Point[] = [
    [0, 0],
    [10, 0],
    [10, 10],
    [6, 10],
    [6, 5],
    [4, 5],
    [4, 10],
    [0, 10],
  ];

  it('finds points inside and outside a square', () => {
    expect(pointInPolygon([5, 5], square)).toBe(true);
    expect(pointInPolygon([0.1, 9.9], square)).toBe(true);
    expect(pointInPolygon([-1, 5], square)).toBe(false);
    expect(pointInPolygon([5, 11], square)).toBe(false);
    expect(pointInPolygon([15, 15], square)).toBe(false);
  });

  it('handles a concave polygon: the notch of a U is outside, its arms inside', () => {
    expect(pointInPolygon([5, 8], u)).toBe(false);
    expect(pointInPolygon([5, 2], u)).toBe(true);
    expect(pointInPolygon([2, 8], u)).toBe(true);
    expect(pointInPolygon([8, 8], u)).toBe(true);
  });

  it('does not depend on the winding direction', () => {
    const reversed = [...u].reverse();
    for (const p of [
      [5, 8],
      [5, 2],
      [2, 8],
      [11, 5],
    ] as Point[]) {
      expect(pointInPolygon(p, reversed)).toBe(pointInPolygon(p, u));
    }
  });

  it('works on a triangle in normalised coordinates, as a region of interest is given', () => {
    const roi: Point[] = [
      [0.1, 0.9],
      [0.5, 0.1],
      [0.9, 0.9],
    ];
    expect(pointInPolygon([0.5, 0.5], roi)).toBe(true);
    expect(pointInPolygon([0.2, 0.2], roi)).toBe(false);
    expect(pointInPolygon([0.5, 0.95], roi)).toBe(false);
  });

  it('finds nothing inside a degenerate polygon', () => {
    expect(pointInPolygon([1, 1], [])).toBe(false);
    expect(pointInPolygon([1, 1], [[1, 1]])).toBe(false);
  });
});

describe('roundAnalysis', () => {
  const raw: FrameAnalysis = {
    plates: [
      {
        text: '京A12345',
        colour: 'blue',
        layers: 1,
        score: 0.876543219,
        box: [10.04, 20.06, 130.449, 60.951],
        corners: [
          [10.01, 20.26],
          [130.44, 21.05],
          [130.45, 60.96],
          [10.14, 59.949],
        ],
      },
    ],
    faces: [
      {
        box: [1.23, 4.56, 7.89, 10.11],
        score: 0.99999,
        landmarks: [
          [1.11, 2.22],
          [3.33, 4.44],
          [5.55, 6.66],
          [7.77, 8.88],
          [9.99, 10.01],
        ],
        quality: 0.123456,
        embedding: [0.123456789, -0.987654321],
      },
      {
        box: [0, 0, 30, 30],
        score: 0.5,
        landmarks: [
          [0, 0],
          [0, 0],
          [0, 0],
          [0, 0],
          [0, 0],
        ],
        quality: 0,
      },
    ],
    objects: [{ label: 'car', score: 0.333333333, box: [100.26, 0.04, 540.55, 380.949] }],
  };

  it('rounds coordinates to 0.1 px and scores and quality to 4 decimals', () => {
    const r = roundAnalysis(raw);
    expect(r.plates[0]).toEqual({
      text: '京A12345',
      colour: 'blue',
      layers: 1,
      score: 0.8765,
      box: [10, 20.1, 130.4, 61],
      corners: [
        [10, 20.3],
        [130.4, 21.1],
        [130.5, 61],
        [10.1, 59.9],
      ],
    });
    expect(r.faces[0]!.box).toEqual([1.2, 4.6, 7.9, 10.1]);
    expect(r.faces[0]!.landmarks).toEqual([
      [1.1, 2.2],
      [3.3, 4.4],
      [5.6, 6.7],
      [7.8, 8.9],
      [10, 10],
    ]);
    expect(r.faces[0]!.score).toBe(1);
    expect(r.faces[0]!.quality).toBe(0.1235);
    expect(r.objects).toEqual([{ label: 'car', score: 0.3333, box: [100.3, 0, 540.6, 380.9] }]);
  });

  it('passes embeddings through unrounded, and adds none where there was none', () => {
    const r = roundAnalysis(raw);
    expect(r.faces[0]!.embedding).toEqual([0.123456789, -0.987654321]);
    expect('embedding' in r.faces[1]!).toBe(false);
  });

  it('keeps exactly the documented members of each result, in the documented order', () => {
    const extra = {
      ...raw,
      faces: raw.faces.map((f) => ({ ...f, aligned: { width: 1, height: 1, order: 'rgb', data: new Uint8Array(3) } })),
      objects: raw.objects.map((o) => ({ ...o, trackId: 7 })),
    } as FrameAnalysis;
    const r = roundAnalysis(extra);
    expect(Object.keys(r)).toEqual(['plates', 'faces', 'objects']);
    expect(Object.keys(r.plates[0]!)).toEqual(['text', 'colour', 'layers', 'score', 'box', 'corners']);
    expect(Object.keys(r.faces[0]!)).toEqual(['box', 'score', 'landmarks', 'quality', 'embedding']);
    expect(Object.keys(r.faces[1]!)).toEqual(['box', 'score', 'landmarks', 'quality']);
    expect(Object.keys(r.objects[0]!)).toEqual(['label', 'score', 'box']);
  });

  it('does not change its input', () => {
    const copy = structuredClone(raw);
    roundAnalysis(raw);
    expect(raw).toEqual(copy);
  });
});

describe('DEFAULT_REQUEST', () => {
  it('runs every pipeline on the whole image without embeddings', () => {
    expect(DEFAULT_REQUEST.pipelines).toEqual([...PIPELINES]);
    expect(DEFAULT_REQUEST).toMatchObject({ embeddings: false, roi: null, vehiclesOnly: false, minEmbedQuality: 0 });
    expect(DEFAULT_REQUEST.minPlateWidth).toBeGreaterThan(0);
    expect(DEFAULT_REQUEST.minFaceSize).toBeGreaterThan(0);
  });
});
