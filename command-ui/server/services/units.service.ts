import type { Logger } from '../../../config/logger.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../../contracts/errors.ts';
import { rankByDistance, type LatLon } from '../../../contracts/geo.ts';
import {
  UNIT_MANUAL_TRANSITIONS,
  type Candidate,
  type CandidateQuery,
  type CreateUnitRequest,
  type ManualUnitStatus,
  type PositionBatch,
  type PositionReport,
  type Unit,
  type UnitKind,
  type UnitPosition,
  type UnitStatus,
  type UpdateUnitRequest,
} from '../../../contracts/incidents.ts';
import { hasPermission, PERMISSIONS, type Role } from '../../../contracts/roles.ts';
import type { AuditRepository } from '../../../storage/repositories/audit.repository.ts';
import type { AuditAction } from '../../../contracts/audit.ts';
import type { PositionFix, UnitRecord, UnitsRepository } from '../../../storage/repositories/units.repository.ts';
import type { Principal, RequestMeta } from './auth.service.ts';
import type { EventBus } from './event-bus.ts';

/** The command roles' rooms: every incident, dispatch and unit change goes there. */
export const COMMAND_ROOMS: readonly string[] = (PERMISSIONS['incidents.manage'] as readonly Role[]).map((r) => `role:${r}`);

/** A fix may be at most this far ahead of the server's clock (device clocks drift a little). */
const MAX_FUTURE_MS = 60_000;

/** Stale: no position at all, or the last one older than `staleAfterSeconds`. */
export function isStale(positionAt: string | null, now: Date, staleAfterSeconds: number): boolean {
  return positionAt === null || now.getTime() - Date.parse(positionAt) > staleAfterSeconds * 1000;
}

