/**
 * A strict in-memory Janus behind the JanusTransport interface (the HTTP boundary of the client):
 * sessions, handles, the long poll and the streaming plugin's create / destroy / list / watch /
 * start, with Janus's reply shapes and error codes. It records every request so that tests can check
 * the messages the client sends, refuses requests without the API secret or a transaction, and can
 * "restart" (forgetting sessions and mountpoints), go down, or hold ports as another program would.
 */
import type { JanusTransport } from '../../../ingest/relay/janus.client.ts';

export interface RecordedRequest {
  method: 'POST' | 'GET';
  path: string;
  body?: Record<string, unknown>;
  query?: Record<string, string>;
}

interface FakeSession {
  handles: Set<number>;
  events: Array<Record<string, unknown>>;
  wake: (() => void) | null;
}

export interface FakeMountpoint {
  id: number;
  description: string;
  port: number;
  request: Record<string, unknown>;
}

export const FAKE_OFFER_SDP =
  'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=Mountpoint\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 127.0.0.1\r\na=sendonly\r\na=rtpmap:96 H264/90000\r\na=candidate:1 1 udp 2015363327 127.0.0.1 21000 typ host\r\na=end-of-candidates\r\n';

export class FakeJanus implements JanusTransport {
  readonly requests: RecordedRequest[] = [];
  readonly sessions = new Map<number, FakeSession>();
  readonly mountpoints = new Map<number, FakeMountpoint>();
  /** Ports another program holds: creating a mountpoint on them fails as in Janus. */
  readonly busyPorts = new Set<number>();
  /** The answers handed to `start`, by handle. */
  readonly answers = new Map<number, string>();
  down = false;
  private nextId = 1000;

  constructor(
    readonly apiSecret = 'test-api-secret',
    readonly adminKey = 'test-admin-key',
  ) {}

