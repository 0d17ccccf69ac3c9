import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../../config/logger.ts';
import { ERROR_CODES, type ArgusError } from '../../../contracts/errors.ts';
import { JanusClient } from '../../../ingest/relay/janus.client.ts';
import {
  JanusRelay,
  keepLoopbackCandidates,
  type JanusRelayOptions,
  type RelayDirectoryPort,
  type ViewerClosedEvent,
} from '../../../ingest/relay/live-relay.ts';
import type { RelayLocation } from '../../../storage/relay-directory.ts';
import { FakeJanus } from './fake-janus.ts';

const log = createLogger({ log: { level: 'silent', pretty: false } });
const ANSWER = {
  type: 'answer' as const,
  sdp: 'v=0\r\no=- 2 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=candidate:1 1 udp 2113937151 192.0.2.2 50000 typ host\r\na=candidate:2 1 udp 2113937151 127.0.0.1 50001 typ host\r\na=candidate:3 1 udp 2113937151 4f1c2e0a-1b2c-4d5e-8f90-123456789abc.local 50002 typ host\r\na=recvonly\r\n',
};

const relays: JanusRelay[] = [];
afterEach(async () => {
  while (relays.length) await relays.pop()!.close();
});

function setup(options: Partial<JanusRelayOptions> = {}) {
  const janus = new FakeJanus();
  const client = new JanusClient({ transport: janus, apiSecret: janus.apiSecret, streamingAdminKey: janus.adminKey, log });
  const relay = new JanusRelay({ client, rtpHost: '127.0.0.1', rtpPorts: { min: 20000, max: 20999 }, log, ...options });
  relays.push(relay);
  const closed: ViewerClosedEvent[] = [];
  relay.onViewerClosed((e) => closed.push(e));
  return { janus, relay, closed };
}

async function rejection(promise: Promise<unknown>): Promise<ArgusError> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e as ArgusError,
  );
}

describe('JanusRelay: cameras', () => {
  it('gives each camera a mountpoint on its own even port (the odd one is its RTCP), the same on every call', async () => {
    const { janus, relay } = setup({ rtpPorts: { min: 20001, max: 20999 } });
    const a = await relay.ensureCamera('cam-a');
    const b = await relay.ensureCamera('cam-b');
    expect(a).toEqual({ rtpHost: '127.0.0.1', rtpPort: 20002, mountpointId: 1 });
    expect(b).toEqual({ rtpHost: '127.0.0.1', rtpPort: 20004, mountpointId: 2 });
    expect(await relay.ensureCamera('cam-a')).toEqual(a);
    const [create] = janus.pluginRequests('create');
    expect(create).toMatchObject({ type: 'rtp', id: 1, permanent: false, media: [{ port: 20002, pt: 96, codec: 'h264', iface: '127.0.0.1', fmtp: 'profile-level-id=42e01f;packetization-mode=1' }] });
    expect(janus.pluginRequests('create')).toHaveLength(2);
  });

  it('creates one mountpoint when the same camera is asked for twice at once', async () => {
    const { janus, relay } = setup();
    const [a, b] = await Promise.all([relay.ensureCamera('cam'), relay.ensureCamera('cam')]);
    expect(a).toEqual(b);
    expect(janus.pluginRequests('create')).toHaveLength(1);
  });

  it('moves a new camera to the next port when another program holds its port', async () => {
    const { janus, relay } = setup();
    janus.busyPorts.add(20000);
    expect(await relay.ensureCamera('cam')).toEqual({ rtpHost: '127.0.0.1', rtpPort: 20002, mountpointId: 2 });
  });

  it('says when the port range is used up', async () => {
    const { relay } = setup({ rtpPorts: { min: 20000, max: 20003 } });
    await relay.ensureCamera('a');
    await relay.ensureCamera('b');
    const err = await rejection(relay.ensureCamera('c'));
    expect(err.code).toBe(ERROR_CODES.UNAVAILABLE);
    expect(err.message).toMatch(/No free RTP port .* 20000-20003/);
  });

  it('removes a camera: its viewers close, its mountpoint goes, its port is free again', async () => {
    const { janus, relay, closed } = setup();
    await relay.ensureCamera('cam');
    const { viewerId } = await relay.openViewer('cam');
    await relay.removeCamera('cam');
    expect(closed).toEqual([{ viewerId, cameraId: 'cam', reason: 'camera-removed' }]);
    expect(janus.mountpoints.size).toBe(0);
    expect(await relay.ensureCamera('other')).toMatchObject({ rtpPort: 20000 });
    await relay.removeCamera('unknown'); // nothing happens
  });

  it('opens a new admin session when Janus forgot the old one (it timed out)', async () => {
    const { janus, relay } = setup();
    await relay.ensureCamera('a');
    expect(janus.sessions.size).toBe(1);
    janus.sessions.clear();
    expect(await relay.ensureCamera('b')).toMatchObject({ rtpPort: 20002 });
    expect(janus.sessions.size).toBe(1);
    expect(janus.posts('create')).toHaveLength(2);
  });

  it('lists the mountpoints Janus has', async () => {
    const { relay } = setup();
    await relay.ensureCamera('cam');
    expect(await relay.listMountpoints()).toEqual([{ id: 1, description: 'camera cam', enabled: true, videoAgeMs: 40 }]);
  });
});

