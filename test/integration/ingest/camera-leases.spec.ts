import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { CameraLeases } from '../../../storage/camera-leases.ts';
import { TEST_REDIS_URL } from '../../helpers/system.ts';

describe('camera leases in Redis', () => {
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  const prefix = `argus-lease-${randomBytes(4).toString('hex')}`;
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });
  const cams = Array.from({ length: 7 }, (_, i) => `cam${i}`);

  it('gives each camera to exactly one process and spreads them evenly', async () => {
    const a = new CameraLeases(redis, { prefix, ownerId: 'a', ttlMs: 1000 });
    const b = new CameraLeases(redis, { prefix, ownerId: 'b', ttlMs: 1000 });
    await a.round(cams);
    await b.round(cams);
    // a took everything while alone; with b present it gives back down to its share, which b takes.
    const ra = await a.round(cams);
    const rb = await b.round(cams);
    expect(ra.held.length + rb.held.length).toBe(7);
    expect(new Set([...ra.held, ...rb.held]).size).toBe(7);
    expect(Math.abs(ra.held.length - rb.held.length)).toBeLessThanOrEqual(1);
    for (const id of ra.held) expect(await a.holder(id)).toBe('a');
    await a.releaseAll();
    await b.releaseAll();
  });

  it('lets another process take the cameras of one that died, once its leases expire', async () => {
    const p2 = `${prefix}-takeover`;
    const a = new CameraLeases(redis, { prefix: p2, ownerId: 'a', ttlMs: 600 });
    const b = new CameraLeases(redis, { prefix: p2, ownerId: 'b', ttlMs: 600 });
    await a.round(cams);
    await b.round(cams);
    await a.round(cams);
    const before = await b.round(cams);
    expect(before.held.length).toBeLessThan(7);
    // a dies: it stops renewing. Before the ttl passes b cannot take a's cameras.
    const early = await b.round(cams);
    expect(early.held.length).toBe(before.held.length);
    // b keeps its own rounds going (every ttl/4) while a's leases run out.
    const acquired: string[] = [];
    let after = early;
    const start = Date.now();
    while (Date.now() - start < 900) {
      await new Promise((r) => setTimeout(r, 150));
      after = await b.round(cams);
      acquired.push(...after.acquired);
      expect(after.lost).toEqual([]);
    }
    expect(after.held.sort()).toEqual([...cams].sort());
    expect(acquired.sort()).toEqual(cams.filter((c) => !before.held.includes(c)).sort());
    await b.releaseAll();
  });

  it('drops cameras that are no longer wanted and reports leases it lost', async () => {
    const p3 = `${prefix}-drop`;
    const a = new CameraLeases(redis, { prefix: p3, ownerId: 'a', ttlMs: 5000 });
    await a.round(['x', 'y']);
    const r = await a.round(['x']);
    expect(r.held).toEqual(['x']);
    expect(r.lost).toEqual(['y']);
    expect(await a.holder('y')).toBeNull();
    // Someone removes the lease behind its back (e.g. an operator): the next round notices.
    await redis.del(`${p3}:lease:camera:x`);
    await redis.set(`${p3}:lease:camera:x`, 'intruder');
    const r2 = await a.round(['x']);
    expect(r2.lost).toEqual(['x']);
    expect(r2.held).toEqual([]);
    await a.releaseAll();
  });
});
