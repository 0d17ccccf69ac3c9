import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AlertsService } from '../services/alerts.service.ts';
import type { AuthService } from '../services/auth.service.ts';
import type { CamerasService } from '../services/cameras.service.ts';
import type { DispatchService } from '../services/dispatch.service.ts';
import type { ExportsService } from '../services/exports.service.ts';
import type { IncidentsService } from '../services/incidents.service.ts';
import type { LiveService } from '../services/live.service.ts';
import type { MediaService } from '../services/media.service.ts';
import type { OverviewService } from '../services/overview.service.ts';
import type { SightingsService } from '../services/sightings.service.ts';
import type { SitesService } from '../services/sites.service.ts';
import type { SystemService } from '../services/system.service.ts';
import type { UnitsService } from '../services/units.service.ts';
import type { UsersService } from '../services/users.service.ts';
import type { WatchlistsService } from '../services/watchlists.service.ts';

export type ZodApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, ZodTypeProvider>;

export interface ApiServices {
  auth: AuthService;
  users: UsersService;
  cameras: CamerasService;
  sites: SitesService;
  system: SystemService;
  media: MediaService;
  live: LiveService;
  sightings: SightingsService;
  watchlists: WatchlistsService;
  alerts: AlertsService;
  incidents: IncidentsService;
  units: UnitsService;
  dispatch: DispatchService;
  overview: OverviewService;
  exports: ExportsService;
}

export const errorResponseSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
});

/** The error replies every authenticated route can give, for the OpenAPI document. */
export const authErrors = { 400: errorResponseSchema, 401: errorResponseSchema, 403: errorResponseSchema } as const;
