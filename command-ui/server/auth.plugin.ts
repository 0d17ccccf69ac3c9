import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ForbiddenError, UnauthenticatedError } from '../../contracts/errors.ts';
import { hasPermission, type Permission } from '../../contracts/roles.ts';
import type { AuthService, Principal, RequestMeta } from './services/auth.service.ts';

export const SESSION_COOKIE = 'argus_session';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** The bearer token of a request: Authorization header first, then the session cookie. */
export function tokenOf(headers: { authorization?: string | undefined; cookie?: string | undefined }): string | null {
  const auth = headers.authorization;
  if (auth) {
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    return m ? m[1]! : null;
  }
  return cookieValue(headers.cookie, SESSION_COOKIE);
}

export function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return null;
}

export function requestMeta(request: FastifyRequest): RequestMeta {
  const ua = request.headers['user-agent'];
  return { ip: request.ip ?? null, userAgent: typeof ua === 'string' ? ua.slice(0, 300) : null };
}

export function registerAuth(app: FastifyInstance): void {
  app.decorateRequest('principal', null);
}

/** preHandler that requires a logged-in user whose roles grant the permission (or just login when null). */
export function authorize(auth: AuthService, permission: Permission | null) {
  return async function checkAccess(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const principal = await auth.authenticate(tokenOf(request.headers));
    request.principal = principal;
    if (permission && !hasPermission(principal.roles, permission)) {
      throw new ForbiddenError(`Your role (${principal.roles.join(', ')}) does not allow this (needs ${permission}).`);
    }
  };
}

/** The principal set by `authorize`; a route without it is a programming error. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new UnauthenticatedError();
  return request.principal;
}
