import { createReadStream, existsSync, statSync, type ReadStream } from 'node:fs';
import { resolve, sep } from 'node:path';
import type { PrivacyMask } from '../../../contracts/api.ts';
import type { CameraSourceKind } from '../../../contracts/camera-source.ts';
import type { Recording, WallLayout, WallLayoutInput } from '../../../contracts/media.ts';
import { NotFoundError, UnavailableError, ValidationError } from '../../../contracts/errors.ts';
import { redactUrl } from '../../../storage/redact.ts';
import type { AuditRepository } from '../../../storage/repositories/audit.repository.ts';
import type { CamerasRepository } from '../../../storage/repositories/cameras.repository.ts';
import type { RecordingsRepository } from '../../../storage/repositories/recordings.repository.ts';
import type { WallLayoutsRepository } from '../../../storage/repositories/wall-layouts.repository.ts';
import type { SecretBox } from '../../../storage/secret-box.ts';
import type { Principal, RequestMeta } from './auth.service.ts';
import { assertCameraAccess, assertCameraIdAccess } from './camera-access.ts';

export interface MediaFile {
  stream: ReadStream;
  size: number;
  /** Byte range served, inclusive; null for the whole file. */
  range: { start: number; end: number } | null;
  contentType: string;
}

/** A camera as a snapshot pulls it: its addresses and credentials (the password decrypted). */
export interface SnapshotCamera {
  sourceKind: CameraSourceKind;
  sourceUrl: string;
  streamUrl: string | null;
  username: string | null;
  password: string | null;
}

/**
 * What camera snapshots need of ffmpeg and the privacy-mask files. cli/serve.ts supplies it from
 * ingest/stream (snapshot.ts, privacy-mask.ts, pull-url.ts); the API server does not import ingest.
 * Each grab rejects (an Error whose message holds no credentials) when no picture came.
 */
export interface SnapshotPort {
  /** The PNG of a camera's privacy masks, written when needed; null when it has none. */
  maskFile(cameraId: string, masks: readonly PrivacyMask[]): Promise<string | null>;
  /** One JPEG of a recorded file, `seekFromEnd` seconds before its end (else its first frame), the mask laid over. */
  fromFile(path: string, opts: { seekFromEnd?: number; maskFile: string | null; timeoutMs: number }): Promise<Buffer>;
  /** One JPEG pulled from the camera itself, the mask laid over. */
  fromCamera(camera: SnapshotCamera, opts: { maskFile: string | null; timeoutMs: number }): Promise<Buffer>;
}

export interface CameraSnapshot {
  jpeg: Buffer;
  source: 'recording' | 'camera';
}

/** Snapshots taken at once by this process; one more is refused (503) rather than queued. */
export const MAX_CONCURRENT_SNAPSHOTS = 2;
/** How far back recordings are looked at for a snapshot, and how many of the newest are tried. */
const SNAPSHOT_RECORDINGS_WINDOW_MS = 10 * 60_000;
const SNAPSHOT_RECORDINGS_TRIED = 3;
const SNAPSHOT_FILE_TIMEOUT_MS = 5_000;
const SNAPSHOT_CAMERA_TIMEOUT_MS = 10_000;

const CONTENT_TYPES: Record<string, string> = { mp4: 'video/mp4', ts: 'video/mp2t', mkv: 'video/x-matroska' };

/** Parse a single `bytes=a-b` range; null when absent, 'invalid' when unsatisfiable. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | null | 'invalid' {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return 'invalid';
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start > end || start >= size) return 'invalid';
  return { start, end };
}

/** Wall layouts and recorded video. */
export class MediaService {
  constructor(
    private readonly deps: {
      layouts: WallLayoutsRepository;
      recordings: RecordingsRepository;
      cameras: CamerasRepository;
      audit: AuditRepository;
      recordingsDir: string;
      /** Opens the sealed camera passwords (a snapshot pulled from the camera). */
      secrets: SecretBox;
      snapshots: SnapshotPort;
    },
  ) {}

  /** Snapshots being taken now (see MAX_CONCURRENT_SNAPSHOTS). */
  private snapshotsRunning = 0;

  listLayouts(actor: Principal): Promise<WallLayout[]> {
    return this.deps.layouts.list(actor.userId);
  }

  saveLayout(actor: Principal, name: string, layout: WallLayoutInput): Promise<WallLayout> {
    if (layout.tiles.length > layout.grid) {
      throw new ValidationError(`A ${layout.grid}-tile layout holds at most ${layout.grid} tiles.`, [{ path: 'tiles', message: `more than ${layout.grid} tiles` }]);
    }
    if (layout.tour?.scope === 'tile' && (layout.tour.tileIndex === null || layout.tour.tileIndex >= layout.grid)) {
      throw new ValidationError('A tile tour needs the index of a tile of this layout.', [{ path: 'tour.tileIndex', message: 'missing or outside the layout' }]);
    }
    return this.deps.layouts.save(actor.userId, name, layout);
  }

  async deleteLayout(actor: Principal, name: string): Promise<void> {
    if (!(await this.deps.layouts.delete(actor.userId, name))) throw new NotFoundError(`No layout named ${name}.`);
  }

  async listRecordings(cameraId: string, from: Date, to: Date, actor: Pick<Principal, 'cameraAccess'> = {}): Promise<Recording[]> {
    const camera = await this.deps.cameras.findById(cameraId);
    if (!camera) throw new NotFoundError(`No camera with id ${cameraId}.`);
    assertCameraAccess(actor, 'playback', camera);
    if (to < from) throw new ValidationError('The end of the range is before its start.', [{ path: 'to', message: 'before from' }]);
    if (to.getTime() - from.getTime() > 31 * 24 * 3600_000) throw new ValidationError('Ask for at most 31 days at a time.', [{ path: 'to', message: 'range over 31 days' }]);
    const records = await this.deps.recordings.listForCamera(cameraId, from, to);
    return records.map(({ path: _path, ...r }) => r);
  }

