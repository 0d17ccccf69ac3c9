/**
 * The RTSP test camera itself (scripts/rtsp-camera.py through test/helpers/rtsp-camera.ts) and the
 * demo cameras: real GStreamer, probed with the system's ffprobe/ffmpeg.
 */
import { execFile, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../config/logger.ts';
import { startDemoCameras } from '../../../ingest/demo/demo-cameras.ts';
import { RtspCameraServer } from '../../../ingest/demo/rtsp-camera.process.ts';
import { decodeFrameCounter, MEDIA_DIR, readFrameLog, startRtspCamera, VTEST_AVI, type RtspCamera } from '../../helpers/rtsp-camera.ts';

const run = promisify(execFile);

interface Probe {
  codec_name: string;
  profile: string;
  width: number;
  height: number;
}

/** ffprobe's view of a URL. A loaded CI machine (browsers decoding, other cameras encoding) can take
 * many seconds to start a camera's encoder, so the limit is generous and says when it was hit. */
async function probe(url: string, timeoutMs = 60_000): Promise<Probe> {
  try {
    const { stdout } = await run('ffprobe', ['-v', 'error', '-rtsp_transport', 'tcp', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,profile,width,height', '-of', 'json', url], {
      timeout: timeoutMs,
    });
    return (JSON.parse(stdout) as { streams: Probe[] }).streams[0]!;
  } catch (e) {
    if ((e as { killed?: boolean }).killed) throw new Error(`ffprobe ${url}: no answer within ${timeoutMs / 1000} s`);
    throw e;
  }
}

/**
 * Pull `count` decoded bgr24 frames from a URL with the system ffmpeg. `-fps_mode passthrough`: each
 * decoded frame is written once (rawvideo otherwise gets constant frame rate, which repeats a frame
 * when the camera's timestamps jitter on a loaded machine).
 */
function pullFrames(url: string, width: number, height: number, count: number, timeoutMs = 45_000): Promise<Array<{ at: number; data: Buffer }>> {
  return new Promise((resolve, reject) => {
    const ff = spawn(
      'ffmpeg',
      ['-v', 'error', '-rtsp_transport', 'tcp', '-flags', 'low_delay', '-analyzeduration', '500000', '-probesize', '100000', '-i', url, '-frames:v', String(count), '-vf', `scale=${width}:${height}`, '-fps_mode', 'passthrough', '-pix_fmt', 'bgr24', '-f', 'rawvideo', 'pipe:1'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const size = width * height * 3;
    const frames: Array<{ at: number; data: Buffer }> = [];
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      ff.kill('SIGKILL');
      reject(new Error(`ffmpeg ${url}: ${frames.length} of ${count} frames within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    ff.stdout.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= size) {
        frames.push({ at: Date.now(), data: buf.subarray(0, size) });
        buf = buf.subarray(size);
      }
    });
    ff.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    ff.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(frames);
      else reject(new Error(`ffmpeg exited ${code}`));
    });
  });
}

describe('RTSP test camera', () => {
  let cam: RtspCamera;
  let work: string;
  let frameLog: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'argus-rtspcam-'));
    frameLog = join(work, 'frames.tsv');
    cam = await startRtspCamera({
      frameLogFile: frameLog,
      mounts: [
        { path: 'video', source: { kind: 'file', path: VTEST_AVI }, width: 640, height: 360, fps: 10 },
        { path: 'still', source: { kind: 'image', path: 'plates/scenes/single_blue.jpg' }, width: 640, height: 360, fps: 10 },
        { path: 'slides', source: { kind: 'slideshow', path: `${MEDIA_DIR}faces` }, width: 480, height: 270, fps: 10 },
        { path: 'counter', source: { kind: 'pattern' }, width: 640, height: 360, fps: 15, frameCounter: true },
      ],
    });
  });

  afterAll(async () => {
    await cam?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('serves every kind of source as constrained-baseline H.264 at the asked size', { timeout: 120_000 }, async () => {
    const results = await Promise.all(['video', 'still', 'slides', 'counter'].map((m) => probe(cam.url(m))));
    expect(results.map((r) => [r.codec_name, r.profile, r.width, r.height])).toEqual([
      ['h264', 'Constrained Baseline', 640, 360],
      ['h264', 'Constrained Baseline', 640, 360],
      ['h264', 'Constrained Baseline', 480, 270],
      ['h264', 'Constrained Baseline', 640, 360],
    ]);
    expect(cam.url('video')).toBe(`rtsp://127.0.0.1:${cam.port}/video`);
  });

  it('a still image becomes a moving scene', async () => {
    const frames = await pullFrames(cam.url('still'), 160, 90, 25);
    const first = frames[0]!.data;
    const last = frames[frames.length - 1]!.data;
    let diff = 0;
    for (let i = 0; i < first.length; i++) diff += Math.abs(first[i]! - last[i]!);
    expect(diff / first.length).toBeGreaterThan(2); // mean absolute difference per byte
  });

  it('draws a frame counter that reads back in order, with send times in the frame log', async () => {
    const frames = await pullFrames(cam.url('counter'), 320, 180, 30);
    const numbers = frames.map((f) => decodeFrameCounter(f.data, 320, 180));
    expect(numbers.every((n) => n !== null)).toBe(true);
    const ns = numbers as number[];
    // In order and never repeated; a loaded machine may make the camera's leaky queue drop a frame
    // before x264 (that frame is then never sent), so most steps, not all, are exactly 1.
    const steps = ns.slice(1).map((n, i) => n - ns[i]!);
    expect(steps.every((d) => d >= 1)).toBe(true);
    expect(steps.filter((d) => d === 1).length).toBeGreaterThanOrEqual(Math.floor(steps.length * 0.8));
    const sent = readFrameLog(frameLog, 'counter');
    const latencies = frames.map((f, i) => f.at - sent.get(ns[i]!)!);
    expect(latencies.every((l) => Number.isFinite(l) && l >= 0 && l < 3000)).toBe(true);
    const plain = await pullFrames(cam.url('video'), 320, 180, 1);
    expect(decodeFrameCounter(plain[0]!.data, 320, 180)).toBeNull();
    // The first frames wait in ffmpeg's probe buffer; the last ones show the steady latency.
    const steady = latencies.slice(-10).sort((a, b) => a - b);
    console.log(`[measured] frame counter: camera send → ffmpeg decoded, steady median ${Math.round(steady[5]!)} ms (first frame ${Math.round(latencies[0]!)} ms)`);
  });

  it('dies on kill and serves again on the same port after restart', async () => {
    const port = cam.port;
    const pid = cam.pid!;
    cam.kill();
    await new Promise((r) => setTimeout(r, 200));
    expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
    await expect(probe(cam.url('video'))).rejects.toThrow(/Connection refused/);
    await cam.restart();
    expect(cam.port).toBe(port);
    expect(cam.pid).not.toBe(pid);
    expect((await probe(cam.url('video'))).codec_name).toBe('h264');
  });

  it('asks for a password when given one', async () => {
    const secured = await startRtspCamera({ mounts: [{ path: 'p', source: { kind: 'pattern' } }], user: 'admin', password: 'pw-1' });
    try {
      expect(secured.url('p')).toBe(`rtsp://admin:pw-1@127.0.0.1:${secured.port}/p`);
      await expect(probe(secured.plainUrl('p'))).rejects.toThrow(/401 Unauthorized/);
      await expect(probe(secured.url('p').replace('pw-1', 'pw-2'))).rejects.toThrow(/401 Unauthorized/);
      expect((await probe(secured.url('p'))).codec_name).toBe('h264');
    } finally {
      await secured.stop();
    }
  });

  it('exits with code 0 on SIGTERM', async () => {
    const server = await RtspCameraServer.start({ mounts: [{ path: 'x', source: { kind: 'pattern' } }] });
    const exited = new Promise<[number | null, string | null]>((r) => server.onExit((code, signal) => r([code, signal])));
    await server.stop();
    expect(await exited).toEqual([0, null]);
    expect(server.running).toBe(false);
  });

  it('fails loudly, naming the packages, when GStreamer is not available to Python', async () => {
    // A Python that cannot see the system's site packages (-S): `import gi` fails as on a machine without python3-gi.
    const python = join(work, 'python-without-gi');
    writeFileSync(python, '#!/bin/sh\nexec /usr/bin/python3 -S "$@"\n');
    chmodSync(python, 0o755);
    await expect(RtspCameraServer.start({ mounts: [{ path: 'x', source: { kind: 'pattern' } }], pythonPath: python })).rejects.toThrow(
      /exit code 3: GStreamer or its RTSP server is missing.*python3-gi.*gir1\.2-gst-rtsp-server-1\.0/,
    );
    await expect(RtspCameraServer.start({ mounts: [{ path: 'x', source: { kind: 'pattern' } }], pythonPath: '/nonexistent/python3' })).rejects.toThrow(
      /\/nonexistent\/python3 not found/,
    );
    await expect(startRtspCamera({ mounts: [{ path: 'x', source: { kind: 'file', path: 'video/missing.avi' } }] })).rejects.toThrow(/bad arguments.*does not exist/);
  });
});

describe('demo cameras', () => {
  it('serves the demo media as four RTSP cameras and stops cleanly', { timeout: 180_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'argus-demo-'));
    const log = createLogger({ log: { level: 'silent', pretty: false } }, new Writable({ write: (_c, _e, cb) => cb() }));
    const demo = await startDemoCameras({ mediaDir: MEDIA_DIR, dataDir, log, port: 0 });
    try {
      expect(demo.cameras.map((c) => c.name)).toEqual(['street', 'plates', 'checkpoint', 'faces']);
      for (const c of demo.cameras) expect(c.url).toBe(`rtsp://127.0.0.1:${demo.port}/demo/${c.name}`);
      const probes = await Promise.all(demo.cameras.map((c) => probe(c.url)));
      expect(probes.map((p) => [p.codec_name, p.width, p.height])).toEqual([
        ['h264', 768, 576],
        ['h264', 1280, 720],
        ['h264', 1280, 720],
        ['h264', 1280, 720],
      ]);
    } finally {
      await demo.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
    await expect(probe(demo.cameras[0]!.url)).rejects.toThrow(/Connection refused/);
  });
});
