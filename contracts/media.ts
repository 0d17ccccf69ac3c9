import { z } from 'zod';
import { cameraStatusSchema } from './api.ts';

/**
 * Contracts of live video, recording and camera health (ingest ↔ API ↔ browser).
 */

/** The health of one camera's stream session, as stored and pushed (`camera.status`). */
export const cameraHealthSchema = z.object({
  cameraId: z.string(),
  status: cameraStatusSchema,
  /** Why the camera is not online, in plain words (e.g. "wrong user name or password"). */
  reason: z.string().nullable(),
  /** Frames per second decoded for analytics over the last seconds, null when unknown. */
  fps: z.number().nullable(),
  /** Frames dropped by the analytics queue since the session started. */
  droppedFrames: z.number().int(),
  restarts: z.number().int(),
  lastFrameAt: z.string().nullable(),
  since: z.string(),
});
export type CameraHealth = z.infer<typeof cameraHealthSchema>;

// ---------- live view through the WebRTC relay (Janus streaming plugin) ----------
/** POST /api/live/:cameraId/viewers → the relay's SDP offer for this viewer. */
export const liveViewerOfferSchema = z.object({
  viewerId: z.string(),
  cameraId: z.string(),
  type: z.literal('offer'),
  sdp: z.string(),
});
export type LiveViewerOffer = z.infer<typeof liveViewerOfferSchema>;

/** POST /api/live/viewers/:viewerId/answer with the browser's complete SDP answer (ICE gathered). */
export const liveViewerAnswerSchema = z.object({ type: z.literal('answer'), sdp: z.string().min(10).max(100_000) }).strict();
export type LiveViewerAnswer = z.infer<typeof liveViewerAnswerSchema>;

// ---------- recordings ----------
export const recordingSchema = z.object({
  id: z.string(),
  cameraId: z.string(),
  startedAt: z.string(),
  endedAt: z.string(),
  bytes: z.number().int(),
});
export type Recording = z.infer<typeof recordingSchema>;

// ---------- PTZ ----------
export const ptzCommandSchema = z.discriminatedUnion('action', [
  z
    .object({
      action: z.literal('move'),
      x: z.number().min(-1).max(1).describe('pan speed, -1 (left) to 1 (right)'),
      y: z.number().min(-1).max(1).describe('tilt speed, -1 (down) to 1 (up)'),
      zoom: z.number().min(-1).max(1).default(0).describe('zoom speed, -1 (out) to 1 (in)'),
      timeoutMs: z.number().int().min(100).max(10_000).optional(),
    })
    .strict(),
  z.object({ action: z.literal('stop') }).strict(),
  z.object({ action: z.literal('goto'), preset: z.string().min(1).max(64) }).strict(),
  z.object({ action: z.literal('set'), name: z.string().trim().min(1).max(64) }).strict(),
]);
export type PtzCommand = z.infer<typeof ptzCommandSchema>;
export const ptzPresetSchema = z.object({ token: z.string(), name: z.string() });
export type PtzPreset = z.infer<typeof ptzPresetSchema>;

// ---------- video wall layouts (saved per user) ----------
export const WALL_GRIDS = [1, 4, 9, 16, 25, 36] as const;
export const wallGridSchema = z.union([z.literal(1), z.literal(4), z.literal(9), z.literal(16), z.literal(25), z.literal(36)]);
export const wallTourSchema = z
  .object({
    /** Cameras cycled through, in order. */
    cameraIds: z.array(z.string().uuid()).min(1).max(500),
    intervalSeconds: z.number().int().min(3).max(3600),
    /** 'wall': every tile moves on by one page of cameras; 'tile': only tile `tileIndex` cycles. */
    scope: z.enum(['wall', 'tile']),
    tileIndex: z.number().int().min(0).max(35).nullable().default(null),
  })
  .strict();
export const wallLayoutInputSchema = z
  .object({
    grid: wallGridSchema,
    /** Camera shown in each tile, by tile index; null for an empty tile. */
    tiles: z.array(z.string().uuid().nullable()).max(36),
    tour: wallTourSchema.nullable().default(null),
  })
  .strict();
export type WallLayoutInput = z.infer<typeof wallLayoutInputSchema>;
export const wallLayoutSchema = wallLayoutInputSchema.extend({
  name: z.string(),
  updatedAt: z.string(),
});
export type WallLayout = z.infer<typeof wallLayoutSchema>;
export const layoutNameSchema = z.string().trim().min(1).max(64);
