import { z } from 'zod';
import { idSchema, latitudeSchema, longitudeSchema } from './api.ts';
import { localizedTextSchema, type LocalizedText } from './display.ts';
import { ROLES } from './roles.ts';

/**
 * Emergency command and dispatch: incidents (110 calls, alerts, SOS, by hand) with an append-only
 * timeline, units (patrol cars, officers, fire, medical…) with status and position, dispatches of
 * units to incidents, and emergency plans (预案) per incident type.
 *
 * Coordinates are WGS84 degrees; CGCS2000 coincides with WGS84 to within a metre for this use, so
 * positions in either datum are taken as they are.
 */

// ---------- incident types, priorities, statuses ----------

/** A configured incident type code (config `dispatch.incidentTypes`). */
export const incidentTypeCodeSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,31}$/, 'a type code: lower-case letters, digits and _, at most 32')
  .describe('Incident type code (one of config dispatch.incidentTypes)');

export const incidentTypeSchema = z
  .object({ code: incidentTypeCodeSchema, name: localizedTextSchema.describe('What the type is called') })
  .strict();
export type IncidentType = z.infer<typeof incidentTypeSchema>;

const t = (en: string, zh: string): LocalizedText => ({ en, 'zh-CN': zh });
export const DEFAULT_INCIDENT_TYPES: readonly IncidentType[] = [
  { code: 'traffic_accident', name: t('Traffic accident', '交通事故') },
  { code: 'fire', name: t('Fire', '火灾') },
  { code: 'fight', name: t('Fight', '打架斗殴') },
  { code: 'theft', name: t('Theft', '盗窃') },
  { code: 'missing_person', name: t('Missing person', '人员走失') },
  { code: 'wanted_vehicle', name: t('Wanted vehicle', '布控车辆') },
  { code: 'disaster', name: t('Disaster', '灾害') },
  { code: 'other', name: t('Other', '其他') },
];

export const INCIDENT_PRIORITIES = ['P1', 'P2', 'P3', 'P4'] as const;
export const incidentPrioritySchema = z.enum(INCIDENT_PRIORITIES).describe('P1 is the most urgent');
export type IncidentPriority = z.infer<typeof incidentPrioritySchema>;

/**
 * open → dispatched (a unit is sent) → on_scene (a unit arrived) → closed. dispatched and on_scene
 * follow the incident's dispatches: with every dispatch cancelled the incident is open again; once
 * a unit has been on scene it stays on_scene until it is closed. Closed is final.
 */
export const INCIDENT_STATUSES = ['open', 'dispatched', 'on_scene', 'closed'] as const;
export const incidentStatusSchema = z.enum(INCIDENT_STATUSES);
export type IncidentStatus = z.infer<typeof incidentStatusSchema>;

export const INCIDENT_SOURCES = ['call', 'alert', 'manual', 'sos'] as const;
export const incidentSourceSchema = z.enum(INCIDENT_SOURCES).describe('call: a 110 call; alert: from a watchlist alert; sos: a unit pressed SOS');
export type IncidentSource = z.infer<typeof incidentSourceSchema>;

export const INCIDENT_OUTCOMES = ['resolved', 'arrested', 'referred', 'false_report', 'no_trace', 'other'] as const;
export const incidentOutcomeSchema = z.enum(INCIDENT_OUTCOMES);
export type IncidentOutcome = z.infer<typeof incidentOutcomeSchema>;

/** What a timeline entry records. */
export const INCIDENT_EVENT_KINDS = [
  'created',
  'updated',
  'note',
  'plan_proposed',
  'plan_step',
  'dispatch_created',
  'dispatch_status',
  'dispatch_overdue',
  'closed',
] as const;
export const incidentEventKindSchema = z.enum(INCIDENT_EVENT_KINDS);
export type IncidentEventKind = z.infer<typeof incidentEventKindSchema>;

export const locationSchema = z
  .object({ latitude: latitudeSchema, longitude: longitudeSchema })
  .strict()
  .describe('A point, WGS84 (= CGCS2000 to within a metre) degrees');
export type Location = z.infer<typeof locationSchema>;

export const timelineEntrySchema = z.object({
  seq: z.number().int().describe('Order of the entries of one incident'),
  at: z.string(),
  userId: z.string().nullable(),
  username: z.string().nullable(),
  kind: incidentEventKindSchema,
  detail: z.record(z.string(), z.unknown()),
});
export type TimelineEntry = z.infer<typeof timelineEntrySchema>;

