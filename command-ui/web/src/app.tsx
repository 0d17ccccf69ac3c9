import { useCallback } from 'react';
import { hasPermission } from '../../../contracts/roles.ts';
import type { ApiClient } from './api/client.ts';
import { ErrorBanner } from './components/error-banner.tsx';
import { I18nProvider, useI18n } from './i18n/i18n.tsx';
import { AlertsScreen } from './screens/alerts.screen.tsx';
import { AuditScreen } from './screens/audit.screen.tsx';
import { CheckpointScreen } from './screens/checkpoint.screen.tsx';
import { ExportsScreen } from './screens/exports.screen.tsx';
import { WatchlistsScreen } from './screens/watchlists.screen.tsx';
import { CamerasScreen } from './screens/cameras.screen.tsx';
import { ChangePasswordScreen } from './screens/change-password.screen.tsx';
import { LoginScreen } from './screens/login.screen.tsx';
import { OverviewScreen } from './screens/overview.screen.tsx';
import { PlaybackScreen } from './screens/playback.screen.tsx';
import { PlansScreen } from './screens/plans.screen.tsx';
import { IncidentsScreen } from './screens/incidents.screen.tsx';
import { MapScreen } from './screens/map.screen.tsx';
import { PatrolScreen } from './screens/patrol.screen.tsx';
import { SearchScreen } from './screens/search.screen.tsx';
import { SightingsScreen } from './screens/sightings.screen.tsx';
import { ForbiddenScreen, NotFoundScreen } from './screens/refusal.screen.tsx';
import { UsersScreen } from './screens/users.screen.tsx';
import { WallScreen } from './screens/wall.screen.tsx';
import { useHashRoute } from './shell/hash-route.ts';
import { screenForPath, type ScreenDefinition } from './shell/screens.ts';
import { Shell } from './shell/shell.tsx';
import { DisplaySettingsProvider } from './state/display-settings.tsx';
import { LiveProvider } from './state/live.tsx';
import { SessionProvider, useSession } from './state/session.tsx';

export function App({ api }: { api: ApiClient }) {
  return (
    <I18nProvider>
      <SessionProvider api={api}>
        <Root />
      </SessionProvider>
    </I18nProvider>
  );
}

/** Sign-in → (forced password change) → the application. */
function Root() {
  const { t } = useI18n();
  const { state, expire, refresh, api } = useSession();
  const verify = useCallback(() => api.me(), [api]);
  switch (state.phase) {
    case 'checking':
      return <div className="splash">{t('app.loading')}</div>;
    case 'unreachable':
      return (
        <div className="splash">
          <ErrorBanner error={state.error} onRetry={() => void refresh()} />
        </div>
      );
    case 'signed-out':
      return <LoginScreen expired={state.expired} />;
    case 'signed-in':
      if (state.user.mustChangePassword) return <ChangePasswordScreen />;
      return (
        <LiveProvider token={state.token} onRefused={expire} verify={verify}>
          <DisplaySettingsProvider>
            <Routes />
          </DisplaySettingsProvider>
        </LiveProvider>
      );
  }
}

function Routes() {
  const segments = useHashRoute();
  const { state } = useSession();
  const [first, second] = segments;
  const screen = screenForPath(first);
  if (state.phase !== 'signed-in') return null;
  if (!screen) {
    return (
      <Shell current={null}>
        <NotFoundScreen path={segments.join('/')} />
      </Shell>
    );
  }
  // Hidden from the navigation is not enough: an address typed by hand is refused too.
  if (!hasPermission(state.user.roles, screen.permission)) {
    return (
      <Shell current={null}>
        <ForbiddenScreen />
      </Shell>
    );
  }
  return (
    <Shell current={screen.id}>
      <ScreenView screen={screen} subPath={second} />
    </Shell>
  );
}

function ScreenView({ screen, subPath }: { screen: ScreenDefinition; subPath: string | undefined }) {
  switch (screen.id) {
    case 'overview':
      return <OverviewScreen />;
    case 'cameras':
      return <CamerasScreen subPath={subPath} />;
    case 'users':
      return <UsersScreen subPath={subPath} />;
    case 'wall':
      return <WallScreen />;
    case 'playback':
      return <PlaybackScreen cameraId={subPath} />;
    case 'sightings':
      return <SightingsScreen />;
    case 'search':
      return <SearchScreen />;
    case 'alerts':
      return <AlertsScreen />;
    case 'checkpoint':
      return <CheckpointScreen />;
    case 'watchlists':
      return <WatchlistsScreen />;
    case 'plans':
      return <PlansScreen />;
    case 'incidents':
      return <IncidentsScreen subPath={subPath} />;
    case 'patrol':
      return <PatrolScreen />;
    case 'exports':
      return <ExportsScreen />;
    case 'map':
      return <MapScreen />;
    case 'audit':
      return <AuditScreen />;
  }
}
