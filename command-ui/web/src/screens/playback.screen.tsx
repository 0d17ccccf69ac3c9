import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Camera, Site } from '../../../../contracts/api.ts';
import { ErrorBanner } from '../components/error-banner.tsx';
import { Icon } from '../components/icon.tsx';
import { StatusDot } from '../components/status-dot.tsx';
import { formatLocalDateTime, useI18n } from '../i18n/i18n.tsx';
import type { MessageKey } from '../i18n/messages.ts';
import {
  coverage,
  DAY,
  dayWindow,
  formatClock,
  formatDuration,
  HOUR,
  initialWindow,
  last24Window,
  localDateValue,
  locate,
  parseLocalDate,
  segmentAfter,
  toSegments,
  type Segment,
  type TimeWindow,
} from '../playback/segments.ts';
import { Timeline } from '../playback/timeline.tsx';
import { hrefWithQuery, parseHashQuery, useHashQueryString } from '../shell/hash-route.ts';
import { useCameras } from '../state/use-cameras.ts';
import { useSignedIn } from '../state/session.tsx';
import { CameraTree } from '../wall/camera-tree.tsx';

/**
 * Playback (录像回放): `#/playback/<cameraId>?from=<ISO>&to=<ISO>`. A camera picker, the
 * recordings of the last 24 hours (or a chosen day) as bars on a timeline, a click on the timeline
 * plays from that moment (the segment holding it, sought within, then the following segments one
 * after another). Alert and event screens link here with `from` (and `to`) set: the view opens on
 * that moment and plays it.
 */
const SPEEDS = [0.5, 1, 2, 4, 8] as const;
const ZOOMS: ReadonlyArray<{ id: string; span: number; label: MessageKey }> = [
  { id: '24h', span: DAY, label: 'playback.zoom.24h' },
  { id: '6h', span: 6 * HOUR, label: 'playback.zoom.6h' },
  { id: '1h', span: HOUR, label: 'playback.zoom.1h' },
  { id: '15m', span: 15 * 60_000, label: 'playback.zoom.15m' },
];
const REFRESH_MS = 30_000;

function parseTime(value: string | undefined): number | null {
  if (!value) return null;
  const time = Date.parse(value);
  return Number.isFinite(time) ? time : null;
}

export function PlaybackScreen({ cameraId }: { cameraId: string | undefined }) {
  const { t } = useI18n();
  const { api } = useSignedIn();
  const list = useCameras();
  const [sites, setSites] = useState<Site[]>([]);
  const [filter, setFilter] = useState('');
  const queryString = useHashQueryString();
  const query = useMemo(() => parseHashQuery(`?${queryString}`), [queryString]);

  useEffect(() => {
    let cancelled = false;
    api.listSites().then(
      (reply) => !cancelled && setSites(reply.items),
      () => undefined,
    );
    return () => {
      cancelled = true;
    };
  }, [api]);

  const camera = cameraId ? list.byId.get(cameraId) : undefined;
  const choose = (chosen: Camera, position: number | null) => {
    window.location.hash = hrefWithQuery(['playback', chosen.id], { from: position !== null ? new Date(position).toISOString() : null });
  };
  const positionRef = useRef<number | null>(null);

  return (
    <section className="playback-screen" data-testid="playback-screen">
      <aside className="wall-side">
        <header className="side-head">
          <Icon name="cameras" />
          <span className="side-title">{t('playback.pickCamera')}</span>
        </header>
        {list.error && <ErrorBanner error={list.error} onRetry={list.reload} className="side-banner" />}
        <CameraTree
          cameras={list.cameras}
          sites={sites}
          loading={list.loading}
          mode="pick"
          selectedId={cameraId ?? null}
          filter={filter}
          onFilterChange={setFilter}
          onActivate={(c) => choose(c, positionRef.current)}
          testId="playback-camera-tree"
        />
      </aside>
      {!cameraId ? (
        <div className="playback-main playback-empty" data-testid="playback-no-camera">
          <Icon name="playback" className="playback-empty-icon" />
          <p>{t('playback.chooseCamera')}</p>
        </div>
      ) : !camera && !list.loading ? (
        <div className="playback-main playback-empty" role="alert">
          <p>{t('playback.cameraNotFound')}</p>
        </div>
      ) : (
        <PlaybackView
          key={`${cameraId}|${queryString}`}
          cameraId={cameraId}
          camera={camera}
          siteName={camera?.siteId ? (sites.find((s) => s.id === camera.siteId)?.name ?? null) : null}
          from={parseTime(query.from)}
          to={parseTime(query.to)}
          positionRef={positionRef}
        />
      )}
    </section>
  );
}

