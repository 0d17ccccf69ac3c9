import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { startAnalyticsRole, type AnalyticsRole } from '../analytics/analytics.role.ts';
import { buildApi } from '../command-ui/server/app.ts';
import { RedisEventBus } from '../command-ui/server/redis-event-bus.ts';
import { AlertDeliveryService } from '../command-ui/server/services/alert-delivery.service.ts';
import { AlertsService } from '../command-ui/server/services/alerts.service.ts';
import { AuthService } from '../command-ui/server/services/auth.service.ts';
import { CamerasService } from '../command-ui/server/services/cameras.service.ts';
import { DispatchService } from '../command-ui/server/services/dispatch.service.ts';
import { ExportsService } from '../command-ui/server/services/exports.service.ts';
import { IncidentsService } from '../command-ui/server/services/incidents.service.ts';
import { LiveService } from '../command-ui/server/services/live.service.ts';
import { MediaService } from '../command-ui/server/services/media.service.ts';
import { OverviewService } from '../command-ui/server/services/overview.service.ts';
import { dropSpooledEvidence, SightingsService } from '../command-ui/server/services/sightings.service.ts';
import type { EventBus } from '../command-ui/server/services/event-bus.ts';
import { SitesService } from '../command-ui/server/services/sites.service.ts';
import { SystemService } from '../command-ui/server/services/system.service.ts';
import { UnitsService } from '../command-ui/server/services/units.service.ts';
import { UsersService } from '../command-ui/server/services/users.service.ts';
import { WatchlistMatching } from '../command-ui/server/services/watchlist-matching.ts';
import { WatchlistsService } from '../command-ui/server/services/watchlists.service.ts';
import { SocketGateway } from '../command-ui/server/socket.gateway.ts';
import type { ApiServices } from '../command-ui/server/routes/types.ts';
import { createLogger, type Logger } from '../config/logger.ts';
import type { Config } from '../config/schema.ts';
import { UnavailableError } from '../contracts/errors.ts';
import { ROLES } from '../contracts/roles.ts';
import { WATCHLISTS_CHANGED_CHANNEL } from '../contracts/watchlists.ts';
import { ChangeNotices } from '../storage/change-notices.ts';
import { OnvifDevices } from '../ingest/onvif/onvif-devices.ts';
import { privacyMaskPath, writePrivacyMask } from '../ingest/stream/privacy-mask.ts';
import { pullUrl } from '../ingest/stream/pull-url.ts';
import { grabSnapshot } from '../ingest/stream/snapshot.ts';
import { openDatabase, type ArgusDatabase } from '../storage/database.ts';
import { JobQueue, JobWorker, type JobHandlers } from '../storage/job-queue.ts';
import { migrateToLatest } from '../storage/migrator.ts';
import { openRedis, type RedisHandle } from '../storage/redis.ts';
import { EvidenceStore } from '../storage/evidence-store.ts';
import { AlertsRepository } from '../storage/repositories/alerts.repository.ts';
import { DeliveriesRepository } from '../storage/repositories/deliveries.repository.ts';
import { AuditRepository } from '../storage/repositories/audit.repository.ts';
import { CameraAnalyticsRepository } from '../storage/repositories/camera-analytics.repository.ts';
import { CamerasRepository } from '../storage/repositories/cameras.repository.ts';
import { DispatchesRepository } from '../storage/repositories/dispatches.repository.ts';
import { ExportsRepository } from '../storage/repositories/exports.repository.ts';
import { IncidentsRepository } from '../storage/repositories/incidents.repository.ts';
import { OverviewRepository } from '../storage/repositories/overview.repository.ts';
import { PlansRepository } from '../storage/repositories/plans.repository.ts';
import { RecordingsRepository } from '../storage/repositories/recordings.repository.ts';
import { WallLayoutsRepository } from '../storage/repositories/wall-layouts.repository.ts';
import { SessionsRepository } from '../storage/repositories/sessions.repository.ts';
import { SightingsRepository } from '../storage/repositories/sightings.repository.ts';
import { SitesRepository } from '../storage/repositories/sites.repository.ts';
import { UnitsRepository } from '../storage/repositories/units.repository.ts';
import { UsersRepository } from '../storage/repositories/users.repository.ts';
import { WatchlistsRepository } from '../storage/repositories/watchlists.repository.ts';
import { RetentionRepository } from '../storage/repositories/retention.repository.ts';
import { RetentionRunner, removeRetiredJobSchedules } from '../storage/retention.ts';
import { SecretBox } from '../storage/secret-box.ts';
import { removeLeftoverEvidenceTemp, SightingSpool } from '../storage/sighting-spool.ts';
import { startDemoFleet } from './demo/demo-fleet.ts';
import { AnalyzerFaceEnroller } from './face-enroller.ts';
import { startMedia, type MediaParts } from './media.wiring.ts';
import { VERSION } from './version.ts';

