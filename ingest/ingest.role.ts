import type { Logger } from '../config/logger.ts';

/**
 * The ingest role. Camera sessions (ONVIF, RTSP through ffmpeg, the live relay, recording and
 * frames for analytics) are not built yet; the role starts, says so and holds no cameras.
 */
export interface IngestRole {
  close(): Promise<void>;
}

export function startIngestRole(log: Logger): IngestRole {
  log.warn({ role: 'ingest' }, 'ingest role started: camera sessions are not implemented in this version; no video is pulled');
  return { close: async () => undefined };
}
