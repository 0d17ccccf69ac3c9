import { z } from 'zod';
import type { Logger } from '../../../config/logger.ts';
import { issuesFromZod, NotFoundError, ValidationError } from '../../../contracts/errors.ts';
import {
  CSV_IMPORT_COLUMNS,
  CSV_IMPORT_MAX_ROWS,
  DEFAULT_FACE_THRESHOLD,
  createEntrySchema,
  createWatchlistSchema,
  updateEntrySchema,
  updateWatchlistSchema,
  type CreateEntryInput,
  type CreateWatchlistInput,
  type EntryPage,
  type FaceEnroller,
  type ImportReport,
  type UpdateEntryInput,
  type UpdateWatchlistInput,
  type Watchlist,
  type WatchlistEntry,
} from '../../../contracts/watchlists.ts';
import type { AuditRepository } from '../../../storage/repositories/audit.repository.ts';
import type { AuditAction } from '../../../contracts/audit.ts';
import { normalizeEmbedding } from '../../../storage/repositories/face-embeddings.repository.ts';
import type { NewEntry, WatchlistsRepository } from '../../../storage/repositories/watchlists.repository.ts';
import type { Principal, RequestMeta } from './auth.service.ts';
import { parsePlatePattern } from './watchlists/plate-pattern.ts';

function parse<S extends z.ZodTypeAny>(schema: S, input: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new ValidationError(`The ${what} is not valid.`, issuesFromZod(parsed.error.issues));
  return parsed.data as z.output<S>;
}

/** A minimal RFC 4180 reader: quoted fields ("" inside quotes), CRLF or LF. Lines keep their file line number. */
export function parseCsv(text: string): Array<{ line: number; fields: string[] }> {
  const rows: Array<{ line: number; fields: string[] }> = [];
  let field = '';
  let fields: string[] = [];
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  const body = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (quoted) {
      if (c === '"' && body[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && body[i + 1] === '\n') i++;
      fields.push(field);
      if (fields.some((f) => f.trim() !== '')) rows.push({ line: rowLine, fields });
      fields = [];
      field = '';
      line++;
      rowLine = line;
    } else field += c;
  }
  fields.push(field);
  if (fields.some((f) => f.trim() !== '')) rows.push({ line: rowLine, fields });
  return rows;
}

function csvDate(value: string | undefined): Date | null | 'invalid' {
  const v = value?.trim();
  if (!v) return null;
  const at = new Date(v);
  return Number.isNaN(at.getTime()) ? 'invalid' : at;
}

/**
 * Watchlists and their entries: CRUD, CSV import (all or nothing, with a report per row), face
 * enrolment through a FaceEnroller. Every change is audited and announced (`changed`), so that
 * every process reloads its matchers.
 */
export class WatchlistsService {
  constructor(
    private readonly deps: {
      watchlists: WatchlistsRepository;
      audit: AuditRepository;
      /** Face enrolment (null: this process cannot enrol photos). */
      enroller: FaceEnroller | null;
      /** Announce a change to every process (Redis pub/sub); failures are logged, not thrown. */
      changed: () => Promise<void>;
      log: Logger;
    },
  ) {}

  /** Audit a change (the target is the list, or the entry for watchlist_entry.* actions) and announce it. */
  private async announce(actor: Principal, meta: RequestMeta, action: AuditAction, targetId: string, detail: Record<string, unknown>): Promise<void> {
    const targetType = action.startsWith('watchlist_entry.') ? 'watchlist_entry' : 'watchlist';
    await this.deps.audit.append({ userId: actor.userId, username: actor.username, action, targetType, targetId, detail, ip: meta.ip });
    await this.deps.changed().catch((err: unknown) => this.deps.log.warn({ err: (err as Error).message }, 'could not announce a watchlist change'));
  }

  async list(): Promise<Watchlist[]> {
    return this.deps.watchlists.list();
  }

  async get(id: string): Promise<Watchlist> {
    const found = await this.deps.watchlists.get(id);
    if (!found) throw new NotFoundError(`No watchlist with id ${id}.`);
    return found;
  }

