import type { Logger } from '../config/logger.ts';
import type { Redis, RedisHandle } from './redis.ts';

/**
 * "Something changed, read it again" across processes, over Redis pub/sub: every process that opened
 * the same topic (under the same key prefix) hears each publish, its own included. Used for watchlists,
 * whose matchers keep an index in memory. A notice carries no data: listeners re-read the database, so
 * a missed notice (Redis briefly gone) is healed by the next one or by a periodic reload.
 */
export class ChangeNotices {
  private constructor(
    private readonly channel: string,
    private readonly subscriber: Redis,
    private readonly publisher: Redis,
  ) {}

  static async open(redis: RedisHandle, options: { prefix: string; topic: string; onChange: () => void; log: Logger }): Promise<ChangeNotices> {
    const channel = `${options.prefix}:${options.topic}`;
    const subscriber = redis.connect(`${options.topic}-sub`);
    const publisher = redis.connect(`${options.topic}-pub`);
    subscriber.on('message', (from: string) => {
      if (from !== channel) return;
      try {
        options.onChange();
      } catch (err) {
        options.log.warn({ err: (err as Error).message, channel }, 'change notice listener failed');
      }
    });
    try {
      await subscriber.subscribe(channel);
    } catch (err) {
      subscriber.disconnect();
      publisher.disconnect();
      throw err;
    }
    return new ChangeNotices(channel, subscriber, publisher);
  }

  /** Tell every process (this one included) to re-read. */
  async publish(): Promise<void> {
    await this.publisher.publish(this.channel, String(Date.now()));
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.subscriber.quit(), this.publisher.quit()]);
  }
}