describe('JanusRelay: viewers', () => {
  it('opens a viewer with its own Janus session, answers it and closes it', async () => {
    const { janus, relay, closed } = setup();
    await relay.ensureCamera('cam');
    const { viewerId, offer } = await relay.openViewer('cam');
    expect(viewerId).toMatch(/^[0-9a-f-]{36}$/);
    expect(offer.type).toBe('offer');
    expect(offer.sdp).toContain('a=candidate:1 1 udp 2015363327 127.0.0.1');
    expect(relay.viewerCount()).toBe(1);
    expect(janus.sessions.size).toBe(2); // admin + viewer

    await relay.answerViewer(viewerId, ANSWER);
    expect(janus.pluginRequests('start')).toHaveLength(1);
    expect(janus.answers.size).toBe(1);
    expect((await rejection(relay.answerViewer(viewerId, ANSWER))).code).toBe(ERROR_CODES.CONFLICT);

    await relay.closeViewer(viewerId);
    expect(closed).toEqual([{ viewerId, cameraId: 'cam', reason: 'closed' }]);
    expect(relay.viewerCount()).toBe(0);
    expect(janus.sessions.size).toBe(1);
    expect((await rejection(relay.closeViewer(viewerId))).code).toBe(ERROR_CODES.NOT_FOUND);
  });

  it('hands the browser answer on unchanged, or with loopback candidates only when ICE is loopback-only', async () => {
    const plain = setup();
    await plain.relay.ensureCamera('cam');
    const v1 = await plain.relay.openViewer('cam');
    await plain.relay.answerViewer(v1.viewerId, ANSWER);
    expect([...plain.janus.answers.values()]).toEqual([ANSWER.sdp]);

    const loop = setup({ loopbackAnswers: true });
    await loop.relay.ensureCamera('cam');
    const v2 = await loop.relay.openViewer('cam');
    await loop.relay.answerViewer(v2.viewerId, ANSWER);
    const sent = [...loop.janus.answers.values()][0]!;
    expect(sent.split('\r\n').filter((l) => l.startsWith('a=candidate'))).toEqual(['a=candidate:2 1 udp 2113937151 127.0.0.1 50001 typ host']);
    expect(sent).toBe(keepLoopbackCandidates(ANSWER.sdp));
    expect(sent).toContain('a=recvonly\r\n');
  });

  it('refuses viewers of a camera without a stream on the relay', async () => {
    const { relay } = setup();
    const err = await rejection(relay.openViewer('cam'));
    expect(err.code).toBe(ERROR_CODES.UNAVAILABLE);
    expect(err.message).toMatch(/no live stream on the relay/);
  });

  it('closes a viewer that is not answered in time, and its Janus session', async () => {
    const { janus, relay, closed } = setup({ viewerAnswerTimeoutMs: 60 });
    await relay.ensureCamera('cam');
    const { viewerId } = await relay.openViewer('cam');
    await vi.waitFor(() => expect(closed).toEqual([{ viewerId, cameraId: 'cam', reason: 'answer-timeout' }]), { timeout: 2000 });
    expect(relay.viewerCount()).toBe(0);
    expect(janus.sessions.size).toBe(1);
    expect((await rejection(relay.answerViewer(viewerId, ANSWER))).code).toBe(ERROR_CODES.NOT_FOUND);
  });

  it('keeps an answered viewer past the answer timeout', async () => {
    const { relay, closed } = setup({ viewerAnswerTimeoutMs: 60 });
    await relay.ensureCamera('cam');
    const { viewerId } = await relay.openViewer('cam');
    await relay.answerViewer(viewerId, ANSWER);
    await new Promise((r) => setTimeout(r, 150));
    expect(closed).toEqual([]);
    expect(relay.viewerCount()).toBe(1);
  });

  it('closes a viewer whose PeerConnection hangs up (the browser went away)', async () => {
    const { janus, relay, closed } = setup();
    await relay.ensureCamera('cam');
    const { viewerId } = await relay.openViewer('cam');
    await relay.answerViewer(viewerId, ANSWER);
    const handleId = [...janus.answers.keys()][0]!;
    janus.pushEvent(janus.sessionOfHandle(handleId), { janus: 'hangup', sender: handleId, reason: 'DTLS alert' });
    await vi.waitFor(() => expect(closed).toEqual([{ viewerId, cameraId: 'cam', reason: 'hangup' }]));
    expect(relay.viewerCount()).toBe(0);
  });

  it('closes the viewer when Janus refuses its answer', async () => {
    const { relay, closed } = setup();
    await relay.ensureCamera('cam');
    const { viewerId } = await relay.openViewer('cam');
    const err = await rejection(relay.answerViewer(viewerId, { type: 'answer', sdp: 'not sdp at all' }));
    expect(err.code).toBe(ERROR_CODES.VALIDATION);
    expect(closed).toEqual([{ viewerId, cameraId: 'cam', reason: 'answer-refused' }]);
  });
});

