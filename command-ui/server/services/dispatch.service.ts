import type { Logger } from '../../../config/logger.ts';
import { ConflictError, ForbiddenError, NotFoundError } from '../../../contracts/errors.ts';
import { DISPATCH_TRANSITIONS, type Candidate, type CandidateQuery, type Dispatch, type DispatchAction } from '../../../contracts/incidents.ts';
import { hasPermission } from '../../../contracts/roles.ts';
import type { AuditRepository } from '../../../storage/repositories/audit.repository.ts';
import type { DispatchesRepository, DispatchFailure } from '../../../storage/repositories/dispatches.repository.ts';
import type { Principal, RequestMeta } from './auth.service.ts';
import type { EventBus } from './event-bus.ts';
import type { IncidentsService } from './incidents.service.ts';
import { COMMAND_ROOMS, type UnitsService } from './units.service.ts';

/** Actions the unit's own officers may take on its dispatch; cancel and reassign are the dispatchers'. */
const UNIT_ACTIONS: readonly DispatchAction[] = ['accept', 'en_route', 'on_scene', 'clear'];

/**
 * Dispatch: the nearest suitable available units for an incident, sending one or several, the
 * unit's accept and status steps (illegal steps are ConflictError), reassign and cancel, and the
 * flag on dispatches not accepted in time. Each step is stored with the unit's and the incident's
 * status and a timeline entry in one transaction, then pushed: to the command roles, the unit's
 * room and its linked users' rooms (the tablet).
 */
export class DispatchService {
  constructor(
    private readonly deps: {
      dispatches: DispatchesRepository;
      incidents: IncidentsService;
      units: UnitsService;
      audit: AuditRepository;
      events: EventBus;
      config: { acceptWithinSeconds: number };
      log: Logger;
    },
  ) {}

  private async publish(event: 'dispatch.created' | 'dispatch.updated', d: Dispatch): Promise<void> {
    try {
      const unit = await this.deps.units.get(d.unitId);
      this.deps.events.toRooms([...new Set([...COMMAND_ROOMS, `unit:${d.unitId}`, ...unit.userIds.map((u) => `user:${u}`)])], event, d);
      this.deps.units.publish(unit);
    } catch (err) {
      this.deps.log.warn({ err: (err as Error).message, dispatchId: d.id, event }, 'could not push a dispatch');
    }
  }

  private async afterChange(incidentId: string): Promise<void> {
    await this.deps.incidents.publish('incident.updated', await this.deps.incidents.get(incidentId));
  }

  private fail(f: DispatchFailure, what: string): never {
    switch (f.reason) {
      case 'missing':
        throw new NotFoundError(`No such ${what}.`);
      case 'closed':
        throw new ConflictError('The incident is closed: no units can be sent to it.');
      case 'unit_missing':
        throw new NotFoundError(`No unit with id ${f.unitId}.`);
      case 'unit_busy':
        throw new ConflictError(`Unit ${f.callSign} is ${f.status}, not available: it cannot be sent.`);
      case 'conflict':
        throw new ConflictError(`The dispatch is ${f.status}: it cannot ${what} from there.`);
    }
  }

  /** Nearest suitable available, not stale units to the incident, with distances in metres. */
  async candidates(incidentId: string, query: CandidateQuery): Promise<Candidate[]> {
    const incident = await this.deps.incidents.get(incidentId);
    if (!incident.location) throw new ConflictError('The incident has no location yet: set one to find the nearest units.');
    return this.deps.units.candidates(incident.location, query);
  }

  async listForIncident(incidentId: string): Promise<Dispatch[]> {
    await this.deps.incidents.get(incidentId);
    return this.deps.dispatches.listForIncident(incidentId);
  }

  /** A unit's dispatches (the tablet's "my dispatch"): its linked users and the command roles. */
  async listForUnit(unitId: string, activeOnly: boolean, actor: Principal): Promise<Dispatch[]> {
    const unit = await this.deps.units.get(unitId);
    if (!hasPermission(actor.roles, 'incidents.manage') && !unit.userIds.includes(actor.userId)) throw new ForbiddenError(`You are not linked to unit ${unit.callSign}.`);
    return this.deps.dispatches.listForUnit(unitId, activeOnly);
  }

