import type { Command } from 'commander';
import { addCommonOptions, configFor, reportError, rolesOption, type CommonOptions } from './common.ts';
import { startArgus } from './serve.ts';

interface ServeOptions extends CommonOptions {
  roles?: string[];
  host?: string;
  port?: string;
}

export function registerServeCommand(program: Command): void {
  addCommonOptions(
    program
      .command('serve')
      .description('Start Argus: the HTTP API and web app, ingest, analytics and the job worker (all roles by default)')
      .addOption(rolesOption)
      .option('--host <address>', 'address to listen on (default 127.0.0.1)')
      .option('--port <port>', 'port to listen on (default 8080)')
      .addHelpText(
        'after',
        '\nRoles: api (HTTP API, web app, socket.io), ingest (cameras), analytics (recognition), worker (background jobs).\n' +
          'Examples:\n  argus serve                      all roles in one process, embedded database\n' +
          '  argus serve --roles api,worker   only the API and the job worker\n' +
          '  DATABASE_URL=postgres://... REDIS_URL=redis://... argus serve',
      ),
  ).action(async (options: ServeOptions) => {
    const overrides: Record<string, unknown> = {};
    if (options.roles) overrides.roles = options.roles;
    const server: Record<string, unknown> = {};
    if (options.host) server.host = options.host;
    if (options.port) server.port = /^\d+$/.test(options.port) ? Number(options.port) : options.port;
    if (Object.keys(server).length) overrides.server = server;
    const config = configFor(options, overrides);
    const argus = await startArgus(config);
    const out = process.stdout;
    out.write('\n');
    if (argus.url) out.write(`  Argus is running: ${argus.url}\n`);
    out.write(`  Roles: ${config.roles.join(', ')}   Database: ${argus.database.kind}${argus.database.vector ? ' (pgvector)' : ''}\n`);
    if (argus.firstAdmin) {
      out.write(
        `\n  First start: log in as "${argus.firstAdmin.username}" with password  ${argus.firstAdmin.password}\n` +
          '  This password is shown only once; you will be asked to change it after logging in.\n' +
          '  首次启动：管理员账号 admin，密码如上（仅显示一次，登录后需修改）。\n',
      );
    } else if (argus.url) {
      out.write('  Log in with your account. Lost the admin password? Run: npx argus users reset-password admin\n');
    }
    out.write('  Stop with Ctrl+C.\n\n');
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      argus.log.info({ signal }, 'stopping');
      argus
        .stop()
        .then(() => process.exit(0))
        .catch((err: unknown) => process.exit(reportError(err)));
    };
    process.on('SIGINT', () => shutdown('SIGINT'));
    process.on('SIGTERM', () => shutdown('SIGTERM'));
  });
}
