import { useEffect, useRef, useState, type MouseEvent } from 'react';
import type { Camera } from '../../../../contracts/api.ts';
import { Icon } from '../components/icon.tsx';
import { StatusDot } from '../components/status-dot.tsx';
import { useI18n, type Translate } from '../i18n/i18n.tsx';
import { carriesWallDrop, readWallDrop, startTileDrag } from './drag.ts';
import type { LiveViewerApi, TileState, ViewerSnapshot, ViewerStats } from './live-viewer.ts';
import { useLiveViewer, useSecondTicker } from './use-live-viewer.ts';
import { registerTileProbe } from './wall-test-hook.ts';

export interface WallTileProps {
  index: number;
  cameraId: string | null;
  /** The tile's camera from the live camera list (undefined while loading or when it was removed). */
  camera: Camera | undefined;
  api: LiveViewerApi;
  selected: boolean;
  maximized: boolean;
  /** This tile is being cycled by a tour. */
  touring: boolean;
  /** The user may steer PTZ cameras (permission cameras.control). */
  ptzAllowed: boolean;
  onSelect(index: number): void;
  onClose(index: number): void;
  onDropCamera(index: number, cameraId: string): void;
  onSwap(from: number, to: number): void;
  onToggleMaximize(index: number): void;
  onPtz(index: number): void;
  /** Told whenever the tile's state changes (the wall's summary counts them). */
  onState?(index: number, state: TileState): void;
}

export function WallTile(props: WallTileProps) {
  const { t } = useI18n();
  const { index, cameraId, camera } = props;
  const { videoRef, snapshot, retry } = useLiveViewer(props.api, cameraId, camera);
  const [dropping, setDropping] = useState(false);
  const state = cameraId ? snapshot.state : 'empty';
  const now = useSecondTicker(snapshot.retryAt !== null);

  // The test hook reads the latest state through a ref, without re-registering on every change.
  const probeRef = useRef({ cameraId, state, framesDecoded: snapshot.stats.framesDecoded });
  probeRef.current = { cameraId, state, framesDecoded: snapshot.stats.framesDecoded };
  useEffect(() => registerTileProbe(index, () => ({ index, ...probeRef.current })), [index]);
  const { onState } = props;
  useEffect(() => onState?.(index, state), [onState, index, state]);

  const stop = (event: MouseEvent) => event.stopPropagation();
  const label = String(index + 1).padStart(2, '0');
  const classes = ['tile', `tile-${state}`];
  if (props.selected) classes.push('tile-selected');
  if (props.maximized) classes.push('tile-max');
  if (dropping) classes.push('tile-drop');

  return (
    <div
      className={classes.join(' ')}
      data-testid={`wall-tile-${index}`}
      data-camera-id={cameraId ?? undefined}
      data-state={state}
      role="group"
      aria-label={camera ? t('wall.tileLabel', { index: index + 1, name: camera.name }) : t('wall.tileEmptyLabel', { index: index + 1 })}
      tabIndex={0}
      draggable={cameraId !== null}
      onClick={() => props.onSelect(index)}
      onDoubleClick={() => cameraId && props.onToggleMaximize(index)}
      onKeyDown={(event) => {
        if (event.key === 'Enter' && cameraId && event.target === event.currentTarget) props.onToggleMaximize(index);
        if (event.key === 'Delete' && cameraId && event.target === event.currentTarget) props.onClose(index);
      }}
      onDragStart={(event) => startTileDrag(event, index)}
      onDragOver={(event) => {
        if (!carriesWallDrop(event)) return;
        event.preventDefault();
        event.dataTransfer.dropEffect = event.dataTransfer.types.includes('application/x-argus-tile') ? 'move' : 'copy';
        if (!dropping) setDropping(true);
      }}
      onDragLeave={() => setDropping(false)}
      onDrop={(event) => {
        setDropping(false);
        const drop = readWallDrop(event);
        if (!drop) return;
        event.preventDefault();
        if (drop.kind === 'camera') props.onDropCamera(index, drop.cameraId);
        else props.onSwap(drop.index, index);
      }}
    >
      <video ref={videoRef} className="tile-video" muted autoPlay playsInline disablePictureInPicture />

      <div className="tile-top">
        <span className="tile-index">{label}</span>
        {cameraId && (
          <>
            <StatusDot status={camera?.status ?? 'unknown'} withLabel={false} title={camera?.statusReason ?? null} />
            <span className="tile-name" title={camera?.name}>
              {camera?.name ?? t('wall.unknownCamera')}
            </span>
            {camera?.status === 'degraded' && (
              <span className="tile-badge tile-badge-warn" title={camera.statusReason ?? undefined}>
                {t('status.degraded')}
              </span>
            )}
            {props.touring && (
              <span className="tile-badge tile-badge-tour" title={t('wall.tour.running')}>
                <Icon name="tour" />
              </span>
            )}
            <span className="tile-tools" onDoubleClick={stop}>
              {camera?.ptz && props.ptzAllowed && (
                <button
                  type="button"
                  className="tile-btn"
                  title={t('wall.ptz.open')}
                  aria-label={t('wall.ptz.open')}
                  data-testid={`wall-tile-ptz-${index}`}
                  onClick={(event) => {
                    stop(event);
                    props.onPtz(index);
                  }}
                >
                  <Icon name="ptz" />
                </button>
              )}
              <button
                type="button"
                className="tile-btn"
                title={props.maximized ? t('wall.restore') : t('wall.maximize')}
                aria-label={props.maximized ? t('wall.restore') : t('wall.maximize')}
                data-testid={`wall-tile-maximize-${index}`}
                onClick={(event) => {
                  stop(event);
                  props.onToggleMaximize(index);
                }}
              >
                <Icon name={props.maximized ? 'shrink' : 'expand'} />
              </button>
              <button
                type="button"
                className="tile-btn tile-btn-close"
                title={t('wall.closeTile')}
                aria-label={t('wall.closeTile')}
                data-testid={`wall-tile-close-${index}`}
                onClick={(event) => {
                  stop(event);
                  props.onClose(index);
                }}
              >
                <Icon name="close" />
              </button>
            </span>
          </>
        )}
      </div>

      <TileMessage state={state} snapshot={snapshot} now={now} onRetry={retry} />

      {state === 'playing' && (
        <div className="tile-bottom">
          <span className="tile-live">{t('wall.live')}</span>
          <TileStats stats={snapshot.stats} t={t} />
        </div>
      )}
      {props.maximized && <div className="tile-max-hint">{t('wall.maximizedHint')}</div>}
    </div>
  );
}

