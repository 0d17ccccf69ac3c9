import { describe, expect, it } from 'vitest';
import { CAMERA_SOURCE_KINDS, CAMERA_STATUSES, SITE_KINDS } from '../../../contracts/api.ts';
import { PLATE_COLOURS } from '../../../contracts/analytics.ts';
import { ROLES } from '../../../contracts/roles.ts';
import { SIGHTING_KINDS, SIGHTING_STAGES } from '../../../contracts/sightings.ts';
import { MIGRATION_0001_ENUMS } from '../../../storage/migrations/0001-initial.ts';
import { MIGRATION_0005_ENUMS } from '../../../storage/migrations/0005-analytics.ts';
import { MIGRATION_0006_ENUMS } from '../../../storage/migrations/0006-alerts.ts';
import { MIGRATION_0007_ENUMS } from '../../../storage/migrations/0007-dispatch.ts';
import { MIGRATION_0008_ENUMS } from '../../../storage/migrations/0008-exports.ts';
import { EXPORT_STATUSES } from '../../../contracts/exports.ts';
import {
  ACTIVE_DISPATCH_STATUSES,
  DISPATCH_STATUSES,
  INCIDENT_EVENT_KINDS,
  INCIDENT_OUTCOMES,
  INCIDENT_PRIORITIES,
  INCIDENT_SOURCES,
  INCIDENT_STATUSES,
  UNIT_KINDS,
  UNIT_STATUSES,
} from '../../../contracts/incidents.ts';
import { ALERT_ACTIONS, ALERT_STATUSES, DISPOSITIONS } from '../../../contracts/alerts.ts';
import { ALERT_LEVELS, WATCHLIST_KINDS } from '../../../contracts/watchlists.ts';
import { knownMigrationNames } from '../../../storage/migrator.ts';

/**
 * Check constraints in the migrations copy the enum values of the contracts. When a contract gains a
 * value this fails: write a new migration that widens the check, then update the expectation here.
 */
describe('migration enums match the contracts', () => {
  it.each([
    ['roles', MIGRATION_0001_ENUMS.roles, ROLES],
    ['camera source kinds', MIGRATION_0001_ENUMS.cameraSourceKinds, CAMERA_SOURCE_KINDS],
    ['camera statuses', MIGRATION_0001_ENUMS.cameraStatuses, CAMERA_STATUSES],
    ['site kinds', MIGRATION_0001_ENUMS.siteKinds, SITE_KINDS],
    ['sighting kinds', MIGRATION_0005_ENUMS.sightingKinds, SIGHTING_KINDS],
    ['sighting stages', MIGRATION_0005_ENUMS.sightingStages, SIGHTING_STAGES],
    ['plate colours', MIGRATION_0005_ENUMS.plateColours, PLATE_COLOURS],
    ['alert levels', MIGRATION_0001_ENUMS.watchlistLevels, ALERT_LEVELS],
    ['watchlist kinds', MIGRATION_0001_ENUMS.watchlistKinds, WATCHLIST_KINDS],
    ['alert kinds', MIGRATION_0006_ENUMS.alertKinds, WATCHLIST_KINDS],
    ['alert statuses', MIGRATION_0001_ENUMS.alertStatuses, ALERT_STATUSES],
    ['dispositions', MIGRATION_0006_ENUMS.dispositions, DISPOSITIONS],
    ['alert actions', MIGRATION_0006_ENUMS.alertActions, ALERT_ACTIONS],
    ['incident priorities', MIGRATION_0001_ENUMS.incidentPriorities, INCIDENT_PRIORITIES],
    ['incident statuses', MIGRATION_0007_ENUMS.incidentStatuses, INCIDENT_STATUSES],
    ['incident sources', MIGRATION_0007_ENUMS.incidentSources, INCIDENT_SOURCES],
    ['incident outcomes', MIGRATION_0007_ENUMS.incidentOutcomes, INCIDENT_OUTCOMES],
    ['incident event kinds', MIGRATION_0007_ENUMS.incidentEventKinds, INCIDENT_EVENT_KINDS],
    ['unit kinds', MIGRATION_0007_ENUMS.unitKinds, UNIT_KINDS],
    ['unit statuses', MIGRATION_0007_ENUMS.unitStatuses, UNIT_STATUSES],
    ['dispatch statuses', MIGRATION_0007_ENUMS.dispatchStatuses, DISPATCH_STATUSES],
    ['active dispatch statuses', MIGRATION_0007_ENUMS.activeDispatchStatuses, ACTIVE_DISPATCH_STATUSES],
    ['plan notify roles', MIGRATION_0007_ENUMS.roles, ROLES],
    ['export statuses', MIGRATION_0008_ENUMS.exportStatuses, EXPORT_STATUSES],
  ])('%s', (_name, inMigration, inContracts) => {
    expect([...inMigration].sort()).toEqual([...inContracts].sort());
  });

  it('migration names are ordered, unique and kebab-case with a 4-digit prefix', () => {
    const names = knownMigrationNames();
    expect(names).toEqual([...names].sort());
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^\d{4}-[a-z0-9]+(-[a-z0-9]+)*$/);
  });
});
