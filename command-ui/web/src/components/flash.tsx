import { useCallback, useEffect, useRef, useState } from 'react';

/** A short confirmation line ("Camera “Gate 3” added.") that clears itself after a few seconds. */
export function useFlash(durationMs = 6000): [string | null, (message: string) => void] {
  const [message, setMessage] = useState<string | null>(null);
  const timer = useRef<number | undefined>(undefined);
  const show = useCallback(
    (next: string) => {
      window.clearTimeout(timer.current);
      setMessage(next);
      timer.current = window.setTimeout(() => setMessage(null), durationMs);
    },
    [durationMs],
  );
  useEffect(() => () => window.clearTimeout(timer.current), []);
  return [message, show];
}

export function Flash({ message }: { message: string | null }) {
  return (
    <div className="flash-slot" role="status" aria-live="polite">
      {message && <div className="banner banner-success">{message}</div>}
    </div>
  );
}
