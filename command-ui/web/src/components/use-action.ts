import { useCallback, useState } from 'react';
import { useI18n } from '../i18n/i18n.tsx';
import { describeError } from './error-banner.tsx';

/**
 * A screen's buttons that call the API: `run(call)` marks the screen busy while the call runs and
 * keeps its refusal as one line ("title: message") for the screen to show, cleared on the next run.
 */
export function useAction(): { busy: boolean; error: string | null; run: (call: () => Promise<unknown>) => Promise<void> } {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(
    async (call: () => Promise<unknown>) => {
      setBusy(true);
      setError(null);
      try {
        await call();
      } catch (caught) {
        const { title, message } = describeError(caught, t);
        setError(message ? `${title}: ${message}` : title);
      } finally {
        setBusy(false);
      }
    },
    [t],
  );
  return { busy, error, run };
}
