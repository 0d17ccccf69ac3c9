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
import type { LiveViewerOffer, PtzCommand, PtzPreset, Recording, WallLayout, WallLayoutInput } from '../../../../contracts/media.ts';
import type { ErrorBody, ErrorCode, ErrorIssue } from '../../../../contracts/errors.ts';
import type { Alert, AlertDisposition, AlertPage, AlertQuery, AlertSince, ImportReport, Watchlist, WatchlistEntry, WatchlistEntryInput, WatchlistInput } from '../alerts/alert-types.ts';
import type { AnalyticsSettingsInput, CameraAnalytics, Sighting, SightingPage, SightingSearchInput, SightingStats } from '../../../../contracts/sightings.ts';

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

  /**
   * Address of a sighting's evidence image (`cropUrl` / `frameUrl`) for `<img src>`: like recorded
   * video, it is authenticated by the session cookie that sign-in sets.
   */
  evidenceUrl(path: string): string {
    return `${this.baseUrl}${path}`;
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
    return this.request<AlertPage>('GET', `/api/alerts?${sightingParams({ ...query }).toString()}`, { signal });
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

  // ---------- system ----------
  health(): Promise<Health> {
    return this.request<Health>('GET', '/api/health', { allowUnauthenticated: true });
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
