import type { Redis } from 'ioredis';

/**
 * Which ingest process pulls which camera. Each camera is a lease in Redis held by one process;
 * a holder renews its leases while it lives. When a process dies its leases expire and the others
 * take its cameras at their next round (within ttl + interval). Cameras are spread evenly: each
 * process takes up to its fair share, ceil(cameras / live processes).
 */
export interface CameraLeaseOptions {
  /** Key prefix (config.redis.prefix). */
  prefix: string;
  /** Identifies this process; unique per process. */
  ownerId: string;
  /** How long a lease lives without renewal. */
  ttlMs?: number;
}

const RENEW = `
for i, key in ipairs(KEYS) do
  if redis.call('get', key) == ARGV[1] then redis.call('pexpire', key, ARGV[2]) else KEYS[i] = '' end
end
local kept = {}
for i, key in ipairs(KEYS) do if key ~= '' then table.insert(kept, key) end end
return kept`;

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export interface LeaseRound {
  /** Cameras this process holds after the round. */
  held: string[];
  /** Newly taken this round. */
  acquired: string[];
  /** Held before and no longer (expired, taken over, released to rebalance or no longer wanted). */
  lost: string[];
}

export class CameraLeases {
  private readonly ttlMs: number;
  private held = new Set<string>();

  constructor(
    private readonly redis: Redis,
    private readonly options: CameraLeaseOptions,
  ) {
    this.ttlMs = options.ttlMs ?? 15_000;
  }

  private key(cameraId: string): string {
    return `${this.options.prefix}:lease:camera:${cameraId}`;
  }

  private get membersKey(): string {
    return `${this.options.prefix}:ingest:members`;
  }

  /** Processes that announced themselves within the last ttl, this one included. */
  async liveMembers(now = Date.now()): Promise<string[]> {
    await this.redis.zremrangebyscore(this.membersKey, 0, now - this.ttlMs);
    return this.redis.zrange(this.membersKey, 0, -1);
  }

  /**
   * One round: announce this process, renew what it holds, drop what is no longer wanted, and
   * take free cameras up to the fair share. `wanted` is every camera that should be pulled.
   */
  async round(wanted: readonly string[], now = Date.now()): Promise<LeaseRound> {
    const before = new Set(this.held);
    await this.redis.zadd(this.membersKey, now, this.options.ownerId);
    const members = await this.liveMembers(now);
    const share = Math.ceil(wanted.length / Math.max(1, members.length));
    const wantedSet = new Set(wanted);

    // Renew: keep only the leases still ours.
    const mine = [...this.held];
    const kept = mine.length
      ? ((await this.redis.eval(RENEW, mine.length, ...mine.map((id) => this.key(id)), this.options.ownerId, String(this.ttlMs))) as string[])
      : [];
    const keptIds = new Set(kept.map((k) => k.slice(k.lastIndexOf(':') + 1)));
    this.held = new Set([...keptIds]);

    // Release cameras no longer wanted, and any above the fair share (others will take them).
    for (const id of [...this.held]) {
      if (!wantedSet.has(id)) await this.release(id);
    }
    const extra = this.held.size - share;
    if (extra > 0) for (const id of [...this.held].slice(0, extra)) await this.release(id);

    // Take free cameras up to the share.
    const acquired: string[] = [];
    for (const id of wanted) {
      if (this.held.size >= share) break;
      if (this.held.has(id)) continue;
      const ok = await this.redis.set(this.key(id), this.options.ownerId, 'PX', this.ttlMs, 'NX');
      if (ok === 'OK') {
        this.held.add(id);
        acquired.push(id);
      }
    }
    const lost = [...before].filter((id) => !this.held.has(id));
    return { held: [...this.held], acquired, lost };
  }

  async release(cameraId: string): Promise<void> {
    this.held.delete(cameraId);
    await this.redis.eval(RELEASE, 1, this.key(cameraId), this.options.ownerId);
  }

  /** Give everything back and leave (a clean shutdown; a crash just lets the leases expire). */
  async releaseAll(): Promise<void> {
    for (const id of [...this.held]) await this.release(id);
    await this.redis.zrem(this.membersKey, this.options.ownerId);
  }

  /** Who holds a camera now, or null. */
  async holder(cameraId: string): Promise<string | null> {
    return this.redis.get(this.key(cameraId));
  }
}
