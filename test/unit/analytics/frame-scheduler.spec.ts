import { describe, expect, it } from 'vitest';
import type { VideoFrame } from '../../../contracts/frames.ts';
import { FrameScheduler } from '../../../analytics/live/frame-scheduler.ts';

const frame = (cameraId: string, capturedAt: number): VideoFrame => ({ cameraId, capturedAt, width: 1, height: 1, format: 'bgr24', data: new Uint8Array(3) });

/** A handler whose frames finish when the test says so. */
function manual() {
  const started: VideoFrame[] = [];
  const finishers: Array<() => void> = [];
  const handle = (f: VideoFrame) =>
    new Promise<void>((resolve) => {
      started.push(f);
      finishers.push(resolve);
    });
  const finishAll = async () => {
    while (finishers.length) finishers.shift()!();
    await new Promise((r) => setTimeout(r, 0));
  };
  return { started, handle, finishAll };
}

describe('FrameScheduler', () => {
  it('drops the oldest frame of a busy camera, counts it, and analyses the newest', async () => {
    let now = 0;
    const m = manual();
    const s = new FrameScheduler(m.handle, { concurrency: 1, perCameraCapacity: 1, now: () => now });
    const sink = s.sinkFor('a');
    for (let t = 0; t < 5; t++) sink.push(frame('a', (now = t * 200)));
    expect(m.started.map((f) => f.capturedAt)).toEqual([0]); // busy with the first
    expect(sink.dropped).toBe(3); // 200, 400, 600 pushed out by newer frames
    await m.finishAll();
    expect(m.started.map((f) => f.capturedAt)).toEqual([0, 800]);
    await m.finishAll();
    expect(s.stats()[0]).toMatchObject({ received: 5, dropped: 3, analysed: 2, queued: 0 });
  });

  it('gives cameras turns so a busy camera cannot starve a quiet one', async () => {
    let now = 0;
    const m = manual();
    const s = new FrameScheduler(m.handle, { concurrency: 1, perCameraCapacity: 3, now: () => now });
    s.push(frame('busy', now));
    for (let i = 1; i <= 3; i++) s.push(frame('busy', (now = i)));
    s.push(frame('quiet', (now = 4)));
    await m.finishAll();
    await m.finishAll();
    expect(m.started.map((f) => f.cameraId)).toEqual(['busy', 'quiet', 'busy']);
  });

  it('drops frames that waited longer than maxFrameAgeMs, so the delay stays bounded', async () => {
    let now = 0;
    const m = manual();
    const s = new FrameScheduler(m.handle, { concurrency: 1, perCameraCapacity: 2, maxFrameAgeMs: 500, now: () => now });
    s.push(frame('a', 0));
    s.push(frame('a', 100));
    now = 2000; // the first analysis took 2 s
    await m.finishAll();
    expect(m.started.map((f) => f.capturedAt)).toEqual([0]);
    expect(s.stats()[0]).toMatchObject({ stale: 1, analysed: 1 });
    expect(s.dropped).toBe(1);
  });

  it('follows a camera rate and pause without counting drops', () => {
    const m = manual();
    const s = new FrameScheduler(m.handle, { concurrency: 4, now: () => 0 });
    s.configure('a', { fps: 2, enabled: true });
    for (let t = 0; t < 1000; t += 100) s.push(frame('a', t)); // 10 fps offered
    expect(m.started.map((f) => f.capturedAt)).toEqual([0, 500]);
    expect(s.stats()[0]).toMatchObject({ skipped: 8, dropped: 0 });
    s.configure('a', { fps: null, enabled: false });
    s.push(frame('a', 2000));
    expect(m.started).toHaveLength(2);
  });

  it('close() waits for frames in analysis and takes no more', async () => {
    const m = manual();
    const s = new FrameScheduler(m.handle, { concurrency: 1, now: () => 0 });
    s.push(frame('a', 0));
    let closed = false;
    const closing = s.close().then(() => (closed = true));
    s.push(frame('a', 1));
    await new Promise((r) => setTimeout(r, 0));
    expect(closed).toBe(false);
    await m.finishAll();
    await closing;
    expect(m.started).toHaveLength(1);
  });
});
