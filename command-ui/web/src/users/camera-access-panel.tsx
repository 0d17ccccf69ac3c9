import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { CAMERA_ACCESS_KINDS, type CameraAccess, type CameraAccessKind, type CameraScope } from '../../../../contracts/access.ts';
import type { Camera, Site, User } from '../../../../contracts/api.ts';
import { ErrorBanner } from '../components/error-banner.tsx';
import { Icon } from '../components/icon.tsx';
import { useI18n, type Translate } from '../i18n/i18n.tsx';
import { useSignedIn } from '../state/session.tsx';

/** One line per kind: "Live: all cameras" or "Live: 1 area, 2 cameras". */
export function accessSummary(access: CameraAccess, t: Translate): string[] {
  return CAMERA_ACCESS_KINDS.map((kind) => {
    const scope = access[kind];
    const what = scope === null ? t('access.all') : t('access.some', { sites: scope.siteIds.length, cameras: scope.cameraIds.length });
    return `${t(`access.kind.${kind}`)}: ${what}`;
  });
}

/**
 * Camera access of one user (per-camera and per-area permissions): for live view, playback and search
 * separately, every camera or only chosen areas (sites) and cameras. Saved with PATCH /api/users/:id;
 * it applies at the user's next request, without signing in again.
 */
export function CameraAccessPanel({ user, onClose, onSaved }: { user: User; onClose(): void; onSaved(user: User): void }) {
  const { t } = useI18n();
  const { api } = useSignedIn();
  const [access, setAccess] = useState<CameraAccess>(user.cameraAccess);
  const [sites, setSites] = useState<Site[]>([]);
  const [cameras, setCameras] = useState<Camera[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    let cancelled = false;
    Promise.all([api.listSites(), api.listAllCameras()]).then(
      ([s, c]) => {
        if (cancelled) return;
        setSites(s.items);
        setCameras(c);
      },
      (caught: unknown) => !cancelled && setError(caught),
    );
    return () => {
      cancelled = true;
    };
  }, [api]);

  const siteName = useMemo(() => new Map(sites.map((s) => [s.id, s.name])), [sites]);
  const sortedCameras = useMemo(
    () => [...cameras].sort((a, b) => (siteName.get(a.siteId ?? '') ?? '\uffff').localeCompare(siteName.get(b.siteId ?? '') ?? '\uffff') || a.name.localeCompare(b.name)),
    [cameras, siteName],
  );

  const setScope = (kind: CameraAccessKind, scope: CameraScope | null) => setAccess((a) => ({ ...a, [kind]: scope }));
  const toggle = (kind: CameraAccessKind, field: 'siteIds' | 'cameraIds', id: string, on: boolean) => {
    const scope = access[kind] ?? { siteIds: [], cameraIds: [] };
    const list = on ? [...new Set([...scope[field], id])] : scope[field].filter((x) => x !== id);
    setScope(kind, { ...scope, [field]: list });
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSaved(await api.updateUser(user.id, { cameraAccess: access }));
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  };

  return (
    <form className="side-panel" onSubmit={submit} noValidate aria-labelledby="access-title" data-testid="access-panel">
      <div className="side-panel-head">
        <h2 id="access-title" className="side-panel-title">
          {t('access.title', { name: user.username })}
        </h2>
        <button type="button" className="icon-btn" onClick={onClose} aria-label={t('common.close')} title={t('common.close')}>
          <Icon name="close" />
        </button>
      </div>
      <div className="side-panel-body">
        <p className="field-hint">{t('access.hint')}</p>
        {error !== null && <ErrorBanner error={error} />}
        {CAMERA_ACCESS_KINDS.map((kind) => {
          const scope = access[kind];
          return (
            <fieldset key={kind} className="fieldset access-kind" data-kind={kind}>
              <legend>{t(`access.kind.${kind}`)}</legend>
              <div className="checks">
                <label className="check">
                  <input type="radio" name={`${kind}-mode`} value="all" checked={scope === null} onChange={() => setScope(kind, null)} />
                  {t('access.all')}
                </label>
                <label className="check">
                  <input type="radio" name={`${kind}-mode`} value="some" checked={scope !== null} onChange={() => setScope(kind, scope ?? { siteIds: [], cameraIds: [] })} />
                  {t('access.only')}
                </label>
              </div>
              {scope !== null && (
                <div className="access-lists">
                  <div className="access-list" data-list="sites">
                    <div className="panel-subtitle">{t('access.sites')}</div>
                    {sites.length === 0 && <p className="muted">{t('access.noSites')}</p>}
                    {sites.map((s) => (
                      <label key={s.id} className="check">
                        <input type="checkbox" value={s.id} data-site={s.name} checked={scope.siteIds.includes(s.id)} onChange={(e) => toggle(kind, 'siteIds', s.id, e.target.checked)} />
                        {s.name}
                      </label>
                    ))}
                  </div>
                  <div className="access-list" data-list="cameras">
                    <div className="panel-subtitle">{t('access.cameras')}</div>
                    {sortedCameras.map((c) => {
                      const bySite = c.siteId !== null && scope.siteIds.includes(c.siteId);
                      return (
                        <label key={c.id} className="check" title={bySite ? t('access.bySite') : undefined}>
                          <input
                            type="checkbox"
                            value={c.id}
                            data-camera={c.name}
                            checked={bySite || scope.cameraIds.includes(c.id)}
                            disabled={bySite}
                            onChange={(e) => toggle(kind, 'cameraIds', c.id, e.target.checked)}
                          />
                          {c.name}
                          {c.siteId && <span className="muted"> · {siteName.get(c.siteId) ?? ''}</span>}
                        </label>
                      );
                    })}
                  </div>
                  {scope.siteIds.length === 0 && scope.cameraIds.length === 0 && <p className="field-error">{t('access.none')}</p>}
                </div>
              )}
            </fieldset>
          );
        })}
      </div>
      <div className="side-panel-actions">
        <button type="button" className="btn" onClick={onClose} disabled={busy}>
          {t('common.cancel')}
        </button>
        <button type="submit" className="btn btn-primary" disabled={busy} data-testid="access-save">
          {busy ? t('common.saving') : t('common.save')}
        </button>
      </div>
    </form>
  );
}