describe('JanusRelay: life cycle', () => {
  it('after a Janus restart closes the viewers and creates every mountpoint again on the same id and port', async () => {
    const { janus, relay, closed } = setup();
    const input = await relay.ensureCamera('cam');
    await relay.ensureCamera('cam-2');
    const { viewerId } = await relay.openViewer('cam');
    janus.restart();
    await relay.recover();
    expect(closed).toEqual([{ viewerId, cameraId: 'cam', reason: expect.stringMatching(/relay-restarted|session-lost/) }]);
    expect([...janus.mountpoints.values()].map((m) => [m.id, m.port]).sort()).toEqual([
      [1, 20000],
      [2, 20002],
    ]);
    expect(await relay.ensureCamera('cam')).toEqual(input);
    const again = await relay.openViewer('cam');
    expect(again.offer.type).toBe('offer');
  });

  it('closes every viewer and mountpoint once, then refuses new work', async () => {
    const { janus, relay, closed } = setup();
    await relay.ensureCamera('a');
    await relay.ensureCamera('b');
    const v1 = await relay.openViewer('a');
    const v2 = await relay.openViewer('b');
    await Promise.all([relay.close(), relay.close()]);
    expect(closed.map((e) => [e.viewerId, e.reason]).sort()).toEqual(
      [
        [v1.viewerId, 'relay-closed'],
        [v2.viewerId, 'relay-closed'],
      ].sort(),
    );
    expect(janus.mountpoints.size).toBe(0);
    expect(janus.sessions.size).toBe(0);
    expect(janus.pluginRequests('destroy')).toHaveLength(2);
    const before = janus.requests.length;
    await relay.close();
    expect(janus.requests.length).toBe(before);
    expect((await rejection(relay.openViewer('a'))).code).toBe(ERROR_CODES.UNAVAILABLE);
    expect((await rejection(relay.ensureCamera('c'))).code).toBe(ERROR_CODES.UNAVAILABLE);
  });
});

/** The relay directory at its boundary: an in-memory map of camera → location (the Redis one is tested in integration). */
class MemoryDirectory implements RelayDirectoryPort {
  constructor(
    private readonly records: Map<string, RelayLocation>,
    readonly owner: string,
  ) {}
  async publish(location: Omit<RelayLocation, 'owner'>): Promise<void> {
    this.records.set(location.cameraId, { ...location, owner: this.owner });
  }
  async withdraw(cameraId: string): Promise<void> {
    if (this.records.get(cameraId)?.owner === this.owner) this.records.delete(cameraId);
  }
  async lookup(cameraId: string): Promise<RelayLocation | null> {
    return this.records.get(cameraId) ?? null;
  }
}

const INGEST_URL = 'http://10.20.0.5:8188/janus';

