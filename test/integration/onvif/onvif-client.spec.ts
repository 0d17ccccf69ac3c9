import { afterEach, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../../contracts/errors.ts';
import { OnvifClient } from '../../../ingest/onvif/onvif.client.ts';
import { OnvifError } from '../../../ingest/onvif/onvif.errors.ts';
import { startOnvifSimulator, type OnvifSimulator, type OnvifSimulatorOptions } from '../../helpers/onvif-simulator.ts';

const USER = 'admin';
const PASSWORD = 'Cam-Pa55word!';
const MAIN = 'rtsp://127.0.0.1:8554/Streaming/Channels/101?transportmode=unicast&profile=Profile_1';
const SUB = 'rtsp://127.0.0.1:8554/Streaming/Channels/102';

let sim: OnvifSimulator | null = null;
afterEach(async () => {
  await sim?.stop();
  sim = null;
});

async function start(options: OnvifSimulatorOptions = {}): Promise<OnvifSimulator> {
  sim = await startOnvifSimulator({ username: USER, password: PASSWORD, mainUri: MAIN, subUri: SUB, ...options });
  return sim;
}

function client(s: OnvifSimulator, password = PASSWORD, extra: Partial<ConstructorParameters<typeof OnvifClient>[0]> = {}): OnvifClient {
  return new OnvifClient({ address: s.address, username: USER, password, timeoutMs: 3000, ...extra });
}

async function rejection(p: Promise<unknown>): Promise<OnvifError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(OnvifError);
    return err as OnvifError;
  }
  throw new Error('expected the call to fail');
}

describe('OnvifClient against the simulator: device and authentication', () => {
  it('reads the device information with a digest login, after learning the device clock without credentials', async () => {
    const s = await start({ deviceInfo: { manufacturer: 'HIKVISION & Co' } });
    const info = await client(s).getDeviceInformation();
    expect(info).toEqual({
      manufacturer: 'HIKVISION & Co',
      model: 'SIM-PTZ-2000',
      firmwareVersion: 'V5.7.3 build 240101',
      serialNumber: 'SIM2000-20240101-0001',
      hardwareId: '88',
    });
    expect(s.calls.map((c) => [c.action, c.authenticated])).toEqual([
      ['GetSystemDateAndTime', false],
      ['GetDeviceInformation', true],
    ]);
    expect(s.calls[1]!.username).toBe(USER);
  });

  it('logs in to a device whose clock is an hour off (Created follows the device clock)', async () => {
    for (const clockOffsetMs of [3_600_000, -3_600_000]) {
      const s = await start({ clockOffsetMs });
      const c = client(s);
      const time = await c.getSystemDateAndTime();
      expect(Math.abs(time.clockOffsetMs - clockOffsetMs)).toBeLessThan(2000);
      await expect(c.getDeviceInformation()).resolves.toMatchObject({ model: 'SIM-PTZ-2000' });
      expect(s.calls.at(-1)).toMatchObject({ action: 'GetDeviceInformation', authenticated: true });
      await s.stop();
    }
  });

  it('gives a clear unauthorized error for a wrong password, without the password, for HTTP 400 and 401 faults', async () => {
    for (const unauthorizedStatus of [400, 401] as const) {
      const s = await start({ unauthorizedStatus });
      const wrong = 'WrongSecret-987';
      const e = await rejection(client(s, wrong).getDeviceInformation());
      expect(e.kind).toBe('unauthorized');
      expect(e.code).toBe(ERROR_CODES.VALIDATION);
      expect(e.httpStatus).toBe(unauthorizedStatus);
      expect(e.message).toMatch(/wrong user name or password/);
      expect(e.message).toContain(`127.0.0.1:${s.port}`);
      for (const text of [e.message, String(e), JSON.stringify(e), e.stack ?? '']) {
        expect(text).not.toContain(wrong);
        expect(text).not.toContain(PASSWORD);
      }
      // The device saw a token, with a digest that did not match.
      expect(s.calls.at(-1)).toMatchObject({ action: 'GetDeviceInformation', authenticated: false, authFailure: 'digest' });
      await s.stop();
    }
  });

  it('uses credentials written in the address and never shows them in errors', async () => {
    const s = await start();
    const address = s.address.replace('http://', `http://${USER}:${encodeURIComponent(PASSWORD)}@`);
    await expect(new OnvifClient({ address }).getDeviceInformation()).resolves.toMatchObject({ model: 'SIM-PTZ-2000' });
    const bad = new OnvifClient({ address: s.address.replace('http://', `http://${USER}:nope-nope-42@`) });
    const e = await rejection(bad.getDeviceInformation());
    expect(e.kind).toBe('unauthorized');
    expect(e.message).not.toContain('nope-nope-42');
  });

  it('says credentials are needed when none were given', async () => {
    const s = await start();
    const e = await rejection(new OnvifClient({ address: s.address }).getDeviceInformation());
    expect(e.kind).toBe('unauthorized');
    expect(e.message).toMatch(/requires a user name and password/);
    expect(s.calls.map((c) => c.action)).toEqual(['GetDeviceInformation']);
  });

  it('sends a fresh nonce with every call (the device refuses replays)', async () => {
    const s = await start();
    const c = client(s);
    await c.getDeviceInformation();
    await c.getDeviceInformation();
    await c.getDeviceInformation();
    expect(s.calls.filter((x) => x.action === 'GetDeviceInformation').every((x) => x.authenticated)).toBe(true);
  });
});

