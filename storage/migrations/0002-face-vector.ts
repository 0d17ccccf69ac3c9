import { sql, type Kysely, type Migration } from 'kysely';
import { addFaceVectorColumn, type MigrationCapabilities } from './capabilities.ts';

/**
 * pgvector copy of face embeddings, where the server has pgvector: `face_embeddings.vec`, a stored
 * generated column (`embedding::vector`). Without pgvector this migration does nothing; when the
 * extension appears later, migrateToLatest adds the column then (see storage/migrator.ts).
 *
 * No ANN index yet: an HNSW index needs a fixed dimension per model, and exact search is what the
 * tests compare against. Add one per model (expression index on `vec::vector(N)`) when needed.
 */
export function faceVectorMigration(caps: MigrationCapabilities): Migration {
  return {
    async up(db: Kysely<unknown>) {
      if (caps.vector) await addFaceVectorColumn(db);
    },
    async down(db: Kysely<unknown>) {
      await sql`alter table face_embeddings drop column if exists vec`.execute(db);
    },
  };
}
