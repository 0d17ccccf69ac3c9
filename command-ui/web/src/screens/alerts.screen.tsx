import { useCallback, useEffect, useMemo, useState, type FormEvent } from 'react';
import type { Site } from '../../../../contracts/api.ts';
import { countByLevel, matchesFilter, type AlertFilter } from '../alerts/alert-list.ts';
import { ALERT_LEVELS, ALERT_STATUSES, type Alert, type AlertLevel, type AlertQuery, type AlertStatus } from '../alerts/alert-types.ts';
import { AlertActions, AlertCard, AlertEvidence, LevelChip, StatusBadge, listedText } from '../alerts/alert-view.tsx';
import { useAlertStream } from '../alerts/use-alert-stream.ts';
import { ErrorBanner } from '../components/error-banner.tsx';
import { Field } from '../components/field.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { fromLocalInput, toLocalInput } from '../sightings/sighting-list.ts';
import { useSignedIn } from '../state/session.tsx';
import { hasPermission } from '../../../../contracts/roles.ts';
import '../styles/alerts.css';
import { useLevelText } from '../state/display-settings.tsx';

/**
 * Alert feed (预警中心) of the command centre: every alert the user may see, newest first, filtered
 * by status, level, checkpoint and time, with counts per level, live arrivals and the same actions
 * as the terminal. A row opens the alert's detail beside the list.
 */
const HOUR = 3_600_000;

interface Draft {
  status: AlertStatus | '';
  level: AlertLevel | '';
  siteId: string;
  from: string;
  to: string;
}

function initialDraft(): Draft {
  return { status: '', level: '', siteId: '', from: toLocalInput(new Date(Date.now() - 24 * HOUR)), to: '' };
}

function toFilter(d: Draft): AlertFilter {
  return { status: d.status, level: d.level, siteId: d.siteId || undefined, from: fromLocalInput(d.from), to: fromLocalInput(d.to) };
}

