import type { Dispatch, DispatchStatus } from '../../../../contracts/incidents.ts';

/**
 * The timers of a dispatch, from the times the server stamped on each status change: the phase in
 * progress ("en route for 3:12") and the legs already done (accepted after 0:08, travelled 4:31, on
 * scene 12:00). Every status change starts the next timer and stops the one before; the times are the
 * server's, so a reload or another screen shows the same figures.
 */

/** A phase that runs until the next status change. */
export type RunningPhase = 'awaiting_accept' | 'accepted' | 'en_route' | 'on_scene';
/** A leg measured between two status changes. */
export type Leg = 'to_accept' | 'to_move' | 'travel' | 'on_scene' | 'response';

export interface Running {
  phase: RunningPhase;
  /** When the phase started (epoch ms). */
  since: number;
}

const ms = (iso: string | null): number | null => (iso === null ? null : Date.parse(iso));

const RUNNING_BY_STATUS: Partial<Record<DispatchStatus, (d: Dispatch) => Running | null>> = {
  sent: (d) => ({ phase: 'awaiting_accept', since: ms(d.sentAt)! }),
  accepted: (d) => (d.acceptedAt ? { phase: 'accepted', since: ms(d.acceptedAt)! } : null),
  en_route: (d) => (d.enRouteAt ? { phase: 'en_route', since: ms(d.enRouteAt)! } : null),
  on_scene: (d) => (d.onSceneAt ? { phase: 'on_scene', since: ms(d.onSceneAt)! } : null),
};

/** The phase in progress, or null once the dispatch has ended (cleared, cancelled, reassigned). */
export function runningPhase(d: Dispatch): Running | null {
  return RUNNING_BY_STATUS[d.status]?.(d) ?? null;
}

/**
 * The legs already measured, in the order they happen, each in milliseconds:
 * - to_accept: sent → accepted
 * - to_move: accepted → en route (how long the unit took to set off)
 * - travel: en route (or accepted, when it went straight on scene) → on scene
 * - on_scene: on scene → cleared
 * - response: sent → on scene (the figure commanders report)
 */
export function completedLegs(d: Dispatch): Array<{ leg: Leg; ms: number }> {
  const sent = ms(d.sentAt)!;
  const accepted = ms(d.acceptedAt);
  const enRoute = ms(d.enRouteAt);
  const onScene = ms(d.onSceneAt);
  const cleared = ms(d.clearedAt);
  const legs: Array<{ leg: Leg; ms: number }> = [];
  const add = (leg: Leg, from: number | null, to: number | null) => {
    if (from !== null && to !== null && to >= from) legs.push({ leg, ms: to - from });
  };
  add('to_accept', sent, accepted);
  add('to_move', accepted, enRoute);
  add('travel', enRoute ?? accepted, onScene);
  add('on_scene', onScene, cleared);
  add('response', sent, onScene);
  return legs;
}

/** `0:07`, `3:12`, `1:02:05`: minutes and seconds, hours when there are any; negative counts as 0. */
export function elapsedText(milliseconds: number): string {
  const total = Math.max(0, Math.floor(milliseconds / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
