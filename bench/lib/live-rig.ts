/**
 * What the live benchmarks share: a real RTSP test camera (GStreamer, x264) with the frame counter, a
 * real Argus (api + worker + ingest roles, Janus relay on loopback) pulling it, and Debian's Chromium
 * (playwright-core) with pages on the Argus origin that open viewers through the API as the web app
 * does. `stop()` ends everything it started; it also runs on SIGINT/SIGTERM.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startRtspCamera, type RtspCamera } from '../../test/helpers/rtsp-camera.ts';
import { startTestSystem, type TestSystem } from '../../test/helpers/system.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../test/browser/browser.ts';
import { BENCH_PAGE_HTML, BENCH_PAGE_PATH } from './live-page.ts';
import { findDescendants } from './proc-cpu.ts';

/** test/browser/live.spec.ts's flags: headless, no GPU, autoplay without a gesture, real local addresses in getStats. */
export const BENCH_CHROMIUM_ARGS = [
  ...CHROMIUM_ARGS,
  '--autoplay-policy=no-user-gesture-required',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  // Pages of a benchmark must not be slowed down for being in the background.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

/**
 * Port ranges of our own, away from the relay's defaults (20000–21999) that tests running beside a
 * benchmark use.
 */
const RTP_PORTS = { min: 23000, max: 23099 };
const WEBRTC_PORTS = { min: 23100, max: 23999 };

export interface LiveRigOptions {
  width: number;
  height: number;
  fps: number;
}

export interface LiveRig {
  cam: RtspCamera;
  sys: TestSystem;
  browser: Browser;
  token: string;
  cameraId: string;
  /** The camera's frame log: `mount<TAB>frame<TAB>send ms` per frame. */
  frameLogFile: string;
  mount: string;
  /** A new page (own browser context) with window.bench loaded. */
  newPage(): Promise<Page>;
  /** Log in another user (a user may hold 36 viewers at once). */
  extraToken(): Promise<string>;
  /** Viewers the relay holds now. */
  relayViewers(): number;
  pids: { janus(): number[]; ingestFfmpeg(): number[]; camera(): number[]; chromium(): number[] };
  stop(): Promise<void>;
}

export const MOUNT = 'bench';

export async function startLiveRig(options: LiveRigOptions): Promise<LiveRig> {
  const workDir = mkdtempSync(join(tmpdir(), 'argus-bench-'));
  const frameLogFile = join(workDir, 'frames.tsv');
  const contexts: BrowserContext[] = [];
  let cam: RtspCamera | undefined;
  let sys: TestSystem | undefined;
  let browser: Browser | undefined;
  let stopped: Promise<void> | undefined;

  const stop = () =>
    (stopped ??= (async () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser?.close().catch(() => undefined);
      await sys?.stop().catch((err: unknown) => console.error(`[bench] stopping Argus: ${(err as Error).message}`));
      await cam?.stop().catch(() => undefined);
      rmSync(workDir, { recursive: true, force: true });
    })());
  const onSignal = (signal: NodeJS.Signals) => {
    console.error(`[bench] ${signal}: cleaning up`);
    void stop().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    cam = await startRtspCamera({
      mounts: [{ path: MOUNT, source: { kind: 'pattern' }, width: options.width, height: options.height, fps: options.fps, frameCounter: true }],
      frameLogFile,
    });
    sys = await startTestSystem({
      config: {
        roles: ['api', 'worker', 'ingest'],
        relay: { enabled: true, rtpPorts: RTP_PORTS, webrtcPorts: WEBRTC_PORTS },
        ingest: { roundSeconds: 1, recording: { enabled: false } },
      },
    });
    const s = sys;
    const token = await s.login(s.admin.username, s.admin.password);
    const created = await s.api('/api/cameras', { token, body: { name: 'Bench camera', sourceKind: 'rtsp', sourceUrl: cam.url(MOUNT) } });
    if (created.status !== 201) throw new Error(`create camera: ${created.status} ${JSON.stringify(created.body)}`);
    const cameraId = created.body.id as string;

    // The relay has the camera once ingest runs and RTP arrives: a viewer can then be opened.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const offer = await s.api(`/api/live/${cameraId}/viewers`, { token, method: 'POST', body: {} });
      if (offer.status === 201) {
        await s.api(`/api/live/viewers/${offer.body.viewerId}`, { token, method: 'DELETE' });
        break;
      }
      if (Date.now() > deadline) throw new Error(`the camera never became live: ${offer.status} ${JSON.stringify(offer.body)}`);
      await new Promise((r) => setTimeout(r, 300));
    }

    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: BENCH_CHROMIUM_ARGS });
    const b = browser;
    let users = 0;
    return {
      cam,
      sys: s,
      browser: b,
      token,
      cameraId,
      frameLogFile,
      mount: MOUNT,
      async newPage() {
        const context = await b.newContext({ viewport: { width: 1280, height: 720 } });
        contexts.push(context);
        const page = await context.newPage();
        page.on('pageerror', (e) => console.error(`[page] ${e.message}`));
        await page.route(`${s.baseUrl}${BENCH_PAGE_PATH}`, (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: BENCH_PAGE_HTML }));
        await page.goto(`${s.baseUrl}${BENCH_PAGE_PATH}`);
        await page.waitForFunction('!!window.bench');
        return page;
      },
      async extraToken() {
        users++;
        const username = `wall${users}`;
        const password = `wall-password-${users}`;
        await s.createUser({ username, password, roles: ['commander'] });
        return s.login(username, password);
      },
      relayViewers: () => s.argus.media.relay.viewerCount(),
      pids: {
        janus: () => findDescendants({ comm: /^janus/ }),
        // Argus's ingest ffmpeg: pulls the bench mount and sends RTP to the relay.
        ingestFfmpeg: () => findDescendants({ comm: /^ffmpeg$/, cmdline: new RegExp(`/${MOUNT}\\s.*-f rtp `) }),
        camera: () => findDescendants({ comm: /^python/, cmdline: /rtsp-camera\.py/ }),
        chromium: () => findDescendants({ comm: /chrom/i }),
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Run a benchmark's main: exit 0 when it finished, print the error and exit 1 when it failed. */
export function runBench(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
