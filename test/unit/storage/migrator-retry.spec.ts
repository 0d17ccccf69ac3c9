import { describe, expect, it } from 'vitest';
import type { ArgusDatabase } from '../../../storage/database.ts';
import { MigrationError, withCatalogRetry } from '../../../storage/migrator.ts';

const adb = { schema: 'argus_mine' } as ArgusDatabase;
const raced = (schema: string) => new MigrationError(undefined, 'up', new Error(`schema "${schema}" does not exist`));

describe('migrations racing another schema being dropped', () => {
  it('runs again when the introspection failed on another schema, and returns what the next run gives', async () => {
    let runs = 0;
    const result = await withCatalogRetry(adb, async () => {
      runs++;
      if (runs === 1) throw raced('argus_other_1');
      return ['0001-initial'];
    });
    expect(result).toEqual(['0001-initial']);
    expect(runs).toBe(2);
  });

  it('gives up after three runs', async () => {
    let runs = 0;
    await expect(
      withCatalogRetry(adb, async () => {
        runs++;
        throw raced('argus_other_2');
      }),
    ).rejects.toThrow(/argus_other_2/);
    expect(runs).toBe(3);
  });

  it('does not run again when the missing schema is its own, or a named migration failed, or for any other error', async () => {
    for (const err of [
      raced('argus_mine'),
      new MigrationError('0003-alerts', 'up', new Error('schema "argus_other_3" does not exist')),
      new MigrationError(undefined, 'up', new Error('permission denied for database test')),
      new Error('schema "argus_other_4" does not exist'),
    ]) {
      let runs = 0;
      await expect(
        withCatalogRetry(adb, async () => {
          runs++;
          throw err;
        }),
      ).rejects.toBe(err);
      expect(runs).toBe(1);
    }
  });
});
