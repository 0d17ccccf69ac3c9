import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { redactUrl } from '../../storage/redact.ts';

/**
 * One current picture of a camera or a recording, as a JPEG: what the privacy-mask and analytics
 * region editors draw on. One short ffmpeg run (argv only, never a shell) that decodes one frame,
 * lays the privacy-mask PNG over it the way the live pipeline does (ffmpeg-args.ts maskFilterGraph:
 * `scale2ref` + `overlay`), scales it down and writes one JPEG to stdout.
 *
 * The input may hold camera credentials: it appears only in the argv; every stderr line that ends
 * up in an error message passes through redactUrl first.
 */

export interface SnapshotOptions {
  /** A file path, or a camera URL (rtsp://… with its credentials). Never logged. */
  input: string;
  /** Take the picture this many seconds before the end of a file (`-sseof`); absent: the first frame. */
  seekFromEnd?: number;
  /** The privacy-mask PNG (privacy-mask.ts writePrivacyMask) laid over the picture; null or absent: none. */
  maskFile?: string | null;
  /** Widest picture returned, in pixels (default 1280); a narrower picture keeps its size. */
  maxWidth?: number;
  /** Kill ffmpeg and reject after this long (default 15 000 ms). */
  timeoutMs?: number;
  /** RTSP over TCP with a socket timeout; by default when the input starts with rtsp:// or rtsps://. */
  rtsp?: boolean;
  /** Default `ffmpeg` from PATH. */
  ffmpegPath?: string;
}

export const SNAPSHOT_MAX_WIDTH = 1280;
export const SNAPSHOT_TIMEOUT_MS = 15_000;
/** JPEG quality of mjpeg (2 best … 31 worst). */
const JPEG_QUALITY = 4;
/** The most a snapshot may be; ffmpeg is killed past it (a 1280-wide JPEG is a few hundred KB). */
const MAX_BYTES = 16 * 1024 * 1024;
/** Longest RTSP socket wait (µs): a silent camera fails before the overall timeout. */
const RTSP_IO_TIMEOUT_US = 5_000_000;

/** util-linux setpriv: ffmpeg dies with this process (same pid), as in ffmpeg.process.ts. */
const SETPRIV = process.platform === 'linux' && existsSync('/usr/bin/setpriv') ? '/usr/bin/setpriv' : null;

const isUrl = (input: string) => /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(input);

/** The ffmpeg argument array (without the program name) for one snapshot. Pure. */
export function snapshotArgs(opts: SnapshotOptions): string[] {
  const maxWidth = opts.maxWidth ?? SNAPSHOT_MAX_WIDTH;
  if (!Number.isInteger(maxWidth) || maxWidth < 16) throw new Error('snapshot maxWidth must be an integer of at least 16');
  const timeoutMs = opts.timeoutMs ?? SNAPSHOT_TIMEOUT_MS;
  const rtsp = opts.rtsp ?? /^rtsps?:\/\//i.test(opts.input);
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error'];
  if (rtsp) {
    // Short probing as in ffmpeg-args.ts: the SDP names codec and size (measured: 1.5 s instead of 3 s to a picture).
    args.push('-rtsp_transport', 'tcp', '-timeout', String(Math.min(RTSP_IO_TIMEOUT_US, Math.max(1, timeoutMs) * 1000)), '-analyzeduration', '1000000', '-probesize', '500000');
  }
  if (opts.seekFromEnd !== undefined) {
    if (!(opts.seekFromEnd > 0)) throw new Error('snapshot seekFromEnd must be a positive number of seconds');
    args.push('-sseof', `-${opts.seekFromEnd}`);
  }
  // A path is read as a file (no protocol guessed from a ':' in its name); URLs are passed as they are.
  args.push('-i', isUrl(opts.input) || opts.input.startsWith('file:') ? opts.input : `file:${opts.input}`);
  const scale = `scale=w='min(iw,${maxWidth})':h=-2`;
  if (opts.maskFile) {
    if (!isAbsolute(opts.maskFile)) throw new Error('the privacy mask file must be an absolute path');
    args.push('-f', 'png_pipe', '-i', `file:${opts.maskFile}`, '-filter_complex', `[1:v][0:v]scale2ref[mask][cam];[cam][mask]overlay=format=auto,${scale}[out]`, '-map', '[out]');
  } else {
    args.push('-map', '0:v:0', '-vf', scale);
  }
  args.push('-frames:v', '1', '-an', '-f', 'image2pipe', '-c:v', 'mjpeg', '-q:v', String(JPEG_QUALITY), 'pipe:1');
  return args;
}

/**
 * One JPEG of `opts.input` (see SnapshotOptions). Rejects, with a message free of credentials, when
 * ffmpeg exits non-zero, writes no picture, or runs past the timeout (it is then killed).
 */
export function grabSnapshot(opts: SnapshotOptions): Promise<Buffer> {
  let args: string[];
  try {
    args = snapshotArgs(opts);
  } catch (err) {
    return Promise.reject(err as Error);
  }
  const ffmpeg = opts.ffmpegPath ?? 'ffmpeg';
  const timeoutMs = opts.timeoutMs ?? SNAPSHOT_TIMEOUT_MS;
  return new Promise<Buffer>((resolve, reject) => {
    const [command, argv] = SETPRIV ? [SETPRIV, ['--pdeathsig', 'SIGKILL', '--', ffmpeg, ...args]] : [ffmpeg, args];
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'], shell: false, windowsHide: true });
    const chunks: Buffer[] = [];
    let bytes = 0;
    let stderr = '';
    let failure: string | null = null;
    let settled = false;
    const finish = (err: Error | null, jpeg?: Buffer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(jpeg!);
    };
    const timer = setTimeout(() => {
      failure = `no picture within ${Math.round(timeoutMs / 100) / 10} s (ffmpeg stopped)`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > MAX_BYTES) {
        failure ??= 'the picture is larger than 16 MB';
        child.kill('SIGKILL');
        return;
      }
      chunks.push(chunk);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      // Only the tail is kept: the last line names the error.
      stderr = (stderr + text).slice(-4096);
    });
    child.on('error', (err) => {
      finish(new Error(`the snapshot could not be taken: ffmpeg did not start (${redactUrl(err.message)})`));
    });
    child.on('close', (code, signal) => {
      if (failure) return finish(new Error(`the snapshot could not be taken: ${failure}`));
      const lastLine = redactUrl(
        stderr
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean)
          .at(-1) ?? '',
      );
      if (code !== 0) {
        const why = lastLine || (signal ? `ffmpeg ended by ${signal}` : `ffmpeg exited with code ${code}`);
        return finish(new Error(`the snapshot could not be taken: ${why}`));
      }
      const jpeg = Buffer.concat(chunks);
      if (jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) {
        return finish(new Error(`the snapshot could not be taken: no picture decoded${lastLine ? ` (${lastLine})` : ''}`));
      }
      finish(null, jpeg);
    });
  });
}
