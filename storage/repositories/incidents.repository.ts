import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type {
  IncidentEventKind,
  IncidentOutcome,
  IncidentPriority,
  IncidentSource,
  IncidentStatus,
  PlanStepState,
  TimelineEntry,
} from '../../contracts/incidents.ts';
import type { Database, IncidentsTable } from '../schema.ts';
import { defined, iso, isoOrNull, toCount } from './map.ts';

/** What an incident raised from an alert keeps of it (the alert's evidence paths stay with the incident). */
export interface IncidentEvidenceDetail {
  alertId: string;
  cameraId: string | null;
  cameraName: string | null;
  cropPath: string | null;
  framePath: string | null;
  summary: string;
}

/** The copy of an emergency plan an incident keeps (later edits of the plan do not change it). */
export interface IncidentPlanCopy {
  planId: string | null;
  name: string;
  notify: string[];
  resources: Array<{ kind: string; count: number }>;
  cameraCount: number;
}

export interface NewTimelineEntry {
  userId: string | null;
  username: string | null;
  kind: IncidentEventKind;
  detail?: Record<string, unknown>;
}

/** What an incident is given when it is created and keeps as it is stored. */
interface IncidentFields {
  type: string;
  priority: IncidentPriority;
  source: IncidentSource;
  title: string;
  description: string | null;
  latitude: number | null;
  longitude: number | null;
  address: string | null;
  callerName: string | null;
  callerPhone: string | null;
  sourceAlertId: string | null;
  cameraId: string | null;
  evidence: IncidentEvidenceDetail | null;
  sosUnitId: string | null;
  createdBy: string | null;
}

export interface NewIncident extends IncidentFields {
  plan: (IncidentPlanCopy & { steps: string[] }) | null;
}

export interface IncidentRecord extends IncidentFields {
  id: string;
  status: IncidentStatus;
  plan: IncidentPlanCopy | null;
  planSteps: PlanStepState[];
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  outcome: IncidentOutcome | null;
  report: string | null;
  timeline: TimelineEntry[];
}

export interface IncidentFilter {
  status?: IncidentStatus;
  open?: boolean;
  priority?: IncidentPriority;
  type?: string;
}

export interface IncidentPatch {
  type?: string;
  priority?: IncidentPriority;
  title?: string;
  description?: string | null;
  latitude?: number | null;
  longitude?: number | null;
  address?: string | null;
}

export interface CameraPosition {
  id: string;
  name: string;
  status: string;
  latitude: number;
  longitude: number;
  positionFrom: 'camera' | 'site';
}

type Db = Kysely<Database> | Transaction<Database>;

/** Append timeline entries (the table is append-only; the database refuses changes). */
export async function insertTimeline(db: Db, incidentId: string, entries: readonly NewTimelineEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await db
    .insertInto('incident_events')
    .values(
      entries.map((e) => ({
        incident_id: incidentId,
        at: sql<Date>`clock_timestamp()`,
        user_id: e.userId,
        username: e.username,
        kind: e.kind,
        detail: JSON.stringify(e.detail ?? {}),
      })),
    )
    .execute();
}

function toRecord(r: Selectable<IncidentsTable>, planSteps: PlanStepState[], timeline: TimelineEntry[]): IncidentRecord {
  return {
    id: r.id,
    type: r.type,
    priority: r.priority as IncidentPriority,
    status: r.status as IncidentStatus,
    source: r.source as IncidentSource,
    title: r.title,
    description: r.description,
    latitude: r.latitude,
    longitude: r.longitude,
    address: r.address,
    callerName: r.caller_name,
    callerPhone: r.caller_phone,
    sourceAlertId: r.source_alert_id,
    cameraId: r.camera_id,
    evidence: (r.evidence as unknown as IncidentEvidenceDetail | null) ?? null,
    sosUnitId: r.sos_unit_id,
    plan: (r.plan as unknown as IncidentPlanCopy | null) ?? null,
    planSteps,
    createdBy: r.created_by,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
    closedAt: isoOrNull(r.closed_at),
    outcome: r.outcome as IncidentOutcome | null,
    report: r.report,
    timeline,
  };
}

/**
 * Incidents (never deleted), their timeline (append-only, ordered by seq) and the checklist of
 * their emergency plan. Every change appends to the timeline in the same transaction.
 */