describe('OnvifClient against the simulator: media', () => {
  it('lists the profiles with their video settings and PTZ', async () => {
    const s = await start();
    const profiles = await client(s).getProfiles();
    expect(profiles).toEqual([
      { token: 'Profile_2', name: 'subStream', video: { encoding: 'H264', width: 640, height: 360, fps: 15 }, ptz: true },
      { token: 'Profile_1', name: 'mainStream', video: { encoding: 'H264', width: 1920, height: 1080, fps: 25 }, ptz: true },
      { token: 'Profile_3', name: 'metadataOnly', video: null, ptz: false },
    ]);
    // The media call went to the media service that GetServices named.
    expect(s.calls.filter((c) => c.action === 'GetProfiles').map((c) => c.path)).toEqual(['/onvif/media_service']);
  });

  it('finds the main and sub streams, the snapshot URI and PTZ', async () => {
    const s = await start();
    const found = await client(s).findStreams();
    expect(found).toEqual({
      main: { profileToken: 'Profile_1', uri: MAIN, width: 1920, height: 1080 },
      sub: { profileToken: 'Profile_2', uri: SUB, width: 640, height: 360 },
      snapshotUri: `http://127.0.0.1:${s.port}/onvif/snapshot?profile=Profile_1`,
      ptz: true,
    });
    const streamCalls = s.calls.filter((c) => c.action === 'GetStreamUri');
    expect(streamCalls.map((c) => c.detail)).toEqual([
      { profileToken: 'Profile_1', protocol: 'RTSP' },
      { profileToken: 'Profile_2', protocol: 'RTSP' },
    ]);
    expect(streamCalls.every((c) => c.authenticated && c.path === '/onvif/media_service')).toBe(true);
  });

  it('asks for UDP transport when told, and strips credentials from returned URIs', async () => {
    const s = await start({ mainUri: 'rtsp://admin:Cam-Pa55word!@127.0.0.1:554/main', snapshotUri: 'http://admin:Cam-Pa55word!@127.0.0.1/snap.jpg' });
    const c = client(s);
    expect(await c.getStreamUri('Profile_1', { transport: 'udp' })).toBe('rtsp://127.0.0.1:554/main');
    expect(s.calls.at(-1)?.detail).toEqual({ profileToken: 'Profile_1', protocol: 'UDP' });
    expect(await c.getSnapshotUri('Profile_1')).toBe('http://127.0.0.1/snap.jpg');
  });

  it('reports an unknown profile as a fault with the device’s codes', async () => {
    const s = await start();
    const e = await rejection(client(s).getStreamUri('NoSuchProfile'));
    expect(e.kind).toBe('fault');
    expect(e.faultCodes).toContain('ter:NoProfile');
    expect(e.message).toContain('NoSuchProfile');
  });

  it('falls back to GetCapabilities when GetServices is not supported, and maps NAT-ed XAddrs to the address it was given', async () => {
    const s = await start({ getServices: false, advertisedHost: '192.0.2.77' });
    const c = client(s);
    const services = await c.resolveServices();
    expect(services).toEqual({
      device: s.address,
      media: `http://127.0.0.1:${s.port}/onvif/media_service`,
      ptz: `http://127.0.0.1:${s.port}/onvif/ptz_service`,
      source: 'GetCapabilities',
    });
    const found = await c.findStreams();
    expect(found.main.uri).toBe(MAIN);
    expect(s.calls.map((x) => x.action).slice(0, 4)).toEqual(['GetSystemDateAndTime', 'GetServices', 'GetCapabilities', 'GetProfiles']);
    expect(s.calls.find((x) => x.action === 'GetProfiles')?.path).toBe('/onvif/media_service');
  });

  it('reports no snapshot and no PTZ for a fixed camera without them', async () => {
    const s = await start({ ptz: false, snapshotUri: null });
    const c = client(s);
    const found = await c.findStreams();
    expect(found.snapshotUri).toBeNull();
    expect(found.ptz).toBe(false);
    const e = await rejection(c.continuousMove('Profile_1', { x: 0.5, y: 0 }));
    expect(e.kind).toBe('unsupported');
    expect(e.message).toMatch(/no PTZ service/);
    expect(s.calls.some((x) => x.action === 'ContinuousMove')).toBe(false);
  });
});

