import type { Migration, MigrationProvider } from 'kysely';
import { initialMigration } from './0001-initial.ts';
import { faceVectorMigration } from './0002-face-vector.ts';
import { wallLayoutsMigration } from './0003-wall-layouts.ts';
import { cameraStreamsMigration } from './0004-camera-streams.ts';
import { analyticsMigration } from './0005-analytics.ts';
import { alertsMigration } from './0006-alerts.ts';
import { dispatchMigration } from './0007-dispatch.ts';
import { exportsMigration } from './0008-exports.ts';
import { retentionMigration } from './0009-retention.ts';
import { faultRecoveryMigration } from './0010-fault-recovery.ts';
import { deliveryMigration } from './0011-delivery.ts';
import { cameraAccessMigration } from './0012-camera-access.ts';
import { privacyMasksMigration } from './0013-privacy-masks.ts';
import type { MigrationCapabilities } from './capabilities.ts';

export type { MigrationCapabilities } from './capabilities.ts';

/** Every migration, in order. Names are permanent: never rename or edit one that has shipped. */
export const MIGRATIONS: ReadonlyArray<readonly [name: string, factory: (caps: MigrationCapabilities) => Migration]> = [
  ['0001-initial', initialMigration],
  ['0002-face-vector', faceVectorMigration],
  ['0003-wall-layouts', wallLayoutsMigration],
  ['0004-camera-streams', cameraStreamsMigration],
  ['0005-analytics', analyticsMigration],
  ['0006-alerts', alertsMigration],
  ['0007-dispatch', dispatchMigration],
  ['0008-exports', exportsMigration],
  ['0009-retention', retentionMigration],
  ['0010-fault-recovery', faultRecoveryMigration],
  ['0011-delivery', deliveryMigration],
  ['0012-camera-access', cameraAccessMigration],
  ['0013-privacy-masks', privacyMasksMigration],
];

/** An in-code provider; the capabilities decide the optional parts (pgvector, pg_trgm). */
export function createMigrationProvider(caps: MigrationCapabilities): MigrationProvider {
  return {
    async getMigrations() {
      return Object.fromEntries(MIGRATIONS.map(([name, factory]) => [name, factory(caps)]));
    },
  };
}
