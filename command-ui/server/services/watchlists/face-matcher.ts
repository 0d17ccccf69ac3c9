/**
 * 1:N search of a face embedding against the enrolled photos of all active face watchlists. Pure: no
 * I/O; the caller hands in the enrolled embeddings (`replace`) and each sighting's embedding (`match`).
 *
 * - Embeddings of different models live in different spaces (mobilefacenet 128-d, the 512-d
 *   faceplugin model): each model has its own contiguous Float32Array (rows × dimension) and a query is
 *   compared only with the rows of its own model. A query whose length is not its model's dimension is
 *   a caller's bug and throws; an enrolled embedding whose length disagrees with the first of its model
 *   is left out of the index and listed in `skipped`.
 * - Score = cosine similarity. Embeddings are L2-normalised again on the way in (both enrolled and
 *   query), so the score is the dot product and is a true cosine even if a caller's vector drifted.
 * - An enrolled photo is a candidate when its score ≥ its entry's threshold (per entry, i.e. per list).
 * - One hit per entry (person): the best of that person's photos. Hits best first (then entry id),
 *   at most `topK`.
 *
 * Cost: one pass of dot products over the model's rows. Where WebAssembly SIMD is available (Node 20
 * has it) and the dimension is a multiple of 4, the pass runs in a 147-byte WebAssembly kernel (`scan`
 * below: f32x4 multiply-adds, the rows in the kernel's own memory); otherwise in JavaScript, four rows at
 * a time. Both give the same hits (the unit tests run both). See bench/matching.bench.ts for the numbers.
 */

/**
 * The kernel, assembled by hand from this WebAssembly text (exports `scan` and its memory `mem`):
 *
 *   (func (export "scan") (param $vec i32) (param $q i32) (param $dim i32) (param $rows i32) (param $out i32)
 *     (local $r i32) (local $i i32) (local $dimBytes i32) (local $acc v128)
 *     (local.set $dimBytes (i32.shl (local.get $dim) (i32.const 2)))
 *     (local.set $r (i32.const 0))
 *     (block $done (loop $row
 *       (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
 *       (local.set $acc (v128.const i32x4 0 0 0 0))
 *       (local.set $i (i32.const 0))
 *       (loop $lanes   ;; dim is a multiple of 4 and > 0
 *         (local.set $acc (f32x4.add (local.get $acc)
 *           (f32x4.mul (v128.load (i32.add (local.get $vec) (local.get $i))) (v128.load (i32.add (local.get $q) (local.get $i))))))
 *         (br_if $lanes (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 16))) (local.get $dimBytes))))
 *       (f32.store (i32.add (local.get $out) (i32.shl (local.get $r) (i32.const 2)))
 *         (f32.add (f32.add (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
 *                           (f32x4.extract_lane 2 (local.get $acc))) (f32x4.extract_lane 3 (local.get $acc))))
 *       (local.set $vec (i32.add (local.get $vec) (local.get $dimBytes)))
 *       (local.set $r (i32.add (local.get $r) (i32.const 1)))
 *       (br $row))))
 *
 * `scan(vec, q, dim, rows, out)` writes the dot product of the query at byte `q` with each of `rows`
 * rows of `dim` float32 values from byte `vec` as float32 values from byte `out`.
 */
const SCAN_WASM_HEX =
  '0061736d0100000001090160057f7f7f7f7f00030201000503010001070e02047363616e0000036d656d02000a960101930102037f017b' +
  '200241027421074100210502400340200520034f0d01fd0c0000000000000000000000000000000021084100210603402008200020066a' +
  'fd000200200120066afd000200fde601fde4012108200641106a22062007490d000b200420054102746a2008fd1f002008fd1f01922008fd' +
  '1f02922008fd1f0392380200200020076a2100200541016a21050c000b0b0b';

let scanModule: WebAssembly.Module | null | undefined;

/** The compiled kernel, or null where WebAssembly SIMD is not available. */
function scanWasm(): WebAssembly.Module | null {
  if (scanModule === undefined) {
    try {
      const bytes = new Uint8Array(SCAN_WASM_HEX.match(/../g)!.map((h) => parseInt(h, 16)));
      scanModule = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
    } catch {
      scanModule = null;
    }
  }
  return scanModule;
}