export const planStepStateSchema = z.object({
  index: z.number().int().min(0),
  text: z.string(),
  doneAt: z.string().nullable(),
  doneBy: z.string().nullable(),
  doneByName: z.string().nullable(),
});
export type PlanStepState = z.infer<typeof planStepStateSchema>;

export const incidentEvidenceSchema = z.object({
  alertId: z.string(),
  cameraId: z.string().nullable(),
  cameraName: z.string().nullable(),
  /** `/api/incidents/:id/evidence/crop.jpg` and `/frame.jpg`, null when the alert had none. */
  cropUrl: z.string().nullable(),
  frameUrl: z.string().nullable(),
  summary: z.string().describe('What was seen: plate or person, list name'),
});
export type IncidentEvidence = z.infer<typeof incidentEvidenceSchema>;

export const incidentSchema = z.object({
  id: idSchema,
  type: incidentTypeCodeSchema,
  priority: incidentPrioritySchema,
  status: incidentStatusSchema,
  source: incidentSourceSchema,
  title: z.string(),
  description: z.string().nullable(),
  location: locationSchema.nullable(),
  address: z.string().nullable(),
  caller: z.object({ name: z.string().nullable(), phone: z.string().nullable() }).nullable(),
  sourceAlertId: z.string().nullable(),
  sosUnitId: z.string().nullable(),
  evidence: incidentEvidenceSchema.nullable(),
  createdBy: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  closedAt: z.string().nullable(),
  outcome: incidentOutcomeSchema.nullable(),
  report: z.string().nullable(),
  plan: z
    .object({
      planId: z.string().nullable(),
      name: z.string(),
      notify: z.array(z.string()),
      resources: z.array(z.object({ kind: z.string(), count: z.number().int() })),
      cameraCount: z.number().int(),
      steps: z.array(planStepStateSchema),
    })
    .nullable()
    .describe('The emergency plan proposed for its type, with the state of each step'),
  timeline: z.array(timelineEntrySchema),
});
export type Incident = z.infer<typeof incidentSchema>;

const text = (max: number) => z.string().trim().min(1).max(max);
const phoneSchema = z
  .string()
  .trim()
  .regex(/^\+?[0-9][0-9 -]{1,24}$/, 'a phone number');

/** By hand, or from a 110 call (source 'call', with the caller). */
export const createIncidentRequestSchema = z
  .object({
    type: incidentTypeCodeSchema,
    priority: incidentPrioritySchema.default('P3'),
    source: z.enum(['call', 'manual']).default('manual'),
    title: text(200).optional().describe('Default: the type name and the address'),
    description: z.string().trim().max(4000).optional(),
    location: locationSchema.nullable().optional(),
    address: z.string().trim().max(300).optional(),
    caller: z.object({ name: z.string().trim().max(100).optional(), phone: phoneSchema.optional() }).strict().optional(),
  })
  .strict();
export type CreateIncidentRequest = z.output<typeof createIncidentRequestSchema>;

export const incidentFromAlertRequestSchema = z
  .object({
    type: incidentTypeCodeSchema.optional().describe('Default: wanted_vehicle for a plate hit (when configured), else other'),
    priority: incidentPrioritySchema.optional().describe('Default from the alert level: red P1, orange P2, yellow P3, blue P4'),
    description: z.string().trim().max(4000).optional(),
  })
  .strict()
  .optional();
export type IncidentFromAlertRequest = z.output<typeof incidentFromAlertRequestSchema>;

export const updateIncidentRequestSchema = z
  .object({
    type: incidentTypeCodeSchema.optional(),
    priority: incidentPrioritySchema.optional(),
    title: text(200).optional(),
    description: z.string().trim().max(4000).nullable().optional(),
    location: locationSchema.nullable().optional(),
    address: z.string().trim().max(300).nullable().optional(),
  })
  .strict();
export type UpdateIncidentRequest = z.output<typeof updateIncidentRequestSchema>;

export const incidentNoteRequestSchema = z.object({ note: text(2000) }).strict();
export const closeIncidentRequestSchema = z.object({ outcome: incidentOutcomeSchema, report: text(8000) }).strict();
export type CloseIncidentRequest = z.output<typeof closeIncidentRequestSchema>;

