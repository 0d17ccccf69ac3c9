import type { UnitsService } from '../../command-ui/server/services/units.service.ts';
import type { Logger } from '../../config/logger.ts';
import { haversineMetres, type LatLon } from '../../contracts/geo.ts';
import type { Unit } from '../../contracts/incidents.ts';
import type { AuditRepository } from '../../storage/repositories/audit.repository.ts';
import type { UnitsRepository } from '../../storage/repositories/units.repository.ts';
import { FLEET_ROUTES, FLEET_UNITS, nearestOnRoute, positionAlong, routeLength, speedOf, stepTowards, type FleetUnitSpec } from './fleet-routes.ts';

/** Simulated GPS accuracy reported with each fix, metres. */
const SIMULATED_ACCURACY_METRES = 5;
/** Farther than this from its route, an available unit first drives straight back to it. */
const ON_ROUTE_METRES = 2;

export interface DemoFleet {
  /** One simulation step (the timer calls it; tests may too). */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The simulated demo fleet (config `demo.fleet`): creates the demo units once (by call sign; a unit
 * with that call sign already there is left as it is), then every `tickMs` moves them and reports
 * their positions through `UnitsService.feedPositions`, the path an AVL/GPS gateway uses (the
 * tablet's path needs a logged-in officer linked to the unit): the fixes are stored in the history,
 * `unit.updated` is pushed and staleness works as for real units.
 *
 * - available: drives along its route (vehicles ~30 km/h, on foot ~5 km/h), wrapping around the loop;
 *   off its route (after a dispatch) it drives straight back to the nearest point of it first.
 * - dispatched / en_route: drives towards its incident in a straight line at its speed (no road
 *   network) and stops there. Dispatch statuses are never changed: officers do that.
 * - on_scene / busy: stays where it is (the fix is repeated, so it does not go stale).
 * - off_duty: nothing is reported.
 * - linked to users (a real tablet reports its position), or not one of the demo call signs: never touched.
 *
 * Simulated time per step equals `tickMs`, so a shorter tick only makes the fleet move in smaller steps.
 */
export async function startDemoFleet(deps: {
  units: UnitsService;
  unitsRepo: UnitsRepository;
  audit: AuditRepository;
  /** The location of the incident of an active dispatch, null when it has none. */
  dispatchTarget: (dispatchId: string) => Promise<LatLon | null>;
  tickMs: number;
  log: Logger;
}): Promise<DemoFleet> {
  const { log } = deps;
  const specs = new Map<string, FleetUnitSpec>(FLEET_UNITS.map((s) => [s.callSign, s]));
  /** Metres along its route, per unit id (in memory; re-found from the position after a restart). */
  const along = new Map<string, number>();

  const existing = new Set((await deps.units.list()).map((u) => u.callSign));
  let created = 0;
  for (const spec of FLEET_UNITS) {
    if (existing.has(spec.callSign)) continue;
    const r = await deps.unitsRepo.create({ callSign: spec.callSign, kind: spec.kind, members: spec.members, capabilities: spec.capabilities, userIds: [], status: 'available' });
    if (!r.ok) continue; // created meanwhile by another process
    created += 1;
    const unit = deps.units.view(r.unit);
    await deps.audit.append({ userId: null, username: 'demo', action: 'unit.create', targetType: 'unit', targetId: unit.id, detail: { callSign: unit.callSign, kind: unit.kind, demo: true } });
    deps.units.publish(unit);
  }
  if (created) log.info({ units: created }, 'demo fleet units added');

  const nextPosition = async (unit: Unit, spec: FleetUnitSpec, step: number): Promise<LatLon | null> => {
    const route = FLEET_ROUTES[spec.route]!;
    const here = unit.position;
    switch (unit.status) {
      case 'off_duty':
        return null;
      case 'on_scene':
      case 'busy':
        return here;
      case 'dispatched':
      case 'en_route': {
        if (!here) return null;
        const target = unit.activeDispatchId ? await deps.dispatchTarget(unit.activeDispatchId) : null;
        return target ? stepTowards(here, target, step) : here;
      }
      case 'available': {
        if (!here) {
          const start = spec.start * routeLength(route);
          along.set(unit.id, start);
          return positionAlong(route, start);
        }
        let d = along.get(unit.id);
        const onRoute = d !== undefined ? positionAlong(route, d) : null;
        if (d === undefined || !onRoute || haversineMetres(here, onRoute) > ON_ROUTE_METRES) {
          const nearest = nearestOnRoute(route, here);
          d = nearest.along;
          along.set(unit.id, d);
          if (nearest.distance > ON_ROUTE_METRES) return stepTowards(here, positionAlong(route, d), step);
        }
        d += step;
        along.set(unit.id, d % routeLength(route));
        return positionAlong(route, d);
      }
    }
  };

  const tick = async () => {
    const units = (await deps.units.list()).filter((u) => specs.has(u.callSign) && u.userIds.length === 0);
    const at = new Date();
    const positions = [];
    for (const unit of units) {
      const spec = specs.get(unit.callSign)!;
      const p = await nextPosition(unit, spec, (speedOf(unit.kind) * deps.tickMs) / 1000);
      if (p) positions.push({ unitId: unit.id, latitude: p.latitude, longitude: p.longitude, accuracy: SIMULATED_ACCURACY_METRES, at });
    }
    if (positions.length) await deps.units.feedPositions({ positions });
  };

  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> = Promise.resolve();
  const loop = () => {
    if (stopped) return;
    running = tick()
      .catch((err: unknown) => log.warn({ err: (err as Error).message }, 'demo fleet step failed'))
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, deps.tickMs);
      });
  };
  loop();
  log.info({ units: FLEET_UNITS.length, tickMs: deps.tickMs }, 'demo fleet started');

  return {
    tick,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
