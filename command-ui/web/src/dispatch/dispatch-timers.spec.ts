import { describe, expect, it } from 'vitest';
import type { Dispatch } from '../../../../contracts/incidents.ts';
import { completedLegs, elapsedText, runningPhase } from './dispatch-timers.ts';

const T0 = Date.parse('2026-11-22T08:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

function dispatch(over: Partial<Dispatch>): Dispatch {
  return {
    id: 'd1',
    incidentId: 'i1',
    unitId: 'u1',
    callSign: '沪A-01',
    status: 'sent',
    note: null,
    sentAt: at(0),
    sentBy: null,
    acceptedAt: null,
    enRouteAt: null,
    onSceneAt: null,
    clearedAt: null,
    cancelledAt: null,
    overdueAt: null,
    replacedBy: null,
    updatedAt: at(0),
    updatedBy: null,
    incident: { type: 'theft', priority: 'P2', title: 't', address: null, location: null },
    ...over,
  };
}

describe('runningPhase', () => {
  it('runs from the time of the status the dispatch is in', () => {
    expect(runningPhase(dispatch({}))).toEqual({ phase: 'awaiting_accept', since: T0 });
    expect(runningPhase(dispatch({ status: 'accepted', acceptedAt: at(8) }))).toEqual({ phase: 'accepted', since: T0 + 8000 });
    expect(runningPhase(dispatch({ status: 'en_route', acceptedAt: at(8), enRouteAt: at(20) }))).toEqual({ phase: 'en_route', since: T0 + 20_000 });
    expect(runningPhase(dispatch({ status: 'on_scene', acceptedAt: at(8), enRouteAt: at(20), onSceneAt: at(291) }))).toEqual({ phase: 'on_scene', since: T0 + 291_000 });
  });

  it('stops when the dispatch ends', () => {
    expect(runningPhase(dispatch({ status: 'cleared', acceptedAt: at(8), onSceneAt: at(60), clearedAt: at(600) }))).toBeNull();
    expect(runningPhase(dispatch({ status: 'cancelled', cancelledAt: at(30) }))).toBeNull();
    expect(runningPhase(dispatch({ status: 'reassigned', replacedBy: 'd2' }))).toBeNull();
  });
});

describe('completedLegs', () => {
  it('measures each leg between two status changes, and the response time', () => {
    const d = dispatch({ status: 'cleared', acceptedAt: at(8), enRouteAt: at(20), onSceneAt: at(291), clearedAt: at(1011) });
    expect(completedLegs(d)).toEqual([
      { leg: 'to_accept', ms: 8000 },
      { leg: 'to_move', ms: 12_000 },
      { leg: 'travel', ms: 271_000 },
      { leg: 'on_scene', ms: 720_000 },
      { leg: 'response', ms: 291_000 },
    ]);
  });

  it('counts travel from acceptance when the unit went straight on scene', () => {
    const d = dispatch({ status: 'on_scene', acceptedAt: at(5), onSceneAt: at(65) });
    expect(completedLegs(d)).toEqual([
      { leg: 'to_accept', ms: 5000 },
      { leg: 'travel', ms: 60_000 },
      { leg: 'response', ms: 65_000 },
    ]);
  });

  it('has nothing before the unit accepts', () => {
    expect(completedLegs(dispatch({}))).toEqual([]);
    expect(completedLegs(dispatch({ status: 'cancelled', cancelledAt: at(30) }))).toEqual([]);
  });
});

describe('elapsedText', () => {
  it('writes minutes:seconds, with hours when there are any', () => {
    expect(elapsedText(0)).toBe('0:00');
    expect(elapsedText(7_999)).toBe('0:07');
    expect(elapsedText(192_000)).toBe('3:12');
    expect(elapsedText(3_725_000)).toBe('1:02:05');
    expect(elapsedText(-5000)).toBe('0:00');
  });
});
