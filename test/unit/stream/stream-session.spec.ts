import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../config/logger.ts';
import type { CameraHealth } from '../../../contracts/media.ts';
import { FrameQueue } from '../../../ingest/stream/frame-queue.ts';
import {
  backoffDelaySeconds,
  canTransition,
  DEFAULT_BACKOFF_SECONDS,
  statusOf,
  StreamSession,
  type SessionState,
} from '../../../ingest/stream/stream-session.ts';
import { fakeFfmpegDir } from './fake-ffmpeg.ts';

function memoryLogger(): { log: ReturnType<typeof createLogger>; text: () => string } {
  const chunks: string[] = [];
  const dest = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return { log: createLogger({ log: { level: 'debug', pretty: false } }, dest), text: () => chunks.join('') };
}

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('reconnect backoff', () => {
  it('steps 1, 5, 10, 30, 60 s and stays at 60', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 100].map((a) => backoffDelaySeconds(a))).toEqual([1, 5, 10, 30, 60, 60, 60, 60]);
    expect(DEFAULT_BACKOFF_SECONDS).toEqual([1, 5, 10, 30, 60]);
    expect(backoffDelaySeconds(1, [0.1, 0.2])).toBe(0.2);
    expect(() => backoffDelaySeconds(0, [])).toThrow();
  });
});

describe('session state machine', () => {
  it('allows only the documented transitions', () => {
    const ok: Array<[SessionState, SessionState]> = [
      ['idle', 'starting'],
      ['starting', 'online'],
      ['online', 'degraded'],
      ['degraded', 'online'],
      ['online', 'offline'],
      ['offline', 'backoff'],
      ['backoff', 'starting'],
      ['backoff', 'stopped'],
    ];
    for (const [a, b] of ok) expect(canTransition(a, b), `${a}→${b}`).toBe(true);
    const bad: Array<[SessionState, SessionState]> = [
      ['offline', 'online'],
      ['backoff', 'online'],
      ['idle', 'online'],
      ['stopped', 'starting'],
      ['starting', 'degraded'],
    ];
    for (const [a, b] of bad) expect(canTransition(a, b), `${a}→${b}`).toBe(false);
  });

  it('reports offline while retrying, unknown before the first video', () => {
    expect(statusOf('starting', 'unknown')).toBe('unknown');
    expect(statusOf('starting', 'offline')).toBe('offline');
    expect(statusOf('backoff', 'online')).toBe('offline');
    expect(statusOf('degraded', 'online')).toBe('degraded');
  });
});

