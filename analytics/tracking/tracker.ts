/**
 * A per-camera multi-object tracker (SORT-like, without a Kalman filter), generic over what a
 * detection carries (`payload`: a plate read, a face, an object label …), so recognition can be
 * decided once per track instead of once per frame (CONVENTIONS.md, point 10).
 *
 * Each `update(detections, at)` is one analysed frame at time `at` (milliseconds, non-decreasing):
 *
 * 1. Prediction. Every live track's box is moved to time `at` with a constant-velocity model: the
 *    centre and the width/height each have a velocity (px/ms), smoothed exponentially over matches;
 *    the predicted size stays within ½…2× the last observed size. Time-based, so irregular frame
 *    intervals and missed frames are handled, and a vehicle that moves more than a box width
 *    between analysed frames (fast traffic at 5 fps) still lands on its predicted box.
 * 2. Matching, greedy (not Hungarian: with the few objects per camera and NMS'd detections the
 *    result is nearly always the same, and it is simpler to reason about). Candidate pairs are
 *    (a) IoU(predicted box, detection) ≥ `iouThreshold`, and, as a fallback for pairs without
 *    enough overlap, (b) centre distance ≤ `centreGate` × the predicted box's longer side with the
 *    two areas within `maxAreaRatio` of each other (this is what catches a track's second sighting,
 *    before any velocity is known). All (a) pairs are taken before any (b) pair; (a) by decreasing
 *    IoU, (b) by increasing distance; each track and each detection is used at most once.
 *    `canMatch` can forbid pairs (e.g. a person never continues a car's track).
 * 3. Bookkeeping. Unmatched detections start new tracks. A track is confirmed after `minHits`
 *    matched observations (default 1: at once); a tentative track that misses a frame is dropped
 *    silently (a one-off false detection). A confirmed track ends after more than
 *    `maxMissedFrames` consecutive updates without a match, or when more than `maxAgeMs` passed
 *    since its last match (whichever is configured; both may be).
 *
 * `update` returns the confirmed tracks that received an observation in this update and the tracks
 * that ended. Track objects are live: the same object is returned on every update of a track, so
 * treat it as read-only. Each keeps a capped history of observations; over the cap the observation
 * with the lowest weight (default score × box area) is dropped, so the best evidence survives.
 * `flush()` ends every track (the camera stopped).
 */
import type { Box } from '../../contracts/analytics.ts';
import { area, boxCentre, iou } from '../geometry/boxes.ts';

export interface Detection<T> {
  box: Box;
  score: number;
  payload: T;
}

export interface Observation<T> extends Detection<T> {
  /** The update's time (ms). */
  at: number;
  /** What the history cap keeps the best of (see `TrackerOptions.weight`). */
  weight: number;
}

export interface Track<T> {
  /** Stable for the track's life: `idPrefix` + a sequence number. */
  readonly id: string;
  /** The last observed box. */
  readonly box: Box;
  readonly firstSeen: number;
  readonly lastSeen: number;
  /** Matched observations so far. */
  readonly hits: number;
  /** Consecutive updates without a match. */
  readonly missed: number;
  readonly confirmed: boolean;
  /** Velocity of [centre x, centre y, width, height] in px/ms. */
  readonly velocity: readonly [number, number, number, number];
  /** Observations in time order, at most `historyCap`, the best by weight. */
  readonly history: readonly Observation<T>[];
  /** The latest observation (kept even when the history cap dropped it). */
  readonly last: Observation<T>;
  /** The box predicted at time `at` by the constant-velocity model. */
  predict(at: number): Box;
}

export interface TrackerOptions<T> {
  /** Minimum IoU between a track's predicted box and a detection to match them, in (0, 1]. */
  iouThreshold: number;
  /** End a confirmed track after more than this many consecutive updates without a match. */
  maxMissedFrames?: number;
  /** End a confirmed track when more than this many ms passed since its last match. */
  maxAgeMs?: number;
  /** Matched observations before a track is confirmed and reported (default 1). */
  minHits?: number;
  /** Observations kept per track (default 20). */
  historyCap?: number;
  /** Weight of an observation for the history cap (default score × box area). */
  weight?: (detection: Detection<T>) => number;
  /** Centre-distance fallback gate, in units of the predicted box's longer side (default 1.5; 0 disables it). */
  centreGate?: number;
  /** The fallback only pairs boxes whose areas are within this factor (default 2.5). */
  maxAreaRatio?: number;
  /** Weight of the newest velocity measurement in the exponential smoothing, (0, 1] (default 0.5). */
  velocitySmoothing?: number;
  /** Forbid pairs, e.g. `(t, d) => t.last.payload.label === d.payload.label`. */
  canMatch?: (track: Track<T>, detection: Detection<T>) => boolean;
  /** Prefix of track ids (default 't'), e.g. the camera id and a dash. */
  idPrefix?: string;
}

