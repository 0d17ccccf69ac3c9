import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../config/logger.ts';
import { ERROR_CODES, NotFoundError, type ArgusError } from '../../../contracts/errors.ts';
import type { Principal } from '../../../command-ui/server/services/auth.service.ts';
import { LiveService, type LiveViewerPort } from '../../../command-ui/server/services/live.service.ts';
import type { NewAuditEntry } from '../../../storage/repositories/audit.repository.ts';
import type { CameraRecord } from '../../../storage/repositories/cameras.repository.ts';

const log = createLogger({ log: { level: 'silent', pretty: false } });
const META = { ip: '127.0.0.9', userAgent: 'test' };
const ALICE: Principal = { userId: 'u-alice', username: 'alice', roles: ['dispatcher'], sessionId: 's-alice-1' };
const BOB: Principal = { userId: 'u-bob', username: 'bob', roles: ['patrol'], sessionId: 's-bob-1' };
const ANSWER = { type: 'answer' as const, sdp: 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n' };

/** A strict fake of the relay port: records calls, knows its viewers, ends them on request. */
class FakeRelay implements LiveViewerPort {
  readonly calls: string[] = [];
  readonly open = new Set<string>();
  private next = 1;
  private listener: ((e: { viewerId: string; cameraId: string; reason: string }) => void) | null = null;
  private readonly cameraOf = new Map<string, string>();

  async openViewer(cameraId: string) {
    this.calls.push(`open ${cameraId}`);
    const viewerId = `00000000-0000-4000-8000-00000000000${this.next++}`;
    this.open.add(viewerId);
    this.cameraOf.set(viewerId, cameraId);
    return { viewerId, offer: { type: 'offer' as const, sdp: `offer-for-${cameraId}` } };
  }
  async answerViewer(viewerId: string, answer: { type: 'answer'; sdp: string }) {
    if (!this.open.has(viewerId)) throw new NotFoundError('no viewer');
    this.calls.push(`answer ${viewerId} ${answer.sdp.slice(0, 3)}`);
  }
  async closeViewer(viewerId: string) {
    if (!this.open.delete(viewerId)) throw new NotFoundError('no viewer');
    this.calls.push(`close ${viewerId}`);
  }
  onViewerClosed(listener: (e: { viewerId: string; cameraId: string; reason: string }) => void) {
    if (this.listener) throw new Error('one listener expected');
    this.listener = listener;
    return () => undefined;
  }
  /** The relay ends a viewer by itself (timeout, hang-up). */
  end(viewerId: string, reason: string) {
    this.open.delete(viewerId);
    this.listener!({ viewerId, cameraId: this.cameraOf.get(viewerId)!, reason });
  }
}

function camera(id: string, enabled = true): CameraRecord {
  return { id, name: `Camera ${id}`, enabled } as CameraRecord;
}

function setup(options: { failAudit?: boolean; maxViewersPerUser?: number } = {}) {
  const relay = new FakeRelay();
  const cameras = new Map([
    ['cam-1', camera('cam-1')],
    ['cam-off', camera('cam-off', false)],
  ]);
  const audit: NewAuditEntry[] = [];
  let clock = 1_000_000;
  const live = new LiveService({
    relay,
    cameras: { findById: async (id: string) => cameras.get(id) },
    audit: {
      append: async (entry: NewAuditEntry) => {
        if (options.failAudit) throw new Error('database down');
        audit.push(entry);
      },
    },
    log,
    maxViewersPerUser: options.maxViewersPerUser,
    now: () => clock,
  });
  return { relay, live, audit, advance: (ms: number) => (clock += ms) };
}

async function rejection(promise: Promise<unknown>): Promise<ArgusError> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e as ArgusError,
  );
}