/** An ingest relay (its own Janus, publishing) and an API relay without Janus, sharing a directory. */
function twoRelays(options: { apiOptions?: Partial<JanusRelayOptions>; loopbackIce?: boolean } = {}) {
  const records = new Map<string, RelayLocation>();
  const ingest = setup({
    directory: new MemoryDirectory(records, 'ingest-1'),
    advertise: { apiUrl: INGEST_URL, apiSecret: 'test-api-secret', loopbackIce: options.loopbackIce ?? false },
  });
  const remoteClients: Array<{ apiUrl: string; apiSecret: string }> = [];
  const api = new JanusRelay({
    client: null,
    rtpHost: '127.0.0.1',
    rtpPorts: { min: 20000, max: 20999 },
    directory: new MemoryDirectory(records, 'api-1'),
    remoteClient: (location) => {
      remoteClients.push(location);
      if (location.apiUrl !== INGEST_URL) throw new Error(`no Janus at ${location.apiUrl}`);
      return new JanusClient({ transport: ingest.janus, apiSecret: location.apiSecret, streamingAdminKey: '', log });
    },
    log,
    ...options.apiOptions,
  });
  relays.push(api);
  const closed: ViewerClosedEvent[] = [];
  api.onViewerClosed((e) => closed.push(e));
  return { records, ingest, api, closed, remoteClients };
}

