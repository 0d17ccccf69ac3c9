import type {
  Camera,
  CreateCameraRequest,
  CreateSiteRequest,
  CreateUserRequest,
  Health,
  LoginRequest,
  LoginResponse,
  Site,
  UpdateCameraRequest,
  UpdateUserRequest,
  User,
} from '../../../../contracts/api.ts';
import type { AuditEntry } from '../../../../contracts/api.ts';
import type { AuditCsvQuery } from '../../../../contracts/audit.ts';
import type { LiveViewerOffer, PtzCommand, PtzPreset, Recording, WallLayout, WallLayoutInput } from '../../../../contracts/media.ts';
import type { DisplaySettings } from '../../../../contracts/display.ts';
import type { Overview } from '../../../../contracts/overview.ts';
import { ServerClock } from './server-clock.ts';
import type { ErrorBody, ErrorCode, ErrorIssue } from '../../../../contracts/errors.ts';
import type { Alert, AlertDisposition, AlertPage, AlertQuery, AlertSince, ImportReport, Watchlist, WatchlistEntry, WatchlistEntryInput, WatchlistInput } from '../alerts/alert-types.ts';
import type {
  Candidate,
  CloseIncidentRequest,
  CreateIncidentRequest,
  CreatePlanRequest,
  Dispatch,
  EmergencyPlan,
  Incident,
  IncidentFromAlertRequest,
  IncidentPage,
  IncidentPriority,
  IncidentStatus,
  IncidentType,
  ManualUnitStatus,
  Unit,
  UnitStatus,
  UpdatePlanRequest,
} from '../../../../contracts/incidents.ts';
import type { ExportCreate, ExportJob, ExportPublicKey } from '../../../../contracts/exports.ts';
import type { AnalyticsSettingsInput, CameraAnalytics, FaceSearchResult, Sighting, SightingPage, SightingSearchInput, SightingStats, Trajectory } from '../../../../contracts/sightings.ts';

/**
 * A small typed client for the Argus HTTP API (all under /api, JSON). The bearer token is kept in
 * localStorage and sent on every call; a 401 from any call except sign-in ends the session through
 * the `onUnauthenticated` listener. Types come from contracts/api.ts; replies are not re-validated
 * in the browser (the server validates and maps everything it sends).
 */

export interface ListResponse<T> {
  items: T[];
  total: number;
}

/** `E_NETWORK`: the request never got an HTTP reply. `E_UNEXPECTED`: a reply that is not Argus JSON. */
export type ClientErrorCode = ErrorCode | 'E_NETWORK' | 'E_UNEXPECTED';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ClientErrorCode,
    message: string,
    readonly issues: readonly ErrorIssue[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * The field an issue belongs to. Body issues name the field alone (`sourceUrl`); query and
 * path parameters carry a prefix (`querystring.limit`, `params.id`), which is dropped here.
 */
export function issueField(issue: ErrorIssue): string {
  return issue.path.replace(/^(querystring|params)(\.|$)/, '');
}

/** The messages of the issues for one field (or its sub-fields), joined; undefined when none. */
export function issuesFor(error: unknown, field: string): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  const messages = error.issues
    .filter((i) => {
      const f = issueField(i);
      return f === field || f.startsWith(`${field}.`);
    })
    .map((i) => i.message);
  return messages.length > 0 ? messages.join('; ') : undefined;
}

/** A camera near an incident (`GET /api/incidents/:id/cameras`). */
export interface NearbyCamera {
  id: string;
  name: string;
  status: string;
  latitude: number;
  longitude: number;
  distanceMetres: number;
  positionFrom: 'camera' | 'site';
}

export interface ChangePasswordRequest {
  currentPassword: string;
  newPassword: string;
}

export const TOKEN_STORAGE_KEY = 'argus.token';
/** The API caps one page at 1,000 items; lists larger than that are read page by page. */
const PAGE_LIMIT = 1000;

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

