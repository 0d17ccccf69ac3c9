import { useState, type MouseEvent } from 'react';
import { MAX_MASK_POINTS, MAX_PRIVACY_MASKS, type PrivacyMask } from '../../../../contracts/api.ts';
import { useI18n } from '../i18n/i18n.tsx';
import '../styles/sightings.css';

type Point = [number, number];

const round3 = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * 1000) / 1000;
const pathOf = (points: readonly Point[], closed: boolean) =>
  points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${x} ${y}`).join(' ') + (closed && points.length >= 3 ? ' Z' : '');

/** A camera's current picture behind a region editor's drawing: see useCameraSnapshot. */
export interface CameraSnapshotView {
  /** The image address; null when there is no camera yet (a new camera has no picture). */
  src: string | null;
  state: 'loading' | 'loaded' | 'failed';
  refresh(): void;
  onLoad(): void;
  onError(): void;
}

/**
 * The state of a camera's snapshot (GET /api/cameras/:id/snapshot, authenticated by the session
 * cookie). `urlFor` makes the address for a time stamp, so that "Refresh picture" asks again;
 * absent for a camera not created yet.
 */
export function useCameraSnapshot(urlFor: ((t: number) => string) | undefined): CameraSnapshotView {
  const [stamp, setStamp] = useState(() => Date.now());
  const [state, setState] = useState<CameraSnapshotView['state']>('loading');
  return {
    src: urlFor ? urlFor(stamp) : null,
    state,
    refresh: () => {
      setState('loading');
      setStamp(Date.now());
    },
    onLoad: () => setState('loaded'),
    onError: () => setState('failed'),
  };
}

/** The picture, under the drawing: put it first inside `.roi-editor`. */
export function CameraSnapshotImage(props: { view: CameraSnapshotView }) {
  const { t } = useI18n();
  const { view } = props;
  if (!view.src) return null;
  return (
    <img
      key={view.src}
      src={view.src}
      alt={t('cameras.snapshot.alt')}
      className="roi-snapshot"
      draggable={false}
      onLoad={view.onLoad}
      onError={view.onError}
      data-state={view.state}
      data-testid="snapshot"
    />
  );
}

/** "Refresh picture", and the line that says when there is none. */
export function CameraSnapshotTools(props: { view: CameraSnapshotView }) {
  const { t } = useI18n();
  const { view } = props;
  if (!view.src) return null;
  return (
    <div className="roi-tools">
      <button type="button" className="btn btn-small" onClick={view.refresh} disabled={view.state === 'loading'} data-testid="snapshot-refresh">
        {t('cameras.snapshot.refresh')}
      </button>
      {view.state === 'failed' && (
        <span className="muted" role="status" data-testid="snapshot-failed">
          {t('cameras.snapshot.failed')}
        </span>
      )}
    </div>
  );
}

/**
 * A camera's privacy masks: areas drawn by clicking their corners on a 16:9 frame (as the analytics
 * region editor does); a double-click or "Close area" finishes an area. Closed areas are listed with
 * a remove button. `onChange` gets the closed areas only; `onDrawing` tells whether an area is half
 * drawn (the form does not save one silently). With `snapshotUrl` (a camera that exists) the
 * camera's current picture is shown behind the drawing.
 */
export function PrivacyMaskEditor(props: {
  masks: readonly PrivacyMask[];
  onChange(masks: PrivacyMask[]): void;
  onDrawing?(drawing: boolean): void;
  error?: string;
  snapshotUrl?: (t: number) => string;
}) {
  const { t } = useI18n();
  const { masks } = props;
  const snapshot = useCameraSnapshot(props.snapshotUrl);
  const [drawing, setDrawingState] = useState<Point[]>([]);
  const full = masks.length >= MAX_PRIVACY_MASKS;

  const setDrawing = (points: Point[]) => {
    setDrawingState(points);
    props.onDrawing?.(points.length > 0);
  };

  const closeArea = (points: Point[] = drawing) => {
    if (points.length < 3 || full) return;
    props.onChange([...masks, points]);
    setDrawing([]);
  };

  const onClick = (event: MouseEvent<HTMLDivElement>) => {
    // The second click of a double-click: the double-click closes the area instead.
    if (event.detail >= 2 || full || drawing.length >= MAX_MASK_POINTS) return;
    const box = event.currentTarget.getBoundingClientRect();
    setDrawing([...drawing, [round3((event.clientX - box.left) / box.width), round3((event.clientY - box.top) / box.height)]]);
  };

  return (
    <fieldset className={props.error ? 'fieldset field-invalid' : 'fieldset'} data-field="privacyMasks" data-testid="mask-editor">
      <legend>{t('cameras.mask.title')}</legend>
      <div
        className="roi-editor"
        onClick={onClick}
        onDoubleClick={() => closeArea()}
        role="button"
        tabIndex={-1}
        aria-label={t('cameras.mask.hint')}
        data-testid="mask-canvas"
      >
        <CameraSnapshotImage view={snapshot} />
        <svg viewBox="0 0 1 1" preserveAspectRatio="none" aria-hidden="true">
          {masks.map((m, i) => (
            <path key={i} d={pathOf(m, true)} fill="rgba(0, 0, 0, 0.85)" stroke="var(--danger, #e5484d)" strokeWidth={0.004} data-testid="mask-shape" />
          ))}
          {drawing.length > 0 && <path d={pathOf(drawing, false)} className="roi-shape" />}
        </svg>
        <svg aria-hidden="true">
          {drawing.map(([x, y], i) => (
            <circle key={i} cx={`${x * 100}%`} cy={`${y * 100}%`} r={4} className="roi-point" />
          ))}
        </svg>
        {masks.length === 0 && drawing.length === 0 && <div className="roi-whole">{t('cameras.mask.none')}</div>}
      </div>
      <CameraSnapshotTools view={snapshot} />
      <div className="roi-tools">
        {drawing.length > 0 && <span className="muted">{t('cameras.mask.drawing', { count: drawing.length })}</span>}
        <button type="button" className="btn btn-small" disabled={drawing.length < 3 || full} onClick={() => closeArea()} data-testid="mask-close">
          {t('cameras.mask.close')}
        </button>
        <button type="button" className="btn btn-small" disabled={drawing.length === 0} onClick={() => setDrawing(drawing.slice(0, -1))}>
          {t('cameras.mask.undo')}
        </button>
        <button type="button" className="btn btn-small" disabled={drawing.length === 0} onClick={() => setDrawing([])}>
          {t('cameras.mask.cancel')}
        </button>
      </div>
      {masks.length > 0 && (
        <ul className="mask-list" style={{ listStyle: 'none', margin: 0, padding: 0, display: 'grid', gap: 4 }} data-testid="mask-list">
          {masks.map((m, i) => (
            <li key={i} className="roi-tools">
              <span>{t('cameras.mask.item', { n: i + 1, count: m.length })}</span>
              <button type="button" className="btn btn-small" onClick={() => props.onChange(masks.filter((_, j) => j !== i))} aria-label={t('cameras.mask.remove', { n: i + 1 })}>
                {t('common.remove')}
              </button>
            </li>
          ))}
        </ul>
      )}
      {full && <div className="field-hint">{t('cameras.mask.limit', { max: MAX_PRIVACY_MASKS })}</div>}
      <div className="field-hint">{t('cameras.mask.hint')}</div>
      {masks.length > 0 && <div className="field-hint">{t('cameras.mask.cost')}</div>}
      {props.error && <div className="field-error">{props.error}</div>}
    </fieldset>
  );
}
