/**
 * Live video across processes: two Argus systems on one PostgreSQL schema and one Redis prefix, as
 * `argus serve --roles ingest` and `argus serve --roles api,worker` would be. The ingest one pulls a
 * real RTSP camera into its Janus and publishes the mountpoint in the relay directory; the API one
 * starts no Janus at all and opens the browser's viewer on the ingest one's Janus, through the HTTP
 * API. When the ingest system stops, its record leaves the directory and the API answers the clear 503.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JanusRelay } from '../../../ingest/relay/live-relay.ts';
import { Redis } from '../../../storage/redis.ts';
import { RelayDirectory } from '../../../storage/relay-directory.ts';
import { SecretBox } from '../../../storage/secret-box.ts';
import { startRtspCamera, type RtspCamera } from '../../helpers/rtsp-camera.ts';
import { startTestSystem, TEST_REDIS_URL, type TestSystem } from '../../helpers/system.ts';
import { TEST_DATABASE_URL } from '../storage/db-helpers.ts';
import { answerSdp, eventually, sdpAddresses, testLog, testPortRanges } from './relay-helpers.ts';

describe('live video with the api and ingest roles in separate processes', () => {
  const schema = `argus_xlive_${randomBytes(5).toString('hex')}`;
  const prefix = `argus-xlive-${randomBytes(4).toString('hex')}`;
  const secretKey = randomBytes(32).toString('hex');
  const shared = {
    redis: { url: TEST_REDIS_URL, startLocal: false, prefix },
    database: { url: TEST_DATABASE_URL, schema },
    // Every process of a deployment shares the secret key (camera passwords, relay secrets).
    secrets: { key: secretKey },
  };
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  const directory = new RelayDirectory(redis, { prefix, owner: 'test-reader', box: SecretBox.fromKey(secretKey), log: testLog });
  let cam: RtspCamera;
  let ingest: TestSystem;
  let api: TestSystem;
  let token: string;
  let cameraId: string;

  beforeAll(async () => {
    cam = await startRtspCamera({ mounts: [{ path: 'live', source: { kind: 'pattern' }, width: 320, height: 180, fps: 10 }] });
    api = await startTestSystem({ config: { ...shared, roles: ['api', 'worker'], relay: { enabled: true } } });
    ingest = await startTestSystem({
      config: {
        ...shared,
        roles: ['ingest'],
        relay: { enabled: true, ...testPortRanges() },
        ingest: { roundSeconds: 1, recording: { enabled: false } },
      },
    });
    token = await api.login(api.admin.username, api.admin.password);
  });
  afterAll(async () => {
    await ingest?.stop();
    await api?.stop();
    await cam?.stop();
    await redis.quit();
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    await client.query(`drop schema if exists ${schema} cascade`);
    await client.end();
  });

  const openViewer = () => api.api(`/api/live/${cameraId}/viewers`, { token, method: 'POST', body: {} });

  it('starts no Janus in the process with the api role alone', () => {
    const relay = api.argus.media.relay;
    expect(relay).toBeInstanceOf(JanusRelay);
    expect((relay as JanusRelay).status()).toMatchObject({ ownJanus: false, janus: null, cameras: [] });
    expect(existsSync(join(api.dataDir, 'janus'))).toBe(false);
    // The ingest process has one, running.
    expect((ingest.argus.media.relay as JanusRelay).status()).toMatchObject({ ownJanus: true, janus: { state: 'running' } });
    expect(existsSync(join(ingest.dataDir, 'janus'))).toBe(true);
  });

  it('opens, answers and closes a viewer through the api process on the relay of the ingest process', async () => {
    cameraId = (await api.api('/api/cameras', { token, body: { name: 'Gate 3', sourceKind: 'rtsp', sourceUrl: cam.url('live') } })).body.id;
    const record = await eventually(async () => (await directory.lookup(cameraId)) ?? undefined, 20_000, 'the ingest relay to publish the camera');
    const ingestRelay = ingest.argus.media.relay as JanusRelay;
    const mountpoint = ingestRelay.status().cameras.find((c) => c.cameraId === cameraId);
    expect(record).toMatchObject({ cameraId, mountpointId: mountpoint?.mountpointId, loopbackIce: true, apiUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/janus$/) });

    const offer = await openViewer();
    expect(offer.status, JSON.stringify(offer.body)).toBe(201);
    expect(offer.body).toMatchObject({ cameraId, type: 'offer', viewerId: expect.any(String) });
    const { candidates, connections } = sdpAddresses(offer.body.sdp as string);
    expect(candidates.length).toBeGreaterThan(0);
    for (const address of [...candidates, ...connections]) expect(address).toBe('127.0.0.1');
    const apiRelay = api.argus.media.relay as JanusRelay;
    expect(apiRelay.status()).toMatchObject({ viewers: 1, remoteViewers: 1 });
    expect(ingestRelay.viewerCount()).toBe(0); // its Janus serves the viewer; the API process holds it

    // The answer reaches the ingest process's Janus, which accepts it.
    const answered = await api.api(`/api/live/viewers/${offer.body.viewerId}/answer`, { token, body: { type: 'answer', sdp: answerSdp() } });
    expect(answered.status, JSON.stringify(answered.body)).toBe(204);
    expect((await api.api(`/api/live/viewers/${offer.body.viewerId}`, { token, method: 'DELETE' })).status).toBe(204);
    expect(apiRelay.viewerCount()).toBe(0);
    const audit = await api.api('/api/audit?action=live.close', { token });
    expect(audit.body.items[0]).toMatchObject({ targetId: cameraId, detail: { viewerId: offer.body.viewerId, reason: 'closed' } });
  });

  it('when the ingest process stops: its viewers end, its record leaves the directory, and the api answers 503', async () => {
    const open = await openViewer();
    expect(open.status, JSON.stringify(open.body)).toBe(201);
    const apiRelay = api.argus.media.relay as JanusRelay;
    await ingest.stop();
    expect(await directory.lookup(cameraId)).toBeNull();
    await eventually(() => apiRelay.viewerCount() === 0, 15_000, 'the viewer on the stopped relay to end');
    const audit = await api.api('/api/audit?action=live.close', { token });
    expect(audit.body.items[0]).toMatchObject({ targetId: cameraId, detail: { viewerId: open.body.viewerId, reason: expect.stringMatching(/hangup|session-lost/) } });

    const refused = await openViewer();
    expect(refused.status).toBe(503);
    expect(refused.body.error.message).toBe(
      `Camera ${cameraId} has no live stream on the relay yet: its ingest session is not running. Try again when the camera is online.`,
    );
  });
});
