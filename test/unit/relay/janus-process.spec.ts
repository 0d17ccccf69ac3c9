/**
 * JanusProcess supervision with a stand-in for the janus program: a shell script that prints
 * Janus-like lines and behaves as files in its configuration folder say (fail at start, ignore
 * SIGTERM), and a small HTTP server answering GET /janus/info for "its" API. The real Janus is in
 * test/integration/relay.
 */
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../../config/logger.ts';
import { JanusProcess, type JanusProcessOptions } from '../../../ingest/relay/janus.process.ts';

const FAKE_JANUS = `#!/bin/bash
# Stand-in for janus -F <dir>.
dir="$2"
if [ -f "$dir/ignore-term" ]; then trap '' TERM; fi
echo "Janus version: 1102 (1.1.2)"
echo "env PATH=$PATH LD_PRELOAD=\${LD_PRELOAD:-none} HOME=\${HOME:-unset}"
if [ -f "$dir/fail" ]; then echo "[FATAL] [janus.c:main] Couldn't start webserver on port 1"; exit 3; fi
for i in $(seq 1 50); do echo "[ERR] [ice.c:janus_ice_outgoing_traffic_handle] ... only sent -1 bytes? (was $i)"; done
# Like Janus, its API answers only once it is up (so a SIGTERM trap above is in place by then).
touch "$dir/up-$$"
while true; do sleep 0.2; done
`;

