/**
 * Change notices over the real Redis: two "processes" (two ChangeNotices on one topic and prefix)
 * hear each other's publishes and their own; another prefix or topic hears nothing.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../config/logger.ts';
import { ChangeNotices } from '../../../storage/change-notices.ts';
import { openRedis, type RedisHandle } from '../../../storage/redis.ts';
import { TEST_REDIS_URL } from '../../helpers/system.ts';

const log = createLogger({ log: { level: 'silent', pretty: false } });

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('change notices (Redis pub/sub)', () => {
  let redis: RedisHandle;
  const prefix = `argus-notices-${randomBytes(4).toString('hex')}`;
  beforeAll(async () => {
    redis = await openRedis({ redis: { url: TEST_REDIS_URL, startLocal: false, prefix }, dataDir: '/tmp' }, log);
  });
  afterAll(async () => {
    await redis.close();
  });

  it('reaches every process on the topic, itself included, and nobody else', async () => {
    const heard = { a: 0, b: 0, otherPrefix: 0, otherTopic: 0 };
    const a = await ChangeNotices.open(redis, { prefix, topic: 'watchlists.changed', onChange: () => heard.a++, log });
    const b = await ChangeNotices.open(redis, { prefix, topic: 'watchlists.changed', onChange: () => heard.b++, log });
    const otherPrefix = await ChangeNotices.open(redis, { prefix: `${prefix}-x`, topic: 'watchlists.changed', onChange: () => heard.otherPrefix++, log });
    const otherTopic = await ChangeNotices.open(redis, { prefix, topic: 'cameras.changed', onChange: () => heard.otherTopic++, log });
    try {
      await a.publish();
      await until(() => heard.a === 1 && heard.b === 1, 'both listeners');
      await b.publish();
      await until(() => heard.a === 2 && heard.b === 2, 'the second notice');
      await new Promise((r) => setTimeout(r, 200));
      expect(heard).toEqual({ a: 2, b: 2, otherPrefix: 0, otherTopic: 0 });
    } finally {
      await Promise.all([a.close(), b.close(), otherPrefix.close(), otherTopic.close()]);
    }
  });

  it('a listener that throws is logged and does not stop later notices', async () => {
    let calls = 0;
    const n = await ChangeNotices.open(redis, {
      prefix,
      topic: 'flaky',
      onChange: () => {
        calls++;
        throw new Error('listener broke');
      },
      log,
    });
    try {
      await n.publish();
      await n.publish();
      await until(() => calls === 2, 'two calls');
      expect(calls).toBe(2);
    } finally {
      await n.close();
    }
  });
});
