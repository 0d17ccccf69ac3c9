import { useState, type FormEvent } from 'react';
import type { Camera, CreateCameraRequest, PrivacyMask, Site, UpdateCameraRequest } from '../../../../contracts/api.ts';
import { ApiError, issueField, type ApiClient } from '../api/client.ts';
import { ErrorBanner } from '../components/error-banner.tsx';
import { Field } from '../components/field.tsx';
import { Icon } from '../components/icon.tsx';
import { useFieldErrors } from '../components/use-field-errors.ts';
import { useI18n } from '../i18n/i18n.tsx';
import { everyMember } from '../shell/exhaustive.ts';
import { PrivacyMaskEditor } from './privacy-mask-editor.tsx';

type SourceKind = Camera['sourceKind'];
const SOURCE_KINDS = everyMember<SourceKind>()(['rtsp', 'onvif', 'file']);

/** What the form edits, as the inputs hold it (text), before it becomes a request. */
interface Draft {
  name: string;
  sourceKind: SourceKind;
  sourceUrl: string;
  subStreamUrl: string;
  username: string;
  password: string;
  clearCredentials: boolean;
  siteId: string;
  latitude: string;
  longitude: string;
  ptz: boolean;
  enabled: boolean;
  privacyMasks: PrivacyMask[];
}

type FieldName = Exclude<keyof Draft, 'clearCredentials'>;
const FIELD_NAMES: readonly FieldName[] = ['name', 'sourceKind', 'sourceUrl', 'subStreamUrl', 'username', 'password', 'siteId', 'latitude', 'longitude', 'ptz', 'enabled', 'privacyMasks'];

function draftFrom(camera: Camera | null): Draft {
  return {
    name: camera?.name ?? '',
    sourceKind: camera?.sourceKind ?? 'rtsp',
    sourceUrl: camera?.sourceUrl ?? '',
    subStreamUrl: camera?.subStreamUrl ?? '',
    username: camera?.username ?? '',
    password: '',
    clearCredentials: false,
    siteId: camera?.siteId ?? '',
    latitude: camera?.latitude === null || camera?.latitude === undefined ? '' : String(camera.latitude),
    longitude: camera?.longitude === null || camera?.longitude === undefined ? '' : String(camera.longitude),
    ptz: camera?.ptz ?? false,
    enabled: camera?.enabled ?? true,
    privacyMasks: camera?.privacyMasks ?? [],
  };
}

/** '' → null; otherwise a finite number, or undefined when the text is not a number. */
function parseDegrees(text: string): number | null | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : undefined;
}

const orNull = (text: string): string | null => (text.trim() === '' ? null : text.trim());

export type CameraFormResult = { kind: 'created'; camera: Camera } | { kind: 'updated'; camera: Camera };

/**
 * Add or edit a camera. The password is write-only: it is never shown, an edit sends it only when
 * typed, and `hasCredentials` tells whether one is stored. An edit sends only the changed fields,
 * so the address (returned without credentials) does not overwrite the stored credentials.
 * Validation errors from the server appear next to their fields.
 */
