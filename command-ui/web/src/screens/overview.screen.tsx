import type { CameraStatus } from '../../../../contracts/api.ts';
import { INCIDENT_PRIORITIES, UNIT_STATUSES } from '../../../../contracts/incidents.ts';
import type { Overview } from '../../../../contracts/overview.ts';
import { hasPermission } from '../../../../contracts/roles.ts';
import { ErrorBanner } from '../components/error-banner.tsx';
import { StackedHourChart } from '../components/stacked-hour-chart.tsx';
import { PRIORITY_COLOURS, STALE_COLOUR, UNIT_STATUS_COLOURS } from '../dispatch/geo-text.ts';
import { formatLocalDateTime, useI18n } from '../i18n/i18n.tsx';
import { everyMember } from '../shell/exhaustive.ts';
import { hrefFor } from '../shell/hash-route.ts';
import { useCameras } from '../state/use-cameras.ts';
import { useOverview } from '../state/use-overview.ts';
import { useSignedIn } from '../state/session.tsx';
import { useLevelText } from '../state/display-settings.tsx';

const LEVELS = ['red', 'orange', 'yellow', 'blue'] as const;
/** Display order: what needs attention comes right after what works. */
const STATUS_ORDER = everyMember<CameraStatus>()(['online', 'degraded', 'offline', 'unknown', 'disabled']);

export function OverviewScreen() {
  const { t } = useI18n();
  const levels = useLevelText();
  const { user } = useSignedIn();
  const { cameras, loading, error, reload } = useCameras();
  const { overview, error: overviewError, reload: reloadOverview } = useOverview();
  const counts = new Map<CameraStatus, number>(STATUS_ORDER.map((s) => [s, 0]));
  for (const camera of cameras) counts.set(camera.status, (counts.get(camera.status) ?? 0) + 1);

  return (
    <section className="screen" data-testid="overview">
      <header className="screen-header">
        <h1 className="screen-title">{t('overview.title')}</h1>
      </header>
      {error && <ErrorBanner error={error} onRetry={reload} />}
      {overviewError !== null && <ErrorBanner error={overviewError} onRetry={reloadOverview} />}
      <div className="panel-grid">
        <CommandPanel overview={overview} />
        {overview?.incidents && (
          <div className="panel" data-testid="overview-incidents">
            <div className="panel-head">
              <h2 className="panel-title">{t('overview.openIncidents')}</h2>
              <a className="panel-link" href={hrefFor('incidents')}>
                {t('overview.incidentsOpen')} →
              </a>
            </div>
            <div className="stat-row stat-row-5">
              <Stat testId="incidents-total" value={overview.incidents.total} label={t('overview.total')} colour="var(--accent)" />
              {INCIDENT_PRIORITIES.map((p) => (
                <Stat key={p} testId={`incidents-${p}`} value={overview.incidents![p]} label={p} colour={PRIORITY_COLOURS[p]} />
              ))}
            </div>
          </div>
        )}
        {overview?.units && (
          <div className="panel" data-testid="overview-units">
            <div className="panel-head">
              <h2 className="panel-title">{t('overview.units')}</h2>
              <span className="muted">{t('overview.unitsTotal', { count: overview.units.total })}</span>
            </div>
            <div className="stat-row stat-row-4">
              {UNIT_STATUSES.map((s) => (
                <Stat key={s} testId={`units-${s}`} value={overview.units![s]} label={t(`unitStatus.${s}`)} colour={UNIT_STATUS_COLOURS[s] ?? STALE_COLOUR} />
              ))}
              <Stat testId="units-stale" value={overview.units.stale} label={t('overview.unitsStale')} colour={STALE_COLOUR} dashed />
            </div>
          </div>
        )}
        <div className="panel panel-wide">
          <div className="panel-head">
            <h2 className="panel-title">{t('overview.cameras')}</h2>
            {hasPermission(user.roles, 'cameras.manage') && (
              <a className="panel-link" href={hrefFor('cameras')}>
                {t('overview.manageCameras')} →
              </a>
            )}
          </div>
          <div className="stat-row">
            <div className="stat stat-total" data-testid="count-total">
              <div className="stat-value">{loading ? '…' : cameras.length}</div>
              <div className="stat-label">{t('overview.camerasTotal')}</div>
            </div>
            {STATUS_ORDER.map((s) => (
              <div key={s} className={`stat stat-${s}`} data-testid={`count-${s}`}>
                <div className="stat-value">{loading ? '…' : counts.get(s)}</div>
                <div className="stat-label">
                  <span className={`status status-${s}`}>
                    <span className="dot" aria-hidden="true" />
                  </span>
                  {t(`status.${s}`)}
                </div>
              </div>
            ))}
          </div>
          {!loading && cameras.length > 0 && (
            <div className="status-bar" aria-hidden="true">
              {STATUS_ORDER.map((s) => (counts.get(s) ?? 0) > 0 && <span key={s} className={`status-bar-seg seg-${s}`} style={{ flexGrow: counts.get(s) }} />)}
            </div>
          )}
          {!loading && !error && cameras.length === 0 && <p className="muted">{t('overview.noCameras')}</p>}
        </div>
        <div className="panel">
          <div className="panel-head">
            <h2 className="panel-title">{t('overview.alerts')}</h2>
            <a className="panel-link" href={hrefFor('alerts')}>
              {t('overview.alertsOpen')}
            </a>
          </div>
          {overview?.alertsAwaiting ? (
            <>
              <h3 className="panel-subtitle">{t('overview.alertsAwaiting')}</h3>
              <div className="stat-row stat-row-5" data-testid="overview-alerts">
                <Stat testId="alerts-total" value={overview.alertsAwaiting.total} label={t('overview.total')} colour="var(--accent)" />
                {LEVELS.map((l) => (
                  <Stat key={l} testId={`alerts-${l}`} value={overview.alertsAwaiting![l]} label={levels.name(l)} colour={levels.colour(l)} />
                ))}
              </div>
            </>
          ) : (
            <p className="muted">{t('overview.alertsBody')}</p>
          )}
          <h3 className="panel-subtitle">{t('overview.levels')}</h3>
          <ul className="level-list">
            {LEVELS.map((l) => (
              <li key={l} className={`level level-${l}`}>
                <span className="level-swatch" aria-hidden="true" />
                {levels.name(l)} — {levels.action(l)}
              </li>
            ))}
          </ul>
        </div>
      </div>
    </section>
  );
}

