/**
 * The few error types of Argus. Each has a stable code; one place (command-ui/server/errors.ts)
 * maps them to HTTP statuses and socket replies.
 */
export const ERROR_CODES = {
  VALIDATION: 'E_VALIDATION',
  UNAUTHENTICATED: 'E_UNAUTHENTICATED',
  FORBIDDEN: 'E_FORBIDDEN',
  NOT_FOUND: 'E_NOT_FOUND',
  CONFLICT: 'E_CONFLICT',
  RATE_LIMITED: 'E_RATE_LIMITED',
  CONFIG: 'E_CONFIG',
  UNAVAILABLE: 'E_UNAVAILABLE',
  INTERNAL: 'E_INTERNAL',
} as const;
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

export interface ErrorIssue {
  /** Dotted path of the offending field, '' for the whole input. */
  path: string;
  message: string;
}

export class ArgusError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly issues: ErrorIssue[] = [],
  ) {
    super(message);
    this.name = 'ArgusError';
  }
}

export class ValidationError extends ArgusError {
  constructor(message: string, issues: ErrorIssue[] = []) {
    super(ERROR_CODES.VALIDATION, message, issues);
    this.name = 'ValidationError';
  }
}
export class UnauthenticatedError extends ArgusError {
  constructor(message = 'Not logged in, or the session has expired.') {
    super(ERROR_CODES.UNAUTHENTICATED, message);
    this.name = 'UnauthenticatedError';
  }
}
export class ForbiddenError extends ArgusError {
  constructor(message = 'Your role does not allow this.') {
    super(ERROR_CODES.FORBIDDEN, message);
    this.name = 'ForbiddenError';
  }
}
export class NotFoundError extends ArgusError {
  constructor(message: string) {
    super(ERROR_CODES.NOT_FOUND, message);
    this.name = 'NotFoundError';
  }
}
export class ConflictError extends ArgusError {
  constructor(message: string) {
    super(ERROR_CODES.CONFLICT, message);
    this.name = 'ConflictError';
  }
}
export class RateLimitedError extends ArgusError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(ERROR_CODES.RATE_LIMITED, message);
    this.name = 'RateLimitedError';
  }
}
export class ConfigError extends ArgusError {
  constructor(message: string, issues: ErrorIssue[] = []) {
    super(ERROR_CODES.CONFIG, message, issues);
    this.name = 'ConfigError';
  }
}
export class UnavailableError extends ArgusError {
  constructor(message: string) {
    super(ERROR_CODES.UNAVAILABLE, message);
    this.name = 'UnavailableError';
  }
}

/** The body of every error reply, HTTP or socket. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; issues?: ErrorIssue[] };
}

/** Turn zod issues into our flat issue list. */
export function issuesFromZod(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): ErrorIssue[] {
  return issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}
