import type { FrameSink, VideoFrame } from '../../contracts/frames.ts';

/**
 * Frames from every camera to a fixed number of analysis slots (the worker threads), fairly and
 * without ever holding up a camera:
 * - each camera has a small drop-oldest queue (CONVENTIONS §9): when analysis is behind, the oldest
 *   frame is dropped and counted, so the newest frames are analysed;
 * - cameras take turns (round robin), so one busy camera cannot starve the others;
 * - a frame that has waited longer than `maxFrameAgeMs` is dropped too (counted as stale), which
 *   bounds the delay from capture to result whatever the load;
 * - a camera's own analysis rate (frames per second) skips frames that come faster (not a drop).
 */

export interface SchedulerOptions {
  /** Frames analysed at once (the number of worker threads). */
  concurrency: number;
  /** Frames queued per camera (default 1: only the newest waits). */
  perCameraCapacity?: number;
  /** Older frames are dropped rather than analysed (default 2000 ms). */
  maxFrameAgeMs?: number;
  now?: () => number;
}

export interface CameraFrameStats {
  cameraId: string;
  received: number;
  skipped: number;
  dropped: number;
  stale: number;
  analysed: number;
  failed: number;
  queued: number;
  /** Capture → result of the last analysed frame, ms. */
  lastLatencyMs: number | null;
}

interface CameraQueue {
  stats: CameraFrameStats;
  frames: VideoFrame[];
  lastAcceptedAt: number;
  /** Minimum ms between accepted frames; 0 = every frame. */
  intervalMs: number;
  paused: boolean;
}

/** What analysing one frame means (the role supplies it); its rejection counts as failed. */
export type FrameHandler = (frame: VideoFrame) => Promise<void>;

export class FrameScheduler {
  private readonly cameras = new Map<string, CameraQueue>();
  private order: string[] = [];
  /** The camera served last; the next turn starts after it. */
  private lastServed: string | null = null;
  private running = 0;
  private closed = false;
  private readonly idleWaiters: Array<() => void> = [];
  private readonly capacity: number;
  private readonly maxAge: number;
  private readonly now: () => number;

  constructor(
    private readonly handle: FrameHandler,
    private readonly options: SchedulerOptions,
  ) {
    this.capacity = Math.max(1, options.perCameraCapacity ?? 1);
    this.maxAge = options.maxFrameAgeMs ?? 2000;
    this.now = options.now ?? Date.now;
  }

  private queue(cameraId: string): CameraQueue {
    let q = this.cameras.get(cameraId);
    if (!q) {
      q = {
        stats: { cameraId, received: 0, skipped: 0, dropped: 0, stale: 0, analysed: 0, failed: 0, queued: 0, lastLatencyMs: null },
        frames: [],
        lastAcceptedAt: -Infinity,
        intervalMs: 0,
        paused: false,
      };
      this.cameras.set(cameraId, q);
      this.order.push(cameraId);
    }
    return q;
  }

  /** A camera's analysis rate (null: every frame) and whether it is analysed at all. */
  configure(cameraId: string, { fps, enabled }: { fps: number | null; enabled: boolean }): void {
    const q = this.queue(cameraId);
    // 10 % slack so that a 5 fps stream is not thinned by jitter when 5 fps is asked for.
    q.intervalMs = fps && fps > 0 ? (1000 / fps) * 0.9 : 0;
    q.paused = !enabled;
    if (q.paused) q.frames.length = 0;
  }

  /** The frame sink one camera's stream session pushes into; `dropped` is that camera's count. */
  sinkFor(cameraId: string): FrameSink & { readonly dropped: number } {
    const q = this.queue(cameraId);
    return {
      push: (frame) => this.push(frame),
      get dropped() {
        return q.stats.dropped + q.stats.stale;
      },
    };
  }

  push(frame: VideoFrame): void {
    if (this.closed) return;
    const q = this.queue(frame.cameraId);
    q.stats.received++;
    if (q.paused || frame.capturedAt - q.lastAcceptedAt < q.intervalMs) {
      q.stats.skipped++;
      return;
    }
    q.lastAcceptedAt = frame.capturedAt;
    if (q.frames.length >= this.capacity) {
      q.frames.shift();
      q.stats.dropped++;
    }
    q.frames.push(frame);
    this.pump();
  }

  /** The next frame, cameras in turn; stale frames are dropped on the way. */
  private take(): VideoFrame | null {
    const n = this.order.length;
    const start = this.lastServed === null ? 0 : this.order.indexOf(this.lastServed) + 1;
    for (let i = 0; i < n; i++) {
      const cameraId = this.order[(start + i) % n]!;
      const q = this.cameras.get(cameraId)!;
      while (q.frames.length > 0) {
        const frame = q.frames.shift()!;
        if (this.now() - frame.capturedAt > this.maxAge) {
          q.stats.stale++;
          continue;
        }
        this.lastServed = cameraId;
        return frame;
      }
    }
    return null;
  }

  private pump(): void {
    while (!this.closed && this.running < this.options.concurrency) {
      const frame = this.take();
      if (!frame) break;
      const q = this.queue(frame.cameraId);
      this.running++;
      this.handle(frame)
        .then(
          () => {
            q.stats.analysed++;
            q.stats.lastLatencyMs = this.now() - frame.capturedAt;
          },
          () => {
            q.stats.failed++;
          },
        )
        .finally(() => {
          this.running--;
          if (this.running === 0) for (const w of this.idleWaiters.splice(0)) w();
          this.pump();
        });
    }
  }

  /** Forget a camera (its stream stopped). */
  remove(cameraId: string): void {
    this.cameras.delete(cameraId);
    this.order = this.order.filter((id) => id !== cameraId);
    if (this.lastServed === cameraId) this.lastServed = null;
  }

  stats(): CameraFrameStats[] {
    return [...this.cameras.values()].map((q) => ({ ...q.stats, queued: q.frames.length }));
  }

  /** Frames dropped (full queue or stale) over all cameras. */
  get dropped(): number {
    let n = 0;
    for (const q of this.cameras.values()) n += q.stats.dropped + q.stats.stale;
    return n;
  }

  /** Stop taking frames; resolves when the frames being analysed are done. */
  async close(): Promise<void> {
    this.closed = true;
    for (const q of this.cameras.values()) q.frames.length = 0;
    if (this.running > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }
}
