import { describe, expect, it } from 'vitest';
import type { Sighting, TrajectoryPoint } from '../../../../contracts/sightings.ts';
import { orderTrajectory, scorePercent, trajectoryView } from './trajectory-view.ts';

function point(id: string, observedAt: string, position: [number, number] | null): TrajectoryPoint {
  const sighting = { id, observedAt, cameraId: 'c', cameraName: 'Cam', kind: 'plate', score: 0.9 } as unknown as Sighting;
  return { sighting, siteId: null, siteName: null, latitude: position?.[0] ?? null, longitude: position?.[1] ?? null };
}

describe('trajectory view', () => {
  const a = point('00000000-0000-4000-8000-00000000000a', '2026-03-07T10:00:00Z', [31.2, 121.4]);
  const b = point('00000000-0000-4000-8000-00000000000b', '2026-03-07T10:05:00Z', null);
  const c = point('00000000-0000-4000-8000-00000000000c', '2026-03-07T10:10:00.000+08:00', [31.3, 121.5]);
  const d = point('00000000-0000-4000-8000-00000000000d', '2026-03-07T10:20:00Z', [31.25, 121.45]);

  it('orders reads oldest first (by instant, whatever the zone), ties by id', () => {
    const tie = point('00000000-0000-4000-8000-000000000001', '2026-03-07T10:20:00Z', null);
    expect(orderTrajectory([d, b, tie, a, c]).map((p) => p.sighting.id.slice(-1))).toEqual(['c', 'a', 'b', '1', 'd']);
  });

  it('numbers every read, puts only the positioned ones on the map, joined in time order', () => {
    const view = trajectoryView([d, b, a], (r) => `#${r.number}`);
    expect(view.rows.map((r) => [r.number, r.point.sighting.id.slice(-1), r.position !== null])).toEqual([
      [1, 'a', true],
      [2, 'b', false],
      [3, 'd', true],
    ]);
    expect(view.markers).toEqual([
      { id: a.sighting.id, latitude: 31.2, longitude: 121.4, label: '1', title: '#1' },
      { id: d.sighting.id, latitude: 31.25, longitude: 121.45, label: '3', title: '#3' },
    ]);
    expect(view.line).toEqual([
      [31.2, 121.4],
      [31.25, 121.45],
    ]);
    expect(view.unpositioned).toBe(1);
    expect(trajectoryView([])).toEqual({ rows: [], markers: [], line: [], unpositioned: 0 });
  });

  it('turns a cosine score into a bounded percentage', () => {
    expect(scorePercent(0.734)).toBe(73);
    expect(scorePercent(1.2)).toBe(100);
    expect(scorePercent(-0.3)).toBe(0);
    expect(scorePercent(Number.NaN)).toBe(0);
  });
});
