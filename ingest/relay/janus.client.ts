import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Logger } from '../../config/logger.ts';
import { ERROR_CODES, ValidationError } from '../../contracts/errors.ts';
import { JANUS_CORE_ERRORS, janusCoreError, JanusError, janusProtocolError, janusUnreachable, streamingError } from './janus.errors.ts';

/**
 * A small typed client of the Janus HTTP API (https://janus.conf.meetecho.com/docs/rest.html) and of
 * its streaming plugin. Every request carries a transaction and the API secret; synchronous plugin
 * requests (create, destroy, list) answer in the HTTP reply, asynchronous ones (watch, start) with an
 * event on the session's long poll, matched by transaction. Sessions send a keepalive every 25 s and
 * end once (`destroy()`), or are reported lost when Janus forgets them (it restarted).
 *
 * The HTTP boundary is the JanusTransport interface: `httpJanusTransport` in production, a fake in
 * unit tests. Replies are checked with zod; errors become JanusError (an ArgusError).
 */

export const STREAMING_PLUGIN_ID = 'janus.plugin.streaming';

/** The HTTP side: paths are relative to the API root (`/janus`): '', '/<session>', '/<session>/<handle>', '/info'. */
export interface JanusTransport {
  post(path: string, body: Record<string, unknown>): Promise<unknown>;
  get(path: string, query: Record<string, string>, signal?: AbortSignal): Promise<unknown>;
}

export interface HttpJanusTransportOptions {
  /** Limit for ordinary requests. */
  requestTimeoutMs?: number;
  /** Limit for a long poll (Janus answers one after 30 s at the latest). */
  pollTimeoutMs?: number;
}

