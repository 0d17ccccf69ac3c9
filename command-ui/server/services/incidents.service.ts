import type { Logger } from '../../../config/logger.ts';
import type { AlertLevel } from '../../../contracts/watchlists.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../../contracts/errors.ts';
import { rankByDistance } from '../../../contracts/geo.ts';
import type {
  CloseIncidentRequest,
  CreateIncidentRequest,
  CreatePlanRequest,
  EmergencyPlan,
  Incident,
  IncidentFromAlertRequest,
  IncidentPage,
  IncidentPriority,
  IncidentQuery,
  IncidentSummary,
  IncidentType,
  PositionReport,
  UpdateIncidentRequest,
  UpdatePlanRequest,
} from '../../../contracts/incidents.ts';
import { hasPermission } from '../../../contracts/roles.ts';
import type { EvidencePart, EvidenceStore } from '../../../storage/evidence-store.ts';
import type { AlertsRepository } from '../../../storage/repositories/alerts.repository.ts';
import type { AuditRepository } from '../../../storage/repositories/audit.repository.ts';
import type { AuditAction } from '../../../contracts/audit.ts';
import type { DispatchesRepository } from '../../../storage/repositories/dispatches.repository.ts';
import type { IncidentRecord, IncidentsRepository, NewIncident, NewTimelineEntry } from '../../../storage/repositories/incidents.repository.ts';
import type { PlansRepository } from '../../../storage/repositories/plans.repository.ts';
import type { Principal, RequestMeta } from './auth.service.ts';
import type { EventBus } from './event-bus.ts';
import { COMMAND_ROOMS, type UnitsService } from './units.service.ts';

/** An alert's level gives the incident's priority. */
export const PRIORITY_FOR_LEVEL: Readonly<Record<AlertLevel, IncidentPriority>> = { red: 'P1', orange: 'P2', yellow: 'P3', blue: 'P4' };
const DEFAULT_CAMERA_COUNT = 4;

export function toIncident(r: IncidentRecord): Incident {
  const ev = r.evidence;
  const url = (part: EvidencePart) => `/api/incidents/${r.id}/evidence/${part}.jpg`;
  return {
    id: r.id,
    type: r.type,
    priority: r.priority,
    status: r.status,
    source: r.source,
    title: r.title,
    description: r.description,
    location: r.latitude !== null && r.longitude !== null ? { latitude: r.latitude, longitude: r.longitude } : null,
    address: r.address,
    caller: r.callerName !== null || r.callerPhone !== null ? { name: r.callerName, phone: r.callerPhone } : null,
    sourceAlertId: r.sourceAlertId,
    sosUnitId: r.sosUnitId,
    evidence: ev
      ? { alertId: ev.alertId, cameraId: ev.cameraId, cameraName: ev.cameraName, cropUrl: ev.cropPath ? url('crop') : null, frameUrl: ev.framePath ? url('frame') : null, summary: ev.summary }
      : null,
    createdBy: r.createdBy,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    closedAt: r.closedAt,
    outcome: r.outcome,
    report: r.report,
    plan: r.plan ? { ...r.plan, steps: r.planSteps } : null,
    timeline: r.timeline,
  };
}

function summary(r: IncidentRecord): IncidentSummary {
  const { timeline: _timeline, ...rest } = toIncident(r);
  return rest;
}

/**
 * Incidents: created from a 110 call, by hand, from an alert (with its evidence and location) or by
 * a unit's SOS; each change appended to the timeline with its user and time (in the same
 * transaction), audited, stored and then pushed to the command roles. A new incident proposes the
 * active emergency plan of its type; its steps are ticked on the incident. Emergency plans are kept
 * here too.
 */
export class IncidentsService {
  private readonly types: Map<string, IncidentType>;

  constructor(
    private readonly deps: {
      incidents: IncidentsRepository;
      dispatches: DispatchesRepository;
      plans: PlansRepository;
      alerts: AlertsRepository;
      units: UnitsService;
      evidence: EvidenceStore;
      audit: AuditRepository;
      events: EventBus;
      config: { incidentTypes: readonly IncidentType[] };
      log: Logger;
    },
  ) {
    this.types = new Map(deps.config.incidentTypes.map((t) => [t.code, t]));
  }

  incidentTypes(): IncidentType[] {
    return [...this.types.values()];
  }

  private checkType(code: string, path = 'type'): IncidentType {
    const t = this.types.get(code);
    if (!t) throw new ValidationError(`Unknown incident type ${code}.`, [{ path, message: `one of: ${[...this.types.keys()].join(', ')}` }]);
    return t;
  }

  private async audit(actor: Principal | null, meta: RequestMeta | null, action: AuditAction, targetType: string, targetId: string, detail: Record<string, unknown>): Promise<void> {
    await this.deps.audit.append({ userId: actor?.userId ?? null, username: actor?.username ?? null, action, targetType, targetId, detail, ip: meta?.ip ?? null });
  }

