import type { SightingStats } from '../../../../contracts/sightings.ts';
import { StackedHourChart } from '../components/stacked-hour-chart.tsx';
import { useI18n } from '../i18n/i18n.tsx';

const KINDS = ['plate', 'face', 'object'] as const;

/** Sightings per hour, stacked by kind. */
export function HourChart({ stats }: { stats: SightingStats }) {
  const { t } = useI18n();
  return (
    <StackedHourChart
      testId="sightings-chart"
      buckets={stats.buckets}
      total={stats.total}
      series={KINDS.map((k) => ({ key: k, label: t(`sightings.kind.${k}`) }))}
      title={t('sightings.chart.title')}
      note={t('sightings.chart.total', { count: stats.total })}
      barTitle={(time, count, b) => t('sightings.chart.bar', { time, count, plate: b.plate, face: b.face, object: b.object })}
      emptyText={t('sightings.chart.empty')}
    />
  );
}
