import { useCallback, useEffect, useState } from 'react';
import type { IncidentType } from '../../../../contracts/incidents.ts';
import { useI18n } from '../i18n/i18n.tsx';
import { useSignedIn } from '../state/session.tsx';

/** The configured incident types (`GET /api/incident-types`) and a function naming a code in the current language. */
export function useIncidentTypes(): { types: IncidentType[]; typeName: (code: string) => string } {
  const { api } = useSignedIn();
  const { locale } = useI18n();
  const [types, setTypes] = useState<IncidentType[]>([]);
  useEffect(() => {
    let cancelled = false;
    api.listIncidentTypes().then(
      (reply) => !cancelled && setTypes(reply.items),
      () => undefined, // the codes are shown as they are
    );
    return () => {
      cancelled = true;
    };
  }, [api]);
  const typeName = useCallback((code: string) => types.find((x) => x.code === code)?.name[locale] ?? code, [types, locale]);
  return { types, typeName };
}
