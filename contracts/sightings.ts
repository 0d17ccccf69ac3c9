import { z } from 'zod';
import { OBJECT_LABELS, PIPELINES, PLATE_COLOURS } from './analytics.ts';

/**
 * Sightings (plate reads, faces, objects), their search and statistics, the per-camera analytics
 * settings, and the port through which the analytics role records sightings
 * (`SightingRecorder`, implemented by the API server's SightingsService and handed to the
 * analytics role by cli/serve.ts).
 *
 * Coordinates of boxes are pixels of the analysed frame, origin top-left ([x1, y1, x2, y2]);
 * ROI polygons are normalised to 0..1 of the frame's width and height.
 */

export const SIGHTING_KINDS = ['plate', 'face', 'object'] as const;
export const sightingKindSchema = z.enum(SIGHTING_KINDS);
export type SightingKind = z.infer<typeof sightingKindSchema>;

/**
 * 'early': the first confident read of a track, stored and pushed at once so that alerting does not
 * wait for the vehicle to leave the frame. 'final': refined in place when the track ended (best
 * read, best crop). A sighting recorded in one step is 'final' directly.
 */
export const SIGHTING_STAGES = ['early', 'final'] as const;
export const sightingStageSchema = z.enum(SIGHTING_STAGES);
export type SightingStage = z.infer<typeof sightingStageSchema>;

export const plateColourSchema = z.enum(PLATE_COLOURS);
export const objectLabelSchema = z.enum(OBJECT_LABELS);
export const pipelineSchema = z.enum(PIPELINES);

/** zod 4 numbers are finite (no NaN, no Infinity). */
const finite = z.number();
/** [x1, y1, x2, y2] in pixels of the analysed frame. */
export const boxSchema = z
  .tuple([finite, finite, finite, finite])
  .refine(([x1, y1, x2, y2]) => x2 >= x1 && y2 >= y1, 'x2 must not be left of x1, nor y2 above y1')
  .describe('[x1, y1, x2, y2], pixels of the analysed frame');

/** Plate text as stored and searched: upper case, no spaces or separators ("京A·12345" → "京A12345"). */
export function normalizePlateText(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/[\s·•.\-_]/g, '')
    .toUpperCase();
}

export const plateTextSchema = z
  .string()
  .transform(normalizePlateText)
  .pipe(z.string().min(1, 'a plate text is required').max(16, 'at most 16 characters'));

export const sightingPlateSchema = z.object({
  text: z.string(),
  colour: plateColourSchema.nullable(),
  layers: z.union([z.literal(1), z.literal(2)]).nullable(),
});
export type SightingPlate = z.infer<typeof sightingPlateSchema>;

/** A sighting as the API returns it and the socket pushes it (`sighting.created`, `sighting.updated`). */
export const sightingSchema = z.object({
  id: z.string().uuid(),
  cameraId: z.string().uuid(),
  /** The camera's name when the sighting was read (null if the camera is gone). */
  cameraName: z.string().nullable(),
  observedAt: z.string().describe('ISO 8601 time the object was first seen (the partition key; never changes)'),
  kind: sightingKindSchema,
  trackId: z.string().nullable(),
  /** Object class ('car', 'person', …) for objects; the vehicle class a plate was found on, if known. */
  label: z.string().nullable(),
  score: z.number().min(0).max(1),
  box: boxSchema.nullable(),
  plate: sightingPlateSchema.nullable(),
  /** Faces: quality 0..1 (size, sharpness, pose); null for other kinds. */
  quality: z.number().min(0).max(1).nullable(),
  attributes: z.record(z.string(), z.unknown()),
  stage: sightingStageSchema,
  /** API address of the cropped evidence image (JPEG), null when none was stored. */
  cropUrl: z.string().nullable(),
  /** API address of the full frame (JPEG), null when none was stored. */
  frameUrl: z.string().nullable(),
  createdAt: z.string(),
  /** Changes when the sighting is refined; a client keeps the newest. */
  updatedAt: z.string(),
});
export type Sighting = z.infer<typeof sightingSchema>;

// ---------- search ----------
/**
 * exact: the whole plate. prefix: plates starting with the text. contains: the text anywhere.
 * fuzzy: contains, or similar by trigrams (pg_trgm, similarity ≥ 0.3) where the database has
 * pg_trgm; without it, contains with at most one character different. wildcard: the whole plate,
 * `*` standing for any run of characters and `?` for exactly one (e.g. 京A*5, 沪?12345).
 */
