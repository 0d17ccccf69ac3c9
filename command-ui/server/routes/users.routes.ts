import { createUserRequestSchema, idParamsSchema, listQuerySchema, listResponseSchema, updateUserRequestSchema, userSchema } from '../../../contracts/api.ts';
import { authorize, principalOf, requestMeta } from '../auth.plugin.ts';
import { authErrors, errorResponseSchema, type ApiServices, type ZodApp } from './types.ts';

export function registerUserRoutes(app: ZodApp, services: ApiServices): void {
  const guard = authorize(services.auth, 'users.manage');
  app.get(
    '/api/users',
    { preHandler: guard, schema: { tags: ['users'], summary: 'List users', querystring: listQuerySchema, response: { 200: listResponseSchema(userSchema), ...authErrors } } },
    async (request) => services.users.list(request.query),
  );
  app.post(
    '/api/users',
    {
      preHandler: guard,
      schema: { tags: ['users'], summary: 'Create a user', body: createUserRequestSchema, response: { 201: userSchema, 409: errorResponseSchema, ...authErrors } },
    },
    async (request, reply) => reply.code(201).send(await services.users.create(request.body, principalOf(request), requestMeta(request))),
  );
  app.patch(
    '/api/users/:id',
    {
      preHandler: guard,
      schema: {
        tags: ['users'],
        summary: 'Change a user (name, roles, disabled, password reset)',
        params: idParamsSchema,
        body: updateUserRequestSchema,
        response: { 200: userSchema, 404: errorResponseSchema, 409: errorResponseSchema, ...authErrors },
      },
    },
    async (request) => services.users.update(request.params.id, request.body, principalOf(request), requestMeta(request)),
  );
}
