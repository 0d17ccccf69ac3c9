import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import type { Logger } from '../../config/logger.ts';
import { ConflictError, ERROR_CODES, NotFoundError, UnavailableError } from '../../contracts/errors.ts';
import {
  checkRelaySettings,
  findJanusLibDir,
  generateJanusSecrets,
  isLoopbackOnly,
  listJanusModules,
  renderJanusConfig,
  writeJanusConfig,
  type PortRange,
  type RelaySettings,
} from './janus.config.ts';
import type { RelayLocation } from '../../storage/relay-directory.ts';
import { httpJanusTransport, JanusClient, type JanusSession, type MountpointSummary, type StreamingHandle } from './janus.client.ts';
import { JanusError } from './janus.errors.ts';
import { checkJanusBinary, JanusProcess, type JanusProcessStatus } from './janus.process.ts';
import { ensureLoopbackShim } from './loopback-ice.shim.ts';

/**
 * The live video relay: what ingest and the API need of it, whatever SFU is behind.
 *
 * Ingest calls `ensureCamera` when it starts pulling a camera and sends the camera's RTP (H.264,
 * payload type 96, copied) to `rtp://<rtpHost>:<rtpPort>`; the API opens viewers for browsers. The
 * browser never talks to the relay: its offer and answer go through the Argus API.
 */
export interface LiveRelay {
  /** The RTP input of a camera, created on first call; later calls return the same one. */
  ensureCamera(cameraId: string): Promise<CameraRtpInput>;
  /** Close the camera's viewers and its input. Nothing happens for an unknown camera. */
  removeCamera(cameraId: string): Promise<void>;
  /** A new viewer of a camera and the relay's SDP offer for it. */
  openViewer(cameraId: string): Promise<{ viewerId: string; offer: { type: 'offer'; sdp: string } }>;
  /** The browser's complete SDP answer (ICE gathered); media starts flowing. */
  answerViewer(viewerId: string, answer: { type: 'answer'; sdp: string }): Promise<void>;
  closeViewer(viewerId: string): Promise<void>;
  viewerCount(): number;
  /** Called once per viewer, however it ends (closeViewer, timeout, hang-up, relay restart). */
  onViewerClosed(listener: (event: ViewerClosedEvent) => void): () => void;
  /** Close every viewer and camera input, once. */
  close(): Promise<void>;
}

export interface CameraRtpInput {
  /** Where ingest sends the camera's RTP. */
  rtpHost: string;
  rtpPort: number;
  mountpointId: number;
}

export type ViewerCloseReason =
  /** closeViewer was called (the user closed the video). */
  | 'closed'
  /** The browser did not answer the offer in time. */
  | 'answer-timeout'
  /** The relay refused the browser's answer. */
  | 'answer-refused'
  /** The PeerConnection ended (the browser closed it or went away). */
  | 'hangup'
  /** The relay lost the viewer's session. */
  | 'session-lost'
  | 'camera-removed'
  | 'relay-restarted'
  | 'relay-closed';

export interface ViewerClosedEvent {
  viewerId: string;
  cameraId: string;
  reason: ViewerCloseReason;
}

/** H.264 Constrained Baseline 3.1, packetization mode 1: what every browser decodes. */
export const DEFAULT_VIDEO_FMTP = 'profile-level-id=42e01f;packetization-mode=1';
export const VIDEO_PAYLOAD_TYPE = 96;

/**
 * The shared directory of relays (storage/relay-directory.ts, in Redis): where a relay publishes the
 * mountpoints it created, and where a relay without the camera finds the relay that has it.
 */
export interface RelayDirectoryPort {
  /** This process, as written in the records it publishes. */
  readonly owner: string;
  publish(location: Omit<RelayLocation, 'owner'>): Promise<void>;
  withdraw(cameraId: string): Promise<void>;
  lookup(cameraId: string): Promise<RelayLocation | null>;
}

