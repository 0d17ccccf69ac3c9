import { useEffect, useState, type ReactNode } from 'react';
import { hasPermission } from '../../../../contracts/roles.ts';
import { Icon } from '../components/icon.tsx';
import { formatLocalDateTime, useI18n } from '../i18n/i18n.tsx';
import { Brand } from '../screens/login.screen.tsx';
import { useLive } from '../state/live.tsx';
import { useSession, useSignedIn } from '../state/session.tsx';
import { hrefFor, navigate } from './hash-route.ts';
import { LanguageSwitch } from './language-switch.tsx';
import { SCREENS, type ScreenDefinition, type ScreenId } from './screens.ts';

/** Header, navigation (only the screens the user's roles permit) and the current screen. */
export function Shell({ current, children }: { current: ScreenId | null; children: ReactNode }) {
  const { t } = useI18n();
  const { user } = useSignedIn();
  const permitted = SCREENS.filter((s) => hasPermission(user.roles, s.permission));
  const operations = permitted.filter((s) => s.group === 'operations');
  const admin = permitted.filter((s) => s.group === 'admin');

  return (
    <div className="shell">
      <Header />
      <nav className="sidebar" aria-label={t('nav.main')} data-testid="main-nav">
        <NavList screens={operations} current={current} />
        {admin.length > 0 && (
          <div className="nav-group">
            <div className="nav-group-title">{t('nav.admin')}</div>
            <NavList screens={admin} current={current} />
          </div>
        )}
      </nav>
      <main className="content" id="content">
        {children}
      </main>
    </div>
  );
}

function NavList({ screens, current }: { screens: readonly ScreenDefinition[]; current: ScreenId | null }) {
  const { t } = useI18n();
  return (
    <ul className="nav-list">
      {screens.map((s) => (
        <li key={s.id}>
          <a href={hrefFor(s.path)} className={s.id === current ? 'nav-link active' : 'nav-link'} aria-current={s.id === current ? 'page' : undefined} data-screen={s.id}>
            <Icon name={s.icon} />
            <span>{t(s.label)}</span>
          </a>
        </li>
      ))}
    </ul>
  );
}

function Header() {
  const { t } = useI18n();
  const { user } = useSignedIn();
  const { logout } = useSession();
  const { connected } = useLive();
  return (
    <header className="header">
      <a href={hrefFor('overview')} className="header-brand">
        <Brand />
      </a>
      <div className="header-spacer" />
      <span className={connected ? 'live live-on' : 'live live-off'} title={connected ? t('header.liveTitle') : t('header.offlineTitle')} data-testid="live-indicator" data-connected={connected}>
        <span className="dot" aria-hidden="true" />
        {connected ? t('header.live') : t('header.offline')}
      </span>
      <Clock />
      <LanguageSwitch />
      <div className="header-user" title={t('header.user', { name: user.username })} data-testid="current-user">
        <span className="header-user-name">{user.displayName || user.username}</span>
        <span className="header-user-roles">
          {user.roles.map((r) => (
            <span key={r} className="role-tag" data-role={r}>
              {t(`role.${r}`)}
            </span>
          ))}
        </span>
      </div>
      <button type="button" className="btn btn-ghost btn-small" onClick={() => void logout().then(() => navigate('overview'))} data-testid="logout">
        <Icon name="logout" />
        <span>{t('header.logout')}</span>
      </button>
    </header>
  );
}

function Clock() {
  const { t, locale } = useI18n();
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(new Date()), 1000);
    return () => window.clearInterval(timer);
  }, []);
  const [day, time] = formatLocalDateTime(now).split(' ');
  const weekday = new Intl.DateTimeFormat(locale, { weekday: 'short' }).format(now);
  return (
    <time className="clock" dateTime={now.toISOString()} title={t('header.clock')}>
      <span className="clock-date">
        {day} {weekday}
      </span>
      <span className="clock-time">{time}</span>
    </time>
  );
}
