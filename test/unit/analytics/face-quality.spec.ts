import { describe, expect, it } from 'vitest';
import type { Box, Point } from '../../../contracts/analytics.ts';
import { DEFAULT_QUALITY_OPTIONS, faceQuality, poseFromLandmarks } from '../../../analytics/faces/face-quality.ts';
import { FACE_TEMPLATE_112 } from '../../../analytics/geometry/transforms.ts';

/**
 * Face quality = size × sharpness × pose (analytics/faces/face-quality.ts), with synthetic boxes,
 * sharpness values and landmarks whose pose is known by construction.
 */

/** Frontal landmarks: eyes level 40 px apart, nose midway below, mouth corners below the eyes. */
const FRONTAL: Point[] = [
  [80, 100],
  [120, 100],
  [100, 125],
  [85, 145],
  [115, 145],
];

/** Rotate points about (cx, cy) by `deg` degrees (image axes: y down, so positive turns clockwise on screen). */
function rotate(points: readonly Point[], deg: number, cx = 100, cy = 120): Point[] {
  const a = (deg * Math.PI) / 180;
  const c = Math.cos(a);
  const s = Math.sin(a);
  return points.map(([x, y]) => [cx + (x - cx) * c - (y - cy) * s, cy + (x - cx) * s + (y - cy) * c]);
}

/** A head turned sideways: the nose moves along the eye line by `fraction` of the eye distance. */
function turned(fraction: number): Point[] {
  const out = FRONTAL.map((p) => [...p] as Point);
  out[2] = [100 + fraction * 40, 125];
  return out;
}

const BIG: Box = [50, 60, 150, 180]; // 100×120: full size marks
const SHARP = 500;

describe('poseFromLandmarks', () => {
  it('reads a frontal face as no yaw and no roll, the ArcFace template too', () => {
    expect(poseFromLandmarks(FRONTAL)).toEqual({ yaw: 0, rollDegrees: 0 });
    const template = poseFromLandmarks(FACE_TEMPLATE_112);
    expect(template.yaw).toBeLessThan(0.01);
    expect(Math.abs(template.rollDegrees)).toBeLessThan(0.5);
  });

  it('measures yaw as the nose offset along the eye line relative to the eye distance, either way', () => {
    expect(poseFromLandmarks(turned(0.3)).yaw).toBeCloseTo(0.3, 9);
    expect(poseFromLandmarks(turned(-0.3)).yaw).toBeCloseTo(0.3, 9);
  });

  it('measures roll as the eye line angle, and yaw independently of roll', () => {
    const rolled = poseFromLandmarks(rotate(FRONTAL, 30));
    expect(rolled.rollDegrees).toBeCloseTo(30, 6);
    expect(rolled.yaw).toBeCloseTo(0, 9);
    expect(poseFromLandmarks(rotate(FRONTAL, -20)).rollDegrees).toBeCloseTo(-20, 6);
    expect(poseFromLandmarks(rotate(turned(0.25), 40)).yaw).toBeCloseTo(0.25, 9);
  });

  it('treats coincident eyes as the worst pose rather than dividing by zero', () => {
    const pts: Point[] = [
      [100, 100],
      [100, 100],
      [100, 120],
      [90, 140],
      [110, 140],
    ];
    expect(poseFromLandmarks(pts)).toEqual({ yaw: 1, rollDegrees: 90 });
  });
});

describe('faceQuality', () => {
  it('gives full marks to a big, sharp, frontal face', () => {
    expect(faceQuality(BIG, FRONTAL, SHARP)).toEqual({ size: 1, sharpness: 1, pose: 1, quality: 1 });
  });

  it('ramps size over the shorter side of the box: 0 at ≤ 20 px, 1 at ≥ 64 px', () => {
    const { minSide, goodSide } = DEFAULT_QUALITY_OPTIONS;
    expect([minSide, goodSide]).toEqual([20, 64]);
    const size = (w: number, h: number) => faceQuality([0, 0, w, h], FRONTAL, SHARP).size;
    expect(size(15, 100)).toBe(0);
    expect(size(20, 100)).toBe(0);
    expect(size(42, 200)).toBeCloseTo(0.5, 9);
    expect(size(200, 42)).toBeCloseTo(0.5, 9);
    expect(size(64, 64)).toBe(1);
    expect(size(300, 400)).toBe(1);
    // Monotonic in between.
    const ramp = [25, 30, 40, 50, 60].map((s) => size(s, s));
    expect([...ramp].sort((a, b) => a - b)).toEqual(ramp);
    expect(new Set(ramp).size).toBe(ramp.length);
  });

  it('ramps sharpness over the Laplacian variance: 0 at ≤ 15, 1 at ≥ 120', () => {
    const sharpness = (v: number) => faceQuality(BIG, FRONTAL, v).sharpness;
    expect(sharpness(3)).toBe(0);
    expect(sharpness(15)).toBe(0);
    expect(sharpness(67.5)).toBeCloseTo(0.5, 9);
    expect(sharpness(120)).toBe(1);
  });

  it('keeps full pose marks for a small turn and drops to 0 at a profile view', () => {
    const pose = (pts: Point[]) => faceQuality(BIG, pts, SHARP).pose;
    expect(pose(turned(0.1))).toBe(1);
    expect(pose(turned(0.15))).toBe(1);
    expect(pose(turned(0.325))).toBeCloseTo(0.5, 9);
    expect(pose(turned(0.5))).toBe(0);
    expect(pose(turned(-0.7))).toBe(0);
  });

  it('keeps full pose marks for a slight roll and drops to 0 when the head lies sideways', () => {
    const pose = (deg: number) => faceQuality(BIG, rotate(FRONTAL, deg), SHARP).pose;
    expect(pose(10)).toBeCloseTo(1, 9);
    expect(pose(-24)).toBeCloseTo(1, 9);
    expect(pose(37.5)).toBeCloseTo(0.5, 6);
    expect(pose(-37.5)).toBeCloseTo(0.5, 6);
    expect(pose(60)).toBe(0);
    expect(pose(180)).toBe(0); // upside down
  });

  it('multiplies the parts, so one bad factor is enough to keep a face out', () => {
    const q = faceQuality([0, 0, 42, 42], turned(0.325), 67.5);
    expect(q.size).toBeCloseTo(0.5, 9);
    expect(q.sharpness).toBeCloseTo(0.5, 9);
    expect(q.pose).toBeCloseTo(0.5, 9);
    expect(q.quality).toBeCloseTo(0.125, 9);
    expect(faceQuality(BIG, FRONTAL, 10).quality).toBe(0);
    expect(faceQuality([0, 0, 18, 18], FRONTAL, SHARP).quality).toBe(0);
    expect(faceQuality(BIG, turned(0.6), SHARP).quality).toBe(0);
  });

  it('uses the options it is given', () => {
    const q = faceQuality([0, 0, 30, 30], FRONTAL, 40, { minSide: 10, goodSide: 30, blurFloor: 0, sharpVariance: 80 });
    expect(q.size).toBe(1);
    expect(q.sharpness).toBeCloseTo(0.5, 9);
  });
});
