import type { Logger } from '../../../config/logger.ts';
import { ConflictError, ForbiddenError, NotFoundError } from '../../../contracts/errors.ts';
import type { LiveViewerAnswer, LiveViewerOffer } from '../../../contracts/media.ts';
import type { AuditRepository } from '../../../storage/repositories/audit.repository.ts';
import type { CamerasRepository } from '../../../storage/repositories/cameras.repository.ts';
import type { Principal, RequestMeta } from './auth.service.ts';
import { assertCameraAccess } from './camera-access.ts';

/**
 * What this service needs of the live video relay. cli/serve.ts passes the relay of
 * ingest/relay/live-relay.ts (JanusRelay), which has this shape; the API server does not import ingest.
 */
export interface LiveViewerPort {
  openViewer(cameraId: string): Promise<{ viewerId: string; offer: { type: 'offer'; sdp: string } }>;
  answerViewer(viewerId: string, answer: { type: 'answer'; sdp: string }): Promise<void>;
  /** Throws NotFoundError for a viewer the relay does not know (any more). */
  closeViewer(viewerId: string): Promise<void>;
  /** Called once per viewer however it ends; `reason` says how (e.g. 'answer-timeout', 'hangup'). */
  onViewerClosed(listener: (event: { viewerId: string; cameraId: string; reason: string }) => void): () => void;
}

/** Who opened a viewer, for ownership checks and the audit entry when it closes. */
interface ViewerOwner {
  viewerId: string;
  cameraId: string;
  userId: string;
  username: string;
  sessionId: string;
  ip: string | null;
  openedAt: number;
}

export interface LiveServiceDeps {
  relay: LiveViewerPort;
  cameras: Pick<CamerasRepository, 'findById'>;
  audit: Pick<AuditRepository, 'append'>;
  log: Logger;
  /** Open viewers one user may hold at once (a 6×6 video wall). */
  maxViewersPerUser?: number;
  now?: () => number;
}

/**
 * Live video signalling: the browser asks the API for a viewer of a camera, gets the relay's SDP
 * offer, and posts its answer back; it never talks to the relay itself. Every viewer is audited when
 * it opens ('live.open') and when it closes ('live.close', with how long it was watched and why it
 * ended), whoever ends it: the user, the relay (no answer in time, hang-up, restart) or a logout.
 */
export class LiveService {
  private readonly owners = new Map<string, ViewerOwner>();

  constructor(private readonly deps: LiveServiceDeps) {
    deps.relay.onViewerClosed((event) => this.onRelayClosed(event));
  }

  private now(): number {
    return this.deps.now ? this.deps.now() : Date.now();
  }

  viewerCount(): number {
    return this.owners.size;
  }

  async open(cameraId: string, actor: Principal, meta: RequestMeta): Promise<LiveViewerOffer> {
    const camera = await this.deps.cameras.findById(cameraId);
    if (!camera) throw new NotFoundError(`No camera with id ${cameraId}.`);
    assertCameraAccess(actor, 'live', camera);
    if (!camera.enabled) throw new ConflictError(`Camera "${camera.name}" is disabled; enable it to watch live video.`);
    const limit = this.deps.maxViewersPerUser ?? 36;
    const mine = [...this.owners.values()].filter((o) => o.userId === actor.userId).length;
    if (mine >= limit) throw new ConflictError(`You have ${mine} live videos open, the most one user may have; close some first.`);

    const { viewerId, offer } = await this.deps.relay.openViewer(cameraId);
    const owner: ViewerOwner = {
      viewerId,
      cameraId,
      userId: actor.userId,
      username: actor.username,
      sessionId: actor.sessionId,
      ip: meta.ip,
      openedAt: this.now(),
    };
    this.owners.set(viewerId, owner);
    try {
      await this.deps.audit.append({
        userId: actor.userId,
        username: actor.username,
        action: 'live.open',
        targetType: 'camera',
        targetId: cameraId,
        detail: { viewerId, cameraName: camera.name },
        ip: meta.ip,
      });
    } catch (err) {
      // Nobody watches unaudited: without the entry the viewer is closed again.
      this.owners.delete(viewerId);
      await this.deps.relay.closeViewer(viewerId).catch(() => undefined);
      throw err;
    }
    this.deps.log.info({ viewerId, cameraId, userId: actor.userId }, 'live viewer opened');
    return { viewerId, cameraId, type: 'offer', sdp: offer.sdp };
  }

  async answer(viewerId: string, answer: LiveViewerAnswer, actor: Principal): Promise<void> {
    this.ownedBy(viewerId, actor);
    await this.deps.relay.answerViewer(viewerId, answer);
  }

  async close(viewerId: string, actor: Principal, meta: RequestMeta): Promise<void> {
    const owner = this.ownedBy(viewerId, actor);
    this.owners.delete(viewerId);
    await this.closeInRelay(viewerId);
    await this.auditClose(owner, 'closed', meta.ip);
  }

  /** Close every viewer opened in a login session (called when the session ends by logout). */
  async closeSessionViewers(sessionId: string): Promise<number> {
    const owned = [...this.owners.values()].filter((o) => o.sessionId === sessionId);
    await Promise.all(
      owned.map(async (owner) => {
        this.owners.delete(owner.viewerId);
        await this.closeInRelay(owner.viewerId);
        await this.auditClose(owner, 'logout', owner.ip);
      }),
    );
    return owned.length;
  }

  private ownedBy(viewerId: string, actor: Principal): ViewerOwner {
    const owner = this.owners.get(viewerId);
    if (!owner) throw new NotFoundError(`No live viewer ${viewerId}: it has ended or timed out. Open the video again.`);
    if (owner.userId !== actor.userId) throw new ForbiddenError('This live viewer was opened by another user.');
    return owner;
  }

  private async closeInRelay(viewerId: string): Promise<void> {
    try {
      await this.deps.relay.closeViewer(viewerId);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }

  /** The relay ended a viewer on its own (timeout, hang-up, restart): audit it for its owner. */
  private onRelayClosed(event: { viewerId: string; reason: string }): void {
    const owner = this.owners.get(event.viewerId);
    if (!owner) return; // closed through this service, audited there
    this.owners.delete(event.viewerId);
    this.auditClose(owner, event.reason, owner.ip).catch((err: unknown) =>
      this.deps.log.error({ viewerId: event.viewerId, err: (err as Error).message }, 'could not audit the end of a live viewer'),
    );
  }

  private async auditClose(owner: ViewerOwner, reason: string, ip: string | null): Promise<void> {
    const durationMs = Math.max(0, Math.round(this.now() - owner.openedAt));
    await this.deps.audit.append({
      userId: owner.userId,
      username: owner.username,
      action: 'live.close',
      targetType: 'camera',
      targetId: owner.cameraId,
      detail: { viewerId: owner.viewerId, durationMs, reason },
      ip,
    });
    this.deps.log.info({ viewerId: owner.viewerId, cameraId: owner.cameraId, userId: owner.userId, durationMs, reason }, 'live viewer closed');
  }
}
