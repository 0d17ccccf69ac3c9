import type { Command } from 'commander';
import { formatConfigError, loadConfig } from '../config/load.ts';
import { ConfigError } from '../contracts/errors.ts';
import { MODEL_MANIFEST, type ModelEntry } from '../models/manifest.ts';
import {
  FETCH_HINT,
  fetchModels,
  verifyModels,
  type FetchProgressEvent,
  type FetchResult,
} from '../models/model-files.ts';

/**
 * `argus models list | verify | fetch`: show the manifest, check a models directory against it,
 * and fill a models directory from ../shared/models or the upstream addresses.
 */

/** Where the command writes; replaceable in tests. */
export interface ModelsCommandIo {
  out(line: string): void;
  err(line: string): void;
  /** Record the exit status (default: process.exitCode). */
  fail(code: number): void;
}

const processIo: ModelsCommandIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  fail: (code) => {
    process.exitCode = code;
  },
};

interface DirOptions {
  modelsDir?: string;
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(0)} kB`;
  return `${n} B`;
}

function pad(text: string, width: number): string {
  return text.length >= width ? `${text} ` : text.padEnd(width);
}

function selectEntries(names: readonly string[], io: ModelsCommandIo): ModelEntry[] | null {
  if (names.length === 0) return [...MODEL_MANIFEST];
  const unknown = names.filter((n) => !MODEL_MANIFEST.some((m) => m.name === n));
  if (unknown.length > 0) {
    io.err(`Unknown model${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}. Known: ${MODEL_MANIFEST.map((m) => m.name).join(', ')}.`);
    io.fail(2);
    return null;
  }
  return MODEL_MANIFEST.filter((m) => names.includes(m.name));
}

/** --models-dir, else the configured modelsDir. Null (after reporting) when the configuration is invalid. */
function modelsDirFrom(options: DirOptions, io: ModelsCommandIo): string | null {
  if (options.modelsDir) return options.modelsDir;
  try {
    return loadConfig().modelsDir;
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(formatConfigError(err));
      io.fail(1);
      return null;
    }
    throw err;
  }
}

function listAction(options: { json?: boolean }, io: ModelsCommandIo): void {
  if (options.json) {
    io.out(JSON.stringify(MODEL_MANIFEST, null, 2));
    return;
  }
  io.out(`${pad('NAME', 24)}${pad('TASK', 19)}${pad('REQUIRED', 9)}${pad('SIZE', 9)}${pad('LICENCE', 36)}FILE`);
  for (const m of MODEL_MANIFEST) {
    io.out(`${pad(m.name, 24)}${pad(m.task, 19)}${pad(m.required ? 'yes' : 'no', 9)}${pad(formatBytes(m.bytes), 9)}${pad(m.licence, 36)}${m.file}`);
  }
  io.out('');
  io.out('Licences and origins: NOTICE. Upstream of each file: `argus models list --json`.');
}

async function verifyAction(names: string[], options: DirOptions & { json?: boolean }, io: ModelsCommandIo): Promise<void> {
  const entries = selectEntries(names, io);
  const modelsDir = entries && modelsDirFrom(options, io);
  if (!entries || !modelsDir) return;
  const checks = await verifyModels(modelsDir, entries);
  const requiredBad = checks.filter((c) => !c.ok && c.required);
  if (options.json) {
    io.out(JSON.stringify({ modelsDir, ok: requiredBad.length === 0, models: checks }, null, 2));
  } else {
    io.out(`Models directory: ${modelsDir}`);
    for (const c of checks) io.out(`  ${c.ok ? 'ok      ' : c.required ? 'BAD     ' : 'missing '} ${pad(c.name, 24)}${c.ok ? c.path : (c.problem ?? '')}`);
    const optionalBad = checks.filter((c) => !c.ok && !c.required);
    io.out(
      `${checks.filter((c) => c.ok).length} of ${checks.length} models verified` +
        (optionalBad.length ? `; optional not usable: ${optionalBad.map((c) => c.name).join(', ')}` : '') +
        '.',
    );
    if (requiredBad.length) io.err(`Required models not usable: ${requiredBad.map((c) => c.name).join(', ')}. Run \`${FETCH_HINT}\`.`);
  }
  if (requiredBad.length) io.fail(1);
}

