import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'react';
import type { Camera, Site } from '../../../../contracts/api.ts';
import type { WallLayout } from '../../../../contracts/media.ts';
import { hasPermission } from '../../../../contracts/roles.ts';
import { ErrorBanner } from '../components/error-banner.tsx';
import { Flash, useFlash } from '../components/flash.tsx';
import { Icon } from '../components/icon.tsx';
import { Popover } from '../components/popover.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { hrefFor, useHashQueryString } from '../shell/hash-route.ts';
import { useCameras } from '../state/use-cameras.ts';
import { useSignedIn } from '../state/session.tsx';
import { CameraTree, filterGroups, groupCameras } from '../wall/camera-tree.tsx';
import { isReportedDown, type TileState } from '../wall/live-viewer.ts';
import { GridGlyph, LayoutsPanel } from '../wall/layouts-panel.tsx';
import { PtzPad } from '../wall/ptz-pad.tsx';
import { TourPanel } from '../wall/tour-panel.tsx';
import {
  camerasFromQuery,
  gridSide,
  INITIAL_WALL,
  layoutInputOf,
  openCamerasAction,
  restoreWall,
  sortLayouts,
  storeWall,
  tourTileIndex,
  WALL_GRID_LIST,
  wallReducer,
  type WallState,
  type WallTour,
} from '../wall/wall-model.ts';
import { installWallTestHook } from '../wall/wall-test-hook.ts';
import { WallTile } from '../wall/wall-tile.tsx';

/**
 * The video wall (视频墙): live video in 1 to 36 tiles, cameras from a tree grouped by site,
 * per-tile health, one tile full screen, a PTZ pad, tours and layouts saved per user.
 */