export class IncidentsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async create(input: NewIncident, entries: readonly NewTimelineEntry[]): Promise<IncidentRecord> {
    const id = await this.db.transaction().execute(async (trx) => {
      const { plan } = input;
      const row = await trx
        .insertInto('incidents')
        .values({
          type: input.type,
          priority: input.priority,
          source: input.source,
          title: input.title,
          description: input.description,
          latitude: input.latitude,
          longitude: input.longitude,
          address: input.address,
          caller_name: input.callerName,
          caller_phone: input.callerPhone,
          source_alert_id: input.sourceAlertId,
          camera_id: input.cameraId,
          evidence: input.evidence ? JSON.stringify(input.evidence) : null,
          sos_unit_id: input.sosUnitId,
          plan: plan ? JSON.stringify({ planId: plan.planId, name: plan.name, notify: plan.notify, resources: plan.resources, cameraCount: plan.cameraCount }) : null,
          created_by: input.createdBy,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      if (plan && plan.steps.length > 0) {
        await trx
          .insertInto('incident_plan_steps')
          .values(plan.steps.map((text, i) => ({ incident_id: row.id, step_index: i, text })))
          .execute();
      }
      await insertTimeline(trx, row.id, entries);
      return row.id;
    });
    return (await this.get(id))!;
  }

  private async planSteps(ids: readonly string[]): Promise<Map<string, PlanStepState[]>> {
    const out = new Map<string, PlanStepState[]>();
    if (ids.length === 0) return out;
    const rows = await this.db.selectFrom('incident_plan_steps').selectAll().where('incident_id', 'in', [...ids]).orderBy('incident_id').orderBy('step_index').execute();
    for (const r of rows) {
      const list = out.get(r.incident_id) ?? [];
      list.push({ index: r.step_index, text: r.text, doneAt: isoOrNull(r.done_at), doneBy: r.done_by, doneByName: r.done_by_name });
      out.set(r.incident_id, list);
    }
    return out;
  }

  async timeline(incidentId: string): Promise<TimelineEntry[]> {
    const rows = await this.db.selectFrom('incident_events').selectAll().where('incident_id', '=', incidentId).orderBy('seq').execute();
    return rows.map((e) => ({
      seq: Number(e.seq),
      at: iso(e.at),
      userId: e.user_id,
      username: e.username,
      kind: e.kind as IncidentEventKind,
      detail: e.detail ?? {},
    }));
  }

  async get(id: string): Promise<IncidentRecord | undefined> {
    const row = await this.db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return undefined;
    const [steps, timeline] = await Promise.all([this.planSteps([id]), this.timeline(id)]);
    return toRecord(row, steps.get(id) ?? [], timeline);
  }

  /** Newest first, without timelines. */
  async list(filter: IncidentFilter, page: { limit: number; offset: number }): Promise<{ items: IncidentRecord[]; total: number }> {
    let q = this.db.selectFrom('incidents');
    if (filter.status) q = q.where('status', '=', filter.status);
    if (filter.open === true) q = q.where('status', '<>', 'closed');
    if (filter.open === false) q = q.where('status', '=', 'closed');
    if (filter.priority) q = q.where('priority', '=', filter.priority);
    if (filter.type) q = q.where('type', '=', filter.type);
    const [rows, count] = await Promise.all([
      q.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(page.limit).offset(page.offset).execute(),
      q.select((eb) => eb.fn.countAll().as('n')).executeTakeFirst(),
    ]);
    const steps = await this.planSteps(rows.map((r) => r.id));
    return { items: rows.map((r) => toRecord(r, steps.get(r.id) ?? [], [])), total: toCount(count?.n) };
  }

  /**
   * Change an incident that is not closed, and append to its timeline (entries built from the
   * current row, so that they can name what changed from what). 'missing' or 'closed' otherwise.
   */
  async change(
    id: string,
    build: (current: IncidentRecord) => { patch: IncidentPatch & { status?: IncidentStatus; outcome?: IncidentOutcome; report?: string; closedAt?: Date }; entries: NewTimelineEntry[] },
  ): Promise<{ ok: true; incident: IncidentRecord } | { ok: false; reason: 'missing' | 'closed' } | { ok: false; reason: 'active'; count: number }> {
    const done = await this.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('incidents').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
      if (!row) return { ok: false as const, reason: 'missing' as const };
      if (row.status === 'closed') return { ok: false as const, reason: 'closed' as const };
      const { patch, entries } = build(toRecord(row, [], []));
      if (patch.status === 'closed') {
        // New dispatches lock the incident row first, so this count holds until the commit.
        const count = await this.activeDispatchCount(id, trx);
        if (count > 0) return { ok: false as const, reason: 'active' as const, count };
      }
      const set = defined({
        type: patch.type,
        priority: patch.priority,
        title: patch.title,
        description: patch.description,
        latitude: patch.latitude,
        longitude: patch.longitude,
        address: patch.address,
        status: patch.status,
        outcome: patch.outcome,
        report: patch.report,
        closed_at: patch.closedAt,
      });
      if (Object.keys(set).length > 0) await trx.updateTable('incidents').set(set).where('id', '=', id).execute();
      else await trx.updateTable('incidents').set({ updated_at: new Date() }).where('id', '=', id).execute();
      await insertTimeline(trx, id, entries);
      return { ok: true as const };
    });
    if (!done.ok) return done;
    return { ok: true, incident: (await this.get(id))! };
  }

  /** Active dispatches of an incident (a closed incident has none). */
  async activeDispatchCount(id: string, db: Db = this.db): Promise<number> {
    const r = await db
      .selectFrom('dispatches')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('incident_id', '=', id)
      .where('status', 'in', ['sent', 'accepted', 'en_route', 'on_scene'])
      .executeTakeFirst();
    return toCount(r?.n);
  }

  /**
   * Tick step `index` of the incident's plan (once), appending it to the timeline. 'missing': no
   * incident or no such step; 'closed'; 'done': ticked already.
   */
  async tickStep(
    id: string,
    index: number,
    by: { userId: string; username: string },
  ): Promise<{ ok: true; incident: IncidentRecord } | { ok: false; reason: 'missing' | 'closed' | 'done' }> {
    const done = await this.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('incidents').select(['status']).where('id', '=', id).forUpdate().executeTakeFirst();
      if (!row) return { ok: false as const, reason: 'missing' as const };
      if (row.status === 'closed') return { ok: false as const, reason: 'closed' as const };
      const step = await trx.selectFrom('incident_plan_steps').selectAll().where('incident_id', '=', id).where('step_index', '=', index).executeTakeFirst();
      if (!step) return { ok: false as const, reason: 'missing' as const };
      if (step.done_at) return { ok: false as const, reason: 'done' as const };
      await trx
        .updateTable('incident_plan_steps')
        .set({ done_at: sql<Date>`clock_timestamp()`, done_by: by.userId, done_by_name: by.username })
        .where('incident_id', '=', id)
        .where('step_index', '=', index)
        .execute();
      await trx.updateTable('incidents').set({ updated_at: new Date() }).where('id', '=', id).execute();
      await insertTimeline(trx, id, [{ userId: by.userId, username: by.username, kind: 'plan_step', detail: { index, text: step.text } }]);
      return { ok: true as const };
    });
    if (!done.ok) return done;
    return { ok: true, incident: (await this.get(id))! };
  }

  /** A camera's position, else its site's; null when neither has one. */
  async cameraLocation(cameraId: string): Promise<{ latitude: number; longitude: number } | null> {
    const r = await this.db
      .selectFrom('cameras as c')
      .leftJoin('sites as s', 's.id', 'c.site_id')
      .select(['c.latitude as clat', 'c.longitude as clon', 's.latitude as slat', 's.longitude as slon'])
      .where('c.id', '=', cameraId)
      .executeTakeFirst();
    if (!r) return null;
    if (r.clat !== null && r.clon !== null) return { latitude: r.clat, longitude: r.clon };
    if (r.slat !== null && r.slon !== null) return { latitude: r.slat, longitude: r.slon };
    return null;
  }

  /** Enabled cameras with a position of their own or of their site. */
  async cameraPositions(): Promise<CameraPosition[]> {
    const rows = await this.db
      .selectFrom('cameras as c')
      .leftJoin('sites as s', 's.id', 'c.site_id')
      .select(['c.id', 'c.name', 'c.status', 'c.latitude as clat', 'c.longitude as clon', 's.latitude as slat', 's.longitude as slon'])
      .where('c.enabled', '=', true)
      .where((eb) => eb.or([eb('c.latitude', 'is not', null), eb('s.latitude', 'is not', null)]))
      .execute();
    return rows.map((r) => {
      const own = r.clat !== null && r.clon !== null;
      return { id: r.id, name: r.name, status: r.status, latitude: own ? r.clat! : r.slat!, longitude: own ? r.clon! : r.slon!, positionFrom: own ? 'camera' : 'site' };
    });
  }
}
