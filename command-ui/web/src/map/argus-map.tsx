import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import { useEffect, useMemo, useRef } from 'react';
import type { MapSettings } from '../../../../contracts/display.ts';
import { useI18n } from '../i18n/i18n.tsx';
import { useDisplaySettings } from '../state/display-settings.tsx';
import '../styles/map.css';
import { coordinateText, graticule, type GridAxis } from './graticule.ts';

/**
 * The application's map (Leaflet), for any screen that shows things with a position: a vehicle's
 * trajectory today, cameras, units and incidents next. Props describe what is shown; the Leaflet
 * objects stay inside this folder.
 *
 * The tile source comes from the display settings (`map.tiles`). Without one (the default, and
 * the rule on an isolated police network) no tile layer exists and nothing is requested from any
 * server: a coordinate grid is drawn instead, redrawn as the view moves. Markers are div icons
 * and circle markers, so no marker image is fetched either.
 *
 * Test hooks: the container carries `data-testid` (default `argus-map`), `data-tiles`
 * (`none` | `xyz`), `data-markers`, `data-polylines` and `data-selected`; each marker's element
 * carries `data-testid="map-marker"`, `data-marker-id` and `data-selected`; polylines have the
 * class `map-polyline`.
 */

export interface MapMarker {
  id: string;
  latitude: number;
  longitude: number;
  /** Short text drawn in the marker (a sequence number, an initial); empty: a dot. */
  label?: string;
  /** CSS colour of the marker; the accent colour when absent. */
  colour?: string;
  /** Tooltip and accessible name. */
  title?: string;
}

export interface MapPolyline {
  id: string;
  /** [latitude, longitude] points, in drawing order. */
  points: readonly (readonly [number, number])[];
  colour?: string;
  dashed?: boolean;
}

/**
 * How the view is chosen when the shown things change. 'content': fit the markers and polylines
 * (the settings' centre and zoom when there are none). 'settings': always the settings' centre and
 * zoom. 'none': leave the view where the user put it.
 */
export type MapFit = 'content' | 'settings' | 'none';

export interface ArgusMapProps {
  markers?: readonly MapMarker[];
  polylines?: readonly MapPolyline[];
  selectedId?: string | null;
  onSelect?: (id: string) => void;
  /** A click on the map itself (not on a marker): picking a point. */
  onMapClick?: (point: { latitude: number; longitude: number }) => void;
  fit?: MapFit;
  /** Pan to the selected marker when the selection changes (default true). */
  followSelection?: boolean;
  className?: string;
  testId?: string;
  ariaLabel?: string;
}

/** Largest zoom a fit goes to (one point, or points very close together). */
const FIT_MAX_ZOOM = 16;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function markerIcon(marker: MapMarker, selected: boolean): L.DivIcon {
  const label = marker.label ?? '';
  const style = marker.colour ? ` style="--marker-colour:${escapeHtml(marker.colour)}"` : '';
  const html =
    `<span class="map-marker${selected ? ' map-marker-selected' : ''}${label ? '' : ' map-marker-dot'}" data-testid="map-marker"` +
    ` data-marker-id="${escapeHtml(marker.id)}" data-selected="${selected}"${style}>${escapeHtml(label)}</span>`;
  const size = label.length > 2 ? 30 : 24;
  return L.divIcon({ html, className: 'map-marker-icon', iconSize: [size, size], iconAnchor: [size / 2, size / 2] });
}

