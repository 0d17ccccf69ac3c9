import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { PLATE_COLOURS, OBJECT_LABELS, type ObjectLabel } from '../../../../contracts/analytics.ts';
import {
  PLATE_MATCH_MODES,
  SIGHTING_KINDS,
  SIGHTING_STATS_MAX_DAYS,
  type PlateMatchMode,
  type Sighting,
  type SightingKind,
  type SightingPage,
  type SightingPlate,
  type SightingSearchInput,
  type SightingStats,
} from '../../../../contracts/sightings.ts';
import { issuesFor } from '../api/client.ts';
import { ErrorBanner } from '../components/error-banner.tsx';
import { Field } from '../components/field.tsx';
import { Icon } from '../components/icon.tsx';
import { useI18n, type Translate } from '../i18n/i18n.tsx';
import { hrefWithQuery } from '../shell/hash-route.ts';
import { HourChart } from '../sightings/hour-chart.tsx';
import { countIntoStats, fromLocalInput, matchesLive, mergeSighting, toLocalInput, type LiveFilter, type ShownSighting } from '../sightings/sighting-list.ts';
import { useLive } from '../state/live.tsx';
import { useCameras } from '../state/use-cameras.ts';
import { useSignedIn } from '../state/session.tsx';
import '../styles/sightings.css';

/**
 * Sightings (识别记录): search plate reads, faces and objects by plate text (exact, prefix,
 * contains, fuzzy), camera, kind, plate colour and time; results newest first with their evidence
 * crops, a per-hour chart of the range, and, while the range is open-ended, new sightings pushed
 * over the socket at the top. Each row links to the recording at its moment.
 */
const HOUR = 3_600_000;
const PAGE = 50;

interface Draft {
  plate: string;
  plateMode: PlateMatchMode;
  cameraId: string;
  kind: SightingKind | '';
  plateColour: string;
  from: string;
  to: string;
}

function initialDraft(): Draft {
  return { plate: '', plateMode: 'contains', cameraId: '', kind: '', plateColour: '', from: toLocalInput(new Date(Date.now() - 24 * HOUR)), to: '' };
}

interface Applied {
  query: SightingSearchInput;
  live: LiveFilter;
  /** The chart's range. */
  statsFrom: Date;
  statsTo: Date | null;
}

function apply(draft: Draft): Applied {
  const from = fromLocalInput(draft.from);
  const to = fromLocalInput(draft.to);
  const plate = draft.plate.trim();
  const query: SightingSearchInput = {
    cameraIds: draft.cameraId ? [draft.cameraId] : undefined,
    kind: draft.kind || undefined,
    plate: plate || undefined,
    plateMode: plate ? draft.plateMode : undefined,
    plateColour: (draft.plateColour || undefined) as SightingSearchInput['plateColour'],
    from,
    to,
    limit: PAGE,
  };
  const live: LiveFilter = { cameraIds: query.cameraIds, kind: query.kind, plate: plate || undefined, plateMode: draft.plateMode, plateColour: draft.plateColour || undefined, from, to };
  // The chart shows at most 31 days, ending at the range's end.
  const end = to ?? null;
  const endMs = (end ?? new Date()).getTime();
  const statsFrom = new Date(Math.max(from?.getTime() ?? endMs - 24 * HOUR, endMs - SIGHTING_STATS_MAX_DAYS * 24 * HOUR + HOUR));
  return { query, live, statsFrom, statsTo: end };
}

function labelText(label: string | null, t: Translate): string | null {
  if (!label) return null;
  return (OBJECT_LABELS as readonly string[]).includes(label) ? t(`sightings.label.${label as ObjectLabel}`) : label;
}

