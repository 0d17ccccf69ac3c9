import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../config/logger.ts';
import type { RecordSightingInput, RefineSightingInput, Sighting, SightingRecorder } from '../../../contracts/sightings.ts';
import type { SightingDraft } from '../../../analytics/live/camera-tracks.ts';
import { SightingWriter } from '../../../analytics/live/sighting-writer.ts';

const log = createLogger({ log: { level: 'silent', pretty: false } });

/** The SightingRecorder port, recording what the writer hands it. */
class RecorderDouble implements SightingRecorder {
  records: RecordSightingInput[] = [];
  refines: Array<{ id: string; changes: RefineSightingInput }> = [];
  async record(input: RecordSightingInput): Promise<Sighting> {
    this.records.push(input);
    return { id: `s${this.records.length}`, observedAt: new Date(input.observedAt as Date).toISOString() } as Sighting;
  }
  async refine(id: string, _observedAt: Date | string, changes: RefineSightingInput): Promise<Sighting> {
    this.refines.push({ id, changes });
    return { id } as Sighting;
  }
}

function frame(shade: number) {
  return { width: 64, height: 48, order: 'bgr' as const, data: new Uint8Array(64 * 48 * 3).fill(shade) };
}

function draft(trackId: string, text: string, evidenceAt: number, shade = 90): SightingDraft {
  return {
    kind: 'plate',
    trackId,
    observedAt: 1_800_000_000_000,
    score: 0.9,
    box: [10, 10, 40, 20],
    label: null,
    plate: { text, colour: 'blue', layers: 1 },
    face: null,
    attributes: {},
    evidence: { frame: frame(shade), box: [10, 10, 40, 20], at: evidenceAt },
  };
}

const isJpeg = (b: Uint8Array | undefined | null) => !!b && b[0] === 0xff && b[1] === 0xd8;

describe('SightingWriter', () => {
  it('stores the early record with its evidence JPEGs, then refines it in place', async () => {
    const recorder = new RecorderDouble();
    const writer = new SightingWriter(recorder, 'mobilefacenet', log);
    await writer.apply('cam-1', [{ type: 'record', stage: 'early', draft: draft('p1', '沪A12345', 100) }]);
    expect(recorder.records).toHaveLength(1);
    expect(recorder.records[0]).toMatchObject({ cameraId: 'cam-1', stage: 'early', plate: { text: '沪A12345' } });
    expect(isJpeg(recorder.records[0]!.crop)).toBe(true);
    expect(isJpeg(recorder.records[0]!.frame)).toBe(true);

    // A better frame came later: new evidence with the refinement.
    await writer.apply('cam-1', [{ type: 'refine', draft: draft('p1', '沪A12346', 300, 120) }]);
    expect(recorder.refines).toHaveLength(1);
    expect(recorder.refines[0]).toMatchObject({ id: 's1', changes: { stage: 'final', plate: { text: '沪A12346' } } });
    expect(isJpeg(recorder.refines[0]!.changes.crop)).toBe(true);
    expect(isJpeg(recorder.refines[0]!.changes.frame)).toBe(true);
  });

  it('does not encode or send the evidence again when the best frame is still the recorded one', async () => {
    const recorder = new RecorderDouble();
    const writer = new SightingWriter(recorder, 'mobilefacenet', log);
    await writer.apply('cam-1', [{ type: 'record', stage: 'early', draft: draft('p2', '京A00001', 500) }]);
    await writer.apply('cam-1', [{ type: 'refine', draft: draft('p2', '京A00001', 500) }]);
    expect(recorder.refines).toHaveLength(1);
    expect(recorder.refines[0]!.changes).toMatchObject({ stage: 'final', plate: { text: '京A00001' } });
    expect(recorder.refines[0]!.changes.crop).toBeUndefined();
    expect(recorder.refines[0]!.changes.frame).toBeUndefined();
    expect(writer.stats).toMatchObject({ written: 2, failed: 0, pending: 0 });
  });
});
