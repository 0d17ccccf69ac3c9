import type { Box, FaceDetection, FrameAnalysis, ObjectDetection, ObjectLabel, PlateRead } from '../../contracts/analytics.ts';
import type { Raster } from '../../models/raster.ts';
import { Tracker, type Track } from '../tracking/tracker.ts';
import { shouldEmitEarly, voteText, type TextAttempt } from '../tracking/track-vote.ts';

/**
 * Per-camera decisions over time: one tracker per kind (plates, faces, objects) so that one vehicle
 * or one face passing gives one sighting. Each analysed frame updates the trackers; the result is a
 * list of actions for the sighting writer:
 * - `record` (stage 'early') as soon as a track is confident (plates: enough agreeing reads; faces:
 *   the first face good enough to match; objects: seen in a few frames), so alerts need not wait;
 * - `record` (stage 'final') when a track ends that was never confident early but is good enough;
 * - `refine` when a track that was recorded early ends: the text chosen by the weighted vote over
 *   all its reads (score × plate width), the best crop and frame.
 * Tracks too weak to stand for a real object (a single unsure read) end silently.
 *
 * Evidence: for each track only the frame of its best attempt so far is kept (not every frame).
 */

export interface TrackPolicy {
  /** Plates: early record once this many reads agree, each at least `plateEarlyScore`. */
  plateEarlyAgreeing: number;
  plateEarlyScore: number;
  /** Plates: a track that ends unconfirmed is still recorded with this many reads, or one read this good. */
  plateFinalMinReads: number;
  plateFinalMinScore: number;
  /** Faces below this quality are not evidence for a sighting (not matched, not stored). */
  minFaceQuality: number;
  /** Objects: recorded early after this many frames with the track. */
  objectEarlyHits: number;
  /** A track ends this long (ms) after it was last seen. */
  trackTimeoutMs: number;
  /**
   * The same plate text on the same camera within this long (ms) after a track of it ended is the
   * same vehicle (its track was broken by an occlusion or dropped frames): no second sighting.
   */
  plateRepeatMs: number;
}

export const DEFAULT_TRACK_POLICY: TrackPolicy = {
  plateEarlyAgreeing: 2,
  plateEarlyScore: 0.7,
  plateFinalMinReads: 2,
  plateFinalMinScore: 0.85,
  minFaceQuality: 0.5,
  objectEarlyHits: 3,
  trackTimeoutMs: 1500,
  plateRepeatMs: 10_000,
};

export type SightingKind = 'plate' | 'face' | 'object';

/** What a sighting says, as decided from its track. */
export interface SightingDraft {
  kind: SightingKind;
  trackId: string;
  /** The track's first sighting time (ms since the epoch). */
  observedAt: number;
  score: number;
  box: Box;
  label: ObjectLabel | null;
  plate: { text: string; colour: PlateRead['colour']; layers: 1 | 2 } | null;
  face: { quality: number; embedding: number[] | null } | null;
  attributes: Record<string, unknown>;
  /** Best evidence: the frame it was seen best in, and where. */
  evidence: { frame: Raster; box: Box; at: number };
}

export type TrackAction = { type: 'record'; stage: 'early' | 'final'; draft: SightingDraft } | { type: 'refine'; draft: SightingDraft };

interface Evidence {
  frame: Raster;
  box: Box;
  at: number;
  weight: number;
}

interface TrackMemory {
  recorded: boolean;
  /** A continuation of an earlier track of the same plate: it records nothing. */
  repeat?: boolean;
  evidence: Evidence | null;
}

const width = (b: Box) => b[2] - b[0];

/** Reads that may be the same plate: equal, or of one length and at most 2 characters apart (misreads). */
export function samePlate(a: string, b: string): boolean {
  if (a === b) return true;
  const x = [...a];
  const y = [...b];
  if (x.length !== y.length) return false;
  let diff = 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i] && ++diff > 2) return false;
  return true;
}
const areaOf = (b: Box) => Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);

export class CameraTracks {
  private readonly plates: Tracker<PlateRead>;
  private readonly faces: Tracker<FaceDetection>;
  private readonly objects: Tracker<ObjectDetection>;
  private readonly memory = new Map<string, TrackMemory>();
  /** Plate texts recorded recently: text → when its track last saw it. */
  private readonly recentPlates = new Map<string, number>();

  private policy: TrackPolicy;

