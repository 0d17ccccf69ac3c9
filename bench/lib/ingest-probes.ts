/**
 * Where the delay before the relay goes, measured with extra RTSP clients of the same test camera
 * (each client gets its own encoder in the camera, but frame numbers and send times are shared):
 *
 * - probeIngestCopy: ffmpeg with the ingest preset's input options (`rtsp-tcp/none` of
 *   ingest/stream/ffmpeg-args.ts) copying the H.264, as ingest does for the relay, but to stdout
 *   (`-f h264`, flushed per packet) instead of RTP. Node notes when each frame's first slice comes
 *   out; a second ffmpeg decodes that same byte stream only to learn each frame's number (the k-th
 *   access unit out is the k-th decoded frame). Delay = out time − camera send time: camera +
 *   RTSP + ffmpeg's demuxing, exactly the copy path.
 * - probeGstreamerClient: bench/lib/gst-counter-client.py (rtspsrc latency=0 + avdec_h264): the
 *   camera's own share, with a client that does not wait for the next frame.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { resolvePreset } from '../../ingest/stream/ffmpeg-args.ts';
import { decodeFrameCounter } from '../../test/helpers/rtsp-camera.ts';

const GST_CLIENT = fileURLToPath(new URL('./gst-counter-client.py', import.meta.url));

export interface ProbeFrame {
  n: number;
  /** Epoch ms when the frame came out of the probe. */
  at: number;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Access-unit starts in an Annex B chunk: slices (NAL 1 or 5) whose first_mb_in_slice is 0. */
function countFrameStarts(buf: Buffer, from: number): number {
  let n = 0;
  for (let i = from; i + 4 < buf.length; i++) {
    if (buf[i] === 0 && buf[i + 1] === 0 && buf[i + 2] === 1) {
      const type = buf[i + 3]! & 0x1f;
      // ue(v) first_mb_in_slice = 0 is the single bit '1'.
      if ((type === 1 || type === 5) && (buf[i + 4]! & 0x80) !== 0) n++;
    }
  }
  return n;
}

export async function probeIngestCopy(url: string, width: number, height: number, seconds: number): Promise<ProbeFrame[]> {
  const preset = resolvePreset('rtsp-tcp', 'none');
  const copy = spawn(
    'ffmpeg',
    [
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'error',
      ...preset.inputArgs,
      '-i',
      url,
      '-map',
      '0:v:0',
      '-c:v',
      'copy',
      '-an',
      ...(preset.relayBitstreamFilter ? ['-bsf:v', preset.relayBitstreamFilter] : []),
      '-flush_packets',
      '1',
      '-f',
      'h264',
      'pipe:1',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const decode = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'h264', '-i', 'pipe:0', '-fps_mode', 'passthrough', '-pix_fmt', 'bgr24', '-f', 'rawvideo', 'pipe:1'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  copy.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  decode.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  decode.stdin.on('error', () => undefined);

  const outTimes: number[] = [];
  let tail = Buffer.alloc(0);
  copy.stdout.on('data', (chunk: Buffer) => {
    const at = performance.timeOrigin + performance.now();
    decode.stdin.write(chunk);
    const buf = Buffer.concat([tail, chunk]);
    const starts = countFrameStarts(buf, 0);
    for (let i = 0; i < starts; i++) outTimes.push(at);
    // Keep the last 4 bytes: a start code may straddle two chunks (they hold no complete start + 2 bytes).
    tail = Buffer.from(buf.subarray(Math.max(0, buf.length - 4)));
  });
  const numbers: Array<number | null> = [];
  const frameBytes = width * height * 3;
  let pending = Buffer.alloc(0);
  decode.stdout.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= frameBytes) {
      numbers.push(decodeFrameCounter(pending.subarray(0, frameBytes), width, height));
      pending = Buffer.from(pending.subarray(frameBytes));
    }
  });
  try {
    await new Promise((r) => setTimeout(r, seconds * 1000));
  } finally {
    await stopChild(copy);
    decode.stdin.end();
    await new Promise((r) => setTimeout(r, 500));
    await stopChild(decode);
  }
  const out: ProbeFrame[] = [];
  for (let k = 0; k < Math.min(outTimes.length, numbers.length); k++) {
    const n = numbers[k];
    if (n !== null && n !== undefined) out.push({ n, at: outTimes[k]! });
  }
  if (out.length === 0) throw new Error(`the ingest copy probe gave no frames: ${stderr}`);
  // The frame numbers must go up one by one, or the k-th-out ↔ k-th-decoded pairing is off.
  for (let i = 1; i < out.length; i++) {
    if (out[i]!.n !== out[i - 1]!.n + 1) throw new Error(`the ingest copy probe skipped from frame ${out[i - 1]!.n} to ${out[i]!.n}`);
  }
  return out;
}

export async function probeGstreamerClient(url: string, seconds: number): Promise<ProbeFrame[]> {
  const child = spawn('/usr/bin/python3', [GST_CLIENT, url, String(seconds)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const timer = setTimeout(() => child.kill('SIGKILL'), (seconds + 15) * 1000);
  try {
    await new Promise<void>((resolve) => child.once('exit', () => resolve()));
  } finally {
    clearTimeout(timer);
    await stopChild(child);
  }
  const out = stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [n, at] = line.split('\t');
      return { n: Number(n), at: Number(at) };
    });
  if (out.length === 0) throw new Error(`the GStreamer client gave no frames: ${stderr}`);
  return out;
}