interface RequestOptions {
  body?: unknown;
  /** Do not end the session on 401 (sign-in: a 401 there means wrong credentials). */
  allowUnauthenticated?: boolean;
  /** Let the request outlive the page (closing live viewers on unload). */
  keepalive?: boolean;
  /** Abort the request (a tile that changed camera while its viewer was being opened). */
  signal?: AbortSignal;
}

/** Query parameters of a sightings search: dates as ISO text, lists comma-separated, empty values left out. */
export function sightingParams(query: Readonly<Record<string, unknown>>): URLSearchParams {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    if (value instanceof Date) params.set(key, value.toISOString());
    else if (Array.isArray(value)) {
      if (value.length > 0) params.set(key, value.join(','));
    } else params.set(key, String(value));
  }
  return params;
}

function readStoredToken(): string | null {
  try {
    return window.localStorage.getItem(TOKEN_STORAGE_KEY);
  } catch {
    return null;
  }
}

/** The row-by-row report of a CSV import, at the top level or inside the error body. */
function reportOf(payload: unknown): ImportReport | undefined {
  const candidates: unknown[] = [payload];
  if (typeof payload === 'object' && payload !== null && 'error' in payload) {
    const error = (payload as { error: unknown }).error;
    candidates.push(error);
    if (typeof error === 'object' && error !== null && 'details' in error) candidates.push((error as { details: unknown }).details);
  }
  for (const c of candidates) {
    if (typeof c === 'object' && c !== null && Array.isArray((c as { rows?: unknown }).rows)) return c as ImportReport;
  }
  return undefined;
}

function isErrorBody(value: unknown): value is ErrorBody {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false;
  const error = (value as { error: unknown }).error;
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string';
}

export class ApiClient {
  private token: string | null = readStoredToken();
  /** The server's clock, learnt from every reply (timers count on it). */
  readonly clock = new ServerClock();
  private readonly unauthenticatedListeners = new Set<() => void>();

  constructor(private readonly baseUrl = '') {}

  getToken(): string | null {
    return this.token;
  }

  setToken(token: string | null): void {
    this.token = token;
    try {
      if (token) window.localStorage.setItem(TOKEN_STORAGE_KEY, token);
      else window.localStorage.removeItem(TOKEN_STORAGE_KEY);
    } catch {
      // storage unavailable: the token lives for this page only
    }
  }

  /** Called when any call answers 401: the session is gone. Returns an unsubscribe function. */
  onUnauthenticated(listener: () => void): () => void {
    this.unauthenticatedListeners.add(listener);
    return () => this.unauthenticatedListeners.delete(listener);
  }

  // ---------- auth ----------
  async login(request: LoginRequest): Promise<LoginResponse> {
    const reply = await this.request<LoginResponse>('POST', '/api/auth/login', { body: request, allowUnauthenticated: true });
    this.setToken(reply.token);
    return reply;
  }

  /** Ends the session on the server (best effort) and forgets the token. */
  async logout(): Promise<void> {
    try {
      if (this.token) await this.request<void>('POST', '/api/auth/logout', { allowUnauthenticated: true });
    } finally {
      this.setToken(null);
    }
  }

  me(): Promise<User> {
    return this.request<User>('GET', '/api/auth/me');
  }

  changePassword(request: ChangePasswordRequest): Promise<void> {
    // A wrong current password must stay on the form, not end the session.
    return this.request<void>('POST', '/api/auth/password', { body: request, allowUnauthenticated: true });
  }

  // ---------- users ----------
  listUsers(): Promise<ListResponse<User>> {
    return this.request<ListResponse<User>>('GET', '/api/users');
  }

  createUser(request: CreateUserRequest): Promise<User> {
    return this.request<User>('POST', '/api/users', { body: request });
  }

  updateUser(id: string, request: UpdateUserRequest): Promise<User> {
    return this.request<User>('PATCH', `/api/users/${encodeURIComponent(id)}`, { body: request });
  }

  // ---------- sites ----------
  listSites(): Promise<ListResponse<Site>> {
    return this.request<ListResponse<Site>>('GET', '/api/sites');
  }

