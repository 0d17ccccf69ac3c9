import { formatLocalDateTime } from '../i18n/i18n.tsx';
import '../styles/hour-chart.css';

const WIDTH = 720;
const HEIGHT = 120;
const PAD_LEFT = 28;
const PAD_BOTTOM = 18;

export interface HourSeries<K extends string> {
  key: K;
  label: string;
}

export interface StackedHourChartProps<K extends string> {
  /** One per hour, oldest first; `at` is the start of the hour (ISO 8601). */
  buckets: ReadonlyArray<{ at: string } & Record<K, number>>;
  /** Stacked bottom up in this order; each drawn with the class `bar-<key>`. */
  series: ReadonlyArray<HourSeries<K>>;
  title: string;
  /** Next to the title (a total, for example). */
  note?: string;
  /** Tooltip of one hour's bar. */
  barTitle: (time: string, total: number, bucket: { at: string } & Record<K, number>) => string;
  emptyText: string;
  testId: string;
  /** The total shown as data-total (default: the sum of the buckets). */
  total?: number;
}

/** A bar per hour, stacked by series (plain SVG, scaled to its box). */
export function StackedHourChart<K extends string>({ buckets, series, title, note, barTitle, emptyText, testId, total: givenTotal }: StackedHourChartProps<K>) {
  const sumOf = (bucket: Record<K, number>) => series.reduce((s, k) => s + bucket[k.key], 0);
  const n = buckets.length;
  const total = givenTotal ?? buckets.reduce((s, b) => s + sumOf(b), 0);
  const max = Math.max(1, ...buckets.map(sumOf));
  const plotW = WIDTH - PAD_LEFT;
  const plotH = HEIGHT - PAD_BOTTOM;
  const slot = n > 0 ? plotW / n : plotW;
  const barW = Math.max(1, slot * 0.78);
  // About eight hour labels whatever the range.
  const labelEvery = Math.max(1, Math.ceil(n / 8));

  return (
    <figure className="hour-chart" data-testid={testId} data-total={total}>
      <figcaption className="hour-chart-head">
        <span className="hour-chart-title">{title}</span>
        {note && <span className="muted">{note}</span>}
        <span className="hour-chart-legend">
          {series.map((s) => (
            <span key={s.key} className={`hc-legend hc-legend-${s.key}`}>
              <span className="hc-swatch" aria-hidden="true" />
              {s.label}
            </span>
          ))}
        </span>
      </figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={title} className="hour-chart-svg">
        <line x1={PAD_LEFT} y1={plotH + 0.5} x2={WIDTH} y2={plotH + 0.5} className="axis" />
        <text x={PAD_LEFT - 4} y={10} className="axis-label" textAnchor="end">
          {max}
        </text>
        <text x={PAD_LEFT - 4} y={plotH} className="axis-label" textAnchor="end">
          0
        </text>
        {buckets.map((bucket, i) => {
          const x = PAD_LEFT + i * slot + (slot - barW) / 2;
          const count = sumOf(bucket);
          const time = formatLocalDateTime(new Date(bucket.at)).slice(5, 16);
          let y = plotH;
          return (
            <g key={bucket.at} data-at={bucket.at} data-count={count} className="hour">
              <title>{barTitle(time, count, bucket)}</title>
              {series.map(({ key }) => {
                const h = (bucket[key] / max) * (plotH - 4);
                if (h <= 0) return null;
                y -= h;
                return <rect key={key} x={x} y={y} width={barW} height={h} className={`bar bar-${key}`} data-series={key} data-value={bucket[key]} />;
              })}
              {/* A transparent column so the whole hour answers the pointer. */}
              <rect x={PAD_LEFT + i * slot} y={0} width={slot} height={plotH} className="bar-hit" />
              {i % labelEvery === 0 && (
                <text x={PAD_LEFT + i * slot + slot / 2} y={HEIGHT - 4} className="axis-label" textAnchor="middle">
                  {time.slice(6)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      {total === 0 && <div className="hour-chart-empty muted">{emptyText}</div>}
    </figure>
  );
}
