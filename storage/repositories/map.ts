/** Small helpers shared by the repositories for turning rows into contract records. */

/** ISO 8601 text of a timestamp column (Date from node-postgres and PGlite; text tolerated). */
export function iso(value: Date | string): string {
  return value instanceof Date ? value.toISOString() : new Date(value).toISOString();
}

export function isoOrNull(value: Date | string | null | undefined): string | null {
  return value == null ? null : iso(value);
}

export function dateOrNull(value: Date | string | null | undefined): Date | null {
  return value == null ? null : value instanceof Date ? value : new Date(value);
}

/** count(*) comes back as a string (node-postgres, bigint) or a number (PGlite). */
export function toCount(value: unknown): number {
  return value == null ? 0 : Number(value);
}

export interface Page {
  limit: number;
  offset: number;
}

export interface PageResult<T> {
  items: T[];
  total: number;
}

/** Clamp paging input to sane bounds (callers validate with zod; this guards direct use). */
export function page(p: Partial<Page> | undefined, defaults: Page = { limit: 200, offset: 0 }): Page {
  const num = (v: number | undefined, d: number) => (typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : d);
  const limit = Math.min(Math.max(num(p?.limit, defaults.limit), 1), 10_000);
  const offset = Math.max(num(p?.offset, defaults.offset), 0);
  return { limit, offset };
}

/** Drop keys whose value is undefined, so a partial update only touches what was given. */
export function defined<T extends Record<string, unknown>>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}