export interface ArgusInstance {
  /** Where the API and web app listen; null when this process runs no `api` role. */
  url: string | null;
  config: Config;
  log: Logger;
  database: ArgusDatabase;
  redis: RedisHandle;
  services: ApiServices;
  jobs: JobQueue;
  media: MediaParts;
  /** The analytics role, when this process runs it. */
  analytics: AnalyticsRole | null;
  /** Credentials of the administrator created on this (first) start, else null. Print once. */
  firstAdmin: { username: string; password: string } | null;
  stop(): Promise<void>;
}

/**
 * The role entry point: open storage, then start the roles this process runs (api, ingest,
 * analytics, worker) and wire them together. Everything started is stopped by `stop()`, in
 * reverse order, once.
 */
export async function startArgus(config: Config, options: { log?: Logger } = {}): Promise<ArgusInstance> {
  const log = options.log ?? createLogger(config);
  const closers: Array<() => Promise<unknown>> = [];
  let stopping = false;
  const stop = async () => {
    stopping = true;
    while (closers.length) {
      const close = closers.pop()!;
      await close().catch((err: unknown) => log.warn({ err: (err as Error).message }, 'error while stopping'));
    }
  };
  try {
    mkdirSync(config.dataDir, { recursive: true });
    const database = await openDatabase(config);
    closers.push(() => database.close());
    await migrateToLatest(database);

    const users = new UsersRepository(database.db);
    const sessions = new SessionsRepository(database.db);
    const audit = new AuditRepository(database.db);
    const cameras = new CamerasRepository(database.db);
    const sites = new SitesRepository(database.db);
    const recordings = new RecordingsRepository(database.db);
    const secrets = SecretBox.fromConfig(config);

    const redis = await openRedis(config, log);
    closers.push(() => redis.close());
    const control = redis.connect('control');
    closers.push(() => control.quit());
    const jobs = new JobQueue(redis, config.redis.prefix, log.child({ module: 'jobs' }));
    closers.push(() => jobs.close());

    const roles = new Set(config.roles);
    const auth = new AuthService({ users, sessions, audit, config: config.auth, log: log.child({ module: 'auth' }) });

    // Events reach sockets through this process's gateway when it runs the api role, else through Redis.
    let gateway: SocketGateway | null = null;
    // Services get this forwarder; it reaches sockets once the gateway (or the Redis emitter) exists.
    let events: EventBus | null = null;
    // Once stopping has begun, events are dropped: the gateway and its Redis connections may be closed
    // already while cameras still end their tracks (sightings stored then, but pushed to nobody).
    const lateEvents: EventBus = {
      toPermitted: (...a) => (stopping ? undefined : events?.toPermitted(...a)),
      toRooms: (...a) => (stopping ? undefined : events?.toRooms(...a)),
      toCameraSearchers: (...a) => (stopping ? undefined : events?.toCameraSearchers?.(...a)),
    };
    const cameraAnalytics = new CameraAnalyticsRepository(database.db);
    // Watchlists and alerts: every stored sighting is matched; an alert is stored, pushed, then delivered by jobs.
    const evidence = EvidenceStore.fromConfig(config);
    const watchlistsRepo = new WatchlistsRepository(database.db);
    const alertsRepo = new AlertsRepository(database.db);
    const delivery = new AlertDeliveryService({
      deliveries: new DeliveriesRepository(database.db),
      alerts: alertsRepo,
      config: config.alerts,
      queue: async (job, jobId) => {
        const options = { attempts: config.alerts.deliveryAttempts, jobId };
        if (job.kind === 'webhook') await jobs.add('alert.webhook', { alertId: job.alertId, webhook: job.webhook }, options);
        else await jobs.add('alert.sms', { alertId: job.alertId }, options);
      },
      log: log.child({ module: 'alert-delivery' }),
    });
    const alerts = new AlertsService({
      alerts: alertsRepo,
      audit,
      evidence,
      events: lateEvents,
      config: config.alerts,
      // Stored as pending in the database first; the job only carries it out (delivery.sweep() queues lost ones again).
      enqueue: (job) => delivery.plan(job),
      log: log.child({ module: 'alerts' }),
    });
    // With the sightings repository: sightings left unmatched by a crash or an outage are matched again (matched_at).
    const matching = new WatchlistMatching({
      watchlists: watchlistsRepo,
      alerts,
      sightings: new SightingsRepository(database.db, { trgm: database.trgm, vector: database.vector }),
      log: log.child({ module: 'watchlist-matching' }),
    });
    closers.push(async () => matching.close());
    // A watchlist change reaches every process's matchers through Redis pub/sub (and this one's at once).
    const watchlistNotices = await ChangeNotices.open(redis, {
      prefix: config.redis.prefix,
      topic: WATCHLISTS_CHANGED_CHANNEL,
      onChange: () => void matching.reload(),
      log: log.child({ module: 'watchlists' }),
    });
    closers.push(() => watchlistNotices.close());
    await matching.start();
    const enroller = new AnalyzerFaceEnroller({ modelsDir: config.modelsDir, models: config.analytics.models });
    closers.push(() => enroller.close());
    // Face search by photo: the same rules, but a search photo may be poorer than an enrolment photo.
    const faceProbe = new AnalyzerFaceEnroller({ modelsDir: config.modelsDir, models: config.analytics.models, minQuality: 0.2 });
    closers.push(() => faceProbe.close());
    const watchlists = new WatchlistsService({
      watchlists: watchlistsRepo,
      audit,
      enroller,
      changed: async () => {
        await matching.reload();
        await watchlistNotices.publish();
      },
      log: log.child({ module: 'watchlists' }),
    });
    // Persist, then publish: the API's sightings search and the analytics role's SightingRecorder.
    const sightings = new SightingsService({
      sightings: new SightingsRepository(database.db, { trgm: database.trgm, vector: database.vector }),
      settings: cameraAnalytics,
      evidence,
      audit,
      events: lateEvents,
      log: log.child({ module: 'sightings' }),
      onStored: (sighting, extra) => matching.onSighting(sighting, extra),
      faceProbe,
      cameras,
      // While PostgreSQL is unreachable, sightings wait in <dataDir>/spool and are stored when it returns.
      spool: config.analytics.spool.enabled
        ? await SightingSpool.open({
            dir: join(config.dataDir, 'spool'),
            maxBytes: Math.round(config.analytics.spool.maxMegabytes * 1024 * 1024),
            maxRecords: config.analytics.spool.maxRecords,
            log: log.child({ module: 'sighting-spool' }),
            onDrop: dropSpooledEvidence(evidence),
          })
        : null,
    });
    sightings.startSpool();
    closers.push(() => sightings.close());
    // Half-written evidence images of a crash (a minute old: another process on this folder may be writing one now).
    void removeLeftoverEvidenceTemp(evidence.root, 60_000).then((n) => {
      if (n) log.warn({ removed: n }, 'removed half-written evidence files left by a crash');
    });
    // Emergency command and dispatch: incidents, units, dispatches, emergency plans.
    const unitsRepo = new UnitsRepository(database.db);
    const units = new UnitsService({
      units: unitsRepo,
      audit,
      events: lateEvents,
      config: config.dispatch,
      log: log.child({ module: 'units' }),
    });
    const dispatchesRepo = new DispatchesRepository(database.db);
    const incidents = new IncidentsService({
      incidents: new IncidentsRepository(database.db),
      dispatches: dispatchesRepo,
      plans: new PlansRepository(database.db),
      alerts: alertsRepo,
      units,
      evidence,
      audit,
      events: lateEvents,
      config: config.dispatch,
      log: log.child({ module: 'incidents' }),
    });
    const dispatch = new DispatchService({
      dispatches: dispatchesRepo,
      incidents,
      units,
      audit,
      events: lateEvents,
      config: config.dispatch,
      log: log.child({ module: 'dispatch' }),
    });
    // Evidence export: requests through the API, packages built by the worker role's 'export.build' job.
    const exportsService = new ExportsService({
      exports: new ExportsRepository(database.db),
      cameras,
      recordings,
      sightings: new SightingsRepository(database.db, { trgm: database.trgm, vector: database.vector }),
      alerts: alertsRepo,
      users,
      evidence,
      audit,
      events: lateEvents,
      config,
      enqueue: async (exportId) => {
        await jobs.add('export.build', { exportId }, { jobId: `export-${exportId}`, attempts: 2 });
      },
      log: log.child({ module: 'exports' }),
    });
    // Analytics before media: ingest hands its decoded frames to it (and stops it after the cameras).
    let analytics: AnalyticsRole | null = null;
    if (roles.has('analytics')) {
      const role = await startAnalyticsRole({
        modelsDir: config.modelsDir,
        workers: config.analytics.workers,
        threadsPerWorker: config.analytics.threadsPerWorker,
        workerNice: config.analytics.workerNice,
        models: config.analytics.models,
        maxFrameAgeMs: config.analytics.maxFrameAgeMs,
        queuePerCamera: config.analytics.queuePerCamera,
        policy: { trackTimeoutMs: config.analytics.trackTimeoutMs },
        settingsFor: (cameraId) => sightings.settingsFor(cameraId),
        recorder: sightings,
        log,
      });
      analytics = role;
      closers.push(() => role.close());
    }
    // Media first: the API's live video service signals through its relay.
    const media = await startMedia({ config, log, redis, cameras, recordings, secrets, events: lateEvents, analytics });
    closers.push(() => media.close());
    const services: ApiServices = {
      auth,
      users: new UsersService({ users, sessions, audit, log: log.child({ module: 'users' }) }),
      cameras: new CamerasService({ cameras, audit, secrets, events: lateEvents, log: log.child({ module: 'cameras' }), onvif: new OnvifDevices() }),
      sites: new SitesService({ sites, audit }),
      media: new MediaService({
        layouts: new WallLayoutsRepository(database.db),
        recordings,
        cameras,
        audit,
        recordingsDir: join(config.dataDir, 'recordings'),
        secrets,
        snapshots: {
          // An existing file is used as it is: writing it again would race the ingest session's own write.
          maskFile: async (cameraId, masks) => {
            if (masks.length === 0) return null;
            const path = privacyMaskPath(config.dataDir, cameraId, masks);
            return existsSync(path) ? path : writePrivacyMask(config.dataDir, cameraId, masks);
          },
          fromFile: (path, opts) => grabSnapshot({ input: path, seekFromEnd: opts.seekFromEnd, maskFile: opts.maskFile, timeoutMs: opts.timeoutMs, rtsp: false }),
          fromCamera: (camera, opts) => grabSnapshot({ input: pullUrl(camera), maskFile: opts.maskFile, timeoutMs: opts.timeoutMs }),
        },
      }),
      live: new LiveService({ relay: media.relay, cameras, audit, log: log.child({ module: 'live' }) }),
      sightings,
      watchlists,
      alerts,
      incidents,
      units,
      dispatch,
      overview: new OverviewService({ overview: new OverviewRepository(database.db), config: config.dispatch }),
      exports: exportsService,
      system: new SystemService({
        probes: {
          version: VERSION,
          roles: [...roles],
          database,
          redisPing: async () => (await control.ping()) === 'PONG',
          spool: () => sightings.spoolStats(),
        },
        audit,
        jobs,
      }),
    };

    let url: string | null = null;
    if (roles.has('api')) {
      const app = await buildApi({ config, log, services, version: VERSION });
      const pub = redis.connect('socket-pub');
      const sub = redis.connect('socket-sub');
      gateway = new SocketGateway(app.server, {
        auth,
        log: log.child({ module: 'socket' }),
        redis: { pub, sub, prefix: config.redis.prefix },
        // The sockets of officers linked to a unit join `unit:<id>` (their tablet gets its dispatches).
        unitsOfUser: (userId) => units.unitIdsOfUser(userId),
        sessionCheckMs: (config.auth.sessionCheckSeconds ?? 30) * 1000,
        // Users whose search is limited to some cameras get the sightings of those cameras only.
        cameraPlacements: () => cameras.placements(),
      });
      const gw = gateway;
      auth.onSessionEnd((sessionId) => gw.disconnectSession(sessionId));
      // A user who logs out stops watching: their live viewers close (and are audited).
      auth.onSessionEnd((sessionId) => {
        services.live.closeSessionViewers(sessionId).catch((err: unknown) => log.warn({ err: (err as Error).message }, 'could not close the live viewers of a session'));
      });
      closers.push(async () => {
        await pub.quit();
        await sub.quit();
      });
      closers.push(() => app.close());
      events = gateway;
      try {
        await app.listen({ host: config.server.host, port: config.server.port });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
          throw new UnavailableError(
            `Cannot listen on ${config.server.host}:${config.server.port} (${code}): ` +
              (code === 'EADDRINUSE' ? 'another program uses this port. ' : '') +
              'Choose another address, e.g. ARGUS_PORT=8081 npm start, or --port 8081.',
          );
        }
        throw err;
      }
      const address = app.server.address() as AddressInfo;
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      url = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${address.port}`;
    } else {
      const emitterClient = redis.connect('emitter');
      closers.push(() => emitterClient.quit());
      events = new RedisEventBus(emitterClient, config.redis.prefix);
    }

    if (roles.has('worker')) {
      const handlers: JobHandlers = {
        'notice.broadcast': async (payload, { jobId }) => {
          lateEvents.toRooms(
            ROLES.map((r) => `role:${r}`),
            'notice',
            { id: jobId, level: payload.level, text: payload.text, at: new Date().toISOString() },
          );
        },
        'sessions.prune': async (_payload, { log: jobLog }) => {
          const removed = await sessions.deleteExpired(new Date());
          jobLog.info({ removed }, 'expired sessions removed');
          return { removed };
        },
        'retention.run': async (_payload, { log: jobLog }) => {
          const result = await new RetentionRunner({
            retention: new RetentionRepository(database.db),
            audit,
            evidence,
            recordingsDir: join(config.dataDir, 'recordings'),
            policy: config.retention,
            log: jobLog,
          }).run();
          return result.counts;
        },
        'alert.webhook': async (payload, { attempt }) => delivery.deliver({ kind: 'webhook', alertId: payload.alertId, webhook: payload.webhook }, attempt),
        'alert.sms': async (payload, { attempt }) => delivery.deliver({ kind: 'sms', alertId: payload.alertId }, attempt),
        'alerts.escalate': async () => ({ escalated: await alerts.escalate() }),
        'dispatches.overdue': async () => ({ flagged: await dispatch.flagOverdue() }),
        'export.build': async (payload, { log: jobLog }) => exportsService.build(payload.exportId, jobLog),
        'exports.prune': async (_payload, { log: jobLog }) => {
          const result = await exportsService.prune();
          jobLog.info({ ...result, days: config.exports.keepDays }, 'old export packages removed');
          return result;
        },
      };
      const worker = new JobWorker(redis, config.redis.prefix, handlers, log.child({ module: 'jobs' }));
      closers.push(() => worker.close());
      await worker.waitUntilReady();
      // Schedules live in Redis: set again whenever Redis comes back (it may come back empty).
      const schedule = async () => {
        await jobs.schedule('sessions.prune', {}, 60 * 60 * 1000);
        await jobs.schedule('retention.run', {}, 60 * 60 * 1000);
        await jobs.schedule('alerts.escalate', {}, Math.min(15_000, config.alerts.escalateAfterSeconds * 250));
        await jobs.schedule('dispatches.overdue', {}, Math.min(10_000, config.dispatch.acceptWithinSeconds * 250));
        await jobs.schedule('exports.prune', {}, 60 * 60 * 1000);
      };
      await schedule();
      await removeRetiredJobSchedules(redis, config.redis.prefix).catch((err: unknown) =>
        log.warn({ err: (err as Error).message }, 'could not remove the schedules of retired jobs'),
      );
      // Deliveries pending in the database without a job (a Redis restart lost it) are queued again:
      // now, every alerts.deliverySweepSeconds, and each time Redis reconnects.
      delivery.start();
      closers.push(() => delivery.stop());
      let wasReady = control.status === 'ready';
      const onRedisReady = () => {
        if (!wasReady) {
          wasReady = true;
          return;
        }
        log.info('redis is back: queueing pending alert deliveries and job schedules again');
        schedule().catch((err: unknown) => log.warn({ err: (err as Error).message }, 'could not set the job schedules again'));
        delivery.sweep().catch((err: unknown) => log.warn({ err: (err as Error).message }, 'delivery sweep failed'));
      };
      control.on('ready', onRedisReady);
      closers.push(async () => void control.off('ready', onRedisReady));
      // The demo fleet runs with the worker role, not the api role: api processes are the ones scaled out
      // behind a load balancer, while the background work (the jobs) belongs to the worker; with every role
      // in one process (npm start) it runs there.
      if (config.demo.fleet) {
        const fleet = await startDemoFleet({
          units,
          unitsRepo,
          audit,
          dispatchTarget: async (dispatchId) => (await dispatchesRepo.get(dispatchId))?.incident.location ?? null,
          tickMs: config.demo.fleetTickMs,
          log: log.child({ module: 'demo-fleet' }),
        });
        closers.push(() => fleet.stop());
      }
    }

    const firstAdmin = await auth.ensureFirstAdmin();
    log.info({ url, roles: [...roles], database: database.kind, vector: database.vector, redisStartedLocal: redis.startedLocal }, 'argus started');

    let stopped: Promise<void> | null = null;
    return {
      url,
      config,
      log,
      database,
      redis,
      services,
      jobs,
      media,
      analytics,
      firstAdmin,
      stop: () => (stopped ??= stop()),
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
