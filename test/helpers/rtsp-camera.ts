/**
 * A real RTSP camera for media tests: scripts/rtsp-camera.py (GStreamer's RTSP server, H.264 from
 * x264) on 127.0.0.1. It fails loudly when GStreamer is missing; tests are never skipped.
 *
 *   const cam = await startRtspCamera({ mounts: [{ path: 'cam1', source: { kind: 'file', path: 'video/vtest.avi' } }] });
 *   cam.url('cam1')            // rtsp://127.0.0.1:<port>/cam1 (with user:password@ when set)
 *   cam.kill()                 // SIGKILL: the camera dies as if its power failed
 *   await cam.restart()        // serves again on the same port
 *   await cam.stop()
 *
 * Relative source paths are taken relative to ../shared/media (the repository's sibling folder).
 * Keep test streams small (the default is 640x360 at 10 fps).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RtspCameraServer, type RtspCameraMount } from '../../ingest/demo/rtsp-camera.process.ts';

export const MEDIA_DIR = fileURLToPath(new URL('../../../shared/media/', import.meta.url));
export const VTEST_AVI = `${MEDIA_DIR}video/vtest.avi`;

export type RtspCameraSourceSpec = RtspCameraMount['source'];

export interface RtspCameraOptions {
  mounts: Array<{
    path: string;
    source: RtspCameraSourceSpec;
    width?: number;
    height?: number;
    fps?: number;
    frameCounter?: boolean;
  }>;
  /** Default: a free port. */
  port?: number;
  user?: string;
  password?: string;
  /** File for the frame-counter send times (see readFrameLog). */
  frameLogFile?: string;
}

export interface RtspCamera {
  /** The mount's URL, with user:password@ when the camera has credentials. */
  url(path: string): string;
  /** The mount's URL without credentials. */
  plainUrl(path: string): string;
  readonly port: number;
  /** pid of the server process while it runs. */
  readonly pid: number | undefined;
  stop(): Promise<void>;
  /** Default SIGKILL: simulates a dead camera. */
  kill(signal?: NodeJS.Signals): void;
  /** Serve again on the same port. */
  restart(): Promise<void>;
}

export async function startRtspCamera(options: RtspCameraOptions): Promise<RtspCamera> {
  const server = await RtspCameraServer.start({
    mounts: options.mounts,
    port: options.port ?? 0,
    user: options.user,
    password: options.password,
    mediaDir: MEDIA_DIR,
    frameLogFile: options.frameLogFile,
    onLog: process.env.RTSP_CAMERA_DEBUG ? (line) => console.error(`[rtsp-camera] ${line}`) : undefined,
  });
  return {
    url: (path) => server.url(path, true),
    plainUrl: (path) => server.url(path, false),
    get port() {
      return server.port;
    },
    get pid() {
      return server.pid;
    },
    stop: () => server.stop(),
    kill: (signal) => server.kill(signal ?? 'SIGKILL'),
    restart: () => server.restart(),
  };
}

/** The frame counter drawn by `frameCounter` mounts, read back from a bgr24 frame (any width), or null when absent. */
export function decodeFrameCounter(data: Uint8Array, width: number, height: number): number | null {
  const cell = width / 32;
  const y = Math.floor(cell / 2);
  if (y >= height) return null;
  const luma = (i: number): number => {
    // Mean of a small square at the cell's centre.
    const cx = Math.floor((i + 0.5) * cell);
    const r = Math.max(0, Math.floor(cell / 4) - 1);
    let sum = 0;
    let n = 0;
    for (let yy = y - r; yy <= y + r; yy++) {
      for (let xx = cx - r; xx <= cx + r; xx++) {
        const o = (yy * width + xx) * 3;
        sum += 0.114 * data[o]! + 0.587 * data[o + 1]! + 0.299 * data[o + 2]!;
        n++;
      }
    }
    return sum / n;
  };
  if (luma(0) < 160 || luma(1) > 96) return null;
  let value = 0;
  for (let i = 2; i < 32; i++) value = value * 2 + (luma(i) >= 128 ? 1 : 0);
  return value;
}

/** frame number → send time (ms since the epoch) for one mount, from a frame log file. */
export function readFrameLog(file: string, mount: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [m, n, t] = line.split('\t');
    if (m === mount.replace(/^\/+/, '') && n !== undefined && t !== undefined) out.set(Number(n), Number(t));
  }
  return out;
}