/** How other processes reach this relay's Janus: published in the directory with each mountpoint. */
export interface RelayAdvertisement {
  /** The Janus HTTP API root as other hosts reach it (relay.advertiseHost). */
  apiUrl: string;
  apiSecret: string;
  /** This Janus offers loopback ICE candidates only. */
  loopbackIce: boolean;
}

export interface JanusRelayOptions {
  /**
   * This process's Janus, or null for a relay of its own without Janus (an API process that pulls no
   * camera): it has no mountpoints and opens every viewer on the relay the directory names.
   */
  client: JanusClient | null;
  /** Address the mountpoints bind their RTP input to (and ingest sends to). */
  rtpHost: string;
  rtpPorts: PortRange;
  log: Logger;
  viewerAnswerTimeoutMs?: number;
  videoFmtp?: string;
  /** Send a new viewer the latest key frame at once (default true). */
  bufferKeyframe?: boolean;
  /**
   * Drop the candidates of a browser answer that are not on loopback before Janus sees them (set when
   * ICE is loopback-only: Janus could not use them, and so never learns an address of the network).
   */
  loopbackAnswers?: boolean;
  /** The Janus process, when this relay owns it: its restarts are recovered from, and it is stopped last by close(). */
  process?: JanusProcess;
  /** The directory of relays: mountpoints are published there, and viewers of cameras this relay lacks are looked up there. */
  directory?: RelayDirectoryPort | null;
  /** How other processes reach this relay's Janus (needed to publish mountpoints). */
  advertise?: RelayAdvertisement | null;
  /** The client of another process's Janus; default: over HTTP (httpJanusTransport). Cached per API URL. */
  remoteClient?: (location: Pick<RelayLocation, 'apiUrl' | 'apiSecret'>) => JanusClient;
  /** Why ensureCamera is refused when `client` is null (default: this process runs no ingest role). */
  noJanusReason?: string;
}

const LOOPBACK_CANDIDATE = /^a=candidate:\S+ \d+ \S+ \d+ (127\.\d+\.\d+\.\d+|::1) /;

/** The SDP without `a=candidate` lines whose address is not a loopback address (mDNS names included). */
export function keepLoopbackCandidates(sdp: string): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  return sdp
    .split(eol)
    .filter((line) => !line.startsWith('a=candidate:') || LOOPBACK_CANDIDATE.test(line))
    .join(eol);
}

interface CameraEntry {
  cameraId: string;
  mountpointId: number;
  rtpPort: number;
  /** The mountpoint exists in Janus. */
  live: boolean;
  /** The creation in progress, if any. */
  pending: Promise<void> | null;
}

/** Where a viewer is watched: this process's Janus, or another process's (by its API URL). */
const LOCAL = 'local';

interface Viewer {
  viewerId: string;
  cameraId: string;
  /** LOCAL, or the API URL of the other process's Janus the viewer's session is on. */
  relay: string;
  /** Cut the browser's answer down to loopback candidates (the Janus it goes to has loopback-only ICE). */
  loopbackAnswers: boolean;
  session: JanusSession;
  handle: StreamingHandle;
  state: 'offered' | 'answering' | 'started' | 'closed';
  timer: NodeJS.Timeout | null;
  closing: Promise<void> | null;
}

export interface JanusRelayStatus {
  /** Whether this relay has a Janus of its own (false: it only opens viewers on other processes' relays). */
  ownJanus: boolean;
  janus: JanusProcessStatus | null;
  cameras: Array<{ cameraId: string; mountpointId: number; rtpPort: number; live: boolean }>;
  viewers: number;
  /** Of `viewers`, those watched on other processes' relays. */
  remoteViewers: number;
}

/** The 503 of a camera that no relay has a live stream of. */
function noLiveStream(cameraId: string): UnavailableError {
  return new UnavailableError(`Camera ${cameraId} has no live stream on the relay yet: its ingest session is not running. Try again when the camera is online.`);
}

/** How many ports/ids a new camera tries when Janus cannot bind the first (another program holds it). */
const CREATE_ATTEMPTS = 5;