interface Kernel {
  scan: (vec: number, q: number, dim: number, rows: number, out: number) => void;
  /** The kernel's memory as float32: rows × dim vectors from 0, then the query, then the scores. */
  f32: Float32Array;
  qAt: number;
  outAt: number;
}

/** A kernel instance holding `rows` × `dim` vectors, or undefined when the kernel cannot be used. */
function makeKernel(dim: number, rows: number): Kernel | undefined {
  const mod = dim % 4 === 0 && dim > 0 ? scanWasm() : null;
  if (!mod) return undefined;
  const instance = new WebAssembly.Instance(mod);
  const memory = instance.exports.mem as WebAssembly.Memory;
  const floats = rows * dim + dim + rows;
  const pages = Math.ceil((floats * 4) / 65536);
  const have = memory.buffer.byteLength / 65536;
  if (pages > have) memory.grow(pages - have);
  return {
    scan: instance.exports.scan as Kernel['scan'],
    f32: new Float32Array(memory.buffer, 0, floats),
    qAt: rows * dim,
    outAt: rows * dim + dim,
  };
}

export interface FaceMatcherOptions {
  /** Use the WebAssembly SIMD kernel where it can run (default true); false: JavaScript only. */
  wasm?: boolean;
}

export interface FaceEntryRef {
  entryId: string;
  watchlistId: string;
  model: string;
  /** L2-normalised. */
  embedding: Float32Array | number[];
  threshold: number;
}

export interface FaceHit {
  entryId: string;
  watchlistId: string;
  /** Cosine similarity. */
  score: number;
}

interface ModelIndex {
  dim: number;
  rows: number;
  vectors: Float32Array;
  thresholds: Float32Array;
  /** Row → index into `entries`. */
  entryOf: Uint32Array;
  entries: Array<{ entryId: string; watchlistId: string }>;
  kernel: Kernel | undefined;
}

/** Copy `v` into `out` at `offset`, L2-normalised; false for a zero or non-finite vector. */
function writeNormalised(v: ArrayLike<number>, out: Float32Array, offset: number): boolean {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
  if (!(sum > 0) || !Number.isFinite(sum)) return false;
  const inv = 1 / Math.sqrt(sum);
  for (let i = 0; i < v.length; i++) out[offset + i] = v[i]! * inv;
  return true;
}

export class FaceMatcher {
  #models = new Map<string, ModelIndex>();
  #size = 0;
  #skipped: Array<{ entryId: string; reason: string }> = [];
  readonly #wasm: boolean;

  constructor(entries?: readonly FaceEntryRef[], options: FaceMatcherOptions = {}) {
    this.#wasm = options.wasm ?? true;
    if (entries) this.replace(entries);
  }

  /** Replace all enrolled embeddings at once (several refs with one entryId: several photos of one person). */
  replace(entries: readonly FaceEntryRef[]): void {
    const byModel = new Map<string, FaceEntryRef[]>();
    const skipped: Array<{ entryId: string; reason: string }> = [];
    for (const e of entries) {
      const list = byModel.get(e.model);
      if (list) list.push(e);
      else byModel.set(e.model, [e]);
    }
    const models = new Map<string, ModelIndex>();
    let size = 0;
    for (const [model, list] of byModel) {
      const dim = list[0]!.embedding.length;
      const vectors = new Float32Array(list.length * dim);
      const thresholds = new Float32Array(list.length);
      const entryOf = new Uint32Array(list.length);
      const entries: ModelIndex['entries'] = [];
      const entryIndex = new Map<string, number>();
      let rows = 0;
      for (const e of list) {
        if (dim === 0 || e.embedding.length !== dim) {
          skipped.push({ entryId: e.entryId, reason: `${model}: embedding has ${e.embedding.length} values, the model's first has ${dim}` });
          continue;
        }
        if (!writeNormalised(e.embedding, vectors, rows * dim)) {
          skipped.push({ entryId: e.entryId, reason: `${model}: embedding is zero or not finite` });
          continue;
        }
        let idx = entryIndex.get(e.entryId);
        if (idx === undefined) {
          idx = entries.length;
          entries.push({ entryId: e.entryId, watchlistId: e.watchlistId });
          entryIndex.set(e.entryId, idx);
        }
        thresholds[rows] = e.threshold;
        entryOf[rows] = idx;
        rows++;
      }
      size += rows;
      const kernel = this.#wasm && rows > 0 ? makeKernel(dim, rows) : undefined;
      let held: Float32Array = vectors.subarray(0, rows * dim);
      if (kernel) {
        kernel.f32.set(held, 0);
        held = kernel.f32.subarray(0, rows * dim);
      }
      models.set(model, { dim, rows, vectors: held, thresholds, entryOf, entries, kernel });
    }
    this.#models = models;
    this.#size = size;
    this.#skipped = skipped;
  }