export const incidentQuerySchema = z
  .object({
    status: incidentStatusSchema.optional(),
    open: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .optional()
      .describe('true: every status but closed'),
    priority: incidentPrioritySchema.optional(),
    type: incidentTypeCodeSchema.optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict();
export type IncidentQuery = z.output<typeof incidentQuerySchema>;
export const incidentSummarySchema = incidentSchema.omit({ timeline: true });
export type IncidentSummary = z.infer<typeof incidentSummarySchema>;
export const incidentPageSchema = z.object({ items: z.array(incidentSummarySchema), total: z.number().int() });
export type IncidentPage = z.infer<typeof incidentPageSchema>;

// ---------- units ----------

export const UNIT_KINDS = ['patrol_car', 'officer', 'motorcycle', 'traffic', 'fire', 'medical', 'special'] as const;
export const unitKindSchema = z.enum(UNIT_KINDS);
export type UnitKind = z.infer<typeof unitKindSchema>;

/**
 * available, busy and off_duty are set by hand (dispatcher, or the unit itself); dispatched,
 * en_route and on_scene follow the unit's active dispatch and cannot be set by hand.
 */
export const UNIT_STATUSES = ['available', 'dispatched', 'en_route', 'on_scene', 'busy', 'off_duty'] as const;
export const unitStatusSchema = z.enum(UNIT_STATUSES);
export type UnitStatus = z.infer<typeof unitStatusSchema>;
export const MANUAL_UNIT_STATUSES = ['available', 'busy', 'off_duty'] as const satisfies readonly UnitStatus[];
export type ManualUnitStatus = (typeof MANUAL_UNIT_STATUSES)[number];

/** Statuses a unit may be set to by hand, from each status. */
export const UNIT_MANUAL_TRANSITIONS: Readonly<Record<UnitStatus, readonly ManualUnitStatus[]>> = {
  available: ['busy', 'off_duty'],
  busy: ['available', 'off_duty'],
  off_duty: ['available', 'busy'],
  dispatched: [],
  en_route: [],
  on_scene: [],
};

export const capabilitySchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,31}$/, 'a capability code: lower-case letters, digits and _')
  .describe('e.g. armed, first_aid, k9, traffic, negotiator');

export const unitMemberSchema = z
  .object({ name: z.string().trim().min(1).max(60), badge: z.string().trim().max(30).optional(), phone: phoneSchema.optional() })
  .strict();

export const unitPositionSchema = z.object({
  latitude: z.number(),
  longitude: z.number(),
  at: z.string(),
  accuracy: z.number().nullable().describe('Metres (68% radius), when the device gave one'),
});
export type UnitPosition = z.infer<typeof unitPositionSchema>;

