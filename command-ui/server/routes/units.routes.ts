import { z } from 'zod';
import { idParamsSchema } from '../../../contracts/api.ts';
import {
  createUnitRequestSchema,
  dispatchListSchema,
  dispatchQuerySchema,
  incidentSchema,
  positionBatchSchema,
  positionReportSchema,
  sosRequestSchema,
  unitHistoryQuerySchema,
  unitQuerySchema,
  unitSchema,
  unitStatusRequestSchema,
  unitTrackSchema,
  updateUnitRequestSchema,
} from '../../../contracts/incidents.ts';
import { authorize, principalOf, requestMeta } from '../auth.plugin.ts';
import { authErrors, errorResponseSchema, type ApiServices, type ZodApp } from './types.ts';

/** Units: management, the tablet's reports (position, status, SOS) and the bulk position feed. */
export function registerUnitRoutes(app: ZodApp, services: Pick<ApiServices, 'auth' | 'units' | 'incidents' | 'dispatch'>): void {
  const view = authorize(services.auth, 'incidents.view');
  const manage = authorize(services.auth, 'units.manage');
  const report = authorize(services.auth, 'units.report');
  const notFound = { 404: errorResponseSchema };
  const conflict = { 409: errorResponseSchema };
  const tags = ['units'];
  const unitList = z.object({ items: z.array(unitSchema) });

  app.get(
    '/api/units',
    { preHandler: view, schema: { tags, summary: 'Units with status, position and stale flag', querystring: unitQuerySchema, response: { 200: unitList, ...authErrors } } },
    async (request) => ({ items: await services.units.list(request.query) }),
  );
  app.get(
    '/api/units/mine',
    { preHandler: report, schema: { tags, summary: 'The units I am linked to (my tablet)', response: { 200: unitList, ...authErrors } } },
    async (request) => {
      const ids = await services.units.unitIdsOfUser(principalOf(request).userId);
      return { items: await Promise.all(ids.map((id) => services.units.get(id))) };
    },
  );
  app.post(
    '/api/units',
    { preHandler: manage, schema: { tags, summary: 'Create a unit', body: createUnitRequestSchema, response: { 201: unitSchema, ...conflict, ...authErrors } } },
    async (request, reply) => reply.code(201).send(await services.units.create(request.body, principalOf(request), requestMeta(request))),
  );
  app.post(
    '/api/units/positions',
    {
      preHandler: manage,
      schema: {
        tags,
        summary: 'Position feed: many units at once (an AVL/GPS gateway)',
        body: positionBatchSchema,
        response: { 200: z.object({ accepted: z.number().int(), unknownUnitIds: z.array(z.string()) }), ...authErrors },
      },
    },
    async (request) => services.units.feedPositions(request.body),
  );
  app.get(
    '/api/units/:id',
    { preHandler: view, schema: { tags, summary: 'One unit', params: idParamsSchema, response: { 200: unitSchema, ...notFound, ...authErrors } } },
    async (request) => services.units.get(request.params.id),
  );
  app.patch(
    '/api/units/:id',
    { preHandler: manage, schema: { tags, summary: 'Change a unit (call sign, kind, members, capabilities, linked users)', params: idParamsSchema, body: updateUnitRequestSchema, response: { 200: unitSchema, ...notFound, ...conflict, ...authErrors } } },
    async (request) => services.units.update(request.params.id, request.body, principalOf(request), requestMeta(request)),
  );
  app.delete(
    '/api/units/:id',
    { preHandler: manage, schema: { tags, summary: 'Delete a unit that was never dispatched', params: idParamsSchema, response: { 204: z.null(), ...notFound, ...conflict, ...authErrors } } },
    async (request, reply) => {
      await services.units.delete(request.params.id, principalOf(request), requestMeta(request));
      return reply.code(204).send(null);
    },
  );
  app.post(
    '/api/units/:id/status',
    {
      preHandler: report,
      schema: { tags, summary: 'Set available, busy or off duty (a dispatcher, or an officer linked to the unit)', params: idParamsSchema, body: unitStatusRequestSchema, response: { 200: unitSchema, ...notFound, ...conflict, ...authErrors } },
    },
    async (request) => services.units.setStatus(request.params.id, request.body.status, principalOf(request), requestMeta(request)),
  );
  app.post(
    '/api/units/:id/position',
    { preHandler: report, schema: { tags, summary: "The unit's position from its tablet (an officer linked to it)", params: idParamsSchema, body: positionReportSchema, response: { 200: unitSchema, ...notFound, ...authErrors } } },
    async (request) => services.units.reportPosition(request.params.id, request.body, principalOf(request)),
  );
  app.get(
    '/api/units/:id/track',
    { preHandler: view, schema: { tags, summary: "The unit's position history, oldest first", params: idParamsSchema, querystring: unitHistoryQuerySchema, response: { 200: unitTrackSchema, ...notFound, ...authErrors } } },
    async (request) => ({ items: await services.units.track(request.params.id, request.query) }),
  );
  app.get(
    '/api/units/:id/dispatches',
    { preHandler: report, schema: { tags, summary: "The unit's dispatches, newest first (active=true: its current one)", params: idParamsSchema, querystring: dispatchQuerySchema, response: { 200: dispatchListSchema, ...notFound, ...authErrors } } },
    async (request) => ({ items: await services.dispatch.listForUnit(request.params.id, request.query.active ?? false, principalOf(request)) }),
  );
  app.post(
    '/api/units/:id/sos',
    {
      preHandler: report,
      schema: { tags, summary: "SOS: a P1 incident at the unit's position, pushed to every dispatcher (an officer linked to the unit)", params: idParamsSchema, body: sosRequestSchema, response: { 201: incidentSchema, ...notFound, ...authErrors } },
    },
    async (request, reply) => reply.code(201).send(await services.incidents.sos(request.params.id, request.body, principalOf(request), requestMeta(request))),
  );
}