export function CameraForm(props: {
  camera: Camera | null;
  sites: readonly Site[];
  api: Pick<ApiClient, 'createCamera' | 'updateCamera' | 'cameraSnapshotUrl'>;
  onDone(result: CameraFormResult): void;
  onCancel(): void;
}) {
  const { t } = useI18n();
  const { camera } = props;
  const [initial] = useState(() => draftFrom(camera));
  const [draft, setDraft] = useState(initial);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [localIssues, setLocalIssues] = useState<Partial<Record<FieldName, string>>>({});
  const [maskDrawing, setMaskDrawing] = useState(false);

  const fieldErrors = useFieldErrors(error);
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => {
    setDraft((d) => ({ ...d, [key]: value }));
    fieldErrors.edited(key);
  };

  const serverIssues = error instanceof ApiError ? error.issues : [];
  const issueFor = (field: FieldName): string | undefined => localIssues[field] ?? fieldErrors.errorFor(field);
  const unplacedIssues = serverIssues.filter((i) => {
    const field = issueField(i);
    return !FIELD_NAMES.some((f) => field === f || field.startsWith(`${f}.`));
  });

  const buildRequest = (): { create: CreateCameraRequest } | { update: UpdateCameraRequest } | null => {
    const latitude = parseDegrees(draft.latitude);
    const longitude = parseDegrees(draft.longitude);
    const issues: Partial<Record<FieldName, string>> = {};
    if (latitude === undefined) issues.latitude = t('cameras.field.notNumber');
    if (longitude === undefined) issues.longitude = t('cameras.field.notNumber');
    if (maskDrawing) issues.privacyMasks = t('cameras.mask.unclosed');
    setLocalIssues(issues);
    if (latitude === undefined || longitude === undefined || maskDrawing) return null;

    if (!camera) {
      const request: CreateCameraRequest = {
        name: draft.name.trim(),
        sourceKind: draft.sourceKind,
        sourceUrl: draft.sourceUrl.trim(),
        ptz: draft.ptz,
        enabled: draft.enabled,
      };
      // Empty optional fields are left out, so credentials written in the address are kept.
      if (orNull(draft.subStreamUrl)) request.subStreamUrl = orNull(draft.subStreamUrl);
      if (orNull(draft.username)) request.username = orNull(draft.username);
      if (draft.password !== '') request.password = draft.password;
      if (draft.siteId) request.siteId = draft.siteId;
      if (latitude !== null) request.latitude = latitude;
      if (longitude !== null) request.longitude = longitude;
      if (draft.privacyMasks.length > 0) request.privacyMasks = draft.privacyMasks;
      return { create: request };
    }

    const request: UpdateCameraRequest = {};
    if (draft.name !== initial.name) request.name = draft.name.trim();
    if (draft.sourceKind !== initial.sourceKind) request.sourceKind = draft.sourceKind;
    if (draft.sourceUrl !== initial.sourceUrl) request.sourceUrl = draft.sourceUrl.trim();
    if (draft.subStreamUrl !== initial.subStreamUrl) request.subStreamUrl = orNull(draft.subStreamUrl);
    if (draft.clearCredentials) {
      request.username = null;
      request.password = null;
    } else {
      if (draft.username !== initial.username) request.username = orNull(draft.username);
      if (draft.password !== '') request.password = draft.password;
    }
    if (draft.siteId !== initial.siteId) request.siteId = draft.siteId || null;
    if (draft.latitude !== initial.latitude) request.latitude = latitude;
    if (draft.longitude !== initial.longitude) request.longitude = longitude;
    if (draft.ptz !== initial.ptz) request.ptz = draft.ptz;
    if (draft.enabled !== initial.enabled) request.enabled = draft.enabled;
    if (JSON.stringify(draft.privacyMasks) !== JSON.stringify(initial.privacyMasks)) request.privacyMasks = draft.privacyMasks;
    return { update: request };
  };

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    fieldErrors.reset();
    const request = buildRequest();
    if (!request) return;
    if ('update' in request && Object.keys(request.update).length === 0) {
      props.onCancel();
      return;
    }
    setBusy(true);
    try {
      if ('create' in request) {
        props.onDone({ kind: 'created', camera: await props.api.createCamera(request.create) });
      } else if (camera) {
        props.onDone({ kind: 'updated', camera: await props.api.updateCamera(camera.id, request.update) });
      }
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  };

  const title = camera ? t('cameras.editTitle', { name: camera.name }) : t('cameras.addTitle');

  return (
    <form className="side-panel" onSubmit={onSubmit} noValidate aria-labelledby="camera-form-title" data-testid="camera-form">
      <div className="side-panel-head">
        <h2 id="camera-form-title" className="side-panel-title">
          {title}
        </h2>
        <button type="button" className="icon-btn" onClick={props.onCancel} aria-label={t('common.close')} title={t('common.close')}>
          <Icon name="close" />
        </button>
      </div>
      <div className="side-panel-body">
        {serverIssues.length > 0 && (
          <div className="banner banner-error" role="alert" data-testid="form-errors">
            <div className="banner-body">
              <strong className="banner-title">{t('cameras.formErrors')}</strong>
              {unplacedIssues.map((i, n) => (
                <span key={n} className="banner-message">
                  {issueField(i) ? `${issueField(i)}: ` : ''}
                  {i.message}
                </span>
              ))}
            </div>
          </div>
        )}
        {error !== null && serverIssues.length === 0 && <ErrorBanner error={error} />}

        <Field name="name" label={t('cameras.field.name')} error={issueFor('name')}>
          {(a) => <input {...a} name="name" value={draft.name} onChange={(e) => set('name', e.target.value)} maxLength={100} autoFocus={!camera} autoComplete="off" />}
        </Field>

        <div className="field-row">
          <Field name="sourceKind" label={t('cameras.field.sourceKind')} error={issueFor('sourceKind')} className="field-narrow">
            {(a) => (
              <select {...a} name="sourceKind" value={draft.sourceKind} onChange={(e) => set('sourceKind', e.target.value as SourceKind)}>
                {SOURCE_KINDS.map((k) => (
                  <option key={k} value={k}>
                    {t(`source.${k}`)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field name="sourceUrl" label={t('cameras.field.sourceUrl')} error={issueFor('sourceUrl')} hint={t(`cameras.field.sourceUrl.${draft.sourceKind}`)} className="field-grow">
            {(a) => <input {...a} name="sourceUrl" value={draft.sourceUrl} onChange={(e) => set('sourceUrl', e.target.value)} spellCheck={false} autoComplete="off" className="mono" />}
          </Field>
        </div>

        <Field name="subStreamUrl" label={t('common.optional', { label: t('cameras.field.subStreamUrl') })} error={issueFor('subStreamUrl')} hint={t('cameras.field.subStreamHint')}>
          {(a) => <input {...a} name="subStreamUrl" value={draft.subStreamUrl} onChange={(e) => set('subStreamUrl', e.target.value)} spellCheck={false} autoComplete="off" className="mono" />}
        </Field>

        <fieldset className="fieldset">
          <legend>
            {t('cameras.field.credentials')}
            {camera?.hasCredentials && (
              <span className="badge badge-ok" data-testid="credentials-stored">
                {t('cameras.credentialsStored')}
              </span>
            )}
          </legend>
          <div className="field-row">
            <Field name="username" label={t('cameras.field.username')} error={issueFor('username')} className="field-grow">
              {(a) => <input {...a} name="username" value={draft.username} onChange={(e) => set('username', e.target.value)} disabled={draft.clearCredentials} autoComplete="off" />}
            </Field>
            <Field
              name="password"
              label={t('cameras.field.password')}
              error={issueFor('password')}
              className="field-grow"
              hint={camera?.hasCredentials ? t('cameras.field.passwordStored') : t('cameras.field.passwordHint')}
            >
              {(a) => (
                <input
                  {...a}
                  name="password"
                  type="password"
                  value={draft.password}
                  onChange={(e) => set('password', e.target.value)}
                  disabled={draft.clearCredentials}
                  autoComplete="new-password"
                  placeholder={camera?.hasCredentials ? '••••••••' : ''}
                />
              )}
            </Field>
          </div>
          {camera?.hasCredentials && (
            <label className="check">
              <input type="checkbox" name="clearCredentials" checked={draft.clearCredentials} onChange={(e) => set('clearCredentials', e.target.checked)} />
              {t('cameras.field.clearCredentials')}
            </label>
          )}
        </fieldset>

        <Field name="siteId" label={t('cameras.field.site')} error={issueFor('siteId')}>
          {(a) => (
            <select {...a} name="siteId" value={draft.siteId} onChange={(e) => set('siteId', e.target.value)}>
              <option value="">{t('cameras.field.noSite')}</option>
              {props.sites.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name} · {t(`siteKind.${s.kind}`)}
                  {s.code ? ` (${s.code})` : ''}
                </option>
              ))}
            </select>
          )}
        </Field>

        <fieldset className="fieldset">
          <legend>{t('cameras.field.position')}</legend>
          <div className="field-row">
            <Field name="latitude" label={t('cameras.field.latitude')} error={issueFor('latitude')} className="field-grow">
              {(a) => <input {...a} name="latitude" inputMode="decimal" value={draft.latitude} onChange={(e) => set('latitude', e.target.value)} placeholder="30.274085" className="mono" autoComplete="off" />}
            </Field>
            <Field name="longitude" label={t('cameras.field.longitude')} error={issueFor('longitude')} className="field-grow">
              {(a) => <input {...a} name="longitude" inputMode="decimal" value={draft.longitude} onChange={(e) => set('longitude', e.target.value)} placeholder="120.155070" className="mono" autoComplete="off" />}
            </Field>
          </div>
        </fieldset>

        <div className="checks">
          <label className="check">
            <input type="checkbox" name="ptz" checked={draft.ptz} onChange={(e) => set('ptz', e.target.checked)} />
            {t('cameras.field.ptz')}
          </label>
          <label className="check">
            <input type="checkbox" name="enabled" checked={draft.enabled} onChange={(e) => set('enabled', e.target.checked)} />
            {t('cameras.field.enabled')}
          </label>
        </div>
        {(issueFor('ptz') || issueFor('enabled')) && <div className="field-error">{[issueFor('ptz'), issueFor('enabled')].filter(Boolean).join('; ')}</div>}

        <PrivacyMaskEditor
          masks={draft.privacyMasks}
          onChange={(masks) => set('privacyMasks', masks)}
          onDrawing={(drawing) => {
            setMaskDrawing(drawing);
            if (!drawing) setLocalIssues((l) => ({ ...l, privacyMasks: undefined }));
          }}
          error={issueFor('privacyMasks')}
          snapshotUrl={camera ? (stamp) => props.api.cameraSnapshotUrl(camera.id, stamp) : undefined}
        />
      </div>
      <div className="side-panel-actions">
        <button type="button" className="btn" onClick={props.onCancel} disabled={busy}>
          {t('common.cancel')}
        </button>
        <button type="submit" className="btn btn-primary" disabled={busy} data-testid="camera-save">
          {busy ? t('common.saving') : t('common.save')}
        </button>
      </div>
    </form>
  );
}
