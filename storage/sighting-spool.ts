import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../config/logger.ts';
import type { NewSighting, SightingChanges } from './repositories/sightings.repository.ts';

/**
 * A disk spool for sightings that could not be stored because the database was unreachable
 * (storage/…, since it touches files). One file per operation in `<dataDir>/spool`:
 *
 *   <seq, 16 digits>-<r|f>-<sightingId>-<extraBytes>-<c|u>.json
 *
 * `r` a new sighting (its row, embedding and the paths of its evidence files, already written by the
 * EvidenceStore), `f` a refinement of one (its changes, new evidence images inline as base64: they
 * are saved when the refinement is applied, since the camera folder is known only then).
 * `extraBytes` is the size of the evidence files a record holds on disk besides its own file (they
 * count against the bound). `c`: the failed attempt certainly did not reach the database; `u`: it
 * may have committed (the connection broke after the statement was sent), so its evidence files
 * are kept even if the entry is dropped.
 *
 * Each file is written to a temporary name, fsync'ed, renamed and the folder fsync'ed, so an
 * acknowledged entry survives a crash and a crash never leaves half an entry under a final name
 * (left-over `.tmp` files are removed on open). Entries leave in sequence order, each only after
 * it was applied (a drainer removes it after its commit).
 *
 * Bounded by entries and bytes. When full, the OLDEST entry is dropped and counted: the newest reads
 * are the ones a checkpoint can still act on (watchlist alerts), as the frame queues drop the oldest
 * frame. An entry being applied at that moment is not dropped.
 */

export interface SpooledRecord {
  op: 'record';
  sighting: Omit<NewSighting, 'observedAt'> & { id: string; observedAt: string };
}

export interface SpooledRefine {
  op: 'refine';
  id: string;
  observedAt: string;
  changes: Omit<SightingChanges, 'cropPath' | 'framePath'>;
  /** New evidence images (JPEG, base64), saved when the refinement is applied. */
  crop?: string;
  frame?: string;
}

export type SpoolOperation = SpooledRecord | SpooledRefine;

export interface SpoolEntry {
  seq: number;
  sightingId: string;
  op: SpoolOperation['op'];
  /** Its file plus evidence files it holds on disk. */
  bytes: number;
  /** The failed attempt may have committed. */
  uncertain: boolean;
  file: string;
}

export interface SpoolStats {
  /** Entries waiting now, and their bytes (files plus evidence they hold). */
  count: number;
  bytes: number;
  /** Since this process started. */
  dropped: number;
  drained: number;
  /** Appended since this process started. */
  spooled: number;
  maxBytes: number;
  maxRecords: number;
}

export interface SpoolOptions {
  dir: string;
  maxBytes: number;
  maxRecords: number;
  log: Logger;
  /** An entry dropped to make room (or given up as poison): clean up what it holds (its evidence). */
  onDrop?: (entry: SpoolEntry, operation: SpoolOperation | null) => Promise<void>;
}

const NAME_RE = /^(\d{16})-([rf])-([0-9a-f-]{36})-(\d{1,15})-([cu])\.json$/;

function entryName(seq: number, op: 'r' | 'f', sightingId: string, extra: number, uncertain: boolean): string {
  return `${String(seq).padStart(16, '0')}-${op}-${sightingId}-${extra}-${uncertain ? 'u' : 'c'}.json`;
}

const NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED', 'EADDRNOTAVAIL']);
/** Failures before anything was sent: the statement certainly did not run. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', '57P03', '53300']);
/** SQLSTATEs of a server going away or not accepting connections (class 08: connection exceptions). */
const PG_UNAVAILABLE = new Set(['57P01', '57P02', '57P03', '53300']);
const MESSAGE_RE = /connection terminated|connection ended|connection timeout|timeout exceeded when trying to connect|not queryable|client was closed|terminating connection|server closed the connection|connection is closed/i;
const NOT_SENT_RE = /timeout exceeded when trying to connect|connection timeout/i;

function codesOf(err: unknown): { codes: string[]; messages: string[] } {
  const codes: string[] = [];
  const messages: string[] = [];
  const seen = new Set<unknown>();
  const visit = (e: unknown, depth: number) => {
    if (!e || typeof e !== 'object' || seen.has(e) || depth > 3) return;
    seen.add(e);
    const x = e as { code?: unknown; message?: unknown; errors?: unknown; cause?: unknown };
    if (typeof x.code === 'string') codes.push(x.code);
    if (typeof x.message === 'string') messages.push(x.message);
    if (Array.isArray(x.errors)) for (const inner of x.errors) visit(inner, depth + 1);
    visit(x.cause, depth + 1);
  };
  visit(err, 0);
  return { codes, messages };
}