export function WallScreen() {
  const { t, locale } = useI18n();
  const { api, user } = useSignedIn();
  const list = useCameras();
  const [sites, setSites] = useState<Site[]>([]);
  const [wall, dispatch] = useReducer(wallReducer, user.id, (userId): WallState => {
    const restored = restoreWall(userId);
    return restored ? wallReducer(INITIAL_WALL, restored) : INITIAL_WALL;
  });
  const [filter, setFilter] = useState('');
  const [menu, setMenu] = useState<'tour' | 'layouts' | null>(null);
  const [ptzTile, setPtzTile] = useState<number | null>(null);
  const [layouts, setLayouts] = useState<WallLayout[] | null>(null);
  const [layoutsError, setLayoutsError] = useState<unknown>(null);
  const [tileStates, setTileStates] = useState<ReadonlyMap<number, TileState>>(new Map());
  const [wallFullScreen, setWallFullScreen] = useState(false);
  const [flash, showFlash] = useFlash(4000);
  const gridRef = useRef<HTMLDivElement>(null);
  const canPtz = hasPermission(user.roles, 'cameras.control');

  useEffect(() => installWallTestHook(), []);

  // Opened with given cameras (`#/wall?cameras=<id>,…`, e.g. an incident's nearby cameras): they
  // replace the wall in a grid big enough; the query then leaves the address, so that going back to
  // the wall later shows it as the user left it.
  const query = useHashQueryString();
  useEffect(() => {
    const ids = camerasFromQuery(query);
    if (!ids) return;
    dispatch(openCamerasAction(ids));
    setPtzTile(null);
    window.history.replaceState(window.history.state, '', hrefFor('wall'));
  }, [query]);
  useEffect(() => storeWall(user.id, wall), [user.id, wall]);

  useEffect(() => {
    let cancelled = false;
    api.listSites().then(
      (reply) => !cancelled && setSites(reply.items),
      () => undefined, // the tree works without site names ("no site")
    );
    return () => {
      cancelled = true;
    };
  }, [api]);

  const loadLayouts = useCallback(() => {
    let cancelled = false;
    setLayoutsError(null);
    api.listLayouts().then(
      (reply) => !cancelled && setLayouts(sortLayouts(reply.items)),
      (error: unknown) => {
        if (cancelled) return;
        setLayouts(null);
        setLayoutsError(error);
      },
    );
    return () => {
      cancelled = true;
    };
  }, [api]);
  useEffect(() => loadLayouts(), [loadLayouts]);

  // A camera removed elsewhere leaves the wall.
  useEffect(() => {
    if (list.loading || list.error) return;
    for (const id of new Set(wall.tiles)) if (id && !list.byId.has(id)) dispatch({ type: 'camera-removed', cameraId: id });
  }, [list.byId, list.loading, list.error, wall.tiles]);

  // Escape leaves the full-screen tile.
  useEffect(() => {
    if (wall.maximized === null) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') dispatch({ type: 'maximize', index: null });
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [wall.maximized]);

  useEffect(() => {
    const onChange = () => setWallFullScreen(document.fullscreenElement !== null && document.fullscreenElement === gridRef.current);
    document.addEventListener('fullscreenchange', onChange);
    return () => document.removeEventListener('fullscreenchange', onChange);
  }, []);

  // The tour: every interval the wall (or its one tile) moves on, skipping cameras reported down.
  const byIdRef = useRef(list.byId);
  byIdRef.current = list.byId;
  const tour = wall.tour;
  useEffect(() => {
    if (!wall.touring || !tour) return;
    const timer = window.setInterval(() => dispatch({ type: 'tour-advance', cameraIds: tourCameras(tour, byIdRef.current) }), tour.intervalSeconds * 1000);
    return () => window.clearInterval(timer);
  }, [wall.touring, tour]);

  const onWall = useMemo(() => new Set(wall.tiles.slice(0, wall.grid).filter((id): id is string => id !== null)), [wall.tiles, wall.grid]);
  const filteredCameras = useMemo(() => filterGroups(groupCameras(list.cameras, sites, locale), filter).flatMap((g) => g.cameras), [list.cameras, sites, locale, filter]);

  const onTileState = useCallback((index: number, state: TileState) => {
    setTileStates((current) => {
      if (current.get(index) === state) return current;
      const next = new Map(current);
      next.set(index, state);
      return next;
    });
  }, []);

  const shownStates = Array.from({ length: wall.grid }, (_, i) => (wall.tiles[i] ? (tileStates.get(i) ?? 'connecting') : 'empty'));
  const count = (s: TileState) => shownStates.filter((x) => x === s).length;
  const playing = count('playing');
  const troubled = count('offline') + count('error');
  const side = gridSide(wall.grid);
  const ptzCamera = canPtz && ptzTile !== null && ptzTile < wall.grid ? list.byId.get(wall.tiles[ptzTile] ?? '') : undefined;

  const startTour = (next: WallTour) => {
    dispatch({ type: 'tour-start', tour: next, cameraIds: tourCameras(next, list.byId) });
    setMenu(null);
  };

  const saveLayout = async (name: string) => {
    const saved = await api.saveLayout(name, layoutInputOf(wall));
    setLayouts((current) => sortLayouts([...(current ?? []).filter((l) => l.name !== saved.name), saved]));
    dispatch({ type: 'named', name: saved.name });
    setMenu(null);
    showFlash(t('wall.layouts.saved', { name: saved.name }));
  };

  const deleteLayout = async (name: string) => {
    await api.deleteLayout(name);
    setLayouts((current) => (current ?? []).filter((l) => l.name !== name));
    if (wall.layoutName === name) dispatch({ type: 'named', name: null });
  };

  const loadLayout = (layout: WallLayout) => {
    dispatch({ type: 'load', layout, name: layout.name });
    setMenu(null);
    setPtzTile(null);
    showFlash(t('wall.layouts.loaded', { name: layout.name }));
  };

  const toggleWallFullScreen = () => {
    if (document.fullscreenElement) void document.exitFullscreen().catch(() => undefined);
    else void gridRef.current?.requestFullscreen().catch(() => undefined);
  };

  const tourTile = wall.touring && wall.tour?.scope === 'tile' ? tourTileIndex(wall.tour, wall.grid) : null;

  return (
    <section className="wall-screen" data-testid="wall-screen">
      <aside className="wall-side">
        <header className="side-head">
          <Icon name="cameras" />
          <span className="side-title">{t('tree.title')}</span>
          <span className="side-count">{t('tree.count', { online: list.cameras.filter((c) => c.status === 'online' || c.status === 'degraded').length, total: list.cameras.length })}</span>
        </header>
        {list.error && <ErrorBanner error={list.error} onRetry={list.reload} className="side-banner" />}
        <CameraTree
          cameras={list.cameras}
          sites={sites}
          loading={list.loading}
          mode="wall"
          marked={onWall}
          filter={filter}
          onFilterChange={setFilter}
          onActivate={(camera: Camera) => dispatch({ type: 'assign-next-free', cameraId: camera.id })}
        />
        {ptzCamera?.ptz && <PtzPad key={ptzCamera.id} camera={ptzCamera} api={api} onClose={() => setPtzTile(null)} />}
      </aside>

      <div className="wall-main">
        <div className="wall-toolbar" role="toolbar" aria-label={t('wall.toolbar')}>
          <div className="segmented grid-buttons" role="group" aria-label={t('wall.layout')}>
            {WALL_GRID_LIST.map((g) => (
              <button
                key={g}
                type="button"
                className={g === wall.grid ? 'segment active' : 'segment'}
                aria-pressed={g === wall.grid}
                title={t('wall.gridTitle', { count: g })}
                data-testid={`grid-${g}`}
                onClick={() => dispatch({ type: 'grid', grid: g })}
              >
                <GridGlyph grid={g} />
                <span className="grid-count">{g}</span>
              </button>
            ))}
          </div>

          <span className="toolbar-sep" />

          <Popover
            open={menu === 'tour'}
            onClose={() => setMenu(null)}
            anchor={
              <button type="button" className={wall.touring ? 'btn btn-small btn-on' : 'btn btn-small'} onClick={() => setMenu(menu === 'tour' ? null : 'tour')} aria-expanded={menu === 'tour'} data-testid="tour-toggle">
                <Icon name="tour" />
                <span>{t('wall.tour.button')}</span>
              </button>
            }
          >
            <TourPanel
              cameras={list.cameras}
              sites={sites}
              filtered={filteredCameras}
              filterText={filter}
              grid={wall.grid}
              selected={wall.selected}
              tour={wall.tour}
              touring={wall.touring}
              onStart={startTour}
              onStop={() => {
                dispatch({ type: 'tour-stop' });
                setMenu(null);
              }}
            />
          </Popover>

          <Popover
            open={menu === 'layouts'}
            onClose={() => setMenu(null)}
            anchor={
              <button type="button" className="btn btn-small" onClick={() => setMenu(menu === 'layouts' ? null : 'layouts')} aria-expanded={menu === 'layouts'} data-testid="layouts-toggle">
                <Icon name="layout" />
                <span>{t('wall.layouts.button')}</span>
                {wall.layoutName && <span className="btn-note" data-testid="layout-current">{wall.layoutName}</span>}
              </button>
            }
          >
            <LayoutsPanel layouts={layouts} error={layoutsError} current={wall.layoutName} onLoad={loadLayout} onSave={saveLayout} onDelete={deleteLayout} onReload={loadLayouts} />
          </Popover>

          <button type="button" className="btn btn-small btn-ghost" onClick={() => dispatch({ type: 'clear' })} disabled={onWall.size === 0} data-testid="wall-clear" title={t('wall.clearTitle')}>
            <Icon name="clear" />
            <span>{t('wall.clear')}</span>
          </button>

          {wall.touring && wall.tour && (
            <span className="tour-chip" data-testid="tour-chip">
              <span className="tour-chip-dot" aria-hidden="true" />
              {wall.tour.scope === 'wall'
                ? t('wall.tour.chipWall', { count: wall.tour.cameraIds.length, seconds: wall.tour.intervalSeconds })
                : t('wall.tour.chipTile', { count: wall.tour.cameraIds.length, seconds: wall.tour.intervalSeconds, index: (tourTile ?? 0) + 1 })}
              <button type="button" className="tour-chip-stop" onClick={() => dispatch({ type: 'tour-stop' })} title={t('wall.tour.stop')} aria-label={t('wall.tour.stop')}>
                <Icon name="stop" />
              </button>
            </span>
          )}

          <span className="toolbar-spacer" />
          <Flash message={flash} />
          <span className="wall-summary" data-testid="wall-summary">
            <span className="sum sum-playing" title={t('wall.sum.playing')}>
              <span className="dot" aria-hidden="true" />
              {playing}
            </span>
            <span className={troubled > 0 ? 'sum sum-trouble active' : 'sum sum-trouble'} title={t('wall.sum.trouble')}>
              <span className="dot" aria-hidden="true" />
              {troubled}
            </span>
            <span className="sum-total">{t('wall.sum.tiles', { used: onWall.size, grid: wall.grid })}</span>
          </span>
          <button type="button" className="icon-btn icon-btn-small" onClick={toggleWallFullScreen} title={wallFullScreen ? t('wall.exitFullScreen') : t('wall.fullScreen')} aria-label={wallFullScreen ? t('wall.exitFullScreen') : t('wall.fullScreen')} data-testid="wall-fullscreen">
            <Icon name={wallFullScreen ? 'shrink' : 'expand'} />
          </button>
        </div>

        <div
          ref={gridRef}
          className={wall.maximized !== null ? 'wall-grid has-max' : 'wall-grid'}
          data-testid="wall-grid"
          data-grid={wall.grid}
          style={{ gridTemplateColumns: `repeat(${side}, minmax(0, 1fr))`, gridTemplateRows: `repeat(${side}, minmax(0, 1fr))` }}
        >
          {Array.from({ length: wall.grid }, (_, i) => (
            <WallTileSlot
              key={i}
              index={i}
              wall={wall}
              camera={list.byId.get(wall.tiles[i] ?? '')}
              api={api}
              touring={wall.touring && (wall.tour?.scope === 'wall' || tourTile === i)}
              ptz={canPtz}
              dispatch={dispatch}
              onPtz={(index) => {
                dispatch({ type: 'select', index });
                setPtzTile((current) => (current === index ? null : index));
              }}
              onState={onTileState}
            />
          ))}
        </div>
      </div>
    </section>
  );
}

/** The cameras a tour shows next: those still known and not reported down (all known ones if every one is down). */
function tourCameras(tour: WallTour, byId: ReadonlyMap<string, Camera>): string[] {
  const known = tour.cameraIds.filter((id) => byId.size === 0 || byId.has(id));
  const up = known.filter((id) => !isReportedDown(byId.get(id)?.status));
  return up.length > 0 ? up : known;
}

function WallTileSlot(props: {
  index: number;
  wall: WallState;
  camera: Camera | undefined;
  api: ReturnType<typeof useSignedIn>['api'];
  touring: boolean;
  /** The user may steer PTZ cameras. */
  ptz: boolean;
  dispatch: (action: Parameters<typeof wallReducer>[1]) => void;
  onPtz(index: number): void;
  onState(index: number, state: TileState): void;
}) {
  const { index, wall, dispatch } = props;
  const cameraId = wall.tiles[index] ?? null;
  return (
    <WallTile
      index={index}
      cameraId={cameraId}
      camera={props.camera}
      api={props.api}
      selected={wall.selected === index}
      maximized={wall.maximized === index}
      touring={props.touring && cameraId !== null}
      ptzAllowed={props.ptz}
      onSelect={(i) => dispatch({ type: 'select', index: i })}
      onClose={(i) => dispatch({ type: 'assign', index: i, cameraId: null })}
      onDropCamera={(i, id) => dispatch({ type: 'assign', index: i, cameraId: id })}
      onSwap={(from, to) => dispatch({ type: 'swap', from, to })}
      onToggleMaximize={(i) => dispatch({ type: 'maximize', index: wall.maximized === i ? null : i })}
      onPtz={props.onPtz}
      onState={props.onState}
    />
  );
}
