/**
 * Privacy masks over HTTP: set with the camera (POST/PATCH, cameras.manage), returned with it,
 * validated with the field that is wrong, and audited as camera changes with the number of areas.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSystem, type TestSystem } from '../../helpers/system.ts';

const LEFT_HALF = [
  [0, 0],
  [0.5, 0],
  [0.5, 1],
  [0, 1],
];
const TRIANGLE = [
  [0.6, 0.1],
  [0.9, 0.1],
  [0.75, 0.6],
];

describe('camera privacy masks over HTTP', () => {
  let sys: TestSystem;
  let token: string;
  beforeAll(async () => {
    sys = await startTestSystem();
    token = await sys.login(sys.admin.username, sys.admin.password);
    await sys.createUser({ username: 'mask.viewer', password: 'mask-viewer-pw1', roles: ['analyst'] });
  });
  afterAll(async () => sys?.stop());

  it('stores masks given when a camera is added or edited, and returns them', async () => {
    const plain = await sys.api('/api/cameras', { token, body: { name: 'No mask', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1/plain' } });
    expect(plain.status).toBe(201);
    expect(plain.body.privacyMasks).toEqual([]);

    const created = await sys.api('/api/cameras', { token, body: { name: 'Masked', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1/masked', privacyMasks: [LEFT_HALF] } });
    expect(created.status).toBe(201);
    expect(created.body.privacyMasks).toEqual([LEFT_HALF]);
    const id = created.body.id as string;

    const patched = await sys.api(`/api/cameras/${id}`, { token, method: 'PATCH', body: { privacyMasks: [LEFT_HALF, TRIANGLE] } });
    expect(patched.status).toBe(200);
    expect(patched.body.privacyMasks).toEqual([LEFT_HALF, TRIANGLE]);
    expect((await sys.api(`/api/cameras/${id}`, { token })).body.privacyMasks).toEqual([LEFT_HALF, TRIANGLE]);
    // Other edits keep them.
    const renamed = await sys.api(`/api/cameras/${id}`, { token, method: 'PATCH', body: { name: 'Masked (renamed)' } });
    expect(renamed.body.privacyMasks).toEqual([LEFT_HALF, TRIANGLE]);

    const audit = await sys.api(`/api/audit?action=camera.update&targetId=${id}`, { token });
    expect(audit.status).toBe(200);
    const details = (audit.body.items as Array<{ detail: Record<string, unknown> }>).map((e) => e.detail);
    expect(details).toContainEqual(expect.objectContaining({ changed: ['privacyMasks'], polygons: 2 }));
    expect(details).toContainEqual(expect.objectContaining({ changed: ['name'] }));
    expect(details.find((d) => (d.changed as string[]).includes('name'))).not.toHaveProperty('polygons');

    const cleared = await sys.api(`/api/cameras/${id}`, { token, method: 'PATCH', body: { privacyMasks: [] } });
    expect(cleared.body.privacyMasks).toEqual([]);
  });

  it('refuses bad masks with the field that is wrong', async () => {
    const cam = await sys.api('/api/cameras', { token, body: { name: 'Refuse', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1/refuse' } });
    const patch = (privacyMasks: unknown) => sys.api(`/api/cameras/${cam.body.id}`, { token, method: 'PATCH', body: { privacyMasks } });
    const issues = async (privacyMasks: unknown) => {
      const res = await patch(privacyMasks);
      expect(res.status).toBe(400);
      return (res.body.error.issues as Array<{ path: string; message: string }>).map((i) => `${i.path}: ${i.message}`);
    };
    expect(await issues([[[0, 0], [1, 1]]])).toEqual([expect.stringMatching(/^privacyMasks\.0: a privacy mask needs at least 3 points/)]);
    expect(await issues([[[0, 0], [1.5, 0], [1, 1]]])).toEqual([expect.stringMatching(/^privacyMasks\.0\.1\.0: .*inside the picture/)]);
    expect(await issues(Array.from({ length: 17 }, () => TRIANGLE))).toEqual([expect.stringMatching(/at most 16/)]);
    expect((await sys.api(`/api/cameras/${cam.body.id}`, { token })).body.privacyMasks).toEqual([]);
  });

  it('only camera managers set masks', async () => {
    const cam = await sys.api('/api/cameras', { token, body: { name: 'Not yours', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1/nope' } });
    const viewer = await sys.login('mask.viewer', 'mask-viewer-pw1');
    const res = await sys.api(`/api/cameras/${cam.body.id}`, { token: viewer, method: 'PATCH', body: { privacyMasks: [TRIANGLE] } });
    expect(res.status).toBe(403);
    expect((await sys.api(`/api/cameras/${cam.body.id}`, { token })).body.privacyMasks).toEqual([]);
  });
});
