import { useEffect, useRef, useState } from 'react';
import { CAMERA_STATUSES, type CameraStatus } from '../../../../contracts/api.ts';
import type { CameraStatusEvent } from '../../../../contracts/events.ts';
import type { Alert } from '../alerts/alert-types.ts';
import type { NearbyCamera } from '../api/client.ts';
import { Icon } from '../components/icon.tsx';
import { StatusDot } from '../components/status-dot.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { hrefFor, hrefWithQuery } from '../shell/hash-route.ts';
import { useLevelText } from '../state/display-settings.tsx';
import { useLive } from '../state/live.tsx';
import { useSignedIn } from '../state/session.tsx';
import type { ViewerSnapshot } from '../wall/live-viewer.ts';
import { useLiveViewer, useSecondTicker } from '../wall/use-live-viewer.ts';
import { directionTo, distanceText } from './geo-text.ts';

/** Watchlist hits within this radius of the tablet are "near me". */
export const NEAR_ME_RADIUS_METRES = 2000;
/** How far back "near me" looks. */
const NEAR_ME_HOURS = 24;
const NEAR_ME_LIMIT = 10;
const NEAR_ME_POLL_MS = 15_000;

interface LatLon {
  latitude: number;
  longitude: number;
}

/**
 * Alerts near me (附近预警): watchlist hits of the last 24 hours within 2 km of the tablet, newest
 * first, in their level's colour. The server leaves covert hits out for patrols. Reloaded every
 * 15 s, on a pushed alert, and when the tablet has moved about 100 m.
 */