export interface TrackerUpdate<T> {
  /** Confirmed tracks that received an observation in this update (new tracks included). */
  updated: Track<T>[];
  /** Confirmed tracks that ended in this update. */
  ended: Track<T>[];
}

type Vec4 = [number, number, number, number];

class TrackState<T> implements Track<T> {
  box: Box;
  readonly firstSeen: number;
  lastSeen: number;
  hits = 1;
  missed = 0;
  confirmed: boolean;
  velocity: Vec4 = [0, 0, 0, 0];
  history: Observation<T>[];
  last: Observation<T>;
  private hasVelocity = false;

  constructor(
    readonly id: string,
    first: Observation<T>,
    minHits: number,
    private readonly historyCap: number,
    private readonly smoothing: number,
  ) {
    this.box = first.box;
    this.lastSeen = first.at;
    this.firstSeen = first.at;
    this.confirmed = minHits <= 1;
    this.history = [first];
    this.last = first;
  }

  predict(at: number): Box {
    const dt = Math.max(0, at - this.lastSeen);
    const [cx, cy] = boxCentre(this.box);
    const w = this.box[2] - this.box[0];
    const h = this.box[3] - this.box[1];
    const [vx, vy, vw, vh] = this.velocity;
    const pw = Math.min(Math.max(w + vw * dt, w / 2), w * 2);
    const ph = Math.min(Math.max(h + vh * dt, h / 2), h * 2);
    const px = cx + vx * dt;
    const py = cy + vy * dt;
    return [px - pw / 2, py - ph / 2, px + pw / 2, py + ph / 2];
  }

  observe(obs: Observation<T>, minHits: number): void {
    const dt = obs.at - this.lastSeen;
    if (dt > 0) {
      const [cx0, cy0] = boxCentre(this.box);
      const [cx1, cy1] = boxCentre(obs.box);
      const measured: Vec4 = [
        (cx1 - cx0) / dt,
        (cy1 - cy0) / dt,
        (obs.box[2] - obs.box[0] - (this.box[2] - this.box[0])) / dt,
        (obs.box[3] - obs.box[1] - (this.box[3] - this.box[1])) / dt,
      ];
      const a = this.hasVelocity ? this.smoothing : 1;
      this.velocity = this.velocity.map((v, i) => a * (measured[i] as number) + (1 - a) * v) as Vec4;
      this.hasVelocity = true;
    }
    this.box = obs.box;
    this.lastSeen = obs.at;
    this.hits += 1;
    this.missed = 0;
    if (this.hits >= minHits) this.confirmed = true;
    this.last = obs;
    this.history.push(obs);
    if (this.history.length > this.historyCap) {
      let worst = 0;
      for (let i = 1; i < this.history.length; i++) {
        if ((this.history[i] as Observation<T>).weight < (this.history[worst] as Observation<T>).weight) worst = i;
      }
      this.history.splice(worst, 1);
    }
  }
}

interface Candidate {
  track: number;
  detection: number;
  tier: 0 | 1;
  cost: number;
}

export class Tracker<T> {
  private readonly tracks: TrackState<T>[] = [];
  private nextId = 1;
  private lastAt = -Infinity;
  private readonly opts: Required<Omit<TrackerOptions<T>, 'maxMissedFrames' | 'maxAgeMs' | 'canMatch'>> &
    Pick<TrackerOptions<T>, 'maxMissedFrames' | 'maxAgeMs' | 'canMatch'>;

  constructor(options: TrackerOptions<T>) {
    const o = {
      iouThreshold: options.iouThreshold,
      maxMissedFrames: options.maxMissedFrames,
      maxAgeMs: options.maxAgeMs,
      canMatch: options.canMatch,
      minHits: options.minHits ?? 1,
      historyCap: options.historyCap ?? 20,
      weight: options.weight ?? ((d: Detection<T>) => d.score * area(d.box)),
      centreGate: options.centreGate ?? 1.5,
      maxAreaRatio: options.maxAreaRatio ?? 2.5,
      velocitySmoothing: options.velocitySmoothing ?? 0.5,
      idPrefix: options.idPrefix ?? 't',
    };
    if (!(o.iouThreshold > 0 && o.iouThreshold <= 1)) throw new RangeError('Tracker: iouThreshold must be in (0, 1]');
    if (o.maxMissedFrames === undefined && o.maxAgeMs === undefined) throw new RangeError('Tracker: set maxMissedFrames or maxAgeMs (or both)');
    if (o.maxMissedFrames !== undefined && !(Number.isInteger(o.maxMissedFrames) && o.maxMissedFrames >= 0)) {
      throw new RangeError('Tracker: maxMissedFrames must be a non-negative integer');
    }
    if (o.maxAgeMs !== undefined && !(o.maxAgeMs >= 0)) throw new RangeError('Tracker: maxAgeMs must be ≥ 0');
    if (!(Number.isInteger(o.minHits) && o.minHits >= 1)) throw new RangeError('Tracker: minHits must be an integer ≥ 1');
    if (!(Number.isInteger(o.historyCap) && o.historyCap >= 1)) throw new RangeError('Tracker: historyCap must be an integer ≥ 1');
    if (!(o.centreGate >= 0)) throw new RangeError('Tracker: centreGate must be ≥ 0');
    if (!(o.maxAreaRatio >= 1)) throw new RangeError('Tracker: maxAreaRatio must be ≥ 1');
    if (!(o.velocitySmoothing > 0 && o.velocitySmoothing <= 1)) throw new RangeError('Tracker: velocitySmoothing must be in (0, 1]');
    this.opts = o;
  }

