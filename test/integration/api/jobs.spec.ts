import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { io as connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../config/logger.ts';
import { ConfigError, NotFoundError, ValidationError } from '../../../contracts/errors.ts';
import { JOB_QUEUE } from '../../../contracts/jobs.ts';
import { JobQueue, JobWorker, assertHandlers, type JobHandlers } from '../../../storage/job-queue.ts';
import { openRedis, type RedisHandle } from '../../../storage/redis.ts';
import { TEST_REDIS_URL, startTestSystem, type TestSystem } from '../../helpers/system.ts';

const log = createLogger({ log: { level: 'silent', pretty: false } });

describe('BullMQ jobs on the real Redis', () => {
  let redis: RedisHandle;
  const prefix = `argus-jobtest-${randomBytes(4).toString('hex')}`;
  beforeAll(async () => {
    redis = await openRedis({ redis: { url: TEST_REDIS_URL, startLocal: false, prefix }, dataDir: '/tmp' }, log);
  });
  afterAll(async () => {
    const c = redis.connect('cleanup');
    const keys = await c.keys(`${prefix}:*`);
    if (keys.length) await c.del(...keys);
    await c.quit();
    await redis.close();
  });

  it('runs a queued job once through its one handler', async () => {
    const seen: Array<{ text: string; jobId: string }> = [];
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const handlers: JobHandlers = {
      'notice.broadcast': async (payload, ctx) => {
        seen.push({ text: payload.text, jobId: ctx.jobId });
        done();
      },
      'sessions.prune': async () => undefined,
      'retention.run': async () => undefined,
      'alert.webhook': async () => undefined,
      'alert.sms': async () => undefined,
      'alerts.escalate': async () => undefined,
      'dispatches.overdue': async () => undefined,
      'export.build': async () => undefined,
      'exports.prune': async () => undefined,
    };
    const worker = new JobWorker(redis, prefix, handlers, log);
    const queue = new JobQueue(redis, prefix);
    try {
      await worker.waitUntilReady();
      const id = await queue.add('notice.broadcast', { level: 'info', text: 'shift change 换班' }, { jobId: 'notice-1' });
      // The same id again is the same job: it does not run twice.
      await queue.add('notice.broadcast', { level: 'info', text: 'shift change 换班' }, { jobId: 'notice-1' });
      await finished;
      await new Promise((r) => setTimeout(r, 300));
      expect(seen).toEqual([{ text: 'shift change 换班', jobId: id }]);
    } finally {
      await worker.close();
      await queue.close();
    }
  });

  it('refuses a bad payload before queueing, and fails poison payloads without retrying', async () => {
    const queue = new JobQueue(redis, prefix);
    const raw = new Queue(JOB_QUEUE, { connection: redis.connect('raw'), prefix });
    let calls = 0;
    const worker = new JobWorker(
      redis,
      prefix,
      {
        'notice.broadcast': async () => void calls++,
        'sessions.prune': async () => undefined,
        'retention.run': async () => undefined,
        'alert.webhook': async () => undefined,
        'alert.sms': async () => undefined,
        'alerts.escalate': async () => undefined,
        'dispatches.overdue': async () => undefined,
        'export.build': async () => undefined,
        'exports.prune': async () => undefined,
      },
      log,
    );
    try {
      await expect(queue.add('notice.broadcast', { level: 'loud', text: '' } as never)).rejects.toBeInstanceOf(ValidationError);
      await raw.add('notice.broadcast', { level: 'loud' }, { jobId: 'poison-1', attempts: 5, backoff: { type: 'fixed', delay: 10 } });
      const deadline = Date.now() + 10_000;
      let failed: Awaited<ReturnType<JobQueue['failed']>> = [];
      while (Date.now() < deadline) {
        failed = await queue.failed();
        if (failed.some((f) => f.id === 'poison-1')) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const poison = failed.find((f) => f.id === 'poison-1');
      expect(poison?.failedReason).toMatch(/invalid payload/);
      expect(poison?.attemptsMade).toBe(1);
      expect(calls).toBe(0);
    } finally {
      await worker.close();
      await raw.close();
      await queue.close();
    }
  });

  it('fails a job at once when what it is about is gone (NotFoundError), but retries other failures', async () => {
    const queue = new JobQueue(redis, prefix);
    let webhookCalls = 0;
    let smsCalls = 0;
    const worker = new JobWorker(
      redis,
      prefix,
      {
        'notice.broadcast': async () => undefined,
        'sessions.prune': async () => undefined,
        'retention.run': async () => undefined,
        'alert.webhook': async () => {
          webhookCalls++;
          throw new NotFoundError('No alert with id 6a1b0c8e-0000-4000-8000-000000000000.');
        },
        'alert.sms': async () => {
          smsCalls++;
          throw new Error('gateway down');
        },
        'alerts.escalate': async () => undefined,
        'dispatches.overdue': async () => undefined,
        'export.build': async () => undefined,
        'exports.prune': async () => undefined,
      },
      log,
    );
    try {
      const options = { attempts: 3, backoff: { type: 'fixed' as const, delay: 10 } };
      await queue.add('alert.webhook', { alertId: '6a1b0c8e-0000-4000-8000-000000000000', webhook: 0 }, { ...options, jobId: 'gone-1' });
      await queue.add('alert.sms', { alertId: '6a1b0c8e-0000-4000-8000-000000000000' }, { ...options, jobId: 'down-1' });
      const deadline = Date.now() + 10_000;
      let failed: Awaited<ReturnType<JobQueue['failed']>> = [];
      while (Date.now() < deadline) {
        failed = await queue.failed();
        if (failed.some((f) => f.id === 'gone-1') && failed.some((f) => f.id === 'down-1')) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(failed.find((f) => f.id === 'gone-1')).toMatchObject({ attemptsMade: 1, failedReason: expect.stringMatching(/No alert with id/) });
      expect(failed.find((f) => f.id === 'down-1')).toMatchObject({ attemptsMade: 3, failedReason: 'gateway down' });
      expect(webhookCalls).toBe(1);
      expect(smsCalls).toBe(3);
    } finally {
      await worker.close();
      await queue.close();
    }
  });

  it('refuses to start a worker whose handlers do not match the job names', () => {
    const issuesOf = (handlers: Record<string, unknown>) => {
      try {
        assertHandlers(handlers);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as ConfigError).issues;
      }
      return [];
    };
    const noop = async () => undefined;
    const alertJobs = { 'alert.webhook': noop, 'alert.sms': noop, 'alerts.escalate': noop, 'dispatches.overdue': noop, 'export.build': noop, 'exports.prune': noop };
    expect(issuesOf({ 'notice.broadcast': noop, 'retention.run': noop, ...alertJobs })).toEqual([{ path: 'sessions.prune', message: 'no handler' }]);
    expect(issuesOf({ 'notice.broadcast': noop, 'sessions.prune': noop, 'retention.run': noop, ...alertJobs, extra: noop })).toEqual([
      { path: 'extra', message: 'handler for an unknown job' },
    ]);
    expect(issuesOf({ 'notice.broadcast': noop, 'sessions.prune': noop, 'retention.run': noop, ...alertJobs })).toEqual([]);
    // The jobs retention.run replaced are gone: a handler for one is refused.
    expect(issuesOf({ 'notice.broadcast': noop, 'sessions.prune': noop, 'retention.run': noop, ...alertJobs, 'sightings.prune': noop, 'units.positions.prune': noop })).toEqual([
      { path: 'sightings.prune', message: 'handler for an unknown job' },
      { path: 'units.positions.prune', message: 'handler for an unknown job' },
    ]);
  });
});

describe('a job end to end: API → queue → worker → socket push', () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem();
  });
  afterAll(async () => sys?.stop());

  it('delivers an admin notice to a connected patrol tablet through the worker', async () => {
    await sys.createUser({ username: 'tablet1', password: 'tablet-password-1', roles: ['patrol'] });
    const socket = connect(sys.baseUrl, { transports: ['websocket'], auth: { token: await sys.login('tablet1', 'tablet-password-1') }, forceNew: true });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('connect_error', reject);
      });
      const received = new Promise<{ id: string; text: string; level: string }>((resolve) => socket.once('notice', resolve));
      const token = await sys.login(sys.admin.username, sys.admin.password);
      const res = await sys.api('/api/system/notices', { token, body: { level: 'warning', text: '暴雨预警 storm warning' } });
      expect(res.status).toBe(202);
      const notice = await received;
      expect(notice).toMatchObject({ id: res.body.jobId, level: 'warning', text: '暴雨预警 storm warning' });
    } finally {
      socket.disconnect();
    }
  });
});
