import { z } from 'zod';

/** The four-colour scheme (red: stop and detain; orange: stop and inspect; yellow: check and record; blue: note only). */
export const ALERT_LEVELS = ['red', 'orange', 'yellow', 'blue'] as const;
export const alertLevelSchema = z.enum(ALERT_LEVELS);
export type AlertLevel = z.infer<typeof alertLevelSchema>;

/** Default names of the levels (zh / en); configurable later. */
export const ALERT_LEVEL_NAMES: Readonly<Record<AlertLevel, { zh: string; en: string; colour: string }>> = Object.freeze({
  red: { zh: '红色 · 拦截抓捕', en: 'Red: stop and detain', colour: '#d32f2f' },
  orange: { zh: '橙色 · 拦截检查', en: 'Orange: stop and inspect', colour: '#f57c00' },
  yellow: { zh: '黄色 · 核查登记', en: 'Yellow: check and record', colour: '#fbc02d' },
  blue: { zh: '蓝色 · 仅提示', en: 'Blue: note only', colour: '#1976d2' },
});

export const WATCHLIST_KINDS = ['plate', 'face'] as const;
export const watchlistKindSchema = z.enum(WATCHLIST_KINDS);
export type WatchlistKind = z.infer<typeof watchlistKindSchema>;

export const DEFAULT_FACE_THRESHOLD = 0.45;

const isoDate = z.coerce.date();
const text = (max: number) => z.string().trim().max(max);

export const watchlistSchema = z.object({
  id: z.string().uuid(),
  name: z.string(),
  kind: watchlistKindSchema,
  level: alertLevelSchema,
  covert: z.boolean().describe('Hits are seen only by users with watchlists.manage, never on checkpoint terminals'),
  tolerance: z.number().int().min(0).max(2).describe('Plate lists: misreads tolerated (0..2)'),
  ignoreProvince: z.boolean().describe('Plate lists: a wrong province character is not counted as a misread'),
  threshold: z.number().min(0).max(1).nullable().describe('Face lists: cosine similarity threshold'),
  active: z.boolean(),
  validFrom: z.string().nullable(),
  validTo: z.string().nullable(),
  ownerId: z.string().nullable(),
  entryCount: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Watchlist = z.infer<typeof watchlistSchema>;

function checkValidity(v: { validFrom?: Date | null; validTo?: Date | null }, ctx: { addIssue(issue: { code: 'custom'; path: string[]; message: string }): void }): void {
  if (v.validFrom && v.validTo && v.validTo <= v.validFrom) ctx.addIssue({ code: 'custom', path: ['validTo'], message: 'must be after validFrom' });
}

export const createWatchlistSchema =
  z
    .object({
      name: text(200).min(1),
      kind: watchlistKindSchema,
      level: alertLevelSchema,
      covert: z.boolean().default(false),
      tolerance: z.number().int().min(0).max(2).default(0),
      ignoreProvince: z.boolean().default(false),
      threshold: z.number().min(0).max(1).optional(),
      active: z.boolean().default(true),
      validFrom: isoDate.nullable().optional(),
      validTo: isoDate.nullable().optional(),
    })
    .strict()
    .superRefine(checkValidity);
export type CreateWatchlistInput = z.output<typeof createWatchlistSchema>;

export const updateWatchlistSchema =
  z
    .object({
      name: text(200).min(1),
      level: alertLevelSchema,
      covert: z.boolean(),
      tolerance: z.number().int().min(0).max(2),
      ignoreProvince: z.boolean(),
      threshold: z.number().min(0).max(1),
      active: z.boolean(),
      validFrom: isoDate.nullable(),
      validTo: isoDate.nullable(),
    })
    .partial()
    .strict()
    .superRefine(checkValidity);
export type UpdateWatchlistInput = z.output<typeof updateWatchlistSchema>;

export const facePhotoSchema = z.object({ id: z.string().uuid(), quality: z.number(), model: z.string(), createdAt: z.string() });
export type FacePhoto = z.infer<typeof facePhotoSchema>;

/** A plate entry has `plate`; a face entry (a person) has `personName` and `photos`. */
export const watchlistEntrySchema = z.object({
  id: z.string().uuid(),
  watchlistId: z.string().uuid(),
  plate: z.string().nullable().describe('Plate lists: the pattern as stored (normalised; * and ? wildcards)'),
  personName: z.string().nullable(),
  reason: z.string().nullable(),
  caseNumber: z.string().nullable(),
  validFrom: z.string().nullable(),
  validTo: z.string().nullable(),
  createdBy: z.string().nullable(),
  createdAt: z.string(),
  photos: z.array(facePhotoSchema),
});
export type WatchlistEntry = z.infer<typeof watchlistEntrySchema>;

export const createEntrySchema =
  z
    .object({
      plate: z.string().max(32).optional(),
      personName: text(200).min(1).optional(),
      reason: text(1000).nullable().optional(),
      caseNumber: text(100).nullable().optional(),
      validFrom: isoDate.nullable().optional(),
      validTo: isoDate.nullable().optional(),
    })
    .strict()
    .superRefine(checkValidity);
export type CreateEntryInput = z.output<typeof createEntrySchema>;

export const updateEntrySchema =
  z
    .object({
      plate: z.string().max(32),
      personName: text(200).min(1),
      reason: text(1000).nullable(),
      caseNumber: text(100).nullable(),
      validFrom: isoDate.nullable(),
      validTo: isoDate.nullable(),
    })
    .partial()
    .strict()
    .superRefine(checkValidity);
export type UpdateEntryInput = z.output<typeof updateEntrySchema>;

export const entriesQuerySchema = z
  .object({
    q: z.string().max(64).optional().describe('Plate pattern or person name contains'),
    limit: z.coerce.number().int().min(1).max(1000).default(200),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict();
export const entryPageSchema = z.object({ items: z.array(watchlistEntrySchema), total: z.number().int() });
export type EntryPage = z.infer<typeof entryPageSchema>;

export const watchlistParamsSchema = z.object({ id: z.string().uuid() }).strict();
export const entryParamsSchema = z.object({ id: z.string().uuid(), entryId: z.string().uuid() }).strict();

/** CSV import: columns plate,reason,case_number,valid_from,valid_to (a header line is required). */
export const CSV_IMPORT_COLUMNS = ['plate', 'reason', 'case_number', 'valid_from', 'valid_to'] as const;
export const CSV_IMPORT_MAX_ROWS = 100_000;
export const importQuerySchema = z
  .object({ dryRun: z.enum(['0', '1', 'true', 'false']).optional().transform((v) => v === '1' || v === 'true') })
  .strict();
export const importReportSchema = z.object({
  dryRun: z.boolean(),
  imported: z.number().int().describe('Entries stored (0 on a dry run or when any row failed)'),
  rows: z.array(z.object({ line: z.number().int(), ok: z.boolean(), error: z.string().optional() })),
});
export type ImportReport = z.infer<typeof importReportSchema>;

/** Sent on Redis `<prefix>:watchlists.changed` so that every process reloads its matchers. */
export const WATCHLISTS_CHANGED_CHANNEL = 'watchlists.changed';

/** Face enrolment: the face pipeline behind a port (cli/ implements it with the analytics models). */
export interface FaceEnroller {
  /** Throws ValidationError saying why (no face, several faces, too little quality). */
  enrol(image: Uint8Array): Promise<{ embedding: number[]; model: string; quality: number }>;
}
