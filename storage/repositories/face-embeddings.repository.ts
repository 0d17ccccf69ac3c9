import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { ValidationError } from '../../contracts/errors.ts';
import type { Database } from '../schema.ts';

export type FaceOwnerKind = 'sighting' | 'watchlist_entry';

export interface NewFaceEmbedding {
  ownerKind: FaceOwnerKind;
  ownerId: string;
  /** Model that produced the embedding; only embeddings of one model are comparable. */
  model: string;
  embedding: number[];
}

export interface FaceSearchOptions {
  /** How many results, at most. */
  k: number;
  model: string;
  ownerKind?: FaceOwnerKind;
}

export interface FaceMatch {
  id: string;
  ownerId: string;
  ownerKind: FaceOwnerKind;
  /** Cosine similarity in [-1, 1]; higher is closer. */
  similarity: number;
}

const MAX_DIMS = 4096;
const MAX_K = 1000;

/** Check an embedding and scale it to unit length (cosine similarity becomes a dot product). */
export function normalizeEmbedding(values: readonly number[], what = 'embedding'): number[] {
  if (!Array.isArray(values) || values.length === 0) throw new ValidationError(`The ${what} is empty`, [{ path: what, message: 'empty' }]);
  if (values.length > MAX_DIMS) throw new ValidationError(`The ${what} has ${values.length} values; at most ${MAX_DIMS}`, [{ path: what, message: 'too long' }]);
  let sum = 0;
  for (const v of values) {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new ValidationError(`The ${what} holds a value that is not a finite number`, [{ path: what, message: 'not finite' }]);
    }
    sum += v * v;
  }
  const norm = Math.sqrt(sum);
  if (norm === 0) throw new ValidationError(`The ${what} is all zeros`, [{ path: what, message: 'zero vector' }]);
  return values.map((v) => v / norm);
}

/**
 * Face embeddings and nearest-neighbour search by cosine similarity.
 *
 * With pgvector (`vector: true`) the search orders by `vec <=> query`; without it, an exact search
 * in plain SQL over the `real[]` column. Both rank the same way (ties broken by id).
 */
export class FaceEmbeddingsRepository {
  private readonly vector: boolean;

  constructor(
    private readonly db: Kysely<Database>,
    options: { vector: boolean },
  ) {
    this.vector = options.vector;
  }

  /** Stores the L2-normalised embedding; returns its id. (`vec` is generated from it by the database.) */
  async add(input: NewFaceEmbedding): Promise<string> {
    const embedding = normalizeEmbedding(input.embedding);
    const row = await this.db
      .insertInto('face_embeddings')
      .values({
        owner_kind: input.ownerKind,
        owner_id: input.ownerId,
        model: input.model,
        dims: embedding.length,
        embedding,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  /** Stores many at once (one statement per 500); returns their ids in input order. */
  async addMany(inputs: readonly NewFaceEmbedding[]): Promise<string[]> {
    const rows = inputs.map((input, i) => {
      const embedding = normalizeEmbedding(input.embedding, `embeddings.${i}`);
      return { owner_kind: input.ownerKind, owner_id: input.ownerId, model: input.model, dims: embedding.length, embedding };
    });
    const ids: string[] = [];
    await this.db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += 500) {
        const chunk = rows.slice(i, i + 500);
        // Ids are generated here so that their order matches the input (RETURNING order is not promised).
        const withIds = chunk.map((r) => ({ ...r, id: randomUUID() }));
        await trx.insertInto('face_embeddings').values(withIds).execute();
        ids.push(...withIds.map((r) => r.id));
      }
    });
    return ids;
  }

  /** Removes the embeddings of an owner (a deleted watchlist entry, an expired sighting). Returns how many. */
  async deleteByOwner(ownerKind: FaceOwnerKind, ownerId: string): Promise<number> {
    const r = await this.db.deleteFrom('face_embeddings').where('owner_kind', '=', ownerKind).where('owner_id', '=', ownerId).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  /** The k embeddings of `model` (same dimension as the query) closest to `query`, closest first. */
  async searchNearest(query: readonly number[], options: FaceSearchOptions): Promise<FaceMatch[]> {
    const q = normalizeEmbedding(query, 'query');
    const k = Math.trunc(options.k);
    if (!Number.isFinite(k) || k < 1 || k > MAX_K) throw new ValidationError(`k must be between 1 and ${MAX_K}`, [{ path: 'k', message: 'out of range' }]);

    let base = this.db
      .selectFrom('face_embeddings')
      .where('model', '=', options.model)
      .where('dims', '=', q.length);
    if (options.ownerKind !== undefined) base = base.where('owner_kind', '=', options.ownerKind);

    const rows = this.vector
      ? await (() => {
          const literal = `[${q.join(',')}]`;
          const distance = sql<number>`vec <=> ${literal}::vector`;
          return base
            .select(['id', 'owner_id', 'owner_kind'])
            .select(sql<number>`1 - (vec <=> ${literal}::vector)`.as('similarity'))
            .where(sql<boolean>`vec is not null`)
            .orderBy(distance)
            .orderBy('id')
            .limit(k)
            .execute();
        })()
      : await (() => {
          // Exact cosine in double precision: dot(e, q) / |e|, q being unit length.
          const similarity = sql<number>`(
            select sum(p.e::float8 * p.q) / nullif(sqrt(sum(p.e::float8 * p.e::float8)), 0)
              from unnest(face_embeddings.embedding, ${q}::float8[]) as p(e, q))`;
          return base
            .select(['id', 'owner_id', 'owner_kind'])
            .select(similarity.as('similarity'))
            .orderBy('similarity', 'desc')
            .orderBy('id')
            .limit(k)
            .execute();
        })();

    return rows.map((r) => ({
      id: r.id,
      ownerId: r.owner_id,
      ownerKind: r.owner_kind as FaceOwnerKind,
      similarity: Number(r.similarity),
    }));
  }
}