  /** Enrolled embeddings (photos) held, all models together. */
  get size(): number {
    return this.#size;
  }

  /** Embeddings the last `replace` left out, and why. */
  get skipped(): ReadonlyArray<{ entryId: string; reason: string }> {
    return this.#skipped;
  }

  /** The embedding dimension of a model, or undefined when nothing of it is enrolled. */
  dimension(model: string): number | undefined {
    return this.#models.get(model)?.dim;
  }

  /** Entries whose best photo scores at least their threshold, best first, at most `topK`. */
  match(model: string, embedding: ArrayLike<number>, topK = 5): FaceHit[] {
    const index = this.#models.get(model);
    if (!index || index.rows === 0 || topK <= 0) return [];
    const { dim, rows, vectors, thresholds, entryOf, entries, kernel } = index;
    if (embedding.length !== dim) throw new RangeError(`a ${model} embedding has ${dim} values, this one ${embedding.length}`);
    const q = new Float32Array(dim);
    if (!writeNormalised(embedding, q, 0)) return [];
    const best = new Map<number, number>();
    const take = (r: number, score: number) => {
      if (score < thresholds[r]!) return;
      const e = entryOf[r]!;
      const prior = best.get(e);
      if (prior === undefined || score > prior) best.set(e, score);
    };
    if (kernel) {
      kernel.f32.set(q, kernel.qAt);
      kernel.scan(0, kernel.qAt * 4, dim, rows, kernel.outAt * 4);
      const scores = kernel.f32;
      const at = kernel.outAt;
      for (let r = 0; r < rows; r++) take(r, scores[at + r]!);
      return this.#hits(best, entries, topK);
    }
    // Four rows at a time: each query value is loaded once for four products.
    let r = 0;
    for (; r + 4 <= rows; r += 4) {
      const b0 = r * dim;
      const b1 = b0 + dim;
      const b2 = b1 + dim;
      const b3 = b2 + dim;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let i = 0; i < dim; i++) {
        const qi = q[i]!;
        s0 += vectors[b0 + i]! * qi;
        s1 += vectors[b1 + i]! * qi;
        s2 += vectors[b2 + i]! * qi;
        s3 += vectors[b3 + i]! * qi;
      }
      take(r, s0);
      take(r + 1, s1);
      take(r + 2, s2);
      take(r + 3, s3);
    }
    for (; r < rows; r++) {
      const base = r * dim;
      let s0 = 0;
      for (let i = 0; i < dim; i++) s0 += vectors[base + i]! * q[i]!;
      take(r, s0);
    }
    return this.#hits(best, entries, topK);
  }

  /** Whether queries of a model run in the WebAssembly kernel (false: JavaScript). */
  usesWasm(model: string): boolean {
    return this.#models.get(model)?.kernel !== undefined;
  }

  #hits(best: ReadonlyMap<number, number>, entries: ModelIndex['entries'], topK: number): FaceHit[] {
    const hits: FaceHit[] = [];
    for (const [e, score] of best) hits.push({ entryId: entries[e]!.entryId, watchlistId: entries[e]!.watchlistId, score: Math.min(1, Math.max(-1, score)) });
    hits.sort((a, b) => b.score - a.score || (a.entryId < b.entryId ? -1 : a.entryId > b.entryId ? 1 : 0));
    return hits.slice(0, topK);
  }
}
