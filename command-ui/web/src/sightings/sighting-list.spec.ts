import { describe, expect, it } from 'vitest';
import type { Sighting, SightingStats } from '../../../../contracts/sightings.ts';
import { countIntoStats, fromLocalInput, matchesLive, mergeSighting, plateMatches, toLocalInput } from './sighting-list.ts';

const CAM = '7d0c4a4e-8f7e-4a43-9d43-3a1f1f0f0a01';
const OTHER = '7d0c4a4e-8f7e-4a43-9d43-3a1f1f0f0a02';

function sighting(patch: Partial<Sighting> = {}): Sighting {
  return {
    id: 'a0000000-0000-4000-8000-000000000001',
    cameraId: CAM,
    cameraName: 'Gate',
    observedAt: '2026-03-07T10:15:00.000Z',
    kind: 'plate',
    trackId: null,
    label: null,
    score: 0.9,
    box: null,
    plate: { text: '京A12345', colour: 'blue', layers: 1 },
    quality: null,
    attributes: {},
    stage: 'early',
    cropUrl: null,
    frameUrl: null,
    createdAt: '2026-03-07T10:15:01.000Z',
    updatedAt: '2026-03-07T10:15:01.000Z',
    ...patch,
  };
}

describe('live sightings on the Sightings screen', () => {
  it('matches plates like the server does', () => {
    expect(plateMatches('京A12345', '京a 12345', 'exact')).toBe(true);
    expect(plateMatches('京A12345', 'A123', 'exact')).toBe(false);
    expect(plateMatches('京A12345', '京A1', 'prefix')).toBe(true);
    expect(plateMatches('京A12345', '2345', 'contains')).toBe(true);
    expect(plateMatches('京A12345', 'A12845', 'fuzzy')).toBe(true);
    expect(plateMatches('京A12345', 'A19845', 'fuzzy')).toBe(false);
  });

  it('shows a push only when the search would have found it and the range is open-ended', () => {
    const s = sighting();
    expect(matchesLive(s, { plateMode: 'exact' })).toBe(true);
    expect(matchesLive(s, { plateMode: 'exact', to: new Date() })).toBe(false);
    expect(matchesLive(s, { plateMode: 'exact', cameraIds: [OTHER] })).toBe(false);
    expect(matchesLive(s, { plateMode: 'exact', kind: 'face' })).toBe(false);
    expect(matchesLive(s, { plateMode: 'contains', plate: '123' })).toBe(true);
    expect(matchesLive(s, { plateMode: 'contains', plate: '999' })).toBe(false);
    expect(matchesLive(s, { plateMode: 'exact', plateColour: 'yellow' })).toBe(false);
    expect(matchesLive(s, { plateMode: 'exact', from: new Date('2026-03-07T11:00:00Z') })).toBe(false);
    expect(matchesLive(sighting({ kind: 'face', plate: null }), { plateMode: 'exact', plate: 'A1' })).toBe(false);
  });

  it('puts new sightings on top once, refines them in place, and never goes back to an older copy', () => {
    const first = sighting();
    let list = mergeSighting([], first, 'created');
    list = mergeSighting(list, first, 'created');
    expect(list).toEqual([{ sighting: first, fresh: true }]);
    const refined = sighting({ stage: 'final', plate: { text: '京A12346', colour: 'blue', layers: 1 }, updatedAt: '2026-03-07T10:16:00.000Z' });
    list = mergeSighting(list, refined, 'updated');
    expect(list[0]!.sighting.stage).toBe('final');
    list = mergeSighting(list, first, 'updated');
    expect(list[0]!.sighting.stage).toBe('final');
    // An update of a sighting that is not shown is not added.
    expect(mergeSighting(list, sighting({ id: 'a0000000-0000-4000-8000-000000000002' }), 'updated')).toHaveLength(1);
  });

  it('counts a push into the hourly chart', () => {
    const stats: SightingStats = {
      from: '2026-03-07T09:00:00.000Z',
      to: '2026-03-07T11:00:00.000Z',
      bucketSeconds: 3600,
      buckets: [
        { at: '2026-03-07T09:00:00.000Z', plate: 1, face: 0, object: 0 },
        { at: '2026-03-07T10:00:00.000Z', plate: 0, face: 0, object: 0 },
      ],
      byCamera: [{ cameraId: OTHER, cameraName: 'B', count: 1 }],
      total: 1,
    };
    const next = countIntoStats(stats, sighting());
    expect(next.buckets[1]).toEqual({ at: '2026-03-07T10:00:00.000Z', plate: 1, face: 0, object: 0 });
    expect(next.total).toBe(2);
    expect(next.byCamera.map((c) => c.cameraId)).toEqual([OTHER, CAM]);
    expect(countIntoStats(stats, sighting({ observedAt: '2026-03-08T10:00:00.000Z' }))).toBe(stats);
  });

  it('reads and writes datetime-local values in local time', () => {
    const date = new Date(2026, 2, 7, 9, 5);
    expect(toLocalInput(date)).toBe('2026-03-07T09:05');
    expect(fromLocalInput('2026-03-07T09:05')?.getTime()).toBe(date.getTime());
    expect(fromLocalInput('')).toBeUndefined();
    expect(fromLocalInput('yesterday')).toBeUndefined();
  });
});
