import type { FrameSink, VideoFrame } from '../../contracts/frames.ts';

/**
 * A bounded frame queue (CONVENTIONS.md §9): the producer (a stream session) pushes without ever
 * waiting; when the queue is full the oldest frame is dropped and counted, so a slow consumer sees
 * the newest frames and never holds up the camera. The consumer pulls with `next()`, `for await`, or
 * `shift()`.
 */
export class FrameQueue implements FrameSink, AsyncIterable<VideoFrame> {
  private readonly items: VideoFrame[] = [];
  private head = 0;
  private waiters: Array<(frame: VideoFrame | null) => void> = [];
  private closedFlag = false;
  private droppedCount = 0;
  private pushedCount = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error('FrameQueue capacity must be a whole number >= 1');
  }

  /** Frames dropped because the queue was full (the metric the UI shows). */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Frames offered so far. */
  get pushed(): number {
    return this.pushedCount;
  }

  get size(): number {
    return this.items.length - this.head;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Offer a frame: handed straight to a waiting consumer, else queued; a full queue drops its oldest. Ignored after close(). */
  push(frame: VideoFrame): void {
    if (this.closedFlag) return;
    this.pushedCount++;
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter(frame);
      return;
    }
    if (this.size >= this.capacity) {
      this.head++;
      this.droppedCount++;
    }
    this.items.push(frame);
    // Compact now and then so the array does not grow with the dropped/taken prefix.
    if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
  }

  /** The oldest queued frame, or undefined when empty. Never waits. */
  shift(): VideoFrame | undefined {
    if (this.size === 0) return undefined;
    const frame = this.items[this.head]!;
    this.items[this.head] = undefined as unknown as VideoFrame; // release the pixels
    this.head++;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    }
    return frame;
  }

  /** The next frame, waiting for one if empty; null once the queue is closed (and drained) or the signal aborts. */
  next(signal?: AbortSignal): Promise<VideoFrame | null> {
    const frame = this.shift();
    if (frame) return Promise.resolve(frame);
    if (this.closedFlag || signal?.aborted) return Promise.resolve(null);
    return new Promise((resolve) => {
      const waiter = (f: VideoFrame | null): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(f);
      };
      const onAbort = (): void => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(null);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  async *[Symbol.asyncIterator](): AsyncIterator<VideoFrame> {
    for (;;) {
      const frame = await this.next();
      if (!frame) return;
      yield frame;
    }
  }

  /** Stop accepting frames; waiting consumers get null, queued frames can still be taken. Idempotent. */
  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w(null);
  }

  /** Drop every queued frame (not counted as drops). */
  clear(): void {
    this.items.length = 0;
    this.head = 0;
  }
}
