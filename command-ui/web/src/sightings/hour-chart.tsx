import type { SightingStats } from '../../../../contracts/sightings.ts';
import { formatLocalDateTime, useI18n } from '../i18n/i18n.tsx';

const WIDTH = 720;
const HEIGHT = 120;
const PAD_LEFT = 28;
const PAD_BOTTOM = 18;
const KINDS = ['plate', 'face', 'object'] as const;

/** A bar per hour, stacked by kind (plain SVG, scaled to its box). */
export function HourChart({ stats }: { stats: SightingStats }) {
  const { t } = useI18n();
  const n = stats.buckets.length;
  const max = Math.max(1, ...stats.buckets.map((b) => b.plate + b.face + b.object));
  const plotW = WIDTH - PAD_LEFT;
  const plotH = HEIGHT - PAD_BOTTOM;
  const slot = n > 0 ? plotW / n : plotW;
  const barW = Math.max(1, slot * 0.78);
  // About eight hour labels whatever the range.
  const labelEvery = Math.max(1, Math.ceil(n / 8));

  return (
    <figure className="hour-chart" data-testid="sightings-chart" data-total={stats.total}>
      <figcaption className="hour-chart-head">
        <span className="hour-chart-title">{t('sightings.chart.title')}</span>
        <span className="muted">{t('sightings.chart.total', { count: stats.total })}</span>
        <span className="hour-chart-legend">
          {KINDS.map((k) => (
            <span key={k} className={`hc-legend hc-legend-${k}`}>
              <span className="hc-swatch" aria-hidden="true" />
              {t(`sightings.kind.${k}`)}
            </span>
          ))}
        </span>
      </figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={t('sightings.chart.title')} className="hour-chart-svg">
        <line x1={PAD_LEFT} y1={plotH + 0.5} x2={WIDTH} y2={plotH + 0.5} className="axis" />
        <text x={PAD_LEFT - 4} y={10} className="axis-label" textAnchor="end">
          {max}
        </text>
        <text x={PAD_LEFT - 4} y={plotH} className="axis-label" textAnchor="end">
          0
        </text>
        {stats.buckets.map((bucket, i) => {
          const x = PAD_LEFT + i * slot + (slot - barW) / 2;
          const total = bucket.plate + bucket.face + bucket.object;
          const time = formatLocalDateTime(new Date(bucket.at)).slice(5, 16);
          let y = plotH;
          return (
            <g key={bucket.at} data-at={bucket.at} data-count={total}>
              <title>{t('sightings.chart.bar', { time, count: total, plate: bucket.plate, face: bucket.face, object: bucket.object })}</title>
              {KINDS.map((k) => {
                const h = (bucket[k] / max) * (plotH - 4);
                if (h <= 0) return null;
                y -= h;
                return <rect key={k} x={x} y={y} width={barW} height={h} className={`bar bar-${k}`} />;
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
      {stats.total === 0 && <div className="hour-chart-empty muted">{t('sightings.chart.empty')}</div>}
    </figure>
  );
}
