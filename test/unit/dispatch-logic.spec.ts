import { describe, expect, it } from 'vitest';
import { roomPermission } from '../../command-ui/server/socket.gateway.ts';
import { isStale, rankCandidates, toUnit, unitRooms } from '../../command-ui/server/services/units.service.ts';
import { hasPermission, ROLES } from '../../contracts/roles.ts';
import { PRIORITY_FOR_LEVEL, toIncident } from '../../command-ui/server/services/incidents.service.ts';
import { haversineMetres, rankByDistance } from '../../contracts/geo.ts';
import {
  ACTIVE_DISPATCH_STATUSES,
  createIncidentRequestSchema,
  DISPATCH_STATUSES,
  DISPATCH_TRANSITIONS,
  MANUAL_UNIT_STATUSES,
  UNIT_MANUAL_TRANSITIONS,
  UNIT_STATUS_FOR_DISPATCH,
  UNIT_STATUSES,
  type Unit,
} from '../../contracts/incidents.ts';
import type { IncidentRecord } from '../../storage/repositories/incidents.repository.ts';
import type { UnitRecord } from '../../storage/repositories/units.repository.ts';
import { SQUARE } from '../helpers/places.ts';

/** People's Square (人民广场), Shanghai. */
const NOW = new Date('2026-11-22T02:00:00Z');

function unit(id: string, latitude: number | null, longitude: number | null, extra: Partial<UnitRecord> = {}): Unit {
  const r: UnitRecord = {
    id,
    callSign: id,
    kind: 'patrol_car',
    members: [],
    capabilities: [],
    status: 'available',
    latitude,
    longitude,
    positionAt: latitude === null ? null : new Date(NOW.getTime() - 5_000).toISOString(),
    accuracy: 8,
    userIds: [],
    activeDispatchId: null,
    createdAt: NOW.toISOString(),
    updatedAt: NOW.toISOString(),
    ...extra,
  };
  return toUnit(r, NOW, 30);
}

describe('great-circle distance', () => {
  it('measures known distances from People’s Square to within a metre', () => {
    expect(haversineMetres(SQUARE, SQUARE)).toBe(0);
    // 0.001° of latitude north; 0.005° of longitude east (shorter by cos 31.23°).
    expect(haversineMetres(SQUARE, { latitude: 31.2314, longitude: 121.4737 })).toBeCloseTo(111.2, 0);
    expect(haversineMetres(SQUARE, { latitude: 31.2304, longitude: 121.4787 })).toBeCloseTo(475.4, 0);
    // The Bund, about 1.9 km east-north-east; Tiananmen, Beijing, about 1,067 km.
    expect(haversineMetres(SQUARE, { latitude: 31.24, longitude: 121.49 })).toBeCloseTo(1881.8, 0);
    expect(Math.abs(haversineMetres(SQUARE, { latitude: 39.9042, longitude: 116.4074 }) - 1_067_312)).toBeLessThan(1);
    // Symmetric, and fine across the antimeridian.
    expect(haversineMetres({ latitude: 31.24, longitude: 121.49 }, SQUARE)).toBeCloseTo(1881.8, 0);
    expect(haversineMetres({ latitude: 0, longitude: 179.999 }, { latitude: 0, longitude: -179.999 })).toBeCloseTo(222.4, 0);
  });

  it('ranks nearest first, keeps ties in input order and leaves out items without a position', () => {
    const items = [
      { id: 'bund', p: { latitude: 31.24, longitude: 121.49 } },
      { id: 'none', p: null },
      { id: 'east', p: { latitude: 31.2304, longitude: 121.4787 } },
      { id: 'north', p: { latitude: 31.2314, longitude: 121.4737 } },
      { id: 'north-again', p: { latitude: 31.2314, longitude: 121.4737 } },
    ];
    const ranked = rankByDistance(SQUARE, items, (i) => i.p);
    expect(ranked.map((r) => r.item.id)).toEqual(['north', 'north-again', 'east', 'bund']);
    expect(ranked.map((r) => Math.round(r.distanceMetres))).toEqual([111, 111, 475, 1882]);
  });
});

describe('nearest suitable available units', () => {
  const units = [
    unit('bund', 31.24, 121.49, { capabilities: ['armed'] }),
    unit('east', 31.2304, 121.4787, { capabilities: ['armed', 'first_aid'] }),
    unit('north', 31.2314, 121.4737),
    unit('busy-closest', 31.2305, 121.4737, { status: 'busy' }),
    unit('off-duty', 31.2305, 121.4738, { status: 'off_duty' }),
    unit('stale', 31.2306, 121.4737, { positionAt: new Date(NOW.getTime() - 31_000).toISOString() }),
    unit('no-position', null, null),
    unit('ambulance', 31.2310, 121.4740, { kind: 'medical', capabilities: ['first_aid'] }),
  ];

  it('ranks available, fresh units by distance in whole metres', () => {
    const r = rankCandidates(SQUARE, units, { capability: [], limit: 10 });
    expect(r.map((c) => [c.unit.id, c.distanceMetres])).toEqual([
      ['ambulance', 73],
      ['north', 111],
      ['east', 475],
      ['bund', 1882],
    ]);
  });

  it('filters by capabilities (all of them), kind and limit', () => {
    expect(rankCandidates(SQUARE, units, { capability: ['armed'], limit: 10 }).map((c) => c.unit.id)).toEqual(['east', 'bund']);
    expect(rankCandidates(SQUARE, units, { capability: ['armed', 'first_aid'], limit: 10 }).map((c) => c.unit.id)).toEqual(['east']);
    expect(rankCandidates(SQUARE, units, { capability: [], kind: 'patrol_car', limit: 2 }).map((c) => c.unit.id)).toEqual(['north', 'east']);
  });

  it('marks a unit stale after staleAfterSeconds without a position, or with none at all', () => {
    expect(isStale(null, NOW, 30)).toBe(true);
    expect(isStale(new Date(NOW.getTime() - 30_000).toISOString(), NOW, 30)).toBe(false);
    expect(isStale(new Date(NOW.getTime() - 30_001).toISOString(), NOW, 30)).toBe(true);
    expect(units.find((u) => u.id === 'stale')!.stale).toBe(true);
    expect(units.find((u) => u.id === 'north')!.stale).toBe(false);
  });

  it('pushes a unit to the command roles, its own room and its linked users; only command roles join unit rooms on request', () => {
    expect(unitRooms({ id: 'u1', userIds: ['p1'] })).toEqual(['role:admin', 'role:commander', 'role:dispatcher', 'unit:u1', 'user:p1']);
    const principal = (roles: (typeof ROLES)[number][]) => ({ userId: 'p1', username: 'p', roles, sessionId: 's' });
    expect(roomPermission('unit:u1', principal(['dispatcher'])).ok).toBe(true);
    expect(roomPermission('unit:u1', principal(['patrol'])).ok).toBe(false);
    expect(ROLES.filter((r) => hasPermission([r], 'units.manage'))).toEqual(['admin', 'dispatcher']);
    expect(ROLES.filter((r) => hasPermission([r], 'plans.manage'))).toEqual(['admin']);
    expect(hasPermission(['patrol'], 'units.report')).toBe(true);
  });
});

