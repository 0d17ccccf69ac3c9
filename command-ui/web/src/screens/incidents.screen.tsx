import { useCallback, useEffect, useMemo, useState, type FormEvent } from 'react';
import type { Candidate, Dispatch, Incident, IncidentOutcome, IncidentPriority, IncidentSummary, TimelineEntry } from '../../../../contracts/incidents.ts';
import { INCIDENT_OUTCOMES, INCIDENT_PRIORITIES } from '../../../../contracts/incidents.ts';
import { hasPermission } from '../../../../contracts/roles.ts';
import type { NearbyCamera } from '../api/client.ts';
import { ErrorBanner } from '../components/error-banner.tsx';
import { Field } from '../components/field.tsx';
import { useFieldErrors } from '../components/use-field-errors.ts';
import { PRIORITY_COLOURS, distanceText } from '../dispatch/geo-text.ts';
import { DispatchTimers } from '../dispatch/dispatch-timer-view.tsx';
import { useIncidentTypes } from '../dispatch/use-incident-types.ts';
import { useI18n, type Translate } from '../i18n/i18n.tsx';
import type { MessageKey } from '../i18n/messages.ts';
import { ArgusMap, type MapMarker } from '../map/argus-map.tsx';
import { hrefWithQuery } from '../shell/hash-route.ts';
import { useLive } from '../state/live.tsx';
import { useSignedIn } from '../state/session.tsx';
import '../styles/dispatch.css';
import { useAction } from '../components/use-action.ts';

/**
 * The dispatch desk (接警/派警): 110 call intake, the open incidents (live), and the selected
 * incident with its timeline, emergency plan checklist, the nearest available units to dispatch,
 * its dispatches (overdue flagged), nearby cameras and closing with an outcome and a report.
 * The selected incident is in the address: `#/incidents/<id>`.
 */
const ACTIVE = new Set(['sent', 'accepted', 'en_route', 'on_scene']);

function openIncident(id: string | null): void {
  window.location.hash = id ? `#/incidents/${id}` : '#/incidents';
}

function upsert<T extends { id: string }>(list: readonly T[], item: T): T[] {
  const i = list.findIndex((x) => x.id === item.id);
  if (i < 0) return [item, ...list];
  const next = list.slice();
  next[i] = item;
  return next;
}

export function PriorityChip({ priority }: { priority: IncidentPriority }) {
  return (
    <span className="priority-chip" data-priority={priority} style={{ background: PRIORITY_COLOURS[priority] }}>
      {priority}
    </span>
  );
}

