import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Dispatch, ManualUnitStatus, Unit } from '../../../../contracts/incidents.ts';
import { MANUAL_UNIT_STATUSES, UNIT_MANUAL_TRANSITIONS } from '../../../../contracts/incidents.ts';
import { ErrorBanner } from '../components/error-banner.tsx';
import { DispatchSound } from '../dispatch/dispatch-sound.ts';
import { DispatchTimers } from '../dispatch/dispatch-timer-view.tsx';
import { DispatchCameras, NearbyAlerts } from '../dispatch/patrol-panels.tsx';
import { PRIORITY_COLOURS, UNIT_STATUS_COLOURS, clockText, directionTo } from '../dispatch/geo-text.ts';
import { useIncidentTypes } from '../dispatch/use-incident-types.ts';
import { useI18n } from '../i18n/i18n.tsx';
import { useLive } from '../state/live.tsx';
import { useSignedIn } from '../state/session.tsx';
import '../styles/dispatch.css';
import { useAction } from '../components/use-action.ts';

/**
 * The patrol tablet (巡逻终端): my unit, my current dispatch with where it is from me and a loud
 * tone until it is accepted, the buttons accept → en route → on scene → clear, my unit's status,
 * position reporting from the device's geolocation, SOS with a confirm step, and my unit's
 * recent dispatches. Touch-sized, for portrait and landscape.
 */
export interface ArgusPatrolHook {
  /** When each dispatch id was first drawn on this tablet (epoch ms, after the frame that shows it). */
  shownAt(): Record<string, number>;
  /** Dispatch ids the tone was sounded for, in order (repeats included). */
  sounds(): string[];
  /** Positions sent so far. */
  positionsSent(): number;
  disconnect(): void;
  connect(): void;
}

declare global {
  interface Window {
    __argusPatrol?: ArgusPatrolHook;
  }
}

const ACTIVE = new Set(['sent', 'accepted', 'en_route', 'on_scene']);
/** How often the latest fix is sent (ms). */
const POSITION_INTERVAL_MS = 5000;

type Step = 'accept' | 'en_route' | 'on_scene' | 'clear';
const NEXT_STEPS: Readonly<Record<string, readonly Step[]>> = {
  sent: ['accept'],
  accepted: ['en_route', 'on_scene'],
  en_route: ['on_scene'],
  on_scene: ['clear'],
};

function upsert(list: readonly Dispatch[], item: Dispatch): Dispatch[] {
  const i = list.findIndex((x) => x.id === item.id);
  if (i < 0) return [item, ...list];
  const next = list.slice();
  next[i] = item;
  return next;
}

