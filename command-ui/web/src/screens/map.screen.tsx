import { useEffect, useMemo, useState } from 'react';
import type { Site } from '../../../../contracts/api.ts';
import type { Incident, IncidentSummary, Unit } from '../../../../contracts/incidents.ts';
import { INCIDENT_PRIORITIES } from '../../../../contracts/incidents.ts';
import { hasPermission } from '../../../../contracts/roles.ts';
import { ALERT_LEVELS, type Alert } from '../alerts/alert-types.ts';
import { PRIORITY_COLOURS, STALE_COLOUR, UNIT_STATUS_COLOURS, distanceText } from '../dispatch/geo-text.ts';
import { useIncidentTypes } from '../dispatch/use-incident-types.ts';
import { useI18n } from '../i18n/i18n.tsx';
import { ArgusMap, type MapFit, type MapMarker } from '../map/argus-map.tsx';
import { hrefFor, hrefWithQuery } from '../shell/hash-route.ts';
import { useLevelText } from '../state/display-settings.tsx';
import { useCameras } from '../state/use-cameras.ts';
import { useLive } from '../state/live.tsx';
import { useSignedIn } from '../state/session.tsx';
import '../styles/dispatch.css';
import { useDisplaySettings } from '../state/display-settings.tsx';

/**
 * The command map: cameras with a position (click → its video), units with their live position
 * coloured by status (grey when stale), open incidents by priority, and "follow" for a unit.
 *
 * The server computes `stale` when a unit is read; a unit that stops reporting after its last push
 * is greyed here once its last fix is older than the server's dispatch.staleAfterSeconds (from the
 * display settings).
 */
/** Alerts shown on the map: those of the last hour. */
const RECENT_ALERTS_MS = 3_600_000;
const CHECKPOINT_COLOUR = '#14b8a6';
const CAMERA_COLOUR = '#3ea0ff';

/** The map's layers, each with a toggle in the legend. */
export const MAP_LAYERS = ['cameras', 'checkpoints', 'units', 'incidents', 'alerts'] as const;
export type MapLayer = (typeof MAP_LAYERS)[number];

function upsert<T extends { id: string }>(list: readonly T[], item: T): T[] {
  const i = list.findIndex((x) => x.id === item.id);
  if (i < 0) return [...list, item];
  const next = list.slice();
  next[i] = item;
  return next;
}

