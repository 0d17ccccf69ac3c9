import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Logger } from '../config/logger.ts';
import { UnavailableError } from '../contracts/errors.ts';
import { SecretBoxError, type SecretBox } from './secret-box.ts';

/**
 * The relay directory: which Argus process's Janus has the live stream (the mountpoint) of a camera,
 * so that an API process that does not pull the camera itself can open viewers there.
 *
 * One Redis key per camera, `<prefix>:relay:camera:<cameraId>`, holding a JSON record with a TTL. The
 * process whose relay created the mountpoint publishes it, refreshes it every ttl/3 while the
 * mountpoint lives, and withdraws it when the camera is removed or the relay closes; a process that
 * dies leaves it to expire. The Janus API secret in the record is sealed with the SecretBox (the key
 * every Argus process of a deployment shares for camera passwords): it is never in Redis in plain
 * text. The streaming plugin's admin key is not published at all: watching needs none.
 *
 * Refreshing and withdrawing only touch the record this process published (compared by value), so a
 * process that lost a camera to another ingest process never removes or overwrites the new owner's
 * record; publishing a new mountpoint always replaces the record (the newest mountpoint wins).
 */

/** Where the live stream of a camera can be watched. */
export interface RelayLocation {
  cameraId: string;
  /** The Janus HTTP API root of the relay that has the mountpoint, e.g. http://10.0.0.5:8188/janus. */
  apiUrl: string;
  /** That Janus's API secret (plain in memory; sealed in Redis). */
  apiSecret: string;
  mountpointId: number;
  /** That relay offers loopback ICE candidates only: browser answers are cut down to loopback candidates. */
  loopbackIce: boolean;
  /** The process that published it. */
  owner: string;
}

export interface RelayDirectoryRecord extends RelayLocation {
  /** When the mountpoint was published (ms since the epoch). */
  publishedAt: number;
}

const RECORD_VERSION = 1;

const storedSchema = z
  .object({
    v: z.literal(RECORD_VERSION),
    cameraId: z.string().min(1),
    apiUrl: z.string().url(),
    apiSecret: z.string().min(1),
    mountpointId: z.number().int().nonnegative(),
    loopbackIce: z.boolean(),
    owner: z.string().min(1),
    publishedAt: z.number().int().nonnegative(),
  })
  .strict();

/** The Redis key of a camera's record. */
export function relayDirectoryKey(prefix: string, cameraId: string): string {
  return `${prefix}:relay:camera:${cameraId}`;
}

/** How often a publisher renews its records: three times per TTL, so one missed renewal loses nothing. */
export function relayRefreshIntervalMs(ttlMs: number): number {
  return Math.max(1, Math.floor(ttlMs / 3));
}

/** The stored text of a record: JSON with the API secret sealed. */
export function encodeRelayRecord(record: RelayDirectoryRecord, box: SecretBox): string {
  const stored: z.infer<typeof storedSchema> = {
    v: RECORD_VERSION,
    cameraId: record.cameraId,
    apiUrl: record.apiUrl,
    apiSecret: box.seal(record.apiSecret),
    mountpointId: record.mountpointId,
    loopbackIce: record.loopbackIce,
    owner: record.owner,
    publishedAt: record.publishedAt,
  };
  return JSON.stringify(stored);
}

/**
 * A stored record, its secret opened. Throws UnavailableError when the text is not a record of this
 * version, or when the secret cannot be opened (the processes do not share the same secret key).
 */
export function decodeRelayRecord(text: string, box: SecretBox): RelayDirectoryRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new UnavailableError('The relay directory in Redis holds a record that is not JSON; it is replaced when its relay publishes again.');
  }
  const parsed = storedSchema.safeParse(raw);
  if (!parsed.success) {
    throw new UnavailableError(
      `The relay directory in Redis holds a record of an unknown shape (${parsed.error.issues[0]?.path.join('.') ?? ''}: ${parsed.error.issues[0]?.message ?? 'invalid'}); are all Argus processes the same version?`,
    );
  }
  const { v: _v, apiSecret, ...rest } = parsed.data;
  let secret: string;
  try {
    secret = box.open(apiSecret);
  } catch (err) {
    if (!(err instanceof SecretBoxError)) throw err;
    throw new UnavailableError(
      `The relay of camera ${rest.cameraId} (published by ${rest.owner}) sealed its secret with another key: every Argus process must use the same secret key (secrets.key / secrets.keyFile / ARGUS_SECRET_KEY).`,
    );
  }
  return { ...rest, apiSecret: secret };
}

