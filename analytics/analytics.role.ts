import type { Logger } from '../config/logger.ts';
import type { AnalyticsSettings, SightingRecorder } from '../contracts/sightings.ts';
import type { FrameSink, VideoFrame } from '../contracts/frames.ts';
import type { AnalysisRequest, AnalyzerModelNames } from './analyzer.ts';
import { CameraTracks, DEFAULT_TRACK_POLICY, type TrackPolicy } from './live/camera-tracks.ts';
import { FrameScheduler, type CameraFrameStats } from './live/frame-scheduler.ts';
import { SightingWriter } from './live/sighting-writer.ts';
import { AnalysisPool } from './worker/analysis-pool.ts';
import type { Raster } from '../models/raster.ts';

/**
 * The analytics role: live frames from ingest (through per-camera frame sinks) → a fair,
 * drop-oldest scheduler → analysis worker threads (ONNX Runtime) → per-camera trackers → one
 * sighting per vehicle / face / object, stored with evidence and published (SightingRecorder).
 * Per-camera settings (pipelines, rate, region of interest, minimum sizes) are read through
 * `settingsFor` and followed within a few seconds of a change.
 */

export interface AnalyticsRoleOptions {
  modelsDir: string;
  /** Worker threads; 0 or absent: one per core. */
  workers?: number;
  /** ONNX Runtime threads per worker; 0 or absent: the cores shared out. */
  threadsPerWorker?: number;
  /** Nice value of the analysis worker threads (see AnalysisPoolOptions.nice). */
  workerNice?: number;
  models: AnalyzerModelNames;
  /** Frames older than this are dropped instead of analysed. */
  maxFrameAgeMs: number;
  /** Frames queued per camera while the workers are busy. */
  queuePerCamera: number;
  policy?: Partial<TrackPolicy>;
  /** A camera's settings (defaults for a camera nobody configured). */
  settingsFor(cameraId: string): Promise<AnalyticsSettings>;
  recorder: SightingRecorder;
  log: Logger;
  /** How long settings are cached (default 5 s). */
  settingsTtlMs?: number;
}

export interface AnalyticsStats {
  workers: number;
  cameras: Array<CameraFrameStats & { tracks: number }>;
  sightings: { written: number; failed: number; pending: number };
}

export interface AnalyticsRole {
  /** The frame sink of one camera's stream session. */
  sinkFor(cameraId: string): FrameSink & { readonly dropped: number };
  /** The camera's stream stopped: end its tracks (final sightings) and forget it. */
  stopCamera(cameraId: string): Promise<void>;
  stats(): AnalyticsStats;
  close(): Promise<void>;
}

interface CameraState {
  tracks: CameraTracks;
  /** Results are applied to the trackers in capture order, even when workers finish out of order. */
  chain: Promise<void>;
  lastAt: number;
}

export function analysisRequest(settings: AnalyticsSettings): AnalysisRequest {
  return {
    pipelines: settings.pipelines,
    embeddings: settings.pipelines.includes('faces'),
    minPlateWidth: settings.minPlateWidth,
    minFaceSize: settings.minFaceSize,
    minEmbedQuality: settings.minFaceQuality,
    roi: settings.roi,
    vehiclesOnly: settings.vehiclesOnly,
  };
}

