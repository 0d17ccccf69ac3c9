import type { Logger } from '../../../config/logger.ts';
import type { Sighting } from '../../../contracts/sightings.ts';
import { DEFAULT_FACE_THRESHOLD, type Watchlist } from '../../../contracts/watchlists.ts';
import type { AlertDetail } from '../../../storage/repositories/alerts.repository.ts';
import type { SightingsRepository } from '../../../storage/repositories/sightings.repository.ts';
import type { WatchlistsRepository } from '../../../storage/repositories/watchlists.repository.ts';
import type { AlertsService } from './alerts.service.ts';
import { toSighting } from './sightings.service.ts';
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
/** Recovery sweep: how often, how far back, and how old an unmatched sighting must be (live matching may be on it). */
const RECOVER_EVERY_MS = 15_000;
const RECOVER_WINDOW_MS = 60 * 60_000;
const RECOVER_GRACE_MS = 10_000;
const RECOVER_BATCH = 200;

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
  /** The watchlists were loaded at least once: before that, no sighting may count as matched. */
  private loaded = false;

  constructor(
    private readonly deps: {
      watchlists: WatchlistsRepository;
      alerts: Pick<AlertsService, 'raise' | 'entriesAlerted'>;
      log: Logger;
      now?: () => Date;
      /**
       * With it, a matched sighting is marked (matched_at), and sightings left unmatched by a crash or
       * an outage are matched again by a sweep on start and every `recover.everyMs`.
       */
      sightings?: Pick<SightingsRepository, 'listUnmatched' | 'markMatched'>;
      recover?: { everyMs?: number; windowMs?: number; graceMs?: number };
    },
  ) {}

  private recoverTimer: NodeJS.Timeout | null = null;
  private recovering: Promise<number> | null = null;

  /** Load now and keep reloading on the backstop timer; start the recovery sweep. */
  async start(): Promise<void> {
    this.backstop = setInterval(() => void this.reload(), BACKSTOP_RELOAD_MS);
    this.backstop.unref();
    await this.reload();
    if (this.deps.sightings) {
      this.recoverTimer = setInterval(() => void this.recover(), this.deps.recover?.everyMs ?? RECOVER_EVERY_MS);
      this.recoverTimer.unref();
      void this.recover();
    }
  }

  close(): void {
    this.closed = true;
    if (this.backstop) clearInterval(this.backstop);
    if (this.validityTimer) clearTimeout(this.validityTimer);
    if (this.recoverTimer) clearInterval(this.recoverTimer);
  }

  /**
   * Match the recent sightings whose matching never finished (stored just before a crash, or while
   * the alerts could not be stored). Alerts are unique per (sighting, entry): matching again never
   * raises one twice. Returns how many sightings were matched; concurrent calls share one sweep.
   */
  recover(): Promise<number> {
    this.recovering ??= this.sweep()
      .catch((err: unknown) => {
        this.deps.log.warn({ err: (err as Error).message }, 'could not match the sightings left unmatched');
        return 0;
      })
      .finally(() => {
        this.recovering = null;
      });
    return this.recovering;
  }

  private async sweep(): Promise<number> {
    const repo = this.deps.sightings;
    if (!repo) return 0;
    const now = (this.deps.now?.() ?? new Date()).getTime();
    const since = new Date(now - (this.deps.recover?.windowMs ?? RECOVER_WINDOW_MS));
    const before = new Date(now - (this.deps.recover?.graceMs ?? RECOVER_GRACE_MS));
    let total = 0;
    for (;;) {
      if (this.closed) break;
      const batch = await repo.listUnmatched({ since, before, limit: RECOVER_BATCH });
      for (const { record, face } of batch) {
        await this.onSighting(toSighting(record), { face, cropPath: record.cropPath, framePath: record.framePath });
        total++;
      }
      if (batch.length < RECOVER_BATCH) break;
    }
    if (total) this.deps.log.warn({ count: total }, 'sightings left unmatched (crash or outage) were matched');
    return total;
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
    this.loaded = true;
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
    const raised = await this.match(sighting, extra);
    // Its alerts are stored: done, unless it was refined meanwhile (then that refinement is matched too).
    await this.deps.sightings?.markMatched(sighting.id, new Date(sighting.observedAt), new Date(sighting.updatedAt));
    return raised;
  }

  private async match(sighting: Sighting, extra: SightingExtra): Promise<number> {
    const face = extra.face;
    if (!this.ready) void this.reload();
    await this.ready;
    if (!this.loaded) {
      // Not matched against nothing: left unmatched, the recovery sweep takes it once the lists load.
      void this.reload();
      throw new Error('the watchlists could not be loaded yet');
    }
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