  createSite(request: CreateSiteRequest): Promise<Site> {
    return this.request<Site>('POST', '/api/sites', { body: request });
  }

  deleteSite(id: string): Promise<void> {
    return this.request<void>('DELETE', `/api/sites/${encodeURIComponent(id)}`);
  }

  // ---------- cameras ----------
  listCameras(page: { limit?: number; offset?: number } = {}): Promise<ListResponse<Camera>> {
    const query = new URLSearchParams({ limit: String(page.limit ?? PAGE_LIMIT), offset: String(page.offset ?? 0) });
    return this.request<ListResponse<Camera>>('GET', `/api/cameras?${query.toString()}`);
  }

  /** Every camera, read in pages of 1,000 (a city has thousands). */
  async listAllCameras(): Promise<Camera[]> {
    const all: Camera[] = [];
    for (;;) {
      const page = await this.listCameras({ limit: PAGE_LIMIT, offset: all.length });
      all.push(...page.items);
      if (page.items.length === 0 || all.length >= page.total) return all;
    }
  }

  getCamera(id: string): Promise<Camera> {
    return this.request<Camera>('GET', `/api/cameras/${encodeURIComponent(id)}`);
  }

  createCamera(request: CreateCameraRequest): Promise<Camera> {
    return this.request<Camera>('POST', '/api/cameras', { body: request });
  }

  updateCamera(id: string, request: UpdateCameraRequest): Promise<Camera> {
    return this.request<Camera>('PATCH', `/api/cameras/${encodeURIComponent(id)}`, { body: request });
  }

  deleteCamera(id: string): Promise<void> {
    return this.request<void>('DELETE', `/api/cameras/${encodeURIComponent(id)}`);
  }

  // ---------- live video (WebRTC through the relay) ----------
  /** Ask the relay for a viewer of this camera: its SDP offer, ICE candidates included. */
  openLiveViewer(cameraId: string, signal?: AbortSignal): Promise<LiveViewerOffer> {
    return this.request<LiveViewerOffer>('POST', `/api/live/${encodeURIComponent(cameraId)}/viewers`, { body: {}, signal });
  }

  answerLiveViewer(viewerId: string, sdp: string, signal?: AbortSignal): Promise<void> {
    return this.request<void>('POST', `/api/live/viewers/${encodeURIComponent(viewerId)}/answer`, { body: { type: 'answer', sdp }, signal });
  }

  /** Close a viewer; `keepalive` lets the request finish while the page unloads. */
  closeLiveViewer(viewerId: string, options: { keepalive?: boolean } = {}): Promise<void> {
    return this.request<void>('DELETE', `/api/live/viewers/${encodeURIComponent(viewerId)}`, { keepalive: options.keepalive });
  }

  // ---------- PTZ ----------
  ptz(cameraId: string, command: PtzCommand): Promise<{ token?: string } | undefined> {
    return this.request<{ token?: string } | undefined>('POST', `/api/cameras/${encodeURIComponent(cameraId)}/ptz`, { body: command });
  }

  ptzPresets(cameraId: string): Promise<PtzPreset[]> {
    return this.request<PtzPreset[]>('GET', `/api/cameras/${encodeURIComponent(cameraId)}/ptz/presets`);
  }

  // ---------- video wall layouts (per user) ----------
  listLayouts(): Promise<{ items: WallLayout[] }> {
    return this.request<{ items: WallLayout[] }>('GET', '/api/me/layouts');
  }

  saveLayout(name: string, layout: WallLayoutInput): Promise<WallLayout> {
    return this.request<WallLayout>('PUT', `/api/me/layouts/${encodeURIComponent(name)}`, { body: layout });
  }

  deleteLayout(name: string): Promise<void> {
    return this.request<void>('DELETE', `/api/me/layouts/${encodeURIComponent(name)}`);
  }