  constructor(policy: TrackPolicy = DEFAULT_TRACK_POLICY) {
    this.policy = { ...policy };
    const common = { iouThreshold: 0.2, maxAgeMs: policy.trackTimeoutMs, historyCap: 30 };
    // Plates are small next to how far a vehicle moves between analysed frames: a wider gate.
    this.plates = new Tracker<PlateRead>({
      ...common,
      idPrefix: 'p',
      centreGate: 3,
      weight: (d) => d.score * width(d.box),
      // Two different plates are two vehicles, even where one follows the other into the same spot.
      canMatch: (track, det) => samePlate(track.last.payload.text, det.payload.text),
    });
    this.faces = new Tracker<FaceDetection>({ ...common, idPrefix: 'f', weight: (d) => d.payload.quality * areaOf(d.box) });
    this.objects = new Tracker<ObjectDetection>({ ...common, idPrefix: 'o', canMatch: (track, det) => track.last.payload.label === det.payload.label });
  }

  /** Follow a settings change (e.g. the camera's minimum face quality) from the next frame on. */
  configure(changes: Partial<TrackPolicy>): void {
    this.policy = { ...this.policy, ...changes };
  }

  private mem(id: string): TrackMemory {
    let m = this.memory.get(id);
    if (!m) {
      m = { recorded: false, evidence: null };
      this.memory.set(id, m);
    }
    return m;
  }

  private keepEvidence(id: string, frame: Raster, box: Box, at: number, weight: number): void {
    const m = this.mem(id);
    if (!m.evidence || weight > m.evidence.weight) m.evidence = { frame, box, at, weight };
  }

  /** Feed one analysed frame (captured at `at`); returns what to record or refine. */
  update(analysis: FrameAnalysis, frame: Raster, at: number): TrackAction[] {
    const actions: TrackAction[] = [];
    this.updatePlates(analysis.plates, frame, at, actions);
    this.updateFaces(analysis.faces, frame, at, actions);
    this.updateObjects(analysis.objects, frame, at, actions);
    return actions;
  }

  /** End every track (the camera stopped): final records and refinements. */
  flush(): TrackAction[] {
    const actions: TrackAction[] = [];
    for (const t of this.plates.flush()) this.endPlate(t, actions);
    for (const t of this.faces.flush()) this.endFace(t, actions);
    for (const t of this.objects.flush()) this.endObject(t, actions);
    return actions;
  }

  /** Tracks alive now (for stats). */
  activeTracks(): number {
    return this.plates.active().length + this.faces.active().length + this.objects.active().length;
  }

  // ---------- plates ----------

  private attempts(track: Track<PlateRead>): TextAttempt[] {
    return track.history.map((o) => ({ text: o.payload.text, score: o.payload.score, size: width(o.box) }));
  }

  private plateDraft(track: Track<PlateRead>): SightingDraft | null {
    const m = this.mem(track.id);
    const vote = voteText(this.attempts(track));
    if (!vote || !m.evidence) return null;
    // The best read of the winning text gives colour, layers and box.
    const best = track.history.filter((o) => o.payload.text === vote.text).sort((a, b) => b.weight - a.weight)[0]!;
    return {
      kind: 'plate',
      trackId: track.id,
      observedAt: track.firstSeen,
      score: vote.bestScore,
      box: best.box,
      label: null,
      plate: { text: vote.text, colour: best.payload.colour, layers: best.payload.layers },
      face: null,
      attributes: { reads: track.history.length, voteShare: Math.round(vote.share * 1000) / 1000 },
      evidence: m.evidence,
    };
  }

  private updatePlates(reads: readonly PlateRead[], frame: Raster, at: number, actions: TrackAction[]): void {
    const { updated, ended } = this.plates.update(
      reads.map((r) => ({ box: r.box, score: r.score, payload: r })),
      at,
    );
    for (const t of updated) {
      this.keepEvidence(t.id, frame, t.last.box, at, t.last.weight);
      const m = this.mem(t.id);
      if (!m.recorded && !m.repeat && shouldEmitEarly(this.attempts(t), { minScore: this.policy.plateEarlyScore, minAgreeing: this.policy.plateEarlyAgreeing })) {
        const draft = this.plateDraft(t);
        if (draft && this.isRepeat(draft, at)) m.repeat = true;
        else if (draft) {
          m.recorded = true;
          this.recentPlates.set(draft.plate!.text, at);
          actions.push({ type: 'record', stage: 'early', draft });
        }
      }
    }
    for (const t of ended) this.endPlate(t, actions);
  }

  /** Whether a plate was recorded on this camera moments ago (the same vehicle, its track broken). */
  private isRepeat(draft: SightingDraft, at: number): boolean {
    for (const [text, seen] of this.recentPlates) if (at - seen > this.policy.plateRepeatMs) this.recentPlates.delete(text);
    const seen = this.recentPlates.get(draft.plate!.text);
    return seen !== undefined && at - seen <= this.policy.plateRepeatMs;
  }