/**
 * LiveRelay over the Janus streaming plugin: one RTP mountpoint per camera on an even port of
 * `rtpPorts` (ffmpeg sends the RTCP of an RTP output to the next port, which therefore stays free),
 * one Janus session and handle per viewer. Viewers not answered within the timeout, or whose
 * PeerConnection hangs up, are closed. After Janus restarts, viewers are closed and mountpoints are
 * created again with the same ids and ports, so ingest keeps sending where it did.
 *
 * Across processes: each mountpoint is published in the relay directory (when there is one), and a
 * viewer of a camera this relay has no live mountpoint of is opened on the Janus of the process that
 * published it, through a client of that Janus (one per API URL). Such a viewer is the same Viewer
 * (its own session and handle, there), so answering, closing, the answer timeout and hang-ups work
 * alike. A relay built without a client (`client: null`) has no Janus at all and only does that.
 */
export class JanusRelay implements LiveRelay {
  private readonly cameras = new Map<string, CameraEntry>();
  private readonly viewers = new Map<string, Viewer>();
  private readonly usedPorts = new Set<number>();
  private readonly listeners = new Set<(event: ViewerClosedEvent) => void>();
  /** Clients of other processes' Janus, by API URL. */
  private readonly remotes = new Map<string, { apiSecret: string; client: JanusClient }>();
  private nextMountpointId = 1;
  private admin: Promise<StreamingHandle> | null = null;
  private closing: Promise<void> | null = null;
  private readonly log: Logger;

  constructor(private readonly options: JanusRelayOptions) {
    this.log = options.log;
    options.process?.onRestarted(() => {
      void this.recover().catch((err: unknown) => this.log.error({ err: (err as Error).message }, 'relay recovery after a janus restart failed'));
    });
  }

  status(): JanusRelayStatus {
    const viewers = [...this.viewers.values()];
    return {
      ownJanus: this.options.client !== null,
      janus: this.options.process?.status() ?? null,
      cameras: [...this.cameras.values()].map(({ cameraId, mountpointId, rtpPort, live }) => ({ cameraId, mountpointId, rtpPort, live })),
      viewers: viewers.length,
      remoteViewers: viewers.filter((v) => v.relay !== LOCAL).length,
    };
  }

  /** The mountpoints this relay's Janus has, with how long ago each last received video (is ingest sending?); none without a Janus. */
  async listMountpoints(): Promise<MountpointSummary[]> {
    this.assertOpen();
    if (!this.options.client) return [];
    return this.withAdmin((admin) => admin.listMountpoints());
  }

