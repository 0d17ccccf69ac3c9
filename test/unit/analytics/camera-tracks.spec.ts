import { describe, expect, it } from 'vitest';
import type { Box, FaceDetection, FrameAnalysis, PlateRead } from '../../../contracts/analytics.ts';
import type { Raster } from '../../../models/raster.ts';
import { CameraTracks, DEFAULT_TRACK_POLICY, type TrackAction } from '../../../analytics/live/camera-tracks.ts';

const frame = (tag: number): Raster => ({ width: 4, height: 4, order: 'rgb', data: new Uint8Array(48).fill(tag) });

function plate(text: string, score: number, x: number, w = 100): PlateRead {
  const box: Box = [x, 100, x + w, 130];
  return { text, colour: 'blue', layers: 1, score, box, corners: [[x, 100], [x + w, 100], [x + w, 130], [x, 130]] };
}

const only = (plates: PlateRead[] = [], faces: FaceDetection[] = []): FrameAnalysis => ({ plates, faces, objects: [] });

/** A vehicle passing: reads at 200 ms steps, moving 20 px a frame. */
function pass(tracks: CameraTracks, reads: Array<[string, number, number?]>, start = 1000): TrackAction[] {
  const actions: TrackAction[] = [];
  reads.forEach(([text, score, w], i) => {
    actions.push(...tracks.update(only([plate(text, score, 100 + i * 20, w)]), frame(i), start + i * 200));
  });
  return actions;
}

describe('CameraTracks: one sighting per passing vehicle', () => {
  it('records early once two confident reads agree, then refines with the weighted vote when the track ends', () => {
    const tracks = new CameraTracks();
    const during = pass(tracks, [
      ['京A12345', 0.9],
      ['京A12346', 0.6],
      ['京A12345', 0.92],
      ['京A12345', 0.95, 140],
    ]);
    const records = during.filter((a) => a.type === 'record');
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ type: 'record', stage: 'early', draft: { kind: 'plate', plate: { text: '京A12345' } } });
    // Early: after the third frame (the second agreeing read), not before.
    const ended = tracks.update(only(), frame(9), 1000 + 3 * 200 + DEFAULT_TRACK_POLICY.trackTimeoutMs + 1);
    expect(ended).toHaveLength(1);
    const refine = ended[0]!;
    expect(refine.type).toBe('refine');
    expect(refine.draft.plate?.text).toBe('京A12345');
    // The evidence is the frame of the heaviest read (score × width): the wide last one.
    expect(refine.draft.evidence.frame.data[0]).toBe(3);
    expect(refine.draft.observedAt).toBe(1000);
  });

  it('lets the vote overrule the early read when later, larger reads disagree', () => {
    const tracks = new CameraTracks();
    pass(tracks, [
      ['沪B11111', 0.85, 60],
      ['沪B11111', 0.85, 60],
      ['沪B17111', 0.9, 200],
      ['沪B17111', 0.9, 200],
    ]);
    const [end] = tracks.flush();
    expect(end?.type).toBe('refine');
    expect(end?.draft.plate?.text).toBe('沪B17111');
  });

  it('records a track that was never confident enough early only when it has enough agreeing reads', () => {
    const weak = new CameraTracks();
    pass(weak, [['粤B12345', 0.5]]);
    expect(weak.flush()).toEqual([]);

    const steady = new CameraTracks();
    expect(pass(steady, [['粤B12345', 0.6], ['粤B12345', 0.6]])).toEqual([]);
    const [end] = steady.flush();
    expect(end).toMatchObject({ type: 'record', stage: 'final', draft: { plate: { text: '粤B12345' } } });
  });

  it('keeps two vehicles in one frame apart', () => {
    const tracks = new CameraTracks();
    const actions: TrackAction[] = [];
    for (let i = 0; i < 3; i++) {
      actions.push(...tracks.update(only([plate('京A11111', 0.9, 100 + i * 10), plate('京B22222', 0.9, 700 - i * 10)]), frame(i), 1000 + i * 200));
    }
    expect(actions.filter((a) => a.type === 'record').map((a) => a.draft.plate?.text).sort()).toEqual(['京A11111', '京B22222']);
    expect(tracks.flush().map((a) => a.type)).toEqual(['refine', 'refine']);
  });

  it('stores a face only when one of its frames is good enough, with that frame as evidence', () => {
    const face = (quality: number, x: number): FaceDetection => ({
      box: [x, 50, x + 80, 150],
      score: 0.9,
      landmarks: [[x + 20, 80], [x + 60, 80], [x + 40, 100], [x + 25, 120], [x + 55, 120]],
      quality,
      embedding: [1, 0, 0],
    });
    const blurred = new CameraTracks();
    for (let i = 0; i < 3; i++) blurred.update(only([], [face(0.2, 100 + i * 5)]), frame(i), 1000 + i * 200);
    expect(blurred.flush()).toEqual([]);

    const tracks = new CameraTracks();
    const actions: TrackAction[] = [];
    [0.2, 0.7, 0.9, 0.3].forEach((q, i) => actions.push(...tracks.update(only([], [face(q, 100 + i * 5)]), frame(i), 1000 + i * 200)));
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatchObject({ type: 'record', stage: 'early', draft: { kind: 'face', face: { quality: 0.7 } } });
    const [end] = tracks.flush();
    expect(end).toMatchObject({ type: 'refine', draft: { face: { quality: 0.9 } } });
    expect(end!.draft.evidence.frame.data[0]).toBe(2);
  });
});

