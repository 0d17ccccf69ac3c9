import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../config/logger.ts';
import { UnavailableError } from '../contracts/errors.ts';
import { redactUrl } from './redact.ts';

export { Redis } from 'ioredis';

/** A Redis client per use (BullMQ and socket.io pub/sub each need their own connections). */
export interface RedisHandle {
  url: string;
  /** A new connection with the settings BullMQ needs. The caller closes it. */
  connect(name: string): Redis;
  /** Stop the redis-server this process started, if any. */
  close(): Promise<void>;
  /** Whether this process started its own redis-server. */
  startedLocal: boolean;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

async function ping(url: string, timeoutMs: number): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

async function startLocalRedis(url: URL, dataDir: string, log: Logger): Promise<ChildProcess> {
  const dir = join(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const port = url.port || '6379';
  const args = ['--port', port, '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', '', '--daemonize', 'no'];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const spawnError = await new Promise<Error | null>((resolve) => {
    child.once('error', resolve);
    child.once('spawn', () => resolve(null));
  });
  if (spawnError) {
    throw new UnavailableError(
      `Redis is not answering at ${redactUrl(url.toString())} and redis-server could not be started (${spawnError.message}). ` +
        'Install it (npm start does: apt-get install redis-server) or set REDIS_URL to a running Redis.',
    );
  }
  log.info({ port, dir, pid: child.pid }, 'started a local redis-server');
  return child;
}

/**
 * Find Redis at the configured URL; in the embedded default (a loopback URL with nothing
 * answering) start a local redis-server that keeps its data in <dataDir>/redis.
 */
export async function openRedis(config: Pick<Config, 'redis' | 'dataDir'>, log: Logger): Promise<RedisHandle> {
  const url = config.redis.url;
  let child: ChildProcess | null = null;
  if (!(await ping(url, 2000))) {
    const parsed = new URL(url);
    if (!config.redis.startLocal || !LOOPBACK.has(parsed.hostname)) {
      throw new UnavailableError(`Cannot reach Redis at ${redactUrl(url)}. Start Redis there or set REDIS_URL.`);
    }
    child = await startLocalRedis(parsed, config.dataDir, log);
    const deadline = Date.now() + 10_000;
    while (!(await ping(url, 500))) {
      if (Date.now() > deadline || child.exitCode !== null) {
        child.kill('SIGKILL');
        throw new UnavailableError(`Started redis-server for ${redactUrl(url)} but it did not answer within 10 s.`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const started = child;
  return {
    url,
    startedLocal: started !== null,
    connect(name: string) {
      const client = new Redis(url, { connectionName: `argus:${name}`, maxRetriesPerRequest: null, enableReadyCheck: true });
      client.on('error', (err) => log.warn({ redis: name, err: err.message }, 'redis connection error'));
      return client;
    },
    async close() {
      if (started && started.exitCode === null) {
        const exited = new Promise((r) => started.once('exit', r));
        started.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      }
    },
  };
}