export const PLATE_MATCH_MODES = ['exact', 'prefix', 'contains', 'fuzzy', 'wildcard'] as const;
export const plateMatchModeSchema = z.enum(PLATE_MATCH_MODES);
export type PlateMatchMode = z.infer<typeof plateMatchModeSchema>;

export const SIGHTING_PAGE_MAX = 500;

/** `a,b` or a repeated query parameter → a list; an empty one (`cameraIds=`) is no filter. */
const listParam = <T extends z.ZodTypeAny>(item: T, max: number) =>
  z.preprocess((v) => {
    const list = typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v;
    return Array.isArray(list) && list.length === 0 ? undefined : list;
  }, z.array(item).max(max, `at most ${max}`).optional());

export const sightingSearchQuerySchema = z
  .object({
    cameraIds: listParam(z.string().uuid('not a camera id'), 200).optional().describe('Cameras (comma-separated or repeated); all when absent'),
    kind: sightingKindSchema.optional(),
    plate: plateTextSchema.optional().describe('Plate text (spaces and separators ignored, case-insensitive)'),
    plateMode: plateMatchModeSchema.default('exact').describe('How `plate` matches: exact, prefix, contains, fuzzy or wildcard (* and ?)'),
    plateColour: plateColourSchema.optional(),
    label: z.string().trim().min(1).max(32).optional().describe('Object class, e.g. car, person'),
    stage: sightingStageSchema.optional(),
    from: z.coerce.date().optional().describe('Observed at or after (ISO 8601)'),
    to: z.coerce.date().optional().describe('Observed before (ISO 8601)'),
    minScore: z.coerce.number().min(0).max(1).optional(),
    limit: z.coerce.number().int().min(1).max(SIGHTING_PAGE_MAX).default(50),
    cursor: z
      .string()
      .max(200)
      .optional()
      .describe('nextCursor of the previous page (results are newest first)'),
  })
  .strict()
  .superRefine((q, ctx) => {
    if (q.from && q.to && q.to <= q.from) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
  });
export type SightingSearchQuery = z.output<typeof sightingSearchQuerySchema>;
/** What a client sends (lists as arrays; the query string carries them comma-separated). */
export type SightingSearchInput = Omit<z.input<typeof sightingSearchQuerySchema>, 'cameraIds'> & { cameraIds?: string[] };

export const sightingPageSchema = z.object({
  items: z.array(sightingSchema),
  /** Pass as `cursor` for the next (older) page; null at the end. */
  nextCursor: z.string().nullable(),
  /** How a fuzzy plate search was done: 'trigram' (pg_trgm) or 'substitution' (one character may differ); null otherwise. */
  fuzzy: z.enum(['trigram', 'substitution']).nullable(),
});
export type SightingPage = z.infer<typeof sightingPageSchema>;

// ---------- statistics (per-hour counts for a chart) ----------
// ---------- trajectories ----------
export const TRAJECTORY_MAX_POINTS = 2000;

/** A vehicle's reads across cameras and checkpoints, in time order (one plate, exactly). */
export const trajectoryQuerySchema = z
  .object({
    plate: plateTextSchema.describe('The plate, exactly (spaces and separators ignored)'),
    from: z.coerce.date().optional().describe('Observed at or after (ISO 8601)'),
    to: z.coerce.date().optional().describe('Observed before (ISO 8601)'),
    limit: z.coerce.number().int().min(1).max(TRAJECTORY_MAX_POINTS).default(500),
  })
  .strict()
  .superRefine((q, ctx) => {
    if (/[*?]/.test(q.plate)) ctx.addIssue({ code: 'custom', path: ['plate'], message: 'a trajectory is of one plate: no wildcards' });
    if (q.from && q.to && q.to <= q.from) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
  });
export type TrajectoryQuery = z.output<typeof trajectoryQuerySchema>;

export const trajectoryPointSchema = z.object({
  sighting: sightingSchema,
  siteId: z.string().nullable(),
  siteName: z.string().nullable(),
  /** The camera's position, else its site's; null when neither is known. */
  latitude: z.number().nullable(),
  longitude: z.number().nullable(),
});
export type TrajectoryPoint = z.infer<typeof trajectoryPointSchema>;

export const trajectorySchema = z.object({
  plate: z.string(),
  /** Oldest first. */
  points: z.array(trajectoryPointSchema),
  /** More reads exist than `limit` returned (the newest are left out). */
  truncated: z.boolean(),
  cameras: z.number().int(),
  sites: z.number().int(),
});
export type Trajectory = z.infer<typeof trajectorySchema>;

