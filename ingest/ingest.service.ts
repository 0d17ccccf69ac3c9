import { createHash } from 'node:crypto';
import type { Logger } from '../config/logger.ts';
import type { PrivacyMask } from '../contracts/api.ts';
import type { CameraHealth } from '../contracts/media.ts';
import type { CameraSourceKind } from '../contracts/camera-source.ts';
import type { LeaseRound } from '../storage/camera-leases.ts';

/** A camera as ingest needs it: where to pull from, credentials included (never logged). */
export interface IngestCamera {
  id: string;
  name: string;
  sourceKind: CameraSourceKind;
  sourceUrl: string;
  /** ONVIF cameras: the stream the device reported; pulled instead of sourceUrl. */
  streamUrl: string | null;
  subStreamUrl: string | null;
  username: string | null;
  password: string | null;
  /** Polygons blacked out of every output; [] for none. */
  privacyMasks: PrivacyMask[];
}

export interface CameraSessionHandle {
  stop(): Promise<void>;
}

/** Ports the ingest service works through; the role entry point supplies real ones. */
export interface IngestPorts {
  /** Every enabled camera. */
  listCameras(): Promise<IngestCamera[]>;
  /** One lease round for the wanted camera ids (see storage/camera-leases.ts). */
  leaseRound(cameraIds: string[]): Promise<LeaseRound>;
  releaseAll(): Promise<void>;
  /** Start pulling one camera; health changes are reported through onHealth. */
  startSession(camera: IngestCamera, onHealth: (health: CameraHealth) => void): Promise<CameraSessionHandle>;
  /** Store and publish a health change (status, reason). */
  reportHealth(health: CameraHealth): Promise<void>;
}

interface Running {
  fingerprint: string;
  handle: CameraSessionHandle;
  last: CameraHealth | null;
}

/** What, if changed, means the session must be restarted. */
export function cameraFingerprint(c: IngestCamera): string {
  return createHash('sha256')
    .update(JSON.stringify([c.sourceKind, c.sourceUrl, c.streamUrl, c.subStreamUrl, c.username, c.password, c.privacyMasks]))
    .digest('hex');
}

/**
 * Keeps one stream session per camera this process holds the lease for: starts sessions for
 * cameras it takes, stops those it loses or that were disabled or removed, restarts those whose
 * address, credentials or privacy masks changed (a new mask applies at once). Runs a round every `intervalMs`.
 */
export class IngestService {
  private readonly running = new Map<string, Running>();
  private timer: NodeJS.Timeout | null = null;
  private roundInFlight: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly ports: IngestPorts,
    private readonly log: Logger,
    private readonly intervalMs = 5000,
  ) {}

  start(): void {
    const tick = () => {
      if (this.closed) return;
      this.roundInFlight = this.round()
        .catch((err: unknown) => this.log.error({ err: (err as Error).message }, 'ingest round failed'))
        .finally(() => {
          this.roundInFlight = null;
          if (!this.closed) this.timer = setTimeout(tick, this.intervalMs);
        });
    };
    tick();
  }

  /** Camera ids with a running session. */
  sessions(): string[] {
    return [...this.running.keys()];
  }

  async round(): Promise<void> {
    const cameras = await this.ports.listCameras();
    const byId = new Map(cameras.map((c) => [c.id, c]));
    const lease = await this.ports.leaseRound(cameras.map((c) => c.id));
    const held = new Set(lease.held);
    for (const [id, run] of this.running) {
      const camera = byId.get(id);
      if (!held.has(id) || !camera) {
        await this.stopSession(id, run, camera ? 'lease moved to another ingest process' : 'camera removed or disabled');
      } else if (cameraFingerprint(camera) !== run.fingerprint) {
        await this.stopSession(id, run, 'camera address, credentials or privacy masks changed');
      }
    }
    for (const id of held) {
      const camera = byId.get(id);
      if (!camera || this.running.has(id) || this.closed) continue;
      const entry: Running = { fingerprint: cameraFingerprint(camera), handle: { stop: async () => undefined }, last: null };
      this.running.set(id, entry);
      try {
        entry.handle = await this.ports.startSession(camera, (health) => {
          const changed = !entry.last || entry.last.status !== health.status || entry.last.reason !== health.reason;
          entry.last = health;
          if (changed) {
            this.ports.reportHealth(health).catch((err: unknown) => this.log.warn({ cameraId: id, err: (err as Error).message }, 'could not store camera health'));
          }
        });
        this.log.info({ cameraId: id, name: camera.name }, 'camera session started');
      } catch (err) {
        this.running.delete(id);
        this.log.error({ cameraId: id, err: (err as Error).message }, 'camera session could not start');
      }
    }
  }

  private async stopSession(id: string, run: Running, why: string): Promise<void> {
    this.running.delete(id);
    await run.handle.stop().catch((err: unknown) => this.log.warn({ cameraId: id, err: (err as Error).message }, 'error stopping a camera session'));
    this.log.info({ cameraId: id, why }, 'camera session stopped');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.roundInFlight;
    for (const [id, run] of [...this.running]) await this.stopSession(id, run, 'ingest stopping');
    await this.ports.releaseAll();
  }
}
