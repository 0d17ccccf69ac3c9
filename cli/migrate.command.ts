import type { Command } from 'commander';
import { openDatabase } from '../storage/database.ts';
import { migrateDown, migrateToLatest } from '../storage/migrator.ts';
import { addCommonOptions, configFor, type CommonOptions } from './common.ts';

export function registerMigrateCommand(program: Command): void {
  addCommonOptions(
    program
      .command('migrate')
      .description('Bring the database schema up to date (serve does this at start), or roll migrations back')
      .option('--down <steps>', 'roll back this many migrations, or "all"'),
  ).action(async (options: CommonOptions & { down?: string }) => {
    const config = configFor(options);
    const database = await openDatabase(config);
    try {
      if (options.down) {
        const steps = options.down === 'all' ? 'all' : Number(options.down);
        if (steps !== 'all' && (!Number.isInteger(steps) || steps < 1)) throw new Error('--down takes a positive number or "all"');
        const names = await migrateDown(database, steps);
        process.stdout.write(names.length ? `Rolled back: ${names.join(', ')}\n` : 'Nothing to roll back.\n');
      } else {
        const names = await migrateToLatest(database);
        process.stdout.write(names.length ? `Applied: ${names.join(', ')}\n` : 'The schema is up to date.\n');
      }
    } finally {
      await database.close();
    }
  });
}