  /** Push an incident to the command roles, the roles its plan names and the units sent to it. */
  async publish(event: 'incident.created' | 'incident.updated', incident: Incident): Promise<void> {
    try {
      const units = event === 'incident.updated' ? (await this.deps.dispatches.listForIncident(incident.id)).filter((d) => ['sent', 'accepted', 'en_route', 'on_scene'].includes(d.status)) : [];
      const rooms = new Set([...COMMAND_ROOMS, ...(incident.plan?.notify ?? []).map((r) => `role:${r}`), ...units.map((d) => `unit:${d.unitId}`)]);
      this.deps.events.toRooms([...rooms], event, incident);
    } catch (err) {
      this.deps.log.warn({ err: (err as Error).message, incidentId: incident.id, event }, 'could not push an incident');
    }
  }

  private async create(input: Omit<NewIncident, 'plan'>, actor: Principal | null, meta: RequestMeta | null, extra: Record<string, unknown> = {}): Promise<Incident> {
    const plan = await this.deps.plans.activeFor(input.type);
    const who = { userId: actor?.userId ?? null, username: actor?.username ?? null };
    const entries: NewTimelineEntry[] = [{ ...who, kind: 'created', detail: { source: input.source, type: input.type, priority: input.priority, title: input.title, ...extra } }];
    if (plan) entries.push({ ...who, kind: 'plan_proposed', detail: { planId: plan.id, name: plan.name, steps: plan.steps.length } });
    const record = await this.deps.incidents.create(
      {
        ...input,
        plan: plan ? { planId: plan.id, name: plan.name, notify: plan.notify, resources: plan.resources, cameraCount: plan.cameraCount, steps: plan.steps } : null,
      },
      entries,
    );
    const incident = toIncident(record);
    await this.audit(actor, meta, 'incident.create', 'incident', incident.id, { source: incident.source, type: incident.type, priority: incident.priority, ...extra });
    await this.publish('incident.created', incident);
    this.deps.log.info({ incidentId: incident.id, source: incident.source, type: incident.type, priority: incident.priority }, 'incident created');
    return incident;
  }

  private defaultTitle(type: IncidentType, address: string | null | undefined): string {
    return (address ? `${type.name['zh-CN']} · ${address}` : type.name['zh-CN']).slice(0, 200);
  }

  /** A 110 call (source 'call') or an incident entered by hand. */
  async createFromRequest(input: CreateIncidentRequest, actor: Principal, meta: RequestMeta): Promise<Incident> {
    const type = this.checkType(input.type);
    return this.create(
      {
        type: type.code,
        priority: input.priority,
        source: input.source,
        title: input.title ?? this.defaultTitle(type, input.address),
        description: input.description ?? null,
        latitude: input.location?.latitude ?? null,
        longitude: input.location?.longitude ?? null,
        address: input.address ?? null,
        callerName: input.caller?.name ?? null,
        callerPhone: input.caller?.phone ?? null,
        sourceAlertId: null,
        cameraId: null,
        evidence: null,
        sosUnitId: null,
        createdBy: actor.userId,
      },
      actor,
      meta,
    );
  }

  /** One action on an alert: an incident with its evidence, camera, the camera's (or its site's) position and a priority from its level. */
  async createFromAlert(alertId: string, input: IncidentFromAlertRequest, actor: Principal, meta: RequestMeta): Promise<Incident> {
    const alert = await this.deps.alerts.get(alertId);
    // Covert hits stay with the roles that manage watchlists (as in the alert feed).
    if (!alert || (alert.detail.watchlist.covert && !hasPermission(actor.roles, 'watchlists.manage'))) throw new NotFoundError(`No alert with id ${alertId}.`);
    const typeCode = input?.type ?? (alert.kind === 'plate' && this.types.has('wanted_vehicle') ? 'wanted_vehicle' : 'other');
    const type = this.checkType(typeCode);
    const location = alert.cameraId ? await this.deps.incidents.cameraLocation(alert.cameraId) : null;
    const d = alert.detail;
    const what = alert.kind === 'plate' ? (d.sighting.plateText ?? d.entry.plate ?? '?') : (d.entry.personName ?? '?');
    const summaryText = `${what} · ${d.watchlist.name}${d.entry.reason ? ` · ${d.entry.reason}` : ''}`;
    const where = alert.siteName ?? alert.cameraName;
    return this.create(
      {
        type: type.code,
        priority: input?.priority ?? PRIORITY_FOR_LEVEL[alert.level],
        source: 'alert',
        title: `${type.name['zh-CN']} · ${what}`.slice(0, 200),
        description: input?.description ?? summaryText,
        latitude: location?.latitude ?? null,
        longitude: location?.longitude ?? null,
        address: where ?? null,
        callerName: null,
        callerPhone: null,
        sourceAlertId: alert.id,
        cameraId: alert.cameraId,
        evidence: { alertId: alert.id, cameraId: alert.cameraId, cameraName: alert.cameraName, cropPath: d.cropPath, framePath: d.framePath, summary: summaryText },
        sosUnitId: null,
        createdBy: actor.userId,
      },
      actor,
      meta,
      { alertId: alert.id, level: alert.level },
    );
  }

