import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Logger } from '../config/logger.ts';
import { JOB_NAMES, JOB_QUEUE, jobPayloadSchemas, type JobName, type JobPayload } from '../contracts/jobs.ts';
import { ConfigError, NotFoundError, ValidationError, issuesFromZod } from '../contracts/errors.ts';
import type { Redis, RedisHandle } from './redis.ts';

/** Exactly one handler per job name; the type makes a missing one a compile error. */
export type JobHandlers = {
  [N in JobName]: (payload: JobPayload<N>, context: { jobId: string; attempt: number; log: Logger }) => Promise<unknown>;
};

export interface AddJobOptions {
  /** Same id, same job: used as an idempotency key. */
  jobId?: string;
  attempts?: number;
  delayMs?: number;
}

/** Producer side: validates the payload against its schema before it is queued. */
export class JobQueue {
  private readonly queue: Queue;
  private readonly connection: Redis;

  constructor(redis: RedisHandle, prefix: string, log?: Logger) {
    this.connection = redis.connect('queue');
    this.queue = new Queue(JOB_QUEUE, { connection: this.connection, prefix });
    // The queue repeats its connection's errors (Redis down or restarting): the connection already
    // logs them (storage/redis.ts), so here one line at most every 30 s, and never an unhandled 'error'.
    let lastLogged = 0;
    this.queue.on('error', (err: Error) => {
      if (Date.now() - lastLogged < 30_000) return;
      lastLogged = Date.now();
      log?.warn({ err: err.message }, 'job queue cannot reach Redis');
    });
  }

  async add<N extends JobName>(name: N, payload: JobPayload<N>, options: AddJobOptions = {}): Promise<string> {
    const parsed = jobPayloadSchemas[name].safeParse(payload);
    if (!parsed.success) throw new ValidationError(`Invalid payload for job ${name}`, issuesFromZod(parsed.error.issues));
    const job = await this.queue.add(name, parsed.data, {
      jobId: options.jobId,
      attempts: options.attempts ?? 5,
      backoff: { type: 'exponential', delay: 1000 },
      delay: options.delayMs,
      removeOnComplete: { age: 24 * 3600, count: 10_000 },
      removeOnFail: false,
    });
    return job.id!;
  }

  /** Run a job every `everyMs` (one schedule per name, however many processes ask). */
  async schedule<N extends JobName>(name: N, payload: JobPayload<N>, everyMs: number): Promise<void> {
    await this.queue.upsertJobScheduler(`every:${name}`, { every: everyMs }, { name, data: payload, opts: { attempts: 3, removeOnComplete: 100, removeOnFail: 100 } });
  }

  /** Jobs that used up their attempts (the dead-letter list). */
  async failed(limit = 100): Promise<Array<{ id: string; name: string; failedReason: string; attemptsMade: number }>> {
    const jobs = await this.queue.getFailed(0, limit - 1);
    return jobs.map((j) => ({ id: j.id!, name: j.name, failedReason: j.failedReason, attemptsMade: j.attemptsMade }));
  }

  async counts(): Promise<Record<string, number>> {
    return this.queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed');
  }

  async close(): Promise<void> {
    await this.queue.close();
    // BullMQ leaves a connection it was given open.
    this.connection.disconnect();
  }
}

/** Refuse to start with a handler map that does not cover every job name exactly. */
export function assertHandlers(handlers: Record<string, unknown>): void {
  const missing = JOB_NAMES.filter((n) => typeof handlers[n] !== 'function');
  const extra = Object.keys(handlers).filter((n) => !(JOB_NAMES as string[]).includes(n));
  if (missing.length || extra.length) {
    throw new ConfigError('Job handlers do not match the job names', [
      ...missing.map((n) => ({ path: n, message: 'no handler' })),
      ...extra.map((n) => ({ path: n, message: 'handler for an unknown job' })),
    ]);
  }
}

/** Consumer side: one worker per process running the `worker` role. */
export class JobWorker {
  private readonly worker: Worker;
  private readonly connection: Redis;
  constructor(redis: RedisHandle, prefix: string, handlers: JobHandlers, log: Logger, options: { concurrency?: number } = {}) {
    assertHandlers(handlers);
    this.connection = redis.connect('worker');
    this.worker = new Worker(
      JOB_QUEUE,
      async (job: Job) => {
        const name = job.name as JobName;
        const schema = jobPayloadSchemas[name];
        if (!schema) throw new UnrecoverableError(`unknown job name ${job.name}`);
        const parsed = schema.safeParse(job.data);
        // Poison input never gets better with a retry.
        if (!parsed.success) throw new UnrecoverableError(`invalid payload for ${name}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
        const handler = handlers[name] as (p: unknown, c: { jobId: string; attempt: number; log: Logger }) => Promise<unknown>;
        try {
          return await handler(parsed.data, { jobId: job.id!, attempt: job.attemptsMade + 1, log: log.child({ jobId: job.id, job: name }) });
        } catch (err) {
          // What the job is about is gone (a deleted record, a webhook removed from the configuration) or
          // the job is refused as invalid: a retry gives the same answer, so it fails now, to the dead letters.
          if (err instanceof NotFoundError || err instanceof ValidationError) throw new UnrecoverableError(err.message);
          throw err;
        }
      },
      { connection: this.connection, prefix, concurrency: options.concurrency ?? 4, autorun: true },
    );
    this.worker.on('failed', (job, err) =>
      log.warn({ jobId: job?.id, job: job?.name, attempt: job?.attemptsMade, err: err.message }, 'job failed'),
    );
    // Redis down or restarting makes the worker repeat the same connection error many times a second:
    // one line per distinct message at most every 30 s (the connection itself logs as well, storage/redis.ts).
    const lastLogged = new Map<string, number>();
    this.worker.on('error', (err) => {
      const now = Date.now();
      if (now - (lastLogged.get(err.message) ?? 0) < 30_000) return;
      lastLogged.set(err.message, now);
      if (lastLogged.size > 100) lastLogged.clear();
      log.error({ err: err.message }, 'job worker error');
    });
  }

  async waitUntilReady(): Promise<void> {
    await this.worker.waitUntilReady();
  }

  async close(): Promise<void> {
    await this.worker.close();
    this.connection.disconnect();
  }
}
