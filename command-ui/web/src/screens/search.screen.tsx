import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent, type FormEvent } from 'react';
import type { FaceSearchResult, Sighting, Trajectory } from '../../../../contracts/sightings.ts';
import { issuesFor } from '../api/client.ts';
import { ErrorBanner } from '../components/error-banner.tsx';
import { Field } from '../components/field.tsx';
import { Icon } from '../components/icon.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { ArgusMap, type MapPolyline } from '../map/argus-map.tsx';
import { scorePercent, trajectoryView, type TrajectoryRow } from '../search/trajectory-view.ts';
import { fromLocalInput } from '../sightings/sighting-list.ts';
import { useCameras } from '../state/use-cameras.ts';
import { useSignedIn } from '../state/session.tsx';
import '../styles/sightings.css';
import '../styles/search.css';

/**
 * Search (检索): a vehicle's trajectory (its plate reads across cameras and checkpoints, in time
 * order, on a list and on the map) and face search by photo (the stored face sightings most like
 * the one face in an uploaded photo).
 */
type Tab = 'trajectory' | 'face';

export function SearchScreen() {
  const { t } = useI18n();
  const [tab, setTab] = useState<Tab>('trajectory');
  return (
    <section className="screen search-screen" data-testid="search-screen" data-tab={tab}>
      <header className="screen-header">
        <h1 className="screen-title">{t('search.title')}</h1>
        <div className="segmented search-tabs" role="tablist" aria-label={t('search.tabs')}>
          {(['trajectory', 'face'] as const).map((id) => (
            <button
              key={id}
              type="button"
              role="tab"
              id={`search-tab-${id}`}
              aria-selected={tab === id}
              aria-controls={`search-panel-${id}`}
              className={tab === id ? 'segment active' : 'segment'}
              data-testid={`search-tab-${id}`}
              onClick={() => setTab(id)}
            >
              {t(`search.tab.${id}`)}
            </button>
          ))}
        </div>
      </header>
      {/* Both stay mounted, so that switching tabs keeps each search and its results. */}
      <div role="tabpanel" id="search-panel-trajectory" aria-labelledby="search-tab-trajectory" hidden={tab !== 'trajectory'} className="search-panel">
        <TrajectoryPanel />
      </div>
      <div role="tabpanel" id="search-panel-face" aria-labelledby="search-tab-face" hidden={tab !== 'face'} className="search-panel">
        <FacePanel />
      </div>
    </section>
  );
}

// ---------- vehicle trajectory ----------