  /** SOS from a unit's tablet: a P1 incident at the unit's position (given, else its last), pushed to every dispatcher. */
  async sos(unitId: string, body: { note?: string; position?: PositionReport } | undefined, actor: Principal, meta: RequestMeta): Promise<Incident> {
    let unit = await this.deps.units.linkedUnit(unitId, actor);
    if (body?.position) unit = await this.deps.units.reportPosition(unitId, body.position, actor);
    const type = this.types.has('other') ? this.types.get('other')! : this.incidentTypes()[0]!;
    const incident = await this.create(
      {
        type: type.code,
        priority: 'P1',
        source: 'sos',
        title: `SOS ${unit.callSign}`,
        description: body?.note ?? null,
        latitude: unit.position?.latitude ?? null,
        longitude: unit.position?.longitude ?? null,
        address: null,
        callerName: actor.username,
        callerPhone: null,
        sourceAlertId: null,
        cameraId: null,
        evidence: null,
        sosUnitId: unit.id,
        createdBy: actor.userId,
      },
      actor,
      meta,
      { unitId: unit.id, callSign: unit.callSign, positionAt: unit.position?.at ?? null },
    );
    this.deps.log.warn({ incidentId: incident.id, unitId: unit.id, callSign: unit.callSign }, 'SOS');
    return incident;
  }

  async get(id: string): Promise<Incident> {
    const r = await this.deps.incidents.get(id);
    if (!r) throw new NotFoundError(`No incident with id ${id}.`);
    return toIncident(r);
  }

  async list(query: IncidentQuery): Promise<IncidentPage> {
    const page = await this.deps.incidents.list({ status: query.status, open: query.open, priority: query.priority, type: query.type }, { limit: query.limit, offset: query.offset });
    return { items: page.items.map(summary), total: page.total };
  }

  private fail(id: string, reason: 'missing' | 'closed' | 'done' | 'active', what: string): never {
    if (reason === 'active') throw new ConflictError('The incident has active dispatches: clear or cancel them first.');
    if (reason === 'missing') throw new NotFoundError(`No incident with id ${id}${what === 'step' ? ' or no such plan step' : ''}.`);
    if (reason === 'done') throw new ConflictError('This plan step is ticked already.');
    throw new ConflictError(`The incident is closed: it cannot ${what === 'step' ? 'have plan steps ticked' : `be ${what}`}.`);
  }

  async update(id: string, patch: UpdateIncidentRequest, actor: Principal, meta: RequestMeta): Promise<Incident> {
    if (patch.type !== undefined) this.checkType(patch.type);
    const r = await this.deps.incidents.change(id, (cur) => {
      const changes: Record<string, { from: unknown; to: unknown }> = {};
      const note = (k: string, from: unknown, to: unknown) => {
        if (to !== undefined && JSON.stringify(from) !== JSON.stringify(to)) changes[k] = { from, to };
      };
      note('type', cur.type, patch.type);
      note('priority', cur.priority, patch.priority);
      note('title', cur.title, patch.title);
      note('description', cur.description, patch.description);
      note('address', cur.address, patch.address);
      const curLoc = cur.latitude !== null ? { latitude: cur.latitude, longitude: cur.longitude } : null;
      note('location', curLoc, patch.location);
      return {
        patch: {
          type: patch.type,
          priority: patch.priority,
          title: patch.title,
          description: patch.description,
          address: patch.address,
          latitude: patch.location === undefined ? undefined : (patch.location?.latitude ?? null),
          longitude: patch.location === undefined ? undefined : (patch.location?.longitude ?? null),
        },
        entries: Object.keys(changes).length ? [{ userId: actor.userId, username: actor.username, kind: 'updated', detail: changes }] : [],
      };
    });
    if (!r.ok) this.fail(id, r.reason, 'changed');
    const incident = toIncident(r.incident);
    await this.audit(actor, meta, 'incident.update', 'incident', id, { changed: Object.keys(patch) });
    await this.publish('incident.updated', incident);
    return incident;
  }

