import { useCallback, useEffect, useState, type ChangeEvent, type FormEvent } from 'react';
import { ApiError, issuesFor } from '../api/client.ts';
import { ALERT_LEVELS, WATCHLIST_KINDS, type AlertLevel, type ImportReport, type Watchlist, type WatchlistEntry, type WatchlistInput, type WatchlistKind } from '../alerts/alert-types.ts';
import { LevelChip } from '../alerts/alert-view.tsx';
import { ConfirmDialog } from '../components/confirm-dialog.tsx';
import { describeError, ErrorBanner } from '../components/error-banner.tsx';
import { Field } from '../components/field.tsx';
import { Flash, useFlash } from '../components/flash.tsx';
import { Icon } from '../components/icon.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { fromLocalInput, toLocalInput } from '../sightings/sighting-list.ts';
import { useSignedIn } from '../state/session.tsx';
import '../styles/alerts.css';
import { useLevelText } from '../state/display-settings.tsx';

/**
 * Watchlists (布控名单): plate and face control lists with their level, covert flag, tolerance or
 * threshold and validity; a list's entries with add and remove; CSV import of plate entries with
 * the server's row-by-row report shown from a dry run before anything is stored; photos of face
 * entries enrolled one by one, a refused photo saying why.
 */
interface ListDraft {
  name: string;
  kind: WatchlistKind;
  level: AlertLevel;
  covert: boolean;
  tolerance: number;
  ignoreProvince: boolean;
  threshold: string;
  active: boolean;
  validFrom: string;
  validTo: string;
}

function draftOf(list?: Watchlist): ListDraft {
  return {
    name: list?.name ?? '',
    kind: list?.kind ?? 'plate',
    level: list?.level ?? 'red',
    covert: list?.covert ?? false,
    tolerance: list?.tolerance ?? 0,
    ignoreProvince: list?.ignoreProvince ?? false,
    threshold: String(list?.threshold ?? 0.45),
    active: list?.active ?? true,
    validFrom: list?.validFrom ? toLocalInput(new Date(list.validFrom)) : '',
    validTo: list?.validTo ? toLocalInput(new Date(list.validTo)) : '',
  };
}

function inputOf(d: ListDraft): WatchlistInput {
  const base: WatchlistInput = {
    name: d.name.trim(),
    kind: d.kind,
    level: d.level,
    covert: d.covert,
    active: d.active,
    validFrom: fromLocalInput(d.validFrom)?.toISOString() ?? null,
    validTo: fromLocalInput(d.validTo)?.toISOString() ?? null,
  };
  return d.kind === 'plate' ? { ...base, tolerance: d.tolerance, ignoreProvince: d.ignoreProvince } : { ...base, threshold: Number(d.threshold) };
}