export function SightingsScreen() {
  const { t, formatDateTime } = useI18n();
  const { api } = useSignedIn();
  const { socket, generation } = useLive();
  const cameras = useCameras();
  const [draft, setDraft] = useState<Draft>(initialDraft);
  const [applied, setApplied] = useState<Applied>(() => apply(draft));
  const [rows, setRows] = useState<ShownSighting[]>([]);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [fuzzy, setFuzzy] = useState<SightingPage['fuzzy']>(null);
  const [stats, setStats] = useState<SightingStats | null>(null);
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const liveRef = useRef(applied.live);
  liveRef.current = applied.live;

  // Search and chart for the applied criteria; again after a reconnection (pushes may have been missed).
  useEffect(() => {
    const abort = new AbortController();
    setLoading(true);
    setError(null);
    api.searchSightings(applied.query, abort.signal).then(
      (page) => {
        setRows(page.items.map((sighting) => ({ sighting, fresh: false })));
        setNextCursor(page.nextCursor);
        setFuzzy(page.fuzzy);
        setLoading(false);
      },
      (caught: unknown) => {
        if (abort.signal.aborted) return;
        setError(caught);
        setRows([]);
        setNextCursor(null);
        setLoading(false);
      },
    );
    const statsTo = applied.statsTo ?? new Date(Date.now() + HOUR);
    api.sightingStats({ from: applied.statsFrom, to: statsTo, cameraIds: applied.query.cameraIds, kind: applied.query.kind }, abort.signal).then(
      (reply) => setStats(reply),
      () => !abort.signal.aborted && setStats(null),
    );
    return () => abort.abort();
  }, [api, applied, generation]);

  useEffect(() => {
    if (!socket) return;
    const onCreated = (sighting: Sighting) => {
      if (!matchesLive(sighting, liveRef.current)) return;
      setRows((list) => mergeSighting(list, sighting, 'created'));
      setStats((s) => (s ? countIntoStats(s, sighting) : s));
    };
    const onUpdated = (sighting: Sighting) => setRows((list) => mergeSighting(list, sighting, 'updated'));
    socket.on('sighting.created', onCreated);
    socket.on('sighting.updated', onUpdated);
    return () => {
      socket.off('sighting.created', onCreated);
      socket.off('sighting.updated', onUpdated);
    };
  }, [socket]);

  const loadMore = useCallback(async () => {
    if (!nextCursor) return;
    setLoadingMore(true);
    try {
      const page = await api.searchSightings({ ...applied.query, cursor: nextCursor });
      setRows((list) => {
        const known = new Set(list.map((r) => r.sighting.id));
        return [...list, ...page.items.filter((s) => !known.has(s.id)).map((sighting) => ({ sighting, fresh: false }))];
      });
      setNextCursor(page.nextCursor);
    } catch (caught) {
      setError(caught);
    } finally {
      setLoadingMore(false);
    }
  }, [api, applied.query, nextCursor]);

  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft((d) => ({ ...d, [key]: value }));
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setApplied(apply(draft));
  };
  const reset = () => {
    const fresh = initialDraft();
    setDraft(fresh);
    setApplied(apply(fresh));
  };

  const cameraName = (s: Sighting) => s.cameraName ?? cameras.byId.get(s.cameraId)?.name ?? t('common.none');
  const isLive = !applied.live.to;
  const busiest = useMemo(() => (stats ? stats.byCamera.slice(0, 5) : []), [stats]);

  return (
    <section className="screen sightings-screen" data-testid="sightings-screen">
      <header className="screen-header">
        <h1 className="screen-title">{t('sightings.title')}</h1>
        <span className="screen-count" data-testid="sightings-count">
          {t('sightings.shown', { count: rows.length })}
        </span>
        <span className={isLive ? 'live-note live-note-on' : 'live-note'} data-testid="sightings-live" data-live={isLive}>
          <span className="dot" aria-hidden="true" />
          {isLive ? t('sightings.live') : t('sightings.notLive')}
        </span>
      </header>

      <form className="sightings-form" onSubmit={onSubmit} aria-label={t('sightings.searchForm')} data-testid="sightings-form" noValidate>
        <Field name="plate" label={t('sightings.plate')} error={issuesFor(error, 'plate')} className="field-plate">
          {(a) => <input {...a} name="plate" value={draft.plate} onChange={(e) => set('plate', e.target.value)} placeholder={t('sightings.platePlaceholder')} autoComplete="off" spellCheck={false} className="mono" />}
        </Field>
        <Field name="plateMode" label={t('sightings.plateMode')} error={issuesFor(error, 'plateMode')}>
          {(a) => (
            <select {...a} name="plateMode" value={draft.plateMode} onChange={(e) => set('plateMode', e.target.value as PlateMatchMode)}>
              {PLATE_MATCH_MODES.map((m) => (
                <option key={m} value={m}>
                  {t(`sightings.mode.${m}`)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field name="cameraIds" label={t('sightings.camera')} error={issuesFor(error, 'cameraIds')}>
          {(a) => (
            <select {...a} name="cameraId" value={draft.cameraId} onChange={(e) => set('cameraId', e.target.value)}>
              <option value="">{t('sightings.allCameras')}</option>
              {cameras.cameras.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field name="kind" label={t('sightings.kind')} error={issuesFor(error, 'kind')}>
          {(a) => (
            <select {...a} name="kind" value={draft.kind} onChange={(e) => set('kind', e.target.value as Draft['kind'])}>
              <option value="">{t('sightings.allKinds')}</option>
              {SIGHTING_KINDS.map((k) => (
                <option key={k} value={k}>
                  {t(`sightings.kind.${k}`)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field name="plateColour" label={t('sightings.colour')} error={issuesFor(error, 'plateColour')}>
          {(a) => (
            <select {...a} name="plateColour" value={draft.plateColour} onChange={(e) => set('plateColour', e.target.value)}>
              <option value="">{t('sightings.anyColour')}</option>
              {PLATE_COLOURS.map((c) => (
                <option key={c} value={c}>
                  {t(`sightings.colour.${c}`)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field name="from" label={t('sightings.from')} error={issuesFor(error, 'from')}>
          {(a) => <input {...a} name="from" type="datetime-local" value={draft.from} onChange={(e) => set('from', e.target.value)} />}
        </Field>
        <Field name="to" label={t('sightings.to')} error={issuesFor(error, 'to')} hint={draft.to ? undefined : t('sightings.toHint')} className="field-to">
          {(a) => <input {...a} name="to" type="datetime-local" value={draft.to} onChange={(e) => set('to', e.target.value)} />}
        </Field>
        <div className="sightings-form-actions">
          <button type="submit" className="btn btn-primary" data-testid="sightings-search" disabled={loading}>
            <Icon name="search" />
            <span>{loading ? t('sightings.searching') : t('sightings.search')}</span>
          </button>
          <button type="button" className="btn" onClick={reset}>
            {t('sightings.reset')}
          </button>
        </div>
      </form>

      {stats && (
        <div className="sightings-stats">
          <HourChart stats={stats} />
          {busiest.length > 0 && (
            <div className="busiest">
              <div className="busiest-title">{t('sightings.chart.busiest')}</div>
              <ol>
                {busiest.map((c) => (
                  <li key={c.cameraId}>
                    <span className="busiest-name">{c.cameraName ?? cameras.byId.get(c.cameraId)?.name ?? c.cameraId.slice(0, 8)}</span>
                    <span className="mono muted">{c.count}</span>
                  </li>
                ))}
              </ol>
            </div>
          )}
        </div>
      )}

      {error !== null && !issuesFor(error, 'plate') && <ErrorBanner error={error} onRetry={() => setApplied((a) => ({ ...a }))} />}
      {fuzzy && (
        <div className="banner banner-info sightings-fuzzy" data-testid="sightings-fuzzy">
          {t(`sightings.fuzzy.${fuzzy}`)}
        </div>
      )}

      <div className="table-wrap">
        <table className="table sightings-table" data-testid="sightings-table">
          <thead>
            <tr>
              <th className="col-thumb">{t('sightings.col.image')}</th>
              <th className="col-time">{t('sightings.col.time')}</th>
              <th>{t('sightings.col.camera')}</th>
              <th className="col-small">{t('sightings.col.kind')}</th>
              <th>{t('sightings.col.plate')}</th>
              <th className="col-small">{t('sightings.col.score')}</th>
              <th className="col-small">{t('sightings.col.stage')}</th>
              <th className="col-actions">{t('common.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(({ sighting: s, fresh }) => {
              const observed = Date.parse(s.observedAt);
              const playback = hrefWithQuery(['playback', s.cameraId], { from: new Date(observed - 5000).toISOString(), to: new Date(observed + 10_000).toISOString() });
              return (
                <tr key={s.id} data-sighting-id={s.id} data-plate={s.plate?.text} data-stage={s.stage} className={fresh ? 'fresh' : undefined}>
                  <td className="cell-thumb">
                    {s.cropUrl ? (
                      <img src={api.evidenceUrl(s.cropUrl)} alt={s.plate?.text ?? labelText(s.label, t) ?? t(`sightings.kind.${s.kind}`)} loading="lazy" className="thumb" data-testid="sighting-thumb" />
                    ) : (
                      <span className="thumb thumb-none">{t('sightings.noImage')}</span>
                    )}
                  </td>
                  <td className="mono">
                    {formatDateTime(s.observedAt)}
                    {fresh && <span className="badge badge-new">{t('sightings.new')}</span>}
                  </td>
                  <td>{cameraName(s)}</td>
                  <td>
                    <span className={`tag tag-kind kind-${s.kind}`}>{t(`sightings.kind.${s.kind}`)}</span>
                  </td>
                  <td>
                    {s.plate ? <PlateChip text={s.plate.text} colour={s.plate.colour} layers={s.plate.layers} t={t} /> : labelText(s.label, t)}
                    {s.plate && s.label && <span className="muted"> · {labelText(s.label, t)}</span>}
                    {s.quality !== null && (
                      <span className="muted">
                        {s.plate || s.label ? ' · ' : ''}
                        {t('sightings.quality', { value: s.quality.toFixed(2) })}
                      </span>
                    )}
                    {!s.plate && !s.label && s.quality === null && t('common.none')}
                  </td>
                  <td className="mono">{Math.round(s.score * 100)}%</td>
                  <td>
                    <span className={s.stage === 'final' ? 'badge badge-ok' : 'badge badge-early'}>{t(`sightings.stage.${s.stage}`)}</span>
                  </td>
                  <td className="cell-actions">
                    <a className="btn btn-small" href={playback} title={t('sightings.playbackTitle', { camera: cameraName(s), time: formatDateTime(s.observedAt) })} data-action="playback">
                      <Icon name="playback" />
                      <span>{t('sightings.playback')}</span>
                    </a>
                    {s.frameUrl && (
                      <a className="btn btn-small btn-ghost" href={api.evidenceUrl(s.frameUrl)} target="_blank" rel="noreferrer" title={t('sightings.frameTitle')} data-action="frame">
                        {t('sightings.frame')}
                      </a>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {loading && rows.length === 0 && <div className="table-empty">{t('common.loading')}</div>}
        {!loading && error === null && rows.length === 0 && (
          <div className="table-empty" data-testid="sightings-empty">
            {t('sightings.empty')}
          </div>
        )}
        {nextCursor && (
          <div className="table-more">
            <button type="button" className="btn" onClick={() => void loadMore()} disabled={loadingMore} data-testid="sightings-more">
              {loadingMore ? t('common.loading') : t('sightings.loadMore')}
            </button>
          </div>
        )}
      </div>
    </section>
  );
}

/** A plate drawn in its colour (blue, yellow, green new-energy, white, black). */
function PlateChip({ text, colour, layers, t }: { text: string; colour: SightingPlate['colour']; layers: SightingPlate['layers']; t: Translate }) {
  return (
    <span className={`plate-chip plate-${colour ?? 'unknown'}${layers === 2 ? ' plate-double' : ''}`} title={colour ? t(`sightings.colour.${colour}`) : undefined} data-colour={colour ?? ''}>
      {text}
    </span>
  );
}
