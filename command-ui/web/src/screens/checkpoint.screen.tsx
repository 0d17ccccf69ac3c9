import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Site } from '../../../../contracts/api.ts';
import { countByLevel, currentAlert } from '../alerts/alert-list.ts';
import { AlertSound } from '../alerts/alert-sound.ts';
import { ALERT_LEVELS, type Alert } from '../alerts/alert-types.ts';
import { AlertCard, LevelChip, StatusBadge, listedText } from '../alerts/alert-view.tsx';
import { useAlertStream } from '../alerts/use-alert-stream.ts';
import { ErrorBanner } from '../components/error-banner.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { useLive } from '../state/live.tsx';
import { useSignedIn } from '../state/session.tsx';
import '../styles/alerts.css';
import { useLevelText } from '../state/display-settings.tsx';

/**
 * Checkpoint terminal (卡口预警终端): the screen of the inspection station behind a checkpoint. It
 * joins the `site:<id>` room of the chosen checkpoint (remembered on this device), shows the
 * current alert big with its evidence, level colour and sound, and the buttons of the stop:
 * acknowledge → start inspection → record the outcome. The highest alert `seq` seen is kept on the
 * device; every (re)connection replays what came after it, so nothing is lost across a drop.
 */
export const TERMINAL_SITE_KEY = 'argus.terminal.site';
const seqKeyFor = (siteId: string) => `argus.terminal.seq.${siteId}`;

export interface ArgusTerminalHook {
  /** Ids of the alerts listed on the terminal, newest first. */
  alertIds(): string[];
  /** Levels sounded so far, in order. */
  sounds(): string[];
  /** When each alert new to this page was first drawn (epoch ms, after the frame that shows it): for the camera-to-terminal benchmark. */
  drawnAt(): Record<string, number>;
  /** Cut the live link (as a network drop would) and restore it. */
  disconnect(): void;
  connect(): void;
}

declare global {
  interface Window {
    __argusTerminal?: ArgusTerminalHook;
  }
}

function storedSite(): string {
  try {
    return window.localStorage.getItem(TERMINAL_SITE_KEY) ?? '';
  } catch {
    return '';
  }
}

