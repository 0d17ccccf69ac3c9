import { useCallback, useEffect, useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';
import type { Camera } from '../../../../contracts/api.ts';
import type { PtzCommand, PtzPreset } from '../../../../contracts/media.ts';
import { describeError } from '../components/error-banner.tsx';
import { Icon, type AnyIconName } from '../components/icon.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import type { MessageKey } from '../i18n/messages.ts';

/**
 * Pan / tilt / zoom for a camera with `ptz: true`: press and hold a direction (or zoom) to move,
 * release to stop; presets to go to, and the current position saved as a new preset.
 *
 *   POST /api/cameras/:id/ptz  {action:'move',x,y,zoom} on press, {action:'stop'} on release
 *   GET  /api/cameras/:id/ptz/presets
 */
export interface PtzApi {
  ptz(cameraId: string, command: PtzCommand): Promise<{ token?: string } | undefined>;
  ptzPresets(cameraId: string): Promise<PtzPreset[]>;
}

interface Move {
  id: string;
  x: number;
  y: number;
  zoom: number;
  icon: AnyIconName;
  label: MessageKey;
  rotate?: number;
}

/** The 3 × 3 pad, row by row; the centre is empty. */
const PAD: ReadonlyArray<Move | null> = [
  { id: 'up-left', x: -1, y: 1, zoom: 0, icon: 'chevron-up', rotate: -45, label: 'ptz.upLeft' },
  { id: 'up', x: 0, y: 1, zoom: 0, icon: 'chevron-up', label: 'ptz.up' },
  { id: 'up-right', x: 1, y: 1, zoom: 0, icon: 'chevron-up', rotate: 45, label: 'ptz.upRight' },
  { id: 'left', x: -1, y: 0, zoom: 0, icon: 'chevron-left', label: 'ptz.left' },
  null,
  { id: 'right', x: 1, y: 0, zoom: 0, icon: 'chevron-right', label: 'ptz.right' },
  { id: 'down-left', x: -1, y: -1, zoom: 0, icon: 'chevron-down', rotate: 45, label: 'ptz.downLeft' },
  { id: 'down', x: 0, y: -1, zoom: 0, icon: 'chevron-down', label: 'ptz.down' },
  { id: 'down-right', x: 1, y: -1, zoom: 0, icon: 'chevron-down', rotate: -45, label: 'ptz.downRight' },
];
const ZOOM: readonly Move[] = [
  { id: 'zoom-out', x: 0, y: 0, zoom: -1, icon: 'zoom-out', label: 'ptz.zoomOut' },
  { id: 'zoom-in', x: 0, y: 0, zoom: 1, icon: 'zoom-in', label: 'ptz.zoomIn' },
];

export function PtzPad({ camera, api, onClose }: { camera: Camera; api: PtzApi; onClose(): void }) {
  const { t } = useI18n();
  const [speed, setSpeed] = useState(0.5);
  const [error, setError] = useState<unknown>(null);
  const [presets, setPresets] = useState<PtzPreset[] | null>(null);
  const [presetsError, setPresetsError] = useState<unknown>(null);
  const [presetName, setPresetName] = useState('');
  const [busy, setBusy] = useState(false);
  const [active, setActive] = useState<string | null>(null);
  const moving = useRef(false);
  const cameraId = camera.id;

  const send = useCallback(
    async (command: PtzCommand): Promise<boolean> => {
      try {
        await api.ptz(cameraId, command);
        setError(null);
        return true;
      } catch (err) {
        setError(err);
        return false;
      }
    },
    [api, cameraId],
  );

  const loadPresets = useCallback(() => {
    let cancelled = false;
    setPresetsError(null);
    api.ptzPresets(cameraId).then(
      (list) => !cancelled && setPresets(list),
      (err: unknown) => {
        if (cancelled) return;
        setPresets([]);
        setPresetsError(err);
      },
    );
    return () => {
      cancelled = true;
    };
  }, [api, cameraId]);

  useEffect(() => loadPresets(), [loadPresets]);

  const begin = (move: Move) => {
    moving.current = true;
    setActive(move.id);
    void send({ action: 'move', x: move.x * speed, y: move.y * speed, zoom: move.zoom * speed });
  };
  const end = () => {
    if (!moving.current) return;
    moving.current = false;
    setActive(null);
    void send({ action: 'stop' });
  };
  // A move must not outlive the pad (camera changed, panel closed).
  useEffect(
    () => () => {
      if (moving.current) void api.ptz(cameraId, { action: 'stop' }).catch(() => undefined);
      moving.current = false;
    },
    [api, cameraId],
  );

  const holdProps = (move: Move) => ({
    onPointerDown: (event: PointerEvent<HTMLButtonElement>) => {
      if (event.button !== 0) return;
      event.preventDefault();
      begin(move);
    },
    onPointerUp: end,
    onPointerLeave: end,
    onPointerCancel: end,
    onBlur: end,
    onKeyDown: (event: KeyboardEvent<HTMLButtonElement>) => {
      if ((event.key === 'Enter' || event.key === ' ') && !event.repeat) {
        event.preventDefault();
        begin(move);
      }
    },
    onKeyUp: (event: KeyboardEvent<HTMLButtonElement>) => {
      if (event.key === 'Enter' || event.key === ' ') end();
    },
    onContextMenu: (event: { preventDefault(): void }) => event.preventDefault(),
  });

  const savePreset = async () => {
    const name = presetName.trim();
    if (!name) return;
    setBusy(true);
    const saved = await send({ action: 'set', name });
    setBusy(false);
    if (saved) {
      setPresetName('');
      loadPresets();
    }
  };

  return (
    <section className="ptz" data-testid="ptz-pad" data-camera-id={camera.id} aria-label={t('ptz.title')}>
      <header className="side-head">
        <Icon name="ptz" />
        <span className="side-title" title={camera.name}>
          {t('ptz.title')} · {camera.name}
        </span>
        <button type="button" className="icon-btn icon-btn-small" onClick={onClose} title={t('common.close')} aria-label={t('common.close')}>
          <Icon name="close" />
        </button>
      </header>
      <div className="ptz-body">
        <div className="ptz-controls">
          <div className="ptz-pad" role="group" aria-label={t('ptz.directions')}>
            {PAD.map((move, i) =>
              move ? (
                <button
                  key={move.id}
                  type="button"
                  className={active === move.id ? 'ptz-btn active' : 'ptz-btn'}
                  title={t(move.label)}
                  aria-label={t(move.label)}
                  data-testid={`ptz-${move.id}`}
                  {...holdProps(move)}
                >
                  <span className="ptz-glyph" style={move.rotate ? { transform: `rotate(${move.rotate}deg)` } : undefined}>
                    <Icon name={move.icon} />
                  </span>
                </button>
              ) : (
                <span key={`centre-${i}`} className="ptz-centre" aria-hidden="true">
                  <Icon name="ptz" />
                </span>
              ),
            )}
          </div>
          <div className="ptz-side">
            <div className="ptz-zoom" role="group" aria-label={t('ptz.zoom')}>
              {ZOOM.map((move) => (
                <button
                  key={move.id}
                  type="button"
                  className={active === move.id ? 'ptz-btn active' : 'ptz-btn'}
                  title={t(move.label)}
                  aria-label={t(move.label)}
                  data-testid={`ptz-${move.id}`}
                  {...holdProps(move)}
                >
                  <Icon name={move.icon} />
                </button>
              ))}
            </div>
            <label className="ptz-speed">
              <span>{t('ptz.speed')}</span>
              <input type="range" min={0.1} max={1} step={0.1} value={speed} onChange={(e) => setSpeed(Number(e.target.value))} />
              <span className="mono">{Math.round(speed * 100)}%</span>
            </label>
          </div>
        </div>
        {error !== null && <PtzError error={error} />}
        <div className="ptz-presets">
          <div className="side-subtitle">{t('ptz.presets')}</div>
          {presets === null ? (
            <div className="muted small">{t('common.loading')}</div>
          ) : presets.length === 0 ? (
            <div className="muted small">{presetsError ? <PtzError error={presetsError} /> : t('ptz.noPresets')}</div>
          ) : (
            <ul className="preset-list" data-testid="ptz-presets">
              {presets.map((preset) => (
                <li key={preset.token}>
                  <button type="button" className="preset" onClick={() => void send({ action: 'goto', preset: preset.token })} data-preset-token={preset.token} title={t('ptz.goto')}>
                    <Icon name="play" />
                    <span>{preset.name || preset.token}</span>
                  </button>
                </li>
              ))}
            </ul>
          )}
          <form
            className="preset-save"
            onSubmit={(event) => {
              event.preventDefault();
              void savePreset();
            }}
          >
            <input type="text" value={presetName} maxLength={64} placeholder={t('ptz.presetName')} aria-label={t('ptz.presetName')} onChange={(e) => setPresetName(e.target.value)} data-testid="ptz-preset-name" />
            <button type="submit" className="btn btn-small" disabled={busy || presetName.trim() === ''} data-testid="ptz-preset-save">
              {t('ptz.saveCurrent')}
            </button>
          </form>
        </div>
      </div>
    </section>
  );
}

function PtzError({ error }: { error: unknown }) {
  const { t } = useI18n();
  const { title, message } = describeError(error, t);
  return (
    <div className="ptz-error" role="alert">
      <strong>{title}</strong> {message}
    </div>
  );
}
