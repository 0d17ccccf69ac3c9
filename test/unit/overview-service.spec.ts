import { describe, expect, it } from 'vitest';
import { hourBuckets, OverviewService } from '../../command-ui/server/services/overview.service.ts';
import type { Principal } from '../../command-ui/server/services/auth.service.ts';
import type { OverviewCounts, OverviewRepository } from '../../storage/repositories/overview.repository.ts';

const HOUR = 3_600_000;
const NOW = new Date('2026-03-07T10:25:00Z');
const CURRENT = Math.floor(NOW.getTime() / HOUR);

/** A strict fake: records what it was asked, answers fixed counts. */
class FakeOverview {
  calls: string[] = [];
  async counts(options: { staleBefore: Date; hideCovert: boolean }): Promise<OverviewCounts> {
    this.calls.push(`counts stale<${options.staleBefore.toISOString()} hideCovert=${options.hideCovert}`);
    return {
      incidentsByPriority: new Map([['P1', 2], ['P3', 1]]),
      unitsByStatus: new Map([['available', 3], ['stale', 2], ['off_duty', 1]]),
      alertsNewByLevel: new Map([['red', 4]]),
      cameras: { total: 9, offline: 2 },
    };
  }
  async incidentsPerHour(from: Date, to: Date) {
    this.calls.push(`incidents ${from.toISOString()}..${to.toISOString()}`);
    return [{ hour: CURRENT, count: 2 }];
  }
  async alertsPerHour(from: Date, to: Date, options: { hideCovert: boolean }) {
    this.calls.push(`alerts ${from.toISOString()}..${to.toISOString()} hideCovert=${options.hideCovert}`);
    return [{ hour: CURRENT - 23, count: 5 }, { hour: CURRENT - 24, count: 99 }];
  }
}

const principal = (roles: Principal['roles']): Principal => ({ userId: 'u', username: 'u', roles, sessionId: 's' });

describe('command-centre overview', () => {
  it('fills 24 hourly buckets ending with the current hour, empty hours included, nothing outside', () => {
    const hours = hourBuckets(NOW, [{ hour: CURRENT, count: 2 }], [{ hour: CURRENT - 23, count: 5 }, { hour: CURRENT - 24, count: 99 }]);
    expect(hours).toHaveLength(24);
    expect(hours[0]).toEqual({ at: '2026-03-06T11:00:00.000Z', incidents: 0, alerts: 5 });
    expect(hours[23]).toEqual({ at: '2026-03-07T10:00:00.000Z', incidents: 2, alerts: 0 });
    expect(hours.reduce((s, h) => s + h.alerts, 0)).toBe(5);
  });

  it('asks for the 24 whole hours and the stale cut-off, hiding covert alerts from a dispatcher', async () => {
    const fake = new FakeOverview();
    const service = new OverviewService({ overview: fake as unknown as OverviewRepository, config: { staleAfterSeconds: 30 }, now: () => NOW });
    const o = await service.get(principal(['dispatcher']));
    expect(fake.calls).toEqual([
      'counts stale<2026-03-07T10:24:30.000Z hideCovert=true',
      'incidents 2026-03-06T11:00:00.000Z..2026-03-07T11:00:00.000Z',
      'alerts 2026-03-06T11:00:00.000Z..2026-03-07T11:00:00.000Z hideCovert=true',
    ]);
    expect(o.incidents).toEqual({ P1: 2, P2: 0, P3: 1, P4: 0, total: 3 });
    expect(o.units).toEqual({ available: 3, dispatched: 0, en_route: 0, on_scene: 0, busy: 0, off_duty: 1, stale: 2, total: 6 });
    expect(o.alertsAwaiting).toEqual({ red: 4, orange: 0, yellow: 0, blue: 0, total: 4 });
    expect(o.cameras).toEqual({ total: 9, offline: 2 });
  });

  it('leaves out what a role may not see', async () => {
    const fake = new FakeOverview();
    const service = new OverviewService({ overview: fake as unknown as OverviewRepository, config: { staleAfterSeconds: 30 }, now: () => NOW });
    const analyst = await service.get(principal(['analyst']));
    expect(analyst.incidents).toBeNull();
    expect(analyst.units).toBeNull();
    expect(analyst.hours.every((h) => h.incidents === 0)).toBe(true);
    expect(fake.calls.some((c) => c.startsWith('incidents'))).toBe(false);
    const admin = await new OverviewService({ overview: new FakeOverview() as unknown as OverviewRepository, config: { staleAfterSeconds: 30 }, now: () => NOW }).get(principal(['admin']));
    expect(admin.alertsAwaiting?.total).toBe(4);
  });
});
