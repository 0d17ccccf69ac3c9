import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * Kysely table types of the Argus database. Column names are snake_case in SQL; repositories map
 * rows to the camelCase contract types, and rows never leave storage unmapped.
 */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
/** A timestamp with a database default (updated_at, last_seen_at): optional on insert, settable on update. */
type GeneratedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json = ColumnType<Record<string, unknown>, string | Record<string, unknown>, string | Record<string, unknown>>;

export interface UsersTable {
  id: Generated<string>;
  username: string;
  display_name: string;
  password_hash: string;
  roles: string[];
  disabled: Generated<boolean>;
  must_change_password: Generated<boolean>;
  failed_logins: Generated<number>;
  locked_until: Timestamp | null;
  /** contracts/access.ts CameraAccess; `{}` is no restriction. */
  camera_access: ColumnType<Record<string, unknown>, string | undefined, string>;
  created_at: CreatedAt;
  updated_at: GeneratedTimestamp;
}

export interface SessionsTable {
  /** sha256 (hex) of the bearer token; the token itself is never stored. */
  token_hash: string;
  user_id: string;
  created_at: CreatedAt;
  expires_at: Timestamp;
  last_seen_at: GeneratedTimestamp;
  ip: string | null;
  user_agent: string | null;
  revoked_at: Timestamp | null;
}

export interface SitesTable {
  id: Generated<string>;
  name: string;
  kind: string;
  code: string | null;
  latitude: number | null;
  longitude: number | null;
  created_at: CreatedAt;
}

export interface CamerasTable {
  id: Generated<string>;
  name: string;
  source_kind: string;
  source_url: string;
  sub_stream_url: string | null;
  username: string | null;
  /** AES-256-GCM sealed password (see storage/secret-box.ts), never plain text. */
  password_enc: string | null;
  site_id: string | null;
  latitude: number | null;
  longitude: number | null;
  ptz: Generated<boolean>;
  enabled: Generated<boolean>;
  status: Generated<string>;
  status_reason: string | null;
  status_changed_at: Timestamp | null;
  /** ONVIF cameras: the main stream URI the device gave (no credentials). */
  stream_url: string | null;
  snapshot_url: string | null;
  /** ONVIF media profile token used for PTZ. */
  onvif_profile: string | null;
  device_info: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  /** Privacy mask polygons (migration 0013), `[[[x, y], ...], ...]` normalised to 0..1; `[]`: none. */
  privacy_masks: ColumnType<number[][][], string | undefined, string>;
  created_at: CreatedAt;
  updated_at: GeneratedTimestamp;
}

export interface RecordingsTable {
  id: Generated<string>;
  camera_id: string;
  started_at: Timestamp;
  ended_at: Timestamp;
  path: string;
  bytes: ColumnType<string, number | string, number | string>;
  created_at: CreatedAt;
}