describe('state machines', () => {
  it('dispatch: sent → accepted → en_route → on_scene → cleared; cancel from any active status; reassign before on scene', () => {
    const next = (from: string) =>
      Object.entries(DISPATCH_TRANSITIONS)
        .filter(([, t]) => (t.from as readonly string[]).includes(from))
        .map(([a, t]) => `${a}:${t.to}`)
        .sort();
    expect(next('sent')).toEqual(['accept:accepted', 'cancel:cancelled', 'reassign:reassigned']);
    expect(next('accepted')).toEqual(['cancel:cancelled', 'en_route:en_route', 'on_scene:on_scene', 'reassign:reassigned']);
    expect(next('en_route')).toEqual(['cancel:cancelled', 'on_scene:on_scene', 'reassign:reassigned']);
    expect(next('on_scene')).toEqual(['cancel:cancelled', 'clear:cleared']);
    for (const terminal of ['cleared', 'cancelled', 'reassigned']) expect(next(terminal)).toEqual([]);
    // Every step starts from an active status, and only the terminal ones free the unit.
    for (const t of Object.values(DISPATCH_TRANSITIONS)) for (const f of t.from) expect(ACTIVE_DISPATCH_STATUSES).toContain(f);
    for (const s of DISPATCH_STATUSES) expect(UNIT_STATUS_FOR_DISPATCH[s] === null).toBe(!(ACTIVE_DISPATCH_STATUSES as readonly string[]).includes(s));
  });

  it('unit: by hand only between available, busy and off duty; a dispatched unit follows its dispatch', () => {
    for (const s of UNIT_STATUSES) {
      const allowed = UNIT_MANUAL_TRANSITIONS[s];
      if ((MANUAL_UNIT_STATUSES as readonly string[]).includes(s)) expect([...allowed, s].sort()).toEqual([...MANUAL_UNIT_STATUSES].sort());
      else expect(allowed).toEqual([]);
    }
  });

  it('alert level gives the priority; coordinates out of range are refused naming the field', () => {
    expect(PRIORITY_FOR_LEVEL).toEqual({ red: 'P1', orange: 'P2', yellow: 'P3', blue: 'P4' });
    const bad = createIncidentRequestSchema.safeParse({ type: 'fire', location: { latitude: 91, longitude: 121.47 } });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => i.path.join('.'))).toEqual(['location.latitude']);
    expect(createIncidentRequestSchema.safeParse({ type: 'fire', location: { latitude: 31.2, longitude: -180.5 } }).success).toBe(false);
    expect(createIncidentRequestSchema.parse({ type: 'fire', location: { latitude: -90, longitude: 180 } }).priority).toBe('P3');
  });
});

describe('incident view', () => {
  it('keeps the timeline in stored order and turns evidence paths into URLs', () => {
    const rec: IncidentRecord = {
      id: 'i1',
      type: 'wanted_vehicle',
      priority: 'P1',
      status: 'open',
      source: 'alert',
      title: 't',
      description: null,
      latitude: 31.2304,
      longitude: 121.4737,
      address: null,
      callerName: null,
      callerPhone: null,
      sourceAlertId: 'a1',
      cameraId: 'c1',
      evidence: { alertId: 'a1', cameraId: 'c1', cameraName: 'Cam', cropPath: '2026/x.jpg', framePath: null, summary: 's' },
      sosUnitId: null,
      plan: null,
      planSteps: [],
      createdBy: null,
      createdAt: NOW.toISOString(),
      updatedAt: NOW.toISOString(),
      closedAt: null,
      outcome: null,
      report: null,
      timeline: [
        { seq: 7, at: '2026-11-22T02:00:00.000Z', userId: 'u', username: 'd1', kind: 'created', detail: {} },
        { seq: 9, at: '2026-11-22T02:00:00.000Z', userId: 'u', username: 'd1', kind: 'plan_proposed', detail: {} },
      ],
    };
    const inc = toIncident(rec);
    expect(inc.timeline.map((e) => e.seq)).toEqual([7, 9]);
    expect(inc.location).toEqual({ latitude: 31.2304, longitude: 121.4737 });
    expect(inc.evidence).toMatchObject({ cropUrl: '/api/incidents/i1/evidence/crop.jpg', frameUrl: null });
    expect(inc.caller).toBeNull();
  });
});