export function WatchlistsScreen() {
  const { t } = useI18n();
  const { api } = useSignedIn();
  const [lists, setLists] = useState<Watchlist[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [editing, setEditing] = useState<Watchlist | 'new' | null>(null);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [removing, setRemoving] = useState<Watchlist | null>(null);
  const [flash, showFlash] = useFlash();

  const load = useCallback(() => {
    setError(null);
    api.listWatchlists().then(
      (items) => setLists(items),
      (caught: unknown) => setError(caught),
    );
  }, [api]);
  useEffect(load, [load]);

  const selected = lists?.find((l) => l.id === selectedId) ?? null;

  const onSaved = (list: Watchlist) => {
    setEditing(null);
    setSelectedId(list.id);
    showFlash(t('watchlists.saved', { name: list.name }));
    load();
  };

  return (
    <section className="screen watchlists-screen" data-testid="watchlists-screen">
      <header className="screen-header">
        <h1 className="screen-title">{t('watchlists.title')}</h1>
        <span className="screen-count">{t('common.total', { count: lists?.length ?? 0 })}</span>
        <div className="screen-tools">
          <button type="button" className="btn btn-primary" onClick={() => setEditing('new')} data-testid="watchlist-new">
            <Icon name="plus" />
            <span>{t('watchlists.new')}</span>
          </button>
        </div>
      </header>
      <Flash message={flash} />
      {error !== null && <ErrorBanner error={error} onRetry={load} />}
      {editing && <WatchlistForm list={editing === 'new' ? undefined : editing} onSaved={onSaved} onCancel={() => setEditing(null)} />}

      <div className="table-wrap watchlists-table-wrap">
        <table className="table" data-testid="watchlists-table">
          <thead>
            <tr>
              <th>{t('watchlists.name')}</th>
              <th>{t('watchlists.kind')}</th>
              <th>{t('watchlists.level')}</th>
              <th>{t('watchlists.settings')}</th>
              <th className="col-small">{t('watchlists.entries')}</th>
              <th>{t('watchlists.validity')}</th>
              <th className="col-actions">{t('common.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {(lists ?? []).map((l) => (
              <tr key={l.id} data-watchlist-id={l.id} className={`${selectedId === l.id ? 'selected' : ''}${l.active ? '' : ' row-dim'}`} onClick={() => setSelectedId(l.id)}>
                <td>
                  <strong>{l.name}</strong>
                  {l.covert && <span className="badge badge-covert">{t('watchlists.covert')}</span>}
                  {!l.active && <span className="tag">{t('watchlists.inactive')}</span>}
                </td>
                <td>{t(`watchlists.kind.${l.kind}`)}</td>
                <td>
                  <LevelChip level={l.level} t={t} />
                </td>
                <td className="muted small">
                  {l.kind === 'plate'
                    ? `${t('watchlists.tolerance')}: ${l.tolerance}${l.ignoreProvince ? ` · ${t('watchlists.ignoreProvince')}` : ''}`
                    : `${t('watchlists.threshold')}: ${l.threshold}`}
                </td>
                <td className="mono">{l.entryCount}</td>
                <td className="muted small">
                  <Validity from={l.validFrom} to={l.validTo} />
                </td>
                <td className="cell-actions" onClick={(e) => e.stopPropagation()}>
                  <button type="button" className="btn btn-small" onClick={() => setEditing(l)} data-action="edit">
                    {t('common.edit')}
                  </button>
                  <button type="button" className="btn btn-small btn-danger-ghost" onClick={() => setRemoving(l)} data-action="remove">
                    {t('common.remove')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {lists && lists.length === 0 && <div className="table-empty">{t('watchlists.empty')}</div>}
      </div>

      {selected && <EntriesPanel key={selected.id} list={selected} onChanged={load} />}

      {removing && (
        <ConfirmDialog
          title={t('watchlists.removeTitle', { name: removing.name })}
          confirmLabel={t('common.remove')}
          cancelLabel={t('common.cancel')}
          danger
          onCancel={() => setRemoving(null)}
          onConfirm={() => {
            const target = removing;
            api.deleteWatchlist(target.id).then(
              () => {
                setRemoving(null);
                if (selectedId === target.id) setSelectedId(null);
                load();
              },
              (caught: unknown) => {
                setRemoving(null);
                setError(caught);
              },
            );
          }}
        >
          {t('watchlists.removeBody')}
        </ConfirmDialog>
      )}
    </section>
  );
}

function Validity({ from, to }: { from: string | null; to: string | null }) {
  const { t, formatDateTime } = useI18n();
  if (!from && !to) return <>{t('watchlists.always')}</>;
  return (
    <>
      {from ? formatDateTime(from) : '…'} – {to ? formatDateTime(to) : '…'}
    </>
  );
}

function WatchlistForm({ list, onSaved, onCancel }: { list?: Watchlist; onSaved: (list: Watchlist) => void; onCancel: () => void }) {
  const { t } = useI18n();
  const levels = useLevelText();
  const { api } = useSignedIn();
  const [draft, setDraft] = useState<ListDraft>(() => draftOf(list));
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const set = <K extends keyof ListDraft>(key: K, value: ListDraft[K]) => setDraft((d) => ({ ...d, [key]: value }));

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setSaving(true);
    setError(null);
    try {
      const input = inputOf(draft);
      const saved = list ? await api.updateWatchlist(list.id, { ...input, kind: undefined }) : await api.createWatchlist(input);
      onSaved(saved);
    } catch (caught) {
      setError(caught);
    } finally {
      setSaving(false);
    }
  };

  const fieldError = (name: string) => issuesFor(error, name);
  const hasFieldErrors = error instanceof ApiError && error.issues.length > 0;
  return (
    <form className="panel watchlist-form" onSubmit={(e) => void onSubmit(e)} data-testid="watchlist-form" noValidate>
      <h2 className="panel-title">{list ? t('watchlists.editTitle', { name: list.name }) : t('watchlists.newTitle')}</h2>
      {error !== null && !hasFieldErrors && <ErrorBanner error={error} />}
      <div className="form-grid">
        <Field name="name" label={t('watchlists.name')} error={fieldError('name')}>
          {(a) => <input {...a} name="name" value={draft.name} onChange={(e) => set('name', e.target.value)} maxLength={100} required />}
        </Field>
        <Field name="kind" label={t('watchlists.kind')} error={fieldError('kind')}>
          {(a) => (
            <select {...a} name="kind" value={draft.kind} disabled={Boolean(list)} onChange={(e) => set('kind', e.target.value as WatchlistKind)}>
              {WATCHLIST_KINDS.map((k) => (
                <option key={k} value={k}>
                  {t(`watchlists.kind.${k}`)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field name="level" label={t('watchlists.level')} error={fieldError('level')}>
          {(a) => (
            <select {...a} name="level" value={draft.level} onChange={(e) => set('level', e.target.value as AlertLevel)}>
              {ALERT_LEVELS.map((l) => (
                <option key={l} value={l}>
                  {levels.name(l)} · {levels.action(l)}
                </option>
              ))}
            </select>
          )}
        </Field>
        {draft.kind === 'plate' ? (
          <>
            <Field name="tolerance" label={t('watchlists.tolerance')} error={fieldError('tolerance')} hint={t('watchlists.toleranceHint')}>
              {(a) => (
                <select {...a} name="tolerance" value={draft.tolerance} onChange={(e) => set('tolerance', Number(e.target.value))}>
                  {[0, 1, 2].map((n) => (
                    <option key={n} value={n}>
                      {n}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <label className="check">
              <input type="checkbox" name="ignoreProvince" checked={draft.ignoreProvince} onChange={(e) => set('ignoreProvince', e.target.checked)} />
              <span>{t('watchlists.ignoreProvince')}</span>
            </label>
          </>
        ) : (
          <Field name="threshold" label={t('watchlists.threshold')} error={fieldError('threshold')} hint={t('watchlists.thresholdHint')}>
            {(a) => <input {...a} name="threshold" type="number" min={0} max={1} step={0.01} value={draft.threshold} onChange={(e) => set('threshold', e.target.value)} />}
          </Field>
        )}
        <Field name="validFrom" label={t('watchlists.validFrom')} error={fieldError('validFrom')}>
          {(a) => <input {...a} name="validFrom" type="datetime-local" value={draft.validFrom} onChange={(e) => set('validFrom', e.target.value)} />}
        </Field>
        <Field name="validTo" label={t('watchlists.validTo')} error={fieldError('validTo')}>
          {(a) => <input {...a} name="validTo" type="datetime-local" value={draft.validTo} onChange={(e) => set('validTo', e.target.value)} />}
        </Field>
        <label className="check">
          <input type="checkbox" name="covert" checked={draft.covert} onChange={(e) => set('covert', e.target.checked)} />
          <span>{t('watchlists.covert')}</span>
        </label>
        <label className="check">
          <input type="checkbox" name="active" checked={draft.active} onChange={(e) => set('active', e.target.checked)} />
          <span>{t('watchlists.active')}</span>
        </label>
      </div>
      {draft.covert && <p className="muted small">{t('watchlists.covertHint')}</p>}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={saving} data-testid="watchlist-save">
          {saving ? t('common.saving') : t('common.save')}
        </button>
        <button type="button" className="btn" onClick={onCancel}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}

function EntriesPanel({ list, onChanged }: { list: Watchlist; onChanged: () => void }) {
  const { t, formatDateTime } = useI18n();
  const { api } = useSignedIn();
  const [entries, setEntries] = useState<WatchlistEntry[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [addError, setAddError] = useState<unknown>(null);
  const [draft, setDraft] = useState({ subject: '', reason: '', caseNumber: '', validFrom: '', validTo: '' });
  const [adding, setAdding] = useState(false);
  const [photoErrors, setPhotoErrors] = useState<Record<string, string>>({});
  const [importing, setImporting] = useState(false);

  const load = useCallback(() => {
    api.listWatchlistEntries(list.id).then(
      (r) => setEntries(r.items),
      (caught: unknown) => setError(caught),
    );
  }, [api, list.id]);
  useEffect(load, [load]);

  const changed = () => {
    load();
    onChanged();
  };

  const onAdd = async (event: FormEvent) => {
    event.preventDefault();
    setAdding(true);
    setAddError(null);
    try {
      const common = {
        reason: draft.reason.trim() || null,
        caseNumber: draft.caseNumber.trim() || null,
        validFrom: fromLocalInput(draft.validFrom)?.toISOString() ?? null,
        validTo: fromLocalInput(draft.validTo)?.toISOString() ?? null,
      };
      await api.createWatchlistEntry(list.id, list.kind === 'plate' ? { ...common, plate: draft.subject.trim() } : { ...common, personName: draft.subject.trim() });
      setDraft({ subject: '', reason: '', caseNumber: '', validFrom: '', validTo: '' });
      changed();
    } catch (caught) {
      setAddError(caught);
    } finally {
      setAdding(false);
    }
  };

  const onPhoto = async (entry: WatchlistEntry, event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (!file) return;
    setPhotoErrors((e) => ({ ...e, [entry.id]: '' }));
    try {
      await api.uploadEntryPhoto(list.id, entry.id, file);
      load();
    } catch (caught) {
      const { title, message } = describeError(caught, t);
      setPhotoErrors((e) => ({ ...e, [entry.id]: message || title }));
    }
  };

  const subjectField = list.kind === 'plate' ? 'plate' : 'personName';
  const subjectError = issuesFor(addError, subjectField);
  return (
    <div className="panel entries-panel" data-testid="entries-panel" data-watchlist-id={list.id}>
      <header className="panel-head">
        <h2 className="panel-title">{t('watchlists.entriesOf', { name: list.name })}</h2>
        {list.kind === 'plate' && (
          <button type="button" className="btn btn-small" onClick={() => setImporting((v) => !v)} data-testid="import-toggle">
            {t('watchlists.import')}
          </button>
        )}
      </header>
      {error !== null && <ErrorBanner error={error} onRetry={load} />}
      {importing && <ImportPanel list={list} onImported={changed} />}

      <form className="entry-form" onSubmit={(e) => void onAdd(e)} data-testid="entry-form" noValidate>
        <Field name={subjectField} label={list.kind === 'plate' ? t('watchlists.plate') : t('watchlists.personName')} error={subjectError} hint={list.kind === 'plate' ? t('watchlists.plateHint') : undefined}>
          {(a) => <input {...a} name="subject" value={draft.subject} onChange={(e) => setDraft((d) => ({ ...d, subject: e.target.value }))} className={list.kind === 'plate' ? 'mono' : undefined} autoComplete="off" spellCheck={false} />}
        </Field>
        <Field name="reason" label={t('alert.reason')} error={issuesFor(addError, 'reason')}>
          {(a) => <input {...a} name="reason" value={draft.reason} onChange={(e) => setDraft((d) => ({ ...d, reason: e.target.value }))} />}
        </Field>
        <Field name="caseNumber" label={t('alert.caseNumber')} error={issuesFor(addError, 'caseNumber')}>
          {(a) => <input {...a} name="caseNumber" value={draft.caseNumber} onChange={(e) => setDraft((d) => ({ ...d, caseNumber: e.target.value }))} className="mono" />}
        </Field>
        <Field name="validFrom" label={t('watchlists.validFrom')} error={issuesFor(addError, 'validFrom')}>
          {(a) => <input {...a} name="validFrom" type="datetime-local" value={draft.validFrom} onChange={(e) => setDraft((d) => ({ ...d, validFrom: e.target.value }))} />}
        </Field>
        <Field name="validTo" label={t('watchlists.validTo')} error={issuesFor(addError, 'validTo')}>
          {(a) => <input {...a} name="validTo" type="datetime-local" value={draft.validTo} onChange={(e) => setDraft((d) => ({ ...d, validTo: e.target.value }))} />}
        </Field>
        <div className="sightings-form-actions">
          <button type="submit" className="btn btn-primary" disabled={adding || !draft.subject.trim()} data-testid="entry-add">
            <Icon name="plus" />
            <span>{t('common.add')}</span>
          </button>
        </div>
      </form>
      {addError !== null && !subjectError && <ErrorBanner error={addError} />}

      <table className="table entries-table" data-testid="entries-table">
        <thead>
          <tr>
            <th>{list.kind === 'plate' ? t('watchlists.plate') : t('watchlists.personName')}</th>
            <th>{t('alert.reason')}</th>
            <th>{t('alert.caseNumber')}</th>
            <th>{t('watchlists.validity')}</th>
            {list.kind === 'face' && <th>{t('watchlists.photos')}</th>}
            <th className="col-actions">{t('common.actions')}</th>
          </tr>
        </thead>
        <tbody>
          {(entries ?? []).map((e) => (
            <tr key={e.id} data-entry-id={e.id} data-plate={e.plate ?? undefined}>
              <td className={list.kind === 'plate' ? 'mono' : undefined}>{list.kind === 'plate' ? e.plate : e.personName}</td>
              <td>{e.reason ?? t('common.none')}</td>
              <td className="mono">{e.caseNumber ?? t('common.none')}</td>
              <td className="muted small">
                <Validity from={e.validFrom} to={e.validTo} />
              </td>
              {list.kind === 'face' && (
                <td>
                  <span className="muted small" data-testid="photo-count">
                    {t('watchlists.photoCount', { count: e.photos?.length ?? 0 })}
                  </span>
                  {(e.photos ?? []).map((p) => (
                    <span key={p.id} className="tag" title={formatDateTime(p.createdAt)}>
                      {p.quality !== null ? p.quality.toFixed(2) : '✓'}
                    </span>
                  ))}
                  <label className="btn btn-small photo-upload">
                    <input type="file" accept="image/jpeg,image/png" onChange={(ev) => void onPhoto(e, ev)} data-testid="photo-input" hidden />
                    {t('watchlists.addPhoto')}
                  </label>
                  {photoErrors[e.id] && (
                    <div className="field-error" role="alert" data-testid="photo-error">
                      {photoErrors[e.id]}
                    </div>
                  )}
                </td>
              )}
              <td className="cell-actions">
                <button
                  type="button"
                  className="btn btn-small btn-danger-ghost"
                  data-action="remove-entry"
                  onClick={() =>
                    void api.deleteWatchlistEntry(list.id, e.id).then(changed, (caught: unknown) => setError(caught))
                  }
                >
                  <Icon name="trash" />
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {entries && entries.length === 0 && <div className="table-empty">{t('watchlists.noEntries')}</div>}
    </div>
  );
}

/** CSV import: check first (dry run, report per row), then import, all or nothing. */
function ImportPanel({ list, onImported }: { list: Watchlist; onImported: () => void }) {
  const { t } = useI18n();
  const { api } = useSignedIn();
  const [csv, setCsv] = useState('plate,reason,case_number,valid_from,valid_to\n');
  const [report, setReport] = useState<{ ok: boolean; report: ImportReport; dryRun: boolean } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const run = async (dryRun: boolean) => {
    setBusy(true);
    setError(null);
    try {
      const result = await api.importWatchlist(list.id, csv, dryRun);
      setReport({ ...result, dryRun });
      if (!dryRun && result.ok) onImported();
    } catch (caught) {
      setError(caught);
      setReport(null);
    } finally {
      setBusy(false);
    }
  };

  const onFile = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    if (!file) return;
    setCsv(await file.text());
    setReport(null);
  };

  const bad = report?.report.rows.filter((r) => !r.ok) ?? [];
  const checkedOk = report !== null && report.dryRun && report.ok && bad.length === 0;
  return (
    <div className="import-panel" data-testid="import-panel">
      <p className="muted small">{t('watchlists.importHint')}</p>
      <input type="file" accept=".csv,text/csv" onChange={(e) => void onFile(e)} data-testid="import-file" />
      <textarea
        name="csv"
        rows={6}
        className="mono"
        value={csv}
        onChange={(e) => {
          setCsv(e.target.value);
          setReport(null);
        }}
        data-testid="import-csv"
      />
      <div className="form-actions">
        <button type="button" className="btn" disabled={busy} onClick={() => void run(true)} data-testid="import-check">
          {t('watchlists.importCheck')}
        </button>
        <button type="button" className="btn btn-primary" disabled={busy || !checkedOk} onClick={() => void run(false)} data-testid="import-commit">
          {t('watchlists.importCommit')}
        </button>
      </div>
      {error !== null && <ErrorBanner error={error} />}
      {report && (
        <div className="import-report" data-testid="import-report" data-ok={report.ok && bad.length === 0} data-dry-run={report.dryRun}>
          <div className={report.ok && bad.length === 0 ? 'banner banner-success' : 'banner banner-error'}>
            {report.ok && bad.length === 0
              ? report.dryRun
                ? t('watchlists.importCheckedOk', { count: report.report.rows.length })
                : t('watchlists.importDone', { count: report.report.imported ?? report.report.rows.length })
              : t('watchlists.importRefused', { count: bad.length })}
          </div>
          {bad.length > 0 && (
            <table className="table">
              <thead>
                <tr>
                  <th className="col-small">{t('watchlists.importLine')}</th>
                  <th>{t('watchlists.importError')}</th>
                </tr>
              </thead>
              <tbody>
                {bad.map((r) => (
                  <tr key={r.line} data-line={r.line}>
                    <td className="mono">{r.line}</td>
                    <td>{r.error}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
    </div>
  );
}
