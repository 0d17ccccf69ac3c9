import { describe, expect, it } from 'vitest';
import type { Alert } from '../../../../contracts/alerts.ts';
import { countByLevel, currentAlert, matchesFilter, maxSeq, mergeAlerts, nextAction } from './alert-list.ts';

let n = 0;
function alert(patch: Partial<Alert> = {}): Alert {
  n += 1;
  return {
    id: `a0000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    seq: n,
    createdAt: new Date(Date.UTC(2026, 10, 21, 10, 0, n)).toISOString(),
    level: 'red',
    status: 'new',
    disposition: null,
    kind: 'plate',
    watchlist: { id: 'w1', name: 'List', covert: false },
    entry: { id: 'e1', plate: '浙A88888', reason: 'r', caseNumber: 'c' },
    sighting: { id: 's1', observedAt: null, plateText: '浙A88888', plateColour: 'blue', score: 0.9 },
    score: 0.9,
    cameraId: 'cam',
    cameraName: 'Cam',
    siteId: 'site1',
    siteName: 'Site',
    cropUrl: null,
    frameUrl: null,
    escalatedAt: null,
    actions: [],
    ...patch,
  };
}

describe('alert list', () => {
  it('keeps one row per id whatever path it came by, newest first', () => {
    const a = alert();
    const b = alert();
    const c = alert();
    let list = mergeAlerts([], [a, b]);
    list = mergeAlerts(list, [b, c, a]);
    expect(list.map((x) => x.id)).toEqual([c.id, b.id, a.id]);
  });

  it('does not let a replayed older copy replace a newer update', () => {
    const a = alert();
    const acked = { ...a, status: 'acknowledged' as const, actions: [{ at: a.createdAt, userId: 'u', username: 'u', action: 'acknowledge', fromStatus: 'new' as const, toStatus: 'acknowledged' as const, note: null }] };
    const list = mergeAlerts(mergeAlerts([], [acked]), [a]);
    expect(list).toHaveLength(1);
    expect(list[0]!.status).toBe('acknowledged');
  });

  it('knows the highest seq, the counts per level, filters and the next action', () => {
    const a = alert({ level: 'orange' });
    const b = alert({ level: 'red', status: 'resolved' });
    expect(maxSeq([a, b], 0)).toBe(b.seq);
    expect(maxSeq([], 7)).toBe(7);
    expect(countByLevel([a, b])).toEqual({ red: 1, orange: 1, yellow: 0, blue: 0 });
    expect(matchesFilter(a, { level: 'orange' })).toBe(true);
    expect(matchesFilter(a, { status: 'resolved' })).toBe(false);
    expect(matchesFilter(a, { siteId: 'other' })).toBe(false);
    expect(currentAlert([b, a])?.id).toBe(a.id);
    expect(nextAction('new')).toBe('acknowledge');
    expect(nextAction('acknowledged')).toBe('inspect');
    expect(nextAction('inspecting')).toBe('resolve');
    expect(nextAction('resolved')).toBeNull();
  });
});
