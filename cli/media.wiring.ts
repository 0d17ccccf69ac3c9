import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { EventBus } from '../command-ui/server/services/event-bus.ts';
import type { Logger } from '../config/logger.ts';
import type { Config } from '../config/schema.ts';
import type { FrameSink } from '../contracts/frames.ts';
import { startDemoCameras, type DemoCameras } from '../ingest/demo/demo-cameras.ts';
import { IngestService } from '../ingest/ingest.service.ts';
import { DisabledRelay, startJanusRelay, viewerOnlyRelay, type LiveRelay } from '../ingest/relay/live-relay.ts';
import { listAllSegments, planRetention } from '../ingest/stream/recording-retention.ts';
import { deleteSegmentFiles } from '../ingest/stream/retention-segments.ts';
import { writePrivacyMask } from '../ingest/stream/privacy-mask.ts';
import { pullUrl } from '../ingest/stream/pull-url.ts';
import { StreamSession } from '../ingest/stream/stream-session.ts';
import { CameraLeases } from '../storage/camera-leases.ts';
import type { RedisHandle } from '../storage/redis.ts';
import { RelayDirectory } from '../storage/relay-directory.ts';
import type { CamerasRepository } from '../storage/repositories/cameras.repository.ts';
import type { RecordingsRepository } from '../storage/repositories/recordings.repository.ts';
import type { SecretBox } from '../storage/secret-box.ts';

/** Where a process's decoded frames go: the analytics role (analytics/analytics.role.ts) has this shape. */
export interface FrameConsumer {
  sinkFor(cameraId: string): FrameSink & { readonly dropped: number };
  stopCamera(cameraId: string): Promise<void>;
}

export interface MediaParts {
  relay: LiveRelay;
  ingest: IngestService | null;
  demo: DemoCameras | null;
  close(): Promise<void>;
}

/**
 * Live video and camera ingest for this process: the live relay (when it runs the api or ingest
 * role), and for the ingest role one stream session per leased camera, the recordings index and
 * retention. Decoded frames go to `analytics` (one frame sink per camera) when analytics runs in this
 * process; when a camera's session stops, analytics ends its tracks.
 *
 * The relay: with the ingest role, a Janus of this process that takes the RTP of the cameras it pulls
 * and publishes them in the relay directory (Redis); with the api role alone, no Janus at all: its
 * viewers are opened on the relay the directory names for the camera. With both, viewers of a camera
 * pulled here use this Janus, the others the directory.
 */