export function AlertsScreen() {
  const { t, formatDateTime } = useI18n();
  const levels = useLevelText();
  const { api, user } = useSignedIn();
  const canAct = hasPermission(user.roles, 'alerts.act');
  const [draft, setDraft] = useState<Draft>(initialDraft);
  const [filter, setFilter] = useState<AlertFilter>(() => toFilter(draft));
  const [sites, setSites] = useState<Site[]>([]);
  const [selectedId, setSelectedId] = useState<string | null>(null);

  useEffect(() => {
    api.listSites().then(
      (r) => setSites(r.items),
      () => setSites([]),
    );
  }, [api]);

  const query = useMemo<AlertQuery>(
    () => ({ status: filter.status || undefined, level: filter.level || undefined, siteId: filter.siteId, from: filter.from, to: filter.to, limit: 200 }),
    [filter],
  );
  const accept = useCallback((a: Alert) => matchesFilter(a, filter), [filter]);
  const stream = useAlertStream({ query, accept });
  // A pushed update can move an alert out of the filter (resolved while showing "new").
  const alerts = stream.alerts.filter((a) => matchesFilter(a, filter));
  const counts = countByLevel(alerts);
  const selected = selectedId ? stream.alerts.find((a) => a.id === selectedId) : undefined;

  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft((d) => ({ ...d, [key]: value }));
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setFilter(toFilter(draft));
  };
  const setLevel = (level: AlertLevel | '') => {
    const next = { ...draft, level };
    setDraft(next);
    setFilter(toFilter(next));
  };

  return (
    <section className="screen alerts-screen" data-testid="alerts-screen">
      <header className="screen-header">
        <h1 className="screen-title">{t('alerts.title')}</h1>
        <span className="screen-count" data-testid="alerts-count">
          {t('alerts.shown', { count: alerts.length })}
        </span>
        <div className="level-counts" data-testid="alerts-counts">
          {ALERT_LEVELS.map((l) => (
            <button key={l} type="button" className={`level-count level-${l}${draft.level === l ? ' active' : ''}`} data-level={l} title={levels.action(l)} onClick={() => setLevel(draft.level === l ? '' : l)}>
              {levels.name(l)} {counts[l]}
            </button>
          ))}
        </div>
      </header>

      <form className="sightings-form alerts-form" onSubmit={onSubmit} data-testid="alerts-form" noValidate>
        <Field name="status" label={t('alerts.status')}>
          {(a) => (
            <select {...a} name="status" value={draft.status} onChange={(e) => set('status', e.target.value as Draft['status'])}>
              <option value="">{t('alerts.anyStatus')}</option>
              {ALERT_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {t(`alertStatus.${s}`)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field name="level" label={t('alerts.level')}>
          {(a) => (
            <select {...a} name="level" value={draft.level} onChange={(e) => set('level', e.target.value as Draft['level'])}>
              <option value="">{t('alerts.anyLevel')}</option>
              {ALERT_LEVELS.map((l) => (
                <option key={l} value={l}>
                  {levels.name(l)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field name="siteId" label={t('alerts.site')}>
          {(a) => (
            <select {...a} name="siteId" value={draft.siteId} onChange={(e) => set('siteId', e.target.value)}>
              <option value="">{t('alerts.anySite')}</option>
              {sites.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field name="from" label={t('sightings.from')}>
          {(a) => <input {...a} name="from" type="datetime-local" value={draft.from} onChange={(e) => set('from', e.target.value)} />}
        </Field>
        <Field name="to" label={t('sightings.to')} hint={draft.to ? undefined : t('alerts.toHint')} className="field-to">
          {(a) => <input {...a} name="to" type="datetime-local" value={draft.to} onChange={(e) => set('to', e.target.value)} />}
        </Field>
        <div className="sightings-form-actions">
          <button type="submit" className="btn btn-primary" data-testid="alerts-apply">
            {t('alerts.apply')}
          </button>
          <button
            type="button"
            className="btn"
            onClick={() => {
              const d = initialDraft();
              setDraft(d);
              setFilter(toFilter(d));
            }}
          >
            {t('sightings.reset')}
          </button>
        </div>
      </form>

      {stream.error !== null && <ErrorBanner error={stream.error} onRetry={stream.reload} />}

      <div className="alerts-body">
        <div className="table-wrap">
          <table className="table alerts-table" data-testid="alerts-table">
            <thead>
              <tr>
                <th className="col-thumb">{t('sightings.col.image')}</th>
                <th>{t('alerts.level')}</th>
                <th className="col-time">{t('alert.time')}</th>
                <th>{t('alerts.col.subject')}</th>
                <th>{t('alert.reason')}</th>
                <th>{t('alert.site')}</th>
                <th>{t('alerts.status')}</th>
                {canAct && <th className="col-actions">{t('common.actions')}</th>}
              </tr>
            </thead>
            <tbody>
              {alerts.map((a) => (
                <tr key={a.id} data-alert-id={a.id} data-level={a.level} data-status={a.status} className={`alert-row level-row-${a.level}${selectedId === a.id ? ' selected' : ''}`} onClick={() => setSelectedId(a.id)}>
                  <td className="cell-thumb">
                    <AlertEvidence alert={a} />
                  </td>
                  <td>
                    <LevelChip level={a.level} t={t} />
                  </td>
                  <td className="mono">{formatDateTime(a.createdAt)}</td>
                  <td>
                    <span className="mono">{a.sighting.plateText ?? listedText(a)}</span>
                    {a.kind === 'plate' && a.sighting.plateText !== listedText(a) && <span className="muted"> ≈ {listedText(a)}</span>}
                    <div className="muted small">{a.watchlist.name}</div>
                  </td>
                  <td>
                    {a.entry.reason}
                    {a.entry.caseNumber && <div className="muted mono small">{a.entry.caseNumber}</div>}
                  </td>
                  <td>
                    {a.siteName ?? t('common.none')}
                    <div className="muted small">{a.cameraName}</div>
                  </td>
                  <td>
                    <StatusBadge alert={a} t={t} />
                    {a.escalatedAt && <span className="badge badge-escalated">{t('alert.escalated')}</span>}
                  </td>
                  {canAct && (
                    <td className="cell-actions" onClick={(e) => e.stopPropagation()}>
                      {a.status === 'resolved' ? <span className="muted">{t('common.none')}</span> : <AlertActions alert={a} onChanged={stream.upsert} />}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
          {stream.loading && alerts.length === 0 && <div className="table-empty">{t('common.loading')}</div>}
          {stream.hasMore && (
            <div className="table-more">
              <button type="button" className="btn" onClick={() => void stream.loadMore()} data-testid="alerts-more">
                {t('sightings.loadMore')}
              </button>
            </div>
          )}
          {!stream.loading && alerts.length === 0 && (
            <div className="table-empty" data-testid="alerts-empty">
              {t('alerts.empty')}
            </div>
          )}
        </div>
        {selected && (
          <aside className="alerts-detail" data-testid="alerts-detail">
            <button type="button" className="btn btn-ghost btn-small alerts-detail-close" onClick={() => setSelectedId(null)}>
              {t('common.close')}
            </button>
            <AlertCard alert={selected} onChanged={stream.upsert} />
          </aside>
        )}
      </div>
    </section>
  );
}
