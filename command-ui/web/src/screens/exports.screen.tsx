import { useCallback, useEffect, useMemo, useState, type FormEvent } from 'react';
import type { ExportJob, ExportPublicKey } from '../../../../contracts/exports.ts';
import { ErrorBanner } from '../components/error-banner.tsx';
import { Field } from '../components/field.tsx';
import { Icon } from '../components/icon.tsx';
import { useFieldErrors } from '../components/use-field-errors.ts';
import { useI18n } from '../i18n/i18n.tsx';
import { fromLocalInput, toLocalInput } from '../sightings/sighting-list.ts';
import { useLive } from '../state/live.tsx';
import { useCameras } from '../state/use-cameras.ts';
import { useSignedIn } from '../state/session.tsx';
import '../styles/exports.css';

/**
 * Evidence export: choose cameras, a time range and the reason (case number); the server builds a
 * package of the recordings, sightings, alerts and audit entries with a signed manifest, as a job
 * whose progress is pushed here. Each finished export shows its size, the package's SHA-256 and the
 * signing key's fingerprint, and downloads as one tar that `npx argus verify-export` checks.
 */

const HOUR = 3600_000;

function formatBytes(n: number | null): string {
  if (n === null) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** Newest first; a pushed update replaces the row it is about. */
function upsert(list: readonly ExportJob[], job: ExportJob): ExportJob[] {
  const known = list.find((j) => j.id === job.id);
  // A late push must not undo a later state (progress only grows within one run).
  if (known && known.status === job.status && known.progress > job.progress) return [...list];
  const rest = list.filter((j) => j.id !== job.id);
  return [job, ...rest].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
}

export function ExportsScreen() {
  const { t, formatDateTime } = useI18n();
  const { api } = useSignedIn();
  const { socket, generation } = useLive();
  const { cameras, byId } = useCameras();
  const [jobs, setJobs] = useState<ExportJob[] | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [key, setKey] = useState<ExportPublicKey | null>(null);
  const [cameraIds, setCameraIds] = useState<string[]>([]);
  const [from, setFrom] = useState(() => toLocalInput(new Date(Date.now() - HOUR)));
  const [to, setTo] = useState(() => toLocalInput(new Date()));
  const [reason, setReason] = useState('');
  const [submitting, setSubmitting] = useState(false);
  const [submitError, setSubmitError] = useState<unknown>(null);
  const fieldErrors = useFieldErrors(submitError);

  const load = useCallback(() => {
    setLoadError(null);
    api.listExports().then(
      (reply) => setJobs(reply.items),
      (caught: unknown) => setLoadError(caught),
    );
  }, [api]);
  // Read again after every (re)connection: pushes missed while offline are caught up.
  useEffect(load, [load, generation]);
  useEffect(() => {
    api.exportPublicKey().then(setKey, () => setKey(null));
  }, [api]);

  useEffect(() => {
    if (!socket) return;
    const onUpdated = (job: ExportJob) => setJobs((list) => upsert(list ?? [], job));
    socket.on('export.updated', onUpdated);
    return () => {
      socket.off('export.updated', onUpdated);
    };
  }, [socket]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    fieldErrors.reset();
    setSubmitError(null);
    setSubmitting(true);
    try {
      const start = fromLocalInput(from);
      const end = fromLocalInput(to);
      const job = await api.createExport({
        cameraIds,
        // An unreadable time goes as an empty string: the server names the field.
        from: start ? start.toISOString() : '',
        to: end ? end.toISOString() : '',
        reason,
      });
      setJobs((list) => upsert(list ?? [], job));
      setReason('');
    } catch (caught) {
      setSubmitError(caught);
    } finally {
      setSubmitting(false);
    }
  };

  const remove = async (job: ExportJob) => {
    try {
      const updated = await api.deleteExportPackage(job.id);
      setJobs((list) => upsert(list ?? [], updated));
    } catch (caught) {
      setLoadError(caught);
    }
  };

  const cameraNames = useMemo(() => (ids: readonly string[]) => ids.map((id) => byId.get(id)?.name ?? id.slice(0, 8)).join(', '), [byId]);

  return (
    <section className="screen exports-screen" data-testid="exports-screen">
      <header className="screen-header">
        <h1 className="screen-title">{t('exports.title')}</h1>
        <span className="screen-count">{t('common.total', { count: jobs?.length ?? 0 })}</span>
        <div className="screen-tools exports-key" data-testid="exports-key">
          <span className="muted">{t('exports.keyFingerprint')}</span>
          <code className="mono exports-fingerprint" title={key?.fingerprint}>
            {key ? key.fingerprint : '…'}
          </code>
        </div>
      </header>

      <form className="exports-form panel" onSubmit={(e) => void submit(e)} data-testid="exports-form" noValidate>
        <Field label={t('exports.cameras')} name="cameraIds" error={fieldErrors.errorFor('cameraIds')} hint={t('exports.camerasHint')}>
          {(a) => (
            <select
              {...a}
              multiple
              size={Math.min(6, Math.max(3, cameras.length))}
              value={cameraIds}
              data-testid="exports-cameras"
              onChange={(e) => {
                fieldErrors.edited('cameraIds');
                setCameraIds([...e.target.selectedOptions].map((o) => o.value));
              }}
            >
              {cameras.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <div className="exports-form-side">
          <div className="field-row">
            <Field label={t('exports.from')} name="from" error={fieldErrors.errorFor('from')}>
              {(a) => <input {...a} type="datetime-local" value={from} data-testid="exports-from" onChange={(e) => (fieldErrors.edited('from'), setFrom(e.target.value))} />}
            </Field>
            <Field label={t('exports.to')} name="to" error={fieldErrors.errorFor('to')}>
              {(a) => <input {...a} type="datetime-local" value={to} data-testid="exports-to" onChange={(e) => (fieldErrors.edited('to'), setTo(e.target.value))} />}
            </Field>
          </div>
          <Field label={t('exports.reason')} name="reason" error={fieldErrors.errorFor('reason')} hint={t('exports.reasonHint')}>
            {(a) => <input {...a} type="text" maxLength={500} value={reason} data-testid="exports-reason" onChange={(e) => (fieldErrors.edited('reason'), setReason(e.target.value))} />}
          </Field>
          {submitError !== null && <ErrorBanner error={submitError} />}
          <div>
            <button type="submit" className="btn btn-primary" disabled={submitting} data-testid="exports-submit">
              <Icon name="exports" />
              <span>{submitting ? t('exports.submitting') : t('exports.submit')}</span>
            </button>
          </div>
        </div>
      </form>

      {loadError !== null && <ErrorBanner error={loadError} onRetry={load} />}
      <div className="table-wrap">
        <table className="table" data-testid="exports-table">
          <thead>
            <tr>
              <th className="col-time">{t('exports.col.created')}</th>
              <th>{t('exports.col.cameras')}</th>
              <th>{t('exports.col.range')}</th>
              <th>{t('exports.col.reason')}</th>
              <th className="exports-col-progress">{t('exports.col.status')}</th>
              <th className="col-small">{t('exports.col.size')}</th>
              <th>{t('exports.col.sha256')}</th>
              <th className="col-actions">{t('common.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {(jobs ?? []).map((job) => (
              <tr key={job.id} data-testid="export-row" data-export-id={job.id} data-status={job.status}>
                <td className="col-time">{formatDateTime(job.createdAt)}</td>
                <td>{cameraNames(job.cameraIds)}</td>
                <td className="exports-range">
                  {formatDateTime(job.from)} – {formatDateTime(job.to)}
                </td>
                <td>{job.reason}</td>
                <td className="exports-col-progress">
                  <div className={`exports-progress exports-progress-${job.status}`} role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={job.progress} data-testid="export-progress">
                    <div className="exports-progress-bar" style={{ width: `${job.progress}%` }} />
                    <span className="exports-progress-text">{job.status === 'running' ? `${job.progress}%` : t(`exports.status.${job.status}`)}</span>
                  </div>
                  {job.error && <div className="field-error">{job.error}</div>}
                </td>
                <td className="col-small mono">{formatBytes(job.bytes)}</td>
                <td className="mono exports-hash" title={job.sha256 ?? undefined} data-testid="export-sha256">
                  {job.sha256 ?? '—'}
                </td>
                <td className="cell-actions">
                  {job.status === 'done' && !job.fileDeletedAt && (
                    <>
                      <a className="btn btn-small" href={api.exportDownloadUrl(job.id)} download={job.fileName ?? undefined} data-testid="export-download">
                        {t('exports.download')}
                      </a>
                      <button type="button" className="btn btn-small btn-danger-ghost" onClick={() => void remove(job)} data-testid="export-delete">
                        {t('exports.deletePackage')}
                      </button>
                    </>
                  )}
                  {job.fileDeletedAt && <span className="muted">{t('exports.packageDeleted')}</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {jobs === null && loadError === null && <div className="table-empty">{t('common.loading')}</div>}
        {jobs !== null && jobs.length === 0 && <div className="table-empty">{t('exports.empty')}</div>}
      </div>
      <p className="muted exports-verify-hint">{t('exports.verifyHint')}</p>
    </section>
  );
}