  async create(input: z.input<typeof createWatchlistSchema>, actor: Principal, meta: RequestMeta): Promise<Watchlist> {
    const w: CreateWatchlistInput = parse(createWatchlistSchema, input, 'watchlist');
    const created = await this.deps.watchlists.create({
      name: w.name,
      kind: w.kind,
      level: w.level,
      covert: w.covert,
      tolerance: w.kind === 'plate' ? w.tolerance : 0,
      ignoreProvince: w.kind === 'plate' ? w.ignoreProvince : false,
      threshold: w.kind === 'face' ? (w.threshold ?? DEFAULT_FACE_THRESHOLD) : null,
      active: w.active,
      validFrom: w.validFrom ?? null,
      validTo: w.validTo ?? null,
      ownerId: actor.userId,
    });
    await this.announce(actor, meta, 'watchlist.create', created.id, { name: created.name, kind: created.kind, level: created.level, covert: created.covert });
    return created;
  }

  async update(id: string, input: z.input<typeof updateWatchlistSchema>, actor: Principal, meta: RequestMeta): Promise<Watchlist> {
    const c: UpdateWatchlistInput = parse(updateWatchlistSchema, input, 'watchlist change');
    const before = await this.get(id);
    const from = c.validFrom !== undefined ? c.validFrom : before.validFrom ? new Date(before.validFrom) : null;
    const to = c.validTo !== undefined ? c.validTo : before.validTo ? new Date(before.validTo) : null;
    if (from && to && to <= from) throw new ValidationError('The watchlist change is not valid.', [{ path: 'validTo', message: 'must be after validFrom' }]);
    if (before.kind === 'face' && (c.tolerance !== undefined || c.ignoreProvince !== undefined)) {
      throw new ValidationError('Tolerance and ignoreProvince apply to plate lists only.', [{ path: c.tolerance !== undefined ? 'tolerance' : 'ignoreProvince', message: 'plate lists only' }]);
    }
    if (before.kind === 'plate' && c.threshold !== undefined) throw new ValidationError('A threshold applies to face lists only.', [{ path: 'threshold', message: 'face lists only' }]);
    const updated = await this.deps.watchlists.update(id, c);
    if (!updated) throw new NotFoundError(`No watchlist with id ${id}.`);
    await this.announce(actor, meta, 'watchlist.update', id, { changed: Object.keys(c) });
    return updated;
  }

  /** Deletes the list, or only deactivates it when alerts refer to it. */
  async remove(id: string, actor: Principal, meta: RequestMeta): Promise<{ id: string; result: 'deleted' | 'deactivated' }> {
    const result = await this.deps.watchlists.remove(id);
    if (!result) throw new NotFoundError(`No watchlist with id ${id}.`);
    await this.announce(actor, meta, `watchlist.${result === 'deleted' ? 'delete' : 'deactivate'}`, id, {});
    return { id, result };
  }

  async listEntries(id: string, query: { q?: string; limit: number; offset: number }): Promise<EntryPage> {
    await this.get(id);
    return this.deps.watchlists.listEntries(id, query);
  }

  /** Check one entry against its list's kind; plate patterns are normalised. Returns the error text or the entry. */
  private checkEntry(list: Watchlist, e: Partial<CreateEntryInput>, creating: boolean): { ok: true; entry: Partial<NewEntry> } | { ok: false; path: string; error: string } {
    const out: Partial<NewEntry> = {};
    if (list.kind === 'plate') {
      if (e.personName !== undefined) return { ok: false, path: 'personName', error: 'a plate list holds plates, not persons' };
      if (e.plate !== undefined || creating) {
        const parsed = parsePlatePattern(e.plate ?? '');
        if (!parsed.ok) return { ok: false, path: 'plate', error: parsed.reason };
        out.plate = parsed.pattern;
      }
    } else {
      if (e.plate !== undefined) return { ok: false, path: 'plate', error: 'a face list holds persons, not plates' };
      if (creating && !e.personName) return { ok: false, path: 'personName', error: 'a person needs a name' };
      if (e.personName !== undefined) out.personName = e.personName;
    }
    if (e.reason !== undefined) out.reason = e.reason ?? null;
    if (e.caseNumber !== undefined) out.caseNumber = e.caseNumber ?? null;
    if (e.validFrom !== undefined) out.validFrom = e.validFrom ?? null;
    if (e.validTo !== undefined) out.validTo = e.validTo ?? null;
    return { ok: true, entry: out };
  }