export function PatrolScreen() {
  const { t, formatDateTime } = useI18n();
  const { api } = useSignedIn();
  const { socket, generation, connected } = useLive();
  const { typeName } = useIncidentTypes();
  const [units, setUnits] = useState<Unit[] | null>(null);
  const [unitId, setUnitId] = useState<string | null>(null);
  const [dispatches, setDispatches] = useState<Dispatch[]>([]);
  const [error, setError] = useState<unknown>(null);
  const { busy, error: actionError, run } = useAction();
  const [position, setPosition] = useState<GeolocationPosition | null>(null);
  const [geoError, setGeoError] = useState<string | null>(null);
  const [sentAt, setSentAt] = useState<Date | null>(null);
  const [sosStep, setSosStep] = useState<'idle' | 'confirm' | 'sent'>('idle');
  const sound = useMemo(() => new DispatchSound(), []);
  const shownRef = useRef<Record<string, number>>({});
  const sentCount = useRef(0);
  const positionRef = useRef<GeolocationPosition | null>(null);

  useEffect(() => () => sound.dispose(), [sound]);

  // My units, again on every (re)connection.
  useEffect(() => {
    let cancelled = false;
    api.myUnits().then(
      (reply) => {
        if (cancelled) return;
        setUnits(reply.items);
        setUnitId((id) => (id && reply.items.some((u) => u.id === id) ? id : (reply.items[0]?.id ?? null)));
        setError(null);
      },
      (caught: unknown) => !cancelled && setError(caught),
    );
    return () => {
      cancelled = true;
    };
  }, [api, generation]);

  const unit = units?.find((u) => u.id === unitId) ?? null;

  useEffect(() => {
    if (!unitId) return;
    let cancelled = false;
    api.unitDispatches(unitId).then(
      (reply) => !cancelled && setDispatches(reply.items),
      (caught: unknown) => !cancelled && setError(caught),
    );
    return () => {
      cancelled = true;
    };
  }, [api, unitId, generation]);

  useEffect(() => {
    if (!socket || !unitId) return;
    const onDispatch = (d: Dispatch) => d.unitId === unitId && setDispatches((list) => upsert(list, d));
    const onUnit = (u: Unit) => setUnits((list) => (list ? list.map((x) => (x.id === u.id ? u : x)) : list));
    socket.on('dispatch.created', onDispatch);
    socket.on('dispatch.updated', onDispatch);
    socket.on('unit.updated', onUnit);
    return () => {
      socket.off('dispatch.created', onDispatch);
      socket.off('dispatch.updated', onDispatch);
      socket.off('unit.updated', onUnit);
    };
  }, [socket, unitId]);

  const current = useMemo(() => [...dispatches].filter((d) => ACTIVE.has(d.status)).sort((a, b) => b.sentAt.localeCompare(a.sentAt))[0] ?? null, [dispatches]);

  // Record when a dispatch is first drawn, and ring until it is accepted.
  useEffect(() => {
    if (current && !(current.id in shownRef.current)) {
      const id = current.id;
      requestAnimationFrame(() => setTimeout(() => (shownRef.current[id] ??= Date.now()), 0));
    }
    if (current?.status === 'sent') sound.ring(current.id);
    else sound.stop();
  }, [current, sound]);

  // Position: watch the device, send the latest fix every few seconds (and the first one at once).
  const send = useCallback(async () => {
    const p = positionRef.current;
    if (!p || !unitId) return;
    try {
      const updated = await api.reportPosition(unitId, { latitude: p.coords.latitude, longitude: p.coords.longitude, ...(Number.isFinite(p.coords.accuracy) ? { accuracy: Math.min(p.coords.accuracy, 100_000) } : {}) });
      sentCount.current += 1;
      setSentAt(new Date());
      setUnits((list) => (list ? list.map((x) => (x.id === updated.id ? updated : x)) : list));
    } catch {
      // the next tick tries again; the indicator shows how old the last success is
    }
  }, [api, unitId]);

  useEffect(() => {
    if (!unitId) return;
    if (!('geolocation' in navigator)) {
      setGeoError(t('patrol.noGeolocation'));
      return;
    }
    let first = true;
    const watch = navigator.geolocation.watchPosition(
      (p) => {
        positionRef.current = p;
        setPosition(p);
        setGeoError(null);
        if (first) {
          first = false;
          void send();
        }
      },
      (e) => setGeoError(e.message || t('patrol.noPosition')),
      { enableHighAccuracy: true, maximumAge: 2000, timeout: 20_000 },
    );
    const timer = setInterval(() => void send(), POSITION_INTERVAL_MS);
    return () => {
      navigator.geolocation.clearWatch(watch);
      clearInterval(timer);
    };
  }, [unitId, send, t]);

  useEffect(() => {
    const hook: ArgusPatrolHook = {
      shownAt: () => ({ ...shownRef.current }),
      sounds: () => sound.played.map((p) => p.dispatchId),
      positionsSent: () => sentCount.current,
      disconnect: () => socket?.disconnect(),
      connect: () => socket?.connect(),
    };
    window.__argusPatrol = hook;
    return () => {
      if (window.__argusPatrol === hook) delete window.__argusPatrol;
    };
  }, [socket, sound]);


  const step = (d: Dispatch, action: Step) =>
    run(async () => {
      const updated = await api.dispatchAction(d.incidentId, d.id, action);
      setDispatches((list) => upsert(list, updated));
    });

  const setStatus = (status: ManualUnitStatus) =>
    run(async () => {
      const updated = await api.setUnitStatus(unitId!, status);
      setUnits((list) => (list ? list.map((x) => (x.id === updated.id ? updated : x)) : list));
    });

  const sendSos = () =>
    run(async () => {
      const p = positionRef.current;
      await api.sos(unitId!);
      if (p) void send();
      setSosStep('sent');
    });

  const me = position ? { latitude: position.coords.latitude, longitude: position.coords.longitude } : unit?.position ? { latitude: unit.position.latitude, longitude: unit.position.longitude } : null;
  const way = current ? directionTo(me, current.incident.location) : null;

  if (error) return <ErrorBanner error={error} />;
  if (units === null) return <div className="muted">{t('app.loading')}</div>;
  if (!unit)
    return (
      <section className="screen patrol-screen" data-testid="patrol-screen">
        <header className="screen-header">
          <h1 className="screen-title">{t('patrol.title')}</h1>
        </header>
        <p className="muted" data-testid="patrol-no-unit">
          {t('patrol.noUnit')}
        </p>
      </section>
    );

  return (
    <section className="screen patrol-screen" data-testid="patrol-screen" data-unit-id={unit.id} onPointerDown={() => sound.unlock()}>
      <header className="screen-header patrol-header">
        <h1 className="screen-title">{t('patrol.title')}</h1>
        {units.length > 1 ? (
          <select value={unit.id} onChange={(e) => setUnitId(e.target.value)} aria-label={t('patrol.unit')}>
            {units.map((u) => (
              <option key={u.id} value={u.id}>
                {u.callSign}
              </option>
            ))}
          </select>
        ) : (
          <strong className="patrol-callsign">{unit.callSign}</strong>
        )}
        <span className="unit-status-chip" data-testid="unit-status" data-status={unit.status} style={{ background: UNIT_STATUS_COLOURS[unit.status] }}>
          {t(`unitStatus.${unit.status}`)}
        </span>
        <span className="muted" data-testid="patrol-link" data-connected={connected}>
          {connected ? t('patrol.online') : t('patrol.offline')}
        </span>
        <span className="position-status" data-testid="position-status" data-sent={sentAt ? 'true' : 'false'}>
          {sentAt ? t('patrol.positionSent', { time: clockText(sentAt) }) : (geoError ?? t('patrol.noPosition'))}
        </span>
      </header>

      {actionError && (
        <div className="field-error" role="alert" data-testid="patrol-error">
          {actionError}
        </div>
      )}

      <div className="patrol-layout">
        <section className={`panel patrol-current${current?.status === 'sent' ? ' ringing' : ''}`} data-testid="patrol-dispatch" data-dispatch-id={current?.id ?? ''} data-status={current?.status ?? ''}>
          {!current && <p className="patrol-idle">{t('patrol.noDispatch')}</p>}
          {current && (
            <>
              <div className="patrol-dispatch-head">
                <span className="priority-chip priority-chip-big" style={{ background: PRIORITY_COLOURS[current.incident.priority] }}>
                  {current.incident.priority}
                </span>
                <strong className="patrol-type" data-testid="patrol-type">
                  {typeName(current.incident.type)}
                </strong>
                <span className="badge" data-testid="patrol-dispatch-status">
                  {t(`dispatchStatus.${current.status}`)}
                </span>
                <DispatchTimers dispatch={current} legs={false} />
              </div>
              <p className="patrol-address" data-testid="patrol-address">
                {current.incident.address ?? current.incident.title}
              </p>
              {current.note && <p>{current.note}</p>}
              <p className="patrol-directions" data-testid="patrol-directions">
                {way ? t('patrol.directions', { distance: way.text, direction: t(`compass.${way.compass}`) }) : t('patrol.noDirections')}
              </p>
              <div className="patrol-steps">
                {(NEXT_STEPS[current.status] ?? []).map((s) => (
                  <button key={s} type="button" className="btn btn-primary btn-touch" disabled={busy} data-action={s} onClick={() => void step(current, s)}>
                    {t(`patrol.step.${s}`)}
                  </button>
                ))}
              </div>
              <DispatchCameras key={current.incidentId} incidentId={current.incidentId} />
            </>
          )}
        </section>

        <section className="panel patrol-status" data-testid="patrol-unit-status">
          <h2 className="panel-subtitle">{t('patrol.myStatus')}</h2>
          <div className="patrol-status-buttons">
            {MANUAL_UNIT_STATUSES.map((s) => (
              <button key={s} type="button" className={`btn btn-touch${unit.status === s ? ' btn-primary' : ''}`} disabled={busy || !UNIT_MANUAL_TRANSITIONS[unit.status].includes(s)} aria-pressed={unit.status === s} data-status={s} onClick={() => void setStatus(s)}>
                {t(`unitStatus.${s}`)}
              </button>
            ))}
          </div>
          <div className="patrol-sos">
            {sosStep === 'idle' && (
              <button type="button" className="btn btn-danger btn-touch btn-sos" data-testid="sos" onClick={() => setSosStep('confirm')}>
                {t('patrol.sos')}
              </button>
            )}
            {sosStep === 'confirm' && (
              <div className="sos-confirm" role="alertdialog" aria-label={t('patrol.sosConfirm')}>
                <p>{t('patrol.sosConfirm')}</p>
                <button type="button" className="btn btn-danger btn-touch" disabled={busy} data-testid="sos-confirm" onClick={() => void sendSos()}>
                  {t('patrol.sosSend')}
                </button>
                <button type="button" className="btn btn-touch" onClick={() => setSosStep('idle')}>
                  {t('common.cancel')}
                </button>
              </div>
            )}
            {sosStep === 'sent' && (
              <p className="sos-sent" data-testid="sos-sent" role="status">
                {t('patrol.sosSent')}{' '}
                <button type="button" className="btn btn-small" onClick={() => setSosStep('idle')}>
                  {t('common.close')}
                </button>
              </p>
            )}
          </div>
        </section>

        <NearbyAlerts me={me} />

        <section className="panel patrol-history" data-testid="patrol-history">
          <h2 className="panel-subtitle">{t('patrol.history')}</h2>
          <ul>
            {dispatches.slice(0, 10).map((d) => (
              <li key={d.id} data-dispatch-id={d.id}>
                <span className="priority-chip" style={{ background: PRIORITY_COLOURS[d.incident.priority] }}>
                  {d.incident.priority}
                </span>{' '}
                {typeName(d.incident.type)} · {d.incident.address ?? d.incident.title} · {t(`dispatchStatus.${d.status}`)} · <span className="muted">{formatDateTime(d.sentAt)}</span>
              </li>
            ))}
            {dispatches.length === 0 && <li className="muted">{t('patrol.noHistory')}</li>}
          </ul>
        </section>
      </div>
    </section>
  );
}
