import { unlink } from 'node:fs/promises';
import type { Logger } from '../../config/logger.ts';
import type { RetentionDecision } from './recording-retention.ts';

/**
 * Delete the files of planned segments (recording-retention.ts planRetention), after their rows went
 * (cli/media.wiring.ts). A file already gone is fine; one that cannot be deleted is logged and stays,
 * so the next pass, which plans from the files on disk, tries again. Returns the bytes freed.
 */
export async function deleteSegmentFiles(plan: readonly RetentionDecision[], log: Logger): Promise<number> {
  let deleted = 0;
  let freedBytes = 0;
  for (const d of plan) {
    try {
      await unlink(d.segment.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        log.warn({ cameraId: d.segment.cameraId, segment: d.segment.id, err: (err as Error).message }, 'could not delete recording segment');
        continue;
      }
    }
    deleted++;
    freedBytes += d.segment.bytes;
  }
  if (deleted > 0) log.info({ segments: deleted, freedBytes }, 'recording retention');
  return freedBytes;
}