  onViewerClosed(listener: (event: ViewerClosedEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  viewerCount(): number {
    return this.viewers.size;
  }

  // ---------- cameras ----------

  async ensureCamera(cameraId: string): Promise<CameraRtpInput> {
    this.assertOpen();
    if (!this.options.client) {
      throw new UnavailableError(
        this.options.noJanusReason ?? 'This process has no live video relay of its own (it runs no ingest role): the relays of the ingest processes take camera RTP.',
      );
    }
    let entry = this.cameras.get(cameraId);
    if (!entry) {
      entry = { cameraId, mountpointId: this.nextMountpointId++, rtpPort: this.allocatePort(), live: false, pending: null };
      this.cameras.set(cameraId, entry);
    }
    const current = entry;
    if (!current.live) {
      current.pending ??= this.createMountpoint(current, { movable: true }).finally(() => {
        current.pending = null;
      });
      try {
        await current.pending;
      } catch (err) {
        if (!current.live && this.cameras.get(cameraId) === current) {
          this.cameras.delete(cameraId);
          this.usedPorts.delete(current.rtpPort);
        }
        throw err;
      }
    }
    return { rtpHost: this.options.rtpHost, rtpPort: current.rtpPort, mountpointId: current.mountpointId };
  }

  async removeCamera(cameraId: string): Promise<void> {
    const entry = this.cameras.get(cameraId);
    if (!entry) return;
    this.cameras.delete(cameraId);
    await Promise.all(this.localViewers().filter((v) => v.cameraId === cameraId).map((v) => this.finish(v, 'camera-removed')));
    await entry.pending?.catch(() => undefined);
    await this.withdraw(cameraId);
    if (entry.live) await this.destroyMountpoint(entry);
    this.usedPorts.delete(entry.rtpPort);
  }

  /** The first even port of the range whose pair (RTP, RTCP) is free. */
  private allocatePort(): number {
    const { min, max } = this.options.rtpPorts;
    for (let port = min % 2 === 0 ? min : min + 1; port + 1 <= max; port += 2) {
      if (!this.usedPorts.has(port)) {
        this.usedPorts.add(port);
        return port;
      }
    }
    throw new UnavailableError(
      `No free RTP port left for another camera in relay.rtpPorts ${min}-${max} (${this.usedPorts.size} cameras use it): widen the range.`,
    );
  }

  /**
   * Create the camera's mountpoint and publish it in the directory. A new camera (`movable`) moves to
   * another port and id when Janus cannot create it (the port is taken by another program); after a
   * restart the port must stay.
   */
  private async createMountpoint(entry: CameraEntry, { movable }: { movable: boolean }): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.withAdmin((admin) =>
          admin.createMountpoint({
            id: entry.mountpointId,
            description: `camera ${entry.cameraId}`,
            videoPort: entry.rtpPort,
            videoHost: this.options.rtpHost,
            videoPayloadType: VIDEO_PAYLOAD_TYPE,
            videoRtpmap: 'H264/90000',
            videoFmtp: this.options.videoFmtp ?? DEFAULT_VIDEO_FMTP,
            bufferKeyframe: this.options.bufferKeyframe ?? true,
          }),
        );
        entry.live = true;
        this.log.info({ cameraId: entry.cameraId, mountpointId: entry.mountpointId, rtpPort: entry.rtpPort }, 'relay mountpoint created');
        await this.publish(entry);
        return;
      } catch (err) {
        const conflict = err instanceof JanusError && err.code === ERROR_CODES.CONFLICT;
        if (!conflict || !movable || attempt >= CREATE_ATTEMPTS || this.closing) throw err;
        this.log.warn({ cameraId: entry.cameraId, rtpPort: entry.rtpPort, err: err.message }, 'relay could not create the mountpoint; trying another port');
        // Keep the refused port marked as used (another program holds it) and take the next one.
        entry.rtpPort = this.allocatePort();
        entry.mountpointId = this.nextMountpointId++;
      }
    }
  }

  private async destroyMountpoint(entry: CameraEntry): Promise<void> {
    try {
      await this.withAdmin((admin) => admin.destroyMountpoint(entry.mountpointId));
    } catch (err) {
      if (!(err instanceof JanusError && err.code === ERROR_CODES.NOT_FOUND)) {
        this.log.warn({ cameraId: entry.cameraId, mountpointId: entry.mountpointId, err: (err as Error).message }, 'relay could not destroy a mountpoint');
      }
    }
    entry.live = false;
  }

  /**
   * Tell the directory that this relay has the camera's live stream. A directory that does not answer
   * does not fail the camera: the record is written by its next refresh.
   */
  private async publish(entry: CameraEntry): Promise<void> {
    const { directory, advertise } = this.options;
    // Not for a camera removed (or a relay closed) while its mountpoint was being created.
    if (!directory || !advertise || this.closing || this.cameras.get(entry.cameraId) !== entry) return;
    try {
      await directory.publish({
        cameraId: entry.cameraId,
        apiUrl: advertise.apiUrl,
        apiSecret: advertise.apiSecret,
        mountpointId: entry.mountpointId,
        loopbackIce: advertise.loopbackIce,
      });
    } catch (err) {
      this.log.warn({ cameraId: entry.cameraId, err: (err as Error).message }, 'relay could not publish a mountpoint in the relay directory yet');
    }
  }

  private async withdraw(cameraId: string): Promise<void> {
    if (!this.options.directory || !this.options.advertise) return;
    try {
      await this.options.directory.withdraw(cameraId);
    } catch (err) {
      this.log.warn({ cameraId, err: (err as Error).message }, 'relay could not withdraw a mountpoint from the relay directory; it expires by itself');
    }
  }

  /** Run an administration request on the long-lived admin handle, opening it again once if Janus forgot it. */
  private async withAdmin<T>(fn: (admin: StreamingHandle) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const opening = this.adminHandle();
      const admin = await opening;
      try {
        return await fn(admin);
      } catch (err) {
        const gone = admin.session.closed || (err instanceof JanusError && err.sessionGone);
        if (!gone || attempt > 0) throw err;
        this.dropAdmin(opening);
      }
    }
  }

  private adminHandle(): Promise<StreamingHandle> {
    if (this.admin) return this.admin;
    const client = this.options.client;
    if (!client) return Promise.reject(new UnavailableError('This relay has no Janus of its own.'));
    const opening: Promise<StreamingHandle> = (async () => {
      const session = await client.createSession();
      session.onLost(() => this.dropAdmin(opening));
      try {
        return await session.attachStreaming();
      } catch (err) {
        await session.destroy();
        throw err;
      }
    })();
    this.admin = opening;
    opening.catch(() => this.dropAdmin(opening));
    return opening;
  }

  /** Forget an admin handle (its session is gone or failed); the next request opens a new one. */
  private dropAdmin(opening: Promise<StreamingHandle>): void {
    if (this.admin === opening) this.admin = null;
    void opening.then(
      (handle) => handle.session.destroy(),
      () => undefined,
    );
  }

  // ---------- viewers ----------

  /**
   * A viewer on this relay's mountpoint of the camera when it has a live one; otherwise on the relay
   * the directory names for the camera; otherwise a 503 saying the camera has no live stream.
   */
  async openViewer(cameraId: string): Promise<{ viewerId: string; offer: { type: 'offer'; sdp: string } }> {
    this.assertOpen();
    const entry = this.cameras.get(cameraId);
    await entry?.pending?.catch(() => undefined);
    if (entry?.live && this.options.client) {
      return this.watch(cameraId, {
        client: this.options.client,
        relay: LOCAL,
        mountpointId: entry.mountpointId,
        loopbackAnswers: this.options.loopbackAnswers ?? false,
      });
    }
    const remote = await this.findRemote(cameraId);
    if (!remote) throw noLiveStream(cameraId);
    try {
      return await this.watch(cameraId, {
        client: this.remoteClient(remote),
        relay: remote.apiUrl,
        mountpointId: remote.mountpointId,
        loopbackAnswers: remote.loopbackIce,
      });
    } catch (err) {
      // The other relay lost the stream (the camera moved, its Janus restarted) or cannot be reached.
      if (err instanceof JanusError && (err.code === ERROR_CODES.NOT_FOUND || err.code === ERROR_CODES.UNAVAILABLE)) {
        throw new UnavailableError(
          `Camera ${cameraId} has no live stream on the relay yet: the relay of another Argus process that had it (${remote.apiUrl}) could not open a viewer (${err.message}). Try again in a few seconds.`,
        );
      }
      throw err;
    }
  }

  /** The camera's relay in another process, from the directory; null when there is none (or only a stale one of this process). */
  private async findRemote(cameraId: string): Promise<RelayLocation | null> {
    const directory = this.options.directory;
    if (!directory) return null;
    const location = await directory.lookup(cameraId);
    if (!location || location.owner === directory.owner) return null;
    return location;
  }

  /** The client of another process's Janus, one per API URL (a new one when that Janus restarted with a new secret). */
  private remoteClient(location: Pick<RelayLocation, 'apiUrl' | 'apiSecret'>): JanusClient {
    const cached = this.remotes.get(location.apiUrl);
    if (cached && cached.apiSecret === location.apiSecret) return cached.client;
    const client = this.options.remoteClient
      ? this.options.remoteClient(location)
      : new JanusClient({
          transport: httpJanusTransport(location.apiUrl),
          apiSecret: location.apiSecret,
          // Watching needs no admin key; this client never creates mountpoints.
          streamingAdminKey: '',
          log: this.log.child({ component: 'janus', relay: location.apiUrl }),
        });
    this.remotes.set(location.apiUrl, { apiSecret: location.apiSecret, client });
    return client;
  }

  /** Open a viewer of a mountpoint on a Janus (this process's or another's): its own session and handle, and its offer. */
  private async watch(
    cameraId: string,
    target: { client: JanusClient; relay: string; mountpointId: number; loopbackAnswers: boolean },
  ): Promise<{ viewerId: string; offer: { type: 'offer'; sdp: string } }> {
    const session = await target.client.createSession();
    let viewer: Viewer | null = null;
    try {
      const handle = await session.attachStreaming();
      const offer = await handle.watch(target.mountpointId);
      viewer = {
        viewerId: randomUUID(),
        cameraId,
        relay: target.relay,
        loopbackAnswers: target.loopbackAnswers,
        session,
        handle,
        state: 'offered',
        timer: null,
        closing: null,
      };
      const v = viewer;
      v.timer = setTimeout(() => {
        if (v.state === 'offered') void this.finish(v, 'answer-timeout');
      }, this.options.viewerAnswerTimeoutMs ?? 30_000);
      v.timer.unref();
      handle.onEvent((event) => {
        if (event.kind === 'hangup' || event.kind === 'detached') void this.finish(v, 'hangup');
      });
      session.onLost(() => void this.finish(v, 'session-lost'));
      this.viewers.set(v.viewerId, v);
      if (this.closing) throw new UnavailableError('The live video relay is closing.');
      this.log.info({ viewerId: v.viewerId, cameraId, mountpointId: target.mountpointId, relay: target.relay }, 'relay viewer opened');
      return { viewerId: v.viewerId, offer };
    } catch (err) {
      if (viewer) await this.finish(viewer, 'relay-closed');
      else await session.destroy();
      throw err;
    }
  }

  async answerViewer(viewerId: string, answer: { type: 'answer'; sdp: string }): Promise<void> {
    const viewer = this.viewers.get(viewerId);
    if (!viewer) throw new NotFoundError(`No live viewer ${viewerId}: it has ended or timed out. Open the video again.`);
    if (viewer.state !== 'offered') throw new ConflictError(`Viewer ${viewerId} has been answered already.`);
    viewer.state = 'answering';
    const sdp = viewer.loopbackAnswers ? keepLoopbackCandidates(answer.sdp) : answer.sdp;
    try {
      await viewer.handle.start({ type: 'answer', sdp });
    } catch (err) {
      await this.finish(viewer, 'answer-refused');
      throw err;
    }
    if (viewer.timer) clearTimeout(viewer.timer);
    viewer.timer = null;
    if (viewer.state === 'answering') viewer.state = 'started';
  }

  async closeViewer(viewerId: string): Promise<void> {
    const viewer = this.viewers.get(viewerId);
    if (!viewer) throw new NotFoundError(`No live viewer ${viewerId}.`);
    await this.finish(viewer, 'closed');
  }

  private localViewers(): Viewer[] {
    return [...this.viewers.values()].filter((v) => v.relay === LOCAL);
  }

  /** End a viewer once: forget it, tell the listeners, end its Janus session. */
  private finish(viewer: Viewer, reason: ViewerCloseReason): Promise<void> {
    viewer.closing ??= (async () => {
      viewer.state = 'closed';
      this.viewers.delete(viewer.viewerId);
      if (viewer.timer) clearTimeout(viewer.timer);
      viewer.timer = null;
      this.log.info({ viewerId: viewer.viewerId, cameraId: viewer.cameraId, relay: viewer.relay, reason }, 'relay viewer closed');
      for (const listener of this.listeners) {
        try {
          listener({ viewerId: viewer.viewerId, cameraId: viewer.cameraId, reason });
        } catch (err) {
          this.log.error({ err: (err as Error).message }, 'viewer-closed listener failed');
        }
      }
      // Ends the PeerConnection in Janus; never throws (a Janus that restarted has forgotten it already).
      await viewer.session.destroy();
    })();
    return viewer.closing;
  }

  // ---------- life cycle ----------

  /**
   * After this relay's Janus restarted: its sessions and mountpoints are gone. Close its viewers
   * (browsers open again; viewers on other processes' relays are not concerned) and create every
   * mountpoint again on its port.
   */
  async recover(): Promise<void> {
    if (this.closing) return;
    const local = this.localViewers();
    this.log.warn({ cameras: this.cameras.size, viewers: local.length }, 'janus restarted: closing viewers and creating the mountpoints again');
    const admin = this.admin;
    this.admin = null;
    void admin?.then((h) => h.session.destroy(), () => undefined);
    await Promise.all(local.map((v) => this.finish(v, 'relay-restarted')));
    await Promise.all(
      [...this.cameras.values()].map(async (entry) => {
        await entry.pending?.catch(() => undefined);
        entry.live = false;
        const pending = this.createMountpoint(entry, { movable: false });
        entry.pending = pending;
        try {
          await pending;
        } catch (err) {
          this.log.error({ cameraId: entry.cameraId, rtpPort: entry.rtpPort, err: (err as Error).message }, 'relay could not create a mountpoint again after a janus restart');
        } finally {
          if (entry.pending === pending) entry.pending = null;
        }
      }),
    );
  }

  close(): Promise<void> {
    return (this.closing ??= this.shutdown());
  }

  private async shutdown(): Promise<void> {
    // Out of the directory first, so that no other process opens a viewer on a mountpoint about to go.
    await Promise.all([...this.cameras.keys()].map((cameraId) => this.withdraw(cameraId)));
    await Promise.all([...this.viewers.values()].map((v) => this.finish(v, 'relay-closed')));
    const janusUp = this.options.client !== null && (!this.options.process || this.options.process.status().state === 'running');
    if (janusUp) {
      await Promise.all(
        [...this.cameras.values()].map(async (entry) => {
          await entry.pending?.catch(() => undefined);
          if (entry.live) await this.destroyMountpoint(entry);
        }),
      );
    }
    this.cameras.clear();
    this.usedPorts.clear();
    this.remotes.clear();
    const admin = this.admin;
    this.admin = null;
    await admin?.then((h) => h.session.destroy(), () => undefined);
    await this.options.process?.stop();
  }

  private assertOpen(): void {
    if (this.closing) throw new UnavailableError('The live video relay is closed.');
  }
}

