import type { Config } from '../../../config/schema.ts';
import { displaySettingsSchema, type DisplaySettings } from '../../../contracts/display.ts';
import { authorize } from '../auth.plugin.ts';
import { authErrors, type ApiServices, type ZodApp } from './types.ts';

/** What screens draw by the installation's settings: alert level names/colours and the map's tiles. */
export function displaySettings(config: Pick<Config, 'alerts' | 'map' | 'dispatch'>): DisplaySettings {
  return { alertLevels: config.alerts.levels, map: config.map, unitStaleAfterSeconds: config.dispatch.staleAfterSeconds };
}

export function registerSettingsRoutes(app: ZodApp, services: Pick<ApiServices, 'auth'>, config: Pick<Config, 'alerts' | 'map' | 'dispatch'>): void {
  const settings = displaySettings(config);
  app.get(
    '/api/settings/display',
    {
      preHandler: authorize(services.auth, null),
      schema: {
        tags: ['system'],
        summary: "Alert level names, actions and colours, the map's tile source and when a unit counts as stale, as this installation configures them",
        response: { 200: displaySettingsSchema, ...authErrors },
      },
    },
    async () => settings,
  );
}