export function NearbyAlerts({ me }: { me: LatLon | null }) {
  const { t, formatDateTime } = useI18n();
  const { api } = useSignedIn();
  const { socket } = useLive();
  const levels = useLevelText();
  const [alerts, setAlerts] = useState<Alert[] | null>(null);
  const [tick, setTick] = useState(0);
  // Rounded to about 100 m so that every fix does not reload the list.
  const lat = me ? Math.round(me.latitude * 1000) / 1000 : null;
  const lon = me ? Math.round(me.longitude * 1000) / 1000 : null;

  useEffect(() => {
    if (lat === null || lon === null) return;
    const controller = new AbortController();
    api
      .listAlerts({ near: { latitude: lat, longitude: lon }, radiusM: NEAR_ME_RADIUS_METRES, from: new Date(Date.now() - NEAR_ME_HOURS * 3_600_000), limit: NEAR_ME_LIMIT }, controller.signal)
      .then(
        (page) => setAlerts(page.items),
        () => undefined, // keep the last list; the next poll tries again
      );
    const poll = setTimeout(() => setTick((n) => n + 1), NEAR_ME_POLL_MS);
    return () => {
      controller.abort();
      clearTimeout(poll);
    };
  }, [api, lat, lon, tick]);

  useEffect(() => {
    if (!socket) return;
    const onAlert = () => setTick((n) => n + 1);
    socket.on('alert.created', onAlert);
    return () => {
      socket.off('alert.created', onAlert);
    };
  }, [socket]);

  return (
    <section className="panel patrol-alerts" data-testid="patrol-alerts">
      <h2 className="panel-subtitle">{t('patrol.alertsNear', { distance: distanceText(NEAR_ME_RADIUS_METRES) })}</h2>
      {me === null && <p className="muted">{t('patrol.alertsNoPosition')}</p>}
      {me !== null && alerts !== null && alerts.length === 0 && <p className="muted">{t('patrol.alertsNone')}</p>}
      <ul className="patrol-alert-list">
        {(alerts ?? []).map((a) => {
          const way = directionTo(me, a.location ?? null);
          const subject = a.entry.plate ?? a.sighting.plateText ?? a.entry.personName ?? a.watchlist.name;
          return (
            <li key={a.id} data-alert-id={a.id} data-level={a.level} style={{ borderLeftColor: levels.colour(a.level) }}>
              <span className="patrol-level-chip" style={{ background: levels.colour(a.level) }}>
                {levels.name(a.level)}
              </span>{' '}
              <strong className="patrol-alert-subject">{subject}</strong>
              {a.entry.reason && <span className="muted"> · {a.entry.reason}</span>}
              <div className="muted">
                {a.cameraName ?? a.siteName ?? ''}
                {way && ` · ${way.text}`} · {formatDateTime(a.createdAt)}
              </div>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

/** A camera near the incident, its status kept current by `camera.status` pushes. */
interface DispatchCamera extends NearbyCamera {
  status: CameraStatus;
  statusReason: string | null;
}

const asCameraStatus = (status: string): CameraStatus => ((CAMERA_STATUSES as readonly string[]).includes(status) ? (status as CameraStatus) : 'unknown');

/**
 * Cameras near my dispatch's incident: live video of one of them at a time (a tablet is on mobile
 * data: one stream), the nearest first; the list below switches it, and each camera has links to
 * open it on the wall or play it back. The video closes (the relay's viewer is deleted) when it is
 * stopped, and when the dispatch ends and this panel goes away.
 */
export function DispatchCameras({ incidentId }: { incidentId: string }) {
  const { t } = useI18n();
  const { api } = useSignedIn();
  const { socket } = useLive();
  const [cameras, setCameras] = useState<DispatchCamera[] | null>(null);
  /** The camera on screen; null: the nearest. */
  const [chosenId, setChosenId] = useState<string | null>(null);
  const [stopped, setStopped] = useState(false);

  useEffect(() => {
    let cancelled = false;
    api.incidentCameras(incidentId).then(
      (reply) => !cancelled && setCameras(reply.items.map((c) => ({ ...c, status: asCameraStatus(c.status), statusReason: null }))),
      () => !cancelled && setCameras([]), // no location yet: nothing to show
    );
    return () => {
      cancelled = true;
    };
  }, [api, incidentId]);

  useEffect(() => {
    if (!socket) return;
    const onStatus = (event: CameraStatusEvent) =>
      setCameras((list) => (list?.some((c) => c.id === event.cameraId) ? list.map((c) => (c.id === event.cameraId ? { ...c, status: event.status, statusReason: event.reason } : c)) : list));
    socket.on('camera.status', onStatus);
    return () => {
      socket.off('camera.status', onStatus);
    };
  }, [socket]);

  if (!cameras) return null;
  const active = cameras.find((c) => c.id === chosenId) ?? cameras[0] ?? null;
  return (
    <div className="patrol-cameras" data-testid="patrol-cameras">
      <h3 className="panel-subtitle">{t('patrol.cameras')}</h3>
      {cameras.length === 0 && <p className="muted">{t('cameras.noneNearby')}</p>}
      {active && <DispatchLivePlayer camera={active} stopped={stopped} onStop={() => setStopped(true)} onPlay={() => setStopped(false)} />}
      <ul className="patrol-camera-list">
        {cameras.map((c) => {
          const on = c.id === active?.id;
          return (
            <li key={c.id} data-camera-id={c.id} data-active={on ? 'true' : 'false'} className={on ? 'patrol-camera patrol-camera-active' : 'patrol-camera'}>
              <button
                type="button"
                className="btn btn-touch patrol-camera-pick"
                aria-pressed={on}
                data-testid="patrol-camera-pick"
                onClick={() => {
                  setChosenId(c.id);
                  setStopped(false);
                }}
              >
                <StatusDot status={c.status} withLabel={false} title={c.statusReason} />
                <span className="patrol-camera-name">{c.name}</span>
                <span className="patrol-camera-distance">{distanceText(c.distanceMetres)}</span>
                {on && <span className="patrol-camera-on">{t('patrol.live.onScreen')}</span>}
              </button>
              <a className="btn btn-small" href={hrefWithQuery(['wall'], { cameras: c.id })}>
                {t('patrol.live.onWall')}
              </a>
              <a className="btn btn-small" href={hrefFor('playback', c.id)}>
                {t('patrol.playback')}
              </a>
            </li>
          );
        })}
      </ul>
      {cameras.length > 1 && (
        <a className="btn btn-touch" data-testid="patrol-cameras-wall" href={hrefWithQuery(['wall'], { cameras: cameras.map((c) => c.id).join(',') })}>
          {t('cameras.openWall', { count: cameras.length })}
        </a>
      )}
    </div>
  );
}

type PlayerState = ViewerSnapshot['state'] | 'stopped';

/** Whether this browser can show the player full screen (the Fullscreen API, or iOS's own video full screen). */
function fullscreenSupported(): boolean {
  return document.fullscreenEnabled || 'webkitEnterFullscreen' in HTMLVideoElement.prototype;
}

/**
 * The tablet's live player of one camera: state (connecting, playing, offline with the reason), the
 * camera's name and distance, full screen, stop (saves data) and play again. Its `data-state`,
 * `data-camera-id` and `data-frames-decoded` (the inbound video's counter from getStats) are what
 * the browser tests read.
 */
function DispatchLivePlayer({ camera, stopped, onStop, onPlay }: { camera: DispatchCamera; stopped: boolean; onStop(): void; onPlay(): void }) {
  const { t } = useI18n();
  const { api } = useSignedIn();
  const { videoRef, snapshot, retry } = useLiveViewer(api, stopped ? null : camera.id, camera);
  const playerRef = useRef<HTMLDivElement>(null);
  const [fullscreen, setFullscreen] = useState(false);
  // Until the viewer's first report the player is connecting.
  const state: PlayerState = stopped ? 'stopped' : snapshot.state === 'empty' ? 'connecting' : snapshot.state;
  const now = useSecondTicker(!stopped && snapshot.retryAt !== null);

  useEffect(() => {
    const onChange = () => setFullscreen(playerRef.current !== null && document.fullscreenElement === playerRef.current);
    document.addEventListener('fullscreenchange', onChange);
    return () => document.removeEventListener('fullscreenchange', onChange);
  }, []);

  const toggleFullscreen = () => {
    const player = playerRef.current;
    if (!player) return;
    if (document.fullscreenElement) {
      void document.exitFullscreen().catch(() => undefined);
    } else if (document.fullscreenEnabled) {
      void player.requestFullscreen().catch(() => undefined);
    } else {
      // iPhone Safari: only the video element itself goes full screen.
      (videoRef.current as (HTMLVideoElement & { webkitEnterFullscreen?: () => void }) | null)?.webkitEnterFullscreen?.();
    }
  };

  return (
    <div
      ref={playerRef}
      className={`patrol-live patrol-live-${state}`}
      data-testid="patrol-live"
      data-camera-id={camera.id}
      data-state={state}
      data-frames-decoded={snapshot.stats.framesDecoded}
      role="group"
      aria-label={t('patrol.live.label', { name: camera.name })}
    >
      <video ref={videoRef} className="patrol-live-video" muted autoPlay playsInline disablePictureInPicture />
      <div className="patrol-live-top">
        <StatusDot status={camera.status} withLabel={false} title={camera.statusReason} />
        <span className="patrol-live-name" data-testid="patrol-live-name">
          {camera.name}
        </span>
        <span className="patrol-live-distance">{distanceText(camera.distanceMetres)}</span>
        {state === 'playing' && <span className="patrol-live-badge">{t('wall.live')}</span>}
      </div>
      <LivePlayerMessage state={state} snapshot={snapshot} now={now} onRetry={retry} onPlay={onPlay} />
      <div className="patrol-live-tools">
        {!stopped && (
          <button type="button" className="patrol-live-btn" title={t('patrol.live.stop')} aria-label={t('patrol.live.stop')} data-testid="patrol-live-stop" onClick={onStop}>
            <Icon name="stop" />
          </button>
        )}
        {fullscreenSupported() && (
          <button
            type="button"
            className="patrol-live-btn"
            title={fullscreen ? t('patrol.live.exitFullscreen') : t('patrol.live.fullscreen')}
            aria-label={fullscreen ? t('patrol.live.exitFullscreen') : t('patrol.live.fullscreen')}
            aria-pressed={fullscreen}
            data-testid="patrol-live-fullscreen"
            onClick={toggleFullscreen}
          >
            <Icon name={fullscreen ? 'shrink' : 'expand'} />
          </button>
        )}
      </div>
    </div>
  );
}

function LivePlayerMessage({ state, snapshot, now, onRetry, onPlay }: { state: PlayerState; snapshot: ViewerSnapshot; now: number; onRetry(): void; onPlay(): void }) {
  const { t } = useI18n();
  switch (state) {
    case 'playing':
    case 'empty':
      return null;
    case 'stopped':
      return (
        <div className="patrol-live-center">
          <button type="button" className="patrol-live-play" title={t('patrol.live.play')} aria-label={t('patrol.live.play')} data-testid="patrol-live-play" onClick={onPlay}>
            <Icon name="play" />
          </button>
          <span className="patrol-live-hint">{t('patrol.live.stopped')}</span>
        </div>
      );
    case 'connecting':
      return (
        <div className="patrol-live-center">
          <span className="spinner" aria-hidden="true" />
          <span className="patrol-live-hint">{t('wall.connecting')}</span>
        </div>
      );
    case 'offline':
    case 'error': {
      const seconds = snapshot.retryAt !== null ? Math.max(0, Math.ceil((snapshot.retryAt - now) / 1000)) : null;
      return (
        <div className="patrol-live-center" role="status">
          <span className={`patrol-live-state patrol-live-state-${state}`}>{t(state === 'offline' ? 'wall.state.offline' : 'wall.state.error')}</span>
          {snapshot.problem && (
            <span className="patrol-live-problem" data-testid="patrol-live-problem" data-problem={snapshot.problem}>
              {t(`wall.problem.${snapshot.problem}`)}
            </span>
          )}
          {snapshot.detail && (
            <span className="patrol-live-detail" title={snapshot.detail}>
              {snapshot.detail}
            </span>
          )}
          <span className="patrol-live-retry">
            {snapshot.reconnecting ? t('wall.reconnecting') : seconds !== null ? t('wall.retryIn', { seconds }) : null}
            {!snapshot.reconnecting && (
              <button type="button" className="btn btn-small" onClick={onRetry}>
                {t('wall.retryNow')}
              </button>
            )}
          </span>
        </div>
      );
    }
  }
}