  private endPlate(track: Track<PlateRead>, actions: TrackAction[]): void {
    const m = this.mem(track.id);
    const draft = this.plateDraft(track);
    this.memory.delete(track.id);
    if (!draft) return;
    if (m.recorded) {
      this.recentPlates.set(draft.plate!.text, track.lastSeen);
      actions.push({ type: 'refine', draft });
      return;
    }
    if (m.repeat || this.isRepeat(draft, track.firstSeen)) {
      this.recentPlates.set(draft.plate!.text, track.lastSeen);
      return;
    }
    const reads = this.attempts(track).filter((a) => a.text === draft.plate!.text).length;
    if (reads >= this.policy.plateFinalMinReads || draft.score >= this.policy.plateFinalMinScore) {
      this.recentPlates.set(draft.plate!.text, track.lastSeen);
      actions.push({ type: 'record', stage: 'final', draft });
    }
  }

  // ---------- faces ----------

  private faceDraft(track: Track<FaceDetection>): SightingDraft | null {
    const m = this.mem(track.id);
    const good = track.history.filter((o) => o.payload.quality >= this.policy.minFaceQuality);
    if (good.length === 0 || !m.evidence) return null;
    const best = good.sort((a, b) => b.weight - a.weight)[0]!;
    return {
      kind: 'face',
      trackId: track.id,
      observedAt: track.firstSeen,
      score: best.payload.score,
      box: best.box,
      label: null,
      plate: null,
      face: { quality: best.payload.quality, embedding: best.payload.embedding ?? null },
      attributes: { frames: track.hits },
      evidence: m.evidence,
    };
  }

  private updateFaces(faces: readonly FaceDetection[], frame: Raster, at: number, actions: TrackAction[]): void {
    const { updated, ended } = this.faces.update(
      faces.map((f) => ({ box: f.box, score: f.score, payload: f })),
      at,
    );
    for (const t of updated) {
      if (t.last.payload.quality >= this.policy.minFaceQuality) this.keepEvidence(t.id, frame, t.last.box, at, t.last.weight);
      const m = this.mem(t.id);
      if (!m.recorded && m.evidence && t.last.payload.embedding) {
        const draft = this.faceDraft(t);
        if (draft) {
          m.recorded = true;
          actions.push({ type: 'record', stage: 'early', draft });
        }
      }
    }
    for (const t of ended) this.endFace(t, actions);
  }

  private endFace(track: Track<FaceDetection>, actions: TrackAction[]): void {
    const m = this.mem(track.id);
    const draft = this.faceDraft(track);
    this.memory.delete(track.id);
    if (!draft) return;
    actions.push(m.recorded ? { type: 'refine', draft } : { type: 'record', stage: 'final', draft });
  }

  // ---------- objects ----------

  private objectDraft(track: Track<ObjectDetection>): SightingDraft | null {
    const m = this.mem(track.id);
    if (!m.evidence) return null;
    const best = [...track.history].sort((a, b) => b.weight - a.weight)[0]!;
    return {
      kind: 'object',
      trackId: track.id,
      observedAt: track.firstSeen,
      score: best.payload.score,
      box: best.box,
      label: best.payload.label,
      plate: null,
      face: null,
      attributes: { frames: track.hits },
      evidence: m.evidence,
    };
  }

  private updateObjects(objects: readonly ObjectDetection[], frame: Raster, at: number, actions: TrackAction[]): void {
    const { updated, ended } = this.objects.update(
      objects.map((o) => ({ box: o.box, score: o.score, payload: o })),
      at,
    );
    for (const t of updated) {
      this.keepEvidence(t.id, frame, t.last.box, at, t.last.weight);
      const m = this.mem(t.id);
      if (!m.recorded && t.hits >= this.policy.objectEarlyHits) {
        const draft = this.objectDraft(t);
        if (draft) {
          m.recorded = true;
          actions.push({ type: 'record', stage: 'early', draft });
        }
      }
    }
    for (const t of ended) this.endObject(t, actions);
  }

  private endObject(track: Track<ObjectDetection>, actions: TrackAction[]): void {
    const m = this.mem(track.id);
    const draft = this.objectDraft(track);
    this.memory.delete(track.id);
    if (!draft) return;
    if (m.recorded) actions.push({ type: 'refine', draft });
    else if (track.hits >= this.policy.objectEarlyHits) actions.push({ type: 'record', stage: 'final', draft });
  }
}