describe('LiveService', () => {
  it('opens a viewer of an enabled camera and audits it (live.open with camera and user)', async () => {
    const { relay, live, audit } = setup();
    const offer = await live.open('cam-1', ALICE, META);
    expect(offer).toEqual({ viewerId: '00000000-0000-4000-8000-000000000001', cameraId: 'cam-1', type: 'offer', sdp: 'offer-for-cam-1' });
    expect(relay.calls).toEqual(['open cam-1']);
    expect(audit).toEqual([
      {
        userId: 'u-alice',
        username: 'alice',
        action: 'live.open',
        targetType: 'camera',
        targetId: 'cam-1',
        detail: { viewerId: offer.viewerId, cameraName: 'Camera cam-1' },
        ip: '127.0.0.9',
      },
    ]);
    expect(live.viewerCount()).toBe(1);
  });

  it('refuses unknown and disabled cameras without asking the relay', async () => {
    const { relay, live, audit } = setup();
    expect((await rejection(live.open('nope', ALICE, META))).code).toBe(ERROR_CODES.NOT_FOUND);
    const disabled = await rejection(live.open('cam-off', ALICE, META));
    expect(disabled.code).toBe(ERROR_CODES.CONFLICT);
    expect(disabled.message).toMatch(/disabled/);
    expect(relay.calls).toEqual([]);
    expect(audit).toEqual([]);
  });

  it('lets only the user who opened a viewer answer or close it', async () => {
    const { relay, live } = setup();
    const { viewerId } = await live.open('cam-1', ALICE, META);
    expect((await rejection(live.answer(viewerId, ANSWER, BOB))).code).toBe(ERROR_CODES.FORBIDDEN);
    expect((await rejection(live.close(viewerId, BOB, META))).code).toBe(ERROR_CODES.FORBIDDEN);
    // The same user in another session (another tab or device) may.
    await live.answer(viewerId, ANSWER, { ...ALICE, sessionId: 's-alice-2' });
    expect(relay.calls).toEqual(['open cam-1', `answer ${viewerId} v=0`]);
    expect((await rejection(live.answer('00000000-0000-4000-8000-0000000000ff', ANSWER, ALICE))).code).toBe(ERROR_CODES.NOT_FOUND);
  });

  it('closes a viewer and audits live.close with how long it was watched', async () => {
    const { relay, live, audit, advance } = setup();
    const { viewerId } = await live.open('cam-1', ALICE, META);
    advance(83_250);
    await live.close(viewerId, ALICE, { ip: '127.0.0.10', userAgent: null });
    expect(relay.open.size).toBe(0);
    expect(audit[1]).toEqual({
      userId: 'u-alice',
      username: 'alice',
      action: 'live.close',
      targetType: 'camera',
      targetId: 'cam-1',
      detail: { viewerId, durationMs: 83_250, reason: 'closed' },
      ip: '127.0.0.10',
    });
    expect((await rejection(live.close(viewerId, ALICE, META))).code).toBe(ERROR_CODES.NOT_FOUND);
    expect(audit).toHaveLength(2);
  });

  it('audits viewers the relay ends by itself once, with the reason', async () => {
    const { relay, live, audit, advance } = setup();
    const { viewerId } = await live.open('cam-1', ALICE, META);
    advance(30_000);
    relay.end(viewerId, 'answer-timeout');
    await new Promise((r) => setImmediate(r));
    expect(audit.map((a) => [a.action, a.detail])).toEqual([
      ['live.open', { viewerId, cameraName: 'Camera cam-1' }],
      ['live.close', { viewerId, durationMs: 30_000, reason: 'answer-timeout' }],
    ]);
    expect(live.viewerCount()).toBe(0);
    expect((await rejection(live.answer(viewerId, ANSWER, ALICE))).code).toBe(ERROR_CODES.NOT_FOUND);
  });

  it('closes the viewers of a login session when it ends, and only those', async () => {
    const { relay, live, audit } = setup();
    const a1 = await live.open('cam-1', ALICE, META);
    const a2 = await live.open('cam-1', ALICE, META);
    const b1 = await live.open('cam-1', BOB, META);
    expect(await live.closeSessionViewers(ALICE.sessionId)).toBe(2);
    expect([...relay.open]).toEqual([b1.viewerId]);
    expect(
      audit
        .filter((a) => a.action === 'live.close')
        .map((a) => (a.detail as { viewerId: string }).viewerId)
        .sort(),
    ).toEqual([a1.viewerId, a2.viewerId].sort());
    expect(audit.filter((a) => a.action === 'live.close').every((a) => (a.detail as { reason: string }).reason === 'logout')).toBe(true);
  });

  it('closes the viewer again when its opening cannot be audited', async () => {
    const { relay, live } = setup({ failAudit: true });
    await expect(live.open('cam-1', ALICE, META)).rejects.toThrow(/database down/);
    expect(relay.open.size).toBe(0);
    expect(live.viewerCount()).toBe(0);
  });

  it('limits how many viewers one user holds', async () => {
    const { live } = setup({ maxViewersPerUser: 2 });
    await live.open('cam-1', ALICE, META);
    await live.open('cam-1', ALICE, META);
    const err = await rejection(live.open('cam-1', ALICE, META));
    expect(err.code).toBe(ERROR_CODES.CONFLICT);
    await live.open('cam-1', BOB, META);
  });
});
