import type { CameraStatus } from '../../../../contracts/api.ts';
import { hasPermission } from '../../../../contracts/roles.ts';
import { ErrorBanner } from '../components/error-banner.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { everyMember } from '../shell/exhaustive.ts';
import { hrefFor } from '../shell/hash-route.ts';
import { useCameras } from '../state/use-cameras.ts';
import { useSignedIn } from '../state/session.tsx';

const LEVELS = ['red', 'orange', 'yellow', 'blue'] as const;
/** Display order: what needs attention comes right after what works. */
const STATUS_ORDER = everyMember<CameraStatus>()(['online', 'degraded', 'offline', 'unknown', 'disabled']);

export function OverviewScreen() {
  const { t } = useI18n();
  const { user } = useSignedIn();
  const { cameras, loading, error, reload } = useCameras();
  const counts = new Map<CameraStatus, number>(STATUS_ORDER.map((s) => [s, 0]));
  for (const camera of cameras) counts.set(camera.status, (counts.get(camera.status) ?? 0) + 1);

  return (
    <section className="screen" data-testid="overview">
      <header className="screen-header">
        <h1 className="screen-title">{t('overview.title')}</h1>
      </header>
      {error && <ErrorBanner error={error} onRetry={reload} />}
      <div className="panel-grid">
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
          <p className="muted">{t('overview.alertsBody')}</p>
          <h3 className="panel-subtitle">{t('overview.levels')}</h3>
          <ul className="level-list">
            {LEVELS.map((l) => (
              <li key={l} className={`level level-${l}`}>
                <span className="level-swatch" aria-hidden="true" />
                {t(`overview.level.${l}`)}
              </li>
            ))}
          </ul>
        </div>
        <div className="panel">
          <div className="panel-head">
            <h2 className="panel-title">{t('overview.incidents')}</h2>
            <span className="badge badge-planned">{t('placeholder.badge')}</span>
          </div>
          <p className="muted">{t('overview.incidentsBody')}</p>
        </div>
      </div>
    </section>
  );
}