interface Notice {
  key: MessageKey;
  values?: Record<string, string | number>;
  tone: 'info' | 'warning' | 'error';
}

/** The days offered in the day picker: the last 30, and the shown day when it is older. */
function dayChoices(now: number, win: TimeWindow, locale: string): Array<{ value: string; label: string }> {
  const weekday = new Intl.DateTimeFormat(locale, { weekday: 'short' });
  const out: Array<{ value: string; label: string }> = [];
  const today = dayWindow(now).start;
  for (let i = 0; i < 30; i++) {
    const d = new Date(today);
    d.setDate(d.getDate() - i);
    out.push({ value: localDateValue(d.getTime()), label: `${localDateValue(d.getTime())} ${weekday.format(d)}` });
  }
  if (win.mode === 'day' && !out.some((o) => o.value === localDateValue(win.start))) {
    out.push({ value: localDateValue(win.start), label: `${localDateValue(win.start)} ${weekday.format(new Date(win.start))}` });
  }
  return out;
}

function PlaybackView(props: {
  cameraId: string;
  camera: Camera | undefined;
  siteName: string | null;
  from: number | null;
  to: number | null;
  positionRef: { current: number | null };
}) {
  const { t, locale } = useI18n();
  const { api } = useSignedIn();
  const { cameraId, from, to } = props;
  const [now, setNow] = useState(() => Date.now());
  const [win, setWin] = useState<TimeWindow>(() => initialWindow(from, Date.now()));
  /** Zoomed view: its start and span; null shows the whole window. */
  const [zoom, setZoom] = useState<{ start: number; span: number } | null>(null);
  const [segments, setSegments] = useState<Segment[] | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [current, setCurrent] = useState<Segment | null>(null);
  const [position, setPosition] = useState<number | null>(null);
  const [paused, setPaused] = useState(true);
  const [speed, setSpeed] = useState(1);
  const [muted, setMuted] = useState(true);
  const [notice, setNotice] = useState<Notice | null>(null);
  const videoRef = useRef<HTMLVideoElement>(null);
  const currentRef = useRef<Segment | null>(null);
  const segmentsRef = useRef<Segment[]>([]);
  const pendingSeek = useRef(0);
  const speedRef = useRef(speed);
  speedRef.current = speed;
  const autoPlayed = useRef(false);
  const errorTimer = useRef<number | undefined>(undefined);
  props.positionRef.current = position;

  // The recordings of the window; the last 24 hours move on and are read again every 30 s.
  useEffect(() => {
    const abort = new AbortController();
    setLoading(true);
    api.listRecordings(cameraId, new Date(win.start), new Date(win.end), abort.signal).then(
      (reply) => {
        const list = toSegments(reply.items);
        segmentsRef.current = list;
        setSegments(list);
        setLoadError(null);
        setLoading(false);
      },
      (error: unknown) => {
        if (abort.signal.aborted) return;
        setLoadError(error);
        setSegments((s) => s ?? []);
        setLoading(false);
      },
    );
    return () => abort.abort();
  }, [api, cameraId, win.start, win.end]);

  useEffect(() => {
    if (win.mode !== 'last24') return;
    const timer = window.setInterval(() => {
      const at = Date.now();
      setNow(at);
      setWin(last24Window(at));
    }, REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [win.mode]);

  useEffect(() => () => window.clearTimeout(errorTimer.current), []);

  const startSegment = useCallback(
    (segment: Segment, offsetMs: number) => {
      const video = videoRef.current;
      if (!video) return;
      window.clearTimeout(errorTimer.current);
      currentRef.current = segment;
      setCurrent(segment);
      pendingSeek.current = offsetMs / 1000;
      setPosition(segment.start + offsetMs);
      video.src = api.recordingMediaUrl(segment.id);
      video.load();
      video.play().catch(() => undefined); // starts once the metadata is in; muted, so allowed
    },
    [api],
  );

  const playFrom = useCallback(
    (time: number) => {
      const list = segmentsRef.current;
      const found = locate(list, time);
      if (!found) {
        setNotice({ key: 'playback.noRecordingAfter', values: { time: formatClock(time) }, tone: 'warning' });
        return;
      }
      const segment = list[found.index]!;
      setNotice(found.exact ? null : { key: 'playback.jumpedToNext', values: { time: formatClock(segment.start) }, tone: 'info' });
      startSegment(segment, found.offsetMs);
    },
    [startSegment],
  );

  // Opened from an alert or event: play its moment once the recordings are in.
  useEffect(() => {
    if (segments === null || autoPlayed.current || from === null) return;
    autoPlayed.current = true;
    playFrom(from);
  }, [segments, from, playFrom]);

  const playNext = () => {
    const playing = currentRef.current;
    const next = playing ? segmentAfter(segmentsRef.current, playing.id) : null;
    if (!playing || !next) {
      setNotice({ key: 'playback.end', tone: 'info' });
      setPaused(true);
      return;
    }
    const gap = next.segment.start - playing.end;
    setNotice(gap > 2000 ? { key: 'playback.skippedGap', values: { duration: formatDuration(gap) }, tone: 'info' } : null);
    startSegment(next.segment, 0);
  };

  const viewSpan = zoom ? zoom.span : win.end - win.start;
  const clampStart = (start: number, span: number) => Math.min(Math.max(start, win.start), win.end - span);
  const viewStart = zoom ? clampStart(zoom.start, zoom.span) : win.start;
  const viewEnd = viewStart + viewSpan;

  // A zoomed view follows the play head.
  useEffect(() => {
    if (!zoom || position === null) return;
    if (position < viewStart || position > viewEnd) setZoom({ span: zoom.span, start: position - zoom.span * 0.1 });
  }, [position, zoom, viewStart, viewEnd]);

  const setSpan = (span: number) => {
    if (span >= win.end - win.start) {
      setZoom(null);
      return;
    }
    // Around the play head; else around the latest recording in the window; else the middle.
    const latest = [...(segments ?? [])].reverse().find((seg) => seg.start < win.end && seg.end > win.start);
    const centre = position !== null && position >= win.start && position <= win.end ? position : latest ? Math.min(latest.end, win.end) : viewStart + viewSpan / 2;
    setZoom({ span, start: clampStart(centre - span / 2, span) });
  };
  const pan = (direction: -1 | 1) => {
    if (!zoom) return;
    setZoom({ span: zoom.span, start: clampStart(viewStart + (direction * zoom.span) / 2, zoom.span) });
  };
  const showWindow = (next: TimeWindow) => {
    setWin(next);
    setZoom(null);
    setNow(Date.now());
  };

  const togglePlay = () => {
    const video = videoRef.current;
    if (!video) return;
    if (!currentRef.current) {
      const first = segmentsRef.current.find((s) => s.end > viewStart) ?? segmentsRef.current[0];
      if (first) playFrom(Math.max(first.start, viewStart));
      return;
    }
    if (video.paused) video.play().catch(() => undefined);
    else video.pause();
  };
  const step = (ms: number) => {
    if (position !== null) playFrom(Math.max(position + ms, win.start));
  };

  const stats = segments ? coverage(segments, win.start, Math.min(win.end, now)) : null;
  const camera = props.camera;
  const nextDayDisabled = win.end >= now;
  const marker = from !== null ? { from, to: to !== null && to > from ? to : null } : null;

  return (
    <div className="playback-main" data-testid="playback-view" data-camera-id={cameraId}>
      <header className="playback-head">
        {camera && <StatusDot status={camera.status} withLabel={false} title={camera.statusReason} />}
        <h1 className="screen-title">{camera?.name ?? t('common.loading')}</h1>
        {props.siteName && <span className="tag">{props.siteName}</span>}
        <span className="toolbar-spacer" />
        <div className="playback-date" role="group" aria-label={t('playback.day')}>
          <button type="button" className="icon-btn icon-btn-small" onClick={() => showWindow(dayWindow(win.mode === 'last24' ? now - DAY : win.start - 1))} title={t('playback.prevDay')} aria-label={t('playback.prevDay')} data-testid="playback-prev-day">
            <Icon name="chevron-left" />
          </button>
          <select
            className="day-select"
            value={win.mode === 'day' ? localDateValue(win.start) : ''}
            aria-label={t('playback.day')}
            data-testid="playback-day"
            onChange={(e) => {
              const day = parseLocalDate(e.target.value);
              showWindow(day !== null ? dayWindow(day) : last24Window(Date.now()));
            }}
          >
            <option value="">{t('playback.last24')}</option>
            {dayChoices(now, win, locale).map((d) => (
              <option key={d.value} value={d.value}>
                {d.label}
              </option>
            ))}
          </select>
          <button type="button" className="icon-btn icon-btn-small" onClick={() => showWindow(dayWindow(win.end + 1))} disabled={nextDayDisabled} title={t('playback.nextDay')} aria-label={t('playback.nextDay')} data-testid="playback-next-day">
            <Icon name="chevron-right" />
          </button>
        </div>
      </header>

      <div className="playback-stage">
        <video
          ref={videoRef}
          className="playback-video"
          data-testid="playback-video"
          playsInline
          muted={muted}
          preload="auto"
          onLoadedMetadata={(event) => {
            const video = event.currentTarget;
            const seek = pendingSeek.current;
            pendingSeek.current = 0;
            if (seek > 0) video.currentTime = Number.isFinite(video.duration) ? Math.min(seek, Math.max(0, video.duration - 0.05)) : seek;
            video.playbackRate = speedRef.current;
          }}
          onTimeUpdate={(event) => {
            const segment = currentRef.current;
            if (segment && pendingSeek.current === 0) setPosition(segment.start + event.currentTarget.currentTime * 1000);
          }}
          onPlay={() => setPaused(false)}
          onPause={() => setPaused(true)}
          onEnded={playNext}
          onError={() => {
            const segment = currentRef.current;
            if (!segment) return;
            setNotice({ key: 'playback.segmentError', values: { time: formatClock(segment.start) }, tone: 'error' });
            // Go on with the next segment rather than stopping the review.
            errorTimer.current = window.setTimeout(playNext, 2000);
          }}
        />
        <div className="osd osd-top">
          <span className="osd-badge">{t('playback.badge')}</span>
          <span className="osd-name">{camera?.name}</span>
          <span className="osd-time mono" data-testid="playback-time">
            {position !== null ? formatLocalDateTime(new Date(position)) : '—'}
          </span>
        </div>
        {!current && (
          <div className="playback-hint">
            {loading && segments === null ? (
              <span>{t('common.loading')}</span>
            ) : segments && segments.length === 0 ? (
              <span data-testid="playback-no-recordings">{t('playback.noRecordings')}</span>
            ) : (
              <span>{t('playback.clickToPlay')}</span>
            )}
          </div>
        )}
        {notice && (
          <div className={`osd-notice osd-notice-${notice.tone}`} role="status" data-testid="playback-notice">
            {t(notice.key, notice.values)}
          </div>
        )}
      </div>

      <div className="playback-controls" role="toolbar" aria-label={t('playback.controls')}>
        <button type="button" className="icon-btn" onClick={() => step(-10_000)} disabled={position === null} title={t('playback.back10')} aria-label={t('playback.back10')}>
          <Icon name="step-back" />
        </button>
        <button type="button" className="icon-btn icon-btn-primary" onClick={togglePlay} disabled={!segments || segments.length === 0} title={paused ? t('playback.play') : t('playback.pause')} aria-label={paused ? t('playback.play') : t('playback.pause')} data-testid="playback-toggle">
          <Icon name={paused ? 'play' : 'pause'} />
        </button>
        <button type="button" className="icon-btn" onClick={() => step(10_000)} disabled={position === null} title={t('playback.forward10')} aria-label={t('playback.forward10')}>
          <Icon name="step-forward" />
        </button>
        <div className="segmented" role="group" aria-label={t('playback.speed')}>
          {SPEEDS.map((s) => (
            <button
              key={s}
              type="button"
              className={s === speed ? 'segment active' : 'segment'}
              aria-pressed={s === speed}
              onClick={() => {
                setSpeed(s);
                if (videoRef.current) videoRef.current.playbackRate = s;
              }}
            >
              {s}×
            </button>
          ))}
        </div>
        <button type="button" className="btn btn-small btn-ghost" onClick={() => setMuted((m) => !m)} aria-pressed={!muted}>
          {muted ? t('playback.soundOff') : t('playback.soundOn')}
        </button>
        <span className="playback-clock mono" aria-live="off">
          {position !== null ? formatClock(position) : '--:--:--'}
        </span>
        <span className="toolbar-spacer" />
        {marker && (
          <button type="button" className="btn btn-small" onClick={() => playFrom(marker.from)} data-testid="playback-goto-event">
            {t('playback.gotoEvent', { time: formatClock(marker.from) })}
          </button>
        )}
        <div className="segmented" role="group" aria-label={t('playback.zoom')}>
          {ZOOMS.map((z) => {
            const active = Math.abs(viewSpan - Math.min(z.span, win.end - win.start)) < 1000;
            return (
              <button key={z.id} type="button" className={active ? 'segment active' : 'segment'} aria-pressed={active} onClick={() => setSpan(z.span)} data-testid={`playback-zoom-${z.id}`}>
                {t(z.label)}
              </button>
            );
          })}
        </div>
        <button type="button" className="icon-btn icon-btn-small" onClick={() => pan(-1)} disabled={!zoom || viewStart <= win.start} title={t('playback.earlier')} aria-label={t('playback.earlier')}>
          <Icon name="chevron-left" />
        </button>
        <button type="button" className="icon-btn icon-btn-small" onClick={() => pan(1)} disabled={!zoom || viewEnd >= win.end} title={t('playback.later')} aria-label={t('playback.later')}>
          <Icon name="chevron-right" />
        </button>
      </div>

      <div className="playback-timeline">
        <Timeline viewStart={viewStart} viewEnd={viewEnd} segments={segments ?? []} playhead={position} marker={marker} now={now} loading={loading} onSeek={playFrom} />
        <div className="timeline-summary" data-testid="timeline-summary">
          {loadError !== null ? (
            <ErrorBanner error={loadError} className="banner-inline" />
          ) : stats && segments ? (
            <>
              <span className="legend legend-recorded" />
              <span>{t('playback.summary', { recorded: formatDuration(stats.recordedMs), segments: segments.length, gaps: stats.gaps })}</span>
              {current && (
                <span className="muted">
                  {t('playback.currentSegment', { start: formatClock(current.start), end: formatClock(current.end) })}
                </span>
              )}
            </>
          ) : (
            <span className="muted">{t('common.loading')}</span>
          )}
        </div>
      </div>
    </div>
  );
}
