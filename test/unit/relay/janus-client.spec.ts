import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../../config/logger.ts';
import { ArgusError, ERROR_CODES } from '../../../contracts/errors.ts';
import { codecFromRtpmap, JanusClient, type JanusSession } from '../../../ingest/relay/janus.client.ts';
import { JanusError } from '../../../ingest/relay/janus.errors.ts';
import { FAKE_OFFER_SDP, FakeJanus } from './fake-janus.ts';

const log = createLogger({ log: { level: 'silent', pretty: false } });
const ANSWER_SDP = 'v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=recvonly\r\n';

function setup(options: { keepaliveMs?: number; eventTimeoutMs?: number } = {}) {
  const janus = new FakeJanus();
  const client = new JanusClient({ transport: janus, apiSecret: janus.apiSecret, streamingAdminKey: janus.adminKey, log, ...options });
  return { janus, client };
}

const sessions: JanusSession[] = [];
afterEach(async () => {
  vi.useRealTimers();
  while (sessions.length) await sessions.pop()!.destroy();
});

async function open(client: JanusClient): Promise<JanusSession> {
  const session = await client.createSession();
  sessions.push(session);
  return session;
}

describe('Janus HTTP client: message shapes', () => {
  it('creates a session and attaches the streaming plugin, each with a transaction and the API secret', async () => {
    const { janus, client } = setup();
    const session = await open(client);
    const handle = await session.attachStreaming();
    const [create, attach] = janus.posts();
    expect(create).toEqual({ method: 'POST', path: '', body: { janus: 'create', transaction: expect.stringMatching(/^[\w-]{12}$/), apisecret: janus.apiSecret } });
    expect(attach).toEqual({
      method: 'POST',
      path: `/${session.id}`,
      body: { janus: 'attach', plugin: 'janus.plugin.streaming', transaction: expect.any(String), apisecret: janus.apiSecret },
    });
    expect(create!.body!.transaction).not.toBe(attach!.body!.transaction);
    expect(handle.id).toBeGreaterThan(0);
  });

  it('creates an RTP mountpoint with one H.264 video stream (not permanent), lists and destroys it', async () => {
    const { janus, client } = setup();
    const handle = await (await open(client)).attachStreaming();
    const created = await handle.createMountpoint({
      id: 7,
      description: 'camera gate-7',
      videoPort: 20000,
      videoHost: '127.0.0.1',
      videoPayloadType: 96,
      videoRtpmap: 'H264/90000',
      videoFmtp: 'profile-level-id=42e01f;packetization-mode=1',
      bufferKeyframe: true,
    });
    expect(created).toEqual({ id: 7, description: 'camera gate-7', videoPort: 20000 });
    const message = janus.posts('message')[0]!;
    expect(message.path).toBe(`/${sessions[0]!.id}/${handle.id}`);
    expect(message.body).toEqual({
      janus: 'message',
      transaction: expect.any(String),
      apisecret: janus.apiSecret,
      body: {
        request: 'create',
        admin_key: janus.adminKey,
        type: 'rtp',
        id: 7,
        description: 'camera gate-7',
        is_private: false,
        permanent: false,
        media: [
          { type: 'video', mid: 'v', label: 'video', port: 20000, pt: 96, codec: 'h264', fmtp: 'profile-level-id=42e01f;packetization-mode=1', iface: '127.0.0.1', bufferkf: true },
        ],
      },
    });
    expect(await handle.listMountpoints()).toEqual([{ id: 7, description: 'camera gate-7', enabled: true, videoAgeMs: 40 }]);
    await handle.destroyMountpoint(7);
    expect(janus.pluginRequests('destroy')).toEqual([{ request: 'destroy', id: 7, permanent: false }]);
    expect(janus.mountpoints.size).toBe(0);
  });

  it('watches a mountpoint: the offer arrives on the long poll, matched by transaction; start sends the answer as JSEP', async () => {
    const { janus, client } = setup();
    const admin = await (await open(client)).attachStreaming();
    await admin.createMountpoint({ id: 3, description: 'c', videoPort: 20002, videoPayloadType: 96, videoRtpmap: 'H264/90000' });
    const viewerSession = await open(client);
    const viewer = await viewerSession.attachStreaming();
    const offer = await viewer.watch(3);
    expect(offer).toEqual({ type: 'offer', sdp: FAKE_OFFER_SDP });
    expect(janus.pluginRequests('watch')).toEqual([{ request: 'watch', id: 3 }]);
    const poll = janus.requests.find((r) => r.method === 'GET' && r.path === `/${viewerSession.id}`);
    expect(poll?.query).toEqual({ maxev: '10', apisecret: janus.apiSecret });

    await viewer.start({ type: 'answer', sdp: ANSWER_SDP });
    const start = janus.posts('message').find((r) => (r.body!.body as { request: string }).request === 'start')!;
    expect(start.body).toMatchObject({ janus: 'message', body: { request: 'start' }, jsep: { type: 'answer', sdp: ANSWER_SDP } });
    expect(janus.answers.get(viewer.id)).toBe(ANSWER_SDP);
  });

  it('passes handle events (hangup, webrtcup) that answer no request to the handle', async () => {
    const { janus, client } = setup();
    const admin = await (await open(client)).attachStreaming();
    await admin.createMountpoint({ id: 4, description: 'c', videoPort: 20004, videoPayloadType: 96, videoRtpmap: 'H264/90000' });
    const session = await open(client);
    const viewer = await session.attachStreaming();
    const events: unknown[] = [];
    viewer.onEvent((e) => events.push(e));
    await viewer.watch(4);
    janus.pushEvent(session.id, { janus: 'webrtcup', sender: viewer.id });
    janus.pushEvent(session.id, { janus: 'hangup', sender: viewer.id, reason: 'DTLS alert' });
    await vi.waitFor(() => expect(events).toEqual([{ kind: 'webrtcup' }, { kind: 'hangup', reason: 'DTLS alert' }]));
  });

  it('sends a keepalive every 25 s and stops after destroy, which is sent once', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { janus, client } = setup();
    const session = await client.createSession();
    vi.advanceTimersByTime(24_999);
    expect(janus.posts('keepalive')).toHaveLength(0);
    vi.advanceTimersByTime(1);
    await vi.waitFor(() => expect(janus.posts('keepalive')).toHaveLength(1));
    expect(janus.posts('keepalive')[0]).toEqual({ method: 'POST', path: `/${session.id}`, body: { janus: 'keepalive', transaction: expect.any(String), apisecret: janus.apiSecret } });
    vi.advanceTimersByTime(25_000);
    await vi.waitFor(() => expect(janus.posts('keepalive')).toHaveLength(2));

    await Promise.all([session.destroy(), session.destroy()]);
    expect(janus.posts('destroy')).toEqual([{ method: 'POST', path: `/${session.id}`, body: { janus: 'destroy', transaction: expect.any(String), apisecret: janus.apiSecret } }]);
    expect(session.closed).toBe(true);
    vi.advanceTimersByTime(100_000);
    expect(janus.posts('keepalive')).toHaveLength(2);
  });

  it('maps video rtpmaps to Janus codec names', () => {
    expect(codecFromRtpmap('H264/90000')).toBe('h264');
    expect(codecFromRtpmap('VP8/90000')).toBe('vp8');
    expect(() => codecFromRtpmap('PCMU/8000')).toThrow(ArgusError);
    expect(() => codecFromRtpmap('H264')).toThrow(/Unsupported video rtpmap/);
  });
});

