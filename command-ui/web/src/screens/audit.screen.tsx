import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import type { AuditEntry } from '../../../../contracts/api.ts';
import { AUDIT_SUBJECTS, isAuditAction, type AuditCsvQuery } from '../../../../contracts/audit.ts';
import { issuesFor } from '../api/client.ts';
import { ErrorBanner } from '../components/error-banner.tsx';
import { Field } from '../components/field.tsx';
import { Icon } from '../components/icon.tsx';
import { useI18n, type Translate } from '../i18n/i18n.tsx';
import type { MessageKey } from '../i18n/messages.ts';
import { fromLocalInput } from '../sightings/sighting-list.ts';
import { useSignedIn } from '../state/session.tsx';
import '../styles/sightings.css';
import '../styles/audit.css';

/**
 * The audit log (审计日志), for administrators: who did what, to what, when and from where; newest
 * first, filtered by time, user, action (one subject's actions), target and text in the details,
 * with "load more" and a CSV download of the filtered rows (itself audited).
 */
const PAGE = 100;

const TARGET_TYPES = ['camera', 'user', 'sighting', 'watchlist', 'watchlist_entry', 'alert', 'incident', 'dispatch', 'plan', 'unit', 'site', 'audit'] as const;

interface Draft {
  from: string;
  to: string;
  user: string;
  action: string;
  targetType: string;
  targetId: string;
  q: string;
}

const EMPTY: Draft = { from: '', to: '', user: '', action: '', targetType: '', targetId: '', q: '' };

function toQuery(d: Draft): AuditCsvQuery {
  const text = (v: string) => (v.trim() === '' ? undefined : v.trim());
  return {
    from: fromLocalInput(d.from),
    to: fromLocalInput(d.to),
    user: text(d.user),
    action: d.action === '' ? undefined : d.action,
    targetType: text(d.targetType),
    targetId: text(d.targetId),
    q: text(d.q),
  };
}

/** `1 h 02 min`, `3 min 05 s`, `42 s`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  if (h > 0) return `${h} h ${two(m)} min`;
  if (m > 0) return `${m} min ${two(sec)} s`;
  return `${sec} s`;
}

function actionLabel(action: string, t: Translate): string {
  return isAuditAction(action) ? t(`audit.action.${action}` as MessageKey) : action;
}

function targetLabel(type: string | null, t: Translate): string | null {
  if (!type) return null;
  return (TARGET_TYPES as readonly string[]).includes(type) ? t(`audit.target.${type}` as MessageKey) : type;
}

/** Ids that say nothing to a reader are left out of the summary (the target column has the target). */
const HIDDEN_DETAIL = new Set(['viewerId', 'durationMs']);

