import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOnvifSimulator } from '../../helpers/onvif-simulator.ts';
import { startTestSystem, type TestSystem } from '../../helpers/system.ts';

type Simulator = Awaited<ReturnType<typeof startOnvifSimulator>>;

describe('cameras added by ONVIF address, and PTZ', () => {
  let sys: TestSystem;
  let sim: Simulator;
  let token: string;
  beforeAll(async () => {
    sys = await startTestSystem();
    sim = await startOnvifSimulator({ username: 'onvif', password: 'cam-secret', mainUri: 'rtsp://127.0.0.1:8554/main', subUri: 'rtsp://127.0.0.1:8554/sub' });
    token = await sys.login(sys.admin.username, sys.admin.password);
    await sys.createUser({ username: 'patrol9', password: 'patrol-password-9', roles: ['patrol'] });
  });
  afterAll(async () => {
    await sim?.stop();
    await sys?.stop();
  });

  it('fills in the stream addresses, PTZ and device information from the device', async () => {
    const res = await sys.api('/api/cameras', { token, body: { name: 'Dome 1', sourceKind: 'onvif', sourceUrl: sim.address, username: 'onvif', password: 'cam-secret' } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      sourceKind: 'onvif',
      sourceUrl: sim.address,
      streamUrl: 'rtsp://127.0.0.1:8554/main',
      subStreamUrl: 'rtsp://127.0.0.1:8554/sub',
      ptz: true,
      hasCredentials: true,
    });
    expect(res.body.deviceInfo).toMatchObject({ manufacturer: expect.any(String), model: expect.any(String) });
    expect(JSON.stringify(res.body)).not.toContain('cam-secret');
  });

  it('does not save a camera whose device refuses the credentials or does not answer', async () => {
    const before = (await sys.api('/api/cameras', { token })).body.total;
    const wrong = await sys.api('/api/cameras', { token, body: { name: 'Dome wrong', sourceKind: 'onvif', sourceUrl: sim.address, username: 'onvif', password: 'nope-nope' } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.message).toMatch(/wrong user name or password/);
    expect(JSON.stringify(wrong.body)).not.toContain('nope-nope');
    const gone = await sys.api('/api/cameras', { token, body: { name: 'Dome gone', sourceKind: 'onvif', sourceUrl: 'http://127.0.0.1:1/onvif/device_service' } });
    expect(gone.status).toBe(503);
    expect(gone.body.error.code).toBe('E_UNAVAILABLE');
    expect((await sys.api('/api/cameras', { token })).body.total).toBe(before);
  });

  it('moves, stops and uses presets through the API, for the roles allowed to', async () => {
    const cam = await sys.api('/api/cameras', { token, body: { name: 'Dome PTZ', sourceKind: 'onvif', sourceUrl: sim.address, username: 'onvif', password: 'cam-secret' } });
    const id = cam.body.id;
    const logBefore = sim.ptzLog.length;
    expect((await sys.api(`/api/cameras/${id}/ptz`, { token, body: { action: 'move', x: 0.5, y: -0.25, zoom: 0 } })).status).toBe(200);
    expect((await sys.api(`/api/cameras/${id}/ptz`, { token, body: { action: 'stop' } })).status).toBe(200);
    const saved = await sys.api(`/api/cameras/${id}/ptz`, { token, body: { action: 'set', name: '路口全景' } });
    expect(saved.status).toBe(200);
    expect(saved.body.token).toEqual(expect.any(String));
    const presets = await sys.api(`/api/cameras/${id}/ptz/presets`, { token });
    expect(presets.body).toEqual(expect.arrayContaining([{ token: saved.body.token, name: '路口全景' }]));
    expect((await sys.api(`/api/cameras/${id}/ptz`, { token, body: { action: 'goto', preset: saved.body.token } })).status).toBe(200);
    const actions = sim.ptzLog.slice(logBefore).map((e: { action: string }) => e.action);
    expect(actions).toEqual(['continuousMove', 'stop', 'setPreset', 'gotoPreset']);
    const bad = await sys.api(`/api/cameras/${id}/ptz`, { token, body: { action: 'move', x: 3, y: 0 } });
    expect(bad.status).toBe(400);
    const patrol = await sys.login('patrol9', 'patrol-password-9');
    expect((await sys.api(`/api/cameras/${id}/ptz`, { token: patrol, body: { action: 'stop' } })).status).toBe(403);
  });

  it('explains that PTZ needs an ONVIF camera', async () => {
    const cam = await sys.api('/api/cameras', { token, body: { name: 'Fixed', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1/fixed', ptz: true } });
    const res = await sys.api(`/api/cameras/${cam.body.id}/ptz`, { token, body: { action: 'stop' } });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/ONVIF/);
  });
});
