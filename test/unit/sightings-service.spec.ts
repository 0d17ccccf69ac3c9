import { describe, expect, it } from 'vitest';
import { createLogger } from '../../config/logger.ts';
import { NotFoundError, ValidationError } from '../../contracts/errors.ts';
import { SightingsService } from '../../command-ui/server/services/sightings.service.ts';
import type { EventBus } from '../../command-ui/server/services/event-bus.ts';
import type { EvidenceStore } from '../../storage/evidence-store.ts';
import type { AuditRepository } from '../../storage/repositories/audit.repository.ts';
import type { CameraAnalyticsRepository } from '../../storage/repositories/camera-analytics.repository.ts';
import type { NewSighting, SightingRecord, SightingsRepository } from '../../storage/repositories/sightings.repository.ts';

/**
 * SightingsService with strict fakes at the storage boundary: the order of persisting and
 * publishing, and what is cleaned up when storing fails.
 */
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0]);
const CAMERA = '7d0c4a4e-8f7e-4a43-9d43-3a1f1f0f0a01';
const log = createLogger({ log: { level: 'silent', pretty: false } });

function setup(options: { failCreate?: boolean } = {}) {
  const steps: string[] = [];
  const rows = new Map<string, SightingRecord>();
  const evidence = {
    async save(ref: { sightingId: string }, part: string) {
      steps.push(`save ${part}`);
      return `cam/day/${ref.sightingId}-${part}.jpg`;
    },
    async remove(rel: string) {
      steps.push(`remove ${rel.split('-').pop()}`);
    },
  } as unknown as EvidenceStore;
  const toRecord = (input: NewSighting): SightingRecord => ({
    id: input.id!,
    cameraId: input.cameraId,
    cameraName: 'Gate',
    observedAt: input.observedAt.toISOString(),
    kind: input.kind,
    trackId: input.trackId ?? null,
    label: input.label ?? null,
    score: input.score,
    box: input.box ?? null,
    plate: input.plate ? { text: input.plate.text, colour: input.plate.colour ?? null, layers: input.plate.layers ?? null } : null,
    quality: input.quality ?? null,
    attributes: input.attributes ?? {},
    stage: input.stage ?? 'final',
    cropPath: input.cropPath ?? null,
    framePath: input.framePath ?? null,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  });
  const sightings = {
    async create(input: NewSighting) {
      steps.push('insert');
      if (options.failCreate) throw new ValidationError(`Camera ${input.cameraId} does not exist.`, [{ path: 'cameraId', message: 'no such camera' }]);
      const record = toRecord(input);
      rows.set(record.id, record);
      return record;
    },
    async findById(id: string) {
      return rows.get(id);
    },
    async refine(id: string, _at: Date, changes: { stage?: 'early' | 'final'; cropPath?: string | null }) {
      steps.push('update');
      const current = rows.get(id);
      if (!current) return undefined;
      const next = { ...current, ...(changes.stage ? { stage: changes.stage } : {}), ...(changes.cropPath ? { cropPath: changes.cropPath } : {}), updatedAt: '2026-01-01T00:01:00.000Z' };
      rows.set(id, next);
      return next;
    },
  } as unknown as SightingsRepository;
  const pushed: Array<{ permission: string; event: string; payload: unknown }> = [];
  const events: EventBus = {
    toPermitted(permission, event, ...args) {
      steps.push(`publish ${event}`);
      pushed.push({ permission, event, payload: args[0] });
    },
    toRooms() {
      throw new Error('sightings must not go to rooms');
    },
  };
  const service = new SightingsService({
    sightings,
    settings: {} as CameraAnalyticsRepository,
    evidence,
    audit: {} as AuditRepository,
    events,
    log,
  });
  return { service, steps, pushed };
}

describe('SightingsService (analytics side)', () => {
  const input = { cameraId: CAMERA, observedAt: new Date('2026-01-01T00:00:00Z'), kind: 'plate' as const, score: 0.9, plate: { text: '京a12345' }, stage: 'early' as const, crop: JPEG, frame: JPEG };

  it('record: evidence, then the row, then the push to sightings.search', async () => {
    const { service, steps, pushed } = setup();
    const sighting = await service.record(input);
    expect(steps).toEqual(['save crop', 'save frame', 'insert', 'publish sighting.created']);
    expect(pushed).toEqual([{ permission: 'sightings.search', event: 'sighting.created', payload: sighting }]);
    expect(sighting).toMatchObject({ plate: { text: '京A12345' }, stage: 'early', cropUrl: `/api/sightings/${sighting.id}/crop.jpg?v=${Date.parse('2026-01-01T00:00:00Z')}` });
    expect(JSON.stringify(sighting)).not.toContain('cam/day');
  });

  it('record: a row that cannot be stored removes its evidence and publishes nothing', async () => {
    const { service, steps, pushed } = setup({ failCreate: true });
    await expect(service.record(input)).rejects.toBeInstanceOf(ValidationError);
    expect(steps).toEqual(['save crop', 'save frame', 'insert', 'remove crop.jpg', 'remove frame.jpg']);
    expect(pushed).toEqual([]);
  });

  it('record: bad input stores nothing', async () => {
    const { service, steps } = setup();
    await expect(service.record({ ...input, kind: 'plate', plate: null })).rejects.toMatchObject({ issues: [{ path: 'plate' }] });
    expect(steps).toEqual([]);
  });

  it('refine: stored before published, final by default; unknown sightings are NotFound', async () => {
    const { service, steps, pushed } = setup();
    const early = await service.record(input);
    steps.length = 0;
    const final = await service.refine(early.id, early.observedAt, { crop: JPEG });
    expect(steps).toEqual(['save crop', 'update', 'publish sighting.updated']);
    expect(final.stage).toBe('final');
    expect(final.cropUrl).not.toBe(early.cropUrl);
    expect(pushed.at(-1)).toMatchObject({ event: 'sighting.updated', payload: { id: early.id, stage: 'final' } });
    await expect(service.refine('7d0c4a4e-8f7e-4a43-9d43-3a1f1f0f0aff', early.observedAt, {})).rejects.toBeInstanceOf(NotFoundError);
    await expect(service.refine('not-an-id', early.observedAt, {})).rejects.toBeInstanceOf(ValidationError);
    await expect(service.refine(early.id, 'yesterday', {})).rejects.toBeInstanceOf(ValidationError);
  });
});