function TileMessage({ state, snapshot, now, onRetry }: { state: ViewerSnapshot['state']; snapshot: ViewerSnapshot; now: number; onRetry(): void }) {
  const { t } = useI18n();
  switch (state) {
    case 'playing':
      return null;
    case 'empty':
      return (
        <div className="tile-center tile-center-empty">
          <Icon name="plus" className="tile-empty-icon" />
          <span className="tile-hint">{t('wall.dropHint')}</span>
        </div>
      );
    case 'connecting':
      return (
        <div className="tile-center">
          <span className="spinner" aria-hidden="true" />
          <span className="tile-hint">{t('wall.connecting')}</span>
        </div>
      );
    case 'offline':
    case 'error': {
      const seconds = snapshot.retryAt !== null ? Math.max(0, Math.ceil((snapshot.retryAt - now) / 1000)) : null;
      return (
        <div className="tile-center" role="status">
          <span className={state === 'offline' ? 'tile-state tile-state-offline' : 'tile-state tile-state-error'}>{t(state === 'offline' ? 'wall.state.offline' : 'wall.state.error')}</span>
          {snapshot.problem && <span className="tile-problem">{t(`wall.problem.${snapshot.problem}`)}</span>}
          {snapshot.detail && (
            <span className="tile-detail" title={snapshot.detail}>
              {snapshot.detail}
            </span>
          )}
          <span className="tile-retry">
            {snapshot.reconnecting ? t('wall.reconnecting') : seconds !== null ? t('wall.retryIn', { seconds }) : null}
            {!snapshot.reconnecting && (
              <button
                type="button"
                className="tile-link"
                onClick={(event) => {
                  event.stopPropagation();
                  onRetry();
                }}
                onDoubleClick={(event) => event.stopPropagation()}
              >
                {t('wall.retryNow')}
              </button>
            )}
          </span>
        </div>
      );
    }
  }
}

function TileStats({ stats, t }: { stats: ViewerStats; t: Translate }) {
  const parts: Array<{ key: string; text: string; title: string; optional?: boolean }> = [];
  if (stats.width && stats.height) parts.push({ key: 'res', text: `${stats.width}×${stats.height}`, title: t('wall.stat.resolution'), optional: true });
  if (stats.codec) parts.push({ key: 'codec', text: stats.codec, title: t('wall.stat.codec'), optional: true });
  parts.push({ key: 'fps', text: stats.fps !== null ? `${Math.round(stats.fps)} fps` : '— fps', title: t('wall.stat.fps') });
  parts.push({ key: 'delay', text: stats.delayMs !== null ? `${Math.round(stats.delayMs)} ms` : '— ms', title: t('wall.stat.delay') });
  if (stats.kbps !== null) parts.push({ key: 'rate', text: stats.kbps >= 1000 ? `${(stats.kbps / 1000).toFixed(1)} Mb/s` : `${Math.round(stats.kbps)} kb/s`, title: t('wall.stat.bitrate'), optional: true });
  return (
    <span className="tile-stats">
      {parts.map((p) => (
        <span key={p.key} className={p.optional ? 'tile-stat tile-stat-optional' : 'tile-stat'} title={p.title} data-stat={p.key}>
          {p.text}
        </span>
      ))}
    </span>
  );
}