  /** The live confirmed tracks. */
  active(): Track<T>[] {
    return this.tracks.filter((t) => t.confirmed);
  }

  /** Feed one analysed frame's detections at time `at` (ms, never earlier than the previous update). */
  update(detections: readonly Detection<T>[], at: number): TrackerUpdate<T> {
    if (!Number.isFinite(at)) throw new RangeError(`Tracker.update: time must be finite (got ${at})`);
    if (at < this.lastAt) throw new RangeError(`Tracker.update: time went backwards (${at} < ${this.lastAt})`);
    this.lastAt = at;
    const { iouThreshold, centreGate, maxAreaRatio, canMatch } = this.opts;

    const candidates: Candidate[] = [];
    this.tracks.forEach((track, ti) => {
      const predicted = track.predict(at);
      const [pcx, pcy] = boxCentre(predicted);
      const side = Math.max(predicted[2] - predicted[0], predicted[3] - predicted[1]);
      const predictedArea = area(predicted);
      detections.forEach((det, di) => {
        if (canMatch && !canMatch(track, det)) return;
        const overlap = iou(predicted, det.box);
        if (overlap > 0 && overlap >= iouThreshold) {
          candidates.push({ track: ti, detection: di, tier: 0, cost: -overlap });
          return;
        }
        if (centreGate === 0 || side <= 0) return;
        const [dcx, dcy] = boxCentre(det.box);
        const distance = Math.hypot(dcx - pcx, dcy - pcy) / side;
        const detArea = area(det.box);
        const ratio = Math.max(detArea, predictedArea) / Math.min(detArea, predictedArea);
        if (distance <= centreGate && ratio <= maxAreaRatio) candidates.push({ track: ti, detection: di, tier: 1, cost: distance });
      });
    });
    candidates.sort((a, b) => a.tier - b.tier || a.cost - b.cost || a.track - b.track || a.detection - b.detection);

    const trackTaken = new Set<number>();
    const detectionTaken = new Set<number>();
    const updated: Track<T>[] = [];
    for (const c of candidates) {
      if (trackTaken.has(c.track) || detectionTaken.has(c.detection)) continue;
      trackTaken.add(c.track);
      detectionTaken.add(c.detection);
      const track = this.tracks[c.track] as TrackState<T>;
      track.observe(this.observation(detections[c.detection] as Detection<T>, at), this.opts.minHits);
      if (track.confirmed) updated.push(track);
    }

    const ended: Track<T>[] = [];
    const survivors: TrackState<T>[] = [];
    this.tracks.forEach((track, ti) => {
      if (trackTaken.has(ti)) {
        survivors.push(track);
        return;
      }
      track.missed += 1;
      if (!track.confirmed) return; // a tentative track that missed a frame is dropped silently
      const tooManyMisses = this.opts.maxMissedFrames !== undefined && track.missed > this.opts.maxMissedFrames;
      const tooOld = this.opts.maxAgeMs !== undefined && at - track.lastSeen > this.opts.maxAgeMs;
      if (tooManyMisses || tooOld) ended.push(track);
      else survivors.push(track);
    });

    detections.forEach((det, di) => {
      if (detectionTaken.has(di)) return;
      const track = new TrackState<T>(
        `${this.opts.idPrefix}${this.nextId++}`,
        this.observation(det, at),
        this.opts.minHits,
        this.opts.historyCap,
        this.opts.velocitySmoothing,
      );
      survivors.push(track);
      if (track.confirmed) updated.push(track);
    });

    this.tracks.splice(0, this.tracks.length, ...survivors);
    return { updated, ended };
  }

  /** End every track (the camera stopped); returns the confirmed ones. The clock restarts. */
  flush(): Track<T>[] {
    const ended = this.tracks.filter((t) => t.confirmed);
    this.tracks.length = 0;
    this.lastAt = -Infinity;
    return ended;
  }

  private observation(det: Detection<T>, at: number): Observation<T> {
    return { box: det.box, score: det.score, payload: det.payload, at, weight: this.opts.weight(det) };
  }
}
