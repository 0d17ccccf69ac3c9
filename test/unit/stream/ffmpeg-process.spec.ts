import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../config/logger.ts';
import {
  classifyFfmpegError,
  FfmpegProcess,
  FrameSizeParser,
  parseLogLine,
  ProgressParser,
  RawFrameReader,
  type FfmpegProgress,
} from '../../../ingest/stream/ffmpeg.process.ts';
import { fakeFfmpegDir } from './fake-ffmpeg.ts';

function memoryLogger(): { log: ReturnType<typeof createLogger>; text: () => string } {
  const chunks: string[] = [];
  const dest = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return { log: createLogger({ log: { level: 'trace', pretty: false } }, dest), text: () => chunks.join('') };
}

describe('RawFrameReader', () => {
  it('cuts exact frames from arbitrary chunks and keeps the remainder', () => {
    const frames: Buffer[] = [];
    const reader = new RawFrameReader(6, (f) => frames.push(f));
    const stream = Buffer.from([...Array(20).keys()]); // 3 frames + 2 bytes
    for (const cut of [[0, 1], [1, 4], [4, 13], [13, 14], [14, 20]]) reader.push(stream.subarray(cut[0], cut[1]));
    expect(frames.map((f) => [...f])).toEqual([
      [0, 1, 2, 3, 4, 5],
      [6, 7, 8, 9, 10, 11],
      [12, 13, 14, 15, 16, 17],
    ]);
    expect(reader.pending).toBe(2);
    reader.push(Buffer.from([20, 21, 22, 23]));
    expect([...frames[3]!]).toEqual([18, 19, 20, 21, 22, 23]);
    expect(reader.pending).toBe(0);
  });

  it('hands out frames that do not share memory with the input chunks', () => {
    const frames: Buffer[] = [];
    const reader = new RawFrameReader(4, (f) => frames.push(f));
    const chunk = Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]);
    reader.push(chunk);
    chunk.fill(0);
    expect(frames.map((f) => [...f])).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
    ]);
  });
});

