import { useEffect, useMemo, useState } from 'react';
import type { Camera, Site } from '../../../../contracts/api.ts';
import { ConfirmDialog } from '../components/confirm-dialog.tsx';
import { ErrorBanner } from '../components/error-banner.tsx';
import { Flash, useFlash } from '../components/flash.tsx';
import { Icon } from '../components/icon.tsx';
import { StatusDot } from '../components/status-dot.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { hrefFor, hrefWithQuery, navigate, parseHashQuery, useHashQueryString } from '../shell/hash-route.ts';
import { useCameras } from '../state/use-cameras.ts';
import { useSignedIn } from '../state/session.tsx';
import { CameraAnalyticsForm } from './camera-analytics-form.tsx';
import { CameraForm, type CameraFormResult } from './camera-form.tsx';

/**
 * Camera administration: the list (kept live by socket.io), and the add / edit panel addressed by
 * the route: `#/cameras/new`, `#/cameras/<id>`; a camera's analytics settings at
 * `#/cameras/<id>?panel=analytics`.
 */
export function CamerasScreen({ subPath }: { subPath: string | undefined }) {
  const { t, formatDateTime } = useI18n();
  const { api } = useSignedIn();
  const list = useCameras();
  const [sites, setSites] = useState<Site[]>([]);
  const [filter, setFilter] = useState('');
  const [removing, setRemoving] = useState<Camera | null>(null);
  const [removeBusy, setRemoveBusy] = useState(false);
  const [removeError, setRemoveError] = useState<unknown>(null);
  const [flash, showFlash] = useFlash();
  const queryString = useHashQueryString();
  const wantsAnalytics = parseHashQuery(`?${queryString}`).panel === 'analytics';

  useEffect(() => {
    let cancelled = false;
    api.listSites().then(
      (reply) => !cancelled && setSites(reply.items),
      () => undefined, // sites are optional decoration here; the list and form work without them
    );
    return () => {
      cancelled = true;
    };
  }, [api]);

  const siteNames = useMemo(() => new Map(sites.map((s) => [s.id, s.name])), [sites]);
  const needle = filter.trim().toLowerCase();
  const shown = needle
    ? list.cameras.filter((c) => [c.name, c.sourceUrl, c.siteId ? siteNames.get(c.siteId) : ''].some((v) => v?.toLowerCase().includes(needle)))
    : list.cameras;

  const editing = subPath && subPath !== 'new' ? list.byId.get(subPath) : undefined;
  const panel: 'none' | 'new' | 'edit' | 'analytics' | 'missing' | 'loading' =
    subPath === undefined ? 'none' : subPath === 'new' ? 'new' : editing ? (wantsAnalytics ? 'analytics' : 'edit') : list.loading ? 'loading' : 'missing';

  const close = () => navigate('cameras');
  const onDone = (result: CameraFormResult) => {
    list.upsert(result.camera);
    showFlash(t(result.kind === 'created' ? 'cameras.created' : 'cameras.updated', { name: result.camera.name }));
    close();
  };

  const confirmRemove = async () => {
    if (!removing) return;
    setRemoveBusy(true);
    setRemoveError(null);
    try {
      await api.deleteCamera(removing.id);
      list.remove(removing.id);
      showFlash(t('cameras.removed', { name: removing.name }));
      if (subPath === removing.id) close();
      setRemoving(null);
    } catch (error) {
      setRemoveError(error);
    } finally {
      setRemoveBusy(false);
    }
  };

  return (
    <section className={panel === 'none' ? 'screen screen-split' : 'screen screen-split with-panel'} data-testid="cameras-screen">
      <div className="screen-main">
        <header className="screen-header">
          <h1 className="screen-title">{t('cameras.title')}</h1>
          <span className="screen-count" data-testid="camera-count">
            {t('common.total', { count: list.cameras.length })}
          </span>
          <div className="screen-tools">
            <input
              type="search"
              className="filter"
              placeholder={t('cameras.filterPlaceholder')}
              aria-label={t('cameras.filter')}
              value={filter}
              onChange={(e) => setFilter(e.target.value)}
            />
            <button type="button" className="icon-btn" onClick={list.reload} title={t('common.retry')} aria-label={t('common.retry')}>
              <Icon name="refresh" />
            </button>
            <a className="btn btn-primary" href={hrefFor('cameras', 'new')} data-testid="add-camera">
              <Icon name="plus" />
              <span>{t('cameras.add')}</span>
            </a>
          </div>
        </header>
        <Flash message={flash} />
        {list.error && <ErrorBanner error={list.error} onRetry={list.reload} />}
        <div className="table-wrap">
          <table className="table" data-testid="camera-table">
            <thead>
              <tr>
                <th className="col-status">{t('cameras.col.status')}</th>
                <th>{t('cameras.col.name')}</th>
                <th className="col-kind">{t('cameras.col.source')}</th>
                <th>{t('cameras.col.address')}</th>
                <th>{t('cameras.col.site')}</th>
                <th className="col-small col-optional">{t('cameras.col.credentials')}</th>
                <th className="col-small">{t('cameras.col.enabled')}</th>
                <th className="col-time col-optional">{t('cameras.col.updated')}</th>
                <th className="col-actions">{t('common.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((camera) => (
                <tr key={camera.id} data-camera-id={camera.id} data-camera-name={camera.name} className={camera.id === subPath ? 'selected' : undefined}>
                  <td>
                    <StatusDot status={camera.status} title={camera.statusReason} />
                  </td>
                  <td className="cell-name">
                    <a href={hrefFor('cameras', camera.id)}>{camera.name}</a>
                    {camera.ptz && <span className="tag">{t('cameras.ptz')}</span>}
                  </td>
                  <td>
                    <span className="tag tag-kind">{t(`source.${camera.sourceKind}`)}</span>
                  </td>
                  <td className="mono cell-url" title={camera.sourceUrl}>
                    {camera.sourceUrl}
                  </td>
                  <td>{camera.siteId ? (siteNames.get(camera.siteId) ?? t('common.none')) : t('common.none')}</td>
                  <td className="col-optional">{camera.hasCredentials ? <span className="badge badge-ok">{t('cameras.credentialsStored')}</span> : t('common.none')}</td>
                  <td>
                    <span className={camera.enabled ? 'bool bool-yes' : 'bool bool-no'}>{camera.enabled ? t('common.yes') : t('common.no')}</span>
                  </td>
                  <td className="mono muted col-optional">{formatDateTime(camera.updatedAt)}</td>
                  <td className="cell-actions">
                    <a className="btn btn-small" href={hrefFor('cameras', camera.id)} data-action="edit">
                      {t('common.edit')}
                    </a>
                    <a className="btn btn-small" href={hrefWithQuery(['cameras', camera.id], { panel: 'analytics' })} data-action="analytics">
                      {t('analytics.open')}
                    </a>
                    <button
                      type="button"
                      className="btn btn-small btn-danger-ghost"
                      data-action="remove"
                      onClick={() => {
                        setRemoveError(null);
                        setRemoving(camera);
                      }}
                    >
                      {t('common.remove')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {list.loading && list.cameras.length === 0 && <div className="table-empty">{t('common.loading')}</div>}
          {!list.loading && !list.error && list.cameras.length === 0 && <div className="table-empty">{t('cameras.empty')}</div>}
        </div>
      </div>

      {panel === 'new' && <CameraForm key="new" camera={null} sites={sites} api={api} onDone={onDone} onCancel={close} />}
      {panel === 'edit' && editing && (
        <CameraForm key={editing.id} camera={editing} sites={sites} api={api} onDone={onDone} onCancel={close} />
      )}
      {panel === 'analytics' && editing && (
        <CameraAnalyticsForm
          key={`analytics-${editing.id}`}
          camera={editing}
          api={api}
          onDone={() => {
            showFlash(t('analytics.saved', { name: editing.name }));
            close();
          }}
          onCancel={close}
        />
      )}
      {panel === 'loading' && <div className="side-panel side-panel-message">{t('common.loading')}</div>}
      {panel === 'missing' && (
        <div className="side-panel side-panel-message" role="alert">
          <p>{t('cameras.notFound')}</p>
          <button type="button" className="btn" onClick={close}>
            {t('common.close')}
          </button>
        </div>
      )}

      {removing && (
        <ConfirmDialog
          title={t('cameras.removeTitle')}
          confirmLabel={removeBusy ? t('common.removing') : t('common.remove')}
          cancelLabel={t('common.cancel')}
          busy={removeBusy}
          danger
          onConfirm={() => void confirmRemove()}
          onCancel={() => setRemoving(null)}
        >
          <p>{t('cameras.removeConfirm', { name: removing.name })}</p>
          {removeError !== null && <ErrorBanner error={removeError} />}
        </ConfirmDialog>
      )}
    </section>
  );
}