function Stat({ testId, value, label, colour, dashed = false }: { testId: string; value: number; label: string; colour: string; dashed?: boolean }) {
  return (
    <div className="stat" data-testid={testId} data-value={value} style={{ borderTopColor: colour, borderTopStyle: dashed ? 'dashed' : undefined }}>
      <div className="stat-value">{value}</div>
      <div className="stat-label">{label}</div>
    </div>
  );
}

/** The headline numbers and the 24-hour chart of incidents and alerts. */
function CommandPanel({ overview }: { overview: Overview | null }) {
  const { t } = useI18n();
  const series = [
    ...(overview?.incidents ? [{ key: 'incidents' as const, label: t('overview.chart.incidents') }] : []),
    ...(overview?.alertsAwaiting ? [{ key: 'alerts' as const, label: t('overview.chart.alerts') }] : []),
  ];
  return (
    <div className="panel panel-wide" data-testid="overview-command">
      <div className="panel-head">
        <h2 className="panel-title">{t('overview.command')}</h2>
        {overview && <span className="muted">{t('overview.updatedAt', { time: formatLocalDateTime(new Date(overview.generatedAt)).slice(11, 19) })}</span>}
      </div>
      {!overview ? (
        <p className="muted">{t('app.loading')}</p>
      ) : (
        <>
          <div className="stat-row stat-row-4">
            {overview.incidents && <Stat testId="headline-incidents" value={overview.incidents.total} label={t('overview.openIncidents')} colour={PRIORITY_COLOURS.P1} />}
            {overview.alertsAwaiting && <Stat testId="headline-alerts" value={overview.alertsAwaiting.total} label={t('overview.alertsAwaiting')} colour="var(--lvl-orange)" />}
            {overview.units && <Stat testId="headline-units" value={overview.units.available} label={t('overview.unitsAvailable')} colour={UNIT_STATUS_COLOURS.available!} />}
            <Stat testId="headline-cameras-offline" value={overview.cameras.offline} label={t('overview.camerasOffline')} colour="var(--st-offline)" />
          </div>
          <div className="overview-chart">
            <StackedHourChart
              testId="overview-chart"
              buckets={overview.hours}
              series={series}
              title={t('overview.chart.title')}
              barTitle={(time, _count, b) => t('overview.chart.bar', { time, incidents: b.incidents, alerts: b.alerts })}
              emptyText={t('overview.chart.empty')}
            />
          </div>
        </>
      )}
    </div>
  );
}
