import { useMemo, useRef, useState, type MouseEvent } from 'react';
import { useI18n } from '../i18n/i18n.tsx';
import { formatClock, stretches, ticks, type Segment } from './segments.ts';

/**
 * The recording timeline: the visible span with its clock ticks, every recorded segment as a bar
 * (gaps stay dark), the event range being looked at, the play head, the future hatched. A click
 * asks to play from that moment; hovering shows the time under the pointer.
 */
export function Timeline(props: {
  viewStart: number;
  viewEnd: number;
  segments: readonly Segment[];
  playhead: number | null;
  /** An event's time range (from the alert or event that linked here). */
  marker: { from: number; to: number | null } | null;
  now: number;
  loading: boolean;
  onSeek(time: number): void;
}) {
  const { t } = useI18n();
  const { viewStart, viewEnd } = props;
  const span = Math.max(1, viewEnd - viewStart);
  const trackRef = useRef<HTMLDivElement>(null);
  const [hover, setHover] = useState<number | null>(null);
  const marks = useMemo(() => ticks(viewStart, viewEnd), [viewStart, viewEnd]);
  const pct = (time: number) => ((time - viewStart) / span) * 100;
  const clampPct = (time: number) => Math.min(100, Math.max(0, pct(time)));

  const timeAt = (event: MouseEvent<HTMLDivElement>) => {
    const rect = trackRef.current?.getBoundingClientRect();
    if (!rect || rect.width <= 0) return null;
    const x = Math.min(rect.width, Math.max(0, event.clientX - rect.left));
    return viewStart + (x / rect.width) * span;
  };

  const visible = props.segments.filter((s) => s.end > viewStart && s.start < viewEnd);
  const bars = stretches(visible);
  // Where segments are wide enough to tell apart, their joins are drawn as thin lines.
  const joins = visible.length > 1 && visible.every((s) => (s.end - s.start) / span > 0.006) ? visible.slice(1).map((s) => s.start) : [];
  const futureFrom = props.now < viewEnd ? clampPct(props.now) : null;

  return (
    <div className="timeline" data-testid="timeline" data-view-start={new Date(viewStart).toISOString()} data-view-end={new Date(viewEnd).toISOString()}>
      <div className="timeline-scale" aria-hidden="true">
        {marks.map((m) =>
          m.label ? (
            <span key={m.time} className="timeline-label" style={{ left: `${pct(m.time)}%` }}>
              {m.label}
            </span>
          ) : null,
        )}
      </div>
      <div
        ref={trackRef}
        className={props.loading ? 'timeline-track loading' : 'timeline-track'}
        data-testid="timeline-track"
        role="slider"
        tabIndex={0}
        aria-label={t('playback.timeline')}
        aria-valuemin={viewStart}
        aria-valuemax={viewEnd}
        aria-valuenow={props.playhead ?? viewStart}
        aria-valuetext={props.playhead !== null ? formatClock(props.playhead) : t('playback.notPlaying')}
        onMouseMove={(event) => setHover(timeAt(event))}
        onMouseLeave={() => setHover(null)}
        onClick={(event) => {
          const time = timeAt(event);
          if (time !== null) props.onSeek(time);
        }}
        onKeyDown={(event) => {
          const base = props.playhead ?? viewStart;
          const step = event.shiftKey ? span / 24 : span / 96;
          if (event.key === 'ArrowRight') props.onSeek(Math.min(viewEnd, base + step));
          else if (event.key === 'ArrowLeft') props.onSeek(Math.max(viewStart, base - step));
          else return;
          event.preventDefault();
        }}
      >
        {marks.map((m) => (
          <span key={m.time} className={m.label ? 'timeline-tick major' : 'timeline-tick'} style={{ left: `${pct(m.time)}%` }} />
        ))}
        {futureFrom !== null && <span className="timeline-future" style={{ left: `${futureFrom}%` }} title={t('playback.future')} />}
        {bars.map((bar) => {
          const left = clampPct(bar.start);
          const width = Math.max(clampPct(bar.end) - left, 0.08);
          return (
            <span
              key={bar.start}
              className="timeline-segment"
              data-testid="timeline-segment"
              data-start={new Date(bar.start).toISOString()}
              data-end={new Date(bar.end).toISOString()}
              data-segments={bar.count}
              style={{ left: `${left}%`, width: `${width}%` }}
              title={t('playback.stretchTitle', { start: formatClock(bar.start), end: formatClock(bar.end), count: bar.count })}
            />
          );
        })}
        {joins.map((time) => (
          <span key={`j${time}`} className="timeline-join" style={{ left: `${pct(time)}%` }} />
        ))}
        {props.marker && props.marker.from < viewEnd && (props.marker.to ?? props.marker.from) >= viewStart && (
          <span
            className="timeline-marker"
            data-testid="timeline-marker"
            style={{
              left: `${clampPct(props.marker.from)}%`,
              width: props.marker.to !== null ? `${Math.max(clampPct(props.marker.to) - clampPct(props.marker.from), 0.15)}%` : undefined,
            }}
            title={t('playback.eventRange')}
          />
        )}
        {props.playhead !== null && props.playhead >= viewStart && props.playhead <= viewEnd && (
          <span className="timeline-playhead" data-testid="timeline-playhead" style={{ left: `${pct(props.playhead)}%` }}>
            <span className="timeline-playhead-knob" />
          </span>
        )}
        {hover !== null && (
          <span className="timeline-hover" style={{ left: `${pct(hover)}%` }}>
            <span className={pct(hover) > 88 ? 'timeline-hover-label left' : 'timeline-hover-label'}>{formatClock(hover)}</span>
          </span>
        )}
      </div>
    </div>
  );
}
