/**
 * A camera that goes down and up every ~3 s for 75 s while Argus (ingest role, in a child process of
 * its own) pulls it: no ffmpeg is left behind (at most one per stream at every sample, no zombies),
 * file descriptors come back to the baseline, the heap after a full gc does not grow, and Argus is
 * back on the camera at the end. The 10-minute run of the same is bench/camera-flap.bench.ts.
 */
import { describe, expect, it } from 'vitest';
import { runCameraFlap, slope } from '../../helpers/camera-flap-rig.ts';

describe('a flapping camera', () => {
  it('leaks no processes, file descriptors or memory over 75 s of flapping', async () => {
    // 75 s of flapping: starting Argus in its own process takes up to a minute on a loaded 2-core machine,
    // and the test stays under ~2.5 minutes.
    const result = await runCameraFlap({ seconds: 75, downMs: 2500, upMs: 3000 });
    const { samples } = result;
    console.info(
      `[camera-flap] ${result.cycles} cycles in ${Math.round(result.seconds)} s\n` +
        samples.map((s) => `  ${s.phase.padEnd(8)} #${s.cycle} t=${s.t}s ffmpeg=${s.ffmpeg} zombies=${s.ffmpegZombies} children=${s.children} ${s.others.join(",")} fds=${s.fds} (sockets ${s.fdSockets}, pipes ${s.fdPipes}) heap=${s.heapMiB}MiB rss=${s.rssMiB}MiB handles=${s.handles} ${s.cameraStatus}`).join('\n'),
    );
    expect(result.crashed).toBeNull();
    expect(result.gc).toBe(true);
    expect(result.cycles).toBeGreaterThanOrEqual(7);
    const baseline = samples.find((s) => s.phase === 'baseline')!;
    const end = samples.find((s) => s.phase === 'end')!;
    expect(baseline.ffmpeg).toBe(result.streamsPerCamera);
    // Never more than one ffmpeg per stream, never a zombie left over.
    for (const s of samples) {
      expect(s.ffmpeg, `t=${s.t}`).toBeLessThanOrEqual(result.streamsPerCamera);
      expect(s.ffmpegZombies, `t=${s.t}`).toBe(0);
      // Other children (tsx's esbuild service) stay as many as at the start.
      expect(s.children - s.ffmpeg, `t=${s.t}`).toBeLessThanOrEqual(baseline.children - baseline.ffmpeg);
    }
    // Back on the camera at the end, with its one ffmpeg.
    expect(end.cameraStatus).toBe('online');
    expect(end.ffmpeg).toBe(result.streamsPerCamera);
    // File descriptors: back to the baseline (a few for connections that come and go).
    expect(end.fds).toBeLessThanOrEqual(baseline.fds + 6);
    const ups = samples.filter((s) => s.phase === 'up');
    const fdSlope = slope(ups.map((s) => [s.cycle, s.fds] as const));
    expect(fdSlope, 'fds per cycle').toBeLessThan(0.3);
    // Heap after a full gc: no growth per cycle beyond noise, and within 8 MiB of the baseline at the end.
    const heapSlope = slope(ups.map((s) => [s.cycle, s.heapMiB] as const));
    expect(heapSlope, 'heap MiB per cycle').toBeLessThan(0.25);
    expect(end.heapMiB - baseline.heapMiB).toBeLessThan(8);
  }, 200_000);
});
