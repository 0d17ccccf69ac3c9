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
}

export interface IncidentEventsTable {
  id: Generated<string>;
  incident_id: string;
  at: CreatedAt;
  user_id: string | null;
  kind: string;
  detail: Json;
}

export interface UnitsTable {
  id: Generated<string>;
  call_sign: string;
  kind: string;
  members: Json;
  capabilities: string[];
  status: Generated<string>;
  latitude: number | null;
  longitude: number | null;
  position_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: GeneratedTimestamp;
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
  incidents: IncidentsTable;
  incident_events: IncidentEventsTable;
  units: UnitsTable;
  audit_log: AuditLogTable;
  wall_layouts: WallLayoutsTable;
  camera_analytics: CameraAnalyticsTable;
}

export type UserRow = Selectable<UsersTable>;
export type NewUserRow = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type CameraRow = Selectable<CamerasTable>;
export type SessionRow = Selectable<SessionsTable>;
export type SiteRow = Selectable<SitesTable>;
export type AuditRow = Selectable<AuditLogTable>;
export type SightingRow = Selectable<SightingsTable>;