  // ---------- recordings ----------
  listRecordings(cameraId: string, from: Date, to: Date, signal?: AbortSignal): Promise<{ items: Recording[] }> {
    const query = new URLSearchParams({ from: from.toISOString(), to: to.toISOString() });
    return this.request<{ items: Recording[] }>('GET', `/api/cameras/${encodeURIComponent(cameraId)}/recordings?${query.toString()}`, { signal });
  }

  /** Address of a recorded segment (video/mp4) for `<video src>`: the session cookie authenticates it. */
  recordingMediaUrl(recordingId: string): string {
    return `${this.baseUrl}/api/recordings/${encodeURIComponent(recordingId)}/media`;
  }

  // ---------- sightings ----------
  /** Search sightings, newest first; pass `nextCursor` as `cursor` for the next page. */
  searchSightings(query: SightingSearchInput, signal?: AbortSignal): Promise<SightingPage> {
    return this.request<SightingPage>('GET', `/api/sightings?${sightingParams(query).toString()}`, { signal });
  }

  sightingStats(query: { from: Date; to: Date; cameraIds?: readonly string[]; kind?: Sighting['kind'] }, signal?: AbortSignal): Promise<SightingStats> {
    return this.request<SightingStats>('GET', `/api/sightings/stats?${sightingParams({ ...query, cameraIds: query.cameraIds ? [...query.cameraIds] : undefined }).toString()}`, { signal });
  }

  /** A vehicle's reads across cameras and checkpoints, oldest first (one plate, exactly; no wildcards). */
  trajectory(query: { plate: string; from?: Date; to?: Date; limit?: number }, signal?: AbortSignal): Promise<Trajectory> {
    return this.request<Trajectory>('GET', `/api/sightings/trajectory?${sightingParams(query).toString()}`, { signal });
  }

  /**
   * Face search by photo: the image bytes (JPEG or PNG) as the body, the criteria in the query.
   * A photo the server cannot search (no face, several faces, too poor) answers 400 with the reason;
   * a server without face models 503.
   */
  async faceSearch(file: Blob, query: { cameraIds?: readonly string[]; from?: Date; to?: Date; k?: number; minScore?: number } = {}): Promise<FaceSearchResult> {
    const path = `/api/sightings/face-search?${sightingParams({ ...query, cameraIds: query.cameraIds ? [...query.cameraIds] : undefined }).toString()}`;
    const { status, payload } = await this.raw('POST', path, file, file.type || 'image/jpeg');
    if (status >= 200 && status < 300) return payload as FaceSearchResult;
    throw this.errorOf(status, payload, path);
  }

  /**
   * Address of a sighting's evidence image (`cropUrl` / `frameUrl`) for `<img src>`: like recorded
   * video, it is authenticated by the session cookie that sign-in sets.
   */
  evidenceUrl(path: string): string {
    return `${this.baseUrl}${path}`;
  }

  /**
   * Address of a camera's current picture (a JPEG, its privacy masks laid over) for `<img src>`,
   * authenticated by the session cookie like evidence images; `t` makes each refresh a new address.
   */
  cameraSnapshotUrl(cameraId: string, t = Date.now()): string {
    return `${this.baseUrl}/api/cameras/${encodeURIComponent(cameraId)}/snapshot?t=${t}`;
  }

  getCameraAnalytics(cameraId: string): Promise<CameraAnalytics> {
    return this.request<CameraAnalytics>('GET', `/api/cameras/${encodeURIComponent(cameraId)}/analytics`);
  }

  saveCameraAnalytics(cameraId: string, settings: AnalyticsSettingsInput): Promise<CameraAnalytics> {
    return this.request<CameraAnalytics>('PUT', `/api/cameras/${encodeURIComponent(cameraId)}/analytics`, { body: settings });
  }

  // ---------- watchlists ----------
  /** Every watchlist (the API answers a plain array). */
  async listWatchlists(): Promise<Watchlist[]> {
    const reply = await this.request<Watchlist[] | { items: Watchlist[] }>('GET', '/api/watchlists');
    return Array.isArray(reply) ? reply : reply.items;
  }

