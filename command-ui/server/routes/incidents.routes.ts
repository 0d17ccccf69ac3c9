import { z } from 'zod';
import { idParamsSchema, idSchema } from '../../../contracts/api.ts';
import {
  candidateListSchema,
  candidateQuerySchema,
  closeIncidentRequestSchema,
  createDispatchRequestSchema,
  createIncidentRequestSchema,
  createPlanRequestSchema,
  dispatchActionRequestSchema,
  dispatchIdParamsSchema,
  dispatchListSchema,
  dispatchSchema,
  emergencyPlanSchema,
  incidentFromAlertRequestSchema,
  incidentNoteRequestSchema,
  incidentPageSchema,
  incidentQuerySchema,
  incidentSchema,
  incidentTypeListSchema,
  nearbyCameraListSchema,
  nearbyCameraQuerySchema,
  planListSchema,
  planStepParamsSchema,
  reassignDispatchRequestSchema,
  updateIncidentRequestSchema,
  updatePlanRequestSchema,
} from '../../../contracts/incidents.ts';
import { authorize, principalOf, requestMeta } from '../auth.plugin.ts';
import { sendJpeg } from './raw-bodies.ts';
import { authErrors, errorResponseSchema, type ApiServices, type ZodApp } from './types.ts';

/** Incidents, their dispatches and the emergency plans. */
export function registerIncidentRoutes(app: ZodApp, services: Pick<ApiServices, 'auth' | 'incidents' | 'dispatch'>): void {
  const view = authorize(services.auth, 'incidents.view');
  const manage = authorize(services.auth, 'incidents.manage');
  const report = authorize(services.auth, 'units.report');
  const plans = authorize(services.auth, 'plans.manage');
  const notFound = { 404: errorResponseSchema };
  const conflict = { 409: errorResponseSchema };
  const tags = ['incidents'];
  const one = { 200: incidentSchema, ...notFound, ...conflict, ...authErrors };

  app.get(
    '/api/incident-types',
    { preHandler: view, schema: { tags, summary: 'The configured incident types', response: { 200: incidentTypeListSchema, ...authErrors } } },
    async () => ({ items: services.incidents.incidentTypes() }),
  );
  app.get(
    '/api/incidents',
    { preHandler: view, schema: { tags, summary: 'Incidents, newest first', querystring: incidentQuerySchema, response: { 200: incidentPageSchema, ...authErrors } } },
    async (request) => services.incidents.list(request.query),
  );
  app.post(
    '/api/incidents',
    {
      preHandler: manage,
      schema: { tags, summary: 'Create an incident: a 110 call (source call, with the caller) or by hand', body: createIncidentRequestSchema, response: { 201: incidentSchema, ...authErrors } },
    },
    async (request, reply) => reply.code(201).send(await services.incidents.createFromRequest(request.body, principalOf(request), requestMeta(request))),
  );
  app.post(
    '/api/incidents/from-alert/:alertId',
    {
      preHandler: manage,
      schema: {
        tags,
        summary: "Create an incident from an alert: its evidence, camera, the camera's position and a priority from its level",
        params: z.object({ alertId: idSchema }).strict(),
        body: incidentFromAlertRequestSchema,
        response: { 201: incidentSchema, ...notFound, ...authErrors },
      },
    },
    async (request, reply) => reply.code(201).send(await services.incidents.createFromAlert(request.params.alertId, request.body, principalOf(request), requestMeta(request))),
  );
  app.get(
    '/api/incidents/:id',
    { preHandler: view, schema: { tags, summary: 'One incident with its timeline and plan', params: idParamsSchema, response: { 200: incidentSchema, ...notFound, ...authErrors } } },
    async (request) => services.incidents.get(request.params.id),
  );
  app.patch(
    '/api/incidents/:id',
    { preHandler: manage, schema: { tags, summary: 'Change type, priority, title, description, location or address', params: idParamsSchema, body: updateIncidentRequestSchema, response: one } },
    async (request) => services.incidents.update(request.params.id, request.body, principalOf(request), requestMeta(request)),
  );
  app.post(
    '/api/incidents/:id/notes',
    { preHandler: manage, schema: { tags, summary: 'Add a note to the timeline', params: idParamsSchema, body: incidentNoteRequestSchema, response: one } },
    async (request) => services.incidents.note(request.params.id, request.body.note, principalOf(request), requestMeta(request)),
  );
  app.post(
    '/api/incidents/:id/close',
    { preHandler: manage, schema: { tags, summary: 'Close with an outcome and a report (no active dispatches)', params: idParamsSchema, body: closeIncidentRequestSchema, response: one } },
    async (request) => services.incidents.close(request.params.id, request.body, principalOf(request), requestMeta(request)),
  );
  app.post(
    '/api/incidents/:id/plan/steps/:index/tick',
    { preHandler: manage, schema: { tags, summary: "Tick a step of the incident's emergency plan", params: planStepParamsSchema, response: one } },
    async (request) => services.incidents.tickStep(request.params.id, request.params.index, principalOf(request), requestMeta(request)),
  );
  app.get(
    '/api/incidents/:id/cameras',
    {
      preHandler: view,
      schema: { tags, summary: 'The nearest cameras to the incident (to open on the wall)', params: idParamsSchema, querystring: nearbyCameraQuerySchema, response: { 200: nearbyCameraListSchema, ...notFound, ...conflict, ...authErrors } },
    },
    async (request) => ({ items: await services.incidents.cameras(request.params.id, request.query.limit) }),
  );
  app.get(
    '/api/incidents/:id/evidence/crop.jpg',
    { preHandler: view, schema: { tags, summary: "The evidence crop of the incident's alert (JPEG)", params: idParamsSchema } },
    async (request, reply) => sendJpeg(reply, await services.incidents.evidence(request.params.id, 'crop')),
  );
  app.get(
    '/api/incidents/:id/evidence/frame.jpg',
    { preHandler: view, schema: { tags, summary: "The whole frame of the incident's alert (JPEG)", params: idParamsSchema } },
    async (request, reply) => sendJpeg(reply, await services.incidents.evidence(request.params.id, 'frame')),
  );

  // ---------- dispatch ----------
  app.get(
    '/api/incidents/:id/candidates',
    {
      preHandler: manage,
      schema: {
        tags: ['dispatch'],
        summary: 'Nearest suitable units: available, not stale, with the capabilities asked for; distance in metres',
        params: idParamsSchema,
        querystring: candidateQuerySchema,
        response: { 200: candidateListSchema, ...notFound, ...conflict, ...authErrors },
      },
    },
    async (request) => ({ items: await services.dispatch.candidates(request.params.id, request.query) }),
  );
  app.get(
    '/api/incidents/:id/dispatches',
    { preHandler: view, schema: { tags: ['dispatch'], summary: 'The dispatches of an incident', params: idParamsSchema, response: { 200: dispatchListSchema, ...notFound, ...authErrors } } },
    async (request) => ({ items: await services.dispatch.listForIncident(request.params.id) }),
  );
  app.post(
    '/api/incidents/:id/dispatches',
    {
      preHandler: manage,
      schema: {
        tags: ['dispatch'],
        summary: 'Send one or several available units (all or none)',
        params: idParamsSchema,
        body: createDispatchRequestSchema,
        response: { 201: dispatchListSchema, ...notFound, ...conflict, ...authErrors },
      },
    },
    async (request, reply) =>
      reply.code(201).send({ items: await services.dispatch.dispatch(request.params.id, request.body.unitIds, request.body.note, principalOf(request), requestMeta(request)) }),
  );
  app.post(
    '/api/incidents/:id/dispatches/:dispatchId/status',
    {
      preHandler: report,
      schema: {
        tags: ['dispatch'],
        summary: 'accept, en_route, on_scene, clear (the unit’s officers, or a dispatcher for them); cancel (dispatchers)',
        params: dispatchIdParamsSchema,
        body: dispatchActionRequestSchema,
        response: { 200: dispatchSchema, ...notFound, ...conflict, ...authErrors },
      },
    },
    async (request) => services.dispatch.act(request.params.id, request.params.dispatchId, request.body.action, request.body.note, principalOf(request), requestMeta(request)),
  );
  app.post(
    '/api/incidents/:id/dispatches/:dispatchId/reassign',
    {
      preHandler: manage,
      schema: {
        tags: ['dispatch'],
        summary: 'Replace the unit of a dispatch (before it is on scene) with another available unit',
        params: dispatchIdParamsSchema,
        body: reassignDispatchRequestSchema,
        response: { 200: z.object({ old: dispatchSchema, replacement: dispatchSchema }), ...notFound, ...conflict, ...authErrors },
      },
    },
    async (request) => services.dispatch.reassign(request.params.id, request.params.dispatchId, request.body.unitId, request.body.note, principalOf(request), requestMeta(request)),
  );

  // ---------- emergency plans (预案) ----------
  app.get(
    '/api/plans',
    { preHandler: view, schema: { tags: ['plans'], summary: 'Emergency plans', response: { 200: planListSchema, ...authErrors } } },
    async () => ({ items: await services.incidents.plans() }),
  );
  app.get(
    '/api/plans/:id',
    { preHandler: view, schema: { tags: ['plans'], summary: 'One emergency plan', params: idParamsSchema, response: { 200: emergencyPlanSchema, ...notFound, ...authErrors } } },
    async (request) => services.incidents.plan(request.params.id),
  );
  app.post(
    '/api/plans',
    {
      preHandler: plans,
      schema: { tags: ['plans'], summary: 'Create an emergency plan for an incident type', body: createPlanRequestSchema, response: { 201: emergencyPlanSchema, ...conflict, ...authErrors } },
    },
    async (request, reply) => reply.code(201).send(await services.incidents.createPlan(request.body, principalOf(request), requestMeta(request))),
  );
  app.patch(
    '/api/plans/:id',
    {
      preHandler: plans,
      schema: { tags: ['plans'], summary: 'Change an emergency plan (incidents keep the copy they got)', params: idParamsSchema, body: updatePlanRequestSchema, response: { 200: emergencyPlanSchema, ...notFound, ...conflict, ...authErrors } },
    },
    async (request) => services.incidents.updatePlan(request.params.id, request.body, principalOf(request), requestMeta(request)),
  );
  app.delete(
    '/api/plans/:id',
    { preHandler: plans, schema: { tags: ['plans'], summary: 'Delete an emergency plan', params: idParamsSchema, response: { 204: z.null(), ...notFound, ...authErrors } } },
    async (request, reply) => {
      await services.incidents.deletePlan(request.params.id, principalOf(request), requestMeta(request));
      return reply.code(204).send(null);
    },
  );
}