  /** Requests of one kind (`janus` field), e.g. 'keepalive'. */
  posts(janus?: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === 'POST' && (janus === undefined || r.body?.janus === janus));
  }

  /** Plugin requests (`body.request`), e.g. 'create'. */
  pluginRequests(request: string): Array<Record<string, unknown>> {
    return this.posts('message')
      .map((r) => r.body!.body as Record<string, unknown>)
      .filter((b) => b.request === request);
  }

  /** Janus restarts: every session and mountpoint is gone; long polls get "no such session". */
  restart(): void {
    for (const session of this.sessions.values()) session.wake?.();
    this.sessions.clear();
    this.mountpoints.clear();
  }

  /** Push an event (e.g. a hangup) to a session's long poll. */
  pushEvent(sessionId: number, event: Record<string, unknown>): void {
    const session = this.sessions.get(sessionId);
    if (!session) throw new Error(`fake janus: no session ${sessionId}`);
    session.events.push({ session_id: sessionId, ...event });
    session.wake?.();
  }

  /** The session a handle belongs to. */
  sessionOfHandle(handleId: number): number {
    for (const [id, s] of this.sessions) if (s.handles.has(handleId)) return id;
    throw new Error(`fake janus: no handle ${handleId}`);
  }

  async post(path: string, body: Record<string, unknown>): Promise<unknown> {
    this.requests.push({ method: 'POST', path, body: structuredClone(body) });
    if (this.down) throw new Error('connect ECONNREFUSED 127.0.0.1:8188');
    const transaction = body.transaction;
    if (typeof transaction !== 'string' || transaction.length < 8) return error(undefined, 456, 'Missing mandatory element (transaction)');
    if (body.apisecret !== this.apiSecret) return error(transaction, 403, 'Unauthorized request (wrong or missing secret/token)');
    const [, sid, hid] = path.split('/').map((p) => (p === '' ? undefined : Number(p)));
    if (sid === undefined) {
      if (body.janus !== 'create') return error(transaction, 453, `Unknown request '${String(body.janus)}'`);
      const id = this.nextId++;
      this.sessions.set(id, { handles: new Set(), events: [], wake: null });
      return { janus: 'success', transaction, data: { id } };
    }
    const session = this.sessions.get(sid);
    if (!session) return error(transaction, 458, `No such session ${sid}`);
    if (hid === undefined) {
      switch (body.janus) {
        case 'keepalive':
          return { janus: 'ack', session_id: sid, transaction };
        case 'attach': {
          if (body.plugin !== 'janus.plugin.streaming') return error(transaction, 460, `No such plugin '${String(body.plugin)}'`);
          const id = this.nextId++;
          session.handles.add(id);
          return { janus: 'success', session_id: sid, transaction, data: { id } };
        }
        case 'destroy':
          this.sessions.delete(sid);
          session.wake?.();
          return { janus: 'success', session_id: sid, transaction };
        default:
          return error(transaction, 453, `Unknown request '${String(body.janus)}'`);
      }
    }
    if (!session.handles.has(hid)) return error(transaction, 459, `No such handle ${hid} in session ${sid}`);
    switch (body.janus) {
      case 'hangup':
      case 'detach':
        if (body.janus === 'detach') session.handles.delete(hid);
        return { janus: 'success', session_id: sid, transaction };
      case 'message':
        return this.message(sid, hid, transaction, body);
      default:
        return error(transaction, 453, `Unknown request '${String(body.janus)}'`);
    }
  }

  private message(sid: number, hid: number, transaction: string, message: Record<string, unknown>): unknown {
    const body = message.body as Record<string, unknown>;
    const plugin = (data: Record<string, unknown>) => ({ janus: 'success', session_id: sid, sender: hid, transaction, plugindata: { plugin: 'janus.plugin.streaming', data } });
    const later = (data: Record<string, unknown>, jsep?: Record<string, unknown>) => {
      queueMicrotask(() =>
        this.pushEvent(sid, { janus: 'event', sender: hid, transaction, plugindata: { plugin: 'janus.plugin.streaming', data }, ...(jsep ? { jsep } : {}) }),
      );
      return { janus: 'ack', session_id: sid, transaction };
    };
    switch (body.request) {
      case 'create': {
        if (body.admin_key !== this.adminKey) return plugin({ streaming: 'event', error_code: 457, error: 'Unauthorized (wrong admin_key)' });
        const media = (body.media as Array<Record<string, unknown>> | undefined)?.[0];
        const id = body.id as number;
        const port = media?.port as number;
        if (this.mountpoints.has(id)) return plugin({ streaming: 'event', error_code: 456, error: `A stream with the provided ID already exists` });
        if (this.busyPorts.has(port) || [...this.mountpoints.values()].some((m) => m.port === port)) {
          return plugin({ streaming: 'event', error_code: 456, error: "Can't create mountpoint" });
        }
        this.mountpoints.set(id, { id, description: body.description as string, port, request: body });
        return plugin({
          streaming: 'created',
          created: body.description,
          permanent: false,
          stream: { id, type: 'live', description: body.description, is_private: false, ports: [{ type: 'video', mid: 'v', port }] },
        });
      }
      case 'destroy': {
        const id = body.id as number;
        if (!this.mountpoints.delete(id)) return plugin({ streaming: 'event', error_code: 455, error: `No such mountpoint/stream ${id}` });
        return plugin({ streaming: 'destroyed', id });
      }
      case 'list':
        return plugin({
          streaming: 'list',
          list: [...this.mountpoints.values()].map((m) => ({ id: m.id, type: 'live', description: m.description, enabled: true, media: [{ mid: 'v', type: 'video', label: 'video', age_ms: 40 }] })),
        });
      case 'watch': {
        const id = body.id as number;
        if (!this.mountpoints.has(id)) return later({ streaming: 'event', error_code: 455, error: `No such mountpoint/stream ${id}` });
        return later({ streaming: 'event', result: { status: 'preparing' } }, { type: 'offer', sdp: FAKE_OFFER_SDP });
      }
      case 'start': {
        const jsep = message.jsep as { type?: string; sdp?: string } | undefined;
        if (!jsep || jsep.type !== 'answer') return error(transaction, 464, 'JSEP error: unknown message type');
        if (!jsep.sdp?.startsWith('v=0')) return error(transaction, 465, 'JSEP error: invalid SDP');
        this.answers.set(hid, jsep.sdp);
        return later({ streaming: 'event', result: { status: 'starting' } });
      }
      default:
        return plugin({ streaming: 'event', error_code: 452, error: `Unknown request '${String(body.request)}'` });
    }
  }

  async get(path: string, query: Record<string, string>, signal?: AbortSignal): Promise<unknown> {
    this.requests.push({ method: 'GET', path, query: { ...query } });
    if (this.down) throw new Error('connect ECONNREFUSED 127.0.0.1:8188');
    if (path === '/info') return { janus: 'server_info', version: 1102, version_string: '1.1.2', 'ice-lite': true, plugins: { 'janus.plugin.streaming': {} } };
    if (query.apisecret !== this.apiSecret) return error(undefined, 403, 'Unauthorized request (wrong or missing secret/token)');
    const sid = Number(path.slice(1));
    for (;;) {
      const session = this.sessions.get(sid);
      if (!session) return error(undefined, 458, `No such session ${sid}`);
      if (session.events.length) {
        const max = Number(query.maxev ?? '1');
        return session.events.splice(0, max);
      }
      if (signal?.aborted) throw new Error('aborted');
      await new Promise<void>((resolve) => {
        session.wake = resolve;
        signal?.addEventListener('abort', () => resolve(), { once: true });
      });
      session.wake = null;
      if (signal?.aborted) throw new Error('aborted');
    }
  }
}

function error(transaction: string | undefined, code: number, reason: string) {
  return { janus: 'error', ...(transaction ? { transaction } : {}), error: { code, reason } };
}