  createWatchlist(input: WatchlistInput): Promise<Watchlist> {
    return this.request<Watchlist>('POST', '/api/watchlists', { body: input });
  }

  updateWatchlist(id: string, input: Partial<WatchlistInput>): Promise<Watchlist> {
    return this.request<Watchlist>('PATCH', `/api/watchlists/${encodeURIComponent(id)}`, { body: input });
  }

  deleteWatchlist(id: string): Promise<void> {
    return this.request<void>('DELETE', `/api/watchlists/${encodeURIComponent(id)}`);
  }

  listWatchlistEntries(id: string): Promise<ListResponse<WatchlistEntry>> {
    return this.request<ListResponse<WatchlistEntry>>('GET', `/api/watchlists/${encodeURIComponent(id)}/entries`);
  }

  createWatchlistEntry(id: string, input: WatchlistEntryInput): Promise<WatchlistEntry> {
    return this.request<WatchlistEntry>('POST', `/api/watchlists/${encodeURIComponent(id)}/entries`, { body: input });
  }

  deleteWatchlistEntry(id: string, entryId: string): Promise<void> {
    return this.request<void>('DELETE', `/api/watchlists/${encodeURIComponent(id)}/entries/${encodeURIComponent(entryId)}`);
  }

  /**
   * CSV import (`plate,reason,case_number,valid_from,valid_to`), all or nothing. A dry run reports
   * row by row without storing. A refused import (400) also carries the report: it is returned,
   * with `ok: false`, rather than thrown.
   */
  async importWatchlist(id: string, csv: string, dryRun: boolean): Promise<{ ok: boolean; report: ImportReport }> {
    const path = `/api/watchlists/${encodeURIComponent(id)}/import${dryRun ? '?dryRun=1' : ''}`;
    const { status, payload } = await this.raw('POST', path, csv, 'text/csv');
    const report = reportOf(payload);
    if (status >= 200 && status < 300) return { ok: true, report: report ?? { dryRun, imported: 0, rows: [] } };
    if (status === 400 && report) return { ok: false, report };
    throw this.errorOf(status, payload, path);
  }

  /** Enrol one photo of a face entry (JPEG/PNG body); a 400 says why the photo was refused. */
  async uploadEntryPhoto(id: string, entryId: string, file: Blob): Promise<WatchlistEntry> {
    const path = `/api/watchlists/${encodeURIComponent(id)}/entries/${encodeURIComponent(entryId)}/photos`;
    const { status, payload } = await this.raw('POST', path, file, file.type || 'image/jpeg');
    if (status >= 200 && status < 300) return payload as WatchlistEntry;
    throw this.errorOf(status, payload, path);
  }

  // ---------- alerts ----------
  listAlerts(query: AlertQuery, signal?: AbortSignal): Promise<AlertPage> {
    const near = query.near ? `${query.near.latitude.toFixed(6)},${query.near.longitude.toFixed(6)}` : undefined;
    return this.request<AlertPage>('GET', `/api/alerts?${sightingParams({ ...query, near }).toString()}`, { signal });
  }

  getAlert(id: string): Promise<Alert> {
    return this.request<Alert>('GET', `/api/alerts/${encodeURIComponent(id)}`);
  }

  /** Alerts created after `seq`, oldest first (one page; `lastSeq` is where the next starts): what a reconnecting terminal missed. */
  alertsSince(seq: number, options: { siteId?: string; signal?: AbortSignal } = {}): Promise<AlertSince> {
    const query = sightingParams({ seq, siteId: options.siteId });
    return this.request<AlertSince>('GET', `/api/alerts/since?${query.toString()}`, { signal: options.signal });
  }

  alertAction(id: string, action: 'acknowledge' | 'inspect' | 'note', note?: string): Promise<Alert> {
    return this.request<Alert>('POST', `/api/alerts/${encodeURIComponent(id)}/${action}`, { body: action === 'note' ? { note } : note ? { note } : {} });
  }