export async function startMedia(deps: {
  config: Config;
  log: Logger;
  redis: RedisHandle;
  cameras: CamerasRepository;
  recordings: RecordingsRepository;
  secrets: SecretBox;
  events: EventBus;
  analytics: FrameConsumer | null;
}): Promise<MediaParts> {
  const { config, log } = deps;
  const roles = new Set(config.roles);
  const closers: Array<() => Promise<unknown>> = [];
  const close = async () => {
    while (closers.length) await closers.pop()!().catch((err: unknown) => log.warn({ err: (err as Error).message }, 'error while stopping media'));
  };

  // Identifies this process in the camera leases and the relay directory.
  const processId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;

  let relay: LiveRelay = new DisabledRelay('live video is turned off in the configuration (relay.enabled: false)');
  if (config.relay.enabled && (roles.has('api') || roles.has('ingest'))) {
    const relayLog = log.child({ module: 'relay' });
    const directoryClient = deps.redis.connect('relay-directory');
    closers.push(() => directoryClient.quit());
    const directory = new RelayDirectory(directoryClient, {
      prefix: config.redis.prefix,
      owner: processId,
      box: deps.secrets,
      // A dead process's mountpoints leave the directory about when its camera leases expire.
      ttlMs: config.ingest.leaseSeconds * 1000,
      log: relayLog,
    });
    closers.push(() => directory.close());
    if (roles.has('ingest')) {
      try {
        const janus = await startJanusRelay(config.relay, { dataDir: config.dataDir, log: relayLog, directory });
        relay = janus;
        closers.push(() => janus.close());
      } catch (err) {
        const reason = `the live video relay could not start: ${(err as Error).message}`;
        log.error({ err: (err as Error).message }, 'live video relay unavailable; cameras are still recorded and analysed');
        // The API of this process can still show the cameras that other processes relay.
        const fallback: LiveRelay = roles.has('api') ? viewerOnlyRelay(config.relay, { directory, log: relayLog, reason }) : new DisabledRelay(reason);
        relay = fallback;
        closers.push(() => fallback.close());
      }
    } else {
      const viewers = viewerOnlyRelay(config.relay, { directory, log: relayLog });
      relay = viewers;
      closers.push(() => viewers.close());
    }
  }

  let demo: DemoCameras | null = null;
  if (config.demo.cameras && roles.has('ingest')) {
    try {
      demo = await startDemoCameras({ mediaDir: config.mediaDir, dataDir: config.dataDir, log, port: config.demo.port });
      const d = demo;
      closers.push(() => d.stop());
      // Added once, on the first start with no cameras at all; afterwards they are ordinary cameras.
      if ((await deps.cameras.list({ limit: 1, offset: 0 })).total === 0) {
        for (const cam of d.cameras) {
          await deps.cameras.create({ name: `Demo ${cam.name}`, sourceKind: 'rtsp', sourceUrl: cam.url, enabled: true });
        }
        log.info({ cameras: d.cameras.length }, 'demo cameras added');
      }
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'demo cameras not started');
    }
  }

  let ingest: IngestService | null = null;
  if (roles.has('ingest')) {
    const recordingsDir = join(config.dataDir, 'recordings');
    const leaseClient = deps.redis.connect('leases');
    closers.push(() => leaseClient.quit());
    const leases = new CameraLeases(leaseClient, {
      prefix: config.redis.prefix,
      ownerId: processId,
      ttlMs: config.ingest.leaseSeconds * 1000,
    });
    const ingestLog = log.child({ module: 'ingest' });
    ingest = new IngestService(
      {
        listCameras: async () => {
          const { items } = await deps.cameras.list({ limit: 10_000, offset: 0 });
          return items
            .filter((c) => c.enabled)
            .map((c) => ({
              id: c.id,
              name: c.name,
              sourceKind: c.sourceKind,
              sourceUrl: c.sourceUrl,
              streamUrl: c.streamUrl,
              subStreamUrl: c.subStreamUrl,
              username: c.username,
              password: c.passwordEnc ? deps.secrets.open(c.passwordEnc) : null,
              privacyMasks: c.privacyMasks,
            }));
        },
        leaseRound: (ids) => leases.round(ids),
        releaseAll: () => leases.releaseAll(),
        startSession: async (camera, onHealth) => {
          const input = await relay.ensureCamera(camera.id).catch((err: unknown) => {
            ingestLog.warn({ cameraId: camera.id, err: (err as Error).message }, 'no live relay input for this camera');
            return null;
          });
          // Masked cameras are encoded (see ffmpeg-args.ts); a mask that cannot be drawn stops the session
          // from starting (the next round tries again) rather than showing the unmasked picture.
          const maskFile = await writePrivacyMask(config.dataDir, camera.id, camera.privacyMasks).catch(async (err: unknown) => {
            await relay.removeCamera(camera.id).catch(() => undefined);
            throw new Error(`the privacy mask could not be drawn: ${(err as Error).message}`);
          });
          const session = new StreamSession({
            cameraId: camera.id,
            url: pullUrl(camera),
            transport: config.ingest.transport,
            relay: input ? { rtpPort: input.rtpPort, host: input.rtpHost } : null,
            recording: config.ingest.recording.enabled ? { dir: join(recordingsDir, camera.id), segmentSeconds: config.ingest.recording.segmentSeconds } : null,
            frames: deps.analytics ? { fps: config.ingest.analytics.fps, width: config.ingest.analytics.width } : null,
            frameSink: deps.analytics?.sinkFor(camera.id) ?? null,
            mask: maskFile ? { file: maskFile } : null,
            backoffSeconds: config.ingest.backoffSeconds,
            watchdogSeconds: config.ingest.watchdogSeconds,
            log: ingestLog.child({ cameraId: camera.id }),
            onHealth,
          });
          session.start();
          return {
            stop: async () => {
              await session.stop();
              await deps.analytics?.stopCamera(camera.id).catch((err: unknown) => ingestLog.warn({ cameraId: camera.id, err: (err as Error).message }, 'analytics could not end the camera\'s tracks'));
              await relay.removeCamera(camera.id).catch(() => undefined);
            },
          };
        },
        reportHealth: async (health) => {
          await deps.cameras.setStatus(health.cameraId, health.status, health.reason);
          deps.events.toPermitted('cameras.view', 'camera.status', { cameraId: health.cameraId, status: health.status, reason: health.reason, at: health.since });
        },
      },
      ingestLog,
      config.ingest.roundSeconds * 1000,
    );
    ingest.start();
    const running = ingest;
    closers.push(() => running.close());

    // Finished segments go into the recordings table; retention deletes old files and their rows (by age,
    // retention.recordings, the same period as the retention.run job, and by size).
    const policy = {
      maxAgeHours: config.retention.recordings * 24,
      maxBytesPerCamera: null,
      maxTotalBytes: Math.round(config.ingest.recording.maxTotalGigabytes * 1024 ** 3),
    };
    // Paths already in the recordings table (from this process); only new segments are written.
    const indexed = new Set<string>();
    const indexRecordings = async () => {
      const segments = await listAllSegments(recordingsDir);
      const newest = new Map<string, number>();
      for (const s of segments) newest.set(s.cameraId, Math.max(newest.get(s.cameraId) ?? 0, s.startedAt));
      for (const s of segments) {
        if (indexed.has(s.path) || s.startedAt === newest.get(s.cameraId) || s.bytes === 0) continue; // known, or still being written
        try {
          await deps.recordings.add({ cameraId: s.cameraId, startedAt: new Date(s.startedAt), endedAt: new Date(s.endedAt), path: s.path, bytes: s.bytes });
          indexed.add(s.path);
        } catch (err) {
          ingestLog.warn({ cameraId: s.cameraId, err: (err as Error).message }, 'could not index a recording segment');
        }
      }
      // Rows first, then files: a crash in between leaves a file without a row, which the next pass
      // plans from the disk again and deletes; never a row that points at a deleted file.
      const plan = planRetention(segments, policy, Date.now());
      const paths = plan.map((d) => d.segment.path);
      await deps.recordings.deleteByPaths(paths);
      await deleteSegmentFiles(plan, ingestLog);
      for (const path of paths) indexed.delete(path);
    };
    // One pass at a time, however long a pass takes.
    let indexing: Promise<void> | null = null;
    const timer = setInterval(() => {
      indexing ??= indexRecordings()
        .catch((err: unknown) => ingestLog.warn({ err: (err as Error).message }, 'recordings index failed'))
        .finally(() => {
          indexing = null;
        });
    }, Math.min(15, config.ingest.recording.segmentSeconds) * 1000);
    closers.push(async () => {
      clearInterval(timer);
      await indexing;
    });
  }

  return { relay, ingest, demo, close };
}
