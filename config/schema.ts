import { z } from 'zod';
import { alertLevelDisplaySchema, DEFAULT_ALERT_LEVELS, mapSettingsSchema } from '../contracts/display.ts';
import { DEFAULT_INCIDENT_TYPES, incidentTypeSchema } from '../contracts/incidents.ts';
import { PROCESS_ROLES } from '../contracts/roles.ts';

/**
 * The one configuration schema of Argus. Every field is described; unknown keys are errors.
 * Defaults are the embedded mode: everything on this machine, bound to loopback.
 */
const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** A key that moved: any value is an error that names the new place (absent is fine). */
const movedTo = (place: string) =>
  z
    .never({ error: `this setting moved: set ${place} instead` })
    .optional()
    .describe(`Moved to ${place}; setting it here is an error`);

const retentionDays = (fallback: number, what: string) => z.number().int().min(1).max(3650).default(fallback).describe(what);

export const configSchema = z
  .object({
    dataDir: z.string().min(1).default('./data').describe('Folder for the embedded database, keys, snapshots and recordings'),
    modelsDir: z
      .string()
      .min(1)
      .nullable()
      .default(null)
      .describe('Folder holding the ONNX model files (see `argus models`); null: <dataDir>/models'),
    mediaDir: z.string().min(1).nullable().default(null).describe('Folder with demo media (test images and video); null: <dataDir>/media'),
    roles: z
      .array(z.enum(PROCESS_ROLES))
      .min(1)
      .default([...PROCESS_ROLES])
      .describe('Process roles this process runs: api, ingest, analytics, worker'),
    server: z
      .object({
        host: z.string().min(1).default('127.0.0.1').describe('Address the HTTP server listens on'),
        port: z.number().int().min(0).max(65535).default(8080).describe('HTTP port (0 picks a free one)'),
        bodyLimitBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024).describe('Largest request body accepted'),
        trustProxy: z.boolean().default(false).describe('Trust X-Forwarded-* headers from a reverse proxy'),
        webDir: z.string().default('./command-ui/web/dist').describe('Built web application served at /'),
      })
      .strict()
      .prefault({})
      .describe('HTTP API and web application'),
    database: z
      .object({
        url: z
          .string()
          .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
          .nullable()
          .default(null)
          .describe('PostgreSQL server URL; when null the embedded PGlite database in dataDir is used'),
        poolSize: z.number().int().min(1).max(200).default(10).describe('Connections in the pool (server mode)'),
        schema: z
          .string()
          .regex(/^[a-z_][a-z0-9_]*$/, 'lower-case identifier')
          .default('public')
          .describe('PostgreSQL schema holding Argus tables'),
      })
      .strict()
      .prefault({})
      .describe('Database'),
    redis: z
      .object({
        url: z
          .string()
          .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
          .default('redis://127.0.0.1:6379')
          .describe('Redis URL for jobs, leases and pub/sub'),
        startLocal: z
          .boolean()
          .default(true)
          .describe('When Redis at a loopback URL is not answering, start a local redis-server for this process'),
        prefix: z.string().regex(/^[A-Za-z0-9:_-]+$/).default('argus').describe('Key prefix for queues and leases'),
      })
      .strict()
      .prefault({})
      .describe('Redis'),
    auth: z
      .object({
        sessionTtlMinutes: z.number().int().min(5).max(7 * 24 * 60).default(12 * 60).describe('Session length; renewed while in use'),
        maxFailedLogins: z.number().int().min(3).max(100).default(10).describe('Failed logins in a row before the account locks'),
        lockMinutes: z.number().int().min(1).max(24 * 60).default(15).describe('How long a locked account stays locked'),
        loginRateLimitPerMinute: z.number().int().min(1).max(10_000).default(60).describe('Login attempts accepted per client address per minute'),
        sessionCheckSeconds: z
          .number()
          .min(0.1)
          .max(3600)
          .optional()
          .describe('How often open socket connections have their session checked (default 30); one that expired or was revoked is closed'),
      })
      .strict()
      .prefault({})
      .describe('Login and sessions'),
    secrets: z
      .object({
        keyFile: z
          .string()
          .nullable()
          .default(null)
          .describe('File holding the 32-byte key (hex) that encrypts camera credentials; null: <dataDir>/secret.key, created on first start'),
        key: z
          .string()
          .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters')
          .nullable()
          .default(null)
          .describe('The key itself (from ARGUS_SECRET_KEY); takes precedence over keyFile'),
      })
      .strict()
      .prefault({})
      .describe('Encryption of secrets at rest'),
    ingest: z
      .object({
        transport: z.enum(['tcp', 'udp']).default('tcp').describe('RTSP transport to cameras (TCP survives packet loss; UDP has less delay)'),
        roundSeconds: z.number().int().min(1).max(60).default(5).describe('How often ingest checks which cameras it should pull'),
        leaseSeconds: z.number().int().min(3).max(120).default(15).describe('A dead ingest process loses its cameras after this long'),
        watchdogSeconds: z.number().int().min(2).max(300).default(10).describe('An ffmpeg that produced no video this long is restarted'),
        backoffSeconds: z.array(z.number().min(0.1).max(3600)).min(1).default([1, 5, 10, 30, 60]).describe('Reconnect delays, step by step'),
        analytics: z
          .object({
            fps: z.number().min(0.2).max(30).default(5).describe('Frames per second decoded for recognition'),
            width: z.number().int().min(160).max(3840).default(1280).describe('Width of decoded frames (height keeps the aspect); plates need about 1280 to be read at a distance'),
          })
          .strict()
          .prefault({})
          .describe('Frames for analytics'),
        recording: z
          .object({
            enabled: z.boolean().default(true).describe('Record every camera'),
            segmentSeconds: z.number().int().min(10).max(3600).default(60).describe('Length of one recording file'),
            maxAgeHours: movedTo('retention.recordings (in days)'),
            maxTotalGigabytes: z.number().min(0.1).max(1_000_000).default(50).describe('Oldest recordings are deleted beyond this total size'),
          })
          .strict()
          .prefault({})
          .describe('Recording to <dataDir>/recordings'),
      })
      .strict()
      .prefault({})
      .describe('Camera ingest'),
    analytics: z
      .object({
        workers: z.number().int().min(0).max(64).default(0).describe('Analysis worker threads; 0: one per CPU core'),
        threadsPerWorker: z.number().int().min(0).max(64).default(0).describe('ONNX Runtime threads per worker; 0: the cores shared out among the workers'),
        workerNice: z
          .number()
          .int()
          .min(0)
          .max(19)
          .default(10)
          .describe('Nice value of the analysis worker threads: analysis yields the CPU to video ingest, the API and alert delivery (0: same priority)'),
        queuePerCamera: z.number().int().min(1).max(25).default(1).describe('Frames a camera may have waiting while the workers are busy (the oldest is dropped beyond)'),
        maxFrameAgeMs: z.number().int().min(100).max(60_000).default(2000).describe('A frame that waited longer is dropped rather than analysed (bounds the delay)'),
        trackTimeoutMs: z.number().int().min(200).max(60_000).default(1500).describe('A track (one vehicle, face or person) ends this long after it was last seen'),
        sightingRetentionDays: movedTo('retention.sightings'),
        spool: z
          .object({
            enabled: z.boolean().default(true).describe('Spool sightings to <dataDir>/spool while the database is unreachable, and store them when it returns'),
            maxMegabytes: z.number().min(1).max(1_000_000).default(512).describe('Most disk the spool may use (entries and the evidence images they hold); beyond, the oldest spooled sighting is dropped and counted'),
            maxRecords: z.number().int().min(10).max(10_000_000).default(200_000).describe('Most sightings the spool may hold; beyond, the oldest is dropped and counted'),
          })
          .strict()
          .prefault({})
          .describe('Sightings kept on disk while PostgreSQL is unreachable'),
        models: z
          .object({
            faceDetector: z.string().min(1).default('yunet_n_dynamic').describe('Face detector (models/manifest.ts name)'),
            faceEmbedder: z.string().min(1).default('mobilefacenet').describe('Face embedder: mobilefacenet (128-d) or faceplugin_fr_feature (512-d)'),
            plateDetector: z.string().min(1).default('plate_detect').describe('Plate detector'),
            plateRecognizer: z.string().min(1).default('plate_rec_color').describe('Plate recogniser (text and colour)'),
            objectDetector: z.string().min(1).default('yolox_nano').describe('Person and vehicle detector'),
          })
          .strict()
          .prefault({})
          .describe('Which weights each task uses (swap them for others with an acceptable licence)'),
      })
      .strict()
      .prefault({})
      .describe('Recognition (plates, faces, objects) in worker threads'),
    alerts: z
      .object({
        escalateAfterSeconds: z
          .number()
          .int()
          .min(5)
          .max(24 * 3600)
          .default(60)
          .describe('A red or orange alert not acknowledged within this time is escalated to the commanders'),
        deliveryAttempts: z.number().int().min(1).max(20).default(5).describe('Tries per webhook or SMS delivery (exponential backoff) before it goes to the dead-letter list'),
        deliveryTimeoutMs: z.number().int().min(100).max(60_000).default(5000).describe('Time limit of one webhook or SMS gateway request'),
        deliverySweepSeconds: z
          .number()
          .int()
          .min(1)
          .max(3600)
          .default(30)
          .describe('How often the worker looks in the database for deliveries still pending without a queued job (lost with a Redis restart) and queues them again; also on start and when Redis reconnects'),
        webhooks: z
          .array(
            z
              .object({
                url: z.string().url().regex(/^https?:\/\//, 'an http:// or https:// URL').describe('Receiver address (POST, JSON body: the alert)'),
                secret: z.string().min(16).nullable().default(null).describe('When set, the body is signed: header x-argus-signature: sha256=<HMAC-SHA256 hex>'),
                levels: z.array(z.enum(['red', 'orange', 'yellow', 'blue'])).min(1).default(['red', 'orange', 'yellow', 'blue']).describe('Alert levels sent to it'),
                covert: z
                  .boolean()
                  .default(false)
                  .describe('Also send hits of covert lists (only to a receiver cleared to see them); by default covert alerts never leave Argus'),
              })
              .strict(),
          )
          .max(20)
          .default([])
          .describe('Outbound webhooks, one delivery job per alert and webhook'),
        sms: z
          .object({
            url: z.string().url().regex(/^https?:\/\//, 'an http:// or https:// URL').describe('SMS gateway address (POST, JSON body { recipients, text, alertId })'),
            recipients: z.array(z.string().regex(/^\+?[0-9]{5,20}$/, 'a phone number')).min(1).describe('Phone numbers'),
            levels: z.array(z.enum(['red', 'orange', 'yellow', 'blue'])).min(1).default(['red']).describe('Alert levels sent by SMS'),
            language: z.enum(['zh-CN', 'en']).default('zh-CN').describe('Language of the SMS text (level names as configured in alerts.levels)'),
            covert: z.boolean().default(false).describe('Also text hits of covert lists; by default covert alerts are never sent by SMS'),
          })
          .strict()
          .nullable()
          .default(null)
          .describe('SMS gateway (HTTP); null: no SMS'),
        levels: z
          .object({
            red: alertLevelDisplaySchema.default(DEFAULT_ALERT_LEVELS.red),
            orange: alertLevelDisplaySchema.default(DEFAULT_ALERT_LEVELS.orange),
            yellow: alertLevelDisplaySchema.default(DEFAULT_ALERT_LEVELS.yellow),
            blue: alertLevelDisplaySchema.default(DEFAULT_ALERT_LEVELS.blue),
          })
          .strict()
          .prefault({})
          .describe('Names, actions and colours of the four alert levels (red is the most severe, blue the least) on every screen and in SMS texts'),
      })
      .strict()
      .prefault({})
      .describe('Watchlist alerts: escalation and outbound delivery'),
    map: mapSettingsSchema.prefault({}).describe('The map: tile source (none by default: a coordinate grid, nothing fetched from outside) and where it opens'),
    dispatch: z
      .object({
        acceptWithinSeconds: z
          .number()
          .int()
          .min(5)
          .max(3600)
          .default(60)
          .describe('A dispatch the unit has not accepted within this time is flagged to the dispatchers'),
        staleAfterSeconds: z
          .number()
          .int()
          .min(5)
          .max(24 * 3600)
          .default(30)
          .describe('A unit without a position report for this long is shown as stale and not proposed for dispatch'),
        positionHistoryDays: movedTo('retention.positions'),
        incidentTypes: z
          .array(incidentTypeSchema)
          .min(1)
          .max(100)
          .default(DEFAULT_INCIDENT_TYPES.map((t) => ({ code: t.code, name: { ...t.name } })))
          .superRefine((types, ctx) => {
            const seen = new Set<string>();
            types.forEach((t, i) => {
              if (seen.has(t.code)) ctx.addIssue({ code: 'custom', path: [i, 'code'], message: `duplicate type ${t.code}` });
              seen.add(t.code);
            });
          })
          .describe('Incident types (code and names); incidents, plans and filters use the codes'),
      })
      .strict()
      .prefault({})
      .describe('Emergency command and dispatch: incidents, units, dispatches'),
    exports: z
      .object({
        keyFile: z
          .string()
          .min(1)
          .nullable()
          .default(null)
          .describe('Ed25519 private key (PKCS8 PEM) that signs evidence export manifests; null: <dataDir>/keys/export-signing.key, created on first use (mode 0600)'),
        dir: z.string().min(1).nullable().default(null).describe('Folder the export packages are written to; null: <dataDir>/exports'),
        maxRangeHours: z.number().min(0.01).max(24 * 31).default(24).describe('Longest time range one export may cover'),
        keepDays: z.number().int().min(1).max(3650).default(30).describe('Export packages older than this are deleted (hourly); the record and its audit entries stay'),
      })
      .strict()
      .prefault({})
      .describe('Evidence export: signed packages of recordings, sightings, alerts and audit entries'),
    retention: z
      .object({
        recordings: z
          .number()
          .min(0.05)
          .max(3650)
          .default(3)
          .describe('Recording segments that ended more than this many days ago are deleted (fractions allowed: 0.5 is 12 hours); ingest.recording.maxTotalGigabytes caps their size as well'),
        sightings: retentionDays(90, 'Plate reads and object and face sightings (rows, evidence images) older than this many days are deleted'),
        faceCrops: retentionDays(
          30,
          'Biometric data of face sightings (embeddings, face crops and frames) is deleted after this many days (at most retention.sightings), earlier than the sighting itself',
        ),
        alerts: retentionDays(365, 'Alerts and their actions older than this many days are deleted, except those of an incident that is still open'),
        incidents: retentionDays(730, 'Closed incidents (timeline, dispatches, checklist) are deleted this many days after they were closed'),
        positions: retentionDays(30, 'Unit position history (tracks) older than this many days is deleted'),
        audit: z
          .number()
          .int()
          .min(180)
          .max(36_500)
          .default(365)
          .describe('Audit log entries older than this many days are deleted (at least 180; the database refuses younger deletions)'),
        batchSize: z.number().int().min(1).max(100_000).default(1000).describe('Rows deleted per transaction (retention never holds one long transaction)'),
      })
      .strict()
      .prefault({})
      .describe('How long each kind of data is kept; the hourly retention.run job deletes what is older and audits the counts'),
    relay: z
      .object({
        enabled: z.boolean().default(true).describe('Start the Janus WebRTC relay for live video'),
        janusPath: z.string().min(1).default('/usr/bin/janus').describe('The Janus program'),
        janusLibDir: z.string().nullable().default(null).describe("Folder of Janus's plugins and transports; null: the usual places"),
        apiHost: z.string().min(1).default('127.0.0.1').describe('Address the Janus HTTP API binds to (only Argus talks to it)'),
        apiPort: z.number().int().min(0).max(65535).default(0).describe('Port of the Janus HTTP API; 0 picks a free one'),
        advertiseHost: z
          .string()
          .min(1)
          .nullable()
          .default(null)
          .describe(
            "Address other Argus processes reach this host's Janus HTTP API at (published in the relay directory in Redis, so that API processes on other hosts open viewers here); null: apiHost",
          ),
        iceInterfaces: z
          .array(z.string().regex(/^[A-Za-z0-9_.:-]+$/, 'an interface name or address prefix (letters, digits, . : _ -)'))
          .min(1)
          .default(['lo'])
          .describe("Interfaces or address prefixes Janus offers WebRTC candidates on; ['lo'] keeps live video on this machine"),
        rtpHost: z.string().min(1).default('127.0.0.1').describe('Address the relay receives camera RTP on'),
        rtpPorts: z
          .object({ min: z.number().int().min(1024).max(65534), max: z.number().int().min(1025).max(65535) })
          .strict()
          .default({ min: 20000, max: 20999 })
          .describe('UDP ports for camera RTP inputs'),
        webrtcPorts: z
          .object({ min: z.number().int().min(1024).max(65534), max: z.number().int().min(1025).max(65535) })
          .strict()
          .default({ min: 21000, max: 21999 })
          .describe('UDP ports for WebRTC viewers'),
        viewerAnswerSeconds: z.number().int().min(5).max(300).default(30).describe('A viewer that has not answered the offer by then is closed'),
        logLevel: z.number().int().min(0).max(7).default(3).describe('Janus log level, 0 (nothing) to 7 (everything)'),
      })
      .strict()
      .superRefine((r, ctx) => {
        for (const key of ['rtpPorts', 'webrtcPorts'] as const) {
          if (r[key].min >= r[key].max) ctx.addIssue({ code: 'custom', path: [key], message: 'min must be below max' });
        }
        if (r.rtpPorts.min <= r.webrtcPorts.max && r.webrtcPorts.min <= r.rtpPorts.max) {
          ctx.addIssue({ code: 'custom', path: ['webrtcPorts'], message: 'must not overlap relay.rtpPorts' });
        }
        const loopbackOnly = r.iceInterfaces.every((i) => i === 'lo' || i.startsWith('127.') || i === '::1');
        if (loopbackOnly && !r.rtpHost.startsWith('127.')) {
          ctx.addIssue({ code: 'custom', path: ['rtpHost'], message: 'must be a 127.x.x.x address while iceInterfaces is loopback-only' });
        }
        const loopbackHost = (h: string) => h === 'localhost' || h.startsWith('127.') || h === '::1';
        if (r.advertiseHost && !loopbackHost(r.advertiseHost) && loopbackHost(r.apiHost)) {
          ctx.addIssue({ code: 'custom', path: ['apiHost'], message: 'binds Janus to this machine only, so other hosts cannot reach it at relay.advertiseHost; set this host\'s address or 0.0.0.0' });
        }
      })
      .prefault({})
      .describe('Live video relay (Janus)'),
    demo: z
      .object({
        cameras: z.boolean().default(false).describe('Serve demo cameras from the demo media and add them on first start (npm start turns this on)'),
        port: z.number().int().min(1).max(65535).default(8554).describe('RTSP port of the demo cameras (a free one is used when taken)'),
        fleet: z.boolean().default(false).describe('Simulate a patrol fleet moving along demo roads; npm start turns this on'),
        fleetTickMs: z
          .number()
          .int()
          .min(50)
          .max(60_000)
          .default(2000)
          .describe('How often the demo fleet moves and reports its positions (tests use a shorter step)'),
      })
      .strict()
      .prefault({})
      .describe('Demo cameras and the simulated demo fleet'),
    log: z
      .object({ level: logLevel.default('info').describe('Log level'), pretty: z.boolean().default(false).describe('Human-readable log lines') })
      .strict()
      .prefault({})
      .describe('Logging'),
  })
  .strict();

export type ConfigInput = z.input<typeof configSchema>;
/** The validated configuration: paths absolute, defaults derived, frozen. */
export type Config = Readonly<Omit<z.output<typeof configSchema>, 'modelsDir' | 'mediaDir'> & { modelsDir: string; mediaDir: string }>;
