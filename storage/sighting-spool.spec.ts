import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../config/logger.ts';
import { ValidationError } from '../contracts/errors.ts';
import { isDatabaseUnavailable, mayHaveCommitted, SightingSpool, type SpoolOperation } from './sighting-spool.ts';

const log = createLogger({ log: { level: 'silent', pretty: false } });
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'argus-spool-'));
  dirs.push(d);
  return d;
}

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
function record(n: number): SpoolOperation {
  return {
    op: 'record',
    sighting: { id: id(n), cameraId: id(999), observedAt: new Date(1_700_000_000_000 + n).toISOString(), kind: 'plate', score: 0.9, plate: { text: `京A${n}` }, cropPath: null, framePath: null },
  };
}

describe('isDatabaseUnavailable', () => {
  const err = (props: Record<string, unknown>) => Object.assign(new Error(String(props.message ?? 'x')), props);
  it('says yes for connection failures, no for statement errors', () => {
    expect(isDatabaseUnavailable(err({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:5432' }))).toBe(true);
    expect(isDatabaseUnavailable(err({ message: 'Connection terminated unexpectedly' }))).toBe(true);
    expect(isDatabaseUnavailable(err({ message: 'timeout exceeded when trying to connect' }))).toBe(true);
    expect(isDatabaseUnavailable(err({ code: '57P01', message: 'terminating connection due to administrator command' }))).toBe(true);
    expect(isDatabaseUnavailable(err({ code: '08006', message: 'connection failure' }))).toBe(true);
    expect(isDatabaseUnavailable(new AggregateError([err({ code: 'ECONNREFUSED' })], 'connect failed'))).toBe(true);
    expect(isDatabaseUnavailable(new ValidationError('Camera x does not exist.', [{ path: 'cameraId', message: 'no such camera' }]))).toBe(false);
    expect(isDatabaseUnavailable(err({ code: '23505', message: 'duplicate key value violates unique constraint' }))).toBe(false);
    expect(isDatabaseUnavailable(err({ code: '23514', message: 'new row violates check constraint; connection terminated' }))).toBe(false);
    expect(isDatabaseUnavailable(new Error('boom'))).toBe(false);
  });
  it('knows when the statement was never sent', () => {
    expect(mayHaveCommitted(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(false);
    expect(mayHaveCommitted(new Error('timeout exceeded when trying to connect'))).toBe(false);
    expect(mayHaveCommitted(new Error('Connection terminated unexpectedly'))).toBe(true);
  });
});

describe('SightingSpool', () => {
  it('keeps entries in order across a reopen, removes each only when done, and cleans up temporary files', async () => {
    const dir = tempDir();
    const a = await SightingSpool.open({ dir, maxBytes: 1e9, maxRecords: 100, log });
    for (let n = 1; n <= 3; n++) await a.append(record(n), { extraBytes: 1000, uncertain: n === 2 });
    expect(a.holds(id(2))).toBe(true);
    expect(a.stats()).toMatchObject({ count: 3, spooled: 3 });
    writeFileSync(join(dir, '.half-written.tmp'), 'x');
    const b = await SightingSpool.open({ dir, maxBytes: 1e9, maxRecords: 100, log });
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(b.stats().count).toBe(3);
    expect(b.stats().bytes).toBe(a.stats().bytes);
    const seen: string[] = [];
    for (;;) {
      const head = await b.head();
      if (!head) break;
      seen.push(head.entry.sightingId);
      expect(head.entry.uncertain).toBe(head.entry.sightingId === id(2));
      await b.done(head.entry);
    }
    expect(seen).toEqual([id(1), id(2), id(3)]);
    expect(b.stats()).toMatchObject({ count: 0, bytes: 0, drained: 3, dropped: 0 });
    expect(readdirSync(dir)).toEqual([]);
    // New entries after a reopen continue the sequence.
    await b.append(record(4));
    const c = await SightingSpool.open({ dir, maxBytes: 1e9, maxRecords: 100, log });
    await c.append(record(5));
    const order: string[] = [];
    for (let h = await c.head(); h; h = await c.head()) {
      order.push(h.entry.sightingId);
      await c.done(h.entry);
    }
    expect(order).toEqual([id(4), id(5)]);
  });

  it('drops the oldest when full (by count and by bytes), counted, never the entry being applied', async () => {
    const dropped: string[] = [];
    const spool = await SightingSpool.open({ dir: tempDir(), maxBytes: 1e9, maxRecords: 3, log, onDrop: async (e) => void dropped.push(e.sightingId) });
    for (let n = 1; n <= 3; n++) await spool.append(record(n));
    const head = await spool.head(); // 1 is being applied
    await spool.append(record(4));
    expect(dropped).toEqual([id(2)]);
    expect(spool.stats()).toMatchObject({ count: 3, dropped: 1 });
    await spool.done(head!.entry);
    await spool.append(record(5));
    expect(dropped).toEqual([id(2)]);

    const bySize = await SightingSpool.open({ dir: tempDir(), maxBytes: 5000, maxRecords: 100, log });
    for (let n = 1; n <= 4; n++) await bySize.append(record(n), { extraBytes: 1500 });
    expect(bySize.stats().count).toBeLessThan(4);
    expect(bySize.stats().bytes).toBeLessThanOrEqual(5000);
    expect(bySize.stats().dropped).toBe(4 - bySize.stats().count);
    expect((await bySize.head())!.entry.sightingId).not.toBe(id(1));
  });
});
