/**
 * The relay against a real Janus (Debian's janus package) and real H.264 RTP from ffmpeg: generated
 * configuration, loopback-only ICE, mountpoints fed with video, viewers' offers, supervision after
 * Janus is killed, and a clean stop. A missing janus binary fails these tests; nothing is skipped.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../../contracts/errors.ts';
import { JanusClient, httpJanusTransport } from '../../../ingest/relay/janus.client.ts';
import { DEFAULT_RELAY_SETTINGS } from '../../../ingest/relay/janus.config.ts';
import { startJanusRelay, type ViewerClosedEvent } from '../../../ingest/relay/live-relay.ts';
import { eventually, pushTestVideo, sdpAddresses, startTestRelay, testLog, type TestRelay, type TestVideo } from './relay-helpers.ts';

/** The Janus API root of a running test relay, read from the configuration it generated. */
function apiOf(t: TestRelay): { url: string; secret: string } {
  const http = readFileSync(join(t.dataDir, 'janus', 'janus.transport.http.jcfg'), 'utf8');
  const core = readFileSync(join(t.dataDir, 'janus', 'janus.jcfg'), 'utf8');
  const port = /\tport = (\d+)/.exec(http)![1];
  const secret = /\tapi_secret = "([^"]+)"/.exec(core)![1]!;
  return { url: `http://127.0.0.1:${port}/janus`, secret };
}

