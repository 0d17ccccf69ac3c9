import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { TarFormatError, verifyExport, type VerifyReport } from '../storage/export-verify.ts';

/** Exit codes of `argus verify-export`. */
export const VERIFY_EXIT = { verified: 0, altered: 1, unreadable: 2 } as const;

export function formatVerifyReport(file: string, report: VerifyReport): string {
  const lines: string[] = [`Checking ${file}`];
  if (report.manifest) {
    const m = report.manifest;
    lines.push(`export ${m.exportId}, created ${m.createdAt} by ${m.createdBy?.username}, range ${m.range?.from} – ${m.range?.to}`);
    lines.push(`reason: ${m.reason}`);
  }
  for (const p of report.problems) lines.push(`ALTERED ${p}`);
  for (const w of report.warnings) lines.push(`warning: ${w}`);
  if (report.verified) lines.push(`VERIFIED: ${report.files} files, signed by key ${report.fingerprint}${report.originChecked ? ' (the key given with --public-key)' : ''}`);
  else lines.push(`NOT VERIFIED: ${report.problems.length} problem${report.problems.length === 1 ? '' : 's'}`);
  return `${lines.join('\n')}\n`;
}

export function registerVerifyExportCommand(program: Command): void {
  program
    .command('verify-export')
    .description('Check an evidence export package: the signed manifest and every file in it; says exactly what was altered')
    .argument('<file>', 'the package (argus-export-<id>.tar)')
    .option('--public-key <pem>', "the server's export public key obtained separately (GET /api/exports/public-key); proves who signed")
    .addHelpText('after', '\nExit status: 0 verified, 1 altered (each problem on its own line), 2 unreadable (not a tar, truncated, no such file).')
    .action(async (file: string, options: { publicKey?: string }) => {
      let trustedKeyPem: string | undefined;
      if (options.publicKey) {
        try {
          trustedKeyPem = readFileSync(options.publicKey, 'utf8');
        } catch (err) {
          process.stderr.write(`argus: cannot read the public key ${options.publicKey}: ${(err as NodeJS.ErrnoException).code ?? String(err)}\n`);
          process.exitCode = VERIFY_EXIT.unreadable;
          return;
        }
      }
      try {
        const report = await verifyExport(file, { trustedKeyPem });
        process.stdout.write(formatVerifyReport(file, report));
        process.exitCode = report.verified ? VERIFY_EXIT.verified : VERIFY_EXIT.altered;
      } catch (err) {
        if (!(err instanceof TarFormatError)) throw err;
        process.stderr.write(`UNREADABLE ${file}: ${err.message}\n`);
        process.exitCode = VERIFY_EXIT.unreadable;
      }
    });
}