  /** Open a recorded segment for playback, honouring a byte range. The path never comes from the client. */
  async openRecording(id: string, rangeHeader: string | undefined, actor: Principal, meta: RequestMeta): Promise<MediaFile | { unsatisfiable: true; size: number }> {
    const record = await this.deps.recordings.findById(id);
    if (!record) throw new NotFoundError(`No recording with id ${id}.`);
    await assertCameraIdAccess(actor, 'playback', record.cameraId, (cameraId) => this.deps.cameras.findById(cameraId));
    const root = resolve(this.deps.recordingsDir);
    const path = resolve(record.path);
    if (!path.startsWith(root + sep)) throw new NotFoundError(`Recording ${id} is outside the recordings folder.`);
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      throw new NotFoundError(`The file of recording ${id} is gone (removed by retention?).`);
    }
    const range = parseRange(rangeHeader, size);
    if (range === 'invalid') return { unsatisfiable: true, size };
    if (!range || range.start === 0) {
      await this.deps.audit.append({
        userId: actor.userId,
        username: actor.username,
        action: 'recording.play',
        targetType: 'camera',
        targetId: record.cameraId,
        detail: { recordingId: id, startedAt: record.startedAt },
        ip: meta.ip,
      });
    }
    const ext = path.slice(path.lastIndexOf('.') + 1).toLowerCase();
    return {
      stream: range ? createReadStream(path, { start: range.start, end: range.end }) : createReadStream(path),
      size,
      range,
      contentType: CONTENT_TYPES[ext] ?? 'application/octet-stream',
    };
  }

  /**
   * One current picture of a camera for the privacy-mask and analytics-region editors: from its
   * newest recording when there is one of the last minutes, else pulled from the camera. The camera's
   * current privacy masks are always laid over it (a recording may predate a mask). Live access to
   * the camera is required; at most MAX_CONCURRENT_SNAPSHOTS are taken at once (503 beyond).
   */
  async snapshot(cameraId: string, actor: Principal, meta: RequestMeta): Promise<CameraSnapshot> {
    const camera = await this.deps.cameras.findById(cameraId);
    if (!camera) throw new NotFoundError(`No camera with id ${cameraId}.`);
    assertCameraAccess(actor, 'live', camera);
    if (this.snapshotsRunning >= MAX_CONCURRENT_SNAPSHOTS) {
      throw new UnavailableError('The server is busy taking other camera pictures; try again in a moment.');
    }
    this.snapshotsRunning++;
    let shot: CameraSnapshot;
    try {
      let maskFile: string | null;
      try {
        maskFile = await this.deps.snapshots.maskFile(camera.id, camera.privacyMasks);
      } catch (err) {
        // Never an unmasked picture of a masked camera.
        throw new UnavailableError(`The privacy masks of camera "${camera.name}" could not be drawn, so no picture is shown: ${redactUrl((err as Error).message)}`);
      }
      const recorded = await this.snapshotFromRecordings(camera.id, maskFile);
      if (recorded) shot = { jpeg: recorded, source: 'recording' };
      else {
        const password = camera.passwordEnc ? this.deps.secrets.open(camera.passwordEnc) : null;
        try {
          const jpeg = await this.deps.snapshots.fromCamera(
            { sourceKind: camera.sourceKind, sourceUrl: camera.sourceUrl, streamUrl: camera.streamUrl, username: camera.username, password },
            { maskFile, timeoutMs: SNAPSHOT_CAMERA_TIMEOUT_MS },
          );
          shot = { jpeg, source: 'camera' };
        } catch (err) {
          const reason = redactUrl((err as Error).message).replace(/^the snapshot could not be taken: /, '');
          throw new UnavailableError(`No picture from camera "${camera.name}": it has no recent recording and its source could not be reached (${reason}).`);
        }
      }
    } finally {
      this.snapshotsRunning--;
    }
    await this.deps.audit.append({
      userId: actor.userId,
      username: actor.username,
      action: 'camera.snapshot',
      targetType: 'camera',
      targetId: camera.id,
      detail: { source: shot.source },
      ip: meta.ip,
    });
    return shot;
  }

  /**
   * A picture from the newest recordings of the last minutes, newest first: near the end of a file,
   * then its start; null when none gives one (no recording, files gone, or not decodable yet).
   */
  private async snapshotFromRecordings(cameraId: string, maskFile: string | null): Promise<Buffer | null> {
    const now = Date.now();
    const records = await this.deps.recordings.listForCamera(cameraId, new Date(now - SNAPSHOT_RECORDINGS_WINDOW_MS), new Date(now));
    const root = resolve(this.deps.recordingsDir);
    const newest = records
      .map((r) => resolve(r.path))
      .filter((path) => path.startsWith(root + sep) && existsSync(path))
      .reverse()
      .slice(0, SNAPSHOT_RECORDINGS_TRIED);
    for (const path of newest) {
      for (const seekFromEnd of [2, undefined]) {
        try {
          return await this.deps.snapshots.fromFile(path, { seekFromEnd, maskFile, timeoutMs: SNAPSHOT_FILE_TIMEOUT_MS });
        } catch {
          // Not decodable (yet, or any more): the next try.
        }
      }
    }
    return null;
  }
}