/** Set the record when it is absent or still ours (the same text); never replace another publisher's. */
const REFRESH = `
local current = redis.call('get', KEYS[1])
if current == false or current == ARGV[1] then
  redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;

/** Delete the record only when it is still ours. */
const WITHDRAW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export interface RelayDirectoryOptions {
  /** Key prefix (config.redis.prefix). */
  prefix: string;
  /** This process, unique among the processes of a deployment. */
  owner: string;
  /** Seals the API secrets; every process must use the same key. */
  box: SecretBox;
  log: Logger;
  /** How long a record lives without renewal (default 15 s). */
  ttlMs?: number;
  /** How long a Redis request may take before the caller is told (default 3 s). */
  requestTimeoutMs?: number;
}

export class RelayDirectory {
  readonly owner: string;
  private readonly ttlMs: number;
  /** What this process published, by camera: the exact stored text. */
  private readonly published = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;
  private refreshing: Promise<void> | null = null;
  private failing = false;
  private closed = false;

  constructor(
    private readonly redis: Redis,
    private readonly options: RelayDirectoryOptions,
  ) {
    this.owner = options.owner;
    this.ttlMs = options.ttlMs ?? 15_000;
  }

  private key(cameraId: string): string {
    return relayDirectoryKey(this.options.prefix, cameraId);
  }

  /** Cameras whose records this process keeps alive. */
  publishedCameras(): string[] {
    return [...this.published.keys()];
  }

  /**
   * Publish (or replace) the record of a camera whose mountpoint this process's relay created, and keep
   * it alive until withdrawn. When Redis does not answer the error is thrown, but the record is kept
   * and written by the next refresh.
   */
  async publish(location: Omit<RelayLocation, 'owner'>, now = Date.now()): Promise<void> {
    if (this.closed) return;
    const text = encodeRelayRecord({ ...location, owner: this.owner, publishedAt: now }, this.options.box);
    this.published.set(location.cameraId, text);
    this.startTimer();
    await this.timed(this.redis.set(this.key(location.cameraId), text, 'PX', this.ttlMs), `publish the live stream of camera ${location.cameraId}`);
  }

  /** Remove this process's record of a camera (another process's record stays). */
  async withdraw(cameraId: string): Promise<void> {
    const text = this.published.get(cameraId);
    if (text === undefined) return;
    this.published.delete(cameraId);
    if (this.published.size === 0) this.stopTimer();
    await this.timed(this.redis.eval(WITHDRAW, 1, this.key(cameraId), text), `withdraw the live stream of camera ${cameraId}`);
  }

  /** The relay that has the camera's live stream, or null when none published one (or it expired). */
  async lookup(cameraId: string): Promise<RelayDirectoryRecord | null> {
    const text = await this.timed(this.redis.get(this.key(cameraId)), `look up the live stream of camera ${cameraId}`);
    return text === null ? null : decodeRelayRecord(text, this.options.box);
  }

  /** Milliseconds the camera's record has left, -2 when there is none (Redis PTTL). */
  async ttlOf(cameraId: string): Promise<number> {
    return this.timed(this.redis.pttl(this.key(cameraId)), `read the expiry of camera ${cameraId}`);
  }

  /**
   * Renew every record this process published; write again those that expired (or were lost with
   * Redis), leave those another process has published since. One pass at a time.
   */
  refresh(): Promise<void> {
    this.refreshing ??= this.refreshOnce().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async refreshOnce(): Promise<void> {
    // Sent in one go, in order: a withdraw called later reaches Redis after these.
    const entries = [...this.published];
    const results = await Promise.allSettled(
      entries.map(([cameraId, text]) => this.timed(this.redis.eval(REFRESH, 1, this.key(cameraId), text, String(this.ttlMs)), `refresh camera ${cameraId}`)),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed && !this.failing) {
      this.options.log.warn({ err: (failed.reason as Error).message }, 'relay directory: could not refresh the live streams of this relay in Redis; retrying');
    } else if (!failed && this.failing) {
      this.options.log.info('relay directory: refreshing again');
    }
    this.failing = Boolean(failed);
    results.forEach((r, i) => {
      if (r.status === 'fulfilled' && Number(r.value) === 0) {
        this.options.log.debug({ cameraId: entries[i]![0] }, 'relay directory: another relay has published this camera since');
      }
    });
  }

  /** Withdraw every record of this process and stop refreshing. Once; the Redis client stays open (its owner quits it). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopTimer();
    await this.refreshing?.catch(() => undefined);
    const cameras = [...this.published.keys()];
    const results = await Promise.allSettled(cameras.map((id) => this.withdraw(id)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) this.options.log.warn({ err: (failed.reason as Error).message }, 'relay directory: could not withdraw every record; they expire by themselves');
  }

  private startTimer(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => void this.refresh(), relayRefreshIntervalMs(this.ttlMs));
    this.timer.unref();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** A Redis request that fails with a clear error when Redis does not answer in time (ioredis would queue it forever). */
  private async timed<T>(request: Promise<T>, what: string): Promise<T> {
    const timeoutMs = this.options.requestTimeoutMs ?? 3000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new UnavailableError(`Redis did not answer within ${timeoutMs} ms when Argus tried to ${what} in the relay directory.`)), timeoutMs);
    });
    request.catch(() => undefined);
    try {
      return await Promise.race([request, timeout]);
    } catch (err) {
      if (err instanceof UnavailableError) throw err;
      throw new UnavailableError(`Redis refused when Argus tried to ${what} in the relay directory: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }
}
