import { describe, expect, it } from 'vitest';
import { ALERT_TRANSITIONS, ALERT_STATUSES } from '../../contracts/alerts.ts';
import { alertRooms } from '../../command-ui/server/services/alerts.service.ts';
import { parseCsv } from '../../command-ui/server/services/watchlists.service.ts';

describe('CSV reader of watchlist imports', () => {
  it('reads quoted fields, doubled quotes, CRLF and LF, keeping each row’s file line', () => {
    const rows = parseCsv('\uFEFFplate,reason\r\n京A12345,"盗抢, 在逃"\r\n\r\n"沪B*9","he said ""stop""\nnext line"\n苏E1,\n');
    expect(rows).toEqual([
      { line: 1, fields: ['plate', 'reason'] },
      { line: 2, fields: ['京A12345', '盗抢, 在逃'] },
      { line: 4, fields: ['沪B*9', 'he said "stop"\nnext line'] },
      { line: 6, fields: ['苏E1', ''] },
    ]);
  });
  it('reads a last row without a line end, and nothing from blank input', () => {
    expect(parseCsv('plate\n京A12345')).toEqual([
      { line: 1, fields: ['plate'] },
      { line: 2, fields: ['京A12345'] },
    ]);
    expect(parseCsv('\n\n')).toEqual([]);
  });
});

describe('alert audience and lifecycle', () => {
  it('sends a covert alert only to the roles that manage watchlists, never to site or camera rooms', () => {
    expect(alertRooms({ siteId: 's1', cameraId: 'c1', watchlist: { id: 'w', name: 'x', covert: true } }).sort()).toEqual(['role:admin', 'role:commander']);
  });
  it('sends an ordinary alert to its checkpoint, its camera and the command roles, not to every checkpoint or patrol', () => {
    const rooms = alertRooms({ siteId: 's1', cameraId: 'c1', watchlist: { id: 'w', name: 'x', covert: false } });
    expect(rooms).toEqual(expect.arrayContaining(['site:s1', 'camera:c1', 'role:admin', 'role:commander', 'role:dispatcher']));
    expect(rooms).not.toContain('role:checkpoint');
    expect(rooms).not.toContain('role:patrol');
    expect(alertRooms({ siteId: null, cameraId: null, watchlist: { id: 'w', name: 'x', covert: false } }).some((r) => r.startsWith('site:'))).toBe(false);
  });
  it('allows only forward transitions and nothing out of resolved', () => {
    for (const t of Object.values(ALERT_TRANSITIONS)) {
      expect(t.from).not.toContain('resolved');
      for (const from of t.from) expect(ALERT_STATUSES.indexOf(t.to)).toBeGreaterThan(ALERT_STATUSES.indexOf(from));
    }
  });
});
