import type { Permission } from '../../../../contracts/roles.ts';
import type { MessageKey } from '../i18n/messages.ts';

/** Every screen of the application, the permission it needs and where it sits in the navigation. */
export const SCREEN_IDS = ['overview', 'wall', 'playback', 'alerts', 'map', 'sightings', 'search', 'incidents', 'checkpoint', 'patrol', 'exports', 'watchlists', 'plans', 'cameras', 'users', 'audit'] as const;
export type ScreenId = (typeof SCREEN_IDS)[number];

/** Screens of later releases: shown as a description of what they will do (none left today). */
export type PlannedScreenId = never;

export interface ScreenDefinition {
  id: ScreenId;
  /** First path segment: `#/<path>`. */
  path: string;
  label: MessageKey;
  permission: Permission;
  group: 'operations' | 'admin';
  icon: IconName;
}

export type IconName = 'overview' | 'wall' | 'playback' | 'alerts' | 'map' | 'sightings' | 'search' | 'incidents' | 'checkpoint' | 'patrol' | 'exports' | 'watchlists' | 'plans' | 'cameras' | 'users' | 'audit';

export const SCREENS: readonly ScreenDefinition[] = [
  { id: 'overview', path: 'overview', label: 'nav.overview', permission: 'cameras.view', group: 'operations', icon: 'overview' },
  { id: 'wall', path: 'wall', label: 'nav.wall', permission: 'cameras.view', group: 'operations', icon: 'wall' },
  { id: 'playback', path: 'playback', label: 'nav.playback', permission: 'cameras.view', group: 'operations', icon: 'playback' },
  { id: 'alerts', path: 'alerts', label: 'nav.alerts', permission: 'alerts.view', group: 'operations', icon: 'alerts' },
  { id: 'map', path: 'map', label: 'nav.map', permission: 'cameras.view', group: 'operations', icon: 'map' },
  { id: 'sightings', path: 'sightings', label: 'nav.sightings', permission: 'sightings.search', group: 'operations', icon: 'sightings' },
  { id: 'search', path: 'search', label: 'nav.search', permission: 'sightings.search', group: 'operations', icon: 'search' },
  { id: 'incidents', path: 'incidents', label: 'nav.incidents', permission: 'incidents.view', group: 'operations', icon: 'incidents' },
  { id: 'checkpoint', path: 'checkpoint', label: 'nav.checkpoint', permission: 'alerts.act', group: 'operations', icon: 'checkpoint' },
  { id: 'patrol', path: 'patrol', label: 'nav.patrol', permission: 'incidents.view', group: 'operations', icon: 'patrol' },
  { id: 'exports', path: 'exports', label: 'nav.exports', permission: 'exports.create', group: 'operations', icon: 'exports' },
  { id: 'watchlists', path: 'watchlists', label: 'nav.watchlists', permission: 'watchlists.manage', group: 'admin', icon: 'watchlists' },
  { id: 'plans', path: 'plans', label: 'nav.plans', permission: 'plans.manage', group: 'admin', icon: 'plans' },
  { id: 'cameras', path: 'cameras', label: 'nav.cameras', permission: 'cameras.manage', group: 'admin', icon: 'cameras' },
  { id: 'users', path: 'users', label: 'nav.users', permission: 'users.manage', group: 'admin', icon: 'users' },
  { id: 'audit', path: 'audit', label: 'nav.audit', permission: 'audit.view', group: 'admin', icon: 'audit' },
];

export const DEFAULT_SCREEN: ScreenId = 'overview';

export function screenForPath(path: string | undefined): ScreenDefinition | undefined {
  return SCREENS.find((s) => s.path === (path ?? DEFAULT_SCREEN));
}
