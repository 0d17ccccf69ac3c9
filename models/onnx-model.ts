import * as ort from 'onnxruntime-node';
import { UnavailableError } from '../contracts/errors.ts';
import { findModel, type ModelEntry, type ModelTask } from './manifest.ts';
import { requireModelFile } from './model-files.ts';

/**
 * The lifecycle every model class shares: verify the file's sha256 → load the ONNX Runtime session
 * lazily (once, on first use) → the subclass preprocesses → run → the subclass postprocesses.
 *
 * ONNX Runtime runs on the CPU. Each analysis worker thread holds its own sessions with
 * `threads` intra-op threads (default 1: parallelism comes from several workers, which scales
 * better than splitting one small convolution over cores); see `sessionThreads`.
 */

export interface ModelRuntime {
  /** Folder with the model files (config.modelsDir). */
  modelsDir: string;
  /** Intra-op threads of each session. */
  threads: number;
}

/**
 * Intra-op threads per session: 1 unless configured. Measured on a 2-core machine
 * (bench/results/analytics.md): a second ONNX Runtime thread in one worker made these small models
 * slower while using twice the CPU, so parallelism comes from more workers, not more threads.
 */
export function sessionThreads(configured?: number): number {
  return configured && configured > 0 ? Math.floor(configured) : 1;
}

/** Time spent inside ONNX Runtime, for benchmarks (pipeline time ÷ inference time). */
export interface InferenceStats {
  runs: number;
  totalMs: number;
}

export type Feeds = Record<string, ort.Tensor>;
export type Outputs = ort.InferenceSession.OnnxValueMapType;

export abstract class OnnxModel {
  readonly entry: ModelEntry;
  readonly stats: InferenceStats = { runs: 0, totalMs: 0 };
  private session: Promise<ort.InferenceSession> | null = null;

  protected constructor(
    name: string,
    tasks: readonly ModelTask[],
    protected readonly runtime: ModelRuntime,
  ) {
    const entry = findModel(name);
    if (!entry) throw new UnavailableError(`Unknown model "${name}": it is not in models/manifest.ts.`);
    if (!tasks.includes(entry.task)) {
      throw new UnavailableError(`Model "${name}" is a ${entry.task} model; this pipeline needs ${tasks.join(' or ')}.`);
    }
    this.entry = entry;
  }

  get name(): string {
    return this.entry.name;
  }

  /** Verify and load now (otherwise on first use). Throws UnavailableError naming the file and the fix. */
  load(): Promise<ort.InferenceSession> {
    if (!this.session) {
      const opening = (async () => {
        const path = await requireModelFile(this.runtime.modelsDir, this.entry.name);
        try {
          return await ort.InferenceSession.create(path, {
            intraOpNumThreads: Math.max(1, this.runtime.threads),
            interOpNumThreads: 1,
            executionMode: 'sequential',
            graphOptimizationLevel: 'all',
          });
        } catch (err) {
          throw new UnavailableError(`Model ${this.entry.name} (${path}) could not be loaded by ONNX Runtime: ${(err as Error).message}`);
        }
      })();
      // A failed load is tried again on the next use (the file may have been fetched meanwhile).
      opening.catch(() => {
        if (this.session === opening) this.session = null;
      });
      this.session = opening;
    }
    return this.session;
  }

  protected async run(feeds: Feeds): Promise<Outputs> {
    const session = await this.load();
    const started = performance.now();
    try {
      return await session.run(feeds);
    } finally {
      this.stats.runs++;
      this.stats.totalMs += performance.now() - started;
    }
  }

  protected static tensor(data: Float32Array, dims: readonly number[]): ort.Tensor {
    return new ort.Tensor('float32', data, dims);
  }

  /** Release the session (idempotent). */
  async close(): Promise<void> {
    const session = this.session;
    this.session = null;
    if (session) await session.then((s) => s.release(), () => undefined);
  }
}

/** The float data of a named output, checked. */
export function outputData(outputs: Outputs, name: string, model: string): Float32Array {
  const t = outputs[name];
  if (!t || !(t.data instanceof Float32Array)) throw new UnavailableError(`Model ${model} gave no float output "${name}".`);
  return t.data;
}
