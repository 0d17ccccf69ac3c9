import { useMemo, useState } from 'react';
import type { Camera, Site } from '../../../../contracts/api.ts';
import { Icon } from '../components/icon.tsx';
import { StatusDot } from '../components/status-dot.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { startCameraDrag } from './drag.ts';

/**
 * The cameras grouped by site (checkpoints, stations, …; cameras without a site last), with a
 * status dot each and a filter box. On the wall a camera is dragged onto a tile or double-clicked
 * (Enter) to fill the next free tile; in the playback picker a click chooses it.
 */
export interface CameraGroup {
  /** Site id, or null for the cameras without a (known) site. */
  siteId: string | null;
  site: Site | null;
  cameras: Camera[];
}

export function groupCameras(cameras: readonly Camera[], sites: readonly Site[], locale: string): CameraGroup[] {
  const byId = new Map(sites.map((s) => [s.id, s]));
  const groups = new Map<string | null, CameraGroup>();
  for (const camera of cameras) {
    const site = camera.siteId ? (byId.get(camera.siteId) ?? null) : null;
    const key = site ? site.id : null;
    let group = groups.get(key);
    if (!group) {
      group = { siteId: key, site, cameras: [] };
      groups.set(key, group);
    }
    group.cameras.push(camera);
  }
  const collator = new Intl.Collator(locale, { numeric: true });
  const list = [...groups.values()];
  for (const g of list) g.cameras.sort((a, b) => collator.compare(a.name, b.name) || a.id.localeCompare(b.id));
  return list.sort((a, b) => {
    if (!a.site) return 1;
    if (!b.site) return -1;
    return collator.compare(a.site.name, b.site.name);
  });
}

/** Cameras whose name, site name or site code contain the filter text (case-insensitive). */
export function filterGroups(groups: readonly CameraGroup[], filter: string): CameraGroup[] {
  const needle = filter.trim().toLowerCase();
  if (!needle) return [...groups];
  const out: CameraGroup[] = [];
  for (const group of groups) {
    const siteMatches = group.site !== null && [group.site.name, group.site.code ?? ''].some((v) => v.toLowerCase().includes(needle));
    const cameras = siteMatches ? group.cameras : group.cameras.filter((c) => c.name.toLowerCase().includes(needle));
    if (cameras.length > 0) out.push({ ...group, cameras });
  }
  return out;
}

export interface CameraTreeProps {
  cameras: readonly Camera[];
  sites: readonly Site[];
  loading: boolean;
  /** 'wall': drag and double-click; 'pick': a click chooses. */
  mode: 'wall' | 'pick';
  onActivate(camera: Camera): void;
  /** Cameras shown on the wall (marked), or the chosen camera (highlighted). */
  marked?: ReadonlySet<string>;
  selectedId?: string | null;
  filter: string;
  onFilterChange(filter: string): void;
  testId?: string;
}

export function CameraTree(props: CameraTreeProps) {
  const { t, locale } = useI18n();
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const groups = useMemo(() => groupCameras(props.cameras, props.sites, locale), [props.cameras, props.sites, locale]);
  const shown = useMemo(() => filterGroups(groups, props.filter), [groups, props.filter]);
  const filtering = props.filter.trim().length > 0;
  const toggle = (key: string) =>
    setCollapsed((current) => {
      const next = new Set(current);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      return next;
    });

  return (
    <div className={`tree tree-${props.mode}`} data-testid={props.testId ?? 'camera-tree'}>
      <div className="tree-filter">
        <input
          type="search"
          placeholder={t('tree.filterPlaceholder')}
          aria-label={t('tree.filter')}
          value={props.filter}
          onChange={(e) => props.onFilterChange(e.target.value)}
          data-testid="tree-filter"
        />
      </div>
      <div className="tree-body" role="tree" aria-label={t('tree.title')}>
        {shown.map((group) => {
          const key = group.siteId ?? '__none__';
          const open = filtering || !collapsed.has(key);
          const online = group.cameras.filter((c) => c.status === 'online' || c.status === 'degraded').length;
          return (
            <div key={key} className="tree-group" role="treeitem" aria-expanded={open} aria-selected={false} data-testid="tree-site" data-site-id={group.siteId ?? ''}>
              <button type="button" className="tree-group-head" onClick={() => toggle(key)} title={group.site?.code ?? undefined}>
                <Icon name={open ? 'chevron-down' : 'chevron-right'} className="tree-chevron" />
                <Icon name="site" className="tree-site-icon" />
                <span className="tree-group-name">{group.site ? group.site.name : t('tree.noSite')}</span>
                {group.site && <span className="tree-kind">{t(`siteKind.${group.site.kind}`)}</span>}
                <span className="tree-count" title={t('tree.onlineOfTotal', { online, total: group.cameras.length })}>
                  {online}/{group.cameras.length}
                </span>
              </button>
              {open && (
                <ul className="tree-list" role="group">
                  {group.cameras.map((camera) => {
                    const marked = props.marked?.has(camera.id) ?? false;
                    const selected = props.selectedId === camera.id;
                    const classes = ['tree-camera'];
                    if (marked) classes.push('tree-camera-marked');
                    if (selected) classes.push('tree-camera-selected');
                    return (
                      <li
                        key={camera.id}
                        className={classes.join(' ')}
                        role="treeitem"
                        aria-selected={selected}
                        tabIndex={0}
                        data-testid="tree-camera"
                        data-camera-id={camera.id}
                        data-camera-name={camera.name}
                        title={props.mode === 'wall' ? t('tree.wallHint') : camera.name}
                        draggable={props.mode === 'wall'}
                        onDragStart={(event) => startCameraDrag(event, camera.id, camera.name)}
                        onDoubleClick={() => props.mode === 'wall' && props.onActivate(camera)}
                        onClick={() => props.mode === 'pick' && props.onActivate(camera)}
                        onKeyDown={(event) => {
                          if (event.key === 'Enter' || event.key === ' ') {
                            event.preventDefault();
                            props.onActivate(camera);
                          }
                        }}
                      >
                        <StatusDot status={camera.status} withLabel={false} title={camera.statusReason ? `${t(`status.${camera.status}`)}: ${camera.statusReason}` : null} />
                        <span className="tree-camera-name">{camera.name}</span>
                        {camera.ptz && <span className="tree-tag">{t('cameras.ptz')}</span>}
                        {marked && <span className="tree-on-wall" title={t('tree.onWall')} aria-label={t('tree.onWall')} />}
                      </li>
                    );
                  })}
                </ul>
              )}
            </div>
          );
        })}
        {props.loading && props.cameras.length === 0 && <div className="tree-empty">{t('common.loading')}</div>}
        {!props.loading && props.cameras.length === 0 && <div className="tree-empty">{t('tree.noCameras')}</div>}
        {!props.loading && props.cameras.length > 0 && shown.length === 0 && <div className="tree-empty">{t('tree.noMatch')}</div>}
      </div>
    </div>
  );
}