export function toUnit(r: UnitRecord, now: Date, staleAfterSeconds: number): Unit {
  const position: UnitPosition | null =
    r.latitude !== null && r.longitude !== null && r.positionAt !== null ? { latitude: r.latitude, longitude: r.longitude, at: r.positionAt, accuracy: r.accuracy } : null;
  return {
    id: r.id,
    callSign: r.callSign,
    kind: r.kind,
    members: r.members,
    capabilities: r.capabilities,
    status: r.status,
    position,
    stale: isStale(r.positionAt, now, staleAfterSeconds),
    userIds: r.userIds,
    activeDispatchId: r.activeDispatchId,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

/** The rooms a unit's pushes go to: the command roles, the unit's room and its linked users' rooms. */
export function unitRooms(unit: Pick<Unit, 'id' | 'userIds'>): string[] {
  return [...COMMAND_ROOMS, `unit:${unit.id}`, ...unit.userIds.map((u) => `user:${u}`)];
}

/**
 * Ranks units for an incident: available, not stale, with every capability asked for (and the kind,
 * when asked), nearest first by great-circle distance.
 */
export function rankCandidates(origin: LatLon, units: readonly Unit[], query: Pick<CandidateQuery, 'capability' | 'kind' | 'limit'>): Candidate[] {
  const suitable = units.filter(
    (u) => u.status === 'available' && !u.stale && u.position !== null && (!query.kind || u.kind === query.kind) && query.capability.every((c) => u.capabilities.includes(c)),
  );
  return rankByDistance(origin, suitable, (u) => u.position)
    .slice(0, query.limit)
    .map(({ item, distanceMetres }) => ({ unit: item, distanceMetres: Math.round(distanceMetres) }));
}

/**
 * Units: patrol cars, officers, fire and medical units. Administrators and dispatchers manage them;
 * the officers linked to a unit report its position and status from its tablet; an HTTP feed (an
 * AVL/GPS gateway) reports positions in bulk. Stale is computed when read.
 */
export class UnitsService {
  constructor(
    private readonly deps: {
      units: UnitsRepository;
      audit: AuditRepository;
      events: EventBus;
      config: { staleAfterSeconds: number };
      log: Logger;
      now?: () => Date;
    },
  ) {}

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  view(r: UnitRecord): Unit {
    return toUnit(r, this.now(), this.deps.config.staleAfterSeconds);
  }

  publish(unit: Unit): void {
    try {
      this.deps.events.toRooms(unitRooms(unit), 'unit.updated', unit);
    } catch (err) {
      this.deps.log.warn({ err: (err as Error).message, unitId: unit.id }, 'could not push a unit');
    }
  }

  private async audit(actor: Principal, meta: RequestMeta, action: AuditAction, unitId: string, detail: Record<string, unknown>): Promise<void> {
    await this.deps.audit.append({ userId: actor.userId, username: actor.username, action, targetType: 'unit', targetId: unitId, detail, ip: meta.ip });
  }

  async list(filter: { status?: UnitStatus; kind?: UnitKind } = {}): Promise<Unit[]> {
    return (await this.deps.units.list(filter)).map((r) => this.view(r));
  }

  async get(id: string): Promise<Unit> {
    const r = await this.deps.units.get(id);
    if (!r) throw new NotFoundError(`No unit with id ${id}.`);
    return this.view(r);
  }

  /** The unit, when the user is linked to it (an officer on its tablet); ForbiddenError otherwise. */
  async linkedUnit(id: string, actor: Principal): Promise<Unit> {
    const unit = await this.get(id);
    if (!unit.userIds.includes(actor.userId)) throw new ForbiddenError(`You are not linked to unit ${unit.callSign}.`);
    return unit;
  }

  /** The ids of the units a user is linked to (the socket gateway joins their rooms). */
  async unitIdsOfUser(userId: string): Promise<string[]> {
    return this.deps.units.unitIdsOfUser(userId);
  }

  private async checkUsers(userIds: readonly string[] | undefined): Promise<void> {
    if (!userIds?.length) return;
    const known = await this.deps.units.existingUsers(userIds);
    const issues = userIds.flatMap((u, i) => (known.has(u) ? [] : [{ path: `userIds.${i}`, message: `no user with id ${u}` }]));
    if (issues.length) throw new ValidationError('Linked users must exist.', issues);
  }

  async create(input: CreateUnitRequest, actor: Principal, meta: RequestMeta): Promise<Unit> {
    await this.checkUsers(input.userIds);
    const r = await this.deps.units.create(input);
    if (!r.ok) throw new ConflictError(`A unit with call sign ${input.callSign} exists already.`);
    const unit = this.view(r.unit);
    await this.audit(actor, meta, 'unit.create', unit.id, { callSign: unit.callSign, kind: unit.kind, userIds: unit.userIds });
    this.publish(unit);
    return unit;
  }

  async update(id: string, patch: UpdateUnitRequest, actor: Principal, meta: RequestMeta): Promise<Unit> {
    await this.checkUsers(patch.userIds);
    const r = await this.deps.units.update(id, patch);
    if (!r.ok) throw r.reason === 'missing' ? new NotFoundError(`No unit with id ${id}.`) : new ConflictError(`A unit with call sign ${patch.callSign} exists already.`);
    const unit = this.view(r.unit);
    await this.audit(actor, meta, 'unit.update', id, { changed: Object.keys(patch) });
    this.publish(unit);
    return unit;
  }

  async delete(id: string, actor: Principal, meta: RequestMeta): Promise<void> {
    const unit = await this.get(id);
    const r = await this.deps.units.delete(id);
    if (r === 'missing') throw new NotFoundError(`No unit with id ${id}.`);
    if (r === 'in_use') throw new ConflictError(`Unit ${unit.callSign} has dispatches on record and cannot be deleted; set it off duty instead.`);
    await this.audit(actor, meta, 'unit.delete', id, { callSign: unit.callSign });
  }

  /**
   * Set available, busy or off duty: by a dispatcher (units.manage) or an officer linked to the
   * unit. A unit on a dispatch follows its dispatch: ConflictError.
   */
  async setStatus(id: string, status: ManualUnitStatus, actor: Principal, meta: RequestMeta): Promise<Unit> {
    const unit = await this.get(id);
    if (!hasPermission(actor.roles, 'units.manage') && !unit.userIds.includes(actor.userId)) {
      throw new ForbiddenError(`You are not linked to unit ${unit.callSign}.`);
    }
    const r = await this.deps.units.setStatus(id, status, (from) => UNIT_MANUAL_TRANSITIONS[from].includes(status));
    if (!r.ok) {
      if (r.reason === 'missing') throw new NotFoundError(`No unit with id ${id}.`);
      const allowed = UNIT_MANUAL_TRANSITIONS[r.status];
      throw new ConflictError(
        allowed.length === 0
          ? `Unit ${unit.callSign} is ${r.status}: its status follows its dispatch; clear or cancel the dispatch first.`
          : `Unit ${unit.callSign} is ${r.status}; from there it can be set to ${allowed.join(', ')}, not ${status}.`,
      );
    }
    const updated = this.view(r.unit);
    await this.audit(actor, meta, 'unit.status', id, { from: r.from, to: status });
    this.publish(updated);
    return updated;
  }

  private fix(unitId: string, p: PositionReport, now: Date): PositionFix {
    const at = p.at ?? now;
    if (at.getTime() > now.getTime() + MAX_FUTURE_MS) throw new ValidationError('A position cannot be from the future.', [{ path: 'at', message: 'more than a minute ahead of the server clock' }]);
    return { unitId, latitude: p.latitude, longitude: p.longitude, accuracy: p.accuracy ?? null, at };
  }

  /** Push the units whose position moved; returns them. */
  private async pushMoved(ids: readonly string[]): Promise<Unit[]> {
    const out: Unit[] = [];
    for (const id of ids) {
      const r = await this.deps.units.get(id);
      if (!r) continue;
      const unit = this.view(r);
      this.publish(unit);
      out.push(unit);
    }
    return out;
  }

  /** A position from the unit's tablet (the user must be linked to the unit). */
  async reportPosition(id: string, report: PositionReport, actor: Principal): Promise<Unit> {
    // Every few seconds from every tablet: one read and one write, and the pushed unit built from them.
    const record = await this.deps.units.get(id);
    if (!record) throw new NotFoundError(`No unit with id ${id}.`);
    if (!record.userIds.includes(actor.userId)) throw new ForbiddenError(`You are not linked to unit ${record.callSign}.`);
    const fix = this.fix(id, report, this.now());
    // An older fix than the unit's current one only goes to the history.
    if (!(await this.deps.units.recordPosition(fix))) return this.view(record);
    const unit = this.view({ ...record, latitude: fix.latitude, longitude: fix.longitude, accuracy: fix.accuracy, positionAt: fix.at.toISOString() });
    this.publish(unit);
    return unit;
  }

  /** Positions in bulk (an AVL/GPS gateway); unknown units are reported back, not an error. */
  async feedPositions(batch: PositionBatch): Promise<{ accepted: number; unknownUnitIds: string[] }> {
    const now = this.now();
    const fixes = batch.positions.map((p, i) => {
      try {
        return this.fix(p.unitId, p, now);
      } catch (err) {
        if (err instanceof ValidationError) throw new ValidationError(err.message, [{ path: `positions.${i}.at`, message: err.issues[0]!.message }]);
        throw err;
      }
    });
    const r = await this.deps.units.recordPositions(fixes);
    await this.pushMoved(r.moved);
    const unknown = new Set(r.unknown);
    return { accepted: fixes.filter((f) => !unknown.has(f.unitId)).length, unknownUnitIds: r.unknown };
  }

  async track(id: string, range: { from?: Date; to?: Date; limit: number }): Promise<UnitPosition[]> {
    await this.get(id);
    return this.deps.units.track(id, range);
  }

  /** Nearest suitable available units to a point. */
  async candidates(origin: LatLon, query: CandidateQuery): Promise<Candidate[]> {
    const units = (await this.deps.units.list({ status: 'available', kind: query.kind, capabilities: query.capability })).map((r) => this.view(r));
    return rankCandidates(origin, units, query);
  }

}