  resolveAlert(id: string, disposition: AlertDisposition, note?: string): Promise<Alert> {
    return this.request<Alert>('POST', `/api/alerts/${encodeURIComponent(id)}/resolve`, { body: note ? { disposition, note } : { disposition } });
  }

  // ---------- command-centre overview ----------
  overview(signal?: AbortSignal): Promise<Overview> {
    return this.request<Overview>('GET', '/api/overview', { signal });
  }

  // ---------- incidents and dispatch ----------
  listIncidentTypes(): Promise<{ items: IncidentType[] }> {
    return this.request<{ items: IncidentType[] }>('GET', '/api/incident-types');
  }

  listIncidents(query: { open?: boolean; status?: IncidentStatus; priority?: IncidentPriority; type?: string; limit?: number; offset?: number } = {}, signal?: AbortSignal): Promise<IncidentPage> {
    return this.request<IncidentPage>('GET', `/api/incidents?${sightingParams({ ...query }).toString()}`, { signal });
  }

  getIncident(id: string, signal?: AbortSignal): Promise<Incident> {
    return this.request<Incident>('GET', `/api/incidents/${encodeURIComponent(id)}`, { signal });
  }

  /** A 110 call (`source: 'call'` with the caller) or an incident entered by hand. */
  createIncident(request: Partial<CreateIncidentRequest> & Pick<CreateIncidentRequest, 'type'>): Promise<Incident> {
    return this.request<Incident>('POST', '/api/incidents', { body: request });
  }

  incidentFromAlert(alertId: string, request: IncidentFromAlertRequest = undefined): Promise<Incident> {
    return this.request<Incident>('POST', `/api/incidents/from-alert/${encodeURIComponent(alertId)}`, { body: request ?? {} });
  }

  addIncidentNote(id: string, note: string): Promise<Incident> {
    return this.request<Incident>('POST', `/api/incidents/${encodeURIComponent(id)}/notes`, { body: { note } });
  }

  closeIncident(id: string, request: CloseIncidentRequest): Promise<Incident> {
    return this.request<Incident>('POST', `/api/incidents/${encodeURIComponent(id)}/close`, { body: request });
  }

  tickPlanStep(id: string, index: number): Promise<Incident> {
    return this.request<Incident>('POST', `/api/incidents/${encodeURIComponent(id)}/plan/steps/${index}/tick`, { body: {} });
  }

  incidentCameras(id: string, limit?: number): Promise<{ items: NearbyCamera[] }> {
    return this.request<{ items: NearbyCamera[] }>('GET', `/api/incidents/${encodeURIComponent(id)}/cameras?${sightingParams({ limit }).toString()}`);
  }

  /** Available, not stale units, nearest first. */
  incidentCandidates(id: string, query: { capability?: string; kind?: string; limit?: number } = {}): Promise<{ items: Candidate[] }> {
    return this.request<{ items: Candidate[] }>('GET', `/api/incidents/${encodeURIComponent(id)}/candidates?${sightingParams({ ...query }).toString()}`);
  }

  incidentDispatches(id: string): Promise<{ items: Dispatch[] }> {
    return this.request<{ items: Dispatch[] }>('GET', `/api/incidents/${encodeURIComponent(id)}/dispatches`);
  }

  dispatchUnits(id: string, unitIds: readonly string[], note?: string): Promise<{ items: Dispatch[] }> {
    return this.request<{ items: Dispatch[] }>('POST', `/api/incidents/${encodeURIComponent(id)}/dispatches`, { body: note ? { unitIds, note } : { unitIds } });
  }

  dispatchAction(incidentId: string, dispatchId: string, action: 'accept' | 'en_route' | 'on_scene' | 'clear' | 'cancel', note?: string): Promise<Dispatch> {
    const path = `/api/incidents/${encodeURIComponent(incidentId)}/dispatches/${encodeURIComponent(dispatchId)}/status`;
    return this.request<Dispatch>('POST', path, { body: note ? { action, note } : { action } });
  }