export const unitSchema = z.object({
  id: idSchema,
  callSign: z.string(),
  kind: unitKindSchema,
  members: z.array(unitMemberSchema),
  capabilities: z.array(z.string()),
  status: unitStatusSchema,
  position: unitPositionSchema.nullable(),
  /** No position for longer than dispatch.staleAfterSeconds (or none yet): computed when read. */
  stale: z.boolean(),
  userIds: z.array(z.string()).describe('Officers who log in on the unit’s tablet'),
  activeDispatchId: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Unit = z.infer<typeof unitSchema>;

export const createUnitRequestSchema = z
  .object({
    callSign: z.string().trim().min(1).max(32),
    kind: unitKindSchema,
    members: z.array(unitMemberSchema).max(20).default([]),
    capabilities: z.array(capabilitySchema).max(20).default([]),
    userIds: z.array(idSchema).max(20).default([]),
    status: z.enum(MANUAL_UNIT_STATUSES).default('available'),
  })
  .strict();
export type CreateUnitRequest = z.output<typeof createUnitRequestSchema>;
export const updateUnitRequestSchema = z
  .object({
    callSign: z.string().trim().min(1).max(32).optional(),
    kind: unitKindSchema.optional(),
    members: z.array(unitMemberSchema).max(20).optional(),
    capabilities: z.array(capabilitySchema).max(20).optional(),
    userIds: z.array(idSchema).max(20).optional(),
  })
  .strict();
export type UpdateUnitRequest = z.output<typeof updateUnitRequestSchema>;
export const unitStatusRequestSchema = z.object({ status: z.enum(MANUAL_UNIT_STATUSES) }).strict();

export const positionReportSchema = z
  .object({
    latitude: latitudeSchema,
    longitude: longitudeSchema,
    accuracy: z.number().min(0).max(100_000).optional(),
    at: z.coerce.date().optional().describe('When the fix was taken; default now. Not more than a minute ahead.'),
  })
  .strict();
export type PositionReport = z.output<typeof positionReportSchema>;
export const positionBatchSchema = z
  .object({ positions: z.array(positionReportSchema.extend({ unitId: idSchema })).min(1).max(1000) })
  .strict();
export type PositionBatch = z.output<typeof positionBatchSchema>;

export const unitQuerySchema = z
  .object({ status: unitStatusSchema.optional(), kind: unitKindSchema.optional() })
  .strict();

export const sosRequestSchema = z
  .object({ note: z.string().trim().max(500).optional(), position: positionReportSchema.optional().describe('Where the unit is now; default its last position') })
  .strict()
  .optional();

export const unitHistoryQuerySchema = z
  .object({ from: z.coerce.date().optional(), to: z.coerce.date().optional(), limit: z.coerce.number().int().min(1).max(5000).default(500) })
  .strict();
export const unitTrackSchema = z.object({ items: z.array(unitPositionSchema) });

// ---------- candidates (nearest suitable available units) ----------

export const candidateQuerySchema = z
  .object({
    capability: z
      .union([capabilitySchema, z.array(capabilitySchema)])
      .optional()
      .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]))
      .describe('Only units with every one of these capabilities'),
    kind: unitKindSchema.optional(),
    limit: z.coerce.number().int().min(1).max(100).default(10),
  })
  .strict();
export type CandidateQuery = z.output<typeof candidateQuerySchema>;
export const candidateSchema = z.object({ unit: unitSchema, distanceMetres: z.number() });
export type Candidate = z.infer<typeof candidateSchema>;
export const candidateListSchema = z.object({ items: z.array(candidateSchema) });

export const nearbyCameraSchema = z.object({
  id: z.string(),
  name: z.string(),
  status: z.string(),
  latitude: z.number(),
  longitude: z.number(),
  distanceMetres: z.number(),
  /** 'camera': its own position; 'site': its site's. */
  positionFrom: z.enum(['camera', 'site']),
});
export const nearbyCameraQuerySchema = z.object({ limit: z.coerce.number().int().min(1).max(64).optional().describe('Default: the plan’s camera count, else 4') }).strict();
export const nearbyCameraListSchema = z.object({ items: z.array(nearbyCameraSchema) });

// ---------- dispatches ----------

/**
 * sent → accepted → en_route → on_scene → cleared; cancelled from any active status; reassigned
 * (the unit is replaced by another) before it is on scene.
 */
export const DISPATCH_STATUSES = ['sent', 'accepted', 'en_route', 'on_scene', 'cleared', 'cancelled', 'reassigned'] as const;
export const dispatchStatusSchema = z.enum(DISPATCH_STATUSES);
export type DispatchStatus = z.infer<typeof dispatchStatusSchema>;
export const ACTIVE_DISPATCH_STATUSES = ['sent', 'accepted', 'en_route', 'on_scene'] as const satisfies readonly DispatchStatus[];

export const DISPATCH_ACTIONS = ['accept', 'en_route', 'on_scene', 'clear', 'cancel', 'reassign'] as const;
export type DispatchAction = (typeof DISPATCH_ACTIONS)[number];

/** Legal transitions: action → statuses it may start from, and where it leads. */
export const DISPATCH_TRANSITIONS: Readonly<Record<DispatchAction, { from: readonly DispatchStatus[]; to: DispatchStatus }>> = {
  accept: { from: ['sent'], to: 'accepted' },
  en_route: { from: ['accepted'], to: 'en_route' },
  on_scene: { from: ['accepted', 'en_route'], to: 'on_scene' },
  clear: { from: ['on_scene'], to: 'cleared' },
  cancel: { from: ['sent', 'accepted', 'en_route', 'on_scene'], to: 'cancelled' },
  reassign: { from: ['sent', 'accepted', 'en_route'], to: 'reassigned' },
};

