import { z } from 'zod';

/**
 * Evidence export: a time range of one or more cameras, with the recorded segments, sightings,
 * alerts and audit trail of that range, packed into one tar whose manifest (a SHA-256 per file)
 * is signed with the server's Ed25519 key. Built by the `export.build` job; checked by
 * `argus verify-export`. The package format is described in docs/exports.md.
 */
export const EXPORT_STATUSES = ['queued', 'running', 'done', 'failed'] as const;
export const exportStatusSchema = z.enum(EXPORT_STATUSES);
export type ExportStatus = z.infer<typeof exportStatusSchema>;

/** At most this many cameras in one export. */
export const EXPORT_MAX_CAMERAS = 16;

export const exportCreateSchema = z
  .object({
    cameraIds: z.array(z.string().uuid()).min(1).max(EXPORT_MAX_CAMERAS).describe('cameras whose recordings, sightings and alerts go into the package'),
    from: z.iso.datetime({ offset: true }).describe('start of the range (ISO 8601)'),
    to: z.iso.datetime({ offset: true }).describe('end of the range (ISO 8601)'),
    reason: z.string().trim().min(1).max(500).describe('why the evidence is exported: case number, request (kept in the manifest and the audit log)'),
  })
  .strict();
export type ExportCreate = z.infer<typeof exportCreateSchema>;

export const exportJobSchema = z.object({
  id: z.string().uuid(),
  createdBy: z.object({ userId: z.string().nullable(), username: z.string() }),
  cameraIds: z.array(z.string()),
  from: z.string(),
  to: z.string(),
  reason: z.string(),
  status: exportStatusSchema,
  /** 0..100 */
  progress: z.number().int().min(0).max(100),
  /** Size of the package; null until done. */
  bytes: z.number().int().nullable(),
  /** SHA-256 (hex) of the whole package file; null until done. */
  sha256: z.string().nullable(),
  /** File name of the package (argus-export-<id>.tar); null until done. */
  fileName: z.string().nullable(),
  /** Fingerprint of the key that signed the manifest; null until done. */
  keyFingerprint: z.string().nullable(),
  error: z.string().nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  /** When the package file was deleted (by its owner or by retention, exports.keepDays); the record stays. */
  fileDeletedAt: z.string().nullable(),
});
export type ExportJob = z.infer<typeof exportJobSchema>;

export const exportPublicKeySchema = z.object({
  algorithm: z.literal('Ed25519'),
  /** SubjectPublicKeyInfo, PEM. */
  pem: z.string(),
  /** sha256 of the DER SubjectPublicKeyInfo, hex (`sha256:` + 64 hex digits). */
  fingerprint: z.string(),
});
export type ExportPublicKey = z.infer<typeof exportPublicKeySchema>;

/** Name of the package file of an export. */
export function exportFileName(id: string): string {
  return `argus-export-${id}.tar`;
}
