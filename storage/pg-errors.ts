/**
 * PostgreSQL error fields, read the same way from node-postgres and PGlite errors (both carry the
 * server's `code` and `constraint`).
 */
export const PG_UNIQUE_VIOLATION = '23505';
export const PG_FOREIGN_KEY_VIOLATION = '23503';
export const PG_CHECK_VIOLATION = '23514';
export const PG_INVALID_TEXT_REPRESENTATION = '22P02';

export interface PgErrorFields {
  code: string | undefined;
  constraint: string | undefined;
  message: string;
}

export function pgError(err: unknown): PgErrorFields {
  const e = (err ?? {}) as { code?: unknown; constraint?: unknown; message?: unknown };
  return {
    code: typeof e.code === 'string' ? e.code : undefined,
    constraint: typeof e.constraint === 'string' ? e.constraint : undefined,
    message: typeof e.message === 'string' ? e.message : String(err),
  };
}

export function isPgError(err: unknown, code: string, constraint?: string): boolean {
  const f = pgError(err);
  return f.code === code && (constraint === undefined || f.constraint === constraint);
}

/**
 * A row's position is both coordinates or neither (the `<table>_position_check` constraints): a
 * write that gives one without the other is the caller's mistake, said as such.
 */
export function isHalfPositionError(err: unknown): boolean {
  const f = pgError(err);
  return f.code === PG_CHECK_VIOLATION && typeof f.constraint === 'string' && f.constraint.endsWith('_position_check');
}