/** The unit's status while its dispatch has this status (null: the dispatch is over, the unit is available again). */
export const UNIT_STATUS_FOR_DISPATCH: Readonly<Record<DispatchStatus, UnitStatus | null>> = {
  sent: 'dispatched',
  accepted: 'dispatched',
  en_route: 'en_route',
  on_scene: 'on_scene',
  cleared: null,
  cancelled: null,
  reassigned: null,
};

export const dispatchSchema = z.object({
  id: idSchema,
  incidentId: z.string(),
  unitId: z.string(),
  callSign: z.string(),
  status: dispatchStatusSchema,
  note: z.string().nullable(),
  sentAt: z.string(),
  sentBy: z.string().nullable(),
  acceptedAt: z.string().nullable(),
  enRouteAt: z.string().nullable(),
  onSceneAt: z.string().nullable(),
  clearedAt: z.string().nullable(),
  cancelledAt: z.string().nullable(),
  /** Set when it was not accepted within dispatch.acceptWithinSeconds (flagged to the dispatchers). */
  overdueAt: z.string().nullable(),
  /** The dispatch that replaced this one (status reassigned). */
  replacedBy: z.string().nullable(),
  updatedAt: z.string(),
  updatedBy: z.string().nullable(),
  /** Short incident facts for the tablet. */
  incident: z.object({
    type: z.string(),
    priority: incidentPrioritySchema,
    title: z.string(),
    address: z.string().nullable(),
    location: locationSchema.nullable(),
  }),
});
export type Dispatch = z.infer<typeof dispatchSchema>;
export const dispatchListSchema = z.object({ items: z.array(dispatchSchema) });

export const createDispatchRequestSchema = z
  .object({ unitIds: z.array(idSchema).min(1).max(20), note: z.string().trim().max(500).optional() })
  .strict()
  .refine((b) => new Set(b.unitIds).size === b.unitIds.length, { message: 'each unit once', path: ['unitIds'] });
export const dispatchActionRequestSchema = z
  .object({ action: z.enum(['accept', 'en_route', 'on_scene', 'clear', 'cancel']), note: z.string().trim().max(500).optional() })
  .strict();
export const reassignDispatchRequestSchema = z.object({ unitId: idSchema, note: z.string().trim().max(500).optional() }).strict();
export const dispatchIdParamsSchema = z.object({ id: idSchema, dispatchId: idSchema }).strict();
export const dispatchQuerySchema = z.object({ active: z.enum(['true', 'false']).transform((v) => v === 'true').optional() }).strict();

// ---------- emergency plans (预案) ----------

export const planResourceSchema = z.object({ kind: unitKindSchema, count: z.number().int().min(1).max(50) }).strict();
export const emergencyPlanSchema = z.object({
  id: idSchema,
  incidentType: incidentTypeCodeSchema,
  name: z.string(),
  steps: z.array(z.string()),
  notify: z.array(z.enum(ROLES)),
  resources: z.array(planResourceSchema),
  cameraCount: z.number().int(),
  active: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type EmergencyPlan = z.infer<typeof emergencyPlanSchema>;
const planFields = {
  incidentType: incidentTypeCodeSchema,
  name: text(100),
  steps: z.array(text(300)).min(1).max(50),
  notify: z.array(z.enum(ROLES)).max(ROLES.length).default([]).describe('Roles whose screens get the incident pushed'),
  resources: z.array(planResourceSchema).max(20).default([]),
  cameraCount: z.number().int().min(0).max(64).default(4).describe('Nearest cameras to open on the wall'),
  active: z.boolean().default(true).describe('One active plan per incident type'),
};
export const createPlanRequestSchema = z.object(planFields).strict();
export type CreatePlanRequest = z.output<typeof createPlanRequestSchema>;
export const updatePlanRequestSchema = z
  .object({
    name: planFields.name.optional(),
    steps: planFields.steps.optional(),
    notify: z.array(z.enum(ROLES)).max(ROLES.length).optional(),
    resources: z.array(planResourceSchema).max(20).optional(),
    cameraCount: z.number().int().min(0).max(64).optional(),
    active: z.boolean().optional(),
  })
  .strict();
export type UpdatePlanRequest = z.output<typeof updatePlanRequestSchema>;
export const planListSchema = z.object({ items: z.array(emergencyPlanSchema) });
export const planStepParamsSchema = z.object({ id: idSchema, index: z.coerce.number().int().min(0).max(49) }).strict();
export const incidentTypeListSchema = z.object({ items: z.array(incidentTypeSchema) });
