import { Command, CommanderError, Option } from 'commander';
import { formatConfigError, loadConfig, parseRoles } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { ArgusError, ConfigError } from '../contracts/errors.ts';
import { PROCESS_ROLES } from '../contracts/roles.ts';
import { registerConfigCommand } from './config.command.ts';
import { registerMigrateCommand } from './migrate.command.ts';
import { registerModelsCommand } from './models.command.ts';
import { registerServeCommand } from './serve.command.ts';
import { registerUsersCommand } from './users.command.ts';
import { VERSION } from './version.ts';

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

export function buildProgram(): Command {
  const program = new Command()
    .name('argus')
    .description(
      'Argus: video surveillance and public-safety command system.\n' +
        'Cameras (ONVIF/RTSP), plate and face recognition, watchlist alerts for checkpoints, and dispatch.',
    )
    .version(VERSION, '-v, --version')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      '\nEnvironment: DATABASE_URL, REDIS_URL, ARGUS_CONFIG, ARGUS_DATA_DIR, ARGUS_MODELS_DIR, ARGUS_LISTEN (host:port),\n' +
        'ARGUS_HOST, ARGUS_PORT, ARGUS_ROLES, ARGUS_LOG_LEVEL, ARGUS_SECRET_KEY. See config/argus.sample.yaml.',
    );
  program.exitOverride();
  registerServeCommand(program);
  registerMigrateCommand(program);
  registerUsersCommand(program);
  registerConfigCommand(program);
  registerModelsCommand(program);
  return program;
}

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

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    process.exitCode = reportError(err);
  }
}
