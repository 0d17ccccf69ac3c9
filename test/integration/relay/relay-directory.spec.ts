/**
 * The relay directory on the machine's real Redis (a unique key prefix per test): records sealed,
 * found by camera, renewed while published, expiring when their process stops renewing, and
 * withdrawn only by the process that published them.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { RelayDirectory, relayDirectoryKey } from '../../../storage/relay-directory.ts';
import { SecretBox } from '../../../storage/secret-box.ts';
import { TEST_REDIS_URL } from '../../helpers/system.ts';
import { eventually, testLog } from './relay-helpers.ts';

const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
const box = SecretBox.fromKey(randomBytes(32));
const prefix = `argus-test-reldir-${randomBytes(5).toString('hex')}`;
const location = { cameraId: 'cam-1', apiUrl: 'http://127.0.0.1:18188/janus', apiSecret: 'the-janus-api-secret', mountpointId: 4, loopbackIce: true };
const directories: RelayDirectory[] = [];

function directory(owner: string, ttlMs = 15_000): RelayDirectory {
  const d = new RelayDirectory(redis, { prefix, owner, box, log: testLog, ttlMs });
  directories.push(d);
  return d;
}

afterEach(async () => {
  while (directories.length) await directories.pop()!.close();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
});
afterAll(async () => {
  await redis.quit();
});

describe('relay directory (Redis)', () => {
  it('publishes a sealed record with a TTL that another process finds by camera', async () => {
    const ingest = directory('ingest-1');
    const api = directory('api-1');
    expect(await api.lookup('cam-1')).toBeNull();
    await ingest.publish(location);
    const raw = await redis.get(relayDirectoryKey(prefix, 'cam-1'));
    expect(raw).not.toBeNull();
    expect(raw).not.toContain(location.apiSecret);
    const ttl = await redis.pttl(relayDirectoryKey(prefix, 'cam-1'));
    expect(ttl).toBeGreaterThan(14_000);
    expect(ttl).toBeLessThanOrEqual(15_000);
    expect(await api.lookup('cam-1')).toMatchObject({ ...location, owner: 'ingest-1', publishedAt: expect.any(Number) });
  });

  it('renews its records while they are published, and writes again one that vanished', async () => {
    const ingest = directory('ingest-1', 600);
    await ingest.publish(location);
    // Three TTLs later it is still there: renewed every 200 ms.
    await new Promise((r) => setTimeout(r, 1800));
    expect(await ingest.ttlOf('cam-1')).toBeGreaterThan(0);
    await redis.del(relayDirectoryKey(prefix, 'cam-1')); // Redis lost it (restart, flush)
    await eventually(async () => (await ingest.lookup('cam-1')) !== null, 2000, 'the record written again');
  });

  it('expires when its process stops renewing (it died)', async () => {
    // A process that dies: its connection is gone, so nothing renews or withdraws its record.
    const dying = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    const ingest = new RelayDirectory(dying, { prefix, owner: 'ingest-1', box, log: testLog, ttlMs: 400, requestTimeoutMs: 200 });
    await ingest.publish(location);
    dying.disconnect();
    const api = directory('api-1');
    expect(await api.lookup('cam-1')).not.toBeNull();
    await eventually(async () => (await api.lookup('cam-1')) === null, 3000, 'the record to expire');
    await ingest.close(); // cannot withdraw (no connection): says so in the log, does not throw
  });

  it('withdraws only its own record: a camera taken over by another process keeps the new record', async () => {
    const first = directory('ingest-1');
    const second = directory('ingest-2');
    await first.publish(location);
    await second.publish({ ...location, apiUrl: 'http://127.0.0.1:28188/janus', mountpointId: 1 });
    await first.refresh(); // does not put its record back over the newer one
    expect(await second.lookup('cam-1')).toMatchObject({ owner: 'ingest-2', mountpointId: 1 });
    await first.withdraw('cam-1');
    expect(await second.lookup('cam-1')).toMatchObject({ owner: 'ingest-2' });
    await first.close();
    expect(await second.lookup('cam-1')).toMatchObject({ owner: 'ingest-2' });
    await second.withdraw('cam-1');
    expect(await second.lookup('cam-1')).toBeNull();
  });

  it('close() withdraws every record of the process', async () => {
    const ingest = directory('ingest-1');
    await ingest.publish(location);
    await ingest.publish({ ...location, cameraId: 'cam-2', mountpointId: 5 });
    expect(ingest.publishedCameras().sort()).toEqual(['cam-1', 'cam-2']);
    await ingest.close();
    expect(await redis.keys(`${prefix}:*`)).toEqual([]);
    await ingest.publish(location); // after close: nothing
    expect(await redis.keys(`${prefix}:*`)).toEqual([]);
  });

  it('tells that the processes use different secret keys', async () => {
    await directory('ingest-1').publish(location);
    const other = new RelayDirectory(redis, { prefix, owner: 'api-1', box: SecretBox.fromKey(randomBytes(32)), log: testLog });
    await expect(other.lookup('cam-1')).rejects.toThrow(/same secret key/);
  });
});
