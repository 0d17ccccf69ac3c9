import { useState, type FormEvent } from 'react';
import { hasPermission } from '../../../../contracts/roles.ts';
import { describeError } from '../components/error-banner.tsx';
import { useI18n, type Translate } from '../i18n/i18n.tsx';
import type { MessageKey } from '../i18n/messages.ts';
import { useSignedIn } from '../state/session.tsx';
import { nextAction } from './alert-list.ts';
import { ALERT_DISPOSITIONS, type Alert, type AlertDisposition, type AlertLevel } from './alert-types.ts';
import { useLevelText } from '../state/display-settings.tsx';

/** Level chip: the colour and its name (红色 · 拦截扣留). */
export function LevelChip({ level, big }: { level: AlertLevel; t?: Translate; big?: boolean }) {
  const levels = useLevelText();
  return (
    <span className={`level-chip level-${level}${big ? ' level-chip-big' : ''}`} data-level={level} title={levels.action(level)}>
      <span className="lvl-swatch" aria-hidden="true" />
      <span className="level-name">{levels.name(level)}</span>
      {big && <span className="level-action">{levels.action(level)}</span>}
    </span>
  );
}

export function StatusBadge({ alert, t }: { alert: Alert; t: Translate }) {
  return (
    <span className={`badge alert-status status-${alert.status}`} data-status={alert.status}>
      {t(`alertStatus.${alert.status}`)}
      {alert.disposition && ` · ${t(`disposition.${alert.disposition}`)}`}
    </span>
  );
}

/** What was listed: the plate pattern or the person's name. */
export function listedText(alert: Alert): string {
  return (alert.kind === 'face' ? alert.entry.personName : alert.entry.plate) ?? '';
}

const ACTION_KEYS: Readonly<Record<string, MessageKey>> = {
  create: 'alertAction.create',
  created: 'alertAction.create',
  acknowledge: 'alertAction.acknowledge',
  acknowledged: 'alertAction.acknowledge',
  inspect: 'alertAction.inspect',
  inspecting: 'alertAction.inspect',
  resolve: 'alertAction.resolve',
  resolved: 'alertAction.resolve',
  note: 'alertAction.note',
  escalate: 'alertAction.escalate',
  escalated: 'alertAction.escalate',
};

/**
 * The actions of one alert: Acknowledge → Start inspection → Record outcome (disposition and a
 * note). Each call answers the updated alert, handed to `onChanged`; a refused transition (409,
 * someone else acted first) is shown and the latest copy re-read.
 */
