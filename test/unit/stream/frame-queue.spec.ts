import { describe, expect, it } from 'vitest';
import type { FrameSink, VideoFrame } from '../../../contracts/frames.ts';
import { FrameQueue } from '../../../ingest/stream/frame-queue.ts';

const frame = (n: number): VideoFrame => ({ cameraId: 'c1', capturedAt: n, width: 1, height: 1, format: 'bgr24', data: new Uint8Array([n, n, n]) });

describe('FrameQueue', () => {
  it('drops the oldest frame when full and counts every drop', () => {
    const q = new FrameQueue(3);
    const sink: FrameSink = q; // the producer side is the contract's FrameSink
    for (let i = 1; i <= 7; i++) sink.push(frame(i));
    expect(q.size).toBe(3);
    expect(q.dropped).toBe(4);
    expect(q.pushed).toBe(7);
    expect([q.shift(), q.shift(), q.shift()].map((f) => f?.capturedAt)).toEqual([5, 6, 7]);
    expect(q.shift()).toBeUndefined();
  });

  it('keeps order and never drops while the consumer keeps up', async () => {
    const q = new FrameQueue(2);
    const got: number[] = [];
    const consumer = (async () => {
      for await (const f of q) got.push(f.capturedAt);
    })();
    for (let i = 1; i <= 50; i++) {
      q.push(frame(i));
      await new Promise((r) => setImmediate(r));
    }
    q.close();
    await consumer;
    expect(got).toEqual([...Array(50).keys()].map((i) => i + 1));
    expect(q.dropped).toBe(0);
  });

  it('next() waits for a frame, and gives null on close or abort', async () => {
    const q = new FrameQueue(1);
    const waiting = q.next();
    q.push(frame(9));
    expect((await waiting)?.capturedAt).toBe(9);

    const ac = new AbortController();
    const aborted = q.next(ac.signal);
    ac.abort();
    expect(await aborted).toBeNull();
    q.push(frame(10)); // the aborted waiter must not swallow it
    expect(q.size).toBe(1);

    const q2 = new FrameQueue(1);
    const p2 = q2.next();
    q2.close();
    expect(await p2).toBeNull();
    q2.push(frame(1));
    expect(q2.size).toBe(0);
  });

  it('drains what was queued before close', async () => {
    const q = new FrameQueue(4);
    q.push(frame(1));
    q.push(frame(2));
    q.close();
    expect((await q.next())?.capturedAt).toBe(1);
    expect((await q.next())?.capturedAt).toBe(2);
    expect(await q.next()).toBeNull();
  });

  it('stays bounded in memory over many drops', () => {
    const q = new FrameQueue(2);
    for (let i = 0; i < 10_000; i++) q.push(frame(i));
    expect(q.size).toBe(2);
    expect(q.dropped).toBe(9_998);
    expect((q as unknown as { items: unknown[] }).items.length).toBeLessThan(200);
  });

  it('refuses a capacity below 1', () => {
    expect(() => new FrameQueue(0)).toThrow();
  });
});