describe('Janus HTTP client: errors', () => {
  async function rejection(promise: Promise<unknown>): Promise<JanusError> {
    const err = await promise.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(JanusError);
    return err as JanusError;
  }

  it('turns streaming plugin errors into ArgusErrors: an unknown mountpoint is NOT_FOUND', async () => {
    const { client } = setup();
    const handle = await (await open(client)).attachStreaming();
    const err = await rejection(handle.destroyMountpoint(99));
    expect(err).toMatchObject({ code: ERROR_CODES.NOT_FOUND, source: 'streaming', janusCode: 455 });
    expect(err.message).toMatch(/could not destroy mountpoint 99: No such mountpoint\/stream 99 \(streaming error 455\)/);
    const watchErr = await rejection(handle.watch(99));
    expect(watchErr).toMatchObject({ code: ERROR_CODES.NOT_FOUND, janusCode: 455 });
  });

  it('reports a port another program holds as a CONFLICT', async () => {
    const { janus, client } = setup();
    janus.busyPorts.add(20010);
    const handle = await (await open(client)).attachStreaming();
    const err = await rejection(handle.createMountpoint({ id: 1, description: 'c', videoPort: 20010, videoPayloadType: 96, videoRtpmap: 'H264/90000' }));
    expect(err).toMatchObject({ code: ERROR_CODES.CONFLICT, janusCode: 456 });
  });

  it('turns a refused SDP answer into a VALIDATION error', async () => {
    const { client } = setup();
    const admin = await (await open(client)).attachStreaming();
    await admin.createMountpoint({ id: 5, description: 'c', videoPort: 20006, videoPayloadType: 96, videoRtpmap: 'H264/90000' });
    const viewer = await (await open(client)).attachStreaming();
    await viewer.watch(5);
    const err = await rejection(viewer.start({ type: 'answer', sdp: 'garbage' }));
    expect(err).toMatchObject({ code: ERROR_CODES.VALIDATION, source: 'core', janusCode: 465 });
  });

  it('says when the API secret is wrong, and when Janus does not answer at all', async () => {
    const janus = new FakeJanus();
    const wrong = new JanusClient({ transport: janus, apiSecret: 'not-the-secret', streamingAdminKey: janus.adminKey, log });
    const err = await rejection(wrong.createSession());
    expect(err).toMatchObject({ code: ERROR_CODES.INTERNAL, janusCode: 403 });
    expect(err.message).toMatch(/API secret/);

    janus.down = true;
    const right = new JanusClient({ transport: janus, apiSecret: janus.apiSecret, streamingAdminKey: janus.adminKey, log });
    const down = await rejection(right.createSession());
    expect(down).toMatchObject({ code: ERROR_CODES.UNAVAILABLE, source: 'transport' });
    expect(down.message).toMatch(/not answering.*ECONNREFUSED/);
  });

  it('reports a session lost when Janus restarts, and fails the requests waiting on it', async () => {
    const { janus, client } = setup();
    const admin = await (await open(client)).attachStreaming();
    await admin.createMountpoint({ id: 6, description: 'c', videoPort: 20008, videoPayloadType: 96, videoRtpmap: 'H264/90000' });
    const session = await open(client);
    const viewer = await session.attachStreaming();
    await viewer.watch(6);
    const lost = vi.fn();
    session.onLost(lost);
    janus.restart();
    await vi.waitFor(() => expect(lost).toHaveBeenCalledTimes(1));
    expect(lost.mock.calls[0]![0]).toMatch(/no longer knows the session/);
    expect(session.closed).toBe(true);
    const err = await rejection(viewer.start({ type: 'answer', sdp: ANSWER_SDP }));
    expect(err.code).toBe(ERROR_CODES.NOT_FOUND);
  });

  it('gives up waiting for an asynchronous answer after the event timeout', async () => {
    const { janus, client } = setup({ eventTimeoutMs: 50 });
    const admin = await (await open(client)).attachStreaming();
    await admin.createMountpoint({ id: 8, description: 'c', videoPort: 20012, videoPayloadType: 96, videoRtpmap: 'H264/90000' });
    const viewer = await (await open(client)).attachStreaming();
    // Janus acknowledges but never answers.
    const original = janus.pushEvent.bind(janus);
    janus.pushEvent = () => undefined;
    const err = await rejection(viewer.watch(8));
    janus.pushEvent = original;
    expect(err).toMatchObject({ code: ERROR_CODES.UNAVAILABLE });
    expect(err.message).toMatch(/no answer within 50 ms/);
  });
});