describe('ffmpeg log parsing (lines as ffmpeg 5.1 writes them)', () => {
  it.each([
    ['[rtsp @ 0x55ed17adc980] [error] method DESCRIBE failed: 401 Unauthorized', 'wrong user name or password'],
    ['[error] rtsp://admin:***@127.0.0.1:18556/street: Server returned 401 Unauthorized (authorization failed)', 'wrong user name or password'],
    ['[rtsp @ 0x55e1a911e980] [error] method DESCRIBE failed: 404 Not Found', 'stream path not found'],
    ['[tcp @ 0x5589d0b20840] [error] Connection to tcp://127.0.0.1:1?timeout=5000000 failed: Connection refused', 'camera unreachable (connection refused)'],
    ['[error] rtsp://10.0.0.9/x: Connection timed out', 'camera unreachable (no answer)'],
    ['[error] rtsp://127.0.0.1:18557/: Invalid data found when processing input', 'not a video stream / corrupt data'],
    ['[error] file:/tmp/nonexist.mp4: No such file or directory', 'file not found'],
    ['[error] Stream map \'0:v:0\' matches no streams.', 'no video stream in the source'],
  ])('%s → %s', (line, reason) => {
    expect(classifyFfmpegError(parseLogLine(line).text)).toBe(reason);
  });

  it('leaves ordinary lines unclassified', () => {
    expect(classifyFfmpegError('Stream mapping:')).toBeNull();
    expect(classifyFfmpegError('Exiting normally, received signal 15.')).toBeNull();
  });

  it('splits the level from the text', () => {
    expect(parseLogLine('[segment @ 0x558521b73080] [info] Opening \'/tmp/a.mp4\' for writing')).toEqual({ level: 'info', text: "Opening '/tmp/a.mp4' for writing" });
    expect(parseLogLine('[warning] x')).toEqual({ level: 'warning', text: 'x' });
    expect(parseLogLine('plain')).toEqual({ level: null, text: 'plain' });
  });

  it('finds the size of the raw frame output, not of other outputs', () => {
    const p = new FrameSizeParser();
    const lines = [
      "[info] Input #0, rtsp, from 'rtsp://127.0.0.1:18554/street':",
      '[info]   Stream #0:0: Video: h264 (Constrained Baseline), yuv420p(tv, smpte170m, progressive), 640x360 [SAR 1:1 DAR 16:9], 10 fps, 10 tbr, 90k tbn',
      "[info] Output #0, rtp, to 'rtp://127.0.0.1:45678?pkt_size=1200':",
      '[info]   Stream #0:0: Video: h264 (Constrained Baseline), yuv420p(tv, smpte170m, progressive), 640x360 [SAR 1:1 DAR 16:9], q=2-31, 10 fps, 10 tbr, 90k tbn',
      "[info] Output #2, rawvideo, to 'pipe:1':",
      '[info]   Metadata:',
      '[info]     title           : Session streamed with GStreamer',
      '[info]   Stream #2:0: Video: rawvideo (BGR[24] / 0x18524742), bgr24(pc, gbr/smpte170m/smpte170m, progressive), 320x180 [SAR 1:1 DAR 16:9], q=2-31, 6912 kb/s, 5 fps, 5 tbn',
    ];
    const found = lines.map((l) => p.feed(parseLogLine(l).text)).filter(Boolean);
    expect(found).toEqual([{ width: 320, height: 180 }]);
    expect(p.size).toEqual({ width: 320, height: 180 });
  });

  it('reads -progress blocks', () => {
    const seen: FfmpegProgress[] = [];
    const p = new ProgressParser((x) => seen.push(x));
    p.push('frame=5\nfps=0.00\nout_time_us=300098\nprog');
    p.push('ress=continue\nframe=79\nout_time_us=N/A\nprogress=end\n');
    expect(seen).toEqual([
      { frame: 5, outTimeUs: 300098, end: false },
      { frame: 79, outTimeUs: null, end: true },
    ]);
  });
});