/** Local addresses of the sockets a process holds, from `ss` (TCP listening, UDP bound). */
function socketsOf(pid: number): string[] {
  const out = execFileSync('ss', ['-H', '-n', '-a', '-p', '-t', '-u'], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l.includes(`pid=${pid},`))
    .map((l) => l.trim().split(/\s+/)[4]!)
    .sort();
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('Janus relay (real Janus, real RTP)', () => {
  let t: TestRelay;
  let video: TestVideo | null = null;
  const closed: ViewerClosedEvent[] = [];

  beforeAll(async () => {
    t = await startTestRelay();
    t.relay.onViewerClosed((e) => closed.push(e));
  });
  afterAll(async () => {
    await video?.stop();
    await t?.stop();
  });

  it('starts Janus from the generated configuration: only the streaming plugin and the HTTP API, the API secret required', async () => {
    const status = t.relay.status().janus!;
    expect(status.state).toBe('running');
    for (const name of ['janus.jcfg', 'janus.transport.http.jcfg', 'janus.plugin.streaming.jcfg']) {
      expect(statSync(join(t.dataDir, 'janus', name)).mode & 0o777).toBe(0o600);
    }
    const api = apiOf(t);
    const info = await new JanusClient({ transport: httpJanusTransport(api.url), apiSecret: api.secret, streamingAdminKey: '-', log: testLog }).info();
    expect(info).toMatchObject({ versionString: expect.stringMatching(/^1\./), localIp: '127.0.0.1', iceLite: false, fullTrickle: false });
    expect(info.plugins).toEqual(['janus.plugin.streaming']);
    expect(info.transports).toEqual(['janus.transport.http']);

    const refused = await fetch(api.url, { method: 'POST', body: JSON.stringify({ janus: 'create', transaction: 'no-secret-1' }) });
    expect(await refused.json()).toMatchObject({ janus: 'error', error: { code: 403 } });
    const wrong = new JanusClient({ transport: httpJanusTransport(api.url), apiSecret: 'guessed', streamingAdminKey: '-', log: testLog });
    await expect(wrong.createSession()).rejects.toMatchObject({ code: ERROR_CODES.INTERNAL, janusCode: 403 });
  });

  it('creates a mountpoint that receives real H.264 RTP from ffmpeg on its port', async () => {
    const input = await t.relay.ensureCamera('cam-1');
    expect(input.rtpHost).toBe('127.0.0.1');
    expect(input.rtpPort % 2).toBe(0);
    expect(input.rtpPort).toBeGreaterThanOrEqual(t.settings.rtpPorts.min);
    // Nothing arrives yet: the age of the last packet grows.
    await eventually(async () => ((await t.relay.listMountpoints()).find((m) => m.id === input.mountpointId)?.videoAgeMs ?? 0) > 1000, 5000, 'an idle mountpoint');
    video = pushTestVideo(input.rtpPort);
    await eventually(
      async () => {
        const m = (await t.relay.listMountpoints()).find((x) => x.id === input.mountpointId);
        return m && m.videoAgeMs !== null && m.videoAgeMs < 300 ? m : undefined;
      },
      8000,
      `RTP at mountpoint ${input.mountpointId} (ffmpeg: ${video.stderr()})`,
    );
  });

  it("offers viewers ICE candidates on 127.0.0.1 only, and Janus's sockets are all on loopback", async () => {
    const { viewerId, offer } = await t.relay.openViewer('cam-1');
    expect(offer.type).toBe('offer');
    expect(offer.sdp).toMatch(/a=rtpmap:96 H264\/90000/);
    expect(offer.sdp).toMatch(/a=fmtp:96 profile-level-id=42e01f;packetization-mode=1/);
    const { candidates, connections } = sdpAddresses(offer.sdp);
    expect(candidates.length).toBeGreaterThan(0);
    expect(connections.length).toBeGreaterThan(0);
    expect(candidates.every((a) => a === '127.0.0.1')).toBe(true);
    expect(connections.every((a) => a === '127.0.0.1')).toBe(true);
    expect(offer.sdp).not.toMatch(/typ (srflx|relay)/);

    // HTTP API, mountpoint RTP input, this viewer's ICE port: all bound to 127.0.0.1.
    const sockets = socketsOf(t.relay.status().janus!.pid!);
    expect(sockets.length).toBeGreaterThanOrEqual(3);
    expect(sockets.filter((s) => !s.startsWith('127.0.0.1:'))).toEqual([]);
    expect(t.relay.viewerCount()).toBe(1);
    await t.relay.closeViewer(viewerId);
    expect(t.relay.viewerCount()).toBe(0);
    expect(closed.at(-1)).toEqual({ viewerId, cameraId: 'cam-1', reason: 'closed' });
  });

  it('destroys a mountpoint with its camera', async () => {
    const input = await t.relay.ensureCamera('cam-2');
    expect((await t.relay.listMountpoints()).map((m) => m.id)).toContain(input.mountpointId);
    await t.relay.removeCamera('cam-2');
    expect((await t.relay.listMountpoints()).map((m) => m.id)).not.toContain(input.mountpointId);
    await expect(t.relay.openViewer('cam-2')).rejects.toMatchObject({ code: ERROR_CODES.UNAVAILABLE });
  });

  it('restarts Janus when it is killed and creates the mountpoints again on the same port', async () => {
    const input = await t.relay.ensureCamera('cam-1');
    const { viewerId } = await t.relay.openViewer('cam-1');
    const pid = t.relay.status().janus!.pid!;
    process.kill(pid, 'SIGKILL');
    const restarted = await eventually(
      () => {
        const s = t.relay.status();
        return s.janus!.state === 'running' && s.janus!.restarts === 1 && s.janus!.pid !== pid ? s : undefined;
      },
      15_000,
      'janus to be restarted',
    );
    expect(restarted.janus!.lastExit).toMatchObject({ signal: 'SIGKILL' });
    // The viewer of the dead Janus is closed; the mountpoint is back and receives the same ffmpeg stream.
    await eventually(() => closed.some((e) => e.viewerId === viewerId), 10_000, 'the old viewer to close');
    expect(closed.find((e) => e.viewerId === viewerId)!.reason).toMatch(/relay-restarted|session-lost/);
    await eventually(
      async () => {
        const m = (await t.relay.listMountpoints()).find((x) => x.id === input.mountpointId);
        return m && m.videoAgeMs !== null && m.videoAgeMs < 300 ? m : undefined;
      },
      10_000,
      'the mountpoint to be created again and receive RTP',
    );
    expect(await t.relay.ensureCamera('cam-1')).toEqual(input);
    expect(t.relay.status().cameras.find((c) => c.cameraId === 'cam-1')).toMatchObject({ live: true, rtpPort: input.rtpPort });
    const again = await t.relay.openViewer('cam-1');
    expect(sdpAddresses(again.offer.sdp).candidates.every((a) => a === '127.0.0.1')).toBe(true);
    await t.relay.closeViewer(again.viewerId);
  });

  it('stops once and leaves no Janus process', async () => {
    const other = await startTestRelay();
    const pid = other.relay.status().janus!.pid!;
    await other.relay.ensureCamera('x');
    expect(isAlive(pid)).toBe(true);
    await Promise.all([other.stop(), other.relay.close()]);
    expect(isAlive(pid)).toBe(false);
    expect(other.relay.status().janus!.state).toBe('closed');
  });

  it('fails with a clear message when the janus program is missing', async () => {
    await expect(startJanusRelay({ ...DEFAULT_RELAY_SETTINGS, janusPath: '/nonexistent/bin/janus' }, { dataDir: t.dataDir, log: testLog })).rejects.toThrow(
      /not found at \/nonexistent\/bin\/janus: install the janus package \(npm start does it/,
    );
  });
});