let dir: string;
let janusPath: string;
let api: Server;
let apiUrl: string;
let apiUp = true;
const processes: JanusProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'argus-fake-janus-'));
  janusPath = join(dir, 'janus');
  writeFileSync(janusPath, FAKE_JANUS);
  chmodSync(janusPath, 0o755);
  api = createServer((req, res) => {
    // Like Janus, "its" API does not answer when it failed to start.
    const up = readdirSync(dir).some((f) => f.startsWith('up-'));
    if (!apiUp || !up || existsSync(join(dir, 'fail')) || req.url !== '/janus/info') {
      res.statusCode = 503;
      res.end();
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ janus: 'server_info', version: 1102, version_string: '1.1.2' }));
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}/janus`;
});
afterEach(async () => {
  apiUp = true;
  while (processes.length) await processes.pop()!.stop();
  for (const f of ['fail', 'ignore-term', ...readdirSync(dir).filter((n) => n.startsWith('up-'))]) rmSync(join(dir, f), { force: true });
});
afterAll(async () => {
  await new Promise<void>((resolve) => api.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

function logCapture() {
  const records: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) records.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: createLogger({ log: { level: 'debug', pretty: false } }, stream), records };
}

function janus(options: Partial<JanusProcessOptions> = {}) {
  const { log, records } = logCapture();
  const p = new JanusProcess({ janusPath, configDir: dir, apiUrl, log, startTimeoutMs: 3000, restartDelaysMs: [50, 100], ...options });
  processes.push(p);
  return { p, records };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('JanusProcess', () => {
  it('is running once its API answers, with only PATH and the preload in its environment', async () => {
    const { p, records } = janus({ preload: ['/x/argus-loopback-ice.so'] });
    await p.start();
    expect(p.status()).toMatchObject({ state: 'running', restarts: 0, lastError: null, pid: expect.any(Number) });
    await vi.waitFor(() => expect(records.some((r) => String(r.janus).startsWith('env '))).toBe(true));
    const env = String(records.find((r) => String(r.janus).startsWith('env '))!.janus);
    expect(env).toMatch(/LD_PRELOAD=\/x\/argus-loopback-ice.so/);
    expect(env).toMatch(/HOME=unset/);
  });

  it('passes at most the burst of Janus error lines to the log and counts the rest', async () => {
    const { p, records } = janus({ logBurst: { lines: 5, windowMs: 200 } });
    await p.start();
    await vi.waitFor(() => expect(records.filter((r) => r.msg === 'janus' && r.level === 40)).toHaveLength(5));
    // The count is reported with the first error line of a later window.
    await new Promise((r) => setTimeout(r, 250));
    process.kill(p.status().pid!, 'SIGKILL');
    await vi.waitFor(() => expect(records.find((r) => r.msg === 'janus error lines suppressed')).toMatchObject({ suppressed: 45 }), { timeout: 3000 });
  });

  it('restarts Janus with backoff when it dies, and says so', async () => {
    const { p } = janus();
    const restarted = vi.fn();
    const states: string[] = [];
    p.onRestarted(restarted);
    p.onStateChange((s) => states.push(s));
    await p.start();
    const first = p.status().pid!;
    process.kill(first, 'SIGKILL');
    await vi.waitFor(() => expect(restarted).toHaveBeenCalledTimes(1), { timeout: 5000 });
    expect(p.status()).toMatchObject({ state: 'running', restarts: 1, lastExit: { signal: 'SIGKILL' } });
    expect(p.status().pid).not.toBe(first);
    expect(isAlive(first)).toBe(false);
    expect(states).toEqual(['starting', 'running', 'restarting', 'running']);
  });

  it('keeps trying when a restart fails, and reports why', async () => {
    const { p } = janus();
    const restarted = vi.fn();
    p.onRestarted(restarted);
    await p.start();
    writeFileSync(join(dir, 'fail'), '');
    process.kill(p.status().pid!, 'SIGKILL');
    await vi.waitFor(() => expect(p.status().lastError).toMatch(/exited during start-up \(exit code 3\).*Couldn't start webserver/), { timeout: 5000 });
    expect(p.status().state).toBe('restarting');
    rmSync(join(dir, 'fail'));
    await vi.waitFor(() => expect(restarted).toHaveBeenCalledTimes(1), { timeout: 5000 });
    expect(p.status()).toMatchObject({ state: 'running', lastError: null });
    expect(p.status().restarts).toBeGreaterThanOrEqual(2);
  });

  it('fails the first start with what Janus said, and leaves no process', async () => {
    writeFileSync(join(dir, 'fail'), '');
    const { p } = janus();
    await expect(p.start()).rejects.toThrow(/did not start: Janus exited during start-up \(exit code 3\)\. Janus said: .*Couldn't start webserver on port 1/);
    expect(p.status()).toMatchObject({ state: 'closed', pid: null });
  });

  it('fails the first start when the API never answers', async () => {
    apiUp = false;
    const { p } = janus({ startTimeoutMs: 500 });
    await expect(p.start()).rejects.toThrow(/HTTP API did not answer at .*\/janus\/info within 500 ms/);
    expect(p.status().pid).toBeNull();
  });

  it('stops once, killing Janus when it ignores SIGTERM', async () => {
    writeFileSync(join(dir, 'ignore-term'), '');
    const { p, records } = janus({ stopTimeoutMs: 300 });
    await p.start();
    const pid = p.status().pid!;
    await Promise.all([p.stop(), p.stop()]);
    expect(isAlive(pid)).toBe(false);
    expect(p.status()).toMatchObject({ state: 'closed', pid: null, lastExit: { signal: 'SIGKILL' } });
    expect(records.some((r) => r.msg === 'janus did not stop after SIGTERM; killing it')).toBe(true);
  });

  it('ends a Janus left running by an earlier Argus that was killed', async () => {
    const { p: earlier } = janus();
    await earlier.start();
    const orphan = earlier.status().pid!;
    // The earlier Argus dies without stopping Janus: its supervisor is gone, the process is not.
    const { p: next, records } = janus();
    await next.start();
    expect(isAlive(orphan)).toBe(false);
    expect(records.find((r) => r.msg === 'ending a janus left running by an earlier argus')).toMatchObject({ pid: orphan });
    expect(next.status().pid).not.toBe(orphan);
  });

  it('says how to install Janus when the program is missing', async () => {
    const { p } = janus({ janusPath: join(dir, 'no-such-janus') });
    await expect(p.start()).rejects.toThrow(/was not found at .*no-such-janus: install the janus package \(npm start does it/);
  });
});