export function AlertActions({ alert, onChanged, onAction, big }: { alert: Alert; onChanged: (alert: Alert) => void; onAction?: (alert: Alert) => void; big?: boolean }) {
  const { t } = useI18n();
  const { api, user } = useSignedIn();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [resolving, setResolving] = useState(false);
  const [disposition, setDisposition] = useState<AlertDisposition | ''>('');
  const [note, setNote] = useState('');
  const next = nextAction(alert.status);

  const run = async (call: () => Promise<Alert>) => {
    setBusy(true);
    setError(null);
    try {
      const updated = await call();
      onChanged(updated);
      onAction?.(updated);
      setResolving(false);
      setNote('');
      setDisposition('');
    } catch (caught) {
      const { title, message } = describeError(caught, t);
      setError(message ? `${title}: ${message}` : title);
      api.getAlert(alert.id).then(onChanged, () => undefined);
    } finally {
      setBusy(false);
    }
  };

  const onResolve = (event: FormEvent) => {
    event.preventDefault();
    if (!disposition) return;
    void run(() => api.resolveAlert(alert.id, disposition, note.trim() || undefined));
  };

  const size = big ? '' : ' btn-small';
  if (!hasPermission(user.roles, 'alerts.act')) return null;
  return (
    <div className={`alert-actions${big ? ' alert-actions-big' : ''}`} data-testid="alert-actions">
      {next === 'acknowledge' && (
        <button type="button" className={`btn btn-primary${size}`} disabled={busy} data-action="acknowledge" onClick={() => void run(() => api.alertAction(alert.id, 'acknowledge'))}>
          {t('alertAction.acknowledge')}
        </button>
      )}
      {next === 'inspect' && (
        <button type="button" className={`btn btn-primary${size}`} disabled={busy} data-action="inspect" onClick={() => void run(() => api.alertAction(alert.id, 'inspect'))}>
          {t('alertAction.inspect')}
        </button>
      )}
      {next === 'resolve' && !resolving && (
        <button type="button" className={`btn btn-primary${size}`} disabled={busy} data-action="resolve" onClick={() => setResolving(true)}>
          {t('alertAction.resolve')}
        </button>
      )}
      {next === 'resolve' && resolving && (
        <form className="resolve-form" onSubmit={onResolve} data-testid="resolve-form">
          <fieldset className="disposition-choices">
            <legend>{t('alert.disposition')}</legend>
            {ALERT_DISPOSITIONS.map((d) => (
              <label key={d} className={`disposition-choice${disposition === d ? ' selected' : ''}`}>
                <input type="radio" name="disposition" value={d} checked={disposition === d} onChange={() => setDisposition(d)} />
                <span>{t(`disposition.${d}`)}</span>
              </label>
            ))}
          </fieldset>
          <textarea name="note" value={note} onChange={(e) => setNote(e.target.value)} placeholder={t('alert.notePlaceholder')} rows={2} maxLength={2000} />
          <div className="resolve-buttons">
            <button type="submit" className={`btn btn-primary${size}`} disabled={busy || !disposition} data-action="submit-outcome">
              {t('alert.submitOutcome')}
            </button>
            <button type="button" className={`btn${size}`} disabled={busy} onClick={() => setResolving(false)}>
              {t('common.cancel')}
            </button>
          </div>
        </form>
      )}
      {hasPermission(user.roles, 'incidents.manage') && (
        <button
          type="button"
          className={`btn${size}`}
          disabled={busy}
          data-action="create-incident"
          onClick={() =>
            void run(async () => {
              const incident = await api.incidentFromAlert(alert.id);
              window.location.hash = `#/incidents/${incident.id}`;
              return alert;
            })
          }
        >
          {t('incidents.fromAlert')}
        </button>
      )}
      {error && (
        <div className="field-error" role="alert" data-testid="alert-action-error">
          {error}
        </div>
      )}
    </div>
  );
}

/** Who did what and when. */
export function AlertHistory({ alert }: { alert: Alert }) {
  const { t, formatDateTime } = useI18n();
  if (!alert.actions || alert.actions.length === 0) return null;
  return (
    <ol className="alert-history" data-testid="alert-history">
      {alert.actions.map((a, i) => {
        const key = ACTION_KEYS[a.action];
        return (
          <li key={`${a.at}-${i}`} data-action={a.action}>
            <span className="mono muted">{formatDateTime(a.at)}</span> <strong>{key ? t(key) : a.action}</strong> <span className="muted">{a.username ?? t('alert.system')}</span>
            {a.note && <span className="alert-history-note"> — {a.note}</span>}
          </li>
        );
      })}
    </ol>
  );
}

/** The evidence: the crop, with the whole frame one click away. */
export function AlertEvidence({ alert, big }: { alert: Alert; big?: boolean }) {
  const { t } = useI18n();
  const { api } = useSignedIn();
  const [showFrame, setShowFrame] = useState(false);
  const src = showFrame && alert.frameUrl ? alert.frameUrl : (alert.cropUrl ?? alert.frameUrl);
  return (
    <div className={`alert-evidence${big ? ' alert-evidence-big' : ''}`}>
      {src ? (
        <img src={api.evidenceUrl(src)} alt={listedText(alert) || t('alert.evidence')} data-testid="alert-image" data-which={src === alert.cropUrl ? 'crop' : 'frame'} />
      ) : (
        <span className="thumb-none">{t('sightings.noImage')}</span>
      )}
      {big && alert.cropUrl && alert.frameUrl && (
        <div className="segmented alert-evidence-switch">
          <button type="button" className={`segment${showFrame ? '' : ' active'}`} onClick={() => setShowFrame(false)}>
            {t('alert.crop')}
          </button>
          <button type="button" className={`segment${showFrame ? ' active' : ''}`} onClick={() => setShowFrame(true)} data-action="show-frame">
            {t('alert.frame')}
          </button>
        </div>
      )}
    </div>
  );
}