describe('OnvifClient against the simulator: PTZ', () => {
  it('moves, stops, stores a preset and goes back to it', async () => {
    const s = await start();
    const c = client(s);
    await c.continuousMove('Profile_1', { x: 0.5, y: -0.25, zoom: 0.1 }, 1500);
    await c.continuousMove('Profile_1', { x: -1, y: 0 });
    await c.stop('Profile_1');
    const token = await c.setPreset('Profile_1', 'North gate');
    expect(token).toBe('2');
    expect(await c.getPresets('Profile_1')).toEqual([
      { token: '1', name: 'Home' },
      { token: '2', name: 'North gate' },
    ]);
    await c.gotoPreset('Profile_1', token);
    expect(s.ptzLog).toEqual([
      { action: 'continuousMove', profileToken: 'Profile_1', x: 0.5, y: -0.25, zoom: 0.1, timeout: 'PT1.5S' },
      { action: 'continuousMove', profileToken: 'Profile_1', x: -1, y: 0, zoom: null, timeout: null },
      { action: 'stop', profileToken: 'Profile_1', panTilt: true, zoom: true },
      { action: 'setPreset', profileToken: 'Profile_1', name: 'North gate', presetToken: '2' },
      { action: 'gotoPreset', profileToken: 'Profile_1', presetToken: '2' },
    ]);
    const ptzCalls = s.calls.filter((x) => ['ContinuousMove', 'Stop', 'SetPreset', 'GetPresets', 'GotoPreset'].includes(x.action));
    expect(ptzCalls).toHaveLength(6);
    expect(ptzCalls.every((x) => x.authenticated && x.path === '/onvif/ptz_service')).toBe(true);
  });

  it('escapes preset names and reports an unknown preset as a fault', async () => {
    const s = await start();
    const c = client(s);
    const token = await c.setPreset('Profile_1', 'Gate <A> & "B"');
    expect((await c.getPresets('Profile_1')).find((p) => p.token === token)?.name).toBe('Gate <A> & "B"');
    const e = await rejection(c.gotoPreset('Profile_1', '999'));
    expect(e.kind).toBe('fault');
    expect(e.faultCodes).toContain('ter:NoToken');
    expect(s.ptzLog.some((x) => x.action === 'gotoPreset')).toBe(false);
  });
});