export function IncidentsScreen({ subPath }: { subPath: string | undefined }) {
  const { t, formatDateTime } = useI18n();
  const { api, user } = useSignedIn();
  const { socket, generation } = useLive();
  const { types, typeName } = useIncidentTypes();
  const [incidents, setIncidents] = useState<IncidentSummary[]>([]);
  const [listError, setListError] = useState<unknown>(null);
  const [sos, setSos] = useState<IncidentSummary[]>([]);
  const [intakeOpen, setIntakeOpen] = useState(!subPath);
  const canManage = hasPermission(user.roles, 'incidents.manage');

  useEffect(() => {
    let cancelled = false;
    api.listIncidents({ open: true, limit: 200 }).then(
      (page) => {
        if (cancelled) return;
        setIncidents(page.items);
        setListError(null);
      },
      (error: unknown) => !cancelled && setListError(error),
    );
    return () => {
      cancelled = true;
    };
  }, [api, generation]);

  useEffect(() => {
    if (!socket) return;
    const onCreated = (incident: Incident) => {
      setIncidents((list) => upsert(list, incident));
      if (incident.source === 'sos') setSos((list) => upsert(list, incident));
    };
    const onUpdated = (incident: Incident) => setIncidents((list) => (incident.status === 'closed' ? list.filter((x) => x.id !== incident.id) : upsert(list, incident)));
    socket.on('incident.created', onCreated);
    socket.on('incident.updated', onUpdated);
    return () => {
      socket.off('incident.created', onCreated);
      socket.off('incident.updated', onUpdated);
    };
  }, [socket]);

  const sorted = useMemo(() => [...incidents].sort((a, b) => a.priority.localeCompare(b.priority) || b.createdAt.localeCompare(a.createdAt)), [incidents]);

  return (
    <section className="screen incidents-screen" data-testid="incidents-screen">
      <header className="screen-header">
        <h1 className="screen-title">{t('incidents.title')}</h1>
        <span className="screen-count">{t('incidents.openCount', { count: incidents.length })}</span>
        <div className="screen-tools">
          {canManage && (
            <button type="button" className="btn btn-primary" data-testid="intake-toggle" onClick={() => setIntakeOpen((o) => !o)}>
              {t('intake.new')}
            </button>
          )}
        </div>
      </header>
      {sos.map((s) => (
        <div key={s.id} className="banner banner-error sos-banner" role="alert" data-testid="sos-banner" data-incident-id={s.id}>
          <div className="banner-body">
            <strong className="banner-title">{t('incidents.sosTitle')}</strong>
            <span className="banner-message">
              {s.title} · {formatDateTime(s.createdAt)}
            </span>
          </div>
          <button type="button" className="btn btn-small" onClick={() => openIncident(s.id)}>
            {t('incidents.open')}
          </button>
          <button type="button" className="btn btn-small btn-ghost" onClick={() => setSos((list) => list.filter((x) => x.id !== s.id))}>
            {t('incidents.dismiss')}
          </button>
        </div>
      ))}
      {listError !== null && <ErrorBanner error={listError} />}
      <div className="dispatch-layout">
        <div className="dispatch-side">
          {canManage && intakeOpen && (
            <IntakeForm
              types={types.map((x) => ({ code: x.code, name: typeName(x.code) }))}
              onCreated={(incident) => {
                setIncidents((list) => upsert(list, incident));
                setIntakeOpen(false);
                openIncident(incident.id);
              }}
            />
          )}
          <ul className="incident-list" data-testid="incident-list">
            {sorted.length === 0 && <li className="muted">{t('incidents.none')}</li>}
            {sorted.map((i) => (
              <li key={i.id}>
                <button type="button" className={`incident-row${i.id === subPath ? ' selected' : ''}`} data-testid="incident-row" data-incident-id={i.id} data-status={i.status} data-priority={i.priority} onClick={() => openIncident(i.id)}>
                  <PriorityChip priority={i.priority} />
                  <span className="incident-row-title">
                    {typeName(i.type)} · {i.address ?? i.title}
                  </span>
                  <span className="incident-row-meta muted">
                    {formatDateTime(i.createdAt)} · {t(`incidentStatus.${i.status}`)}
                  </span>
                </button>
              </li>
            ))}
          </ul>
        </div>
        <div className="dispatch-main">{subPath ? <IncidentDetail key={subPath} id={subPath} typeName={typeName} /> : <p className="muted">{t('incidents.choose')}</p>}</div>
      </div>
    </section>
  );
}

// ---------- 110 call intake ----------

function numberOrUndefined(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const n = Number(trimmed);
  return Number.isFinite(n) ? n : Number.NaN;
}

