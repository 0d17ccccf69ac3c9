import { sql, type Kysely } from 'kysely';
import type { WallLayout, WallLayoutInput } from '../../contracts/media.ts';
import type { Database } from '../schema.ts';
import { iso } from './map.ts';

/** Video wall layouts, saved per user under a name. */
export class WallLayoutsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async list(userId: string): Promise<WallLayout[]> {
    const rows = await this.db.selectFrom('wall_layouts').selectAll().where('user_id', '=', userId).orderBy('name').execute();
    return rows.map((r) => ({
      name: r.name,
      grid: r.grid as WallLayout['grid'],
      tiles: r.tiles,
      tour: (r.tour as WallLayout['tour']) ?? null,
      updatedAt: iso(r.updated_at),
    }));
  }

  /** Create or replace the layout of that name. */
  async save(userId: string, name: string, layout: WallLayoutInput): Promise<WallLayout> {
    const values = {
      user_id: userId,
      name,
      grid: layout.grid,
      tiles: JSON.stringify(layout.tiles),
      tour: layout.tour ? JSON.stringify(layout.tour) : null,
    };
    const row = await this.db
      .insertInto('wall_layouts')
      .values(values)
      .onConflict((oc) => oc.columns(['user_id', 'name']).doUpdateSet({ grid: values.grid, tiles: values.tiles, tour: values.tour, updated_at: sql`now()` }))
      .returningAll()
      .executeTakeFirstOrThrow();
    return { name: row.name, grid: row.grid as WallLayout['grid'], tiles: row.tiles, tour: (row.tour as WallLayout['tour']) ?? null, updatedAt: iso(row.updated_at) };
  }

  async delete(userId: string, name: string): Promise<boolean> {
    const r = await this.db.deleteFrom('wall_layouts').where('user_id', '=', userId).where('name', '=', name).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