export function ArgusMap(props: ArgusMapProps) {
  const { markers = EMPTY_MARKERS, polylines = EMPTY_LINES, selectedId = null, onSelect, fit = 'content', followSelection = true } = props;
  const settings = useDisplaySettings().map;
  const { t } = useI18n();
  const containerRef = useRef<HTMLDivElement>(null);
  const mapRef = useRef<L.Map | null>(null);
  const markerLayerRef = useRef<L.LayerGroup | null>(null);
  const lineLayerRef = useRef<L.LayerGroup | null>(null);
  const markerObjects = useRef(new Map<string, { leaflet: L.Marker; data: MapMarker }>());
  const onSelectRef = useRef(onSelect);
  onSelectRef.current = onSelect;
  const onMapClickRef = useRef(props.onMapClick);
  onMapClickRef.current = props.onMapClick;
  const settingsRef = useRef(settings);
  settingsRef.current = settings;
  const selectedRef = useRef(selectedId);
  selectedRef.current = selectedId;

  const tiles = settings.tiles;
  const tilesKey = tiles ? JSON.stringify(tiles) : 'none';

  // The map itself, once per mounted container.
  useEffect(() => {
    const container = containerRef.current;
    if (!container) return;
    const s = settingsRef.current;
    const map = L.map(container, {
      center: [s.center.latitude, s.center.longitude],
      zoom: s.zoom,
      attributionControl: false,
      worldCopyJump: true,
      zoomSnap: 0.5,
    });
    mapRef.current = map;
    lineLayerRef.current = L.layerGroup().addTo(map);
    markerLayerRef.current = L.layerGroup().addTo(map);
    map.on('click', (event: L.LeafletMouseEvent) => onMapClickRef.current?.({ latitude: event.latlng.lat, longitude: L.Util.wrapNum(event.latlng.lng, [-180, 180], true) }));
    const resize = new ResizeObserver(() => map.invalidateSize());
    resize.observe(container);
    return () => {
      resize.disconnect();
      markerObjects.current.clear();
      map.remove();
      mapRef.current = null;
      markerLayerRef.current = null;
      lineLayerRef.current = null;
    };
  }, []);

  // The base: tiles from the configured source, or the coordinate grid (no request anywhere).
  const gridText = useMemo(
    () => (axis: GridAxis, value: number, decimals: number) => {
      const c = coordinateText(axis, value, decimals);
      return t(`map.grid.${c.hemisphere}`, { value: c.value });
    },
    [t],
  );
  useEffect(() => {
    const map = mapRef.current;
    if (!map) return;
    const source: MapSettings['tiles'] = tilesKey === 'none' ? null : (JSON.parse(tilesKey) as NonNullable<MapSettings['tiles']>);
    if (source) {
      map.setMinZoom(source.minZoom);
      map.setMaxZoom(source.maxZoom);
      const layer = L.tileLayer(source.url, { attribution: source.attribution, minZoom: source.minZoom, maxZoom: source.maxZoom });
      const attribution = L.control.attribution({ prefix: false }).addTo(map);
      layer.addTo(map);
      return () => {
        layer.remove();
        attribution.remove();
      };
    }
    map.setMinZoom(2);
    map.setMaxZoom(20);
    const grid = L.layerGroup().addTo(map);
    const draw = () => {
      grid.clearLayers();
      const b = map.getBounds();
      const result = graticule({ south: b.getSouth(), west: b.getWest(), north: b.getNorth(), east: b.getEast() });
      for (const line of result.lines) {
        L.polyline([line.from as [number, number], line.to as [number, number]], { className: 'map-grid-line', interactive: false, weight: 1 }).addTo(grid);
        const text = gridText(line.axis, line.value, line.decimals);
        const icon = L.divIcon({
          className: `map-grid-label map-grid-label-${line.axis}`,
          html: `<span data-testid="map-grid-label">${escapeHtml(text)}</span>`,
          iconSize: undefined,
          iconAnchor: [0, 0],
        });
        L.marker(line.labelAt as [number, number], { icon, interactive: false, keyboard: false }).addTo(grid);
      }
    };
    draw();
    map.on('moveend zoomend resize', draw);
    return () => {
      map.off('moveend zoomend resize', draw);
      grid.remove();
    };
  }, [tilesKey, gridText]);

  // Markers.
  useEffect(() => {
    const layer = markerLayerRef.current;
    if (!layer) return;
    layer.clearLayers();
    markerObjects.current.clear();
    for (const m of markers) {
      const selected = m.id === selectedRef.current;
      const leaflet = L.marker([m.latitude, m.longitude], { icon: markerIcon(m, selected), title: m.title ?? m.label ?? '', alt: m.title ?? '', riseOnHover: true, zIndexOffset: selected ? 1000 : 0 });
      leaflet.on('click', () => onSelectRef.current?.(m.id));
      leaflet.addTo(layer);
      markerObjects.current.set(m.id, { leaflet, data: m });
    }
  }, [markers]);

  // Polylines.
  useEffect(() => {
    const layer = lineLayerRef.current;
    if (!layer) return;
    layer.clearLayers();
    for (const line of polylines) {
      if (line.points.length < 2) continue;
      L.polyline(
        line.points.map((p) => [p[0], p[1]] as [number, number]),
        { className: 'map-polyline', color: line.colour ?? '#3ea0ff', weight: 3, opacity: 0.85, dashArray: line.dashed ? '6 6' : undefined, interactive: false },
      ).addTo(layer);
    }
  }, [polylines]);

  // The view: fit what is shown (or the settings' centre) when it changes.
  const contentKey = useMemo(
    () => JSON.stringify([markers.map((m) => [m.latitude, m.longitude]), polylines.map((l) => l.points)]),
    [markers, polylines],
  );
  const centerKey = `${settings.center.latitude},${settings.center.longitude},${settings.zoom}`;
  useEffect(() => {
    const map = mapRef.current;
    if (!map || fit === 'none') return;
    const s = settingsRef.current;
    const points: [number, number][] = fit === 'content' ? [...markers.map((m) => [m.latitude, m.longitude] as [number, number]), ...polylines.flatMap((l) => l.points.map((p) => [p[0], p[1]] as [number, number]))] : [];
    if (points.length === 0) map.setView([s.center.latitude, s.center.longitude], s.zoom, { animate: false });
    else if (points.length === 1) map.setView(points[0]!, Math.max(map.getZoom(), Math.min(FIT_MAX_ZOOM, s.zoom)), { animate: false });
    else map.fitBounds(L.latLngBounds(points), { padding: [40, 40], maxZoom: FIT_MAX_ZOOM, animate: false });
    // contentKey stands for markers and polylines: a new array with the same positions keeps the view.
  }, [contentKey, centerKey, fit]);

  // Selection: restyle the markers and bring the selected one into the middle.
  useEffect(() => {
    const map = mapRef.current;
    for (const [id, { leaflet, data }] of markerObjects.current) {
      const selected = id === selectedId;
      leaflet.setIcon(markerIcon(data, selected));
      leaflet.setZIndexOffset(selected ? 1000 : 0);
    }
    const chosen = selectedId ? markerObjects.current.get(selectedId) : undefined;
    if (map && chosen && followSelection) map.panTo(chosen.leaflet.getLatLng(), { animate: true });
  }, [selectedId, markers, followSelection]);

  return (
    <div
      ref={containerRef}
      className={`argus-map${props.className ? ` ${props.className}` : ''}`}
      data-testid={props.testId ?? 'argus-map'}
      data-tiles={tiles ? 'xyz' : 'none'}
      data-markers={markers.length}
      data-polylines={polylines.filter((l) => l.points.length >= 2).length}
      data-selected={selectedId ?? ''}
      role="region"
      aria-label={props.ariaLabel ?? t('map.label')}
    />
  );
}

const EMPTY_MARKERS: readonly MapMarker[] = [];
const EMPTY_LINES: readonly MapPolyline[] = [];