  reassignDispatch(incidentId: string, dispatchId: string, unitId: string): Promise<unknown> {
    return this.request<unknown>('POST', `/api/incidents/${encodeURIComponent(incidentId)}/dispatches/${encodeURIComponent(dispatchId)}/reassign`, { body: { unitId } });
  }

  listPlans(): Promise<{ items: EmergencyPlan[] }> {
    return this.request<{ items: EmergencyPlan[] }>('GET', '/api/plans');
  }

  createPlan(input: CreatePlanRequest): Promise<EmergencyPlan> {
    return this.request<EmergencyPlan>('POST', '/api/plans', { body: input });
  }

  /** The incident type of a plan cannot change; incidents keep the copy they were given. */
  updatePlan(id: string, patch: UpdatePlanRequest): Promise<EmergencyPlan> {
    return this.request<EmergencyPlan>('PATCH', `/api/plans/${encodeURIComponent(id)}`, { body: patch });
  }

  deletePlan(id: string): Promise<void> {
    return this.request<void>('DELETE', `/api/plans/${encodeURIComponent(id)}`);
  }

  listUnits(query: { status?: UnitStatus; kind?: string } = {}): Promise<{ items: Unit[] }> {
    return this.request<{ items: Unit[] }>('GET', `/api/units?${sightingParams({ ...query }).toString()}`);
  }

  /** The units the signed-in officer is linked to (the tablet). */
  myUnits(): Promise<{ items: Unit[] }> {
    return this.request<{ items: Unit[] }>('GET', '/api/units/mine');
  }

  setUnitStatus(id: string, status: ManualUnitStatus): Promise<Unit> {
    return this.request<Unit>('POST', `/api/units/${encodeURIComponent(id)}/status`, { body: { status } });
  }

  reportPosition(id: string, fix: { latitude: number; longitude: number; accuracy?: number; at?: string }): Promise<Unit> {
    return this.request<Unit>('POST', `/api/units/${encodeURIComponent(id)}/position`, { body: fix });
  }

  unitDispatches(id: string, active?: boolean): Promise<{ items: Dispatch[] }> {
    return this.request<{ items: Dispatch[] }>('GET', `/api/units/${encodeURIComponent(id)}/dispatches?${sightingParams({ active }).toString()}`);
  }

  /** A P1 incident at the unit's position, pushed to every dispatcher. */
  sos(id: string, note?: string): Promise<Incident> {
    return this.request<Incident>('POST', `/api/units/${encodeURIComponent(id)}/sos`, { body: note ? { note } : {} });
  }

  // ---------- evidence export ----------
  /** Request a signed evidence package; it is built by a job and its progress pushed as `export.updated`. */
  createExport(request: ExportCreate): Promise<ExportJob> {
    return this.request<ExportJob>('POST', '/api/exports', { body: request });
  }

  listExports(): Promise<{ items: ExportJob[] }> {
    return this.request<{ items: ExportJob[] }>('GET', '/api/exports');
  }

  /** The server's export signing key (PEM) and its fingerprint. */
  exportPublicKey(): Promise<ExportPublicKey> {
    return this.request<ExportPublicKey>('GET', '/api/exports/public-key');
  }

  /** Address of a finished package (the session cookie authorises it; the download is audited). */
  exportDownloadUrl(id: string): string {
    return `${this.baseUrl}/api/exports/${encodeURIComponent(id)}/download`;
  }

  deleteExportPackage(id: string): Promise<ExportJob> {
    return this.request<ExportJob>('DELETE', `/api/exports/${encodeURIComponent(id)}`);
  }

  // ---------- system ----------
  /** Alert level names/colours and the map's tile source, as configured on the server. */
  displaySettings(): Promise<DisplaySettings> {
    return this.request<DisplaySettings>('GET', '/api/settings/display');
  }

  health(): Promise<Health> {
    return this.request<Health>('GET', '/api/health', { allowUnauthenticated: true });
  }

