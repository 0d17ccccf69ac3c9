import { createReadStream, statSync, type ReadStream } from 'node:fs';
import { resolve, sep } from 'node:path';
import type { Recording, WallLayout, WallLayoutInput } from '../../../contracts/media.ts';
import { NotFoundError, ValidationError } from '../../../contracts/errors.ts';
import type { AuditRepository } from '../../../storage/repositories/audit.repository.ts';
import type { CamerasRepository } from '../../../storage/repositories/cameras.repository.ts';
import type { RecordingsRepository } from '../../../storage/repositories/recordings.repository.ts';
import type { WallLayoutsRepository } from '../../../storage/repositories/wall-layouts.repository.ts';
import type { Principal, RequestMeta } from './auth.service.ts';
import { assertCameraAccess, assertCameraIdAccess } from './camera-access.ts';

export interface MediaFile {
  stream: ReadStream;
  size: number;
  /** Byte range served, inclusive; null for the whole file. */
  range: { start: number; end: number } | null;
  contentType: string;
}

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
    },
  ) {}

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
}