// ---------- face search by photo ----------
export const faceSearchQuerySchema = z
  .object({
    cameraIds: listParam(z.string().uuid('not a camera id'), 200).optional().describe('Cameras (comma-separated); all when absent'),
    from: z.coerce.date().optional().describe('Observed at or after (ISO 8601)'),
    to: z.coerce.date().optional().describe('Observed before (ISO 8601)'),
    k: z.coerce.number().int().min(1).max(200).default(20).describe('How many of the most similar faces'),
    minScore: z.coerce.number().min(-1).max(1).optional().describe('Leave out faces less similar than this (cosine)'),
  })
  .strict()
  .superRefine((q, ctx) => {
    if (q.from && q.to && q.to <= q.from) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
  });
export type FaceSearchQuery = z.output<typeof faceSearchQuerySchema>;

export const faceSearchResultSchema = z.object({
  /** The face found in the uploaded photo. */
  probe: z.object({ quality: z.number(), model: z.string() }),
  /** Most similar first. */
  items: z.array(z.object({ sighting: sightingSchema, score: z.number() })),
  /** How the search ran: an index (pgvector) or an exact scan over every stored face. */
  method: z.enum(['pgvector', 'exact']),
});
export type FaceSearchResult = z.infer<typeof faceSearchResultSchema>;

/** Turns a photo into a face embedding (the face pipeline; cli/ supplies it). */
export interface FaceProbe {
  enrol(image: Uint8Array): Promise<{ embedding: number[]; model: string; quality: number }>;
}

export const SIGHTING_STATS_MAX_DAYS = 31;

export const sightingStatsQuerySchema = z
  .object({
    from: z.coerce.date().describe('Start (ISO 8601); rounded down to the hour'),
    to: z.coerce.date().describe('End (ISO 8601), exclusive'),
    cameraIds: listParam(z.string().uuid('not a camera id'), 200).optional(),
    kind: sightingKindSchema.optional(),
  })
  .strict()
  .superRefine((q, ctx) => {
    if (q.to <= q.from) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
    else if (q.to.getTime() - q.from.getTime() > SIGHTING_STATS_MAX_DAYS * 86_400_000) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: `at most ${SIGHTING_STATS_MAX_DAYS} days after from` });
    }
  });
export type SightingStatsQuery = z.output<typeof sightingStatsQuerySchema>;

export const sightingCountsSchema = z.object({ plate: z.number().int(), face: z.number().int(), object: z.number().int() });
export type SightingCounts = z.infer<typeof sightingCountsSchema>;

export const sightingStatsSchema = z.object({
  /** Start of the first bucket (whole UTC hour). */
  from: z.string(),
  to: z.string(),
  bucketSeconds: z.literal(3600),
  /** One per hour from `from`, empty hours included, oldest first. */
  buckets: z.array(sightingCountsSchema.extend({ at: z.string() })),
  byCamera: z.array(z.object({ cameraId: z.string(), cameraName: z.string().nullable(), count: z.number().int() })),
  total: z.number().int(),
});
export type SightingStats = z.infer<typeof sightingStatsSchema>;

// ---------- per-camera analytics settings ----------
/** [x, y], each 0..1 of the frame's width / height. */
export const normalisedPointSchema = z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)]);
export type NormalisedPoint = z.infer<typeof normalisedPointSchema>;

/** Twice the signed area of a polygon (shoelace); positive when counter-clockwise in y-up axes. */
export function polygonArea(points: readonly (readonly [number, number])[]): number {
  let sum = 0;
  for (let i = 0; i < points.length; i++) {
    const [x1, y1] = points[i]!;
    const [x2, y2] = points[(i + 1) % points.length]!;
    sum += x1 * y2 - x2 * y1;
  }
  return Math.abs(sum) / 2;
}

function segmentsCross(a: readonly [number, number], b: readonly [number, number], c: readonly [number, number], d: readonly [number, number]): boolean {
  const orient = (p: readonly [number, number], q: readonly [number, number], r: readonly [number, number]) => Math.sign((q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]));
  const o1 = orient(a, b, c);
  const o2 = orient(a, b, d);
  const o3 = orient(c, d, a);
  const o4 = orient(c, d, b);
  return o1 * o2 < 0 && o3 * o4 < 0;
}

/** True when no two non-adjacent edges of the closed polygon cross. */
export function isSimplePolygon(points: readonly (readonly [number, number])[]): boolean {
  const n = points.length;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (j === i + 1 || (i === 0 && j === n - 1)) continue; // adjacent edges share a vertex
      if (segmentsCross(points[i]!, points[(i + 1) % n]!, points[j]!, points[(j + 1) % n]!)) return false;
    }
  }
  return true;
}

