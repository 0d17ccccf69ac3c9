import type { Logger } from '../../config/logger.ts';
import type { Box } from '../../contracts/analytics.ts';
import type { RecordSightingInput, RefineSightingInput, SightingRecorder } from '../../contracts/sightings.ts';
import { cropRaster, encodeJpeg, expandBox } from '../image/raster-ops.ts';
import type { SightingDraft, TrackAction } from './camera-tracks.ts';

/**
 * Turns track actions into stored sightings through the SightingRecorder port (persist, then
 * publish): evidence JPEGs are encoded here (the crop with some context, and the whole frame), a
 * track's refinement waits for its record, and a failure is logged without stopping analysis.
 */

/** Context around the object in its crop, as a fraction of its size on each side. */
const CROP_MARGIN: Record<SightingDraft['kind'], number> = { plate: 0.25, face: 0.3, object: 0.05 };

interface Stored {
  id: string;
  observedAt: string;
  /** Capture time of the frame its evidence came from. */
  evidenceAt: number;
}

export class SightingWriter {
  /** Per track: its record (and later refinement) in order. */
  private readonly pending = new Map<string, Promise<Stored | null>>();
  private written = 0;
  private failed = 0;

  constructor(
    private readonly recorder: SightingRecorder,
    private readonly embeddingModel: string,
    private readonly log: Logger,
  ) {}

  get stats(): { written: number; failed: number; pending: number } {
    return { written: this.written, failed: this.failed, pending: this.pending.size };
  }

  private async evidence(draft: SightingDraft): Promise<{ crop: Buffer; frame: Buffer }> {
    const { frame, box } = draft.evidence;
    const region: Box = expandBox(box, CROP_MARGIN[draft.kind], frame.width, frame.height);
    const [crop, whole] = await Promise.all([encodeJpeg(cropRaster(frame, region), 90), encodeJpeg(frame, 80)]);
    return { crop, frame: whole };
  }

  private face(draft: SightingDraft): RecordSightingInput['face'] {
    if (!draft.face) return null;
    return draft.face.embedding ? { quality: draft.face.quality, embedding: draft.face.embedding, model: this.embeddingModel } : { quality: draft.face.quality };
  }

  private async record(cameraId: string, stage: 'early' | 'final', draft: SightingDraft): Promise<Stored | null> {
    const { crop, frame } = await this.evidence(draft);
    const input: RecordSightingInput = {
      cameraId,
      observedAt: new Date(draft.observedAt),
      kind: draft.kind,
      trackId: draft.trackId,
      label: draft.label,
      score: Math.min(1, Math.max(0, draft.score)),
      box: draft.box,
      plate: draft.plate,
      face: this.face(draft),
      attributes: draft.attributes,
      stage,
      crop,
      frame,
    };
    const stored = await this.recorder.record(input);
    this.written++;
    return { id: stored.id, observedAt: stored.observedAt, evidenceAt: draft.evidence.at };
  }

  private async refine(draft: SightingDraft, stored: Stored): Promise<void> {
    // The best frame is still the one stored with the record: its JPEGs stand, nothing to encode again.
    const { crop, frame } = draft.evidence.at === stored.evidenceAt ? { crop: undefined, frame: undefined } : await this.evidence(draft);
    const face = this.face(draft);
    const changes: RefineSightingInput = {
      score: Math.min(1, Math.max(0, draft.score)),
      box: draft.box,
      label: draft.label,
      ...(draft.plate ? { plate: draft.plate } : {}),
      ...(face ? { face } : {}),
      attributes: draft.attributes,
      stage: 'final',
      ...(crop && frame ? { crop, frame } : {}),
    };
    await this.recorder.refine(stored.id, stored.observedAt, changes);
    this.written++;
  }

  /** Carry out a camera's actions; resolves when they are stored (failures are logged and counted). */
  async apply(cameraId: string, actions: readonly TrackAction[]): Promise<void> {
    await Promise.all(actions.map((action) => this.applyOne(cameraId, action)));
  }

  private applyOne(cameraId: string, action: TrackAction): Promise<void> {
    const key = `${cameraId}/${action.draft.trackId}`;
    const fail = (err: unknown): null => {
      this.failed++;
      this.log.warn({ cameraId, trackId: action.draft.trackId, kind: action.draft.kind, err: (err as Error).message }, 'could not store a sighting');
      return null;
    };
    if (action.type === 'record') {
      const stored = this.record(cameraId, action.stage, action.draft).catch(fail);
      if (action.stage === 'early') {
        this.pending.set(key, stored);
      }
      return stored.then(() => undefined);
    }
    const before = this.pending.get(key);
    this.pending.delete(key);
    if (!before) return Promise.resolve();
    return before.then((stored) => (stored ? this.refine(action.draft, stored).catch(fail) : undefined)).then(() => undefined);
  }
}
