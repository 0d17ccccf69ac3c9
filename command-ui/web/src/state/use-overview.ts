import { useEffect, useRef, useState } from 'react';
import type { Overview } from '../../../../contracts/overview.ts';
import { useLive } from './live.tsx';
import { useSignedIn } from './session.tsx';

/** At most one reload per this many milliseconds however many events arrive. */
export const OVERVIEW_THROTTLE_MS = 2000;
/** And a reload at least this often (events the caller's rooms do not receive, clocks moving on). */
export const OVERVIEW_POLL_MS = 10_000;

const EVENTS = ['incident.created', 'incident.updated', 'alert.created', 'alert.updated', 'unit.updated', 'camera.status', 'camera.created', 'camera.deleted'] as const;

/** The command-centre overview, reloaded on incident/alert/unit/camera events (throttled) and by a poll. */
export function useOverview(): { overview: Overview | null; error: unknown; reload: () => void } {
  const { api } = useSignedIn();
  const { socket, generation } = useLive();
  const [overview, setOverview] = useState<Overview | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  const lastLoad = useRef(0);
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    lastLoad.current = Date.now();
    api.overview(controller.signal).then(
      (o) => {
        setOverview(o);
        setError(null);
      },
      (err: unknown) => !controller.signal.aborted && setError(err),
    );
    const poll = setTimeout(() => setTick((n) => n + 1), OVERVIEW_POLL_MS);
    return () => {
      controller.abort();
      clearTimeout(poll);
    };
  }, [api, tick, generation]);

  useEffect(() => {
    if (!socket) return;
    const onEvent = () => {
      if (pending.current) return;
      const wait = Math.max(0, lastLoad.current + OVERVIEW_THROTTLE_MS - Date.now());
      pending.current = setTimeout(() => {
        pending.current = null;
        setTick((n) => n + 1);
      }, wait);
    };
    for (const e of EVENTS) socket.on(e, onEvent);
    return () => {
      for (const e of EVENTS) socket.off(e, onEvent);
      if (pending.current) clearTimeout(pending.current);
      pending.current = null;
    };
  }, [socket]);

  return { overview, error, reload: () => setTick((n) => n + 1) };
}
