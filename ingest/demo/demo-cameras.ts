import { createWriteStream, existsSync, mkdirSync, readdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../config/logger.ts';
import { RtspCameraError, RtspCameraServer, type RtspCameraMount } from './rtsp-camera.process.ts';

/**
 * Demo cameras for the embedded default: real RTSP cameras on 127.0.0.1 made from the demo media
 * (`<mediaDir>`, normally ../shared/media): a street scene (vtest.avi), street and parking photos with
 * Chinese plates, traffic-camera photos (CCPD), and faces — the stills shown as slowly panning and
 * zooming scenes. Served by scripts/rtsp-camera.py (GStreamer's RTSP server, H.264); each client gets
 * its own encoder, so a camera costs encoding only while something pulls it.
 *
 * A camera whose media is missing is left out (with a warning); none at all is an error. If the server
 * dies it is started again on the same port. The server's own log goes to
 * `<dataDir>/logs/demo-cameras.log`.
 */

export interface DemoCamera {
  name: string;
  /** rtsp://127.0.0.1:<port>/demo/<name>; no credentials. */
  url: string;
  description: string;
}

export interface DemoCameras {
  cameras: DemoCamera[];
  port: number;
  stop(): Promise<void>;
}

export interface DemoCamerasOptions {
  mediaDir: string;
  dataDir: string;
  log: Logger;
  /** Default 8554; when taken, a free port is used instead. */
  port?: number;
}

interface DemoSpec {
  name: string;
  description: string;
  mount: (mediaDir: string) => RtspCameraMount | null;
}

function hasImages(dir: string): boolean {
  return existsSync(dir) && readdirSync(dir).some((f) => /\.(jpe?g|png)$/i.test(f));
}

const DEMO_SPECS: readonly DemoSpec[] = [
  {
    name: 'street',
    description: 'Fixed outdoor camera, people walking (vtest.avi)',
    mount: (dir) => {
      const path = join(dir, 'video', 'vtest.avi');
      return existsSync(path) ? { path: 'demo/street', source: { kind: 'file', path }, width: 768, height: 576, fps: 10 } : null;
    },
  },
  {
    name: 'plates',
    description: 'Street and parking scenes with Chinese plates (stills, panned)',
    mount: (dir) => {
      const path = join(dir, 'plates', 'scenes');
      return hasImages(path)
        ? { path: 'demo/plates', source: { kind: 'slideshow', path, secondsPerImage: 6 }, width: 1280, height: 720, fps: 10, bitrateKbps: 1500 }
        : null;
    },
  },
  {
    name: 'checkpoint',
    description: 'Traffic-camera photos at a checkpoint (CCPD samples, panned)',
    mount: (dir) => {
      const path = join(dir, 'plates', 'scenes', 'ccpd');
      return hasImages(path)
        ? { path: 'demo/checkpoint', source: { kind: 'slideshow', path, secondsPerImage: 5 }, width: 1280, height: 720, fps: 10, bitrateKbps: 1500 }
        : null;
    },
  },
  {
    name: 'faces',
    description: 'Faces (portrait photos, panned)',
    mount: (dir) => {
      const path = join(dir, 'faces');
      return hasImages(path)
        ? { path: 'demo/faces', source: { kind: 'slideshow', path, secondsPerImage: 4 }, width: 1280, height: 720, fps: 10, bitrateKbps: 1200 }
        : null;
    },
  },
];

export const DEFAULT_DEMO_PORT = 8554;

export async function startDemoCameras(options: DemoCamerasOptions): Promise<DemoCameras> {
  const log = options.log.child({ module: 'demo-cameras' });
  const chosen: Array<{ spec: DemoSpec; mount: RtspCameraMount }> = [];
  for (const spec of DEMO_SPECS) {
    const mount = spec.mount(options.mediaDir);
    if (mount) chosen.push({ spec, mount });
    else log.warn({ camera: spec.name, mediaDir: options.mediaDir }, 'demo camera left out: its media is missing');
  }
  if (chosen.length === 0) throw new Error(`no demo media found under ${options.mediaDir} (expected video/vtest.avi, plates/scenes, faces)`);

  const logDir = join(options.dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const serverLog: WriteStream = createWriteStream(join(logDir, 'demo-cameras.log'), { flags: 'a' });
  serverLog.on('error', (err) => log.warn({ err }, 'demo camera log file failed'));
  const base = {
    mounts: chosen.map((c) => c.mount),
    mediaDir: options.mediaDir,
    onLog: (line: string) => serverLog.write(`${new Date().toISOString()} ${line}\n`),
  };

  const wanted = options.port ?? DEFAULT_DEMO_PORT;
  let server: RtspCameraServer;
  try {
    server = await RtspCameraServer.start({ ...base, port: wanted });
  } catch (err) {
    if (!(err instanceof RtspCameraError) || err.exitCode !== 4) {
      serverLog.end();
      throw err;
    }
    log.warn({ port: wanted }, 'demo camera port in use; using a free port');
    server = await RtspCameraServer.start({ ...base, port: 0 });
  }

  let stopped = false;
  let restartTimer: NodeJS.Timeout | null = null;
  server.onExit((code, signal) => {
    if (stopped) return;
    log.warn({ code, signal }, 'demo camera server died; starting it again in 2 s');
    const again = (): void => {
      restartTimer = setTimeout(() => {
        restartTimer = null;
        if (stopped) return;
        server.restart().then(
          () => log.info({ port: server.port }, 'demo camera server serving again'),
          (err: unknown) => {
            log.error({ err }, 'demo camera server could not start again');
            again();
          },
        );
      }, 2000);
    };
    again();
  });

  const cameras = chosen.map((c) => ({ name: c.spec.name, description: c.spec.description, url: server.url(c.mount.path, false) }));
  log.info({ port: server.port, cameras: cameras.map((c) => c.name) }, 'demo cameras serving');
  return {
    cameras,
    port: server.port,
    stop: async () => {
      stopped = true;
      if (restartTimer) clearTimeout(restartTimer);
      await server.stop();
      await new Promise<void>((resolve) => serverLog.end(() => resolve()));
    },
  };
}