  async note(id: string, text: string, actor: Principal, meta: RequestMeta): Promise<Incident> {
    const r = await this.deps.incidents.change(id, () => ({ patch: {}, entries: [{ userId: actor.userId, username: actor.username, kind: 'note', detail: { note: text } }] }));
    if (!r.ok) this.fail(id, r.reason, 'noted');
    const incident = toIncident(r.incident);
    await this.audit(actor, meta, 'incident.note', 'incident', id, {});
    await this.publish('incident.updated', incident);
    return incident;
  }

  /** Close with an outcome and a report; every dispatch must be cleared or cancelled first. */
  async close(id: string, input: CloseIncidentRequest, actor: Principal, meta: RequestMeta): Promise<Incident> {
    const r = await this.deps.incidents.change(id, (cur) => ({
      patch: { status: 'closed', outcome: input.outcome, report: input.report, closedAt: new Date() },
      entries: [{ userId: actor.userId, username: actor.username, kind: 'closed', detail: { from: cur.status, outcome: input.outcome, report: input.report } }],
    }));
    if (!r.ok && r.reason === 'active') {
      const n = r.count;
      throw new ConflictError(`The incident has ${n} active dispatch${n === 1 ? '' : 'es'}: clear or cancel ${n === 1 ? 'it' : 'them'} before closing.`);
    }
    if (!r.ok) this.fail(id, r.reason, 'closed again');
    const incident = toIncident(r.incident);
    await this.audit(actor, meta, 'incident.close', 'incident', id, { outcome: input.outcome });
    await this.publish('incident.updated', incident);
    return incident;
  }

  async tickStep(id: string, index: number, actor: Principal, meta: RequestMeta): Promise<Incident> {
    const r = await this.deps.incidents.tickStep(id, index, { userId: actor.userId, username: actor.username });
    if (!r.ok) this.fail(id, r.reason, 'step');
    const incident = toIncident(r.incident);
    await this.audit(actor, meta, 'incident.plan_step', 'incident', id, { index });
    await this.publish('incident.updated', incident);
    return incident;
  }

  /** The incident's nearest cameras (own position, else their site's), nearest first. */
  async cameras(id: string, limit: number | undefined) {
    const incident = await this.get(id);
    if (!incident.location) throw new ConflictError('The incident has no location yet: set one to find its cameras.');
    const n = limit ?? (incident.plan && incident.plan.cameraCount > 0 ? incident.plan.cameraCount : DEFAULT_CAMERA_COUNT);
    const cams = await this.deps.incidents.cameraPositions();
    return rankByDistance(incident.location, cams, (c) => c)
      .slice(0, n)
      .map(({ item, distanceMetres }) => ({ ...item, distanceMetres: Math.round(distanceMetres) }));
  }

  /** The evidence image an incident raised from an alert keeps. */
  async evidence(id: string, part: EvidencePart): Promise<Buffer> {
    const r = await this.deps.incidents.get(id);
    if (!r) throw new NotFoundError(`No incident with id ${id}.`);
    const rel = part === 'crop' ? r.evidence?.cropPath : r.evidence?.framePath;
    const data = rel ? await this.deps.evidence.read(rel) : null;
    if (!data) throw new NotFoundError(`Incident ${id} has no ${part} image${rel ? ' any more' : ''}.`);
    return data;
  }

  // ---------- emergency plans ----------

  async plans(): Promise<EmergencyPlan[]> {
    return this.deps.plans.list();
  }

  async plan(id: string): Promise<EmergencyPlan> {
    const p = await this.deps.plans.get(id);
    if (!p) throw new NotFoundError(`No emergency plan with id ${id}.`);
    return p;
  }

  async createPlan(input: CreatePlanRequest, actor: Principal, meta: RequestMeta): Promise<EmergencyPlan> {
    this.checkType(input.incidentType, 'incidentType');
    const p = await this.deps.plans.create({ ...input, createdBy: actor.userId });
    if (p === 'conflict') throw new ConflictError(`Incident type ${input.incidentType} has an active plan already; deactivate it first.`);
    await this.audit(actor, meta, 'plan.create', 'plan', p.id, { incidentType: p.incidentType, name: p.name });
    return p;
  }

  async updatePlan(id: string, patch: UpdatePlanRequest, actor: Principal, meta: RequestMeta): Promise<EmergencyPlan> {
    const p = await this.deps.plans.update(id, patch);
    if (p === 'missing') throw new NotFoundError(`No emergency plan with id ${id}.`);
    if (p === 'conflict') throw new ConflictError('That incident type has an active plan already; deactivate it first.');
    await this.audit(actor, meta, 'plan.update', 'plan', id, { changed: Object.keys(patch) });
    return p;
  }

  async deletePlan(id: string, actor: Principal, meta: RequestMeta): Promise<void> {
    if (!(await this.deps.plans.delete(id))) throw new NotFoundError(`No emergency plan with id ${id}.`);
    await this.audit(actor, meta, 'plan.delete', 'plan', id, {});
  }
}