function valueText(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (Array.isArray(v)) return v.map(valueText).join(', ');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** A one-line summary of an entry's detail: `plate=沪A12345 · results=3`; for live.close how long it was watched. */
export function detailSummary(entry: AuditEntry, t: Translate): string {
  const parts: string[] = [];
  const d = entry.detail;
  if (entry.action === 'live.close' && typeof d.durationMs === 'number') parts.push(t('audit.watched', { duration: formatDuration(d.durationMs) }));
  for (const [k, v] of Object.entries(d)) {
    if (HIDDEN_DETAIL.has(k) || v === undefined || v === null || (Array.isArray(v) && v.length === 0)) continue;
    parts.push(`${k}=${valueText(v)}`);
  }
  const text = parts.join(' · ');
  return text.length > 240 ? `${text.slice(0, 239)}…` : text;
}

export function AuditScreen() {
  const { t, formatDateTime } = useI18n();
  const { api } = useSignedIn();
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [applied, setApplied] = useState<AuditCsvQuery>({});
  const [items, setItems] = useState<AuditEntry[]>([]);
  const [total, setTotal] = useState(0);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [downloading, setDownloading] = useState(false);
  const [downloadError, setDownloadError] = useState<unknown>(null);
  const current = useRef<AbortController | null>(null);

  const load = useCallback(
    (query: AuditCsvQuery, offset: number) => {
      current.current?.abort();
      const controller = new AbortController();
      current.current = controller;
      setLoading(true);
      setError(null);
      api.listAudit({ ...query, limit: PAGE, offset }, controller.signal).then(
        (page) => {
          if (controller.signal.aborted) return;
          // Entries written meanwhile push older ones down a page: never show one twice.
          setItems((shown) => {
            if (offset === 0) return page.items;
            const seen = new Set(shown.map((e) => e.id));
            return [...shown, ...page.items.filter((e) => !seen.has(e.id))];
          });
          setTotal(page.total);
          setLoading(false);
        },
        (caught: unknown) => {
          if (controller.signal.aborted) return;
          setError(caught);
          setLoading(false);
        },
      );
    },
    [api],
  );
  useEffect(() => {
    load(applied, 0);
    return () => current.current?.abort();
  }, [load, applied]);

  const set = (key: keyof Draft, value: string) => setDraft((d) => ({ ...d, [key]: value }));
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setApplied(toQuery(draft));
  };
  const reset = () => {
    setDraft(EMPTY);
    setApplied({});
  };

  const download = async () => {
    setDownloading(true);
    setDownloadError(null);
    try {
      const { blob, filename } = await api.auditCsv(applied);
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = filename;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (caught) {
      setDownloadError(caught);
    } finally {
      setDownloading(false);
    }
  };

  return (
    <section className="screen audit-screen" data-testid="audit-screen">
      <header className="screen-header">
        <h1 className="screen-title">{t('audit.title')}</h1>
        <span className="screen-count" data-testid="audit-count">
          {t('audit.shown', { shown: items.length, total })}
        </span>
        <span className="muted audit-note">{t('audit.appendOnly')}</span>
        <div className="screen-tools">
          <button type="button" className="btn" onClick={() => void download()} disabled={downloading} data-testid="audit-csv">
            <Icon name="save" />
            <span>{t('audit.csv')}</span>
          </button>
        </div>
      </header>
      <form className="sightings-form audit-form" onSubmit={onSubmit} aria-label={t('audit.filters')} data-testid="audit-form" noValidate>
        <Field name="from" label={t('audit.from')} error={issuesFor(error, 'from')}>
          {(a) => <input {...a} name="from" type="datetime-local" value={draft.from} onChange={(e) => set('from', e.target.value)} />}
        </Field>
        <Field name="to" label={t('audit.to')} error={issuesFor(error, 'to')}>
          {(a) => <input {...a} name="to" type="datetime-local" value={draft.to} onChange={(e) => set('to', e.target.value)} />}
        </Field>
        <Field name="user" label={t('audit.user')} error={issuesFor(error, 'user')} className="audit-field-user">
          {(a) => <input {...a} name="user" value={draft.user} onChange={(e) => set('user', e.target.value)} placeholder={t('audit.userPlaceholder')} autoComplete="off" spellCheck={false} />}
        </Field>
        <Field name="action" label={t('audit.action')} error={issuesFor(error, 'action')}>
          {(a) => (
            <select {...a} name="action" value={draft.action} onChange={(e) => set('action', e.target.value)}>
              <option value="">{t('audit.allActions')}</option>
              {AUDIT_SUBJECTS.map((s) => (
                <option key={s} value={`${s}.`}>
                  {t(`audit.subject.${s}` as MessageKey)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field name="targetType" label={t('audit.targetType')} error={issuesFor(error, 'targetType')}>
          {(a) => (
            <select {...a} name="targetType" value={draft.targetType} onChange={(e) => set('targetType', e.target.value)}>
              <option value="">{t('audit.anyTarget')}</option>
              {TARGET_TYPES.map((type) => (
                <option key={type} value={type}>
                  {t(`audit.target.${type}` as MessageKey)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field name="targetId" label={t('audit.targetId')} error={issuesFor(error, 'targetId')} className="audit-field-id">
          {(a) => <input {...a} name="targetId" value={draft.targetId} onChange={(e) => set('targetId', e.target.value)} autoComplete="off" spellCheck={false} className="mono" />}
        </Field>
        <Field name="q" label={t('audit.text')} error={issuesFor(error, 'q')} className="audit-field-text">
          {(a) => <input {...a} name="q" value={draft.q} onChange={(e) => set('q', e.target.value)} placeholder={t('audit.textPlaceholder')} autoComplete="off" spellCheck={false} />}
        </Field>
        <div className="sightings-form-actions">
          <button type="submit" className="btn btn-primary" data-testid="audit-apply">
            <Icon name="search" />
            <span>{t('audit.apply')}</span>
          </button>
          <button type="button" className="btn" onClick={reset}>
            {t('audit.reset')}
          </button>
        </div>
      </form>
      {error !== null && <ErrorBanner error={error} onRetry={() => load(applied, 0)} />}
      {downloadError !== null && <ErrorBanner error={downloadError} />}
      <div className="table-wrap">
        <table className="table audit-table" data-testid="audit-table">
          <thead>
            <tr>
              <th className="col-time">{t('audit.col.time')}</th>
              <th className="col-small">{t('audit.col.user')}</th>
              <th>{t('audit.col.action')}</th>
              <th>{t('audit.col.target')}</th>
              <th>{t('audit.col.detail')}</th>
              <th className="col-small">{t('audit.col.ip')}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((e) => (
              <tr key={e.id} data-audit-id={e.id} data-action={e.action} data-username={e.username ?? ''}>
                <td className="mono muted">{formatDateTime(e.at)}</td>
                <td className="mono">{e.username ?? <span className="muted">{t('audit.system')}</span>}</td>
                <td>
                  <span className={`audit-action audit-subject-${e.action.slice(0, e.action.indexOf('.'))}`} title={e.action}>
                    {actionLabel(e.action, t)}
                  </span>
                </td>
                <td className="audit-target">
                  {targetLabel(e.targetType, t)}
                  {e.targetId && <span className="mono muted" title={e.targetId}> {e.targetId.length > 13 ? `${e.targetId.slice(0, 8)}…` : e.targetId}</span>}
                </td>
                <td className="audit-detail" data-testid="audit-detail">
                  {detailSummary(e, t)}
                </td>
                <td className="mono muted">{e.ip ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {loading && items.length === 0 && <div className="table-empty">{t('common.loading')}</div>}
        {!loading && error === null && items.length === 0 && <div className="table-empty">{t('audit.empty')}</div>}
      </div>
      {items.length < total && (
        <div className="audit-more">
          <button type="button" className="btn" disabled={loading} onClick={() => load(applied, items.length)} data-testid="audit-more">
            {loading ? t('common.loading') : t('audit.loadMore')}
          </button>
        </div>
      )}
    </section>
  );
}