/** Plate reads, faces and objects. Partitioned by observed_at; the key includes it. */
export interface SightingsTable {
  id: Generated<string>;
  observed_at: Timestamp;
  camera_id: string;
  kind: string;
  track_id: string | null;
  label: string | null;
  score: number;
  box: Json;
  plate_text: string | null;
  plate_colour: string | null;
  plate_layers: number | null;
  /** Relative to the evidence folder (storage/evidence-store.ts). */
  crop_path: string | null;
  frame_path: string | null;
  attributes: Json;
  created_at: CreatedAt;
  /** 'early' (first confident read of a track) or 'final' (refined when the track ended). Migration 0005. */
  stage: Generated<string>;
  /** Faces: quality 0..1. */
  quality: number | null;
  updated_at: GeneratedTimestamp;
  /** When watchlist matching finished for the current content; null: still to match (migration 0010). */
  matched_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

/** Per-camera analytics settings (contracts/sightings.ts analyticsSettingsSchema); no row: the defaults. */
export interface CameraAnalyticsTable {
  camera_id: string;
  settings: Json;
  updated_at: GeneratedTimestamp;
  updated_by: string | null;
}

export interface FaceEmbeddingsTable {
  id: Generated<string>;
  /** 'sighting' or 'watchlist_entry' */
  owner_kind: string;
  owner_id: string;
  model: string;
  dims: number;
  /** L2-normalised embedding. A pgvector copy lives in column `vec` where the extension exists. */
  embedding: number[];
  created_at: CreatedAt;
}

export interface WatchlistsTable {
  id: Generated<string>;
  name: string;
  kind: string;
  level: string;
  covert: Generated<boolean>;
  threshold: number | null;
  tolerance: Generated<number>;
  active: Generated<boolean>;
  owner_id: string | null;
  valid_from: Timestamp | null;
  valid_to: Timestamp | null;
  created_at: CreatedAt;
  updated_at: GeneratedTimestamp;
  /** Plate lists: a wrong province character is not counted as a misread. Migration 0006. */
  ignore_province: Generated<boolean>;
}

export interface WatchlistEntriesTable {
  id: Generated<string>;
  watchlist_id: string;
  plate_pattern: string | null;
  person_name: string | null;
  reason: string | null;
  case_number: string | null;
  valid_from: Timestamp | null;
  valid_to: Timestamp | null;
  attributes: Json;
  created_by: string | null;
  created_at: CreatedAt;
}

export interface AlertsTable {
  id: Generated<string>;
  created_at: CreatedAt;
  level: string;
  status: Generated<string>;
  watchlist_id: string | null;
  entry_id: string | null;
  sighting_id: string | null;
  sighting_observed_at: Timestamp | null;
  camera_id: string | null;
  site_id: string | null;
  score: number | null;
  disposition: string | null;
  detail: Json;
  updated_at: GeneratedTimestamp;
  /** Replay order (bigserial; bigint arrives as a string). Migration 0006. */
  seq: ColumnType<string, never, never>;
  kind: Generated<string>;
  escalated_at: Timestamp | null;
}

export interface AlertActionsTable {
  id: Generated<string>;
  alert_id: string;
  at: CreatedAt;
  user_id: string | null;
  action: string;
  from_status: string | null;
  to_status: string | null;
  note: string | null;
}

export interface IncidentsTable {
  id: Generated<string>;
  /** A configured type code (config dispatch.incidentTypes). */
  type: string;
  priority: string;
  status: Generated<string>;
  title: string;
  description: string | null;
  latitude: number | null;
  longitude: number | null;
  address: string | null;
  source_alert_id: string | null;
  created_by: string | null;
  created_at: CreatedAt;
  closed_at: Timestamp | null;
  outcome: string | null;
  report: string | null;
  /** 'call' | 'alert' | 'manual' | 'sos'. Migration 0007 (and the columns below). */
  source: Generated<string>;
  caller_name: string | null;
  caller_phone: string | null;
  camera_id: string | null;
  /** What an incident from an alert keeps of its evidence (alert id, evidence paths, summary). */
  evidence: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  sos_unit_id: string | null;
  /** A copy of the emergency plan proposed for it (name, notify, resources, cameraCount, planId). */
  plan: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  updated_at: GeneratedTimestamp;
}

/** The incident timeline: append-only (a trigger refuses DELETE and UPDATE of the content). */
export interface IncidentEventsTable {
  id: Generated<string>;
  incident_id: string;
  at: CreatedAt;
  user_id: string | null;
  kind: string;
  detail: Json;
  /** Order of the entries (bigserial; bigint arrives as a string). Migration 0007. */
  seq: ColumnType<string, never, never>;
  username: string | null;
}

export interface UnitsTable {
  id: Generated<string>;
  call_sign: string;
  kind: string;
  /** A JSON array of { name, badge?, phone? } (migration 0007). */
  members: ColumnType<unknown, string, string>;
  capabilities: string[];
  status: Generated<string>;
  latitude: number | null;
  longitude: number | null;
  position_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: GeneratedTimestamp;
  /** Users linked to the unit (its tablet's officers). Migration 0007. */
  user_ids: ColumnType<string[], string[] | undefined, string[]>;
  position_accuracy: number | null;
}

/** Position history of the units; deleted after retention.positions by the retention.run job. Migration 0007. */
export interface UnitPositionsTable {
  id: ColumnType<string, never, never>;
  unit_id: string;
  at: Timestamp;
  latitude: number;
  longitude: number;
  accuracy: number | null;
}

/** A unit sent to an incident. Migration 0007. */
export interface DispatchesTable {
  id: Generated<string>;
  incident_id: string;
  unit_id: string;
  status: Generated<string>;
  note: string | null;
  sent_at: CreatedAt;
  sent_by: string | null;
  accepted_at: Timestamp | null;
  en_route_at: Timestamp | null;
  on_scene_at: Timestamp | null;
  cleared_at: Timestamp | null;
  cancelled_at: Timestamp | null;
  overdue_at: Timestamp | null;
  replaced_by: string | null;
  updated_at: GeneratedTimestamp;
  updated_by: string | null;
}

/** Emergency plans (预案), one active per incident type. Migration 0007. */
export interface EmergencyPlansTable {
  id: Generated<string>;
  incident_type: string;
  name: string;
  steps: ColumnType<unknown, string, string>;
  notify: string[];
  resources: ColumnType<unknown, string, string>;
  camera_count: number;
  active: Generated<boolean>;
  created_by: string | null;
  created_at: CreatedAt;
  updated_at: GeneratedTimestamp;
}

/** The checklist of a plan on one incident. Migration 0007. */
export interface IncidentPlanStepsTable {
  incident_id: string;
  step_index: number;
  text: string;
  done_at: Timestamp | null;
  done_by: string | null;
  done_by_name: string | null;
}

/** Append-only: a trigger refuses UPDATE and DELETE. */
export interface AuditLogTable {
  id: Generated<string>;
  at: CreatedAt;
  user_id: string | null;
  username: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  detail: Json;
  ip: string | null;
}

export interface WallLayoutsTable {
  user_id: string;
  name: string;
  grid: number;
  tiles: ColumnType<Array<string | null>, string, string>;
  tour: ColumnType<Record<string, unknown> | null, string | null, string | null>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

/** Evidence exports (migration 0008). */
export interface ExportsTable {
  id: Generated<string>;
  created_by: string | null;
  created_by_name: string;
  camera_ids: ColumnType<string[], string[], string[]>;
  range_from: Timestamp;
  range_to: Timestamp;
  reason: string;
  status: Generated<string>;
  progress: Generated<number>;
  /** bigint arrives as a string. */
  bytes: ColumnType<string | null, number | null | undefined, number | null>;
  sha256: string | null;
  file_name: string | null;
  key_fingerprint: string | null;
  error: string | null;
  created_at: CreatedAt;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  file_deleted_at: Timestamp | null;
}

/** Files whose rows retention deleted, still to be deleted themselves (migration 0009). */
export interface RetentionFilesTable {
  /** evidence: relative to the evidence folder; recording: absolute. */
  path: string;
  kind: 'evidence' | 'recording';
  queued_at: CreatedAt;
}

/** One alert's delivery to one receiver, `webhook:<index>` or `sms` (migration 0011). */
export interface AlertDeliveriesTable {
  alert_id: string;
  receiver: string;
  status: Generated<string>;
  attempts: Generated<number>;
  last_error: string | null;
  created_at: CreatedAt;
  updated_at: GeneratedTimestamp;
  sent_at: Timestamp | null;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  sites: SitesTable;
  cameras: CamerasTable;
  recordings: RecordingsTable;
  sightings: SightingsTable;
  face_embeddings: FaceEmbeddingsTable;
  watchlists: WatchlistsTable;
  watchlist_entries: WatchlistEntriesTable;
  alerts: AlertsTable;
  alert_actions: AlertActionsTable;
  alert_deliveries: AlertDeliveriesTable;
  incidents: IncidentsTable;
  incident_events: IncidentEventsTable;
  units: UnitsTable;
  audit_log: AuditLogTable;
  wall_layouts: WallLayoutsTable;
  camera_analytics: CameraAnalyticsTable;
  unit_positions: UnitPositionsTable;
  dispatches: DispatchesTable;
  emergency_plans: EmergencyPlansTable;
  incident_plan_steps: IncidentPlanStepsTable;
  exports: ExportsTable;
  retention_files: RetentionFilesTable;
}

export type UserRow = Selectable<UsersTable>;
export type NewUserRow = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type CameraRow = Selectable<CamerasTable>;
export type SessionRow = Selectable<SessionsTable>;
export type SiteRow = Selectable<SitesTable>;
export type AuditRow = Selectable<AuditLogTable>;
export type SightingRow = Selectable<SightingsTable>;