describe('FfmpegProcess (against fake ffmpeg executables)', () => {
  const fakes = fakeFfmpegDir();
  afterAll(() => fakes.remove());

  it('reads frames of the announced size, progress, and exits once', async () => {
    const bin = fakes.script(
      'frames',
      `
      process.stderr.write("[info] Output #0, rawvideo, to 'pipe:1':\\n");
      process.stderr.write('[info]   Stream #0:0: Video: rawvideo (BGR[24] / 0x18524742), bgr24(pc), 4x2 [SAR 1:1 DAR 2:1], q=2-31, 5 fps, 5 tbn\\n');
      const frame = (n) => Buffer.alloc(24, n);
      // three frames, written in awkward pieces
      const all = Buffer.concat([frame(1), frame(2), frame(3)]);
      for (const [a, b] of [[0, 5], [5, 30], [30, 72]]) fs.writeSync(1, all.subarray(a, b));
      fs.writeSync(3, 'frame=3\\nout_time_us=600000\\nprogress=end\\n');
      `,
    );
    const frames: number[][] = [];
    const progress: FfmpegProgress[] = [];
    let exits = 0;
    const { log } = memoryLogger();
    const proc = FfmpegProcess.start(
      { args: ['-i', 'rtsp://cam/x'], ffmpegPath: bin, frames: true, log },
      { onFrame: (d, size) => frames.push([d.length, d[0]!, size.width, size.height]), onProgress: (p) => progress.push(p), onExit: () => exits++ },
    );
    const exit = await proc.done;
    expect(frames).toEqual([
      [24, 1, 4, 2],
      [24, 2, 4, 2],
      [24, 3, 4, 2],
    ]);
    expect(progress).toEqual([{ frame: 3, outTimeUs: 600000, end: true }]);
    expect(exit).toMatchObject({ code: 0, signal: null, requested: false, reason: 'the camera ended the stream' });
    expect(exits).toBe(1);
    expect(proc.exited).toBe(true);
    expect(proc.frameSize).toEqual({ width: 4, height: 2 });
  });

  it('turns a 401 into "wrong user name or password" and never lets the password out', async () => {
    const bin = fakes.script(
      'auth',
      `process.stderr.write('[rtsp @ 0x55ed17adc980] [error] method DESCRIBE failed: 401 Unauthorized\\n');
       process.stderr.write('[error] ' + url + ': Server returned 401 Unauthorized (authorization failed)\\n');
       process.exit(1);`,
    );
    const { log, text } = memoryLogger();
    const reasons: string[] = [];
    const proc = FfmpegProcess.start({ args: ['-i', 'rtsp://admin:Hunter2secret@127.0.0.1:1/x'], ffmpegPath: bin, frames: false, log }, { onReason: (r) => reasons.push(r) });
    const exit = await proc.done;
    expect(exit.code).toBe(1);
    expect(exit.reason).toBe('wrong user name or password');
    expect(reasons).toEqual(['wrong user name or password']);
    expect(exit.lastError).toBe('rtsp://admin:***@127.0.0.1:1/x: Server returned 401 Unauthorized (authorization failed)');
    expect(text()).toContain('admin:***@127.0.0.1');
    expect(text()).not.toContain('Hunter2secret');
  });

  it('stop(): SIGTERM first, SIGKILL when ignored', async () => {
    const ready = join(tmpdir(), `argus-stubborn-${process.pid}-${Date.now()}`);
    const bin = fakes.script('stubborn', `process.on('SIGTERM', () => {}); setInterval(() => {}, 1000); fs.writeFileSync(${JSON.stringify(ready)}, 'up');`);
    const { log } = memoryLogger();
    const proc = FfmpegProcess.start({ args: [], ffmpegPath: bin, frames: false, log, killGraceMs: 300 });
    // Wait until it has installed its handler (a loaded machine can take seconds to start Node).
    for (let waited = 0; !existsSync(ready); waited += 20) {
      if (waited > 15_000) throw new Error('the stubborn fake never started');
      await new Promise((r) => setTimeout(r, 20));
    }
    rmSync(ready, { force: true });
    const t0 = Date.now();
    const exit = await proc.stop();
    expect(exit.signal).toBe('SIGKILL');
    expect(exit.requested).toBe(true);
    expect(exit.reason).toBeNull();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(() => process.kill(proc.pid!, 0)).toThrow(/ESRCH/);
    // closing twice is one close
    await expect(proc.stop()).resolves.toBe(exit);
  });

  it('ffmpeg dies with the process that started it (no orphan keeps pulling the camera)', async () => {
    const bin = fakes.script('forever', `setInterval(() => {}, 1000);`);
    const parent = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./orphan-parent.fixture.ts', import.meta.url)), bin], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const pid = await new Promise<number>((resolve, reject) => {
      parent.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
      parent.once('exit', (code) => reject(new Error(`fixture exited ${code}`)));
    });
    expect(() => process.kill(pid, 0)).not.toThrow();
    parent.kill('SIGKILL');
    const t0 = Date.now();
    while (Date.now() - t0 < 3000) {
      try {
        process.kill(pid, 0);
      } catch {
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const orphaned = (() => {
      try {
        process.kill(pid, 'SIGKILL'); // clean up whatever the outcome
        return true;
      } catch {
        return false;
      }
    })();
    expect(orphaned).toBe(false);
  });

  it('a missing ffmpeg is a plain reason, not a crash', async () => {
    const { log } = memoryLogger();
    const proc = FfmpegProcess.start({ args: [], ffmpegPath: '/nonexistent/ffmpeg', frames: false, log });
    const exit = await proc.done;
    expect(exit.reason).toBe('ffmpeg is not installed (not found on PATH)');
  });
});
