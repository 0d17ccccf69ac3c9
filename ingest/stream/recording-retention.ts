import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../config/logger.ts';
import type { Recording } from '../../contracts/media.ts';

/**
 * Recording segments on disk: `<recordingsDir>/<cameraId>/<YYYYMMDDTHHMMSSZ>.mp4`, one file per
 * segment, named by its UTC start time (ffmpeg-args.ts RECORDING_FILE_PATTERN). This module lists them
 * for playback and decides which to delete: `planRetention` is a pure function (unit-tested),
 * `applyRetention` lists, plans and deletes.
 *
 * The newest segment of each camera is never deleted: ffmpeg may be writing it.
 */

export interface RecordingSegment {
  /** `<cameraId>/<file name>`: stable, and safe to use in a URL path once encoded. */
  id: string;
  cameraId: string;
  path: string;
  /** ms since the epoch, from the file name. */
  startedAt: number;
  /** ms since the epoch: the file's last write (the segment still being written ends "now"). */
  endedAt: number;
  bytes: number;
}

export interface RetentionPolicy {
  /** Delete segments that ended more than this many hours ago. null: no age limit. */
  maxAgeHours: number | null;
  /** Per camera: delete the oldest segments while the camera's total exceeds this. null: no limit. */
  maxBytesPerCamera: number | null;
  /** All cameras together: delete the oldest segments (of any camera) while the total exceeds this. null: no limit. */
  maxTotalBytes?: number | null;
}

export type RetentionCause = 'age' | 'camera-size' | 'total-size';

export interface RetentionDecision {
  segment: RecordingSegment;
  cause: RetentionCause;
}

const SEGMENT_NAME = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z\.(mp4|ts|mkv)$/;

/** The UTC start time (ms) a segment file name encodes, or null when it is not a segment name. */
export function parseSegmentName(name: string): number | null {
  const m = SEGMENT_NAME.exec(name);
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m;
  const t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  return Number.isNaN(t) ? null : t;
}

/**
 * Which segments to delete, oldest first. Rules, in order: age (by end time), then each camera's size,
 * then the total size. The newest segment of every camera is kept whatever the policy says.
 */
export function planRetention(segments: readonly RecordingSegment[], policy: RetentionPolicy, now: number): RetentionDecision[] {
  const byCamera = new Map<string, RecordingSegment[]>();
  for (const s of segments) {
    const list = byCamera.get(s.cameraId) ?? [];
    list.push(s);
    byCamera.set(s.cameraId, list);
  }
  const deleted = new Map<RecordingSegment, RetentionCause>();
  const protectedSet = new Set<RecordingSegment>();
  for (const list of byCamera.values()) {
    list.sort(byStart);
    protectedSet.add(list[list.length - 1]!);
  }

  if (policy.maxAgeHours !== null) {
    const cutoff = now - policy.maxAgeHours * 3_600_000;
    for (const s of segments) if (!protectedSet.has(s) && s.endedAt < cutoff) deleted.set(s, 'age');
  }

  if (policy.maxBytesPerCamera !== null) {
    for (const list of byCamera.values()) {
      let total = list.reduce((sum, s) => sum + (deleted.has(s) ? 0 : s.bytes), 0);
      for (const s of list) {
        if (total <= policy.maxBytesPerCamera) break;
        if (deleted.has(s) || protectedSet.has(s)) continue;
        deleted.set(s, 'camera-size');
        total -= s.bytes;
      }
    }
  }

  const maxTotal = policy.maxTotalBytes ?? null;
  if (maxTotal !== null) {
    const remaining = segments.filter((s) => !deleted.has(s)).sort(byStart);
    let total = remaining.reduce((sum, s) => sum + s.bytes, 0);
    for (const s of remaining) {
      if (total <= maxTotal) break;
      if (protectedSet.has(s)) continue;
      deleted.set(s, 'total-size');
      total -= s.bytes;
    }
  }

  return [...deleted.entries()].map(([segment, cause]) => ({ segment, cause })).sort((a, b) => byStart(a.segment, b.segment));
}

function byStart(a: RecordingSegment, b: RecordingSegment): number {
  return a.startedAt - b.startedAt || a.path.localeCompare(b.path);
}

/** One camera's segments, oldest first. A missing folder is an empty list. */
export async function listSegments(recordingsDir: string, cameraId: string): Promise<RecordingSegment[]> {
  const dir = join(recordingsDir, cameraId);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: RecordingSegment[] = [];
  for (const name of names) {
    const startedAt = parseSegmentName(name);
    if (startedAt === null) continue;
    const path = join(dir, name);
    try {
      const st = await stat(path);
      if (!st.isFile()) continue;
      out.push({ id: `${cameraId}/${name}`, cameraId, path, startedAt, endedAt: Math.max(startedAt, st.mtimeMs), bytes: st.size });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // deleted meanwhile
    }
  }
  return out.sort(byStart);
}

/** Every camera's segments under the recordings folder. */
export async function listAllSegments(recordingsDir: string): Promise<RecordingSegment[]> {
  let entries: Array<{ name: string; isDirectory(): boolean }>;
  try {
    entries = await readdir(recordingsDir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const all: RecordingSegment[] = [];
  for (const e of entries) if (e.isDirectory()) all.push(...(await listSegments(recordingsDir, e.name)));
  return all;
}

/** Segments that overlap [from, to] (ms), oldest first: what playback of that span needs. */
export function segmentsInRange(segments: readonly RecordingSegment[], from: number, to: number): RecordingSegment[] {
  return segments.filter((s) => s.startedAt <= to && s.endedAt >= from).sort(byStart);
}

/** The playback view of a segment (contracts/media.ts Recording). */
export function toRecording(s: RecordingSegment): Recording {
  return { id: s.id, cameraId: s.cameraId, startedAt: new Date(s.startedAt).toISOString(), endedAt: new Date(s.endedAt).toISOString(), bytes: s.bytes };
}

export interface RetentionResult {
  deleted: RetentionDecision[];
  freedBytes: number;
}

/** List, plan and delete. A file already gone is not an error. */
export async function applyRetention(recordingsDir: string, policy: RetentionPolicy, now: number, log: Logger): Promise<RetentionResult> {
  const plan = planRetention(await listAllSegments(recordingsDir), policy, now);
  const done: RetentionDecision[] = [];
  let freedBytes = 0;
  for (const d of plan) {
    try {
      await unlink(d.segment.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        log.warn({ cameraId: d.segment.cameraId, segment: d.segment.id, err }, 'could not delete recording segment');
        continue;
      }
    }
    done.push(d);
    freedBytes += d.segment.bytes;
  }
  if (done.length > 0) log.info({ segments: done.length, freedBytes }, 'recording retention');
  return { deleted: done, freedBytes };
}
