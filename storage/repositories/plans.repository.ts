import type { Kysely, Selectable } from 'kysely';
import type { EmergencyPlan } from '../../contracts/incidents.ts';
import type { Role } from '../../contracts/roles.ts';
import type { Database, EmergencyPlansTable } from '../schema.ts';
import { isPgError, PG_UNIQUE_VIOLATION } from '../pg-errors.ts';
import { defined, iso } from './map.ts';

export interface NewPlan {
  incidentType: string;
  name: string;
  steps: string[];
  notify: Role[];
  resources: EmergencyPlan['resources'];
  cameraCount: number;
  active: boolean;
  createdBy: string | null;
}

function toPlan(r: Selectable<EmergencyPlansTable>): EmergencyPlan {
  return {
    id: r.id,
    incidentType: r.incident_type,
    name: r.name,
    steps: r.steps as string[],
    notify: r.notify as Role[],
    resources: r.resources as EmergencyPlan['resources'],
    cameraCount: r.camera_count,
    active: r.active,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

/** Emergency plans (预案): at most one active plan per incident type (a unique index). */
export class PlansRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async list(): Promise<EmergencyPlan[]> {
    const rows = await this.db.selectFrom('emergency_plans').selectAll().orderBy('incident_type').orderBy('created_at').execute();
    return rows.map(toPlan);
  }

  async get(id: string): Promise<EmergencyPlan | undefined> {
    const r = await this.db.selectFrom('emergency_plans').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toPlan(r) : undefined;
  }

  async activeFor(incidentType: string): Promise<EmergencyPlan | undefined> {
    const r = await this.db.selectFrom('emergency_plans').selectAll().where('incident_type', '=', incidentType).where('active', '=', true).executeTakeFirst();
    return r ? toPlan(r) : undefined;
  }

  /** 'conflict': the type has an active plan already. */
  async create(p: NewPlan): Promise<EmergencyPlan | 'conflict'> {
    try {
      const r = await this.db
        .insertInto('emergency_plans')
        .values({
          incident_type: p.incidentType,
          name: p.name,
          steps: JSON.stringify(p.steps),
          notify: p.notify,
          resources: JSON.stringify(p.resources),
          camera_count: p.cameraCount,
          active: p.active,
          created_by: p.createdBy,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toPlan(r);
    } catch (err) {
      if (isPgError(err, PG_UNIQUE_VIOLATION)) return 'conflict';
      throw err;
    }
  }

  async update(id: string, patch: Partial<Omit<NewPlan, 'incidentType' | 'createdBy'>>): Promise<EmergencyPlan | 'missing' | 'conflict'> {
    const set = defined({
      name: patch.name,
      steps: patch.steps ? JSON.stringify(patch.steps) : undefined,
      notify: patch.notify,
      resources: patch.resources ? JSON.stringify(patch.resources) : undefined,
      camera_count: patch.cameraCount,
      active: patch.active,
    });
    try {
      const r = await this.db
        .updateTable('emergency_plans')
        .set(Object.keys(set).length ? set : { updated_at: new Date() })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return r ? toPlan(r) : 'missing';
    } catch (err) {
      if (isPgError(err, PG_UNIQUE_VIOLATION)) return 'conflict';
      throw err;
    }
  }

  /** Incidents keep their copy of a plan, so deleting one changes no incident. */
  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('emergency_plans').where('id', '=', id).returning('id').executeTakeFirst();
    return r !== undefined;
  }
}