function IntakeForm({ types, onCreated }: { types: { code: string; name: string }[]; onCreated: (incident: Incident) => void }) {
  const { t } = useI18n();
  const { api } = useSignedIn();
  const [caller, setCaller] = useState('');
  const [phone, setPhone] = useState('');
  const [address, setAddress] = useState('');
  const [type, setType] = useState('');
  const [priority, setPriority] = useState<IncidentPriority>('P3');
  const [description, setDescription] = useState('');
  const [latitude, setLatitude] = useState('');
  const [longitude, setLongitude] = useState('');
  const [picking, setPicking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const fields = useFieldErrors(error);

  useEffect(() => {
    if (!type && types.length > 0) setType(types[0]!.code);
  }, [type, types]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    fields.reset();
    const lat = numberOrUndefined(latitude);
    const lon = numberOrUndefined(longitude);
    try {
      const incident = await api.createIncident({
        type,
        priority,
        source: 'call',
        ...(description.trim() ? { description: description.trim() } : {}),
        ...(address.trim() ? { address: address.trim() } : {}),
        ...(lat !== undefined || lon !== undefined ? { location: { latitude: lat as number, longitude: lon as number } } : {}),
        caller: { ...(caller.trim() ? { name: caller.trim() } : {}), ...(phone.trim() ? { phone: phone.trim() } : {}) },
      });
      onCreated(incident);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  const latValue = numberOrUndefined(latitude);
  const lonValue = numberOrUndefined(longitude);
  const markers = useMemo<MapMarker[]>(
    () => (latValue !== undefined && lonValue !== undefined && Math.abs(latValue) <= 90 && Math.abs(lonValue) <= 180 ? [{ id: 'pick', latitude: latValue, longitude: lonValue, label: '110', colour: PRIORITY_COLOURS.P1, title: t('intake.location') }] : []),
    [latValue, lonValue, t],
  );
  const general = error && !fields.errorFor('location') && !fields.errorFor('caller') && !fields.errorFor('type') && !fields.errorFor('description') && !fields.errorFor('address');

  return (
    <form className="panel intake-form" data-testid="intake-form" onSubmit={(e) => void submit(e)} noValidate>
      <h2 className="panel-title">{t('intake.title')}</h2>
      <div className="intake-grid">
        <Field label={t('intake.caller')} name="caller.name" error={fields.errorFor('caller.name')}>
          {(a) => <input {...a} name="caller" value={caller} maxLength={100} onChange={(e) => (setCaller(e.target.value), fields.edited('caller.name'))} />}
        </Field>
        <Field label={t('intake.phone')} name="caller.phone" error={fields.errorFor('caller.phone')}>
          {(a) => <input {...a} name="phone" inputMode="tel" value={phone} onChange={(e) => (setPhone(e.target.value), fields.edited('caller.phone'))} />}
        </Field>
        <Field label={t('intake.type')} name="type" error={fields.errorFor('type')}>
          {(a) => (
            <select {...a} name="type" value={type} onChange={(e) => (setType(e.target.value), fields.edited('type'))}>
              {types.map((x) => (
                <option key={x.code} value={x.code}>
                  {x.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t('intake.priority')} name="priority" error={fields.errorFor('priority')}>
          {(a) => (
            <select {...a} name="priority" value={priority} onChange={(e) => setPriority(e.target.value as IncidentPriority)}>
              {INCIDENT_PRIORITIES.map((p) => (
                <option key={p} value={p}>
                  {t(`priority.${p}`)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t('intake.address')} name="address" error={fields.errorFor('address')} className="intake-wide">
          {(a) => <input {...a} name="address" value={address} maxLength={300} onChange={(e) => (setAddress(e.target.value), fields.edited('address'))} />}
        </Field>
        <Field label={t('intake.latitude')} name="location.latitude" error={fields.errorFor('location.latitude') ?? (fields.errorFor('location') && !fields.errorFor('location.longitude') ? fields.errorFor('location') : undefined)}>
          {(a) => <input {...a} name="latitude" inputMode="decimal" value={latitude} onChange={(e) => (setLatitude(e.target.value), fields.edited('location.latitude'), fields.edited('location'))} />}
        </Field>
        <Field label={t('intake.longitude')} name="location.longitude" error={fields.errorFor('location.longitude')}>
          {(a) => <input {...a} name="longitude" inputMode="decimal" value={longitude} onChange={(e) => (setLongitude(e.target.value), fields.edited('location.longitude'))} />}
        </Field>
        <Field label={t('intake.description')} name="description" error={fields.errorFor('description')} className="intake-wide">
          {(a) => <textarea {...a} name="description" rows={3} maxLength={4000} value={description} onChange={(e) => (setDescription(e.target.value), fields.edited('description'))} />}
        </Field>
      </div>
      <div className="intake-map-tools">
        <button type="button" className={`btn btn-small${picking ? ' btn-primary' : ''}`} data-testid="pick-on-map" aria-pressed={picking} onClick={() => setPicking((p) => !p)}>
          {t('intake.pickOnMap')}
        </button>
        {picking && <span className="muted">{t('intake.pickHint')}</span>}
      </div>
      {picking && (
        <ArgusMap
          className="intake-map"
          testId="intake-map"
          markers={markers}
          fit="none"
          onMapClick={(p) => {
            setLatitude(p.latitude.toFixed(6));
            setLongitude(p.longitude.toFixed(6));
            fields.edited('location.latitude');
            fields.edited('location.longitude');
            fields.edited('location');
          }}
        />
      )}
      {general ? <ErrorBanner error={error} /> : null}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={busy || !type} data-testid="intake-submit">
          {t('intake.submit')}
        </button>
      </div>
    </form>
  );
}

// ---------- the selected incident ----------

function timelineText(entry: TimelineEntry, t: Translate, typeName: (code: string) => string): string {
  const d = entry.detail as Record<string, unknown>;
  const s = (v: unknown) => (v === undefined || v === null ? '' : String(v));
  const status = (v: unknown) => (typeof v === 'string' && v ? t(`dispatchStatus.${v}` as MessageKey) : '');
  switch (entry.kind) {
    case 'created':
      return t('timeline.created', { source: t(`incidentSource.${s(d.source)}` as MessageKey), type: typeName(s(d.type)), priority: s(d.priority) });
    case 'updated':
      return t('timeline.updated', {
        fields: Object.entries(d)
          .map(([field, change]) => {
            const c = (change ?? {}) as { from?: unknown; to?: unknown };
            if (field === 'status') return `${t('timeline.status')}: ${t(`incidentStatus.${s(c.from)}` as MessageKey)} → ${t(`incidentStatus.${s(c.to)}` as MessageKey)}`;
            return typeof c.to === 'string' || typeof c.to === 'number' ? `${field}: ${s(c.from) || '—'} → ${s(c.to)}` : field;
          })
          .join('; '),
      });
    case 'note':
      return t('timeline.note', { note: s(d.note) });
    case 'plan_proposed':
      return t('timeline.planProposed', { name: s(d.name) });
    case 'plan_step':
      return t('timeline.planStep', { step: s(d.text) });
    case 'dispatch_created':
      return t('timeline.dispatchCreated', { unit: s(d.callSign) });
    case 'dispatch_status':
      return t('timeline.dispatchStatus', { unit: s(d.callSign), to: status(d.to) });
    case 'dispatch_overdue':
      return t('timeline.dispatchOverdue');
    case 'closed':
      return t('timeline.closed', { outcome: t(`outcome.${s(d.outcome)}` as MessageKey), report: s(d.report) });
  }
}

function IncidentDetail({ id, typeName }: { id: string; typeName: (code: string) => string }) {
  const { t, formatDateTime } = useI18n();
  const { api, user } = useSignedIn();
  const { socket, generation } = useLive();
  const canManage = hasPermission(user.roles, 'incidents.manage');
  const [incident, setIncident] = useState<Incident | null>(null);
  const [error, setError] = useState<unknown>(null);
  const { busy, error: actionError, run } = useAction();
  const [dispatches, setDispatches] = useState<Dispatch[]>([]);
  const [candidates, setCandidates] = useState<Candidate[]>([]);
  const [cameras, setCameras] = useState<NearbyCamera[]>([]);
  const [chosen, setChosen] = useState<ReadonlySet<string>>(new Set());
  const [candidatesTick, setCandidatesTick] = useState(0);
  const refreshCandidates = useCallback(() => setCandidatesTick((n) => n + 1), []);

  useEffect(() => {
    let cancelled = false;
    Promise.all([api.getIncident(id), api.incidentDispatches(id), api.incidentCameras(id).catch(() => ({ items: [] as NearbyCamera[] }))]).then(
      ([i, d, c]) => {
        if (cancelled) return;
        setIncident(i);
        setDispatches(d.items);
        setCameras(c.items);
        setError(null);
      },
      (caught: unknown) => !cancelled && setError(caught),
    );
    return () => {
      cancelled = true;
    };
  }, [api, id, generation]);

  const closed = incident?.status === 'closed';
  useEffect(() => {
    if (!canManage || closed || !incident?.location) {
      setCandidates([]);
      return;
    }
    let cancelled = false;
    api.incidentCandidates(id, { limit: 10 }).then(
      (reply) => !cancelled && setCandidates(reply.items),
      () => !cancelled && setCandidates([]),
    );
    return () => {
      cancelled = true;
    };
  }, [api, id, canManage, closed, incident?.location, candidatesTick]);

  useEffect(() => {
    if (!socket) return;
    const onIncident = (i: Incident) => i.id === id && setIncident(i);
    const onDispatch = (d: Dispatch) => {
      if (d.incidentId !== id) return;
      setDispatches((list) => upsert(list, d));
      refreshCandidates();
    };
    socket.on('incident.updated', onIncident);
    socket.on('dispatch.created', onDispatch);
    socket.on('dispatch.updated', onDispatch);
    return () => {
      socket.off('incident.updated', onIncident);
      socket.off('dispatch.created', onDispatch);
      socket.off('dispatch.updated', onDispatch);
    };
  }, [socket, id, refreshCandidates]);


  const dispatchChosen = (unitIds: string[]) =>
    run(async () => {
      const reply = await api.dispatchUnits(id, unitIds);
      setDispatches((list) => reply.items.reduce((acc, d) => upsert(acc, d), list));
      setChosen(new Set());
      refreshCandidates();
    });

  const markers = useMemo<MapMarker[]>(() => {
    const m: MapMarker[] = [];
    if (incident?.location) m.push({ id: `incident:${incident.id}`, ...incident.location, label: incident.priority, colour: PRIORITY_COLOURS[incident.priority], title: incident.title });
    for (const c of candidates) if (c.unit.position) m.push({ id: `unit:${c.unit.id}`, latitude: c.unit.position.latitude, longitude: c.unit.position.longitude, label: c.unit.callSign.slice(-3), colour: '#2fbf71', title: c.unit.callSign });
    for (const c of cameras) m.push({ id: `camera:${c.id}`, latitude: c.latitude, longitude: c.longitude, colour: '#3ea0ff', title: c.name });
    return m;
  }, [incident, candidates, cameras]);

  if (error) return <ErrorBanner error={error} />;
  if (!incident) return <p className="muted">{t('app.loading')}</p>;

  return (
    <article className="incident-detail" data-testid="incident-detail" data-incident-id={incident.id} data-status={incident.status}>
      <header className="incident-head">
        <PriorityChip priority={incident.priority} />
        <h2 className="panel-title">{incident.title}</h2>
        <span className="badge" data-testid="incident-status">
          {t(`incidentStatus.${incident.status}`)}
        </span>
      </header>
      <dl className="incident-facts">
        <dt>{t('intake.type')}</dt>
        <dd>{typeName(incident.type)}</dd>
        <dt>{t('incident.source')}</dt>
        <dd>{t(`incidentSource.${incident.source}`)}</dd>
        <dt>{t('intake.address')}</dt>
        <dd>{incident.address ?? '—'}</dd>
        <dt>{t('intake.location')}</dt>
        <dd>{incident.location ? `${incident.location.latitude.toFixed(5)}, ${incident.location.longitude.toFixed(5)}` : '—'}</dd>
        {incident.caller && (
          <>
            <dt>{t('intake.caller')}</dt>
            <dd>
              {incident.caller.name ?? '—'} {incident.caller.phone ?? ''}
            </dd>
          </>
        )}
        {incident.description && (
          <>
            <dt>{t('intake.description')}</dt>
            <dd>{incident.description}</dd>
          </>
        )}
        <dt>{t('incident.createdAt')}</dt>
        <dd>{formatDateTime(incident.createdAt)}</dd>
        {incident.outcome && (
          <>
            <dt>{t('close.outcome')}</dt>
            <dd data-testid="incident-outcome">{t(`outcome.${incident.outcome}`)}</dd>
            <dt>{t('close.report')}</dt>
            <dd data-testid="incident-report">{incident.report}</dd>
          </>
        )}
      </dl>
      {incident.evidence && (
        <div className="incident-evidence" data-testid="incident-evidence">
          {incident.evidence.cropUrl && <img src={api.evidenceUrl(incident.evidence.cropUrl)} alt={incident.evidence.summary} />}
          <span>{incident.evidence.summary}</span>
        </div>
      )}
      {actionError && (
        <div className="field-error" role="alert" data-testid="incident-action-error">
          {actionError}
        </div>
      )}

      <div className="incident-columns">
        <div>
          {canManage && !closed && (
            <section className="panel" data-testid="candidates">
              <div className="panel-head">
                <h3 className="panel-subtitle">{t('candidates.title')}</h3>
                <button type="button" className="btn btn-small btn-ghost" onClick={refreshCandidates}>
                  {t('candidates.refresh')}
                </button>
              </div>
              {!incident.location && <p className="muted">{t('candidates.noLocation')}</p>}
              {incident.location && candidates.length === 0 && <p className="muted">{t('candidates.none')}</p>}
              <ol className="candidate-list">
                {candidates.map((c) => (
                  <li key={c.unit.id} className="candidate-row" data-testid="candidate-row" data-unit-id={c.unit.id} data-call-sign={c.unit.callSign}>
                    <input type="checkbox" aria-label={c.unit.callSign} checked={chosen.has(c.unit.id)} onChange={(e) => setChosen((s) => { const n = new Set(s); if (e.target.checked) n.add(c.unit.id); else n.delete(c.unit.id); return n; })} />
                    <strong>{c.unit.callSign}</strong>
                    <span className="muted">{t(`unitKind.${c.unit.kind}`)}</span>
                    <span data-testid="candidate-distance">{distanceText(c.distanceMetres)}</span>
                    <span className="muted">{t(`unitStatus.${c.unit.status}`)}</span>
                    <button type="button" className="btn btn-small btn-primary" disabled={busy} data-action="dispatch" onClick={() => void dispatchChosen([c.unit.id])}>
                      {t('candidates.dispatch')}
                    </button>
                  </li>
                ))}
              </ol>
              {chosen.size > 0 && (
                <button type="button" className="btn btn-primary" disabled={busy} data-testid="dispatch-chosen" onClick={() => void dispatchChosen([...chosen])}>
                  {t('candidates.dispatchChosen', { count: chosen.size })}
                </button>
              )}
            </section>
          )}

          <section className="panel" data-testid="dispatches">
            <h3 className="panel-subtitle">{t('dispatches.title')}</h3>
            {dispatches.length === 0 && <p className="muted">{t('dispatches.none')}</p>}
            <ul className="dispatch-list">
              {dispatches.map((d) => (
                <DispatchRow key={d.id} dispatch={d} incidentId={incident.id} canManage={canManage && !closed} busy={busy} candidates={candidates} run={run} />
              ))}
            </ul>
          </section>

          {incident.plan && (
            <section className="panel" data-testid="plan">
              <h3 className="panel-subtitle">
                {t('plan.title')}: {incident.plan.name}
              </h3>
              <ol className="plan-steps">
                {incident.plan.steps.map((s) => (
                  <li key={s.index} className={`plan-step${s.doneAt ? ' done' : ''}`} data-testid="plan-step" data-done={Boolean(s.doneAt)}>
                    <span>{s.text}</span>
                    {s.doneAt ? (
                      <span className="muted">
                        ✓ {s.doneByName ?? ''} {formatDateTime(s.doneAt)}
                      </span>
                    ) : (
                      canManage && !closed && (
                        <button type="button" className="btn btn-small" disabled={busy} data-action="tick" onClick={() => void run(async () => setIncident(await api.tickPlanStep(incident.id, s.index)))}>
                          {t('plan.tick')}
                        </button>
                      )
                    )}
                  </li>
                ))}
              </ol>
            </section>
          )}

          <section className="panel" data-testid="nearby-cameras">
            <h3 className="panel-subtitle">{t('cameras.nearby')}</h3>
            {cameras.length === 0 && <p className="muted">{t('cameras.noneNearby')}</p>}
            <ul className="nearby-cameras">
              {cameras.map((c) => (
                <li key={c.id} data-camera-id={c.id}>
                  <a href={`#/playback/${c.id}`}>{c.name}</a> <span className="muted">{distanceText(c.distanceMetres)}</span>
                </li>
              ))}
            </ul>
            {cameras.length > 0 && (
              <a className="btn btn-small" href={hrefWithQuery(['wall'], { cameras: cameras.map((c) => c.id).join(',') })} data-testid="open-wall">
                {t('cameras.openWall', { count: cameras.length })}
              </a>
            )}
          </section>
        </div>

        <div>
          <ArgusMap className="incident-map" testId="incident-map" markers={markers} />
          <section className="panel" data-testid="timeline">
            <h3 className="panel-subtitle">{t('timeline.title')}</h3>
            <ol className="timeline">
              {incident.timeline.map((e) => (
                <li key={e.seq} className="timeline-entry" data-testid="timeline-entry" data-kind={e.kind} data-to={typeof e.detail.to === 'string' ? e.detail.to : undefined}>
                  <time dateTime={e.at}>{formatDateTime(e.at)}</time> <strong className="timeline-user">{e.username ?? t('timeline.system')}</strong> <span>{timelineText(e, t, typeName)}</span>
                </li>
              ))}
            </ol>
            {canManage && !closed && <NoteForm incidentId={incident.id} onDone={setIncident} />}
          </section>
          {canManage && !closed && <CloseForm incident={incident} onClosed={setIncident} disabled={dispatches.some((d) => ACTIVE.has(d.status))} />}
        </div>
      </div>
    </article>
  );
}

function DispatchRow(props: { dispatch: Dispatch; incidentId: string; canManage: boolean; busy: boolean; candidates: Candidate[]; run: (call: () => Promise<unknown>) => Promise<void> }) {
  const { t, formatDateTime } = useI18n();
  const { api } = useSignedIn();
  const { dispatch: d, canManage, busy, run } = props;
  const [reassignTo, setReassignTo] = useState('');
  const active = ACTIVE.has(d.status);
  return (
    <li className="dispatch-row" data-testid="dispatch-row" data-dispatch-id={d.id} data-status={d.status} data-overdue={Boolean(d.overdueAt)}>
      <strong>{d.callSign}</strong>
      <span className="badge" data-testid="dispatch-status">
        {t(`dispatchStatus.${d.status}`)}
      </span>
      {d.overdueAt && d.status === 'sent' && (
        <span className="badge badge-overdue" data-testid="dispatch-overdue">
          {t('dispatches.overdue')}
        </span>
      )}
      <span className="muted">{formatDateTime(d.sentAt)}</span>
      <DispatchTimers dispatch={d} />
      {canManage && active && (
        <span className="dispatch-row-actions">
          {d.status !== 'on_scene' && props.candidates.length > 0 && (
            <>
              <select aria-label={t('dispatches.reassignTo')} value={reassignTo} onChange={(e) => setReassignTo(e.target.value)}>
                <option value="">{t('dispatches.reassignTo')}</option>
                {props.candidates.map((c) => (
                  <option key={c.unit.id} value={c.unit.id}>
                    {c.unit.callSign}
                  </option>
                ))}
              </select>
              <button type="button" className="btn btn-small" disabled={busy || !reassignTo} data-action="reassign" onClick={() => void run(() => api.reassignDispatch(props.incidentId, d.id, reassignTo))}>
                {t('dispatches.reassign')}
              </button>
            </>
          )}
          <button type="button" className="btn btn-small btn-danger-ghost" disabled={busy} data-action="cancel" onClick={() => void run(() => api.dispatchAction(props.incidentId, d.id, 'cancel'))}>
            {t('dispatches.cancel')}
          </button>
        </span>
      )}
    </li>
  );
}

function NoteForm({ incidentId, onDone }: { incidentId: string; onDone: (incident: Incident) => void }) {
  const { t } = useI18n();
  const { api } = useSignedIn();
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!note.trim()) return;
    setBusy(true);
    try {
      onDone(await api.addIncidentNote(incidentId, note.trim()));
      setNote('');
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="note-form" onSubmit={(e) => void submit(e)}>
      <input name="note" value={note} maxLength={2000} placeholder={t('timeline.notePlaceholder')} onChange={(e) => setNote(e.target.value)} />
      <button type="submit" className="btn btn-small" disabled={busy || !note.trim()}>
        {t('timeline.addNote')}
      </button>
    </form>
  );
}

function CloseForm({ incident, onClosed, disabled }: { incident: Incident; onClosed: (incident: Incident) => void; disabled: boolean }) {
  const { t } = useI18n();
  const { api } = useSignedIn();
  const [outcome, setOutcome] = useState<IncidentOutcome | ''>('');
  const [report, setReport] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const fields = useFieldErrors(error);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!outcome) return;
    setBusy(true);
    setError(null);
    fields.reset();
    try {
      onClosed(await api.closeIncident(incident.id, { outcome, report }));
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="panel close-form" data-testid="close-form" onSubmit={(e) => void submit(e)}>
      <h3 className="panel-subtitle">{t('close.title')}</h3>
      {disabled && <p className="field-hint">{t('close.activeDispatches')}</p>}
      <Field label={t('close.outcome')} name="outcome" error={fields.errorFor('outcome')}>
        {(a) => (
          <select {...a} name="outcome" value={outcome} onChange={(e) => setOutcome(e.target.value as IncidentOutcome)}>
            <option value="">—</option>
            {INCIDENT_OUTCOMES.map((o) => (
              <option key={o} value={o}>
                {t(`outcome.${o}`)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label={t('close.report')} name="report" error={fields.errorFor('report')}>
        {(a) => <textarea {...a} name="report" rows={3} maxLength={8000} value={report} onChange={(e) => (setReport(e.target.value), fields.edited('report'))} />}
      </Field>
      {error && !fields.errorFor('report') && !fields.errorFor('outcome') ? <ErrorBanner error={error} /> : null}
      <button type="submit" className="btn btn-primary" disabled={busy || !outcome} data-testid="close-submit">
        {t('close.submit')}
      </button>
    </form>
  );
}
