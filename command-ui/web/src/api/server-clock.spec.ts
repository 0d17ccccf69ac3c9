import { describe, expect, it } from 'vitest';
import { ServerClock } from './server-clock.ts';

const header = (epochMs: number) => new Date(epochMs).toUTCString();

describe('ServerClock', () => {
  it('takes a clock within the header’s second as right', () => {
    const clock = new ServerClock();
    const t = Date.parse('2026-11-22T08:00:00.400Z');
    clock.observe(header(t), t - 20, t + 20);
    expect(clock.offsetMs).toBe(0);
  });

  it('follows a browser clock that is minutes behind the server', () => {
    const clock = new ServerClock();
    const browser = Date.parse('2026-11-22T08:00:00.000Z');
    const server = browser + 3 * 60_000; // the tablet is 3 minutes slow
    clock.observe(header(server), browser - 50, browser + 50);
    expect(Math.abs(clock.offsetMs - 180_000)).toBeLessThanOrEqual(1000);
    expect(Math.abs(clock.now() - (Date.now() + 180_000))).toBeLessThanOrEqual(1100);
  });

  it('smooths a second reading instead of jumping', () => {
    const clock = new ServerClock();
    const browser = Date.parse('2026-11-22T08:00:00.500Z');
    clock.observe(header(browser + 60_000), browser, browser);
    const first = clock.offsetMs;
    clock.observe(header(browser + 70_000), browser, browser); // one reading 10 s further
    expect(clock.offsetMs).toBeGreaterThan(first);
    expect(clock.offsetMs).toBeLessThan(first + 10_000);
  });

  it('ignores replies without a usable Date header', () => {
    const clock = new ServerClock();
    clock.observe(null, 0, 1);
    clock.observe('not a date', 0, 1);
    expect(clock.offsetMs).toBe(0);
  });
});