export async function startAnalyticsRole(options: AnalyticsRoleOptions): Promise<AnalyticsRole> {
  const log = options.log.child({ module: 'analytics' });
  const pool = await AnalysisPool.start({
    modelsDir: options.modelsDir,
    workers: options.workers || undefined,
    threadsPerWorker: options.threadsPerWorker || undefined,
    nice: options.workerNice,
    models: options.models,
    preload: ['plates', 'faces', 'objects'],
    preloadEmbeddings: true,
    log,
  });
  const policy: TrackPolicy = { ...DEFAULT_TRACK_POLICY, ...options.policy };
  const writer = new SightingWriter(options.recorder, options.models.faceEmbedder, log);
  const cameras = new Map<string, CameraState>();
  const settingsCache = new Map<string, { settings: AnalyticsSettings; at: number }>();
  const ttl = options.settingsTtlMs ?? 5000;

  const settingsFor = async (cameraId: string): Promise<AnalyticsSettings> => {
    const cached = settingsCache.get(cameraId);
    if (cached && Date.now() - cached.at < ttl) return cached.settings;
    try {
      const settings = await options.settingsFor(cameraId);
      settingsCache.set(cameraId, { settings, at: Date.now() });
      scheduler.configure(cameraId, { fps: settings.fps, enabled: settings.enabled && settings.pipelines.length > 0 });
      return settings;
    } catch (err) {
      if (cached) return cached.settings; // keep going on the last known settings
      throw err;
    }
  };

  const stateOf = (cameraId: string): CameraState => {
    let state = cameras.get(cameraId);
    if (!state) {
      state = { tracks: new CameraTracks(policy), chain: Promise.resolve(), lastAt: 0 };
      cameras.set(cameraId, state);
    }
    return state;
  };

  const handle = async (frame: VideoFrame): Promise<void> => {
    const settings = await settingsFor(frame.cameraId);
    if (!settings.enabled || settings.pipelines.length === 0) return;
    const raster: Raster = { width: frame.width, height: frame.height, order: frame.format === 'bgr24' ? 'bgr' : 'rgb', data: frame.data };
    const state = stateOf(frame.cameraId);
    state.tracks.configure({ minFaceQuality: settings.minFaceQuality });
    const analysing = pool.analyze(raster, analysisRequest(settings));
    // Chained in dispatch (= capture) order; the frame counts as analysed once its actions are stored.
    const step = state.chain.then(async () => {
      const { analysis } = await analysing;
      if (frame.capturedAt < state.lastAt) return; // never move a tracker back in time
      state.lastAt = frame.capturedAt;
      await writer.apply(frame.cameraId, state.tracks.update(analysis, raster, frame.capturedAt));
    });
    state.chain = step.catch(() => undefined);
    await step;
  };

  const scheduler = new FrameScheduler(
    (frame) =>
      handle(frame).catch((err: unknown) => {
        log.warn({ cameraId: frame.cameraId, err: (err as Error).message }, 'frame analysis failed');
        throw err;
      }),
    { concurrency: pool.size, perCameraCapacity: options.queuePerCamera, maxFrameAgeMs: options.maxFrameAgeMs },
  );

  // Cameras that stopped sending frames: their tracks end after the track timeout.
  const expiry = setInterval(() => {
    const now = Date.now();
    for (const [cameraId, state] of cameras) {
      if (state.lastAt > 0 && now - state.lastAt > policy.trackTimeoutMs && state.tracks.activeTracks() > 0) {
        state.chain = state.chain
          .then(() => writer.apply(cameraId, state.tracks.flush()))
          .catch((err: unknown) => log.warn({ cameraId, err: (err as Error).message }, 'could not end tracks'));
      }
    }
  }, 1000);
  expiry.unref();

  log.info({ workers: pool.size, models: options.models }, 'analytics role started');

  const stopCamera = async (cameraId: string): Promise<void> => {
    const state = cameras.get(cameraId);
    scheduler.remove(cameraId);
    settingsCache.delete(cameraId);
    if (!state) return;
    cameras.delete(cameraId);
    await state.chain;
    await writer.apply(cameraId, state.tracks.flush());
  };

  let closing: Promise<void> | null = null;
  return {
    sinkFor: (cameraId) => scheduler.sinkFor(cameraId),
    stopCamera,
    stats: () => ({
      workers: pool.size,
      cameras: scheduler.stats().map((s) => ({ ...s, tracks: cameras.get(s.cameraId)?.tracks.activeTracks() ?? 0 })),
      sightings: writer.stats,
    }),
    close: () =>
      (closing ??= (async () => {
        clearInterval(expiry);
        await scheduler.close();
        await Promise.all([...cameras.keys()].map((id) => stopCamera(id).catch(() => undefined)));
        await pool.close();
      })()),
  };
}
