import type { Logger } from '../../../config/logger.ts';
import type { Sighting } from '../../../contracts/sightings.ts';
import { DEFAULT_FACE_THRESHOLD, type Watchlist } from '../../../contracts/watchlists.ts';
import type { AlertDetail } from '../../../storage/repositories/alerts.repository.ts';
import type { WatchlistsRepository } from '../../../storage/repositories/watchlists.repository.ts';
import type { AlertsService } from './alerts.service.ts';
import { FaceMatcher, type FaceHit } from './watchlists/face-matcher.ts';
import { PlateMatcher, type PlateHit } from './watchlists/plate-matcher.ts';

/** What a face sighting carries besides the stored row: its embedding (not part of the API view). */
export interface SightingFace {
  model: string;
  embedding: readonly number[];
}

/** What the sightings service knows besides the API view: the face embedding and the evidence paths. */
export interface SightingExtra {
  face?: SightingFace | null;
  cropPath?: string | null;
  framePath?: string | null;
}

interface EntryInfo {
  watchlistId: string;
  plate: string | null;
  personName: string | null;
  reason: string | null;
  caseNumber: string | null;
}

/** The longest a timer may wait (setTimeout's limit is about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** A backstop reload, in case a change notice was missed (Redis down for a moment). */
const BACKSTOP_RELOAD_MS = 5 * 60_000;

/**
 * Matches every stored plate read and face sighting against the active watchlists (lists and entries
 * within their validity) and raises one alert per (sighting, entry) through AlertsService.
 *
 * Holds the matchers in memory; `reload()` replaces them from storage. It reloads on a change
 * notice (every process hears it through Redis), when the next validity period starts or ends, and
 * every few minutes as a backstop.
 */
