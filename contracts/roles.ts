import { z } from 'zod';

/** Every role a user can hold. A user holds one or more. */
export const ROLES = ['admin', 'commander', 'dispatcher', 'analyst', 'checkpoint', 'patrol'] as const;
export const roleSchema = z.enum(ROLES);
export type Role = z.infer<typeof roleSchema>;

/** Process roles of `argus serve --roles ...`. */
export const PROCESS_ROLES = ['api', 'ingest', 'analytics', 'worker'] as const;
export const processRoleSchema = z.enum(PROCESS_ROLES);
export type ProcessRole = z.infer<typeof processRoleSchema>;

/**
 * What each user role may do. Routes and socket rooms ask for a permission, never a role name,
 * so the mapping lives in this one table.
 */
export const PERMISSIONS = {
  'cameras.view': ['admin', 'commander', 'dispatcher', 'analyst', 'checkpoint', 'patrol'],
  'cameras.manage': ['admin'],
  'cameras.control': ['admin', 'commander', 'dispatcher'],
  'users.manage': ['admin'],
  'audit.view': ['admin'],
  'alerts.view': ['admin', 'commander', 'dispatcher', 'analyst', 'checkpoint', 'patrol'],
  'alerts.act': ['admin', 'commander', 'dispatcher', 'checkpoint'],
  'watchlists.manage': ['admin', 'commander'],
  'sightings.search': ['admin', 'commander', 'analyst'],
  'incidents.view': ['admin', 'commander', 'dispatcher', 'patrol'],
  'incidents.manage': ['admin', 'commander', 'dispatcher'],
  /** Create, edit and retire units; feed positions in bulk (an AVL/GPS gateway). */
  'units.manage': ['admin', 'dispatcher'],
  /** Report for one's own unit from its tablet (position, status, accept a dispatch, SOS); the user must be linked to the unit. */
  'units.report': ['admin', 'commander', 'dispatcher', 'patrol'],
  /** Emergency plans (预案): create and edit the templates. */
  'plans.manage': ['admin'],
  'system.view': ['admin', 'commander'],
  /** Evidence export: build signed packages of recordings, sightings, alerts and audit entries, and download one's own. */
  'exports.create': ['admin', 'commander', 'analyst'],
} as const satisfies Record<string, readonly Role[]>;
export type Permission = keyof typeof PERMISSIONS;

export function hasPermission(roles: readonly Role[], permission: Permission): boolean {
  const allowed: readonly Role[] = PERMISSIONS[permission];
  return roles.some((r) => allowed.includes(r));
}