function TrajectoryPanel() {
  const { t, formatDateTime } = useI18n();
  const { api } = useSignedIn();
  const cameras = useCameras();
  const [plate, setPlate] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [result, setResult] = useState<Trajectory | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [missingPlate, setMissingPlate] = useState(false);
  const [loading, setLoading] = useState(false);
  const [selected, setSelected] = useState<string | null>(null);
  const abortRef = useRef<AbortController | null>(null);
  useEffect(() => () => abortRef.current?.abort(), []);

  const cameraName = useCallback((s: Sighting) => s.cameraName ?? cameras.byId.get(s.cameraId)?.name ?? t('common.none'), [cameras.byId, t]);
  const view = useMemo(
    () => trajectoryView(result?.points ?? [], (row) => t('search.trajectory.markerTitle', { number: row.number, camera: cameraName(row.point.sighting), time: formatDateTime(row.point.sighting.observedAt) })),
    [result, t, cameraName, formatDateTime],
  );
  const polylines = useMemo<MapPolyline[]>(() => (view.line.length >= 2 ? [{ id: 'trajectory', points: view.line }] : []), [view.line]);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const text = plate.trim();
    setMissingPlate(text.length === 0);
    if (!text) return;
    abortRef.current?.abort();
    const abort = new AbortController();
    abortRef.current = abort;
    setLoading(true);
    setError(null);
    setSelected(null);
    api.trajectory({ plate: text, from: fromLocalInput(from), to: fromLocalInput(to) }, abort.signal).then(
      (reply) => {
        setResult(reply);
        setLoading(false);
      },
      (caught: unknown) => {
        if (abort.signal.aborted) return;
        setError(caught);
        setResult(null);
        setLoading(false);
      },
    );
  };

  // Clicking a row selects its marker (and the map centres it); clicking a marker selects and shows its row.
  const listRef = useRef<HTMLOListElement>(null);
  const selectFromMap = useCallback((id: string) => {
    setSelected(id);
    const row = listRef.current?.querySelector<HTMLElement>(`[data-sighting-id="${CSS.escape(id)}"]`);
    row?.scrollIntoView({ block: 'nearest' });
  }, []);

  return (
    <div className="trajectory-panel" data-testid="trajectory-panel">
      <form className="search-form" onSubmit={onSubmit} aria-label={t('search.trajectory.form')} data-testid="trajectory-form" noValidate>
        <Field
          name="plate"
          label={t('search.trajectory.plate')}
          error={missingPlate ? t('search.trajectory.plateRequired') : issuesFor(error, 'plate')}
          hint={t('search.trajectory.plateHint')}
          className="field-plate"
        >
          {(a) => <input {...a} name="plate" value={plate} onChange={(e) => setPlate(e.target.value)} placeholder={t('search.trajectory.platePlaceholder')} autoComplete="off" spellCheck={false} className="mono" />}
        </Field>
        <Field name="from" label={t('search.from')} error={issuesFor(error, 'from')} hint={t('search.rangeHint')}>
          {(a) => <input {...a} name="from" type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} />}
        </Field>
        <Field name="to" label={t('search.to')} error={issuesFor(error, 'to')}>
          {(a) => <input {...a} name="to" type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} />}
        </Field>
        <SearchSubmit loading={loading} testId="trajectory-search" />
      </form>

      {error !== null && <ErrorBanner error={error} />}

      {result === null && error === null && !loading && <p className="search-intro muted">{t('search.trajectory.intro')}</p>}

      {result !== null && result.points.length === 0 && (
        <div className="search-empty" data-testid="trajectory-empty">
          {t('search.trajectory.empty', { plate: result.plate })}
        </div>
      )}

      {result !== null && result.points.length > 0 && (
        <>
          <div className="search-summary" data-testid="trajectory-summary">
            <span>{t('search.trajectory.summary', { count: result.points.length, plate: result.plate, cameras: result.cameras, sites: result.sites })}</span>
            {view.unpositioned > 0 && <span className="muted">{t('search.trajectory.unpositioned', { count: view.unpositioned })}</span>}
          </div>
          {result.truncated && (
            <div className="banner banner-warning" data-testid="trajectory-truncated">
              {t('search.trajectory.truncated')}
            </div>
          )}
          <div className="trajectory-body">
            <ol className="trajectory-list" ref={listRef} aria-label={t('search.trajectory.list')} data-testid="trajectory-list">
              {view.rows.map((row) => (
                <TrajectoryItem key={row.point.sighting.id} row={row} selected={row.point.sighting.id === selected} cameraName={cameraName(row.point.sighting)} onSelect={setSelected} />
              ))}
            </ol>
            <ArgusMap className="trajectory-map" markers={view.markers} polylines={polylines} selectedId={selected} onSelect={selectFromMap} ariaLabel={t('search.trajectory.map')} />
          </div>
        </>
      )}
    </div>
  );
}

function TrajectoryItem({ row, selected, cameraName, onSelect }: { row: TrajectoryRow; selected: boolean; cameraName: string; onSelect: (id: string) => void }) {
  const { t, formatDateTime } = useI18n();
  const { api } = useSignedIn();
  const s = row.point.sighting;
  return (
    <li
      className={`trajectory-row${selected ? ' selected' : ''}${row.position ? '' : ' no-position'}`}
      data-testid="trajectory-row"
      data-sighting-id={s.id}
      data-positioned={row.position !== null}
      data-selected={selected}
    >
      <button type="button" className="trajectory-row-button" aria-pressed={selected} onClick={() => onSelect(s.id)}>
        <span className={`trajectory-number${row.position ? '' : ' trajectory-number-none'}`} aria-hidden="true">
          {row.number}
        </span>
        {s.cropUrl ? (
          <img src={api.evidenceUrl(s.cropUrl)} alt={s.plate?.text ?? ''} loading="lazy" className="thumb" data-testid="trajectory-thumb" />
        ) : (
          <span className="thumb thumb-none">{t('search.noImage')}</span>
        )}
        <span className="trajectory-details">
          <span className="trajectory-line">
            <span className="mono" title={t('search.col.time')}>
              {formatDateTime(s.observedAt)}
            </span>
            {s.plate && (
              <span className={`plate-chip plate-${s.plate.colour ?? 'unknown'}${s.plate.layers === 2 ? ' plate-double' : ''}`} title={t('search.col.plate')} data-testid="trajectory-plate">
                {s.plate.text}
              </span>
            )}
            <span className="mono muted" title={t('search.col.score')}>
              {Math.round(s.score * 100)}%
            </span>
          </span>
          <span className="trajectory-line">
            <span title={t('search.col.camera')} data-testid="trajectory-camera">
              {cameraName}
            </span>
            {row.point.siteName && (
              <span className="muted" title={t('search.col.site')} data-testid="trajectory-site">
                · {row.point.siteName}
              </span>
            )}
            {!row.position && (
              <span className="tag tag-no-position" title={t('search.trajectory.noPositionTitle')} data-testid="trajectory-no-position">
                {t('search.trajectory.noPosition')}
              </span>
            )}
          </span>
        </span>
      </button>
    </li>
  );
}