/**
 * Whether an error means the database could not be reached (connection refused, reset or
 * terminated, connect timeout, server shutting down): worth spooling and retrying. Validation
 * errors, constraint violations and other SQL errors are not.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const { codes, messages } = codesOf(err);
  if (codes.some((c) => NET_CODES.has(c) || PG_UNAVAILABLE.has(c) || c.startsWith('08'))) return true;
  // SQL errors with a SQLSTATE other than the above are the statement's fault, not the connection's.
  if (codes.some((c) => /^[0-9A-Z]{5}$/.test(c))) return false;
  return messages.some((m) => MESSAGE_RE.test(m));
}

/** Of an unavailable-database error: true when the statement may have reached the server (and committed). */
export function mayHaveCommitted(err: unknown): boolean {
  const { codes, messages } = codesOf(err);
  if (codes.some((c) => NOT_SENT_CODES.has(c))) return false;
  if (messages.some((m) => NOT_SENT_RE.test(m))) return false;
  return true;
}

/**
 * Remove the temporary files a crash left in the evidence folder (EvidenceStore writes `.<name>.tmp`,
 * then renames): only in the day folders of today and yesterday (UTC; older days are not written to),
 * only files older than `olderThanMs` (another process may be writing one now). Returns how many went.
 */
export async function removeLeftoverEvidenceTemp(evidenceRoot: string, olderThanMs: number, now = new Date()): Promise<number> {
  const days = [now, new Date(now.getTime() - 86_400_000)].map((d) => d.toISOString().slice(0, 10));
  let cameras: string[];
  try {
    cameras = await readdir(evidenceRoot);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const camera of cameras) {
    for (const day of days) {
      const dir = join(evidenceRoot, camera, day);
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        continue;
      }
      for (const name of names) {
        if (!name.startsWith('.') || !name.endsWith('.tmp')) continue;
        const full = join(dir, name);
        try {
          if (now.getTime() - (await stat(full)).mtimeMs < olderThanMs) continue;
          await unlink(full);
          removed++;
        } catch {
          // gone meanwhile
        }
      }
    }
  }
  return removed;
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export class SightingSpool {
  readonly dir: string;
  private readonly entries: SpoolEntry[] = [];
  private readonly pendingIds = new Map<string, number>();
  private nextSeq = 1;
  private totalBytes = 0;
  private dropped = 0;
  private drained = 0;
  private spooled = 0;
  /** Appends, drops and removals one at a time (sequence and bound stay consistent). */
  private chain: Promise<unknown> = Promise.resolve();
  private inFlight: number | null = null;

  private constructor(private readonly options: SpoolOptions) {
    this.dir = resolve(options.dir);
  }

  /** Open (create) the folder, remove left-over temporary files and index the entries there. */
  static async open(options: SpoolOptions): Promise<SightingSpool> {
    const spool = new SightingSpool(options);
    await spool.load();
    return spool;
  }

  private async load(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const names = await readdir(this.dir);
    const found: SpoolEntry[] = [];
    for (const name of names) {
      const full = join(this.dir, name);
      if (name.endsWith('.tmp')) {
        await unlink(full).catch(() => undefined);
        continue;
      }
      const m = NAME_RE.exec(name);
      if (!m) continue;
      const size = (await stat(full)).size;
      found.push({ seq: Number(m[1]), op: m[2] === 'r' ? 'record' : 'refine', sightingId: m[3]!, bytes: size + Number(m[4]), uncertain: m[5] === 'u', file: name });
    }
    found.sort((a, b) => a.seq - b.seq);
    for (const e of found) this.index(e);
    this.nextSeq = (found[found.length - 1]?.seq ?? 0) + 1;
    if (found.length) this.options.log.warn({ count: found.length, bytes: this.totalBytes }, 'sightings spooled by an earlier run are waiting for the database');
  }

  private index(e: SpoolEntry): void {
    this.entries.push(e);
    this.totalBytes += e.bytes;
    if (e.op === 'record') this.pendingIds.set(e.sightingId, (this.pendingIds.get(e.sightingId) ?? 0) + 1);
  }

  private unindex(e: SpoolEntry): void {
    const i = this.entries.indexOf(e);
    if (i >= 0) this.entries.splice(i, 1);
    this.totalBytes -= e.bytes;
    if (e.op === 'record') {
      const n = (this.pendingIds.get(e.sightingId) ?? 1) - 1;
      if (n > 0) this.pendingIds.set(e.sightingId, n);
      else this.pendingIds.delete(e.sightingId);
    }
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.chain.then(work, work);
    this.chain = next.catch(() => undefined);
    return next;
  }

  get size(): number {
    return this.entries.length;
  }

  /** A record of this sighting is waiting here (its refinements must queue behind it). */
  holds(sightingId: string): boolean {
    return this.pendingIds.has(sightingId);
  }

  stats(): SpoolStats {
    return {
      count: this.entries.length,
      bytes: this.totalBytes,
      dropped: this.dropped,
      drained: this.drained,
      spooled: this.spooled,
      maxBytes: this.options.maxBytes,
      maxRecords: this.options.maxRecords,
    };
  }

  /**
   * Append durably (resolves once the entry is on disk). `extraBytes`: evidence files it holds.
   * Makes room first by dropping the oldest entries.
   */
  append(operation: SpoolOperation, opts: { extraBytes?: number; uncertain?: boolean } = {}): Promise<SpoolEntry> {
    return this.serial(async () => {
      const sightingId = operation.op === 'record' ? operation.sighting.id : operation.id;
      const data = Buffer.from(JSON.stringify(operation));
      const extra = Math.max(0, Math.round(opts.extraBytes ?? 0));
      const bytes = data.length + extra;
      // Make room: the oldest go (not one being applied right now).
      while (this.entries.length > 0 && (this.entries.length + 1 > this.options.maxRecords || this.totalBytes + bytes > this.options.maxBytes)) {
        const victim = this.entries.find((e) => e.seq !== this.inFlight);
        if (!victim) break;
        await this.dropEntry(victim, 'spool full');
      }
      const seq = this.nextSeq++;
      const name = entryName(seq, operation.op === 'record' ? 'r' : 'f', sightingId, extra, opts.uncertain ?? false);
      const temp = join(this.dir, `.${name}.${randomBytes(4).toString('hex')}.tmp`);
      const handle = await open(temp, 'wx');
      try {
        await handle.writeFile(data);
        await handle.sync();
      } catch (err) {
        await handle.close().catch(() => undefined);
        await unlink(temp).catch(() => undefined);
        throw err;
      }
      await handle.close();
      await rename(temp, join(this.dir, name));
      await fsyncDir(this.dir);
      const entry: SpoolEntry = { seq, op: operation.op, sightingId, bytes, uncertain: opts.uncertain ?? false, file: name };
      this.index(entry);
      this.spooled++;
      return entry;
    });
  }

  private async read(entry: SpoolEntry): Promise<SpoolOperation | null> {
    try {
      return JSON.parse(await readFile(join(this.dir, entry.file), 'utf8')) as SpoolOperation;
    } catch (err) {
      this.options.log.error({ file: entry.file, err: (err as Error).message }, 'a spooled sighting cannot be read; it is dropped');
      return null;
    }
  }

  private async dropEntry(entry: SpoolEntry, reason: string): Promise<void> {
    const operation = await this.read(entry);
    await this.options.onDrop?.(entry, operation).catch((err: unknown) => this.options.log.warn({ err: (err as Error).message, sightingId: entry.sightingId }, 'could not clean up after a dropped sighting'));
    await unlink(join(this.dir, entry.file)).catch(() => undefined);
    this.unindex(entry);
    this.dropped++;
    // Dropping loses data: say so clearly, but not once per entry.
    if (this.dropped === 1 || this.dropped % 100 === 0) {
      this.options.log.warn({ reason, dropped: this.dropped, count: this.entries.length, bytes: this.totalBytes, maxBytes: this.options.maxBytes, maxRecords: this.options.maxRecords }, 'sighting spool: dropped the oldest spooled sighting');
    }
  }

  /** The oldest entry and its operation (null when empty); it is not dropped while it is being applied. */
  async head(): Promise<{ entry: SpoolEntry; operation: SpoolOperation | null } | null> {
    return this.serial(async () => {
      const entry = this.entries[0];
      if (!entry) return null;
      this.inFlight = entry.seq;
      return { entry, operation: await this.read(entry) };
    });
  }

  /** The entry was applied (committed): remove it. */
  done(entry: SpoolEntry): Promise<void> {
    return this.serial(async () => {
      if (this.inFlight === entry.seq) this.inFlight = null;
      if (!this.entries.includes(entry)) return;
      await unlink(join(this.dir, entry.file)).catch(() => undefined);
      this.unindex(entry);
      this.drained++;
    });
  }

  /** The entry cannot be applied (poison: e.g. its camera is gone): drop it, counted. */
  discard(entry: SpoolEntry, reason: string): Promise<void> {
    return this.serial(async () => {
      if (this.inFlight === entry.seq) this.inFlight = null;
      if (!this.entries.includes(entry)) return;
      await this.dropEntry(entry, reason);
    });
  }

  /** Applying the head failed (database away again): it stays first. */
  release(entry: SpoolEntry): void {
    if (this.inFlight === entry.seq) this.inFlight = null;
  }
}