  async dispatch(incidentId: string, unitIds: readonly string[], note: string | undefined, actor: Principal, meta: RequestMeta): Promise<Dispatch[]> {
    const r = await this.deps.dispatches.create(incidentId, unitIds, { userId: actor.userId, username: actor.username }, note ?? null);
    if (!r.ok) this.fail(r, 'incident');
    for (const d of r.dispatches) {
      await this.deps.audit.append({ userId: actor.userId, username: actor.username, action: 'dispatch.create', targetType: 'dispatch', targetId: d.id, detail: { incidentId, unitId: d.unitId, callSign: d.callSign }, ip: meta.ip });
      await this.publish('dispatch.created', d);
    }
    this.deps.log.info({ incidentId, units: r.dispatches.map((d) => d.callSign) }, 'units dispatched');
    await this.afterChange(incidentId);
    return r.dispatches;
  }

  private async dispatchOf(incidentId: string, dispatchId: string): Promise<Dispatch> {
    const d = await this.deps.dispatches.get(dispatchId);
    if (!d || d.incidentId !== incidentId) throw new NotFoundError(`No dispatch ${dispatchId} on incident ${incidentId}.`);
    return d;
  }

  /**
   * accept / en_route / on_scene / clear: an officer linked to the unit, or a dispatcher on its behalf
   * (incidents.manage, e.g. a radio report); cancel: dispatchers only.
   */
  async act(incidentId: string, dispatchId: string, action: Exclude<DispatchAction, 'reassign'>, note: string | undefined, actor: Principal, meta: RequestMeta): Promise<Dispatch> {
    const current = await this.dispatchOf(incidentId, dispatchId);
    const manager = hasPermission(actor.roles, 'incidents.manage');
    if (!manager) {
      const unit = await this.deps.units.get(current.unitId);
      if (!unit.userIds.includes(actor.userId)) throw new ForbiddenError(`You are not linked to unit ${unit.callSign}.`);
      if (!UNIT_ACTIONS.includes(action)) throw new ForbiddenError(`Only a dispatcher can ${action} a dispatch.`);
    }
    const r = await this.deps.dispatches.act(dispatchId, action, { userId: actor.userId, username: actor.username }, note ?? null);
    if (!r.ok) {
      if (r.reason === 'conflict') {
        const t = DISPATCH_TRANSITIONS[action];
        throw new ConflictError(`Cannot ${action.replace('_', ' ')}: the dispatch of ${current.callSign} is ${r.status} (allowed from ${t.from.join(', ')}).`);
      }
      this.fail(r, 'dispatch');
    }
    await this.deps.audit.append({ userId: actor.userId, username: actor.username, action: `dispatch.${action}`, targetType: 'dispatch', targetId: dispatchId, detail: { incidentId, from: r.from, to: r.dispatch.status }, ip: meta.ip });
    await this.publish('dispatch.updated', r.dispatch);
    await this.afterChange(incidentId);
    return r.dispatch;
  }

  /** Replace the unit of a dispatch (before it is on scene) by another available unit. */
  async reassign(incidentId: string, dispatchId: string, unitId: string, note: string | undefined, actor: Principal, meta: RequestMeta): Promise<{ old: Dispatch; replacement: Dispatch }> {
    const current = await this.dispatchOf(incidentId, dispatchId);
    if (current.unitId === unitId) throw new ConflictError(`The dispatch is already ${current.callSign}'s.`);
    const r = await this.deps.dispatches.reassign(dispatchId, unitId, { userId: actor.userId, username: actor.username }, note ?? null);
    if (!r.ok) {
      if (r.reason === 'conflict') throw new ConflictError(`Cannot reassign: the dispatch of ${current.callSign} is ${r.status} (allowed from ${DISPATCH_TRANSITIONS.reassign.from.join(', ')}).`);
      this.fail(r, 'dispatch');
    }
    await this.deps.audit.append({ userId: actor.userId, username: actor.username, action: 'dispatch.reassign', targetType: 'dispatch', targetId: dispatchId, detail: { incidentId, from: current.unitId, to: unitId, replacement: r.replacement.id }, ip: meta.ip });
    await this.publish('dispatch.updated', r.old);
    await this.publish('dispatch.created', r.replacement);
    await this.afterChange(incidentId);
    return { old: r.old, replacement: r.replacement };
  }

  /** Flag dispatches not accepted within dispatch.acceptWithinSeconds (the sweep job); pushed again to the dispatchers. */
  async flagOverdue(now = new Date()): Promise<number> {
    const before = new Date(now.getTime() - this.deps.config.acceptWithinSeconds * 1000);
    const flagged = await this.deps.dispatches.flagOverdue(before);
    const incidents = new Set<string>();
    for (const d of flagged) {
      await this.publish('dispatch.updated', d);
      incidents.add(d.incidentId);
    }
    for (const id of incidents) await this.afterChange(id);
    if (flagged.length) this.deps.log.warn({ count: flagged.length, callSigns: flagged.map((d) => d.callSign) }, 'dispatches not accepted in time');
    return flagged.length;
  }
}
