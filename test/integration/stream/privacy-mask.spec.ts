/**
 * Privacy masks against real things: a real RTSP camera on 127.0.0.1 sending a white picture, ffmpeg
 * from the system, the mask PNG drawn by sharp, real UDP and real recording files. Every output of
 * the one ffmpeg must show the masked areas black and the rest as the camera sends it.
 */
import { execFile } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../config/logger.ts';
import type { PrivacyMask } from '../../../contracts/api.ts';
import { FrameQueue } from '../../../ingest/stream/frame-queue.ts';
import { writePrivacyMask } from '../../../ingest/stream/privacy-mask.ts';
import { StreamSession } from '../../../ingest/stream/stream-session.ts';
import { startRtspCamera, type RtspCamera } from '../../helpers/rtsp-camera.ts';

const run = promisify(execFile);
const log = createLogger({ log: { level: 'silent', pretty: false } });
const W = 640;
const H = 360;

/** The left half, and a triangle in the right half. */
const MASKS: PrivacyMask[] = [
  [
    [0, 0],
    [0.5, 0],
    [0.5, 1],
    [0, 1],
  ],
  [
    [0.6, 0.1],
    [0.9, 0.1],
    [0.75, 0.6],
  ],
];
/** Points well inside the polygons (away from the soft edge the scaled mask has). */
const HIDDEN: Array<[number, number]> = [
  [0.05, 0.05],
  [0.25, 0.5],
  [0.45, 0.95],
  [0.75, 0.2],
  [0.68, 0.15],
  [0.82, 0.15],
  [0.75, 0.45],
];
/** Points well outside them. */
const VISIBLE: Array<[number, number]> = [
  [0.55, 0.5],
  [0.62, 0.6],
  [0.95, 0.05],
  [0.9, 0.7],
  [0.75, 0.9],
  [0.95, 0.95],
];

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The luma (Y plane, limited range: black 16, white 235) of the first frame ffmpeg decodes from `args`. */
async function firstFrameLuma(inputArgs: string[]): Promise<Buffer> {
  const { stdout } = await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', ...inputArgs, '-frames:v', '1', '-pix_fmt', 'yuv420p', '-f', 'rawvideo', 'pipe:1'], {
    encoding: 'buffer',
    maxBuffer: 16 * 1024 * 1024,
    timeout: 30_000,
  });
  expect(stdout.length).toBe((W * H * 3) / 2);
  return stdout.subarray(0, W * H);
}

const lumaAt = (y: Buffer, [x, yy]: [number, number]) => y[Math.floor(yy * H) * W + Math.floor(x * W)]!;

/** Points whose luma is wrong (listed with it), so a failure says where: hidden must be black (≈16), visible white (≈235). */
function expectMaskedLuma(y: Buffer): void {
  expect(HIDDEN.map((p) => ({ p, luma: lumaAt(y, p) })).filter((v) => v.luma > 24)).toEqual([]);
  expect(VISIBLE.map((p) => ({ p, luma: lumaAt(y, p) })).filter((v) => v.luma < 200)).toEqual([]);
}

/** RTP H.264 (RFC 6184: single NAL, STAP-A, FU-A) back to NAL units, in arrival order (loopback keeps order). */
function rtpNals(packets: Buffer[]): Buffer[] {
  const nals: Buffer[] = [];
  let fu: Buffer[] | null = null;
  for (const p of packets) {
    const payload = p.subarray(12 + (p[0]! & 0x0f) * 4);
    const type = payload[0]! & 0x1f;
    if (type === 24) {
      for (let o = 1; o + 2 < payload.length; o += 2 + payload.readUInt16BE(o)) nals.push(payload.subarray(o + 2, o + 2 + payload.readUInt16BE(o)));
    } else if (type === 28) {
      if (payload[1]! & 0x80) fu = [Buffer.from([(payload[0]! & 0xe0) | (payload[1]! & 0x1f)])];
      fu?.push(payload.subarray(2));
      if (payload[1]! & 0x40 && fu) {
        nals.push(Buffer.concat(fu));
        fu = null;
      }
    } else nals.push(payload);
  }
  return nals;
}

