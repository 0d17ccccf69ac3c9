import { z } from 'zod';
import { changePasswordRequestSchema, loginRequestSchema, loginResponseSchema, userSchema } from '../../../contracts/api.ts';
import { SESSION_COOKIE, authorize, principalOf, requestMeta } from '../auth.plugin.ts';
import { errorResponseSchema, type ApiServices, type ZodApp } from './types.ts';

export function registerAuthRoutes(app: ZodApp, services: ApiServices, options: { loginRateLimitPerMinute: number }): void {
  const { auth } = services;
  app.post(
    '/api/auth/login',
    {
      config: { rateLimit: { max: options.loginRateLimitPerMinute, timeWindow: '1 minute' } },
      schema: {
        tags: ['auth'],
        summary: 'Log in with a user name and password',
        body: loginRequestSchema,
        response: { 200: loginResponseSchema, 400: errorResponseSchema, 401: errorResponseSchema, 403: errorResponseSchema, 429: errorResponseSchema },
      },
    },
    async (request, reply) => {
      const result = await auth.login(request.body.username, request.body.password, requestMeta(request));
      const maxAge = Math.max(0, Math.floor((Date.parse(result.expiresAt) - Date.now()) / 1000));
      void reply.header('set-cookie', `${SESSION_COOKIE}=${result.token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}`);
      return result;
    },
  );

  app.post(
    '/api/auth/logout',
    { preHandler: authorize(auth, null), schema: { tags: ['auth'], summary: 'End this session', response: { 204: z.null(), 401: errorResponseSchema } } },
    async (request, reply) => {
      await auth.logout(principalOf(request), requestMeta(request));
      void reply.header('set-cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/auth/me',
    { preHandler: authorize(auth, null), schema: { tags: ['auth'], summary: 'The logged-in user', response: { 200: userSchema, 401: errorResponseSchema } } },
    async (request) => auth.currentUser(principalOf(request)),
  );

  app.post(
    '/api/auth/password',
    {
      preHandler: authorize(auth, null),
      schema: {
        tags: ['auth'],
        summary: 'Change my password',
        body: changePasswordRequestSchema,
        response: { 204: z.null(), 400: errorResponseSchema, 401: errorResponseSchema },
      },
    },
    async (request, reply) => {
      await auth.changePassword(principalOf(request), request.body.currentPassword, request.body.newPassword, requestMeta(request));
      return reply.code(204).send(null);
    },
  );
}