describe('CameraTracks: a broken track is still one vehicle', () => {
  it('does not record the same plate again when its track breaks and resumes moments later', () => {
    const tracks = new CameraTracks();
    const first = pass(tracks, [['京A12345', 0.9], ['京A12345', 0.9]], 1000);
    expect(first.filter((a) => a.type === 'record')).toHaveLength(1);
    // A gap longer than the track timeout (dropped frames), then the same plate far along the road.
    const gapEnd = 1000 + 200 + DEFAULT_TRACK_POLICY.trackTimeoutMs + 500;
    const ended = tracks.update(only(), frame(5), gapEnd);
    expect(ended.map((a) => a.type)).toEqual(['refine']);
    const second = [
      ...tracks.update(only([plate('京A12345', 0.9, 900)]), frame(6), gapEnd + 200),
      ...tracks.update(only([plate('京A12345', 0.9, 920)]), frame(7), gapEnd + 400),
      ...tracks.flush(),
    ];
    expect(second).toEqual([]);
  });

  it('records the same plate again once the repeat window has passed', () => {
    const tracks = new CameraTracks();
    pass(tracks, [['京A12345', 0.9], ['京A12345', 0.9]], 1000);
    tracks.flush();
    const later = pass(tracks, [['京A12345', 0.9], ['京A12345', 0.9]], 1000 + DEFAULT_TRACK_POLICY.plateRepeatMs + 5000);
    expect(later.filter((a) => a.type === 'record')).toHaveLength(1);
  });
});

describe('CameraTracks: a different plate in the same spot is another vehicle', () => {
  it('starts a new track (and sighting) when the next vehicle’s plate appears where the last one was', () => {
    const tracks = new CameraTracks();
    const first = [
      ...tracks.update(only([plate('京A12345', 0.9, 100)]), frame(0), 1000),
      ...tracks.update(only([plate('京A12345', 0.9, 100)]), frame(1), 1200),
    ];
    // The next vehicle stops at the same place right away.
    const second = [
      ...tracks.update(only([plate('沪B67890', 0.9, 100)]), frame(2), 1400),
      ...tracks.update(only([plate('沪B67890', 0.9, 100)]), frame(3), 1600),
    ];
    expect(first.filter((a) => a.type === 'record').map((a) => a.draft.plate?.text)).toEqual(['京A12345']);
    expect(second.filter((a) => a.type === 'record').map((a) => a.draft.plate?.text)).toEqual(['沪B67890']);
    // A misread of the same plate still joins its track.
    const misread = tracks.update(only([plate('沪B67B90', 0.9, 102)]), frame(4), 1800);
    expect(misread.filter((a) => a.type === 'record')).toEqual([]);
  });
});
