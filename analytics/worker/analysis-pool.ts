import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../config/logger.ts';
import { ArgusError, ERROR_CODES, UnavailableError, ValidationError } from '../../contracts/errors.ts';
import type { Raster } from '../../models/raster.ts';
import { sessionThreads } from '../../models/onnx-model.ts';
import { DEFAULT_MODEL_NAMES, type AnalysisOutcome, type AnalysisRequest, type AnalyzerModelNames } from '../analyzer.ts';
import type { AnalyzeMessage, SerializedError, WorkerInit, WorkerReply } from './protocol.ts';

/**
 * A fixed set of analysis worker threads, each with its own ONNX Runtime sessions. `analyze` hands
 * an image to an idle worker, or waits in a FIFO for one; callers that must not wait (live cameras)
 * check `idle` first and keep their own drop-oldest queue. A worker that dies is replaced and its
 * job fails with a clear error.
 */

export interface AnalysisPoolOptions {
  modelsDir: string;
  /** Worker threads (default: one per core). */
  workers?: number;
  /** ONNX Runtime threads per worker (default 1: more workers scale better than more threads). */
  threadsPerWorker?: number;
  /**
   * Nice value of each worker thread (Linux: per thread; default 0). Argus runs them at 10 so that
   * analysis, which saturates the cores by design, yields to ingest's ffmpeg, the API and alert
   * delivery instead of delaying them.
   */
  nice?: number;
  models?: Partial<AnalyzerModelNames>;
  /** Verify and load these pipelines' models when each worker starts (fails start() early). */
  preload?: AnalysisRequest['pipelines'];
  preloadEmbeddings?: boolean;
  log?: Logger;
}

interface Job {
  image: Raster;
  request: AnalysisRequest;
  resolve: (outcome: AnalysisOutcome) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  job: (Job & { id: number }) | null;
  ready: boolean;
}

/** An analysis that failed inside a worker (not bad input, not a missing model). */
export class AnalysisError extends ArgusError {
  constructor(message: string) {
    super(ERROR_CODES.INTERNAL, message);
    this.name = 'AnalysisError';
  }
}

function revive(error: SerializedError): Error {
  if (error.name === 'ValidationError') return new ValidationError(error.message);
  if (error.name === 'UnavailableError' || error.code === ERROR_CODES.UNAVAILABLE) return new UnavailableError(error.message);
  return new AnalysisError(error.message);
}

const WORKER_URL = new URL('./analysis.worker.mjs', import.meta.url);

export class AnalysisPool {
  private readonly slots: Slot[] = [];
  private readonly waiting: Job[] = [];
  private nextId = 1;
  private closed = false;
  private closing: Promise<void> | null = null;
  private readonly init: WorkerInit;
  readonly size: number;

  private constructor(private readonly options: AnalysisPoolOptions) {
    this.size = Math.max(1, options.workers ?? availableParallelism());
    this.init = {
      modelsDir: options.modelsDir,
      threads: sessionThreads(options.threadsPerWorker),
      nice: Math.max(0, Math.min(19, Math.round(options.nice ?? 0))),
      models: { ...DEFAULT_MODEL_NAMES, ...options.models },
      preload: options.preload ?? [],
      preloadEmbeddings: options.preloadEmbeddings ?? false,
    };
  }

  /** Start the workers; resolves when every one has loaded its preloaded models, rejects if one cannot. */
  static async start(options: AnalysisPoolOptions): Promise<AnalysisPool> {
    const pool = new AnalysisPool(options);
    try {
      await Promise.all(Array.from({ length: pool.size }, () => pool.spawn()));
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  /** Workers without a job right now. */
  get idle(): number {
    return this.slots.filter((s) => s.ready && !s.job).length;
  }

  /** Jobs waiting for a worker. */
  get queued(): number {
    return this.waiting.length;
  }

  private spawn(): Promise<void> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(WORKER_URL, { workerData: this.init, name: 'argus-analysis' });
      const slot: Slot = { worker, job: null, ready: false };
      this.slots.push(slot);
      let started = false;
      worker.on('message', (reply: WorkerReply) => {
        if (reply.type === 'ready') {
          started = true;
          slot.ready = true;
          resolve();
          this.dispatch();
        } else if (reply.type === 'init-failed') {
          started = true;
          reject(revive(reply.error));
          void worker.terminate();
        } else if (slot.job && slot.job.id === reply.id) {
          const job = slot.job;
          slot.job = null;
          if (reply.type === 'result') job.resolve(reply.outcome);
          else job.reject(revive(reply.error));
          this.dispatch();
        }
      });
      worker.on('error', (err) => {
        this.options.log?.error({ err: err.message }, 'analysis worker failed');
        if (!started) reject(new AnalysisError(`An analysis worker could not start: ${err.message}`));
      });
      worker.on('exit', (code) => {
        const index = this.slots.indexOf(slot);
        if (index >= 0) this.slots.splice(index, 1);
        slot.job?.reject(new AnalysisError(`The analysis worker stopped (exit code ${code}) while analysing this image.`));
        slot.job = null;
        if (!started) reject(new AnalysisError(`An analysis worker stopped while starting (exit code ${code}).`));
        // A worker that had started and died is replaced, so the pool keeps its size.
        if (started && slot.ready && !this.closed) {
          this.options.log?.warn({ code }, 'analysis worker stopped; starting another');
          this.spawn().catch((err: unknown) => this.options.log?.error({ err: (err as Error).message }, 'could not replace an analysis worker'));
        }
      });
    });
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (!slot.ready || slot.job) continue;
      const job = this.waiting.shift();
      if (!job) return;
      const id = this.nextId++;
      slot.job = { ...job, id };
      // A copy the worker owns (the caller keeps its image, e.g. for evidence crops). Not `.slice()`:
      // on a Node Buffer that is a view, and transferring it would empty the caller's frame.
      const pixels = new Uint8Array(job.image.data).buffer;
      const msg: AnalyzeMessage = { type: 'analyze', id, width: job.image.width, height: job.image.height, order: job.image.order, pixels, request: job.request };
      slot.worker.postMessage(msg, [pixels]);
    }
  }

  analyze(image: Raster, request: AnalysisRequest): Promise<AnalysisOutcome> {
    if (this.closed) return Promise.reject(new UnavailableError('The analysis pool is closed.'));
    return new Promise((resolve, reject) => {
      this.waiting.push({ image, request, resolve, reject });
      this.dispatch();
    });
  }

  /**
   * Stop every worker; waiting and running jobs fail at once. Idempotent. A worker inside an ONNX
   * Runtime call is not terminated (that aborts the whole process): it is asked to stop, finishes the
   * call, releases its sessions and exits; only one that does not within `graceMs` is terminated.
   */
  close(graceMs = 10_000): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    for (const job of this.waiting.splice(0)) job.reject(new UnavailableError('The analysis pool was closed.'));
    for (const slot of this.slots) {
      slot.job?.reject(new UnavailableError('The analysis pool was closed while analysing this image.'));
      slot.job = null;
    }
    this.closing = Promise.all(
      [...this.slots].map(
        (slot) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => void slot.worker.terminate(), graceMs);
            slot.worker.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            slot.worker.postMessage({ type: 'close' });
          }),
      ),
    ).then(() => undefined);
    return this.closing;
  }
}
