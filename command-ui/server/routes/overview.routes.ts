import { overviewSchema } from '../../../contracts/overview.ts';
import { authorize, principalOf } from '../auth.plugin.ts';
import { authErrors, type ApiServices, type ZodApp } from './types.ts';

/** The command-centre overview: one request for the counts and the 24-hour chart. */
export function registerOverviewRoutes(app: ZodApp, services: Pick<ApiServices, 'auth' | 'overview'>): void {
  app.get(
    '/api/overview',
    {
      preHandler: authorize(services.auth, 'cameras.view'),
      schema: {
        tags: ['system'],
        summary: 'Open incidents by priority, units by status, alerts awaiting acknowledgement, cameras offline, and incidents/alerts per hour over 24 hours',
        response: { 200: overviewSchema, ...authErrors },
      },
    },
    async (request) => services.overview.get(principalOf(request)),
  );
}
