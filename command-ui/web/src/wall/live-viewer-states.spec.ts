import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LiveViewerOffer } from '../../../../contracts/media.ts';
import { ApiError } from '../api/client.ts';
import { LiveViewer, type LiveViewerApi, type ViewerSnapshot } from './live-viewer.ts';

/**
 * The viewer's state machine with a stand-in peer connection and API (no browser): playing once
 * frames are decoded, offline on a stall or a `camera.status` push, and back by itself.
 */
class FakePeerConnection {
  static all: FakePeerConnection[] = [];
  iceGatheringState = 'complete';
  connectionState = 'new';
  localDescription: { type: string; sdp: string } | null = null;
  ontrack: unknown = null;
  onconnectionstatechange: (() => void) | null = null;
  frames = 0;
  stalled = false;
  closed = false;
  constructor() {
    FakePeerConnection.all.push(this);
  }
  async setRemoteDescription(): Promise<void> {}
  async createAnswer() {
    return { type: 'answer', sdp: 'v=0 answer' };
  }
  async setLocalDescription(d: { type: string; sdp: string }): Promise<void> {
    this.localDescription = d;
  }
  addEventListener(): void {}
  removeEventListener(): void {}
  async getStats() {
    if (!this.stalled && !this.closed) this.frames += 25;
    return new Map([['v', { id: 'v', type: 'inbound-rtp', kind: 'video', framesDecoded: this.frames, framesPerSecond: 25, timestamp: Date.now() }]]);
  }
  close(): void {
    this.closed = true;
  }
}

function fakeApi() {
  let n = 0;
  const calls = { opened: [] as string[], answered: [] as string[], closed: [] as string[], failNext: null as ApiError | null };
  const api: LiveViewerApi = {
    async openLiveViewer(cameraId: string): Promise<LiveViewerOffer> {
      if (calls.failNext) {
        const error = calls.failNext;
        calls.failNext = null;
        throw error;
      }
      const viewerId = `viewer-${++n}`;
      calls.opened.push(viewerId);
      return { viewerId, cameraId, type: 'offer', sdp: 'v=0 offer' };
    },
    async answerLiveViewer(viewerId: string) {
      calls.answered.push(viewerId);
    },
    async closeLiveViewer(viewerId: string) {
      calls.closed.push(viewerId);
    },
  };
  return { api, calls };
}

const video = { srcObject: null, pause() {}, play: () => Promise.resolve() } as unknown as HTMLVideoElement;

beforeEach(() => {
  vi.useFakeTimers();
  FakePeerConnection.all = [];
  vi.stubGlobal('window', {
    setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
    clearTimeout: (id: number) => clearTimeout(id),
    setInterval: (fn: () => void, ms: number) => setInterval(fn, ms),
    clearInterval: (id: number) => clearInterval(id),
    addEventListener() {},
  });
  vi.stubGlobal('RTCPeerConnection', FakePeerConnection);
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

function start(status: 'online' | 'offline' | 'unknown' = 'online') {
  const { api, calls } = fakeApi();
  const seen: ViewerSnapshot[] = [];
  const viewer = new LiveViewer({ api, cameraId: 'cam-1', video, status, reason: status === 'offline' ? 'connection refused' : null, onChange: (s) => seen.push(s) });
  viewer.start();
  return { viewer, calls, seen, state: () => viewer.current };
}

describe('live viewer states', () => {
  it('plays, goes offline when frames stop for 5 s, and plays again by itself', async () => {
    const v = start();
    await vi.advanceTimersByTimeAsync(1000);
    expect(v.state()).toMatchObject({ state: 'playing', problem: null });
    expect(v.calls.answered).toEqual(['viewer-1']);

    FakePeerConnection.all[0]!.stalled = true;
    await vi.advanceTimersByTimeAsync(5000);
    expect(v.state()).toMatchObject({ state: 'offline', problem: 'stalled' });
    expect(v.calls.closed).toEqual(['viewer-1']);

    await vi.advanceTimersByTimeAsync(1000); // first backoff step
    expect(v.calls.opened).toEqual(['viewer-1', 'viewer-2']);
    expect(v.state()).toMatchObject({ state: 'offline', reconnecting: true });
    await vi.advanceTimersByTimeAsync(1000);
    expect(v.state()).toMatchObject({ state: 'playing', failures: 0 });
    v.viewer.dispose();
    expect(v.calls.closed).toEqual(['viewer-1', 'viewer-2']);
  });

  it('follows camera.status: offline at once, and back as soon as the camera is online', async () => {
    const v = start();
    await vi.advanceTimersByTimeAsync(1000);
    expect(v.state().state).toBe('playing');
    v.viewer.setCameraStatus('offline', 'no route to host');
    expect(v.state()).toMatchObject({ state: 'offline', problem: 'camera-offline', detail: 'no route to host' });
    expect(v.calls.closed).toEqual(['viewer-1']);
    v.viewer.setCameraStatus('online', null);
    await vi.advanceTimersByTimeAsync(1000);
    expect(v.state().state).toBe('playing');
    expect(v.calls.opened).toEqual(['viewer-1', 'viewer-2']);
    v.viewer.dispose();
  });

  it('waits for a camera reported offline, trying again every 30 s', async () => {
    const v = start('offline');
    expect(v.state()).toMatchObject({ state: 'offline', problem: 'camera-offline', detail: 'connection refused' });
    await vi.advanceTimersByTimeAsync(29_000);
    expect(v.calls.opened).toEqual([]);
    await vi.advanceTimersByTimeAsync(2000);
    expect(v.calls.opened).toEqual(['viewer-1']);
    v.viewer.dispose();
  });

  it('says the relay is unavailable and retries with backoff', async () => {
    const { api, calls } = fakeApi();
    calls.failNext = new ApiError(503, 'E_UNAVAILABLE', 'relay unavailable');
    const viewer = new LiveViewer({ api, cameraId: 'cam-1', video, status: 'unknown', reason: null, onChange: () => undefined });
    viewer.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(viewer.current).toMatchObject({ state: 'offline', problem: 'unavailable', detail: 'relay unavailable', failures: 1 });
    await vi.advanceTimersByTimeAsync(1000);
    await vi.advanceTimersByTimeAsync(1000);
    expect(viewer.current.state).toBe('playing');
    viewer.dispose();
  });

  it('closes a viewer that arrives after the tile changed camera', async () => {
    const v = start();
    v.viewer.dispose();
    await vi.advanceTimersByTimeAsync(10);
    expect(v.calls.opened).toEqual(['viewer-1']);
    expect(v.calls.closed).toEqual(['viewer-1']);
    expect(v.calls.answered).toEqual([]);
  });
});