/** A relay that is switched off (relay.enabled false): every viewer request says so. */
export class DisabledRelay implements LiveRelay {
  constructor(private readonly reason = 'Live video is switched off on this server (relay.enabled is false).') {}
  private fail(): never {
    throw new UnavailableError(this.reason);
  }
  async ensureCamera(): Promise<CameraRtpInput> {
    return this.fail();
  }
  async removeCamera(): Promise<void> {}
  async openViewer(): Promise<{ viewerId: string; offer: { type: 'offer'; sdp: string } }> {
    return this.fail();
  }
  async answerViewer(): Promise<void> {
    return this.fail();
  }
  async closeViewer(viewerId: string): Promise<void> {
    throw new NotFoundError(`No live viewer ${viewerId}.`);
  }
  viewerCount(): number {
    return 0;
  }
  onViewerClosed(): () => void {
    return () => undefined;
  }
  async close(): Promise<void> {}
}

/** A free TCP port on host (for Janus's HTTP API when relay.apiPort is 0). */
export function freeTcpPort(host: string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

export interface StartJanusRelayOptions {
  /** Argus's data folder; the Janus configuration goes to <dataDir>/janus. */
  dataDir: string;
  log: Logger;
  /** The relay directory: mountpoints are published there (with `relay.advertiseHost`), and cameras this relay lacks are looked up there. */
  directory?: RelayDirectoryPort | null;
}

/** The Janus HTTP API root other processes reach: relay.advertiseHost, else relay.apiHost, with the port Janus listens on. */
export function advertisedApiUrl(settings: Pick<RelaySettings, 'apiHost' | 'advertiseHost'>, apiPort: number): string {
  return `http://${urlHost(settings.advertiseHost ?? settings.apiHost)}:${apiPort}/janus`;
}

/**
 * Start the embedded relay: write a fresh Janus configuration (new secrets), build the loopback ICE
 * shim when ICE is loopback-only, start and supervise Janus, and return the relay over it. Its
 * close() withdraws its mountpoints from the directory, closes viewers and mountpoints, then stops Janus.
 */
export async function startJanusRelay(settings: RelaySettings, { dataDir, log, directory = null }: StartJanusRelayOptions): Promise<JanusRelay> {
  checkRelaySettings(settings);
  checkJanusBinary(settings.janusPath);
  const libDir = findJanusLibDir(settings.janusLibDir);
  const configDir = resolve(join(dataDir, 'janus'));
  const apiPort = settings.apiPort || (await freeTcpPort(settings.apiHost));
  const secrets = generateJanusSecrets();
  writeJanusConfig(
    configDir,
    renderJanusConfig({
      configDir,
      libDir,
      modules: listJanusModules(libDir),
      secrets,
      apiHost: settings.apiHost,
      apiPort,
      iceInterfaces: settings.iceInterfaces,
      webrtcPorts: settings.webrtcPorts,
      rtpPorts: settings.rtpPorts,
      logLevel: settings.logLevel,
    }),
  );
  const loopbackIce = isLoopbackOnly(settings.iceInterfaces);
  const preload = loopbackIce ? [await ensureLoopbackShim(configDir)] : [];
  const apiUrl = `http://${urlHost(settings.apiHost)}:${apiPort}/janus`;
  const janusLog = log.child({ component: 'janus' });
  const process = new JanusProcess({ janusPath: settings.janusPath, configDir, apiUrl, preload, log: janusLog });
  await process.start();
  const client = new JanusClient({
    transport: httpJanusTransport(apiUrl),
    apiSecret: secrets.apiSecret,
    streamingAdminKey: secrets.streamingAdminKey,
    log: janusLog,
  });
  const advertise = directory ? { apiUrl: advertisedApiUrl(settings, apiPort), apiSecret: secrets.apiSecret, loopbackIce } : null;
  log.info(
    { apiUrl, advertisedUrl: advertise?.apiUrl ?? null, iceInterfaces: settings.iceInterfaces, loopbackIce, rtpPorts: settings.rtpPorts },
    'live video relay started',
  );
  return new JanusRelay({
    client,
    process,
    rtpHost: settings.rtpHost,
    rtpPorts: settings.rtpPorts,
    viewerAnswerTimeoutMs: settings.viewerAnswerSeconds * 1000,
    loopbackAnswers: loopbackIce,
    directory,
    advertise,
    log,
  });
}

/**
 * The relay of a process without a Janus of its own (the api role without ingest): no mountpoints,
 * nothing started; every viewer is opened on the relay the directory names for its camera.
 */
export function viewerOnlyRelay(
  settings: Pick<RelaySettings, 'rtpHost' | 'rtpPorts' | 'viewerAnswerSeconds'>,
  { directory, log, reason }: { directory: RelayDirectoryPort; log: Logger; reason?: string },
): JanusRelay {
  log.info('live video: no janus in this process; viewers are opened on the relays of the ingest processes');
  return new JanusRelay({
    client: null,
    rtpHost: settings.rtpHost,
    rtpPorts: settings.rtpPorts,
    viewerAnswerTimeoutMs: settings.viewerAnswerSeconds * 1000,
    directory,
    noJanusReason: reason,
    log,
  });
}