/** Whether a normalised point lies inside the polygon (even-odd rule); for the analytics side. */
export function pointInPolygon(point: readonly [number, number], polygon: readonly (readonly [number, number])[]): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i]!;
    const [xj, yj] = polygon[j]!;
    if (yi > point[1] !== yj > point[1] && point[0] < ((xj - xi) * (point[1] - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

export const ROI_MAX_POINTS = 32;
/** Smallest ROI accepted: 0.1 % of the frame. */
export const ROI_MIN_AREA = 0.001;

export const roiSchema = z
  .array(normalisedPointSchema)
  .min(3, 'a region needs at least 3 points')
  .max(ROI_MAX_POINTS, `at most ${ROI_MAX_POINTS} points`)
  .superRefine((points, ctx) => {
    if (points.length < 3) return;
    if (!isSimplePolygon(points)) ctx.addIssue({ code: 'custom', message: 'the edges of the region cross each other' });
    else if (polygonArea(points) < ROI_MIN_AREA) ctx.addIssue({ code: 'custom', message: 'the region is too small or its points lie on one line' });
  })
  .describe('Polygon of normalised [x, y] points (0..1); null: the whole frame');

export const analyticsSettingsSchema = z
  .object({
    enabled: z.boolean().describe('Analyse this camera at all'),
    pipelines: z
      .array(pipelineSchema)
      .max(PIPELINES.length)
      .refine((p) => new Set(p).size === p.length, 'each pipeline once')
      .describe('Which recognitions run: plates, faces, objects'),
    fps: z.number().min(1, 'at least 1 frame per second').max(25, 'at most 25 frames per second').describe('Frames analysed per second (capped by ingest.analytics.fps)'),
    roi: roiSchema.nullable(),
    minPlateWidth: z.number().int().min(0).max(4096).describe('Plates narrower than this (pixels of the analysed frame) are not read'),
    minFaceSize: z.number().int().min(0).max(4096).describe('Faces smaller than this (pixels, shorter side) are ignored'),
    minFaceQuality: z.number().min(0).max(1).describe('Faces below this quality are not stored or matched'),
    vehiclesOnly: z.boolean().describe('Look for plates only inside detected vehicles (general scene cameras); off for close-up checkpoint cameras'),
  })
  .strict();
export type AnalyticsSettings = z.infer<typeof analyticsSettingsSchema>;

/**
 * Settings of a camera nobody has configured. Analysis is on, with every pipeline, at 5 frames per
 * second (the ingest default), so that a demo camera shows plates and faces without any setup; an
 * administrator turns it off per camera. vehiclesOnly is off because checkpoint cameras see plates
 * close up, where a vehicle detector may not see a vehicle at all.
 */
export const DEFAULT_ANALYTICS_SETTINGS: Readonly<AnalyticsSettings> = Object.freeze<AnalyticsSettings>({
  enabled: true,
  pipelines: ['plates', 'faces', 'objects'],
  fps: 5,
  roi: null,
  minPlateWidth: 60,
  minFaceSize: 40,
  minFaceQuality: 0.5,
  vehiclesOnly: false,
});

/** PUT body: any field left out takes its default value. */
export const analyticsSettingsInputSchema = z
  .object({
    enabled: analyticsSettingsSchema.shape.enabled.default(DEFAULT_ANALYTICS_SETTINGS.enabled),
    pipelines: analyticsSettingsSchema.shape.pipelines.default([...DEFAULT_ANALYTICS_SETTINGS.pipelines]),
    fps: analyticsSettingsSchema.shape.fps.default(DEFAULT_ANALYTICS_SETTINGS.fps),
    roi: analyticsSettingsSchema.shape.roi.default(null),
    minPlateWidth: analyticsSettingsSchema.shape.minPlateWidth.default(DEFAULT_ANALYTICS_SETTINGS.minPlateWidth),
    minFaceSize: analyticsSettingsSchema.shape.minFaceSize.default(DEFAULT_ANALYTICS_SETTINGS.minFaceSize),
    minFaceQuality: analyticsSettingsSchema.shape.minFaceQuality.default(DEFAULT_ANALYTICS_SETTINGS.minFaceQuality),
    vehiclesOnly: analyticsSettingsSchema.shape.vehiclesOnly.default(DEFAULT_ANALYTICS_SETTINGS.vehiclesOnly),
  })
  .strict();
export type AnalyticsSettingsInput = z.input<typeof analyticsSettingsInputSchema>;

export const cameraAnalyticsSchema = z.object({
  cameraId: z.string().uuid(),
  settings: analyticsSettingsSchema,
  /** true: never configured, the defaults apply (and follow future defaults). */
  isDefault: z.boolean(),
  updatedAt: z.string().nullable(),
});
export type CameraAnalytics = z.infer<typeof cameraAnalyticsSchema>;

// ---------- the port the analytics role records through ----------
const jpegSchema = z
  .custom<Uint8Array>((v) => v instanceof Uint8Array, 'a JPEG as a Buffer / Uint8Array')
  .refine((b) => b.length >= 4 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff, 'not a JPEG (must start with FF D8 FF)')
  .refine((b) => b.length <= 8 * 1024 * 1024, 'larger than 8 MiB');

const scoreSchema = z.number().min(0).max(1);
const embeddingSchema = z.array(finite).min(1).max(4096);

/** What `SightingRecorder.record` takes. */
export const recordSightingInputSchema = z
  .object({
    cameraId: z.string().uuid(),
    observedAt: z.coerce.date().describe('When the object was first seen; with the id it identifies the sighting'),
    kind: sightingKindSchema,
    trackId: z.string().min(1).max(100).nullable().optional(),
    label: z.string().min(1).max(32).nullable().optional(),
    score: scoreSchema,
    box: boxSchema.nullable().optional(),
    /** Required for kind 'plate'. */
    plate: z
      .object({ text: plateTextSchema, colour: plateColourSchema.nullable().optional(), layers: z.union([z.literal(1), z.literal(2)]).nullable().optional() })
      .strict()
      .nullable()
      .optional(),
    /** Kind 'face': quality, and the embedding with the name of the model that made it (stored in face_embeddings). */
    face: z
      .object({ quality: scoreSchema, embedding: embeddingSchema.optional(), model: z.string().min(1).max(100).optional() })
      .strict()
      .refine((f) => (f.embedding === undefined) === (f.model === undefined), { message: 'embedding and model go together', path: ['model'] })
      .nullable()
      .optional(),
    attributes: z.record(z.string(), z.unknown()).optional(),
    stage: sightingStageSchema.default('final'),
    /** Cropped evidence image (JPEG). */
    crop: jpegSchema.nullable().optional(),
    /** The whole frame (JPEG). */
    frame: jpegSchema.nullable().optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.kind === 'plate' && !s.plate) ctx.addIssue({ code: 'custom', path: ['plate'], message: 'a plate sighting needs the plate' });
    if (s.kind !== 'plate' && s.plate) ctx.addIssue({ code: 'custom', path: ['plate'], message: `a ${s.kind} sighting has no plate` });
    if (s.kind !== 'face' && s.face) ctx.addIssue({ code: 'custom', path: ['face'], message: `a ${s.kind} sighting has no face` });
  });
export type RecordSightingInput = z.input<typeof recordSightingInputSchema>;

/** What `SightingRecorder.refine` takes: only what changed. */
export const refineSightingInputSchema = z
  .object({
    score: scoreSchema.optional(),
    box: boxSchema.nullable().optional(),
    label: z.string().min(1).max(32).nullable().optional(),
    plate: z
      .object({ text: plateTextSchema, colour: plateColourSchema.nullable().optional(), layers: z.union([z.literal(1), z.literal(2)]).nullable().optional() })
      .strict()
      .optional(),
    face: z
      .object({ quality: scoreSchema.optional(), embedding: embeddingSchema.optional(), model: z.string().min(1).max(100).optional() })
      .strict()
      .refine((f) => (f.embedding === undefined) === (f.model === undefined), { message: 'embedding and model go together', path: ['model'] })
      .optional(),
    /** Merged into the stored attributes (a key set to null is kept as null). */
    attributes: z.record(z.string(), z.unknown()).optional(),
    /** Default 'final': refining is what happens when the track ends. */
    stage: sightingStageSchema.default('final'),
    crop: jpegSchema.optional(),
    frame: jpegSchema.optional(),
  })
  .strict();
export type RefineSightingInput = z.input<typeof refineSightingInputSchema>;

/**
 * How the analytics role stores sightings. Each call persists first (evidence files, then the row,
 * and for faces the embedding in the same transaction) and publishes after
 * (`sighting.created` / `sighting.updated` to users with 'sightings.search'); it resolves with the
 * stored sighting once both are done, and rejects (ValidationError) on bad input without storing
 * anything. Await `record` before calling `refine` for the same sighting.
 */
export interface SightingRecorder {
  record(input: RecordSightingInput): Promise<Sighting>;
  /** `observedAt` is the one `record` returned (it locates the partition); it does not change. */
  refine(id: string, observedAt: Date | string, changes: RefineSightingInput): Promise<Sighting>;
}