describe('JanusRelay: viewers on another process relay', () => {
  it('publishes each mountpoint it creates with its API URL and secret, and withdraws it with the camera', async () => {
    const { records, ingest } = twoRelays();
    await ingest.relay.ensureCamera('cam');
    expect(records.get('cam')).toEqual({ cameraId: 'cam', apiUrl: INGEST_URL, apiSecret: 'test-api-secret', mountpointId: 1, loopbackIce: false, owner: 'ingest-1' });
    await ingest.relay.removeCamera('cam');
    expect(records.has('cam')).toBe(false);
    await ingest.relay.ensureCamera('cam-2');
    await ingest.relay.close();
    expect(records.size).toBe(0);
  });

  it('publishes nothing for a camera whose mountpoint Janus refused', async () => {
    const { records, ingest } = twoRelays();
    ingest.janus.down = true;
    await expect(ingest.relay.ensureCamera('cam')).rejects.toThrow(/not answering/);
    expect(records.size).toBe(0);
  });

  it('a relay without Janus opens the viewer on the relay that published the camera; answer and close go there too', async () => {
    const { ingest, api, closed, remoteClients } = twoRelays();
    await ingest.relay.ensureCamera('cam');
    const sessionsBefore = ingest.janus.sessions.size;
    const { viewerId, offer } = await api.openViewer('cam');
    expect(offer.sdp).toContain('a=candidate:1 1 udp 2015363327 127.0.0.1');
    expect(ingest.janus.sessions.size).toBe(sessionsBefore + 1);
    expect(ingest.janus.pluginRequests('watch')).toEqual([{ request: 'watch', id: 1 }]);
    expect(api.status()).toMatchObject({ ownJanus: false, janus: null, cameras: [], viewers: 1, remoteViewers: 1 });
    expect(ingest.relay.viewerCount()).toBe(0);

    await api.answerViewer(viewerId, ANSWER);
    expect([...ingest.janus.answers.values()]).toEqual([ANSWER.sdp]);
    expect((await rejection(api.answerViewer(viewerId, ANSWER))).code).toBe(ERROR_CODES.CONFLICT);
    await api.closeViewer(viewerId);
    expect(closed).toEqual([{ viewerId, cameraId: 'cam', reason: 'closed' }]);
    expect(ingest.janus.sessions.size).toBe(sessionsBefore);

    // One client per relay, reused.
    await api.openViewer('cam');
    expect(remoteClients).toHaveLength(1);
  });

  it('cuts the answer down to loopback candidates when the other relay has loopback-only ICE', async () => {
    const { ingest, api } = twoRelays({ loopbackIce: true });
    await ingest.relay.ensureCamera('cam');
    const { viewerId } = await api.openViewer('cam');
    await api.answerViewer(viewerId, ANSWER);
    expect([...ingest.janus.answers.values()]).toEqual([keepLoopbackCandidates(ANSWER.sdp)]);
  });

  it('closes a remote viewer that is not answered in time, or whose PeerConnection hangs up', async () => {
    const { ingest, api, closed } = twoRelays({ apiOptions: { viewerAnswerTimeoutMs: 60 } });
    await ingest.relay.ensureCamera('cam');
    const first = await api.openViewer('cam');
    await vi.waitFor(() => expect(closed).toEqual([{ viewerId: first.viewerId, cameraId: 'cam', reason: 'answer-timeout' }]), { timeout: 2000 });
    expect(ingest.janus.sessions.size).toBe(1); // the admin session only

    const second = await api.openViewer('cam');
    await api.answerViewer(second.viewerId, ANSWER);
    const handleId = [...ingest.janus.answers.keys()][0]!;
    ingest.janus.pushEvent(ingest.janus.sessionOfHandle(handleId), { janus: 'hangup', sender: handleId, reason: 'DTLS alert' });
    await vi.waitFor(() => expect(closed.at(-1)).toEqual({ viewerId: second.viewerId, cameraId: 'cam', reason: 'hangup' }));
    expect(api.viewerCount()).toBe(0);
  });

  it('answers the same 503 as before when no relay has the camera, and refuses camera inputs', async () => {
    const { api } = twoRelays();
    const err = await rejection(api.openViewer('cam'));
    expect(err.code).toBe(ERROR_CODES.UNAVAILABLE);
    expect(err.message).toBe('Camera cam has no live stream on the relay yet: its ingest session is not running. Try again when the camera is online.');
    const refused = await rejection(api.ensureCamera('cam'));
    expect(refused.code).toBe(ERROR_CODES.UNAVAILABLE);
    expect(refused.message).toMatch(/no live video relay of its own/);
    expect(await api.listMountpoints()).toEqual([]);
  });

  it('answers 503 when the published relay no longer has the mountpoint or cannot be reached', async () => {
    const { records, ingest, api } = twoRelays();
    await ingest.relay.ensureCamera('cam');
    ingest.janus.mountpoints.clear(); // its Janus lost it (restarted) before the relay noticed
    const gone = await rejection(api.openViewer('cam'));
    expect(gone.code).toBe(ERROR_CODES.UNAVAILABLE);
    expect(gone.message).toMatch(/^Camera cam has no live stream on the relay yet: the relay of another Argus process that had it \(http:\/\/10\.20\.0\.5:8188\/janus\)/);
    expect(ingest.janus.sessions.size).toBe(1); // the viewer's session there was ended

    records.set('cam', { ...records.get('cam')!, apiUrl: 'http://10.20.0.9:8188/janus' });
    await expect(api.openViewer('cam')).rejects.toThrow(/no Janus at/);
  });

  it('uses its own mountpoint when it has one, the directory otherwise, and ignores a stale record of its own', async () => {
    const records = new Map<string, RelayLocation>();
    const own = setup({ directory: new MemoryDirectory(records, 'both-1'), advertise: { apiUrl: 'http://127.0.0.1:1/janus', apiSecret: 'x', loopbackIce: true } });
    await own.relay.ensureCamera('cam');
    await own.relay.openViewer('cam');
    expect(own.relay.status().remoteViewers).toBe(0);
    records.set('gone', { cameraId: 'gone', apiUrl: 'http://127.0.0.1:1/janus', apiSecret: 'x', mountpointId: 9, loopbackIce: true, owner: 'both-1' });
    expect((await rejection(own.relay.openViewer('gone'))).message).toMatch(/no live stream on the relay yet: its ingest session/);
  });

  it('a restart of its own Janus leaves the viewers on other relays open; close() ends them', async () => {
    const { records, ingest } = twoRelays();
    await ingest.relay.ensureCamera('cam');
    const own = new FakeJanus();
    const both = new JanusRelay({
      client: new JanusClient({ transport: own, apiSecret: own.apiSecret, streamingAdminKey: own.adminKey, log }),
      rtpHost: '127.0.0.1',
      rtpPorts: { min: 20000, max: 20999 },
      directory: new MemoryDirectory(records, 'both-2'),
      remoteClient: (location) => new JanusClient({ transport: ingest.janus, apiSecret: location.apiSecret, streamingAdminKey: '', log }),
      log,
    });
    relays.push(both);
    const events: ViewerClosedEvent[] = [];
    both.onViewerClosed((e) => events.push(e));
    const remote = await both.openViewer('cam');
    await both.ensureCamera('local-cam');
    const local = await both.openViewer('local-cam');
    expect(both.status()).toMatchObject({ ownJanus: true, viewers: 2, remoteViewers: 1 });
    own.restart();
    await both.recover();
    expect(events).toEqual([{ viewerId: local.viewerId, cameraId: 'local-cam', reason: expect.stringMatching(/relay-restarted|session-lost/) }]);
    expect(both.status().remoteViewers).toBe(1);
    await both.close();
    expect(events.at(-1)).toEqual({ viewerId: remote.viewerId, cameraId: 'cam', reason: 'relay-closed' });
    expect(ingest.janus.sessions.size).toBe(1); // the ingest relay's admin session only
  });
});