export class WatchlistMatching {
  private readonly plates = new PlateMatcher();
  private readonly faces = new FaceMatcher();
  private lists = new Map<string, Watchlist>();
  private entries = new Map<string, EntryInfo>();
  private loading: Promise<void> | null = null;
  private again = false;
  private ready: Promise<void> | null = null;
  private validityTimer: NodeJS.Timeout | null = null;
  private backstop: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly deps: {
      watchlists: WatchlistsRepository;
      alerts: Pick<AlertsService, 'raise' | 'entriesAlerted'>;
      log: Logger;
      now?: () => Date;
    },
  ) {}

  /** Load now and keep reloading on the backstop timer. */
  async start(): Promise<void> {
    this.backstop = setInterval(() => void this.reload(), BACKSTOP_RELOAD_MS);
    this.backstop.unref();
    await this.reload();
  }

  close(): void {
    this.closed = true;
    if (this.backstop) clearInterval(this.backstop);
    if (this.validityTimer) clearTimeout(this.validityTimer);
  }

  get counts(): { plates: number; faces: number } {
    return { plates: this.plates.size, faces: this.faces.size };
  }

  /** Reload from storage; concurrent calls coalesce (one more load runs after the current one). */
  reload(): Promise<void> {
    if (this.loading) {
      this.again = true;
      return this.loading;
    }
    this.loading = (async () => {
      do {
        this.again = false;
        await this.load().catch((err: unknown) => this.deps.log.error({ err: (err as Error).message }, 'could not load the watchlists'));
      } while (this.again && !this.closed);
    })().finally(() => {
      this.loading = null;
    });
    this.ready ??= this.loading;
    return this.loading;
  }

  private async load(): Promise<void> {
    const now = this.deps.now?.() ?? new Date();
    const [lists, plates, faces, next] = await Promise.all([
      this.deps.watchlists.list(),
      this.deps.watchlists.activePlateEntries(now),
      this.deps.watchlists.activeFaceEmbeddings(now),
      this.deps.watchlists.nextValidityChange(now),
    ]);
    const entries = new Map<string, EntryInfo>();
    for (const p of plates) entries.set(p.entryId, { watchlistId: p.watchlistId, plate: p.pattern, personName: null, reason: p.reason, caseNumber: p.caseNumber });
    for (const f of faces) entries.set(f.entryId, { watchlistId: f.watchlistId, plate: null, personName: f.personName, reason: f.reason, caseNumber: f.caseNumber });
    this.plates.replace(
      plates.map((p) => ({
        entryId: p.entryId,
        watchlistId: p.watchlistId,
        pattern: p.pattern,
        kind: /[*?]/.test(p.pattern) ? ('wildcard' as const) : ('exact' as const),
        tolerance: p.tolerance,
        ignoreProvince: p.ignoreProvince,
      })),
    );
    this.faces.replace(
      faces.map((f) => ({ entryId: f.entryId, watchlistId: f.watchlistId, model: f.model, embedding: f.embedding, threshold: f.threshold ?? DEFAULT_FACE_THRESHOLD })),
    );
    this.lists = new Map(lists.map((l) => [l.id, l]));
    this.entries = entries;
    if (this.validityTimer) clearTimeout(this.validityTimer);
    this.validityTimer = null;
    if (next && !this.closed) {
      this.validityTimer = setTimeout(() => void this.reload(), Math.min(MAX_TIMER_MS, Math.max(0, next.getTime() - now.getTime()) + 50));
      this.validityTimer.unref();
    }
    this.deps.log.debug({ plates: this.plates.size, faces: this.faces.size }, 'watchlists loaded');
  }

  /**
   * Match a stored sighting and raise alerts (stored, then pushed). A sighting matched again (a
   * refine) raises only for entries it has no alert for yet. Returns how many alerts were raised.
   */
  async onSighting(sighting: Sighting, extra: SightingExtra = {}): Promise<number> {
    const face = extra.face;
    if (!this.ready) void this.reload();
    await this.ready;
    if (sighting.kind === 'plate' && sighting.plate?.text) {
      const hits = this.plates.match(sighting.plate.text);
      return hits.length ? this.raise(sighting, extra, hits.map((h) => ({ hit: h, candidates: undefined }))) : 0;
    }
    if (sighting.kind === 'face' && face && face.embedding.length > 0) {
      const hits = this.faces.match(face.model, face.embedding, 10);
      if (!hits.length) return 0;
      // One alert per list: its best person, with the other candidates of that list.
      const byList = new Map<string, FaceHit[]>();
      for (const h of hits) byList.set(h.watchlistId, [...(byList.get(h.watchlistId) ?? []), h]);
      return this.raise(
        sighting,
        extra,
        [...byList.values()].map((list) => ({
          hit: list[0]!,
          candidates: list.slice(0, 5).map((h) => ({ entryId: h.entryId, personName: this.entries.get(h.entryId)?.personName ?? null, score: h.score })),
        })),
      );
    }
    return 0;
  }

  private async raise(sighting: Sighting, extra: SightingExtra, hits: Array<{ hit: PlateHit | FaceHit; candidates: AlertDetail['candidates'] }>): Promise<number> {
    const done = await this.deps.alerts.entriesAlerted(sighting.id);
    let raised = 0;
    for (const { hit, candidates } of hits) {
      if (done.has(hit.entryId)) continue;
      const list = this.lists.get(hit.watchlistId);
      const entry = this.entries.get(hit.entryId);
      if (!list || !entry) continue;
      const alert = await this.deps.alerts.raise({
        kind: list.kind,
        level: list.level,
        watchlistId: list.id,
        entryId: hit.entryId,
        sightingId: sighting.id,
        sightingObservedAt: new Date(sighting.observedAt),
        cameraId: sighting.cameraId,
        score: hit.score,
        detail: {
          watchlist: { id: list.id, name: list.name, covert: list.covert },
          entry: { id: hit.entryId, reason: entry.reason, caseNumber: entry.caseNumber, ...(list.kind === 'plate' ? { plate: entry.plate } : { personName: entry.personName }) },
          sighting: {
            id: sighting.id,
            observedAt: sighting.observedAt,
            score: sighting.score,
            ...(sighting.plate ? { plateText: sighting.plate.text, plateColour: sighting.plate.colour } : {}),
          },
          ...(candidates ? { candidates } : {}),
          ...('misreads' in hit ? { misreads: hit.misreads } : {}),
          cropPath: extra.cropPath ?? null,
          framePath: extra.framePath ?? null,
        },
      });
      if (alert) raised++;
    }
    return raised;
  }
}
