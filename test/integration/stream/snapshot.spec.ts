/**
 * Camera snapshots (ingest/stream/snapshot.ts) with the system's real ffmpeg: clips made by ffmpeg's
 * lavfi sources, the mask PNG drawn by writePrivacyMask, the JPEG decoded back by sharp. Failures
 * (missing file, closed RTSP port, an input that never gives a picture) reject with a clear message
 * that holds no password.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writePrivacyMask } from '../../../ingest/stream/privacy-mask.ts';
import { grabSnapshot, snapshotArgs } from '../../../ingest/stream/snapshot.ts';
import { closedPort, decodeLuma, expectLeftHalfMasked } from '../../helpers/pictures.ts';

const run = promisify(execFile);

/** A clip of `seconds` from a lavfi source, H.264 in MP4. */
async function makeClip(path: string, source: string, seconds: number): Promise<string> {
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', source, '-t', String(seconds), '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast', path]);
  return path;
}

describe('grabSnapshot', () => {
  let dir: string;
  let pattern: string;
  let white: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'argus-snapshot-'));
    pattern = await makeClip(join(dir, 'pattern.mp4'), 'testsrc=size=1920x1080:rate=10', 4);
    white = await makeClip(join(dir, 'white.mp4'), 'color=c=white:size=640x360:rate=10', 3);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('takes one JPEG near the end of a clip, scaled down to maxWidth with its aspect kept', async () => {
    const jpeg = await grabSnapshot({ input: pattern, seekFromEnd: 2, maxWidth: 640 });
    expect([jpeg[0], jpeg[1]]).toEqual([0xff, 0xd8]);
    const pic = await decodeLuma(jpeg);
    expect(pic.width).toBe(640);
    expect(pic.height).toBe(360);
    // Default maxWidth 1280, from the start of the clip.
    const big = await decodeLuma(await grabSnapshot({ input: pattern }));
    expect(big.width).toBe(1280);
    expect(big.height).toBe(720);
  });

  it('keeps a picture narrower than maxWidth at its size', async () => {
    const pic = await decodeLuma(await grabSnapshot({ input: white, maxWidth: 1280 }));
    expect([pic.width, pic.height]).toEqual([640, 360]);
    expect(pic.luma(0.25, 0.5)).toBeGreaterThanOrEqual(230);
  });

  it('lays the privacy mask over the picture: the masked left half is black, the right half white', async () => {
    const maskFile = await writePrivacyMask(dir, 'cam-1', [
      [
        [0, 0],
        [0.5, 0],
        [0.5, 1],
        [0, 1],
      ],
    ]);
    expect(maskFile).not.toBeNull();
    const pic = await decodeLuma(await grabSnapshot({ input: white, seekFromEnd: 1, maskFile }));
    expect([pic.width, pic.height]).toEqual([640, 360]);
    expectLeftHalfMasked(pic);
  });

  it('rejects a missing file with a clear error', async () => {
    await expect(grabSnapshot({ input: join(dir, 'missing.mp4') })).rejects.toThrow(/snapshot could not be taken: .*No such file or directory/);
  });

  it('rejects a camera that cannot be reached, without its password in the message', async () => {
    const port = await closedPort();
    const err = (await grabSnapshot({ input: `rtsp://admin:s3cret-pw@127.0.0.1:${port}/stream`, timeoutMs: 5000 }).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/snapshot could not be taken: .*Connection refused/);
    expect(err.message).not.toContain('s3cret-pw');
  });

  it('kills ffmpeg and rejects when no picture comes within timeoutMs', async () => {
    // A FIFO nobody writes: ffmpeg waits on it for ever.
    const fifo = join(dir, 'never.fifo');
    execFileSync('mkfifo', [fifo]);
    const t0 = Date.now();
    await expect(grabSnapshot({ input: fifo, timeoutMs: 1000 })).rejects.toThrow(/no picture within 1 s/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('builds its command line as data: RTSP over TCP with a socket timeout, -sseof before -i, one mjpeg frame', () => {
    const args = snapshotArgs({ input: 'rtsp://cam/1', seekFromEnd: 2, timeoutMs: 3000, maxWidth: 800 });
    expect(args.slice(args.indexOf('-rtsp_transport'), args.indexOf('-rtsp_transport') + 4)).toEqual(['-rtsp_transport', 'tcp', '-timeout', '3000000']);
    expect(args.indexOf('-sseof')).toBeLessThan(args.indexOf('-i'));
    expect(args[args.indexOf('-sseof') + 1]).toBe('-2');
    expect(args).toContain("scale=w='min(iw,800)':h=-2");
    expect(args.slice(-10)).toEqual(['-frames:v', '1', '-an', '-f', 'image2pipe', '-c:v', 'mjpeg', '-q:v', '4', 'pipe:1']);
    expect(snapshotArgs({ input: '/data/rec/a.mp4' })).toContain('file:/data/rec/a.mp4');
    expect(snapshotArgs({ input: '/data/rec/a.mp4' })).not.toContain('-rtsp_transport');
  });
});
