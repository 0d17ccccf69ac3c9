import { useState } from 'react';
import type { WallLayout } from '../../../../contracts/media.ts';
import { ErrorBanner } from '../components/error-banner.tsx';
import { Icon } from '../components/icon.tsx';
import { useI18n } from '../i18n/i18n.tsx';

/**
 * The user's saved wall layouts (stored on the server per user): load one, delete one, or save the
 * wall as it is under a name (an existing name is replaced).
 */
export function LayoutsPanel(props: {
  layouts: readonly WallLayout[] | null;
  error: unknown;
  current: string | null;
  onLoad(layout: WallLayout): void;
  onSave(name: string): Promise<void>;
  onDelete(name: string): Promise<void>;
  onReload(): void;
}) {
  const { t, formatDateTime } = useI18n();
  const [name, setName] = useState(props.current ?? '');
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<unknown>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const trimmed = name.trim();
  const replaces = props.layouts?.some((l) => l.name === trimmed) ?? false;

  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setActionError(null);
    try {
      await action();
    } catch (error) {
      setActionError(error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="menu-panel layouts-panel" data-testid="layouts-panel">
      <div className="menu-title">{t('wall.layouts.title')}</div>
      {props.error !== null && <ErrorBanner error={props.error} onRetry={props.onReload} />}
      {props.layouts === null && props.error === null && <div className="menu-empty">{t('common.loading')}</div>}
      {props.layouts !== null && props.layouts.length === 0 && <div className="menu-empty">{t('wall.layouts.none')}</div>}
      {props.layouts !== null && props.layouts.length > 0 && (
        <ul className="layout-list">
          {props.layouts.map((layout) => {
            const cameras = layout.tiles.filter(Boolean).length;
            return (
              <li key={layout.name} className={layout.name === props.current ? 'layout-item current' : 'layout-item'} data-testid="layout-item" data-layout-name={layout.name}>
                <button type="button" className="layout-load" onClick={() => props.onLoad(layout)} disabled={busy} data-action="load" title={t('wall.layouts.load')}>
                  <GridGlyph grid={layout.grid} />
                  <span className="layout-name">{layout.name}</span>
                  <span className="layout-meta">
                    {t('wall.layouts.meta', { grid: layout.grid, cameras })}
                    {layout.tour ? ` · ${t('wall.layouts.withTour')}` : ''}
                  </span>
                  <span className="layout-time mono">{formatDateTime(layout.updatedAt)}</span>
                </button>
                {confirming === layout.name ? (
                  <span className="layout-confirm">
                    <button
                      type="button"
                      className="btn btn-small btn-danger"
                      disabled={busy}
                      data-action="confirm-delete"
                      onClick={() =>
                        void run(async () => {
                          await props.onDelete(layout.name);
                          setConfirming(null);
                        })
                      }
                    >
                      {t('common.remove')}
                    </button>
                    <button type="button" className="btn btn-small" onClick={() => setConfirming(null)}>
                      {t('common.cancel')}
                    </button>
                  </span>
                ) : (
                  <button type="button" className="icon-btn icon-btn-small" title={t('wall.layouts.delete')} aria-label={t('wall.layouts.delete')} data-action="delete" onClick={() => setConfirming(layout.name)}>
                    <Icon name="trash" />
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}
      <form
        className="layout-save"
        onSubmit={(event) => {
          event.preventDefault();
          if (!trimmed) return;
          void run(() => props.onSave(trimmed));
        }}
      >
        <label className="field">
          <span className="field-label">{t('wall.layouts.saveAs')}</span>
          <span className="layout-save-row">
            <input type="text" value={name} maxLength={64} placeholder={t('wall.layouts.namePlaceholder')} onChange={(e) => setName(e.target.value)} data-testid="layout-name" />
            <button type="submit" className="btn btn-primary" disabled={busy || !trimmed} data-testid="layout-save">
              <Icon name="save" />
              <span>{replaces ? t('wall.layouts.replace') : t('common.save')}</span>
            </button>
          </span>
        </label>
      </form>
      {actionError !== null && <ErrorBanner error={actionError} />}
    </div>
  );
}

/** A small picture of an N-tile grid. */
export function GridGlyph({ grid }: { grid: number }) {
  const side = Math.round(Math.sqrt(grid));
  const cell = 14 / side;
  const lines: string[] = [];
  for (let i = 1; i < side; i++) {
    const p = 1 + i * cell;
    lines.push(`M${p.toFixed(2)} 1v14M1 ${p.toFixed(2)}h14`);
  }
  return (
    <svg className="icon grid-glyph" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">
      <rect x="1" y="1" width="14" height="14" fill="none" stroke="currentColor" strokeWidth="1.3" />
      {lines.length > 0 && <path d={lines.join('')} fill="none" stroke="currentColor" strokeWidth={side > 4 ? 0.7 : 1} />}
    </svg>
  );
}
