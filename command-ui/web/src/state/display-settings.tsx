import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { DEFAULT_ALERT_LEVELS, mapSettingsSchema, type DisplaySettings } from '../../../../contracts/display.ts';
import type { AlertLevel } from '../alerts/alert-types.ts';
import { useI18n } from '../i18n/i18n.tsx';
import { useSignedIn } from './session.tsx';

/**
 * The installation's display settings (GET /api/settings/display): alert level names, actions and
 * colours, and the map's tile source. Loaded once after sign-in; until then (or if the request fails)
 * the built-in defaults apply, so no screen waits for it. Level colours are also set as CSS custom
 * properties on the document (`--lvl-red` …, defined in theme.css), which every level style reads.
 */

export const DEFAULT_DISPLAY_SETTINGS: DisplaySettings = { alertLevels: { ...DEFAULT_ALERT_LEVELS }, map: mapSettingsSchema.parse({}), unitStaleAfterSeconds: 30 };

const DisplaySettingsContext = createContext<DisplaySettings>(DEFAULT_DISPLAY_SETTINGS);

export function DisplaySettingsProvider({ children }: { children: ReactNode }) {
  const { api } = useSignedIn();
  const [settings, setSettings] = useState<DisplaySettings>(DEFAULT_DISPLAY_SETTINGS);
  useEffect(() => {
    let live = true;
    api
      .displaySettings()
      .then((s) => {
        if (live) setSettings(s);
      })
      .catch(() => undefined); // defaults stay; nothing on screen depends on this succeeding
    return () => {
      live = false;
    };
  }, [api]);
  useEffect(() => {
    const root = document.documentElement;
    for (const [level, d] of Object.entries(settings.alertLevels)) root.style.setProperty(`--lvl-${level}`, d.colour);
  }, [settings]);
  return <DisplaySettingsContext.Provider value={settings}>{children}</DisplaySettingsContext.Provider>;
}

export function useDisplaySettings(): DisplaySettings {
  return useContext(DisplaySettingsContext);
}

export interface LevelText {
  name(level: AlertLevel): string;
  action(level: AlertLevel): string;
  colour(level: AlertLevel): string;
}

/** Level names and actions in the current language, as configured. */
export function useLevelText(): LevelText {
  const { alertLevels } = useDisplaySettings();
  const { locale } = useI18n();
  return useMemo(
    () => ({
      name: (l) => alertLevels[l].name[locale],
      action: (l) => alertLevels[l].action[locale],
      colour: (l) => alertLevels[l].colour,
    }),
    [alertLevels, locale],
  );
}
