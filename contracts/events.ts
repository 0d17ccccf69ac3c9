import { z } from 'zod';
import { cameraSchema, cameraStatusSchema } from './api.ts';
import type { Alert } from './alerts.ts';
import type { ExportJob } from './exports.ts';
import type { Dispatch, Incident, Unit } from './incidents.ts';
import type { CameraAnalytics, Sighting } from './sightings.ts';

/**
 * socket.io events, as typed maps. The server pushes; clients join rooms the server authorises.
 * Room names: `role:<role>`, `user:<id>`, `camera:<id>`, `site:<id>`, `unit:<id>` (the sockets of the
 * users linked to a unit join it at connection).
 */
export const cameraStatusEventSchema = z.object({
  cameraId: z.string(),
  status: cameraStatusSchema,
  reason: z.string().nullable(),
  at: z.string(),
});
export type CameraStatusEvent = z.infer<typeof cameraStatusEventSchema>;

export const noticeEventSchema = z.object({
  id: z.string(),
  level: z.enum(['info', 'warning', 'critical']),
  text: z.string(),
  at: z.string(),
});
export type NoticeEvent = z.infer<typeof noticeEventSchema>;

export const subscribeRequestSchema = z.object({ room: z.string().min(1).max(200) }).strict();

export interface ServerToClientEvents {
  'camera.created': (camera: z.infer<typeof cameraSchema>) => void;
  'camera.updated': (camera: z.infer<typeof cameraSchema>) => void;
  'camera.deleted': (payload: { id: string }) => void;
  'camera.status': (event: CameraStatusEvent) => void;
  notice: (event: NoticeEvent) => void;
  /**
   * A sighting was stored (an early read of a track, or a one-step final one); pushed after the
   * row and its evidence files are stored, to users with 'sightings.search' only (not to camera
   * rooms, which any camera viewer may join).
   */
  'sighting.created': (sighting: Sighting) => void;
  /** A stored sighting was refined in place (stage early → final, better read or crop); same audience. */
  'sighting.updated': (sighting: Sighting) => void;
  /** A camera's analytics settings changed; to users with 'cameras.manage'. */
  'camera.analytics': (analytics: CameraAnalytics) => void;
  /**
   * A watchlist hit, pushed after it is stored: to `site:<siteId>`, `camera:<cameraId>` and the
   * command roles' rooms; a covert one only to the roles holding 'watchlists.manage'. A client that
   * reconnects asks GET /api/alerts/since?seq=<last seq seen> and keeps each alert id once.
   */
  'alert.created': (alert: Alert) => void;
  /** An alert changed (acknowledged, inspecting, resolved, a note, escalated); same audience as its creation. */
  'alert.updated': (alert: Alert) => void;
  /**
   * An incident was created (110 call, alert, SOS, by hand), pushed after it is stored: to the
   * dispatcher and commander rooms, and the roles its emergency plan names.
   */
  'incident.created': (incident: Incident) => void;
  /** An incident changed (fields, status, plan step, note, closed); same audience, and the rooms of its dispatched units. */
  'incident.updated': (incident: Incident) => void;
  /** A unit was sent to an incident: to the dispatchers, commanders, `unit:<id>` and its linked users' rooms. */
  'dispatch.created': (dispatch: Dispatch) => void;
  /** A dispatch changed status or was flagged overdue; same audience. */
  'dispatch.updated': (dispatch: Dispatch) => void;
  /** A unit's position, status or details changed: to the dispatchers, commanders and `unit:<id>`. */
  'unit.updated': (unit: Unit) => void;
  /** An evidence export changed (started, progress, done, failed): to `user:<creator id>` only. */
  'export.updated': (job: ExportJob) => void;
}

export type AckReply<T = unknown> = { ok: true; data?: T } | { ok: false; error: { code: string; message: string } };

export interface ClientToServerEvents {
  subscribe: (request: { room: string }, ack: (reply: AckReply<{ room: string }>) => void) => void;
  unsubscribe: (request: { room: string }, ack: (reply: AckReply<{ room: string }>) => void) => void;
}

export type ServerEventName = keyof ServerToClientEvents;
