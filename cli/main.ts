import { Command, CommanderError } from 'commander';
import { registerAnalyzeCommand } from './analyze.command.ts';
import { reportError } from './common.ts';
import { registerConfigCommand } from './config.command.ts';
import { registerMigrateCommand } from './migrate.command.ts';
import { registerModelsCommand } from './models.command.ts';
import { registerServeCommand } from './serve.command.ts';
import { registerUsersCommand } from './users.command.ts';
import { registerVerifyExportCommand } from './verify-export.command.ts';
import { VERSION } from './version.ts';

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
  registerAnalyzeCommand(program);
  registerVerifyExportCommand(program);
  return program;
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
