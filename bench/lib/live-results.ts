/** bench/results/live.md: one file, one section per live benchmark (latency, first frame, viewers; viewers again with --no-video). */
import { fileURLToPath } from 'node:url';
import { writeSection, type ResultsFileLayout } from './results-file.ts';

export const LIVE_RESULTS_FILE = fileURLToPath(new URL('../results/live.md', import.meta.url));

const SCRIPTS: Record<string, string> = {
  latency: 'bench/live-latency.bench.ts',
  'first-frame': 'bench/live-first-frame.bench.ts',
  viewers: 'bench/live-viewers.bench.ts',
  'viewers-no-video': 'bench/live-viewers.bench.ts --no-video',
};

export const LIVE_RESULTS_LAYOUT: ResultsFileLayout = {
  header: `# Live video benchmarks

Live video from a camera to a wall tile: a real RTSP test camera (GStreamer, x264 \`zerolatency\`, 640×360,
15 fps, the frame number drawn as black/white blocks), a real Argus (api + worker + ingest roles) whose ingest
ffmpeg copies the camera's H.264 as RTP (no transcoding, no analytics frames, recording off) into the Janus
relay it started, and Debian's Chromium (playwright-core, headless, software decoding) opening viewers through
the API exactly as the web app's wall tiles do (\`POST /api/live/:cameraId/viewers\` → offer, answer after ICE
gathering → \`POST /api/live/viewers/:viewerId/answer\`). Everything runs on one machine over loopback, so the
camera's send times and the browser's paint times are read from the same clock.

Each section is rewritten by its own script; run them with \`npx tsx <script>\`. The machine is shared with
other work: the load around each run is given with its numbers, and the CPU lines say how much of the machine
went to other processes ("others") while a number was taken. Under heavy outside load the viewer counts come
out lower; the per-viewer CPU figures change less.`,
  order: ['latency', 'first-frame', 'viewers', 'viewers-no-video'],
  placeholder: (id) => `## ${id}\n\nNot run yet: \`npx tsx ${SCRIPTS[id] ?? ''}\`.`,
};

export function writeLiveSection(id: 'latency' | 'first-frame' | 'viewers' | 'viewers-no-video', body: string): void {
  writeSection(LIVE_RESULTS_FILE, LIVE_RESULTS_LAYOUT, id, body);
}
