import type { Command } from 'commander';
import { redactUrl } from '../storage/redact.ts';
import { addCommonOptions, configFor, type CommonOptions } from './common.ts';

export function registerConfigCommand(program: Command): void {
  const config = program.command('config').description('Check the configuration');
  addCommonOptions(
    config.command('check').description('Validate the configuration (file, environment) and print the result with secrets hidden'),
  ).action((options: CommonOptions) => {
    const c = configFor(options);
    const shown = {
      ...c,
      database: { ...c.database, url: c.database.url ? redactUrl(c.database.url) : null },
      redis: { ...c.redis, url: redactUrl(c.redis.url) },
      secrets: { ...c.secrets, key: c.secrets.key ? '[set]' : null },
    };
    process.stdout.write(`The configuration is valid.\n${JSON.stringify(shown, null, 2)}\n`);
  });
}