  async createEntry(id: string, input: z.input<typeof createEntrySchema>, actor: Principal, meta: RequestMeta): Promise<WatchlistEntry> {
    const list = await this.get(id);
    const e = parse(createEntrySchema, input, 'entry');
    const checked = this.checkEntry(list, e, true);
    if (!checked.ok) throw new ValidationError(`The entry is not valid: ${checked.error}.`, [{ path: checked.path, message: checked.error }]);
    const [created] = await this.deps.watchlists.createEntries(
      id,
      [{ plate: null, personName: null, reason: null, caseNumber: null, validFrom: null, validTo: null, ...checked.entry }],
      actor.userId,
    );
    await this.announce(actor, meta, 'watchlist_entry.create', created!.id, { watchlistId: id, watchlistName: list.name, plate: created!.plate, personName: created!.personName });
    return created!;
  }

  async updateEntry(id: string, entryId: string, input: z.input<typeof updateEntrySchema>, actor: Principal, meta: RequestMeta): Promise<WatchlistEntry> {
    const list = await this.get(id);
    const c: UpdateEntryInput = parse(updateEntrySchema, input, 'entry change');
    const before = await this.deps.watchlists.getEntry(id, entryId);
    if (!before) throw new NotFoundError(`No entry ${entryId} in watchlist ${id}.`);
    const checked = this.checkEntry(list, c, false);
    if (!checked.ok) throw new ValidationError(`The entry is not valid: ${checked.error}.`, [{ path: checked.path, message: checked.error }]);
    const from = checked.entry.validFrom !== undefined ? checked.entry.validFrom : before.validFrom ? new Date(before.validFrom) : null;
    const to = checked.entry.validTo !== undefined ? checked.entry.validTo : before.validTo ? new Date(before.validTo) : null;
    if (from && to && to <= from) throw new ValidationError('The entry change is not valid.', [{ path: 'validTo', message: 'must be after validFrom' }]);
    const updated = await this.deps.watchlists.updateEntry(id, entryId, checked.entry);
    if (!updated) throw new NotFoundError(`No entry ${entryId} in watchlist ${id}.`);
    await this.announce(actor, meta, 'watchlist_entry.update', entryId, { watchlistId: id, changed: Object.keys(c) });
    return updated;
  }

  async removeEntry(id: string, entryId: string, actor: Principal, meta: RequestMeta): Promise<void> {
    const removed = await this.deps.watchlists.removeEntry(id, entryId);
    if (!removed) throw new NotFoundError(`No entry ${entryId} in watchlist ${id}.`);
    await this.announce(actor, meta, 'watchlist_entry.delete', entryId, { watchlistId: id });
  }