describe('privacy masks on a real camera stream', () => {
  let cam: RtspCamera;
  let work: string;
  let session: StreamSession | null = null;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'argus-mask-'));
    cam = await startRtspCamera({ mounts: [{ path: 'white', source: { kind: 'pattern', pattern: 'white' }, width: W, height: H, fps: 10 }] });
  });

  afterAll(async () => {
    await session?.stop();
    await cam?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('blacks out the polygons in the relay, the recording and the analytics frames', { timeout: 120_000 }, async () => {
    const maskFile = await writePrivacyMask(work, 'cam-mask', MASKS);
    expect(maskFile).toMatch(/[/\\]masks[/\\]cam-mask-[0-9a-f]{16}\.png$/);

    const rtp: Socket = createSocket('udp4');
    await new Promise<void>((r) => rtp.bind(0, '127.0.0.1', r));
    const packets: Buffer[] = [];
    rtp.on('message', (m) => packets.push(m));
    const recDir = join(work, 'recordings', 'cam-mask');
    const queue = new FrameQueue(50);
    session = new StreamSession({
      cameraId: 'cam-mask',
      url: cam.url('white'),
      transport: 'tcp',
      relay: { rtpPort: rtp.address().port, sdpFile: join(work, 'relay.sdp') },
      recording: { dir: recDir, segmentSeconds: 2 },
      frames: { fps: 5, width: W },
      frameSink: queue,
      mask: { file: maskFile! },
      backoffSeconds: [0.5, 1],
      healthIntervalSeconds: 0,
      log,
    });
    session.start();
    await waitFor(() => session!.state === 'online', 45_000, 'online');

    // (b) Analytics frames: bgr24, black inside the polygons, white outside.
    await waitFor(() => queue.size > 0, 15_000, 'a frame');
    const frame = queue.shift()!;
    expect(frame).toMatchObject({ width: W, height: H, format: 'bgr24' });
    const bgr = (p: [number, number]) => {
      const o = (Math.floor(p[1] * H) * W + Math.floor(p[0] * W)) * 3;
      return [frame.data[o]!, frame.data[o + 1]!, frame.data[o + 2]!];
    };
    expect(HIDDEN.map((p) => ({ p, bgr: bgr(p) })).filter((v) => v.bgr.some((c) => c > 12))).toEqual([]);
    expect(VISIBLE.map((p) => ({ p, bgr: bgr(p) })).filter((v) => v.bgr.some((c) => c < 225))).toEqual([]);

    // (a) Recording: an encoded H.264 segment, decoded, is masked.
    await waitFor(() => readdirSync(recDir).filter((n) => n.endsWith('.mp4')).length >= 2, 30_000, 'two recording segments');
    const first = readdirSync(recDir).filter((n) => n.endsWith('.mp4')).sort()[0]!;
    expectMaskedLuma(await firstFrameLuma(['-i', join(recDir, first)]));

    // (c) Relay: RTP H.264 that a late joiner can decode: SPS and PPS in-band before a later IDR.
    await waitFor(() => rtpNals(packets).filter((n) => (n[0]! & 0x1f) === 7).length >= 2, 30_000, 'a second key frame with SPS on the relay');
    rtp.close();
    for (const p of packets) expect(p[1]! & 0x7f).toBe(96);
    const nals = rtpNals(packets);
    const sps = nals.flatMap((n, i) => ((n[0]! & 0x1f) === 7 ? [i] : []));
    // Constrained Baseline: profile_idc 66 with constraint_set1 (what every WebRTC browser decodes).
    expect(nals[sps[0]!]![1]).toBe(66);
    expect(nals[sps[0]!]![2]! & 0x40).toBe(0x40);
    // Join at the second key frame, as a viewer arriving late would: SPS, PPS, IDR follow.
    const joined = nals.slice(sps[1]!);
    expect(joined.slice(0, 3).map((n) => n[0]! & 0x1f).filter((t) => t !== 6)).toEqual(expect.arrayContaining([7, 8]));
    expect(joined.some((n) => (n[0]! & 0x1f) === 5)).toBe(true);
    const annexB = join(work, 'relay-joined.h264');
    writeFileSync(annexB, Buffer.concat(joined.flatMap((n) => [Buffer.from([0, 0, 0, 1]), n])));
    expectMaskedLuma(await firstFrameLuma(['-f', 'h264', '-i', annexB]));

    await session.stop();
  });
});
