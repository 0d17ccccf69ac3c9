import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client.ts';
import { backoffDelay, classifyError, DEFAULT_TIMINGS, readInboundVideo, statsBetween } from './live-viewer.ts';

function report(...stats: Array<Record<string, unknown>>) {
  return new Map(stats.map((s) => [s.id as string, s]));
}

describe('live viewer stats', () => {
  it('reads the inbound video stream and its codec', () => {
    const reading = readInboundVideo(
      report(
        { id: 'a', type: 'inbound-rtp', kind: 'audio', framesDecoded: 0 },
        { id: 'v', type: 'inbound-rtp', kind: 'video', timestamp: 1000, framesDecoded: 50, framesPerSecond: 25, jitterBufferDelay: 2, jitterBufferEmittedCount: 50, bytesReceived: 100_000, frameWidth: 1280, frameHeight: 720, codecId: 'c' },
        { id: 'c', type: 'codec', mimeType: 'video/H264' },
      ),
    );
    expect(reading).toMatchObject({ framesDecoded: 50, framesPerSecond: 25, frameWidth: 1280, codec: 'H264' });
    expect(readInboundVideo(report({ id: 'x', type: 'transport' }))).toBeNull();
  });

  it('computes delay and bit rate over the last interval', () => {
    const first = readInboundVideo(report({ id: 'v', type: 'inbound-rtp', kind: 'video', timestamp: 1000, framesDecoded: 50, jitterBufferDelay: 2, jitterBufferEmittedCount: 50, bytesReceived: 100_000 }))!;
    const second = readInboundVideo(report({ id: 'v', type: 'inbound-rtp', kind: 'video', timestamp: 2000, framesDecoded: 75, jitterBufferDelay: 4.5, jitterBufferEmittedCount: 75, bytesReceived: 350_000 }))!;
    const stats = statsBetween(first, second);
    expect(stats.delayMs).toBeCloseTo(100); // 2.5 s over 25 frames
    expect(stats.kbps).toBeCloseTo(2000); // 250 kB in one second
    expect(statsBetween(null, first).delayMs).toBeCloseTo(40); // cumulative mean at first
  });
});

describe('live viewer errors and retries', () => {
  it('tells an offline camera from other errors', () => {
    expect(classifyError(new ApiError(503, 'E_UNAVAILABLE', 'relay unavailable'))).toEqual({ state: 'offline', problem: 'unavailable', detail: 'relay unavailable' });
    expect(classifyError(new ApiError(409, 'E_CONFLICT', 'camera offline')).state).toBe('offline');
    expect(classifyError(new ApiError(404, 'E_NOT_FOUND', 'no such camera'))).toMatchObject({ state: 'error', problem: 'not-found' });
    expect(classifyError(new ApiError(0, 'E_NETWORK', 'x'))).toMatchObject({ state: 'error', problem: 'network' });
    expect(classifyError(new Error('bad SDP'))).toMatchObject({ state: 'error', problem: 'error', detail: 'bad SDP' });
  });

  it('backs off up to a ceiling', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map((n) => backoffDelay(DEFAULT_TIMINGS, n))).toEqual([1000, 2000, 4000, 8000, 15_000, 30_000, 30_000, 30_000]);
  });
});