export function CheckpointScreen() {
  const { t, formatDateTime } = useI18n();
  const levels = useLevelText();
  const { api } = useSignedIn();
  const { socket, connected } = useLive();
  const [sites, setSites] = useState<Site[] | null>(null);
  const [sitesError, setSitesError] = useState<unknown>(null);
  const [siteId, setSiteId] = useState(storedSite);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [muted, setMuted] = useState(false);
  const soundRef = useRef<AlertSound | null>(null);
  soundRef.current ??= new AlertSound();
  const sound = soundRef.current;
  const drawnRef = useRef<Record<string, number>>({});

  useEffect(() => () => sound.dispose(), [sound]);
  useEffect(() => {
    sound.muted = muted;
    if (muted) sound.stop();
  }, [muted, sound]);

  useEffect(() => {
    api.listSites().then(
      (reply) => setSites(reply.items.filter((s) => s.kind === 'checkpoint' || s.kind === 'virtual_checkpoint')),
      (caught: unknown) => setSitesError(caught),
    );
  }, [api]);

  const chooseSite = (id: string) => {
    setSiteId(id);
    setSelectedId(null);
    sound.stop();
    try {
      if (id) window.localStorage.setItem(TERMINAL_SITE_KEY, id);
      else window.localStorage.removeItem(TERMINAL_SITE_KEY);
    } catch {
      // not remembered on this device
    }
  };

  const query = useMemo(() => ({ siteId: siteId || undefined, limit: 50 }), [siteId]);
  const accept = useCallback((a: Alert) => a.siteId === siteId, [siteId]);
  const onNew = useCallback(
    (a: Alert) => {
      if (!(a.id in drawnRef.current)) requestAnimationFrame(() => setTimeout(() => (drawnRef.current[a.id] ??= Date.now()), 0));
      if (a.status !== 'new') return;
      sound.announce(a.id, a.level);
      setSelectedId(null);
    },
    [sound],
  );
  const stream = useAlertStream({ query, accept, room: siteId ? `site:${siteId}` : undefined, seqKey: siteId ? seqKeyFor(siteId) : undefined, onNew, enabled: Boolean(siteId) });
  const { alerts } = stream;

  // The repeating red tone ends when its alert is acknowledged (here or on another screen).
  useEffect(() => {
    const repeating = sound.repeatingAlert;
    if (!repeating) return;
    const alert = alerts.find((a) => a.id === repeating);
    if (!alert || alert.status !== 'new') sound.stop(repeating);
  }, [alerts, sound]);

  useEffect(() => {
    const hook: ArgusTerminalHook = {
      alertIds: () => [...document.querySelectorAll('[data-testid=terminal-recent] [data-alert-id]')].map((e) => e.getAttribute('data-alert-id') ?? ''),
      sounds: () => sound.played.map((p) => p.level),
      drawnAt: () => ({ ...drawnRef.current }),
      disconnect: () => socket?.disconnect(),
      connect: () => socket?.connect(),
    };
    window.__argusTerminal = hook;
    return () => {
      if (window.__argusTerminal === hook) delete window.__argusTerminal;
    };
  }, [socket, sound]);

  const shown = (selectedId ? alerts.find((a) => a.id === selectedId) : undefined) ?? currentAlert(alerts);
  const counts = countByLevel(alerts.filter((a) => a.status !== 'resolved'));
  const site = sites?.find((s) => s.id === siteId);

  return (
    <section className="screen terminal-screen" data-testid="terminal-screen" data-site-id={siteId} onPointerDown={() => sound.unlock()}>
      <header className="screen-header terminal-header">
        <h1 className="screen-title">{t('terminal.title')}</h1>
        <label className="terminal-site">
          <span className="muted">{t('terminal.site')}</span>
          <select name="site" value={siteId} onChange={(e) => chooseSite(e.target.value)} data-testid="terminal-site">
            <option value="">{t('terminal.chooseSite')}</option>
            {(sites ?? []).map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
                {s.code ? ` (${s.code})` : ''}
              </option>
            ))}
          </select>
        </label>
        <span className={connected ? 'live-note live-note-on' : 'live-note'} data-testid="terminal-link" data-connected={connected}>
          <span className="dot" aria-hidden="true" />
          {connected ? t('terminal.linked') : t('terminal.unlinked')}
        </span>
        <div className="level-counts" data-testid="terminal-counts">
          {ALERT_LEVELS.map((l) => (
            <span key={l} className={`level-count level-${l}`} data-level={l} title={levels.name(l)}>
              {counts[l]}
            </span>
          ))}
        </div>
        <button type="button" className={`btn btn-small${muted ? ' btn-danger-ghost' : ''}`} onClick={() => setMuted((m) => !m)} data-testid="terminal-mute" aria-pressed={muted}>
          {muted ? t('terminal.unmute') : t('terminal.mute')}
        </button>
      </header>

      {sitesError !== null && <ErrorBanner error={sitesError} />}
      {stream.error !== null && <ErrorBanner error={stream.error} onRetry={stream.reload} />}

      {!siteId ? (
        <div className="terminal-empty" data-testid="terminal-no-site">
          {sites && sites.length === 0 ? t('terminal.noSites') : t('terminal.pickSite')}
        </div>
      ) : (
        <div className="terminal-body">
          <div className="terminal-current">
            {shown ? (
              <AlertCard key={shown.id} alert={shown} onChanged={stream.upsert} onAction={(a) => a.status !== 'new' && sound.stop(a.id)} />
            ) : (
              <div className="terminal-empty" data-testid="terminal-waiting">
                {stream.loading ? t('common.loading') : t('terminal.waiting', { site: site?.name ?? '' })}
              </div>
            )}
          </div>
          <aside className="terminal-recent" data-testid="terminal-recent" aria-label={t('terminal.recent')}>
            <h2 className="panel-title">{t('terminal.recent')}</h2>
            <ol>
              {alerts.map((a) => (
                <li key={a.id}>
                  <button type="button" className={`recent-alert level-border-${a.level}${shown?.id === a.id ? ' selected' : ''}`} data-alert-id={a.id} data-level={a.level} data-status={a.status} onClick={() => setSelectedId(a.id)}>
                    <LevelChip level={a.level} t={t} />
                    <span className="recent-text mono">{a.sighting.plateText ?? listedText(a)}</span>
                    <StatusBadge alert={a} t={t} />
                    <span className="recent-time mono muted">{formatDateTime(a.createdAt)}</span>
                  </button>
                </li>
              ))}
            </ol>
            {alerts.length === 0 && !stream.loading && <div className="muted terminal-recent-empty">{t('terminal.noRecent')}</div>}
          </aside>
        </div>
      )}
    </section>
  );
}
