import { useEffect, useState, type FormEvent, type MouseEvent } from 'react';
import { PIPELINES, type PipelineName } from '../../../../contracts/analytics.ts';
import type { Camera } from '../../../../contracts/api.ts';
import { DEFAULT_ANALYTICS_SETTINGS, ROI_MAX_POINTS, type AnalyticsSettings, type CameraAnalytics, type NormalisedPoint } from '../../../../contracts/sightings.ts';
import type { ApiClient } from '../api/client.ts';
import { ErrorBanner } from '../components/error-banner.tsx';
import { Field } from '../components/field.tsx';
import { Icon } from '../components/icon.tsx';
import { useFieldErrors } from '../components/use-field-errors.ts';
import { useI18n } from '../i18n/i18n.tsx';
import '../styles/sightings.css';
import { CameraSnapshotImage, CameraSnapshotTools, useCameraSnapshot } from './privacy-mask-editor.tsx';

/** The form's state: numbers as typed. */
interface Draft {
  enabled: boolean;
  pipelines: PipelineName[];
  fps: string;
  roi: NormalisedPoint[];
  minPlateWidth: string;
  minFaceSize: string;
  minFaceQuality: string;
  vehiclesOnly: boolean;
}
type NumberField = 'fps' | 'minPlateWidth' | 'minFaceSize' | 'minFaceQuality';

function draftFrom(s: AnalyticsSettings): Draft {
  return {
    enabled: s.enabled,
    pipelines: [...s.pipelines],
    fps: String(s.fps),
    roi: s.roi ? s.roi.map(([x, y]) => [x, y] as NormalisedPoint) : [],
    minPlateWidth: String(s.minPlateWidth),
    minFaceSize: String(s.minFaceSize),
    minFaceQuality: String(s.minFaceQuality),
    vehiclesOnly: s.vehiclesOnly,
  };
}

const round3 = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * 1000) / 1000;

/**
 * A camera's analytics settings (administrators): on/off, which recognitions, the analysis rate,
 * a region of interest drawn by clicking corner points on a 16:9 frame (none: the whole frame), and
 * the size and quality floors. Server validation messages appear at their fields. The camera's
 * current picture is shown behind the region.
 */
