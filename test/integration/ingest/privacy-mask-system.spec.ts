/**
 * Privacy masks through a running Argus with the ingest role: a camera's masks set through the API
 * restart its ffmpeg with the mask PNG drawn under `<dataDir>/masks/`, a changed mask gives a new
 * file and another restart, and the recording written after it is masked. Without a mask the camera
 * is copied, not encoded.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privacyMaskPath } from '../../../ingest/stream/privacy-mask.ts';
import { startRtspCamera, type RtspCamera } from '../../helpers/rtsp-camera.ts';
import { startTestSystem, type TestSystem } from '../../helpers/system.ts';

const run = promisify(execFile);
const W = 320;
const H = 180;
const LEFT_HALF: Array<[number, number]> = [
  [0, 0],
  [0.5, 0],
  [0.5, 1],
  [0, 1],
];
const TOP_RIGHT: Array<[number, number]> = [
  [0.5, 0],
  [1, 0],
  [1, 0.5],
  [0.5, 0.5],
];

/** pid and argv of the ffmpeg children of this process that pull `needle`. */
function ffmpegFor(needle: string): Array<{ pid: number; argv: string[] }> {
  const found: Array<{ pid: number; argv: string[] }> = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (/ffmpeg$/.test(argv[0] ?? '') && argv.includes(needle)) found.push({ pid: Number(d), argv });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

describe('privacy masks in a running system', () => {
  let sys: TestSystem;
  let cam: RtspCamera;
  let token: string;

  beforeAll(async () => {
    cam = await startRtspCamera({ mounts: [{ path: 'white-sys', source: { kind: 'pattern', pattern: 'white' }, width: W, height: H, fps: 10 }] });
    sys = await startTestSystem({
      config: {
        roles: ['api', 'worker', 'ingest'],
        relay: { enabled: false },
        ingest: { roundSeconds: 1, leaseSeconds: 5, backoffSeconds: [0.5, 1, 2], recording: { enabled: true, segmentSeconds: 10 } },
      },
    });
    token = await sys.login(sys.admin.username, sys.admin.password);
  });
  afterAll(async () => {
    await sys?.stop();
    await cam?.stop();
  });

  async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await fn();
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('restarts the camera with the mask at once when its masks change, and records the masked picture', { timeout: 180_000 }, async () => {
    const url = cam.url('white-sys');
    const created = await sys.api('/api/cameras', { token, body: { name: 'Masked later', sourceKind: 'rtsp', sourceUrl: url } });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const first = await waitFor('ffmpeg for the camera', () => ffmpegFor(url)[0], 30_000);
    expect(first.argv).not.toContain('-filter_complex');
    expect(first.argv).not.toContain('libx264');

    await sys.api(`/api/cameras/${id}`, { token, method: 'PATCH', body: { privacyMasks: [LEFT_HALF] } });
    const maskFile = privacyMaskPath(sys.dataDir, id, [LEFT_HALF]);
    const masked = await waitFor('ffmpeg restarted with the mask', () => ffmpegFor(url).find((p) => p.pid !== first.pid && p.argv.includes(`file:${maskFile}`)), 15_000);
    expect(existsSync(maskFile)).toBe(true);
    expect(masked.argv).toContain('-filter_complex');
    expect(ffmpegFor(url)).toHaveLength(1);

    // The recording written after the restart: left half black (luma ≈ 16), right half white. Before
    // the mask the camera is white all over, so a segment with the masked picture can only be the
    // masked ffmpeg's. The newest segments are decoded, newest first, until one is masked: the open
    // segment may not be readable yet (its fragments sit in ffmpeg's write buffer until it closes),
    // so a closed one counts as well. A mask that never shows fails with what was seen.
    const recDir = join(sys.dataDir, 'recordings', id);
    let seen: string[] = ['no segment'];
    const lumaAt = (y: Buffer, x: number, yy: number) => y[Math.floor(yy * H) * W + Math.floor(x * W)]!;
    const isMasked = (y: Buffer) =>
      [lumaAt(y, 0.1, 0.2), lumaAt(y, 0.25, 0.5), lumaAt(y, 0.4, 0.9)].every((v) => v <= 24) &&
      [lumaAt(y, 0.6, 0.2), lumaAt(y, 0.75, 0.5), lumaAt(y, 0.9, 0.9)].every((v) => v >= 200);
    await waitFor(
      'a masked recording segment',
      async () => {
        const newest = (existsSync(recDir) ? readdirSync(recDir) : []).filter((n) => n.endsWith('.mp4')).sort().reverse().slice(0, 4);
        const looked: string[] = [];
        for (const name of newest) {
          try {
            const { stdout } = await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', join(recDir, name), '-frames:v', '1', '-pix_fmt', 'yuv420p', '-f', 'rawvideo', 'pipe:1'], {
              encoding: 'buffer',
              maxBuffer: 4 * 1024 * 1024,
              timeout: 20_000,
            });
            if (stdout.length !== (W * H * 3) / 2) {
              looked.push(`${name}: ${stdout.length} bytes decoded`);
              continue;
            }
            looked.push(`${name}: luma ${[lumaAt(stdout, 0.1, 0.2), lumaAt(stdout, 0.75, 0.5)].join(' / ')} (masked / unmasked point)`);
            if (isMasked(stdout)) return true;
          } catch (err) {
            looked.push(`${name}: not readable yet (${String((err as Error).message).split('\n').slice(1).join(' ').slice(0, 120)})`);
          }
        }
        if (looked.length) seen = looked;
        return null;
      },
      90_000,
    ).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}; last seen: ${seen.join('; ')}`);
    });

    // Another mask: another file, another restart.
    await sys.api(`/api/cameras/${id}`, { token, method: 'PATCH', body: { privacyMasks: [LEFT_HALF, TOP_RIGHT] } });
    const second = privacyMaskPath(sys.dataDir, id, [LEFT_HALF, TOP_RIGHT]);
    expect(second).not.toBe(maskFile);
    await waitFor('ffmpeg restarted with the new mask', () => ffmpegFor(url).find((p) => p.pid !== masked.pid && p.argv.includes(`file:${second}`)), 15_000);

    // No mask: copied again.
    await sys.api(`/api/cameras/${id}`, { token, method: 'PATCH', body: { privacyMasks: [] } });
    const plain = await waitFor('ffmpeg restarted without a mask', () => ffmpegFor(url).find((p) => !p.argv.includes('-filter_complex')), 15_000);
    expect(plain.argv).toContain('copy');
  });
});
