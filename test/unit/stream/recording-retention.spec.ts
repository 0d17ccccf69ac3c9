import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../config/logger.ts';
import {
  applyRetention,
  listSegments,
  parseSegmentName,
  planRetention,
  segmentsInRange,
  toRecording,
  type RecordingSegment,
} from '../../../ingest/stream/recording-retention.ts';

const H = 3_600_000;
const NOW = Date.UTC(2025, 0, 10, 12, 0, 0);

function seg(cameraId: string, startHoursAgo: number, bytes: number, lengthMin = 1): RecordingSegment {
  const startedAt = NOW - startHoursAgo * H;
  return { id: `${cameraId}/${startedAt}`, cameraId, path: `/r/${cameraId}/${startedAt}.mp4`, startedAt, endedAt: startedAt + lengthMin * 60_000, bytes };
}

const ids = (d: Array<{ segment: RecordingSegment; cause: string }>): string[] => d.map((x) => `${x.segment.cameraId}@${(NOW - x.segment.startedAt) / H}h:${x.cause}`);

describe('recording retention decisions', () => {
  it('deletes by age, oldest first', () => {
    const segs = [seg('a', 50, 10), seg('a', 30, 10), seg('a', 2, 10), seg('a', 1, 10)];
    expect(ids(planRetention(segs, { maxAgeHours: 24, maxBytesPerCamera: null }, NOW))).toEqual(['a@50h:age', 'a@30h:age']);
  });

  it('deletes the oldest of each camera beyond its size, cameras apart', () => {
    const segs = [seg('a', 5, 100), seg('a', 4, 100), seg('a', 3, 100), seg('b', 5, 100), seg('b', 4, 100)];
    expect(ids(planRetention(segs, { maxAgeHours: null, maxBytesPerCamera: 200 }, NOW))).toEqual(['a@5h:camera-size']);
    expect(ids(planRetention(segs, { maxAgeHours: null, maxBytesPerCamera: 150 }, NOW))).toEqual(['a@5h:camera-size', 'b@5h:camera-size', 'a@4h:camera-size']);
  });

  it('counts what age already removed before applying the size limit, then the total limit across cameras', () => {
    const segs = [seg('a', 48, 100), seg('a', 3, 100), seg('a', 2, 100), seg('b', 10, 300), seg('b', 1, 100)];
    const plan = planRetention(segs, { maxAgeHours: 24, maxBytesPerCamera: 200, maxTotalBytes: 250 }, NOW);
    expect(ids(plan)).toEqual(['a@48h:age', 'b@10h:camera-size', 'a@3h:total-size']);
  });

  it('never deletes the newest segment of a camera (ffmpeg may be writing it)', () => {
    const segs = [seg('a', 100, 10_000), seg('b', 99, 10), seg('b', 98, 10)];
    const plan = planRetention(segs, { maxAgeHours: 1, maxBytesPerCamera: 1, maxTotalBytes: 1 }, NOW);
    expect(ids(plan)).toEqual(['b@99h:age']);
  });

  it('with no limits deletes nothing', () => {
    expect(planRetention([seg('a', 1000, 1e12), seg('a', 1, 1)], { maxAgeHours: null, maxBytesPerCamera: null }, NOW)).toEqual([]);
  });

  it('finds the segments overlapping a playback span', () => {
    const segs = [seg('a', 3, 1, 60), seg('a', 2, 1, 60), seg('a', 1, 1, 30)];
    expect(segmentsInRange(segs, NOW - 1.5 * H, NOW - 0.9 * H).map((s) => (NOW - s.startedAt) / H)).toEqual([2, 1]);
  });

  it('reads segment names as UTC start times', () => {
    expect(parseSegmentName('20250110T115900Z.mp4')).toBe(Date.UTC(2025, 0, 10, 11, 59, 0));
    expect(parseSegmentName('20250110T115900.mp4')).toBeNull();
    expect(parseSegmentName('notes.txt')).toBeNull();
  });
});

describe('recording files', () => {
  let root = '';
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('lists segments with start and end times and applies a policy on disk', async () => {
    root = mkdtempSync(join(tmpdir(), 'argus-rec-'));
    const cam = join(root, 'cam-1');
    mkdirSync(cam);
    const names = ['20250110T100000Z.mp4', '20250110T100100Z.mp4', '20250110T100200Z.mp4'];
    names.forEach((n, i) => {
      writeFileSync(join(cam, n), Buffer.alloc(1000 * (i + 1)));
      const end = new Date(Date.UTC(2025, 0, 10, 10, i + 1, 0));
      utimesSync(join(cam, n), end, end);
    });
    writeFileSync(join(cam, 'stray.txt'), 'x');
    const list = await listSegments(root, 'cam-1');
    expect(list.map((s) => [s.id, s.bytes, new Date(s.startedAt).toISOString(), new Date(s.endedAt).toISOString()])).toEqual([
      ['cam-1/20250110T100000Z.mp4', 1000, '2025-01-10T10:00:00.000Z', '2025-01-10T10:01:00.000Z'],
      ['cam-1/20250110T100100Z.mp4', 2000, '2025-01-10T10:01:00.000Z', '2025-01-10T10:02:00.000Z'],
      ['cam-1/20250110T100200Z.mp4', 3000, '2025-01-10T10:02:00.000Z', '2025-01-10T10:03:00.000Z'],
    ]);
    expect(toRecording(list[0]!)).toEqual({ id: 'cam-1/20250110T100000Z.mp4', cameraId: 'cam-1', startedAt: '2025-01-10T10:00:00.000Z', endedAt: '2025-01-10T10:01:00.000Z', bytes: 1000 });
    expect(await listSegments(root, 'no-such-camera')).toEqual([]);

    const log = createLogger({ log: { level: 'silent', pretty: false } }, new Writable({ write: (_c, _e, cb) => cb() }));
    const result = await applyRetention(root, { maxAgeHours: null, maxBytesPerCamera: 5000 }, Date.UTC(2025, 0, 10, 11), log);
    expect(result.freedBytes).toBe(1000);
    expect(existsSync(join(cam, names[0]!))).toBe(false);
    expect(existsSync(join(cam, names[1]!))).toBe(true);
    expect(existsSync(join(cam, 'stray.txt'))).toBe(true);
  });
});
