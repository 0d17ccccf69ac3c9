import type { Box, Point } from '../../contracts/analytics.ts';

/**
 * Face quality 0..1 = size × sharpness × pose, each 0..1, so that one bad factor is enough to keep a
 * face out of enrolment and matching:
 * - size: the shorter side of the face box, 0 at ≤ `minSide`, 1 at ≥ `goodSide` pixels;
 * - sharpness: the variance of the Laplacian of the aligned 112×112 face, 0 at ≤ `blurFloor`,
 *   1 at ≥ `sharpVariance`;
 * - pose from the landmarks: yaw from how far the nose sits off the eyes' midpoint (relative to the
 *   eye distance), roll from the eye line's angle; full marks up to a small turn, 0 at a profile view.
 */
export interface QualityParts {
  size: number;
  sharpness: number;
  pose: number;
  quality: number;
}

export interface QualityOptions {
  minSide: number;
  goodSide: number;
  blurFloor: number;
  sharpVariance: number;
}

export const DEFAULT_QUALITY_OPTIONS: QualityOptions = { minSide: 20, goodSide: 64, blurFloor: 15, sharpVariance: 120 };

const ramp = (v: number, lo: number, hi: number) => (v <= lo ? 0 : v >= hi ? 1 : (v - lo) / (hi - lo));

/** Yaw and roll indicators from 5 landmarks: |nose offset| / eye distance, and the eye line angle in degrees. */
export function poseFromLandmarks(landmarks: readonly Point[]): { yaw: number; rollDegrees: number } {
  const [le, re, nose] = landmarks as [Point, Point, Point];
  const ex = re[0] - le[0];
  const ey = re[1] - le[1];
  const eyeDist = Math.hypot(ex, ey);
  if (eyeDist < 1e-6) return { yaw: 1, rollDegrees: 90 };
  const midX = (le[0] + re[0]) / 2;
  const midY = (le[1] + re[1]) / 2;
  // Nose offset along the eye line, relative to the eye distance: 0 frontal, ≥ 0.5 near profile.
  const along = ((nose[0] - midX) * ex + (nose[1] - midY) * ey) / (eyeDist * eyeDist);
  return { yaw: Math.abs(along), rollDegrees: (Math.atan2(ey, ex) * 180) / Math.PI };
}

export function faceQuality(box: Box, landmarks: readonly Point[], alignedSharpness: number, options: QualityOptions = DEFAULT_QUALITY_OPTIONS): QualityParts {
  const side = Math.min(box[2] - box[0], box[3] - box[1]);
  const size = ramp(side, options.minSide, options.goodSide);
  const sharpness = ramp(alignedSharpness, options.blurFloor, options.sharpVariance);
  const { yaw, rollDegrees } = poseFromLandmarks(landmarks);
  const pose = (1 - ramp(yaw, 0.15, 0.5)) * (1 - ramp(Math.abs(rollDegrees), 25, 50));
  return { size, sharpness, pose, quality: size * sharpness * pose };
}
