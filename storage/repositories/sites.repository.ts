import type { Kysely } from 'kysely';
import type { CreateSiteRequest, Site } from '../../contracts/api.ts';
import { ConflictError, ValidationError } from '../../contracts/errors.ts';
import { isHalfPositionError, isPgError, PG_UNIQUE_VIOLATION } from '../pg-errors.ts';
import type { Database, SiteRow } from '../schema.ts';
import { defined, iso } from './map.ts';

export type NewSite = CreateSiteRequest;
export type SitePatch = Partial<CreateSiteRequest>;

function toSite(row: SiteRow): Site {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind as Site['kind'],
    code: row.code,
    latitude: row.latitude,
    longitude: row.longitude,
    createdAt: iso(row.created_at),
  };
}

/** Checkpoints, virtual checkpoints, stations and areas that cameras belong to. */
export class SitesRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async create(input: NewSite): Promise<Site> {
    try {
      const row = await this.db
        .insertInto('sites')
        .values({
          name: input.name,
          kind: input.kind,
          code: input.code ?? null,
          latitude: input.latitude ?? null,
          longitude: input.longitude ?? null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toSite(row);
    } catch (err) {
      throw this.mapError(err, input.code);
    }
  }

  /** Ordered by name. */
  async list(): Promise<Site[]> {
    const rows = await this.db.selectFrom('sites').selectAll().orderBy('name').orderBy('id').execute();
    return rows.map(toSite);
  }

  async findById(id: string): Promise<Site | undefined> {
    const row = await this.db.selectFrom('sites').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toSite(row);
  }

  async update(id: string, patch: SitePatch): Promise<Site | undefined> {
    const values = defined({
      name: patch.name,
      kind: patch.kind,
      code: patch.code,
      latitude: patch.latitude,
      longitude: patch.longitude,
    });
    if (Object.keys(values).length === 0) return this.findById(id);
    try {
      const row = await this.db.updateTable('sites').set(values).where('id', '=', id).returningAll().executeTakeFirst();
      return row && toSite(row);
    } catch (err) {
      throw this.mapError(err, patch.code);
    }
  }

  /** Cameras of a deleted site stay, with no site. */
  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('sites').where('id', '=', id).executeTakeFirst();
    return r.numDeletedRows > 0n;
  }

  private mapError(err: unknown, code: string | null | undefined): unknown {
    if (isPgError(err, PG_UNIQUE_VIOLATION, 'sites_code_key')) return new ConflictError(`Site code ${code} is already used by another site`);
    if (isHalfPositionError(err)) return new ValidationError('Give both latitude and longitude, or neither.', [{ path: 'latitude', message: 'latitude and longitude go together' }]);
    return err;
  }
}
