import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import type { Logger } from '../../config/logger.ts';
import { ArgusError, ERROR_CODES, RateLimitedError, type ErrorBody, type ErrorCode } from '../../contracts/errors.ts';

/** The one place that maps error codes to HTTP statuses. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  [ERROR_CODES.VALIDATION]: 400,
  [ERROR_CODES.UNAUTHENTICATED]: 401,
  [ERROR_CODES.FORBIDDEN]: 403,
  [ERROR_CODES.NOT_FOUND]: 404,
  [ERROR_CODES.CONFLICT]: 409,
  [ERROR_CODES.RATE_LIMITED]: 429,
  [ERROR_CODES.CONFIG]: 500,
  [ERROR_CODES.UNAVAILABLE]: 503,
  [ERROR_CODES.INTERNAL]: 500,
};

export function errorBody(code: ErrorCode, message: string, issues?: ErrorBody['error']['issues']): ErrorBody {
  return { error: issues && issues.length ? { code, message, issues } : { code, message } };
}

/** Socket acks use the same codes and messages as HTTP replies. */
export function toErrorBody(err: unknown): ErrorBody {
  if (err instanceof ArgusError) return errorBody(err.code, err.message, err.issues);
  return errorBody(ERROR_CODES.INTERNAL, 'Internal error; it has been logged.');
}

export function createErrorHandler(log: Logger) {
  return function handleError(err: FastifyError, request: FastifyRequest, reply: FastifyReply) {
    if (hasZodFastifySchemaValidationErrors(err)) {
      const where = err.validationContext ?? 'body';
      const issues = err.validation.map((v) => ({
        // Body fields are named as they are in the body (like the services' own issues); query and params get a prefix.
        path: [...(where === 'body' ? [] : [where]), ...String(v.instancePath ?? '').split('/').filter(Boolean)].join('.'),
        message: v.message ?? 'invalid',
      }));
      return reply.code(400).send(errorBody(ERROR_CODES.VALIDATION, `The request ${where} is not valid.`, issues));
    }
    if (err instanceof ArgusError) {
      if (err instanceof RateLimitedError) void reply.header('retry-after', String(err.retryAfterSeconds));
      return reply.code(HTTP_STATUS[err.code]).send(errorBody(err.code, err.message, err.issues));
    }
    if (isResponseSerializationError(err)) {
      log.error({ url: request.url, method: request.method, issues: err.cause.issues }, 'response does not match its schema');
      return reply.code(500).send(errorBody(ERROR_CODES.INTERNAL, 'Internal error; it has been logged.'));
    }
    const status = typeof err.statusCode === 'number' ? err.statusCode : 500;
    if (status === 413) return reply.code(413).send(errorBody(ERROR_CODES.VALIDATION, 'The request body is too large.'));
    if (status === 429) return reply.code(429).send(errorBody(ERROR_CODES.RATE_LIMITED, 'Too many requests; wait a moment and try again.'));
    if (status === 415) return reply.code(415).send(errorBody(ERROR_CODES.VALIDATION, 'Send JSON (Content-Type: application/json).'));
    if (status >= 400 && status < 500) return reply.code(status).send(errorBody(ERROR_CODES.VALIDATION, err.message));
    log.error({ err, url: request.url, method: request.method }, 'unhandled error');
    return reply.code(500).send(errorBody(ERROR_CODES.INTERNAL, 'Internal error; it has been logged.'));
  };
}
