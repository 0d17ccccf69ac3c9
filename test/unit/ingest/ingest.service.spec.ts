import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../config/logger.ts';
import type { CameraHealth } from '../../../contracts/media.ts';
import { IngestService, type IngestCamera, type IngestPorts } from '../../../ingest/ingest.service.ts';

const log = createLogger({ log: { level: 'silent', pretty: false } });
const cam = (id: string, url = `rtsp://127.0.0.1/${id}`): IngestCamera => ({
  id,
  name: id,
  sourceKind: 'rtsp',
  sourceUrl: url,
  streamUrl: null,
  subStreamUrl: null,
  username: null,
  password: null,
  privacyMasks: [],
});
const health = (cameraId: string, status: CameraHealth['status'], reason: string | null = null): CameraHealth => ({
  cameraId,
  status,
  reason,
  fps: null,
  droppedFrames: 0,
  restarts: 0,
  lastFrameAt: null,
  since: new Date().toISOString(),
});

/** Strict fakes at the port boundary: a camera list, a lease table, and sessions that record their life. */
function fakes() {
  const state = {
    cameras: [] as IngestCamera[],
    held: [] as string[],
    started: [] as string[],
    stopped: [] as string[],
    reported: [] as CameraHealth[],
    report: new Map<string, (h: CameraHealth) => void>(),
    released: false,
  };
  const ports: IngestPorts = {
    listCameras: async () => state.cameras,
    leaseRound: async (ids) => ({ held: state.held.filter((h) => ids.includes(h)), acquired: [], lost: [] }),
    releaseAll: async () => void (state.released = true),
    startSession: async (camera, onHealth) => {
      state.started.push(`${camera.id}@${camera.sourceUrl}`);
      state.report.set(camera.id, onHealth);
      return { stop: async () => void state.stopped.push(camera.id) };
    },
    reportHealth: async (h) => void state.reported.push(h),
  };
  return { state, ports };
}

describe('ingest service', () => {
  it('runs a session for each camera whose lease it holds, and only those', async () => {
    const { state, ports } = fakes();
    state.cameras = [cam('a'), cam('b'), cam('c')];
    state.held = ['a', 'c'];
    const svc = new IngestService(ports, log);
    await svc.round();
    expect(svc.sessions().sort()).toEqual(['a', 'c']);
    await svc.round();
    expect(state.started).toHaveLength(2);
  });

  it('stops sessions for lost leases and removed cameras, restarts changed ones', async () => {
    const { state, ports } = fakes();
    state.cameras = [cam('a'), cam('b'), cam('c')];
    state.held = ['a', 'b', 'c'];
    const svc = new IngestService(ports, log);
    await svc.round();
    state.held = ['a', 'c'];
    state.cameras = [cam('a', 'rtsp://127.0.0.1/a2'), cam('b')];
    await svc.round();
    expect(state.stopped.sort()).toEqual(['a', 'b', 'c']);
    expect(state.started).toContain('a@rtsp://127.0.0.1/a2');
    expect(svc.sessions()).toEqual(['a']);
  });

  it('restarts a camera whose privacy masks changed, and only then', async () => {
    const { state, ports } = fakes();
    state.cameras = [cam('a')];
    state.held = ['a'];
    const svc = new IngestService(ports, log);
    await svc.round();
    await svc.round();
    expect(state.stopped).toEqual([]);
    state.cameras = [{ ...cam('a'), privacyMasks: [[[0, 0], [0.5, 0], [0.5, 1]]] }];
    await svc.round();
    expect(state.stopped).toEqual(['a']);
    expect(state.started).toHaveLength(2);
    await svc.round();
    expect(state.stopped).toEqual(['a']);
  });

  it('reports only health changes, and stops everything and gives the leases back on close', async () => {
    const { state, ports } = fakes();
    state.cameras = [cam('a')];
    state.held = ['a'];
    const svc = new IngestService(ports, log);
    await svc.round();
    const report = state.report.get('a')!;
    report(health('a', 'online'));
    report(health('a', 'online'));
    report(health('a', 'offline', 'camera unreachable'));
    report(health('a', 'offline', 'camera unreachable'));
    await new Promise((r) => setTimeout(r, 10));
    expect(state.reported.map((h) => `${h.status}:${h.reason}`)).toEqual(['online:null', 'offline:camera unreachable']);
    await svc.close();
    expect(state.stopped).toEqual(['a']);
    expect(state.released).toBe(true);
  });

  it('keeps going when one camera fails to start', async () => {
    const { state, ports } = fakes();
    state.cameras = [cam('bad'), cam('good')];
    state.held = ['bad', 'good'];
    const start = ports.startSession;
    ports.startSession = async (c, h) => {
      if (c.id === 'bad') throw new Error('no such preset');
      return start(c, h);
    };
    const svc = new IngestService(ports, log);
    await svc.round();
    expect(svc.sessions()).toEqual(['good']);
  });
});