export function MapScreen() {
  const { t, formatDateTime } = useI18n();
  const staleAfterMs = useDisplaySettings().unitStaleAfterSeconds * 1000;
  const { api, user } = useSignedIn();
  const { socket, generation } = useLive();
  const { cameras } = useCameras();
  const { typeName } = useIncidentTypes();
  const canIncidents = hasPermission(user.roles, 'incidents.view');
  const canAlerts = hasPermission(user.roles, 'alerts.view');
  const levels = useLevelText();
  const [sites, setSites] = useState<Site[]>([]);
  const [alerts, setAlerts] = useState<Alert[]>([]);
  const [hidden, setHidden] = useState<ReadonlySet<MapLayer>>(new Set());
  const shown = (layer: MapLayer) => !hidden.has(layer);
  const toggle = (layer: MapLayer) =>
    setHidden((current) => {
      const next = new Set(current);
      if (next.has(layer)) next.delete(layer);
      else next.add(layer);
      return next;
    });
  const [units, setUnits] = useState<Unit[]>([]);
  const [incidents, setIncidents] = useState<IncidentSummary[]>([]);
  const [selected, setSelected] = useState<string | null>(null);
  const [follow, setFollow] = useState(false);
  const [now, setNow] = useState(() => Date.now());
  const [fit, setFit] = useState<MapFit>('content');

  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 5000);
    return () => clearInterval(timer);
  }, []);

  useEffect(() => {
    if (!canIncidents) return;
    let cancelled = false;
    Promise.all([api.listUnits(), api.listIncidents({ open: true, limit: 200 })]).then(
      ([u, i]) => {
        if (cancelled) return;
        setUnits(u.items);
        setIncidents(i.items);
        setTimeout(() => setFit('none'), 0);
      },
      () => undefined,
    );
    return () => {
      cancelled = true;
    };
  }, [api, canIncidents, generation]);

  useEffect(() => {
    let cancelled = false;
    api.listSites().then(
      (reply) => !cancelled && setSites(reply.items),
      () => undefined,
    );
    return () => {
      cancelled = true;
    };
  }, [api, generation]);

  // The last hour's alerts, re-read every minute (and pushed ones added as they come).
  const minute = Math.floor(now / 60_000);
  useEffect(() => {
    if (!canAlerts) return;
    const controller = new AbortController();
    api.listAlerts({ from: new Date(Date.now() - RECENT_ALERTS_MS), limit: 200 }, controller.signal).then(
      (page) => setAlerts(page.items),
      () => undefined,
    );
    return () => controller.abort();
  }, [api, canAlerts, generation, minute]);

  useEffect(() => {
    if (!socket) return;
    const onAlert = (a: Alert) => setAlerts((list) => upsert(list, a));
    socket.on('alert.created', onAlert);
    socket.on('alert.updated', onAlert);
    return () => {
      socket.off('alert.created', onAlert);
      socket.off('alert.updated', onAlert);
    };
  }, [socket]);

  useEffect(() => {
    if (!socket) return;
    const onUnit = (u: Unit) => setUnits((list) => upsert(list, u));
    const onIncident = (i: Incident) => setIncidents((list) => (i.status === 'closed' ? list.filter((x) => x.id !== i.id) : upsert(list, i)));
    socket.on('unit.updated', onUnit);
    socket.on('incident.created', onIncident);
    socket.on('incident.updated', onIncident);
    return () => {
      socket.off('unit.updated', onUnit);
      socket.off('incident.created', onIncident);
      socket.off('incident.updated', onIncident);
    };
  }, [socket]);

  const isStale = (u: Unit) => u.stale || !u.position || now - Date.parse(u.position.at) > staleAfterMs;

  const checkpoints = useMemo(() => sites.filter((x) => x.kind === 'checkpoint' && x.latitude !== null && x.longitude !== null), [sites]);
  const recentAlerts = useMemo(() => alerts.filter((a) => a.location && now - Date.parse(a.createdAt) <= RECENT_ALERTS_MS), [alerts, now]);

  const markers = useMemo<MapMarker[]>(() => {
    const m: MapMarker[] = [];
    if (shown('cameras'))
      for (const c of cameras) if (c.latitude !== null && c.longitude !== null) m.push({ id: `camera:${c.id}`, latitude: c.latitude, longitude: c.longitude, colour: c.status === 'online' ? CAMERA_COLOUR : STALE_COLOUR, title: c.name });
    if (shown('checkpoints'))
      for (const k of checkpoints) m.push({ id: `checkpoint:${k.id}`, latitude: k.latitude!, longitude: k.longitude!, label: t('mapScreen.checkpointMark'), colour: CHECKPOINT_COLOUR, title: `${t('mapScreen.layer.checkpoints')} · ${k.name}` });
    if (shown('incidents'))
      for (const i of incidents) if (i.location) m.push({ id: `incident:${i.id}`, ...i.location, label: i.priority, colour: PRIORITY_COLOURS[i.priority], title: `${typeName(i.type)} · ${i.address ?? i.title}` });
    if (shown('alerts'))
      for (const a of recentAlerts)
        m.push({ id: `alert:${a.id}`, ...a.location!, label: '!', colour: levels.colour(a.level), title: `${levels.name(a.level)} · ${a.entry.plate ?? a.sighting.plateText ?? a.entry.personName ?? a.watchlist.name} · ${formatDateTime(a.createdAt)}` });
    if (shown('units'))
      for (const u of units) {
        if (!u.position) continue;
        const stale = u.stale || now - Date.parse(u.position.at) > staleAfterMs;
        m.push({ id: `unit:${u.id}`, latitude: u.position.latitude, longitude: u.position.longitude, label: u.callSign.slice(-3), colour: stale ? STALE_COLOUR : (UNIT_STATUS_COLOURS[u.status] ?? '#2fbf71'), title: `${u.callSign} · ${t(`unitStatus.${u.status}`)}${stale ? ` · ${t('map.stale')}` : ''}` });
      }
    return m;
  }, [cameras, checkpoints, incidents, recentAlerts, units, now, typeName, t, levels, formatDateTime, hidden]);

  const [kind, id] = selected ? (selected.split(':') as [string, string]) : [null, null];
  const camera = kind === 'camera' ? cameras.find((c) => c.id === id) : undefined;
  const unit = kind === 'unit' ? units.find((u) => u.id === id) : undefined;
  const incident = kind === 'incident' ? incidents.find((i) => i.id === id) : undefined;
  const checkpoint = kind === 'checkpoint' ? checkpoints.find((x) => x.id === id) : undefined;
  const alert = kind === 'alert' ? recentAlerts.find((a) => a.id === id) : undefined;
  const layerCount: Record<MapLayer, number> = {
    cameras: cameras.filter((c) => c.latitude !== null).length,
    checkpoints: checkpoints.length,
    units: units.filter((u) => u.position).length,
    incidents: incidents.filter((i) => i.location).length,
    alerts: recentAlerts.length,
  };
  const layers = MAP_LAYERS.filter((l) => (l === 'units' || l === 'incidents' ? canIncidents : l === 'alerts' ? canAlerts : true));

  return (
    <section className="screen map-screen" data-testid="map-screen">
      <header className="screen-header">
        <h1 className="screen-title">{t('mapScreen.title')}</h1>
        <span className="screen-count">{t('mapScreen.counts', { cameras: cameras.filter((c) => c.latitude !== null).length, units: units.filter((u) => u.position).length, incidents: incidents.length })}</span>
      </header>
      <div className="map-screen-body">
        <ArgusMap className="map-screen-map" testId="command-map" markers={markers} selectedId={selected} onSelect={setSelected} fit={fit} followSelection={follow || kind !== 'unit'} />
        <aside className="panel map-screen-side" data-testid="map-selection">
          {!selected && <p className="muted">{t('mapScreen.choose')}</p>}
          {camera && (
            <>
              <h2 className="panel-subtitle">{camera.name}</h2>
              <p className="muted">{t(`status.${camera.status}`)}</p>
              <a className="btn btn-primary" href={hrefWithQuery(['wall'], { cameras: camera.id })} data-testid="map-camera-live">
                {t('mapScreen.liveOnWall')}
              </a>{' '}
              <a className="btn" href={`#/playback/${camera.id}`}>
                {t('nav.playback')}
              </a>
            </>
          )}
          {unit && (
            <>
              <h2 className="panel-subtitle">{unit.callSign}</h2>
              <p data-testid="map-unit-status">
                {t(`unitStatus.${unit.status}`)}
                {isStale(unit) ? ` · ${t('map.stale')}` : ''}
              </p>
              {unit.position && <p className="muted">{t('mapScreen.lastFix', { time: formatDateTime(unit.position.at), accuracy: unit.position.accuracy === null ? '—' : distanceText(unit.position.accuracy) })}</p>}
              <label className="map-follow">
                <input type="checkbox" checked={follow} data-testid="follow-unit" onChange={(e) => setFollow(e.target.checked)} /> {t('mapScreen.follow')}
              </label>
            </>
          )}
          {checkpoint && (
            <>
              <h2 className="panel-subtitle">{checkpoint.name}</h2>
              <p className="muted">
                {t('mapScreen.layer.checkpoints')}
                {checkpoint.code ? ` · ${checkpoint.code}` : ''}
              </p>
            </>
          )}
          {alert && (
            <>
              <h2 className="panel-subtitle">
                <span className="patrol-level-chip" style={{ background: levels.colour(alert.level) }}>
                  {levels.name(alert.level)}
                </span>{' '}
                {alert.entry.plate ?? alert.sighting.plateText ?? alert.entry.personName ?? alert.watchlist.name}
              </h2>
              <p>
                {alert.cameraName ?? alert.siteName ?? ''} · {formatDateTime(alert.createdAt)}
              </p>
              {alert.entry.reason && <p className="muted">{alert.entry.reason}</p>}
              <a className="btn btn-primary" href={hrefFor('alerts')}>
                {t('overview.alertsOpen')}
              </a>
            </>
          )}
          {incident && (
            <>
              <h2 className="panel-subtitle">
                {incident.priority} · {typeName(incident.type)}
              </h2>
              <p>{incident.address ?? incident.title}</p>
              <a className="btn btn-primary" href={`#/incidents/${incident.id}`}>
                {t('incidents.open')}
              </a>
            </>
          )}
          <div className="map-legend" data-testid="map-legend">
            <h3 className="panel-subtitle">{t('mapScreen.legend')}</h3>
            {layers.map((l) => (
              <label key={l} className="map-layer-toggle">
                <input type="checkbox" checked={shown(l)} data-testid={`map-layer-${l}`} onChange={() => toggle(l)} />
                <span className={`map-legend-swatch map-legend-${l}`} aria-hidden="true" />
                {t(`mapScreen.layer.${l}`)} <span className="muted">({layerCount[l]})</span>
              </label>
            ))}
            {canIncidents && shown('incidents') && (
              <div className="map-legend-row">
                {INCIDENT_PRIORITIES.map((p) => (
                  <span key={p} className="map-legend-item">
                    <span className="map-legend-dot" style={{ background: PRIORITY_COLOURS[p] }} />
                    {p}
                  </span>
                ))}
              </div>
            )}
            {canAlerts && shown('alerts') && (
              <div className="map-legend-row">
                {ALERT_LEVELS.map((l) => (
                  <span key={l} className="map-legend-item">
                    <span className="map-legend-dot" style={{ background: levels.colour(l) }} />
                    {levels.name(l)}
                  </span>
                ))}
              </div>
            )}
          </div>
        </aside>
      </div>
    </section>
  );
}
