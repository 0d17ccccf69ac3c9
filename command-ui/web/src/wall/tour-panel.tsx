import { useMemo, useState } from 'react';
import type { Camera, Site } from '../../../../contracts/api.ts';
import { useI18n } from '../i18n/i18n.tsx';
import { groupCameras } from './camera-tree.tsx';
import { MAX_TOUR_SECONDS, MIN_TOUR_SECONDS, type WallGrid, type WallTour } from './wall-model.ts';

/** Most cameras one tour may hold (contracts/media.ts). */
const MAX_TOUR_CAMERAS = 500;

/**
 * The tour (轮巡) settings: which cameras (every camera, a site, the cameras without a site, or
 * those matching the tree's filter), how long each is shown, and whether the whole wall moves on
 * by one page or only one tile cycles.
 */
export function TourPanel(props: {
  cameras: readonly Camera[];
  sites: readonly Site[];
  /** Cameras the tree shows for its current filter, in tree order. */
  filtered: readonly Camera[];
  filterText: string;
  grid: WallGrid;
  selected: number;
  tour: WallTour | null;
  touring: boolean;
  onStart(tour: WallTour): void;
  onStop(): void;
}) {
  const { t, locale } = useI18n();
  const groups = useMemo(() => groupCameras(props.cameras, props.sites, locale), [props.cameras, props.sites, locale]);
  const ordered = useMemo(() => groups.flatMap((g) => g.cameras), [groups]);
  const [source, setSource] = useState<string>('all');
  const [interval, setIntervalText] = useState(String(props.tour?.intervalSeconds ?? 10));
  const [scope, setScope] = useState<WallTour['scope']>(props.tour?.scope ?? 'wall');
  const [tile, setTile] = useState(Math.min(props.tour?.tileIndex ?? props.selected, props.grid - 1));

  const chosen: readonly Camera[] =
    source === 'all'
      ? ordered
      : source === 'filter'
        ? props.filtered
        : source === 'nosite'
          ? (groups.find((g) => g.siteId === null)?.cameras ?? [])
          : (groups.find((g) => `site:${g.siteId}` === source)?.cameras ?? []);
  const seconds = Number(interval);
  const intervalValid = Number.isInteger(seconds) && seconds >= MIN_TOUR_SECONDS && seconds <= MAX_TOUR_SECONDS;
  const canStart = chosen.length > 0 && intervalValid;

  const start = () => {
    if (!canStart) return;
    props.onStart({
      cameraIds: chosen.slice(0, MAX_TOUR_CAMERAS).map((c) => c.id),
      intervalSeconds: seconds,
      scope,
      tileIndex: scope === 'tile' ? tile : null,
    });
  };

  return (
    <form
      className="menu-panel tour-panel"
      data-testid="tour-panel"
      onSubmit={(event) => {
        event.preventDefault();
        start();
      }}
    >
      <div className="menu-title">{t('wall.tour.title')}</div>
      {props.touring && props.tour && (
        <div className="banner banner-info tour-running" data-testid="tour-running">
          {t('wall.tour.runningDetail', { count: props.tour.cameraIds.length, seconds: props.tour.intervalSeconds })}
        </div>
      )}
      <label className="field">
        <span className="field-label">{t('wall.tour.cameras')}</span>
        <select value={source} onChange={(e) => setSource(e.target.value)} data-testid="tour-source">
          <option value="all">{t('wall.tour.allCameras', { count: ordered.length })}</option>
          {props.filterText.trim() && <option value="filter">{t('wall.tour.filtered', { filter: props.filterText.trim(), count: props.filtered.length })}</option>}
          {groups.map((g) =>
            g.site ? (
              <option key={g.site.id} value={`site:${g.site.id}`}>
                {g.site.name} ({g.cameras.length})
              </option>
            ) : (
              <option key="nosite" value="nosite">
                {t('tree.noSite')} ({g.cameras.length})
              </option>
            ),
          )}
        </select>
      </label>
      <label className="field">
        <span className="field-label">{t('wall.tour.interval')}</span>
        <span className="input-unit">
          <input
            type="number"
            min={MIN_TOUR_SECONDS}
            max={MAX_TOUR_SECONDS}
            step={1}
            value={interval}
            onChange={(e) => setIntervalText(e.target.value)}
            aria-invalid={!intervalValid}
            data-testid="tour-interval"
          />
          <span className="unit">{t('wall.tour.seconds')}</span>
        </span>
        {!intervalValid && <span className="field-error">{t('wall.tour.intervalRule', { min: MIN_TOUR_SECONDS, max: MAX_TOUR_SECONDS })}</span>}
      </label>
      <fieldset className="fieldset">
        <legend>{t('wall.tour.scope')}</legend>
        <label className="check">
          <input type="radio" name="tour-scope" checked={scope === 'wall'} onChange={() => setScope('wall')} data-testid="tour-scope-wall" />
          <span>{t('wall.tour.scopeWall')}</span>
        </label>
        <label className="check">
          <input type="radio" name="tour-scope" checked={scope === 'tile'} onChange={() => setScope('tile')} data-testid="tour-scope-tile" />
          <span>{t('wall.tour.scopeTile')}</span>
          <select className="select-inline" value={tile} disabled={scope !== 'tile'} onChange={(e) => setTile(Number(e.target.value))} data-testid="tour-tile" aria-label={t('wall.tour.tile')}>
            {Array.from({ length: props.grid }, (_, i) => (
              <option key={i} value={i}>
                {t('wall.tour.tileNumber', { index: i + 1 })}
              </option>
            ))}
          </select>
        </label>
      </fieldset>
      <p className="menu-hint">{scope === 'wall' ? t('wall.tour.hintWall', { grid: props.grid }) : t('wall.tour.hintTile')}</p>
      <div className="menu-actions">
        {props.touring && (
          <button type="button" className="btn" onClick={props.onStop} data-testid="tour-stop">
            {t('wall.tour.stop')}
          </button>
        )}
        <button type="submit" className="btn btn-primary" disabled={!canStart} data-testid="tour-start">
          {props.touring ? t('wall.tour.restart') : t('wall.tour.start')}
        </button>
      </div>
    </form>
  );
}