/** The transport over fetch, against e.g. http://127.0.0.1:8188/janus. */
export function httpJanusTransport(apiUrl: string, options: HttpJanusTransportOptions = {}): JanusTransport {
  const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  const pollTimeoutMs = options.pollTimeoutMs ?? 45_000;
  async function send(url: string, init: RequestInit, timeoutMs: number, signal?: AbortSignal): Promise<unknown> {
    const timeout = AbortSignal.timeout(timeoutMs);
    const res = await fetch(url, { ...init, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    const text = await res.text();
    if (!res.ok) throw new Error(`HTTP ${res.status} ${text.slice(0, 200)}`);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new Error(`not JSON: ${text.slice(0, 200)}`);
    }
  }
  return {
    post: (path, body) =>
      send(`${apiUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }, requestTimeoutMs),
    get: (path, query, signal) => send(`${apiUrl}${path}?${new URLSearchParams(query).toString()}`, { method: 'GET' }, pollTimeoutMs, signal),
  };
}

// ---------- reply shapes ----------

const jsepSchema = z.looseObject({ type: z.enum(['offer', 'answer']), sdp: z.string() });
export type Jsep = { type: 'offer' | 'answer'; sdp: string };

const replySchema = z.looseObject({
  janus: z.string(),
  transaction: z.string().optional(),
  session_id: z.number().optional(),
  sender: z.number().optional(),
  data: z.looseObject({ id: z.number().optional() }).optional(),
  error: z.object({ code: z.number(), reason: z.string() }).optional(),
  plugindata: z.object({ plugin: z.string(), data: z.record(z.string(), z.unknown()) }).optional(),
  jsep: jsepSchema.optional(),
  reason: z.string().optional(),
  type: z.string().optional(),
  mid: z.string().optional(),
  receiving: z.boolean().optional(),
});
type Reply = z.infer<typeof replySchema>;

const serverInfoSchema = z.looseObject({
  janus: z.literal('server_info'),
  version: z.number(),
  version_string: z.string(),
  'local-ip': z.string().optional(),
  'ice-lite': z.boolean().optional(),
  'full-trickle': z.boolean().optional(),
  plugins: z.record(z.string(), z.unknown()).optional(),
  transports: z.record(z.string(), z.unknown()).optional(),
});

export interface JanusServerInfo {
  version: number;
  versionString: string;
  localIp: string | null;
  iceLite: boolean;
  fullTrickle: boolean;
  plugins: string[];
  transports: string[];
}

/** Events Janus sends about one handle, besides the answers to requests. */
export type JanusHandleEvent =
  | { kind: 'webrtcup' }
  | { kind: 'hangup'; reason: string }
  | { kind: 'media'; type: string; receiving: boolean }
  | { kind: 'detached' }
  | { kind: 'plugin'; data: Record<string, unknown>; jsep: Jsep | null };

export interface MountpointSpec {
  /** Numeric id, unique in this Janus. */
  id: number;
  description: string;
  /** UDP port the camera's RTP arrives on. */
  videoPort: number;
  /** Address the port is bound to; default all addresses. */
  videoHost?: string;
  videoPayloadType: number;
  /** e.g. 'H264/90000'. */
  videoRtpmap: string;
  /** e.g. 'profile-level-id=42e01f;packetization-mode=1'. */
  videoFmtp?: string;
  /** Keep the latest key frame and send it to a new viewer at once (shorter time to first frame). */
  bufferKeyframe?: boolean;
}

export interface MountpointInfo {
  id: number;
  description: string;
  videoPort: number;
}

export interface MountpointSummary {
  id: number;
  description: string;
  enabled: boolean;
  /** Milliseconds since the last video packet arrived, null when none did. */
  videoAgeMs: number | null;
}

const VIDEO_CODECS = ['h264', 'vp8', 'vp9', 'av1', 'h265'] as const;

/** 'H264/90000' → 'h264' (Janus 1.x names the codec; the clock rate of video is always 90 kHz). */
export function codecFromRtpmap(rtpmap: string): (typeof VIDEO_CODECS)[number] {
  const m = /^([A-Za-z0-9]+)\/(\d+)$/.exec(rtpmap.trim());
  const codec = m?.[1]?.toLowerCase();
  if (!m || m[2] !== '90000' || !codec || !(VIDEO_CODECS as readonly string[]).includes(codec)) {
    throw new ValidationError(`Unsupported video rtpmap ${JSON.stringify(rtpmap)}: expected one of ${VIDEO_CODECS.map((c) => `${c.toUpperCase()}/90000`).join(', ')}`, [
      { path: 'videoRtpmap', message: 'unsupported' },
    ]);
  }
  return codec as (typeof VIDEO_CODECS)[number];
}

/** The streaming plugin's `create` request for an RTP mountpoint with one H.264 (or other) video stream. */
export function createMountpointRequest(spec: MountpointSpec, adminKey: string): Record<string, unknown> {
  const media: Record<string, unknown> = {
    type: 'video',
    mid: 'v',
    label: 'video',
    port: spec.videoPort,
    pt: spec.videoPayloadType,
    codec: codecFromRtpmap(spec.videoRtpmap),
  };
  if (spec.videoFmtp) media.fmtp = spec.videoFmtp;
  if (spec.videoHost) media.iface = spec.videoHost;
  if (spec.bufferKeyframe) media.bufferkf = true;
  return {
    request: 'create',
    admin_key: adminKey,
    type: 'rtp',
    id: spec.id,
    description: spec.description,
    is_private: false,
    permanent: false,
    media: [media],
  };
}

// ---------- client ----------

export interface JanusClientOptions {
  transport: JanusTransport;
  apiSecret: string;
  /** The streaming plugin's admin_key (needed to create mountpoints). */
  streamingAdminKey: string;
  log: Logger;
  /** Keepalive period of sessions (Janus forgets a session after 60 s without one). */
  keepaliveMs?: number;
  /** How long to wait for the event answering an asynchronous request (watch, start). */
  eventTimeoutMs?: number;
  /** Consecutive failed long polls after which a session counts as lost. */
  maxPollFailures?: number;
}

function newTransaction(): string {
  return randomBytes(9).toString('base64url');
}

export class JanusClient {
  constructor(private readonly options: JanusClientOptions) {}

  /** @internal Used by sessions. */
  get settings(): Required<Omit<JanusClientOptions, 'log'>> & { log: Logger } {
    return {
      keepaliveMs: 25_000,
      eventTimeoutMs: 10_000,
      maxPollFailures: 3,
      ...this.options,
    };
  }

  async info(): Promise<JanusServerInfo> {
    let raw: unknown;
    try {
      raw = await this.options.transport.get('/info', {});
    } catch (err) {
      throw janusUnreachable('read its server information', (err as Error).message);
    }
    const parsed = serverInfoSchema.safeParse(raw);
    if (!parsed.success) throw janusProtocolError('read its server information', parsed.error.issues[0]?.message ?? 'invalid');
    const info = parsed.data;
    return {
      version: info.version,
      versionString: info.version_string,
      localIp: info['local-ip'] ?? null,
      iceLite: info['ice-lite'] ?? false,
      fullTrickle: info['full-trickle'] ?? false,
      plugins: Object.keys(info.plugins ?? {}),
      transports: Object.keys(info.transports ?? {}),
    };
  }

  /** POST one request with a new transaction and the API secret; a Janus error reply throws. */
  async post(path: string, body: Record<string, unknown>, what: string): Promise<Reply> {
    const transaction = typeof body.transaction === 'string' ? body.transaction : newTransaction();
    let raw: unknown;
    try {
      raw = await this.options.transport.post(path, { ...body, transaction, apisecret: this.options.apiSecret });
    } catch (err) {
      throw janusUnreachable(what, (err as Error).message);
    }
    const parsed = replySchema.safeParse(raw);
    if (!parsed.success) throw janusProtocolError(what, parsed.error.issues[0]?.message ?? 'invalid reply');
    const reply = parsed.data;
    if (reply.janus === 'error') throw janusCoreError(reply.error?.code ?? 0, reply.error?.reason ?? 'unknown error', what);
    return reply;
  }

  async createSession(): Promise<JanusSession> {
    const reply = await this.post('', { janus: 'create' }, 'create a session');
    const id = reply.data?.id;
    if (typeof id !== 'number') throw janusProtocolError('create a session', 'no session id');
    return new JanusSession(this, id);
  }
}

interface Waiter {
  resolve(reply: Reply): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** One Janus session: keepalives, the long poll, and the handles attached to it. */
export class JanusSession {
  private readonly pending = new Map<string, Waiter>();
  private readonly handles = new Map<number, StreamingHandle>();
  private readonly lostListeners = new Set<(reason: string) => void>();
  private readonly keepalive: NodeJS.Timeout;
  private poll: AbortController | null = null;
  private ended = false;
  private destroying: Promise<void> | null = null;

  constructor(
    private readonly client: JanusClient,
    readonly id: number,
  ) {
    this.keepalive = setInterval(() => void this.sendKeepalive(), client.settings.keepaliveMs);
    this.keepalive.unref();
  }

  get closed(): boolean {
    return this.ended;
  }

  /** Called once if Janus forgets this session (restart, timeout) or stops answering; not after destroy(). */
  onLost(listener: (reason: string) => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  async attachStreaming(): Promise<StreamingHandle> {
    const reply = await this.request('', { janus: 'attach', plugin: STREAMING_PLUGIN_ID }, 'attach the streaming plugin');
    const id = reply.data?.id;
    if (typeof id !== 'number') throw janusProtocolError('attach the streaming plugin', 'no handle id');
    const handle = new StreamingHandle(this, this.client, id);
    this.handles.set(id, handle);
    return handle;
  }

  /** A request to the session (path '') or one of its handles (path '/<handle>'). */
  async request(subPath: string, body: Record<string, unknown>, what: string): Promise<Reply> {
    this.assertOpen(what);
    try {
      return await this.client.post(`/${this.id}${subPath}`, body, what);
    } catch (err) {
      if (err instanceof JanusError && err.source === 'core' && (err.janusCode === JANUS_CORE_ERRORS.SESSION_NOT_FOUND || (err.sessionGone && subPath === ''))) {
        this.lose('Janus no longer knows the session');
      }
      throw err;
    }
  }

  /**
   * An asynchronous request: Janus acknowledges the POST and answers with an event of the same
   * transaction on the long poll.
   */
  async requestAsync(handleId: number, body: Record<string, unknown>, what: string): Promise<Reply> {
    this.assertOpen(what);
    const transaction = newTransaction();
    const answered = new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(transaction);
        reject(janusUnreachable(what, `no answer within ${this.client.settings.eventTimeoutMs} ms`));
      }, this.client.settings.eventTimeoutMs);
      this.pending.set(transaction, { resolve, reject, timer });
    });
    // The answer may come before the POST returns: the waiter is in place, and the poll runs.
    answered.catch(() => undefined);
    this.startPolling();
    try {
      const reply = await this.client.post(`/${this.id}/${handleId}`, { ...body, transaction }, what);
      if (reply.janus !== 'ack') this.settle(transaction, reply);
    } catch (err) {
      const waiter = this.pending.get(transaction);
      if (waiter) {
        clearTimeout(waiter.timer);
        this.pending.delete(transaction);
      }
      throw err;
    }
    return answered;
  }

  /** End the session on Janus (its handles detach, their PeerConnections hang up). Once; never throws. */
  destroy(): Promise<void> {
    return (this.destroying ??= this.doDestroy());
  }

  private async doDestroy(): Promise<void> {
    const wasOpen = !this.ended;
    this.shutDown(new JanusError(ERROR_CODES.NOT_FOUND, 'The relay session was closed.', 'core'));
    if (!wasOpen) return;
    try {
      await this.client.post(`/${this.id}`, { janus: 'destroy' }, 'destroy a session');
    } catch (err) {
      this.client.settings.log.debug({ sessionId: this.id, err: (err as Error).message }, 'janus session destroy failed (already gone?)');
    }
  }

  private assertOpen(what: string): void {
    if (this.ended) throw new JanusError(ERROR_CODES.NOT_FOUND, `Cannot ${what}: the relay session has ended.`, 'core');
  }

  private async sendKeepalive(): Promise<void> {
    if (this.ended) return;
    try {
      await this.client.post(`/${this.id}`, { janus: 'keepalive' }, 'keep a session alive');
    } catch (err) {
      if (err instanceof JanusError && err.sessionGone) this.lose('Janus no longer knows the session');
      else this.client.settings.log.debug({ sessionId: this.id, err: (err as Error).message }, 'janus keepalive failed');
    }
  }

  private startPolling(): void {
    if (this.poll || this.ended) return;
    this.poll = new AbortController();
    void this.pollLoop(this.poll.signal);
  }

  private async pollLoop(signal: AbortSignal): Promise<void> {
    const { transport, apiSecret, maxPollFailures, log } = this.client.settings;
    let failures = 0;
    while (!this.ended && !signal.aborted) {
      let raw: unknown;
      try {
        raw = await transport.get(`/${this.id}`, { maxev: '10', apisecret: apiSecret }, signal);
        failures = 0;
      } catch (err) {
        if (this.ended || signal.aborted) return;
        failures += 1;
        log.debug({ sessionId: this.id, failures, err: (err as Error).message }, 'janus long poll failed');
        if (failures >= maxPollFailures) {
          this.lose(`the relay stopped answering (${(err as Error).message})`);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 250 * failures));
        continue;
      }
      for (const item of Array.isArray(raw) ? raw : [raw]) {
        const parsed = replySchema.safeParse(item);
        if (!parsed.success) {
          log.warn({ sessionId: this.id, issue: parsed.error.issues[0]?.message }, 'janus sent an event of unknown shape');
          continue;
        }
        this.dispatch(parsed.data);
        if (this.ended) return;
      }
    }
  }

  private dispatch(event: Reply): void {
    if (event.janus === 'keepalive' || event.janus === 'ack') return;
    if (event.janus === 'error') {
      const code = event.error?.code ?? 0;
      const err = janusCoreError(code, event.error?.reason ?? 'unknown error', 'deliver events');
      if (err.sessionGone) this.lose('Janus no longer knows the session');
      else if (event.transaction) this.fail(event.transaction, err);
      return;
    }
    if (event.janus === 'timeout') {
      this.lose('Janus timed the session out');
      return;
    }
    if (event.transaction && this.settle(event.transaction, event)) return;
    const handle = event.sender !== undefined ? this.handles.get(event.sender) : undefined;
    if (!handle) return;
    switch (event.janus) {
      case 'webrtcup':
        handle.emit({ kind: 'webrtcup' });
        break;
      case 'hangup':
        handle.emit({ kind: 'hangup', reason: event.reason ?? 'hangup' });
        break;
      case 'media':
        handle.emit({ kind: 'media', type: event.type ?? event.mid ?? 'video', receiving: event.receiving ?? false });
        break;
      case 'detached':
        this.handles.delete(handle.id);
        handle.emit({ kind: 'detached' });
        break;
      case 'event':
        if (event.plugindata) handle.emit({ kind: 'plugin', data: event.plugindata.data, jsep: event.jsep ?? null });
        break;
      default:
        break;
    }
  }

  private settle(transaction: string, reply: Reply): boolean {
    const waiter = this.pending.get(transaction);
    if (!waiter) return false;
    clearTimeout(waiter.timer);
    this.pending.delete(transaction);
    waiter.resolve(reply);
    return true;
  }

  private fail(transaction: string, err: Error): void {
    const waiter = this.pending.get(transaction);
    if (!waiter) return;
    clearTimeout(waiter.timer);
    this.pending.delete(transaction);
    waiter.reject(err);
  }

  /** @internal */
  forgetHandle(id: number): void {
    this.handles.delete(id);
  }

  private lose(reason: string): void {
    if (this.ended) return;
    this.client.settings.log.info({ sessionId: this.id, reason }, 'janus session lost');
    this.shutDown(new JanusError(ERROR_CODES.NOT_FOUND, `The relay session has ended: ${reason}.`, 'core'));
    for (const listener of this.lostListeners) listener(reason);
  }

  private shutDown(err: Error): void {
    this.ended = true;
    clearInterval(this.keepalive);
    this.poll?.abort();
    this.poll = null;
    for (const [transaction, waiter] of this.pending) {
      clearTimeout(waiter.timer);
      this.pending.delete(transaction);
      waiter.reject(err);
    }
  }
}

/** A handle attached to the streaming plugin: mountpoint administration, or one viewer. */
export class StreamingHandle {
  private readonly listeners = new Set<(event: JanusHandleEvent) => void>();

  constructor(
    readonly session: JanusSession,
    private readonly client: JanusClient,
    readonly id: number,
  ) {}

  onEvent(listener: (event: JanusHandleEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** @internal */
  emit(event: JanusHandleEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  /** A synchronous plugin request: the answer is in the HTTP reply. */
  private async message(body: Record<string, unknown>, what: string): Promise<Record<string, unknown>> {
    const reply = await this.session.request(`/${this.id}`, { janus: 'message', body }, what);
    return pluginData(reply, what);
  }

  async createMountpoint(spec: MountpointSpec): Promise<MountpointInfo> {
    const what = `create the mountpoint of ${spec.description}`;
    const data = await this.message(createMountpointRequest(spec, this.client.settings.streamingAdminKey), what);
    const stream = z
      .looseObject({ id: z.number(), description: z.string().optional(), ports: z.array(z.looseObject({ port: z.number() })).optional() })
      .safeParse(data.stream);
    if (data.streaming !== 'created' || !stream.success) throw janusProtocolError(what, 'no created stream in the reply');
    return { id: stream.data.id, description: stream.data.description ?? spec.description, videoPort: stream.data.ports?.[0]?.port ?? spec.videoPort };
  }

  async destroyMountpoint(id: number): Promise<void> {
    const data = await this.message({ request: 'destroy', id, permanent: false }, `destroy mountpoint ${id}`);
    if (data.streaming !== 'destroyed') throw janusProtocolError(`destroy mountpoint ${id}`, `unexpected answer ${String(data.streaming)}`);
  }

  async listMountpoints(): Promise<MountpointSummary[]> {
    const data = await this.message({ request: 'list' }, 'list mountpoints');
    const list = z
      .array(
        z.looseObject({
          id: z.number(),
          description: z.string().optional(),
          enabled: z.boolean().optional(),
          media: z.array(z.looseObject({ type: z.string(), age_ms: z.number().optional() })).optional(),
        }),
      )
      .safeParse(data.list);
    if (!list.success) throw janusProtocolError('list mountpoints', 'no list in the reply');
    return list.data.map((m) => {
      const video = m.media?.find((x) => x.type === 'video');
      return { id: m.id, description: m.description ?? '', enabled: m.enabled ?? true, videoAgeMs: video?.age_ms ?? null };
    });
  }

  /** Ask to watch a mountpoint; Janus answers with its SDP offer. */
  async watch(mountpointId: number): Promise<Jsep & { type: 'offer' }> {
    const what = `watch mountpoint ${mountpointId}`;
    const reply = await this.session.requestAsync(this.id, { janus: 'message', body: { request: 'watch', id: mountpointId } }, what);
    pluginData(reply, what);
    if (reply.jsep?.type !== 'offer') throw janusProtocolError(what, 'no SDP offer in the answer');
    return { type: 'offer', sdp: reply.jsep.sdp };
  }

  /** Hand the browser's SDP answer to Janus and start the stream. */
  async start(answer: Jsep): Promise<void> {
    const what = 'start the stream with the browser answer';
    const reply = await this.session.requestAsync(
      this.id,
      { janus: 'message', body: { request: 'start' }, jsep: { type: answer.type, sdp: answer.sdp } },
      what,
    );
    pluginData(reply, what);
  }

  /** Hang up the PeerConnection (the handle stays attached). */
  async hangup(): Promise<void> {
    await this.session.request(`/${this.id}`, { janus: 'hangup' }, 'hang up a viewer');
  }

  async detach(): Promise<void> {
    await this.session.request(`/${this.id}`, { janus: 'detach' }, 'detach a handle');
    this.session.forgetHandle(this.id);
  }
}

/** The plugin's answer in a reply; a plugin error becomes a JanusError. */
function pluginData(reply: Reply, what: string): Record<string, unknown> {
  const data = reply.plugindata?.data;
  if (!data) throw janusProtocolError(what, `no plugin data in a '${reply.janus}' reply`);
  if (typeof data.error_code === 'number') throw streamingError(data.error_code, typeof data.error === 'string' ? data.error : 'unknown error', what);
  return data;
}
