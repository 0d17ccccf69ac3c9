import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../contracts/errors.ts';
import type { ArgusDatabase } from '../../../storage/database.ts';
import { FaceEmbeddingsRepository, type FaceMatch, type FaceOwnerKind } from '../../../storage/repositories/face-embeddings.repository.ts';
import { openTestPglite, uniqueName, useTestDatabases } from './db-helpers.ts';
import { seededRandom } from '../../helpers/seeded-random.ts';

/**
 * Face search three ways, on the same random unit vectors: pgvector `<=>` on PGlite, the exact
 * plain-SQL search on the PostgreSQL server (no pgvector there), and the same plain-SQL search on
 * a PGlite opened with vector: 'off'. Each is checked against a brute-force cosine computed here.
 */

const DIMS = 64;
const N = 240;
const K = 12;
/** Our brute force runs in float64; the database stores float4, so similarities agree to ~1e-6. */
const EPS = 1e-5;

function gaussianVector(rand: () => number, dims: number, scale = 1): number[] {
  const out: number[] = [];
  for (let i = 0; i < dims; i++) {
    const u = Math.max(rand(), 1e-12);
    const v = rand();
    out.push(scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
  }
  return out;
}

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
}

interface Item {
  key: number;
  ownerId: string;
  ownerKind: FaceOwnerKind;
  /** Deliberately not unit length: add() must normalise. */
  raw: number[];
}

const rand = seededRandom(20240611);
const ITEMS: Item[] = Array.from({ length: N }, (_, key) => ({
  key,
  ownerId: randomUUID(),
  ownerKind: key % 3 === 0 ? 'watchlist_entry' : 'sighting',
  raw: gaussianVector(rand, DIMS, 0.5 + rand() * 3),
}));
/** Queries: near a stored face (a likely match), and pure noise. */
const QUERIES: number[][] = [
  ...[7, 42, 99].map((i) => ITEMS[i]!.raw.map((x, d) => x + gaussianVector(rand, DIMS, 0.4)[d]!)),
  gaussianVector(rand, DIMS),
  gaussianVector(rand, DIMS),
];

interface Expected {
  ownerId: string;
  similarity: number;
}

function bruteForce(query: number[], filter?: FaceOwnerKind): Expected[] {
  return ITEMS.filter((it) => filter === undefined || it.ownerKind === filter)
    .map((it) => ({ ownerId: it.ownerId, similarity: cosine(query, it.raw) }))
    .sort((a, b) => b.similarity - a.similarity)
    .slice(0, K);
}

/** The ranking must be the brute-force one: position by position the same item, or a tie within EPS. */
function expectSameRanking(got: FaceMatch[], expected: Expected[], all: Map<string, number>): void {
  expect(got).toHaveLength(expected.length);
  expect(new Set(got.map((g) => g.id)).size).toBe(got.length);
  got.forEach((g, i) => {
    const truth = all.get(g.ownerId);
    expect(truth, `result ${i} is a stored item`).toBeDefined();
    expect(Math.abs(g.similarity - truth!), `similarity of result ${i}`).toBeLessThan(EPS);
    expect(Math.abs(truth! - expected[i]!.similarity), `rank ${i}`).toBeLessThan(EPS);
  });
}

const dbs = useTestDatabases();