// ---------- face search by photo ----------

const PHOTO_TYPES = ['image/jpeg', 'image/png'];

function FacePanel() {
  const { t, formatDateTime } = useI18n();
  const { api } = useSignedIn();
  const cameras = useCameras();
  const [file, setFile] = useState<File | null>(null);
  const [preview, setPreview] = useState<string | null>(null);
  const [fileProblem, setFileProblem] = useState<'badType' | 'photoRequired' | null>(null);
  const [dragging, setDragging] = useState(false);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [cameraIds, setCameraIds] = useState<string[]>([]);
  const [minScore, setMinScore] = useState('');
  const [k, setK] = useState('20');
  const [result, setResult] = useState<FaceSearchResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);

  // The preview address lives as long as its file is shown.
  useEffect(() => {
    if (!file) {
      setPreview(null);
      return;
    }
    const url = URL.createObjectURL(file);
    setPreview(url);
    return () => URL.revokeObjectURL(url);
  }, [file]);

  const choose = (chosen: File | undefined | null) => {
    if (!chosen) return;
    if (!PHOTO_TYPES.includes(chosen.type)) {
      setFileProblem('badType');
      return;
    }
    setFileProblem(null);
    setFile(chosen);
    setResult(null);
    setError(null);
  };

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    choose(event.dataTransfer.files[0]);
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (!file) {
      setFileProblem('photoRequired');
      return;
    }
    const min = minScore.trim() === '' ? undefined : Number(minScore) / 100;
    const top = k.trim() === '' ? undefined : Number(k);
    setLoading(true);
    setError(null);
    api.faceSearch(file, { cameraIds, from: fromLocalInput(from), to: fromLocalInput(to), minScore: min, k: top }).then(
      (reply) => {
        setResult(reply);
        setLoading(false);
      },
      (caught: unknown) => {
        setError(caught);
        setResult(null);
        setLoading(false);
      },
    );
  };

  const items = useMemo(() => (result ? [...result.items].sort((a, b) => b.score - a.score) : []), [result]);
  const cameraName = (s: Sighting) => s.cameraName ?? cameras.byId.get(s.cameraId)?.name ?? t('common.none');
  const photoError = fileProblem ? t(`search.face.${fileProblem}`) : issuesFor(error, 'photo') ?? issuesFor(error, 'body');

  return (
    <div className="face-panel" data-testid="face-panel">
      <form className="search-form face-form" onSubmit={onSubmit} aria-label={t('search.face.form')} data-testid="face-form" noValidate>
        <div
          className={`face-drop${dragging ? ' dragging' : ''}${photoError ? ' field-invalid' : ''}`}
          data-testid="face-drop"
          onDragOver={(e) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={onDrop}
        >
          {preview ? (
            <figure className="face-probe">
              <img src={preview} alt={t('search.face.probe')} data-testid="face-probe" />
              <figcaption className="muted">
                {t('search.face.probe')}
                {result && <> · {t('search.face.probeQuality', { value: result.probe.quality.toFixed(2), model: result.probe.model })}</>}
              </figcaption>
            </figure>
          ) : (
            <Icon name="search" />
          )}
          <div className="face-drop-text">
            <label className="btn" htmlFor="face-photo-input">
              {file ? t('search.face.change') : t('search.face.choose')}
            </label>
            <input
              id="face-photo-input"
              className="visually-hidden-file"
              type="file"
              name="photo"
              accept={PHOTO_TYPES.join(',')}
              aria-label={t('search.face.photo')}
              data-testid="face-photo"
              onChange={(e) => {
                choose(e.target.files?.[0]);
                e.target.value = '';
              }}
            />
            <span className="muted">{file ? file.name : t('search.face.drop')}</span>
            {photoError && (
              <div className="field-error" role="alert" data-testid="face-photo-error">
                {photoError}
              </div>
            )}
          </div>
        </div>
        <div className="face-criteria">
          <Field name="from" label={t('search.from')} error={issuesFor(error, 'from')} hint={t('search.rangeHint')}>
            {(a) => <input {...a} name="from" type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} />}
          </Field>
          <Field name="to" label={t('search.to')} error={issuesFor(error, 'to')}>
            {(a) => <input {...a} name="to" type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} />}
          </Field>
          <Field name="cameraIds" label={t('search.face.cameras')} error={issuesFor(error, 'cameraIds')} hint={t('search.face.camerasHint')} className="field-cameras">
            {(a) => (
              <select {...a} name="cameraIds" multiple value={cameraIds} onChange={(e) => setCameraIds([...e.target.selectedOptions].map((o) => o.value))} size={Math.min(5, Math.max(3, cameras.cameras.length))}>
                {cameras.cameras.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field name="minScore" label={t('search.face.minScore')} error={issuesFor(error, 'minScore')} hint={t('search.face.minScoreHint')}>
            {(a) => <input {...a} name="minScore" type="number" min={0} max={100} step={1} value={minScore} onChange={(e) => setMinScore(e.target.value)} />}
          </Field>
          <Field name="k" label={t('search.face.k')} error={issuesFor(error, 'k')} hint={t('search.face.kHint')}>
            {(a) => <input {...a} name="k" type="number" min={1} max={200} step={1} value={k} onChange={(e) => setK(e.target.value)} />}
          </Field>
          <SearchSubmit loading={loading} testId="face-search" />
        </div>
      </form>

      {error !== null && <ErrorBanner error={error} />}
      {result === null && error === null && !loading && <p className="search-intro muted">{t('search.face.intro')}</p>}

      {result !== null && (
        <>
          <div className="search-summary" data-testid="face-summary">
            <span>{t('search.face.results', { count: items.length })}</span>
            <span className="muted">{t(`search.face.method.${result.method}`)}</span>
          </div>
          {items.length === 0 ? (
            <div className="search-empty" data-testid="face-empty">
              {t('search.face.empty')}
            </div>
          ) : (
            <ol className="face-results" data-testid="face-results">
              {items.map(({ sighting: s, score }, i) => {
                const percent = scorePercent(score);
                return (
                  <li key={s.id} className="face-card" data-testid="face-result" data-sighting-id={s.id} data-score={score.toFixed(4)}>
                    <span className="face-rank mono">{i + 1}</span>
                    {s.cropUrl ? (
                      <img src={api.evidenceUrl(s.cropUrl)} alt={t('sightings.kind.face')} loading="lazy" className="face-crop" data-testid="face-crop" />
                    ) : (
                      <span className="face-crop thumb-none">{t('search.noImage')}</span>
                    )}
                    <div className="face-score" title={t('search.face.score')}>
                      <span className="face-score-text mono" data-testid="face-score">
                        {t('search.face.score')} {percent}%
                      </span>
                      <span className="face-score-bar" aria-hidden="true">
                        <span style={{ width: `${percent}%` }} />
                      </span>
                    </div>
                    <div className="face-meta">
                      <span data-testid="face-camera">{cameraName(s)}</span>
                      <span className="mono muted">{formatDateTime(s.observedAt)}</span>
                    </div>
                  </li>
                );
              })}
            </ol>
          )}
        </>
      )}
    </div>
  );
}

/** A search form's submit button, showing that the search is running. */
function SearchSubmit(props: { loading: boolean; testId: string }) {
  const { t } = useI18n();
  return (
    <div className="search-form-actions">
      <button type="submit" className="btn btn-primary" data-testid={props.testId} disabled={props.loading}>
        <Icon name="search" />
        <span>{props.loading ? t('search.searching') : t('search.search')}</span>
      </button>
    </div>
  );
}
