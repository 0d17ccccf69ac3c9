import type { ChannelOrder } from '../../models/raster.ts';
import type { AnalysisOutcome, AnalysisRequest, AnalyzerModelNames } from '../analyzer.ts';

/** Messages between the analysis pool (main thread) and its worker threads. */

export interface WorkerInit {
  modelsDir: string;
  threads: number;
  /** Nice value of the worker thread (0 = as the process; higher = yields the CPU to others). */
  nice: number;
  models: AnalyzerModelNames;
  /** Pipelines whose models are loaded at start (the rest load on first use). */
  preload: AnalysisRequest['pipelines'];
  preloadEmbeddings: boolean;
}

export interface AnalyzeMessage {
  type: 'analyze';
  id: number;
  width: number;
  height: number;
  order: ChannelOrder;
  /** The pixels; transferred, not copied. */
  pixels: ArrayBuffer;
  request: AnalysisRequest;
}

/** Finish the current analysis, release the models and exit. */
export interface CloseMessage {
  type: 'close';
}

export type WorkerReply =
  | { type: 'ready' }
  | { type: 'init-failed'; error: SerializedError }
  | { type: 'result'; id: number; outcome: AnalysisOutcome }
  | { type: 'error'; id: number; error: SerializedError };

export interface SerializedError {
  name: string;
  code?: string;
  message: string;
}
