import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_NAMES, DEFAULT_REQUEST, FrameAnalyzer } from '../../../analytics/analyzer.ts';
import { decodeImage } from '../../../analytics/image/raster-ops.ts';
import type { Alert } from '../../../contracts/alerts.ts';
import { startTestSystem, type TestSystem } from '../../helpers/system.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const MODELS = resolve(ROOT, '../shared/models');
const FACES = resolve(ROOT, '../shared/media/faces');
const NO_FACE = resolve(ROOT, '../shared/media/plates/scenes/tmp8F1F.png');

describe('face watchlists: enrolment and 1:N matching of face sightings', () => {
  let sys: TestSystem;
  let admin: string;
  let list: string;
  let person: string;
  let cameraId: string;
  let analyzer: FrameAnalyzer;

  const upload = async (file: string, type: string) => {
    const res = await fetch(`${sys.baseUrl}/api/watchlists/${list}/entries/${person}/photos`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': type },
      body: await readFile(file),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  /** The face sighting the analytics role would store for this photo. */
  const faceSighting = async (file: string) => {
    const image = await decodeImage(await readFile(join(FACES, file)), file);
    const { analysis } = await analyzer.analyze(image, { ...DEFAULT_REQUEST, pipelines: ['faces'], embeddings: true });
    const face = [...analysis.faces].sort((a, b) => (b.box[2] - b.box[0]) * (b.box[3] - b.box[1]) - (a.box[2] - a.box[0]) * (a.box[3] - a.box[1]))[0]!;
    return sys.argus.services.sightings.record({
      cameraId,
      observedAt: new Date(),
      kind: 'face',
      score: face.score,
      face: { quality: face.quality, embedding: face.embedding!, model: DEFAULT_MODEL_NAMES.faceEmbedder },
    });
  };

  beforeAll(async () => {
    sys = await startTestSystem({ config: { modelsDir: MODELS } });
    analyzer = new FrameAnalyzer({ modelsDir: MODELS, threads: 1 });
    admin = await sys.login(sys.admin.username, sys.admin.password);
    cameraId = (await sys.api('/api/cameras', { token: admin, body: { name: 'Gate', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1:8554/gate' } })).body.id;
    list = (await sys.api('/api/watchlists', { token: admin, body: { name: '重点人员', kind: 'face', level: 'orange' } })).body.id;
    const entry = await sys.api(`/api/watchlists/${list}/entries`, { token: admin, body: { personName: '张三', reason: '网上逃犯' } });
    expect(entry.status).toBe(201);
    person = entry.body.id;
  }, 60_000);
  afterAll(async () => {
    await analyzer?.close();
    await sys?.stop();
  });

  it('refuses a plate on a face list and a photo without a face or with several faces, saying why, storing nothing', async () => {
    expect((await sys.api(`/api/watchlists/${list}/entries`, { token: admin, body: { plate: '京A12345' } })).status).toBe(400);
    const none = await upload(NO_FACE, 'image/png');
    expect(none.status).toBe(400);
    expect(none.body.error.issues).toEqual([{ path: 'photo', message: 'no face' }]);
    const couple = await upload(join(FACES, 'couple.jpg'), 'image/jpeg');
    expect(couple.status).toBe(400);
    expect(couple.body.error.issues).toEqual([{ path: 'photo', message: 'several faces' }]);
    const entry = await sys.api(`/api/watchlists/${list}/entries`, { token: admin });
    expect(entry.body.items[0].photos).toEqual([]);
  }, 60_000);

  it('enrols a photo; the same person seen again raises a hit with candidates, a different person does not', async () => {
    const enrolled = await upload(join(FACES, 'img1.jpg'), 'image/jpeg');
    expect(enrolled.status).toBe(201);
    expect(enrolled.body.photos).toHaveLength(1);
    expect(enrolled.body.photos[0]).toMatchObject({ model: 'mobilefacenet' });
    expect(enrolled.body.photos[0].quality).toBeGreaterThanOrEqual(0.5);

    const other = await faceSighting('img13.jpg');
    const same = await faceSighting('img2.jpg');
    const alerts = (await sys.api('/api/alerts', { token: admin })).body.items as Alert[];
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      kind: 'face',
      level: 'orange',
      entry: { id: person, personName: '张三', reason: '网上逃犯' },
      sighting: { id: same.id },
    });
    expect(alerts[0]!.score).toBeGreaterThan(0.45);
    expect(alerts[0]!.candidates).toEqual([expect.objectContaining({ entryId: person, personName: '张三' })]);
    expect(alerts.some((a) => a.sighting.id === other.id)).toBe(false);
  }, 60_000);
  it('finds the face sightings of a person by an uploaded photo, most similar first, and says why a photo cannot be searched', async () => {
    // Sightings of person A (img4, img5) and of others (img13 of B, img8 of D); search with A's img6.
    const a1 = await faceSighting('img4.jpg');
    const a2 = await faceSighting('img5.jpg');
    const b = await faceSighting('img13.jpg');
    const d = await faceSighting('img8.jpg');
    const search = async (file: string, query = '') => {
      const res = await fetch(`${sys.baseUrl}/api/sightings/face-search?k=50${query}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': file.endsWith('.png') ? 'image/png' : 'image/jpeg' },
        body: await readFile(file),
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    const res = await search(join(FACES, 'img6.jpg'));
    expect(res.status).toBe(200);
    expect(res.body.probe.model).toBe('mobilefacenet');
    const ids = (res.body.items as Array<{ sighting: { id: string }; score: number }>).map((i) => i.sighting.id);
    const scores = (res.body.items as Array<{ score: number }>).map((i) => i.score);
    expect(scores).toEqual([...scores].sort((x, y) => y - x));
    // Both of A's sightings rank above B's and D's, and score above the verification threshold.
    for (const mine of [a1.id, a2.id]) {
      expect(ids.indexOf(mine)).toBeGreaterThanOrEqual(0);
      for (const other of [b.id, d.id]) expect(ids.indexOf(mine)).toBeLessThan(ids.indexOf(other) < 0 ? Infinity : ids.indexOf(other));
      expect(res.body.items[ids.indexOf(mine)].score).toBeGreaterThan(0.42);
    }
    // A threshold leaves the others out; a camera filter with another camera finds nothing.
    const strict = await search(join(FACES, 'img6.jpg'), '&minScore=0.42');
    expect(strict.body.items.map((i: { sighting: { id: string } }) => i.sighting.id)).not.toContain(b.id);
    const elsewhere = await search(join(FACES, 'img6.jpg'), `&cameraIds=${'00000000-0000-4000-8000-000000000000'}`);
    expect(elsewhere.body.items).toEqual([]);
    const none = await search(NO_FACE);
    expect(none.status).toBe(400);
    expect(none.body.error.issues).toEqual([{ path: 'photo', message: 'no face' }]);
  }, 120_000);
});