describe('StreamSession supervision (fake ffmpeg processes)', () => {
  const fakes = fakeFfmpegDir();
  const started: StreamSession[] = [];
  const track = (s: StreamSession): StreamSession => (started.push(s), s);
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.stop())); // no fake left running, even after a failure
  });
  afterAll(() => fakes.remove());

  it('retries a failing camera on the backoff steps, offline with the plain reason, password never logged', async () => {
    const bin = fakes.script(
      'auth-fails',
      `process.stderr.write('[error] ' + url + ': Server returned 401 Unauthorized (authorization failed)\\n'); process.exit(1);`,
    );
    const { log, text } = memoryLogger();
    const starts: number[] = [];
    const healths: CameraHealth[] = [];
    const session = track(new StreamSession({
      cameraId: 'cam-auth',
      url: 'rtsp://admin:TopSecret99@127.0.0.1:1/x',
      transport: 'tcp',
      relay: null,
      recording: null,
      frames: { fps: 5, width: 320 },
      frameSink: null,
      backoffSeconds: [0.2, 0.4, 0.7],
      ffmpegPath: bin,
      healthIntervalSeconds: 0,
      log,
      onHealth: (h) => healths.push(h),
    }));
    const faults: number[] = [];
    session.onStateChange((s) => {
      if (s === 'starting') starts.push(Date.now());
      if (s === 'backoff') faults.push(Date.now());
    });
    session.start();
    await waitFor(() => starts.length >= 5, 20_000, 'five starts');
    await session.stop();
    // The wait is from each failure to the next start (the fake's own start-up, slow on a loaded
    // machine, is not part of the backoff).
    const gaps = starts.slice(1).map((t, i) => (t - faults[i]!) / 1000);
    const steps = [0.2, 0.4, 0.7, 0.7];
    gaps.slice(0, 4).forEach((gap, i) => {
      expect(gap, `gap ${i}`).toBeGreaterThanOrEqual(steps[i]! - 0.02);
      expect(gap, `gap ${i}`).toBeLessThan(steps[i]! + 0.4);
    });
    expect(healths[0]).toMatchObject({ cameraId: 'cam-auth', status: 'offline', reason: 'wrong user name or password', fps: null });
    expect(session.health.restarts).toBeGreaterThanOrEqual(4);
    expect(session.state).toBe('stopped');
    expect(text()).toContain('admin:***@127.0.0.1');
    expect(text()).not.toContain('TopSecret99');
  });

  it('goes online on the first frame, hands frames to the sink, and the watchdog restarts a silent ffmpeg', async () => {
    const bin = fakes.script(
      'then-hangs',
      `process.stderr.write("[info] Output #0, rawvideo, to 'pipe:1':\\n[info]   Stream #0:0: Video: rawvideo (BGR[24] / 0x18524742), bgr24, 16x2, 5 fps\\n");
       let n = 0;
       const t = setInterval(() => { fs.writeSync(1, Buffer.alloc(96, n)); if (++n === 5) clearInterval(t); }, 100);
       setInterval(() => {}, 1000); // alive but silent: hung`,
    );
    const { log } = memoryLogger();
    const queue = new FrameQueue(3);
    const states: Array<[SessionState, string | null]> = [];
    const session = track(new StreamSession({
      cameraId: 'cam-hang',
      url: 'rtsp://127.0.0.1:1/x',
      transport: 'tcp',
      relay: null,
      recording: null,
      frames: { fps: 10, width: 16 },
      frameSink: queue,
      watchdogSeconds: 1,
      backoffSeconds: [0.1],
      ffmpegPath: bin,
      log,
    }));
    session.onStateChange((s, r) => states.push([s, r]));
    session.start();
    await waitFor(() => session.state === 'online', 5000, 'online');
    const firstPid = session.pid!;
    await waitFor(() => states.some(([s]) => s === 'offline'), 5000, 'watchdog');
    const offline = states.find(([s]) => s === 'offline')!;
    expect(offline[1]).toMatch(/^no video for \d+(\.\d)? s \(ffmpeg hung\); restarting$/);
    await waitFor(() => session.health.restarts >= 1 && session.state === 'online', 5000, 'restart');
    expect(session.pid).not.toBe(firstPid);
    expect(() => process.kill(firstPid, 0)).toThrow(/ESRCH/);
    const f = queue.shift()!;
    expect(f).toMatchObject({ cameraId: 'cam-hang', width: 16, height: 2, format: 'bgr24' });
    expect(f.data.length).toBe(96);
    expect(queue.dropped).toBeGreaterThan(0); // 5+ frames into a queue of 3
    expect(session.health.droppedFrames).toBe(queue.dropped);
    // Degraded came before offline: the stall was seen first.
    const order = states.map(([s]) => s);
    expect(order.slice(0, 2)).toEqual(['starting', 'online']);
    expect(order.slice(0, order.indexOf('offline'))).toContain('degraded');
    const pid = session.pid!;
    await session.stop();
    expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
    expect(session.pid).toBeUndefined();
  });

  it('gives up on a start that shows no video within the start timeout', async () => {
    const bin = fakes.script('silent', `setInterval(() => {}, 1000);`);
    const { log } = memoryLogger();
    const session = track(new StreamSession({
      cameraId: 'cam-silent',
      url: 'rtsp://127.0.0.1:1/x',
      transport: 'udp',
      relay: { rtpPort: 5004 },
      recording: null,
      frames: null,
      frameSink: null,
      startTimeoutSeconds: 0.5,
      backoffSeconds: [5],
      ffmpegPath: bin,
      log,
    }));
    session.start();
    await waitFor(() => session.state === 'backoff', 3000, 'backoff');
    expect(session.health).toMatchObject({ status: 'offline', reason: 'no video from the camera within 0.5 s' });
    await session.stop();
  });

  it('an unwritable recording folder is a reason, not a crash', async () => {
    const bin = fakes.script('unused', `process.exit(0);`);
    const blocker = join(tmpdir(), `argus-not-a-folder-${process.pid}`);
    writeFileSync(blocker, 'x');
    const { log } = memoryLogger();
    const session = track(
      new StreamSession({
        cameraId: 'cam-rec',
        url: 'rtsp://127.0.0.1:1/x',
        transport: 'tcp',
        relay: null,
        recording: { dir: join(blocker, 'cam-rec'), segmentSeconds: 60 }, // a file where a folder should be
        frames: null,
        frameSink: null,
        backoffSeconds: [5],
        ffmpegPath: bin,
        log,
      }),
    );
    session.start();
    expect(session.health).toMatchObject({ status: 'offline', reason: 'cannot create the recording folder (ENOTDIR)' });
    expect(session.state).toBe('backoff');
    rmSync(blocker);
  });

  it('refuses sources ffmpeg sessions do not handle, and sessions without outputs', () => {
    const { log } = memoryLogger();
    const base = { cameraId: 'x', transport: 'tcp' as const, relay: null, recording: null, frames: { fps: 1, width: 320 }, frameSink: null, log };
    expect(() => new StreamSession({ ...base, url: 'http://cam/x.mjpg' })).toThrow(/unsupported/);
    expect(() => new StreamSession({ ...base, url: 'rtsp://cam/x', frames: null })).toThrow(/at least one output/);
  });
});