  /**
   * CSV import into a plate list (columns plate,reason,case_number,valid_from,valid_to; a header
   * line first). All or nothing: when any row is wrong nothing is stored and `ok` is false; a dry
   * run only reports.
   */
  async importCsv(id: string, csv: string, dryRun: boolean, actor: Principal, meta: RequestMeta): Promise<{ ok: boolean; report: ImportReport }> {
    const list = await this.get(id);
    if (list.kind !== 'plate') throw new ValidationError('CSV import is for plate lists; enrol persons with photos.', [{ path: '', message: 'plate lists only' }]);
    const rows = parseCsv(csv);
    const header = rows.shift();
    if (!header) throw new ValidationError('The CSV file is empty.', [{ path: '', message: 'empty' }]);
    const columns = header.fields.map((f) => f.trim().toLowerCase());
    const unknown = columns.filter((c) => !(CSV_IMPORT_COLUMNS as readonly string[]).includes(c));
    if (!columns.includes('plate') || unknown.length > 0 || new Set(columns).size !== columns.length) {
      throw new ValidationError(`The first line must name the columns (${CSV_IMPORT_COLUMNS.join(',')}); plate is required.`, [
        { path: `line ${header.line}`, message: unknown.length ? `unknown column ${unknown.join(', ')}` : 'plate column missing or a column repeated' },
      ]);
    }
    if (rows.length > CSV_IMPORT_MAX_ROWS) throw new ValidationError(`At most ${CSV_IMPORT_MAX_ROWS} rows per import.`, [{ path: '', message: 'too many rows' }]);
    const col = (fields: string[], name: string) => {
      const i = columns.indexOf(name);
      return i < 0 ? undefined : fields[i];
    };
    const report: ImportReport = { dryRun, imported: 0, rows: [] };
    const entries: NewEntry[] = [];
    const seen = new Map<string, number>();
    for (const row of rows) {
      const fail = (error: string) => report.rows.push({ line: row.line, ok: false, error });
      if (row.fields.length > columns.length) {
        fail(`${row.fields.length} fields; the header names ${columns.length}`);
        continue;
      }
      const parsed = parsePlatePattern(col(row.fields, 'plate') ?? '');
      if (!parsed.ok) {
        fail(`plate: ${parsed.reason}`);
        continue;
      }
      const validFrom = csvDate(col(row.fields, 'valid_from'));
      const validTo = csvDate(col(row.fields, 'valid_to'));
      if (validFrom === 'invalid' || validTo === 'invalid') {
        fail(`${validFrom === 'invalid' ? 'valid_from' : 'valid_to'}: not a date (use ISO 8601, e.g. 2026-12-31 or 2026-12-31T08:00:00+08:00)`);
        continue;
      }
      if (validFrom && validTo && validTo <= validFrom) {
        fail('valid_to must be after valid_from');
        continue;
      }
      const reason = col(row.fields, 'reason')?.trim() || null;
      const caseNumber = col(row.fields, 'case_number')?.trim() || null;
      if ((reason?.length ?? 0) > 1000 || (caseNumber?.length ?? 0) > 100) {
        fail('reason (1000) or case_number (100) too long');
        continue;
      }
      const dup = seen.get(parsed.pattern);
      if (dup !== undefined) {
        fail(`plate ${parsed.pattern} repeats line ${dup}`);
        continue;
      }
      seen.set(parsed.pattern, row.line);
      report.rows.push({ line: row.line, ok: true });
      entries.push({ plate: parsed.pattern, personName: null, reason, caseNumber, validFrom, validTo });
    }
    const ok = report.rows.every((r) => r.ok);
    if (!ok || dryRun || entries.length === 0) return { ok, report };
    await this.deps.watchlists.createEntries(id, entries, actor.userId);
    report.imported = entries.length;
    await this.announce(actor, meta, 'watchlist.import', id, { rows: entries.length });
    return { ok, report };
  }

  /** Enrol a photo of a person: exactly one face of enough quality, else ValidationError saying why. */
  async addPhoto(id: string, entryId: string, image: Uint8Array, actor: Principal, meta: RequestMeta): Promise<WatchlistEntry> {
    const list = await this.get(id);
    if (list.kind !== 'face') throw new ValidationError('Photos belong to face lists.', [{ path: '', message: 'face lists only' }]);
    const entry = await this.deps.watchlists.getEntry(id, entryId);
    if (!entry) throw new NotFoundError(`No entry ${entryId} in watchlist ${id}.`);
    if (!this.deps.enroller) throw new ValidationError('Face enrolment is not available in this process (no face models).', [{ path: '', message: 'no enroller' }]);
    if (image.length === 0) throw new ValidationError('The photo is empty.', [{ path: '', message: 'empty body' }]);
    const face = await this.deps.enroller.enrol(image);
    const updated = await this.deps.watchlists.addPhoto(id, entryId, {
      embedding: normalizeEmbedding(face.embedding),
      model: face.model,
      quality: face.quality,
    });
    if (!updated) throw new NotFoundError(`No entry ${entryId} in watchlist ${id}.`);
    await this.announce(actor, meta, 'watchlist_entry.photo_add', entryId, { watchlistId: id, model: face.model, quality: face.quality });
    return updated;
  }
}