/** The big card of the terminal (and the feed's detail panel). */
export function AlertCard({ alert, onChanged, onAction }: { alert: Alert; onChanged: (alert: Alert) => void; onAction?: (alert: Alert) => void }) {
  const { t, formatDateTime } = useI18n();
  const read = alert.sighting.plateText ?? null;
  const listed = listedText(alert);
  return (
    <article className={`alert-card level-border-${alert.level}`} data-testid="alert-card" data-alert-id={alert.id} data-level={alert.level} data-status={alert.status}>
      <header className={`alert-card-head level-bg-${alert.level}`}>
        <LevelChip level={alert.level} t={t} big />
        <StatusBadge alert={alert} t={t} />
        {alert.escalatedAt && <span className="badge badge-escalated">{t('alert.escalated')}</span>}
        {alert.watchlist.covert && <span className="badge badge-covert">{t('alert.covert')}</span>}
      </header>
      <div className="alert-card-body">
        <AlertEvidence alert={alert} big />
        <dl className="alert-facts">
          {alert.kind === 'plate' ? (
            <>
              <dt>{t('alert.plateRead')}</dt>
              <dd className="alert-plate" data-testid="alert-plate-read">
                <span className={`plate-chip plate-${alert.sighting.plateColour ?? 'unknown'}`}>{read ?? t('common.none')}</span>
              </dd>
              <dt>{t('alert.plateListed')}</dt>
              <dd className="alert-plate mono" data-testid="alert-plate-listed">
                {listed}
              </dd>
            </>
          ) : (
            <>
              <dt>{t('alert.person')}</dt>
              <dd className="alert-person" data-testid="alert-person">
                {listed}
              </dd>
              {alert.candidates && alert.candidates.length > 1 && (
                <>
                  <dt>{t('alert.candidates')}</dt>
                  <dd>
                    <ol className="alert-candidates" data-testid="alert-candidates">
                      {alert.candidates.map((c) => (
                        <li key={c.entryId}>
                          {c.personName ?? t('common.none')} <span className="mono muted">{Math.round(c.score * 100)}%</span>
                        </li>
                      ))}
                    </ol>
                  </dd>
                </>
              )}
            </>
          )}
          <dt>{t('alert.score')}</dt>
          <dd className="mono">{alert.score === null ? t('common.none') : `${Math.round(alert.score * 100)}%`}</dd>
          <dt>{t('alert.reason')}</dt>
          <dd data-testid="alert-reason">{alert.entry.reason || t('common.none')}</dd>
          <dt>{t('alert.caseNumber')}</dt>
          <dd className="mono" data-testid="alert-case">
            {alert.entry.caseNumber || t('common.none')}
          </dd>
          <dt>{t('alert.watchlist')}</dt>
          <dd>{alert.watchlist.name}</dd>
          <dt>{t('alert.camera')}</dt>
          <dd>{alert.cameraName ?? alert.cameraId?.slice(0, 8) ?? t('common.none')}</dd>
          <dt>{t('alert.site')}</dt>
          <dd>{alert.siteName ?? t('common.none')}</dd>
          <dt>{t('alert.time')}</dt>
          <dd className="mono">{formatDateTime(alert.sighting.observedAt ?? alert.createdAt)}</dd>
        </dl>
      </div>
      <AlertActions alert={alert} onChanged={onChanged} onAction={onAction} big />
      <AlertHistory alert={alert} />
    </article>
  );
}