export function CameraAnalyticsForm(props: {
  camera: Camera;
  api: Pick<ApiClient, 'getCameraAnalytics' | 'saveCameraAnalytics' | 'cameraSnapshotUrl'>;
  onDone(saved: CameraAnalytics): void;
  onCancel(): void;
}) {
  const { t } = useI18n();
  const { camera, api } = props;
  const snapshot = useCameraSnapshot((stamp) => api.cameraSnapshotUrl(camera.id, stamp));
  const [loaded, setLoaded] = useState<CameraAnalytics | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [localIssues, setLocalIssues] = useState<Partial<Record<NumberField | 'roi', string>>>({});
  const fieldErrors = useFieldErrors(error);

  useEffect(() => {
    let cancelled = false;
    api.getCameraAnalytics(camera.id).then(
      (current) => {
        if (cancelled) return;
        setLoaded(current);
        setDraft(draftFrom(current.settings));
      },
      (caught: unknown) => !cancelled && setError(caught),
    );
    return () => {
      cancelled = true;
    };
  }, [api, camera.id]);

  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => {
    setDraft((d) => (d ? { ...d, [key]: value } : d));
    fieldErrors.edited(key);
    setLocalIssues((l) => ({ ...l, [key]: undefined }));
  };
  const issueFor = (field: keyof Draft) => (localIssues as Record<string, string | undefined>)[field] ?? fieldErrors.errorFor(field);

  const addPoint = (event: MouseEvent<HTMLDivElement>) => {
    if (!draft || draft.roi.length >= ROI_MAX_POINTS) return;
    const box = event.currentTarget.getBoundingClientRect();
    const point: NormalisedPoint = [round3((event.clientX - box.left) / box.width), round3((event.clientY - box.top) / box.height)];
    set('roi', [...draft.roi, point]);
  };

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    if (!draft) return;
    setError(null);
    fieldErrors.reset();
    const issues: Partial<Record<NumberField | 'roi', string>> = {};
    const num = (field: NumberField) => {
      const text = draft[field].trim();
      const value = Number(text);
      if (text === '' || !Number.isFinite(value)) issues[field] = t('analytics.notNumber');
      return value;
    };
    const settings: AnalyticsSettings = {
      enabled: draft.enabled,
      pipelines: PIPELINES.filter((p) => draft.pipelines.includes(p)),
      fps: num('fps'),
      roi: draft.roi.length === 0 ? null : draft.roi,
      minPlateWidth: num('minPlateWidth'),
      minFaceSize: num('minFaceSize'),
      minFaceQuality: num('minFaceQuality'),
      vehiclesOnly: draft.vehiclesOnly,
    };
    if (draft.roi.length > 0 && draft.roi.length < 3) issues.roi = t('analytics.roiTooFew');
    setLocalIssues(issues);
    if (Object.keys(issues).length > 0) return;
    setBusy(true);
    try {
      props.onDone(await api.saveCameraAnalytics(camera.id, settings));
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  };

  const roiPath = draft && draft.roi.length > 0 ? draft.roi.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${x} ${y}`).join(' ') + (draft.roi.length >= 3 ? ' Z' : '') : '';

  return (
    <form className="side-panel" onSubmit={onSubmit} noValidate aria-labelledby="analytics-form-title" data-testid="analytics-form">
      <div className="side-panel-head">
        <h2 id="analytics-form-title" className="side-panel-title">
          {t('analytics.title', { name: camera.name })}
        </h2>
        <button type="button" className="icon-btn" onClick={props.onCancel} aria-label={t('common.close')} title={t('common.close')}>
          <Icon name="close" />
        </button>
      </div>
      <div className="side-panel-body">
        {error !== null && <ErrorBanner error={error} />}
        {!draft && error === null && <div className="muted">{t('common.loading')}</div>}
        {draft && (
          <>
            {loaded?.isDefault && <div className="banner banner-info">{t('analytics.defaults')}</div>}
            <label className="check">
              <input type="checkbox" name="enabled" checked={draft.enabled} onChange={(e) => set('enabled', e.target.checked)} />
              {t('analytics.enabled')}
            </label>

            <fieldset className={issueFor('pipelines') ? 'fieldset field-invalid' : 'fieldset'} data-field="pipelines">
              <legend>{t('analytics.pipelines')}</legend>
              <div className="checks">
                {PIPELINES.map((p) => (
                  <label key={p} className="check">
                    <input
                      type="checkbox"
                      name={`pipeline-${p}`}
                      checked={draft.pipelines.includes(p)}
                      disabled={!draft.enabled}
                      onChange={(e) => set('pipelines', e.target.checked ? [...draft.pipelines, p] : draft.pipelines.filter((x) => x !== p))}
                    />
                    {t(`analytics.pipeline.${p}`)}
                  </label>
                ))}
              </div>
              {issueFor('pipelines') && <div className="field-error">{issueFor('pipelines')}</div>}
            </fieldset>

            <Field name="fps" label={t('analytics.fps')} error={issueFor('fps')} hint={t('analytics.fpsHint')}>
              {(a) => <input {...a} name="fps" inputMode="decimal" value={draft.fps} onChange={(e) => set('fps', e.target.value)} className="mono" autoComplete="off" />}
            </Field>

            <fieldset className={issueFor('roi') ? 'fieldset field-invalid' : 'fieldset'} data-field="roi">
              <legend>{t('analytics.roi')}</legend>
              <div className="roi-editor" onClick={addPoint} role="button" tabIndex={-1} aria-label={t('analytics.roiHint')} data-testid="roi-editor">
                <CameraSnapshotImage view={snapshot} />
                <svg viewBox="0 0 1 1" preserveAspectRatio="none" aria-hidden="true">
                  {roiPath && <path d={roiPath} className="roi-shape" />}
                </svg>
                <svg aria-hidden="true">
                  {draft.roi.map(([x, y], i) => (
                    <circle key={i} cx={`${x * 100}%`} cy={`${y * 100}%`} r={4} className="roi-point" />
                  ))}
                </svg>
                {draft.roi.length === 0 && <div className="roi-whole">{t('analytics.roiWhole')}</div>}
              </div>
              <CameraSnapshotTools view={snapshot} />
              <div className="roi-tools">
                <span className="muted">{draft.roi.length === 0 ? t('analytics.roiWhole') : t('analytics.roiPoints', { count: draft.roi.length })}</span>
                <button type="button" className="btn btn-small" disabled={draft.roi.length === 0} onClick={() => set('roi', draft.roi.slice(0, -1))}>
                  {t('analytics.roiUndo')}
                </button>
                <button type="button" className="btn btn-small" disabled={draft.roi.length === 0} onClick={() => set('roi', [])} data-testid="roi-clear">
                  {t('analytics.roiClear')}
                </button>
              </div>
              {draft.roi.length > 0 && <div className="roi-points">{draft.roi.map(([x, y]) => `(${x}, ${y})`).join(' ')}</div>}
              <div className="field-hint">{t('analytics.roiHint')}</div>
              {issueFor('roi') && <div className="field-error">{issueFor('roi')}</div>}
            </fieldset>

            <div className="field-row">
              <Field name="minPlateWidth" label={t('analytics.minPlateWidth')} error={issueFor('minPlateWidth')} className="field-grow">
                {(a) => <input {...a} name="minPlateWidth" inputMode="numeric" value={draft.minPlateWidth} onChange={(e) => set('minPlateWidth', e.target.value)} className="mono" autoComplete="off" />}
              </Field>
              <Field name="minFaceSize" label={t('analytics.minFaceSize')} error={issueFor('minFaceSize')} className="field-grow">
                {(a) => <input {...a} name="minFaceSize" inputMode="numeric" value={draft.minFaceSize} onChange={(e) => set('minFaceSize', e.target.value)} className="mono" autoComplete="off" />}
              </Field>
            </div>
            <Field name="minFaceQuality" label={t('analytics.minFaceQuality')} error={issueFor('minFaceQuality')}>
              {(a) => <input {...a} name="minFaceQuality" inputMode="decimal" value={draft.minFaceQuality} onChange={(e) => set('minFaceQuality', e.target.value)} className="mono" autoComplete="off" />}
            </Field>
            <label className="check">
              <input type="checkbox" name="vehiclesOnly" checked={draft.vehiclesOnly} onChange={(e) => set('vehiclesOnly', e.target.checked)} />
              {t('analytics.vehiclesOnly')}
            </label>
            <div className="field-hint">{t('analytics.vehiclesOnlyHint')}</div>
          </>
        )}
      </div>
      <div className="side-panel-actions">
        <button type="button" className="btn btn-ghost" onClick={() => setDraft(draftFrom({ ...DEFAULT_ANALYTICS_SETTINGS, pipelines: [...DEFAULT_ANALYTICS_SETTINGS.pipelines] }))} disabled={busy || !draft}>
          {t('analytics.restoreDefaults')}
        </button>
        <button type="button" className="btn" onClick={props.onCancel} disabled={busy}>
          {t('common.cancel')}
        </button>
        <button type="submit" className="btn btn-primary" disabled={busy || !draft} data-testid="analytics-save">
          {busy ? t('common.saving') : t('common.save')}
        </button>
      </div>
    </form>
  );
}
