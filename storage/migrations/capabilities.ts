import { sql, type QueryExecutorProvider, type RawBuilder } from 'kysely';

/** What the database behind a migration run can do; decided by openDatabase, passed in by the provider. */
export interface MigrationCapabilities {
  /** pgvector installed: face_embeddings gets a `vec vector` column. */
  vector: boolean;
  /** pg_trgm installed: sightings.plate_text gets a trigram GIN index. */
  trgm: boolean;
}

/**
 * `'a', 'b', 'c'` for a CHECK (... in (...)) constraint. DDL takes no parameters, so the values are
 * inlined; they are fixed identifiers-like words, checked here.
 */
export function literalList(values: readonly string[]): RawBuilder<unknown> {
  for (const v of values) if (!/^[A-Za-z0-9_]+$/.test(v)) throw new Error(`unexpected enum value in migration: ${v}`);
  return sql.raw(values.map((v) => `'${v}'`).join(', '));
}

/** The trigram index on sightings.plate_text (fuzzy plate search). Idempotent. */
export async function createPlateTrigramIndex(db: QueryExecutorProvider): Promise<void> {
  await sql`create index if not exists sightings_plate_text_trgm_idx on sightings using gin (plate_text gin_trgm_ops)`.execute(db);
}

/**
 * The pgvector copy of each embedding: a stored generated column, so that it can never disagree
 * with `embedding` whatever code writes the row. Adding it fills it for existing rows. Idempotent.
 */
export async function addFaceVectorColumn(db: QueryExecutorProvider): Promise<void> {
  await sql`alter table face_embeddings add column if not exists vec vector generated always as (embedding::vector) stored`.execute(db);
}