  // ---------- audit log (administrators) ----------
  /** The audit log, newest first; `action` is one action or a subject prefix (`live.`), `user` an id or a user name. */
  listAudit(query: AuditCsvQuery & { limit?: number; offset?: number }, signal?: AbortSignal): Promise<ListResponse<AuditEntry>> {
    return this.request<ListResponse<AuditEntry>>('GET', `/api/audit?${sightingParams(query).toString()}`, { signal });
  }

  /** The filtered audit log as a CSV file (the download is audited on the server). */
  async auditCsv(query: AuditCsvQuery): Promise<{ blob: Blob; filename: string }> {
    const path = `/api/audit.csv?${sightingParams(query).toString()}`;
    const headers: Record<string, string> = { Accept: 'text/csv, application/json' };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    let response: Response;
    try {
      response = await fetch(this.baseUrl + path, { headers, credentials: 'same-origin' });
    } catch (cause) {
      throw new ApiError(0, 'E_NETWORK', cause instanceof Error ? cause.message : String(cause));
    }
    if (!response.ok) {
      const text = await response.text();
      let payload: unknown = undefined;
      try {
        payload = text ? JSON.parse(text) : undefined;
      } catch {
        payload = undefined;
      }
      if (response.status === 401) {
        this.setToken(null);
        for (const listener of this.unauthenticatedListeners) listener();
      }
      throw this.errorOf(response.status, payload, path);
    }
    const filename = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? 'argus-audit.csv';
    return { blob: await response.blob(), filename };
  }

  /** A request with a non-JSON body (CSV text, an image); the reply parsed as JSON when it is. */
  private async raw(method: Method, path: string, body: BodyInit, contentType: string): Promise<{ status: number; payload: unknown }> {
    const headers: Record<string, string> = { Accept: 'application/json', 'Content-Type': contentType };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    let response: Response;
    try {
      response = await fetch(this.baseUrl + path, { method, headers, body, credentials: 'same-origin' });
    } catch (cause) {
      throw new ApiError(0, 'E_NETWORK', cause instanceof Error ? cause.message : String(cause));
    }
    const text = await response.text();
    let payload: unknown = undefined;
    try {
      payload = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      payload = undefined;
    }
    if (response.status === 401) {
      this.setToken(null);
      for (const listener of this.unauthenticatedListeners) listener();
    }
    return { status: response.status, payload };
  }

  private errorOf(status: number, payload: unknown, path: string): ApiError {
    return isErrorBody(payload)
      ? new ApiError(status, payload.error.code, payload.error.message, payload.error.issues ?? [])
      : new ApiError(status, status === 401 ? 'E_UNAUTHENTICATED' : 'E_UNEXPECTED', `${status} ${path}`);
  }

  private async request<T>(method: Method, path: string, options: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';

    let response: Response;
    const sentAt = Date.now();
    try {
      response = await fetch(this.baseUrl + path, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        credentials: 'same-origin',
        keepalive: options.keepalive,
        signal: options.signal,
      });
    } catch (cause) {
      if (options.signal?.aborted) throw cause;
      throw new ApiError(0, 'E_NETWORK', cause instanceof Error ? cause.message : String(cause));
    }
    this.clock.observe(response.headers.get('date'), sentAt, Date.now());

    if (response.status === 204) return undefined as T;

    const text = await response.text();
    let payload: unknown = undefined;
    if (text.length > 0) {
      try {
        payload = JSON.parse(text);
      } catch {
        payload = undefined;
      }
    }

    if (response.ok) {
      if (payload === undefined && text.length > 0) {
        throw new ApiError(response.status, 'E_UNEXPECTED', `${method} ${path}: the reply is not JSON`);
      }
      return payload as T;
    }

    const error = isErrorBody(payload)
      ? new ApiError(response.status, payload.error.code, payload.error.message, payload.error.issues ?? [])
      : new ApiError(response.status, response.status === 401 ? 'E_UNAUTHENTICATED' : 'E_UNEXPECTED', `${response.status} ${response.statusText}`.trim());

    if (response.status === 401 && !options.allowUnauthenticated) {
      this.setToken(null);
      for (const listener of this.unauthenticatedListeners) listener();
    }
    throw error;
  }
}