describe('FaceEmbeddingsRepository', () => {
  let off: ArgusDatabase;
  const model = uniqueName('arcface-test');
  const otherModel = uniqueName('other-model');
  /** name → [database, repository] */
  let paths: Array<[string, ArgusDatabase, FaceEmbeddingsRepository]>;
  const similarityByOwner = (q: number[]) => new Map(ITEMS.map((it) => [it.ownerId, cosine(q, it.raw)]));

  beforeAll(async () => {
    off = await openTestPglite({ vector: 'off' });
    const pglite = dbs.get('pglite');
    const postgres = dbs.get('postgres');
    paths = [
      ['pglite pgvector', pglite, new FaceEmbeddingsRepository(pglite.db, { vector: pglite.vector })],
      ['postgres exact SQL', postgres, new FaceEmbeddingsRepository(postgres.db, { vector: postgres.vector })],
      ["pglite vector:'off' exact SQL", off, new FaceEmbeddingsRepository(off.db, { vector: off.vector })],
    ];
    for (const [, , repo] of paths) {
      // One at a time for some, in bulk for the rest: both must store the same thing.
      for (const it of ITEMS.slice(0, 10)) await repo.add({ ownerKind: it.ownerKind, ownerId: it.ownerId, model, embedding: it.raw });
      const ids = await repo.addMany(ITEMS.slice(10).map((it) => ({ ownerKind: it.ownerKind, ownerId: it.ownerId, model, embedding: it.raw })));
      expect(ids).toHaveLength(N - 10);
      // Same vectors under another model: must never show up in a search for `model`.
      await repo.addMany(ITEMS.slice(0, 20).map((it) => ({ ownerKind: it.ownerKind, ownerId: randomUUID(), model: otherModel, embedding: it.raw })));
    }
  });
  afterAll(async () => {
    await off?.close();
  });

  it('uses pgvector only where it is in use: PGlite yes, the PostgreSQL server (no pgvector) and vector:off no', async () => {
    expect(paths.map(([, adb]) => adb.vector)).toEqual([true, false, false]);
    for (const [, adb] of paths) {
      const cols = await sql<{ name: string }>`
        select column_name as name from information_schema.columns
         where table_schema = ${adb.schema} and table_name = 'face_embeddings' and column_name = 'vec'`.execute(adb.db);
      expect(cols.rows.length).toBe(adb.vector ? 1 : 0);
    }
  });

  it('vector: true really searches through pgvector (it needs the vec column and the vector type)', async () => {
    // On a database without the column, the pgvector query cannot run; the exact one can.
    await expect(new FaceEmbeddingsRepository(off.db, { vector: true }).searchNearest(QUERIES[0]!, { k: 3, model })).rejects.toThrow(/vec|vector/);
    await expect(new FaceEmbeddingsRepository(off.db, { vector: false }).searchNearest(QUERIES[0]!, { k: 3, model })).resolves.toHaveLength(3);
  });

  it('stores embeddings L2-normalised (and the pgvector copy agrees)', async () => {
    for (const [, adb, repo] of paths) {
      const id = await repo.add({ ownerKind: 'sighting', ownerId: randomUUID(), model: uniqueName('norm'), embedding: [3, 4] });
      const row = await adb.db.selectFrom('face_embeddings').select(['embedding', 'dims']).where('id', '=', id).executeTakeFirstOrThrow();
      expect(row.dims).toBe(2);
      expect(row.embedding[0]).toBeCloseTo(0.6, 6);
      expect(row.embedding[1]).toBeCloseTo(0.8, 6);
      if (adb.vector) {
        const v = await sql<{ vec: string }>`select vec::text as vec from face_embeddings where id = ${id}`.execute(adb.db);
        expect(v.rows[0]!.vec.replace(/[[\]]/g, '').split(',').map(Number)).toEqual(row.embedding);
      }
    }
  });

  it('every path returns the brute-force top-k, and all paths the same ranking', async () => {
    for (const q of QUERIES) {
      const expected = bruteForce(q);
      // The ranking is only well defined where neighbours are not tied; these seeded data have clear gaps.
      for (let i = 1; i < expected.length; i++) expect(expected[i - 1]!.similarity - expected[i]!.similarity).toBeGreaterThan(EPS);
      const truth = similarityByOwner(q);
      const rankings: string[][] = [];
      for (const [name, , repo] of paths) {
        const got = await repo.searchNearest(q, { k: K, model });
        expectSameRanking(got, expected, truth);
        expect(got.map((g) => g.ownerId), name).toEqual(expected.map((e) => e.ownerId));
        rankings.push(got.map((g) => g.ownerId));
      }
      expect(rankings[1]).toEqual(rankings[0]);
      expect(rankings[2]).toEqual(rankings[0]);
    }
  });

  it('a query near a stored face finds that face first', async () => {
    const target = ITEMS[42]!;
    for (const [, , repo] of paths) {
      const [best] = await repo.searchNearest(QUERIES[1]!, { k: 1, model });
      expect(best?.ownerId).toBe(target.ownerId);
      expect(best?.ownerKind).toBe(target.ownerKind);
      expect(best!.similarity).toBeGreaterThan(0.8);
    }
  });

  it('the exact SQL search on PGlite agrees with pgvector on the same rows', async () => {
    const pglite = dbs.get('pglite');
    const exact = new FaceEmbeddingsRepository(pglite.db, { vector: false });
    const viaVector = paths[0]![2];
    for (const q of QUERIES) {
      const a = await exact.searchNearest(q, { k: K, model });
      const b = await viaVector.searchNearest(q, { k: K, model });
      expect(a.map((m) => m.id)).toEqual(b.map((m) => m.id));
      a.forEach((m, i) => expect(Math.abs(m.similarity - b[i]!.similarity)).toBeLessThan(EPS));
    }
  });

  it('filters by owner kind and model', async () => {
    const q = QUERIES[3]!;
    const truth = similarityByOwner(q);
    const expected = bruteForce(q, 'watchlist_entry');
    for (const [, , repo] of paths) {
      const got = await repo.searchNearest(q, { k: K, model, ownerKind: 'watchlist_entry' });
      expect(got.every((g) => g.ownerKind === 'watchlist_entry')).toBe(true);
      expectSameRanking(got, expected, truth);
      // Everything returned for `model` belongs to the items stored under it.
      const all = await repo.searchNearest(q, { k: N + 50, model });
      expect(all).toHaveLength(N);
      expect(all.every((g) => truth.has(g.ownerId))).toBe(true);
      // Another model, or another dimension, finds none of them.
      expect((await repo.searchNearest(q, { k: 5, model: uniqueName('unknown') }))).toEqual([]);
      expect(await repo.searchNearest(q.slice(0, 32), { k: 5, model })).toEqual([]);
    }
  });

  it('rejects empty, non-finite and zero embeddings and a bad k', async () => {
    for (const [, , repo] of paths) {
      const add = (embedding: number[]) => repo.add({ ownerKind: 'sighting', ownerId: randomUUID(), model, embedding });
      await expect(add([])).rejects.toBeInstanceOf(ValidationError);
      await expect(add([1, Number.NaN])).rejects.toBeInstanceOf(ValidationError);
      await expect(add([1, Number.POSITIVE_INFINITY])).rejects.toBeInstanceOf(ValidationError);
      await expect(add([0, 0, 0])).rejects.toBeInstanceOf(ValidationError);
      await expect(repo.searchNearest([], { k: 3, model })).rejects.toBeInstanceOf(ValidationError);
      await expect(repo.searchNearest([1, 2], { k: 0, model })).rejects.toBeInstanceOf(ValidationError);
    }
  });
});
