import { useEffect, useState } from 'react';
import type { Dispatch } from '../../../../contracts/incidents.ts';
import { useI18n } from '../i18n/i18n.tsx';
import { useSignedIn } from '../state/session.tsx';
import { completedLegs, elapsedText, runningPhase } from './dispatch-timers.ts';

/** The server's time now, updated every second while `active`. */
function useServerNow(active: boolean): number {
  const { api } = useSignedIn();
  const [now, setNow] = useState(() => api.clock.now());
  useEffect(() => {
    if (!active) return;
    setNow(api.clock.now());
    const timer = window.setInterval(() => setNow(api.clock.now()), 1000);
    return () => window.clearInterval(timer);
  }, [api, active]);
  return now;
}

/**
 * A dispatch's timers: the phase in progress counting up every second ("en route for 3:12") and the
 * legs already done ("accepted after 0:08 · travelled 4:31"). Shown on the dispatch desk and the tablet.
 */
export function DispatchTimers({ dispatch, legs = true }: { dispatch: Dispatch; legs?: boolean }) {
  const { t } = useI18n();
  const running = runningPhase(dispatch);
  const now = useServerNow(running !== null);
  const done = legs ? completedLegs(dispatch) : [];
  if (!running && done.length === 0) return null;
  return (
    <span className="dispatch-timers" data-testid="dispatch-timers">
      {running && (
        <span className="dispatch-timer-running" data-testid="dispatch-timer" data-phase={running.phase} data-since={running.since}>
          {t(`timers.running.${running.phase}`, { time: elapsedText(now - running.since) })}
        </span>
      )}
      {done.map((l) => (
        <span key={l.leg} className="dispatch-timer-leg" data-leg={l.leg} data-ms={l.ms}>
          {t(`timers.leg.${l.leg}`, { time: elapsedText(l.ms) })}
        </span>
      ))}
    </span>
  );
}