/** Prints one line per state change and a few progress lines per download. */
function progressPrinter(io: ModelsCommandIo, quiet: boolean): (event: FetchProgressEvent) => void {
  const lastQuarter = new Map<string, number>();
  return (event) => {
    const name = pad(event.entry.name, 24);
    switch (event.kind) {
      case 'present':
        if (!quiet) io.out(`  ok        ${name}${event.path}`);
        break;
      case 'linked':
        if (!quiet) io.out(`  linked    ${name}${event.path} -> ${event.from}`);
        break;
      case 'shared-unusable':
        io.err(`  warning   ${name}shared copy not used: ${event.problem}`);
        break;
      case 'download-start':
        lastQuarter.set(event.entry.name, 0);
        io.out(`  fetching  ${name}${event.url} (${formatBytes(event.total)})`);
        break;
      case 'download-progress': {
        const quarter = Math.min(4, Math.floor((event.received / Math.max(1, event.total)) * 4));
        if (quarter > (lastQuarter.get(event.entry.name) ?? 0)) {
          lastQuarter.set(event.entry.name, quarter);
          if (!quiet) io.out(`            ${name}${formatBytes(event.received)} / ${formatBytes(event.total)} (${quarter * 25}%)`);
        }
        break;
      }
      case 'downloaded':
        io.out(`  verified  ${name}${event.path}`);
        break;
      case 'failed':
        io.err(`  ${event.entry.required ? 'FAILED  ' : 'skipped '}  ${name}${event.error.message}`);
        break;
    }
  };
}

function summarise(results: FetchResult[]): string {
  const count = (s: FetchResult['status']) => results.filter((r) => r.status === s).length;
  return `${results.length} models: ${count('present')} already present, ${count('linked')} linked, ${count('downloaded')} downloaded, ${count('failed')} failed`;
}

async function fetchAction(
  names: string[],
  options: DirOptions & { sharedDir?: string; shared?: boolean; githubBaseUrl?: string; quiet?: boolean },
  io: ModelsCommandIo,
): Promise<void> {
  const entries = selectEntries(names, io);
  const modelsDir = entries && modelsDirFrom(options, io);
  if (!entries || !modelsDir) return;
  const quiet = options.quiet === true;
  if (!quiet) io.out(`Models directory: ${modelsDir}`);
  const results = await fetchModels({
    modelsDir,
    names: entries.map((e) => e.name),
    sharedDir: options.shared === false ? null : options.sharedDir,
    ...(options.githubBaseUrl ? { githubBaseUrl: options.githubBaseUrl } : {}),
    onProgress: progressPrinter(io, quiet),
  });
  io.out(summarise(results) + '.');
  const failedRequired = results.filter((r) => r.status === 'failed' && r.required);
  const failedOptional = results.filter((r) => r.status === 'failed' && !r.required);
  if (failedOptional.length) {
    io.err(`Optional models not available (features that need them stay off): ${failedOptional.map((r) => r.name).join(', ')}.`);
  }
  if (failedRequired.length) {
    io.err(
      `Required models missing: ${failedRequired.map((r) => r.name).join(', ')}. Put verified copies in ${modelsDir} ` +
        `(${failedRequired.map((r) => MODEL_MANIFEST.find((m) => m.name === r.name)?.file ?? r.name).join(', ')}), ` +
        'or run again where ../shared/models or the upstream addresses can be reached.',
    );
    io.fail(1);
  }
}

/** Add `models list|verify|fetch` to the `argus` program. */
export function registerModelsCommand(program: Command, io: ModelsCommandIo = processIo): Command {
  const models = program
    .command('models')
    .description('Model files: list the manifest, verify a models directory, fetch missing files');
  const dirOption = '--models-dir <dir>';
  const dirHelp = 'models directory (default: modelsDir from the configuration, ./data/models)';

  models
    .command('list')
    .description('List every model with its task, size, licence and file')
    .option('--json', 'print the full manifest (sha256, upstream, input/output contract) as JSON')
    .action((options: { json?: boolean }) => listAction(options, io));

  models
    .command('verify')
    .description('Check each model file against its sha256; exit 1 when a required model is missing or wrong')
    .argument('[names...]', 'only these models')
    .option(dirOption, dirHelp)
    .option('--json', 'print the result as JSON')
    .action((names: string[], options: DirOptions & { json?: boolean }) => verifyAction(names, options, io));

  models
    .command('fetch')
    .description(`Link verified files from ../shared/models, or download them from upstream; exit 1 when a required model cannot be had`)
    .argument('[names...]', 'only these models')
    .option(dirOption, dirHelp)
    .option('--shared-dir <dir>', 'folder to link verified files from (default: ../shared/models beside the repository)')
    .option('--no-shared', 'never link; always download')
    .option('--github-base-url <url>', 'mirror to use instead of https://github.com')
    .option('--quiet', 'print only downloads, problems and the summary')
    .action((names: string[], options: DirOptions & { sharedDir?: string; shared?: boolean; githubBaseUrl?: string; quiet?: boolean }) =>
      fetchAction(names, options, io),
    );

  return models;
}
