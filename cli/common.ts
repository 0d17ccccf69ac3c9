import { Command, Option } from 'commander';
import { formatConfigError, loadConfig, parseRoles } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { ArgusError, ConfigError } from '../contracts/errors.ts';
import { PROCESS_ROLES } from '../contracts/roles.ts';

/** Options every command that needs the configuration accepts. */
export interface CommonOptions {
  config?: string;
  dataDir?: string;
}

export function addCommonOptions(command: Command): Command {
  return command
    .option('-c, --config <file>', 'configuration file (YAML); default $ARGUS_CONFIG, else built-in defaults')
    .option('--data-dir <dir>', 'data folder (embedded database, keys, recordings); default ./data or $ARGUS_DATA_DIR');
}

/** Load the configuration for a command: file < environment < flags. Exits with every problem listed. */
export function configFor(options: CommonOptions, overrides: Record<string, unknown> = {}): Config {
  const merged: Record<string, unknown> = { ...overrides };
  if (options.dataDir) merged.dataDir = options.dataDir;
  return loadConfig({ file: options.config, overrides: merged });
}

export const rolesOption = new Option('--roles <roles>', `process roles to run: all, or a comma-separated list of ${PROCESS_ROLES.join(', ')}`).argParser(
  parseRoles,
);

/** Print an error the way a person can act on, and set the exit code. */
export function reportError(err: unknown): number {
  if (err instanceof ConfigError) {
    process.stderr.write(`${formatConfigError(err)}\n`);
    return 2;
  }
  if (err instanceof ArgusError) {
    const issues = err.issues.map((i) => `  - ${i.path || '(input)'}: ${i.message}`).join('\n');
    process.stderr.write(`argus: ${err.message}\n${issues ? `${issues}\n` : ''}`);
    return 1;
  }
  process.stderr.write(`argus: ${(err as Error)?.stack ?? String(err)}\n`);
  return 1;
}

