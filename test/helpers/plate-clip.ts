import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);

export const MEDIA_DIR = fileURLToPath(new URL('../../../shared/media', import.meta.url));
export const MODELS_DIR = fileURLToPath(new URL('../../../shared/models', import.meta.url));

export interface PassingVehicle {
  /** A plate scene photo (relative to ../shared/media). */
  image: string;
  /** The plate text in it (from labels.json). */
  text: string;
}

export interface PlateClip {
  path: string;
  /** Seconds: each vehicle crosses the frame in `passSeconds`, one after the other, then `tailSeconds` of empty road. */
  passSeconds: number;
  tailSeconds: number;
  durationSeconds: number;
}

/**
 * A real H.264 clip (1280×720, 25 fps) composed with ffmpeg from plate scene photos: each photo
 * slides across a grey road from right to left, one after the other, so each plate is one vehicle
 * passing; the clip ends with empty road. Served as a `file:` camera (looped by ingest).
 */
export async function makePlateClip(dir: string, vehicles: readonly PassingVehicle[], passSeconds = 6, tailSeconds = 8): Promise<PlateClip> {
  const W = 1280;
  const H = 720;
  const imageWidth = 1000;
  const duration = vehicles.length * passSeconds + tailSeconds;
  const path = join(dir, 'plates.mp4');
  const inputs = vehicles.flatMap((v) => ['-loop', '1', '-framerate', '25', '-t', String(duration), '-i', join(MEDIA_DIR, v.image)]);
  const speed = (W + imageWidth) / passSeconds;
  let graph = '';
  let last = '0:v';
  vehicles.forEach((_, i) => {
    const start = i * passSeconds;
    graph += `[${i + 1}:v]scale=${imageWidth}:-2,format=yuv420p[s${i}];`;
    graph += `[${last}][s${i}]overlay=x='${W}-(t-${start})*${speed.toFixed(3)}':y=(H-h)/2:eof_action=pass:enable='between(t,${start},${start + passSeconds})'[v${i}];`;
    last = `v${i}`;
  });
  graph = graph.replace(/;$/, '');
  await run('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `color=c=0x505050:s=${W}x${H}:r=25:d=${duration}`,
    ...inputs,
    '-filter_complex', graph,
    '-map', `[${last}]`,
    '-t', String(duration),
    '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'baseline', '-g', '25', '-pix_fmt', 'yuv420p',
    path,
  ]);
  return { path, passSeconds, tailSeconds, durationSeconds: duration };
}
