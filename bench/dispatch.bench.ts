/**
 * Dispatch to patrol tablet (issue 6, "Benchmark"): with N connected tablets (default 200) reporting
 * their positions every 2 s, the time from a dispatcher's "dispatch" to the dispatch arriving on the
 * unit's tablet, and the CPU those position reports cost Argus.
 *
 *   npx tsx bench/dispatch.bench.ts [--tablets 200] [--passes 50] [--browser-passes 30] [--cpu-seconds 60] [--postgres]
 *
 * Argus (api + worker roles, embedded PGlite, local Redis) runs in this process; the tablets run in a
 * child process (bench/lib/tablet-fleet.ts: one socket.io connection and one HTTP position report
 * every 2 s each, as the patrol screen does), so this process's CPU is Argus's. Phases:
 * 1. CPU: Argus's process CPU over a window with the position reports flowing (nothing else happens
 *    then), as % of one core and µs per report.
 * 2. Dispatch: for each pass an incident (a 110 call) near a random unit, then
 *    POST /api/incidents/:id/dispatches for that unit; the time from just before the request to the
 *    tablet process receiving `dispatch.created` for its unit (same machine, same clock). The dispatch is
 *    cancelled after each pass so the unit stays available.
 * 3. Browser: a dispatcher in Chromium clicks "dispatch" for a unit whose tablet is a real patrol screen
 *    in Chromium, from the click event to the dispatch drawn on the tablet (its `window.__argusPatrol` hook).
 * Results: the "api" and "browser" sections of bench/results/dispatch.md.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Dispatch, Incident, Unit } from '../contracts/incidents.ts';
import { ensureWebBuilt, launchChromium, signIn } from '../test/browser/browser.ts';
import { startTestSystem, type TestSystem } from '../test/helpers/system.ts';
import { argFlag, argNumber } from './lib/analytics-env.ts';
import { DISPATCH_RESULTS_FILE, DISPATCH_RESULTS_LAYOUT } from './lib/dispatch-results.ts';
import { runBench } from './lib/live-rig.ts';
import { loadLine, machineInfo } from './lib/machine.ts';
import { writeSection } from './lib/results-file.ts';
import { fmt, summarize, summaryCells, SUMMARY_HEADER } from './lib/stats.ts';
import { seededRandom } from '../test/helpers/seeded-random.ts';
import { SQUARE } from '../test/helpers/places.ts';

const TABLETS = argNumber('tablets', 200);
const PASSES = argNumber('passes', 50);
const CPU_SECONDS = argNumber('cpu-seconds', 60);
const BROWSER_PASSES = argNumber('browser-passes', 30);
/** --postgres: the machine's PostgreSQL server instead of the embedded PGlite. */
const POSTGRES = argFlag('postgres');
const POSTGRES_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const INTERVAL_MS = 2000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

async function browserPhase(sys: TestSystem, admin: string, dispatcherToken: string, random: () => number): Promise<number[]> {
  ensureWebBuilt();
  const browser = await launchChromium();
  try {
    await sys.createUser({ username: 'bench.tablet', password: 'bench-tablet-1', roles: ['patrol'] });
    await sys.createUser({ username: 'bench.desk', password: 'bench-desk-1', roles: ['dispatcher'] });
    const users = (await sys.api('/api/users?limit=1000', { token: admin })).body as { items: Array<{ id: string; username: string }> } | Array<{ id: string; username: string }>;
    const officerId = (Array.isArray(users) ? users : users.items).find((u) => u.username === 'bench.tablet')!.id;
    const unit = (await sys.api('/api/units', { token: admin, body: { callSign: '沪巡基准', kind: 'patrol_car', userIds: [officerId] } })).body as Unit;
    const home = { latitude: SQUARE.latitude + 0.001, longitude: SQUARE.longitude };

    const tabletContext = await browser.newContext({ locale: 'zh-CN', geolocation: { ...home, accuracy: 8 }, permissions: ['geolocation'], viewport: { width: 800, height: 1280 } });
    const tablet = await tabletContext.newPage();
    await signIn(tablet, sys.baseUrl, { username: 'bench.tablet', password: 'bench-tablet-1' });
    await tablet.locator('[data-screen=patrol]').click();
    await tablet.getByTestId('patrol-screen').waitFor();
    await tablet.waitForFunction(() => (window.__argusPatrol?.positionsSent() ?? 0) > 0);

    const deskContext = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1600, height: 1000 } });
    const desk = await deskContext.newPage();
    await signIn(desk, sys.baseUrl, { username: 'bench.desk', password: 'bench-desk-1' });
    await desk.locator('[data-screen=incidents]').click();
    await desk.getByTestId('incidents-screen').waitFor();

    const out: number[] = [];
    for (let pass = 0; pass < BROWSER_PASSES; pass++) {
      const incident = (
        await sys.api('/api/incidents', {
          token: dispatcherToken,
          body: { type: 'theft', priority: 'P2', source: 'call', location: SQUARE, address: `人民广场 ${pass} 号口`, caller: { name: '基准', phone: '13900000000' } },
        })
      ).body as Incident;
      await desk.goto(`${sys.baseUrl}/#/incidents/${incident.id}`);
      const row = desk.locator(`[data-testid=candidate-row][data-call-sign="${unit.callSign}"]`);
      await row.waitFor();
      await desk.evaluate(() => {
        document.addEventListener('click', (e) => ((window as unknown as { __clickAt: number }).__clickAt = performance.timeOrigin + e.timeStamp), { capture: true, once: true });
      });
      await row.locator('[data-action=dispatch]').click();
      const dispatchRow = desk.getByTestId('dispatch-row').first();
      await dispatchRow.waitFor();
      const dispatchId = (await dispatchRow.getAttribute('data-dispatch-id'))!;
      const clickAt = await desk.evaluate(() => (window as unknown as { __clickAt: number }).__clickAt);
      const shown = await tablet.waitForFunction((id) => window.__argusPatrol?.shownAt()[id] ?? null, dispatchId, { timeout: 5000 }).then((h) => h.jsonValue() as Promise<number>);
      out.push(shown - clickAt);
      await sys.api(`/api/incidents/${incident.id}/dispatches/${dispatchId}/status`, { token: dispatcherToken, body: { action: 'cancel' } });
      await sleep(300 + random() * 300);
    }
    await deskContext.close();
    await tabletContext.close();
    return out;
  } finally {
    await browser.close();
  }
}

async function main(): Promise<void> {
  const random = seededRandom(6);
  const dir = mkdtempSync(join(tmpdir(), 'argus-dispatch-bench-'));
  const sys = await startTestSystem({
    config: {
      roles: ['api', 'worker'],
      relay: { enabled: false },
      auth: { loginRateLimitPerMinute: 10_000 },
      dispatch: { staleAfterSeconds: 30 },
      ...(POSTGRES ? { database: { url: POSTGRES_URL, schema: `bench_dispatch_${Date.now()}` } } : {}),
      log: { level: 'warn' },
    },
  });
  try {
    const admin = await sys.login(sys.admin.username, sys.admin.password);
    const api = async <T>(path: string, token: string, body?: unknown, method?: string): Promise<T> => {
      const res = await sys.api(path, { token, body, method });
      if (res.status >= 300) throw new Error(`${method ?? (body ? 'POST' : 'GET')} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as T;
    };
    await sys.createUser({ username: 'bench.dispatcher', password: 'bench-dispatch-1', roles: ['dispatcher'] });
    const dispatcher = await sys.login('bench.dispatcher', 'bench-dispatch-1');

    process.stderr.write(`[dispatch] creating ${TABLETS} patrol officers and units\n`);
    const users = new Map<string, string>();
    for (let i = 0; i < TABLETS; i++) await sys.createUser({ username: `bench.p${i}`, password: `bench-patrol-${i}`, roles: ['patrol'] });
    const list = await api<{ items: Array<{ id: string; username: string }> } | Array<{ id: string; username: string }>>('/api/users?limit=1000', admin);
    for (const u of Array.isArray(list) ? list : list.items) users.set(u.username, u.id);
    const tablets: Array<{ unitId: string; token: string; latitude: number; longitude: number }> = [];
    for (let i = 0; i < TABLETS; i++) {
      // Spread over about 10 × 10 km around People's Square.
      const latitude = SQUARE.latitude + (random() - 0.5) * 0.09;
      const longitude = SQUARE.longitude + (random() - 0.5) * 0.1;
      const unit = await api<Unit>('/api/units', admin, { callSign: `沪巡${String(i).padStart(3, '0')}`, kind: 'patrol_car', userIds: [users.get(`bench.p${i}`)!] });
      const token = await sys.login(`bench.p${i}`, `bench-patrol-${i}`);
      await api(`/api/units/${unit.id}/position`, token, { latitude, longitude });
      tablets.push({ unitId: unit.id, token, latitude, longitude });
    }
    const fleetFile = join(dir, 'fleet.json');
    writeFileSync(fleetFile, JSON.stringify({ baseUrl: sys.baseUrl, intervalMs: INTERVAL_MS, tablets }));

    // The tablets: connected first, silent for the idle window, then reporting.
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'lib', 'tablet-fleet.ts'), fleetFile], { stdio: ['ignore', 'pipe', 'inherit'] });
    const received = new Map<string, number>();
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    let lastStats: { reports: number; failed: number; cpuMs: number } = { reports: 0, failed: 0, cpuMs: 0 };
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const o = JSON.parse(line) as { ev: string; dispatchId?: string; at?: number; reports?: number; failed?: number; cpuMs?: number };
      if (o.ev === 'ready') ready();
      else if (o.ev === 'dispatch') received.set(o.dispatchId!, o.at!);
      else if (o.ev === 'stats') lastStats = { reports: o.reports!, failed: o.failed!, cpuMs: o.cpuMs! };
    });
    await isReady;
    process.stderr.write(`[dispatch] ${TABLETS} tablets connected; ${CPU_SECONDS} s of position reports\n`);
    // The reports start at once in the child (spread over the first interval); let them settle, then measure.
    await sleep(INTERVAL_MS * 2);
    const reportsBefore = lastStats.reports;
    const c0 = cpuMs();
    const t0 = Date.now();
    await sleep(CPU_SECONDS * 1000);
    const busyMs = cpuMs() - c0;
    const wallMs = Date.now() - t0;
    // The child's counts come every second: both ends of the window are up to a second old, alike.
    const reportsInWindow = Math.max(1, lastStats.reports - reportsBefore);

    process.stderr.write(`[dispatch] ${PASSES} dispatches\n`);
    const latencies: number[] = [];
    let lost = 0;
    for (let pass = 0; pass < PASSES; pass++) {
      const tablet = tablets[Math.floor(random() * tablets.length)]!;
      const incident = await api<Incident>('/api/incidents', dispatcher, {
        type: 'fight',
        priority: 'P2',
        source: 'call',
        location: { latitude: tablet.latitude + 0.001, longitude: tablet.longitude },
        address: `基准路 ${pass} 号`,
        caller: { name: '基准', phone: '13800000000' },
      });
      const sentAt = Date.now();
      const { items } = await api<{ items: Dispatch[] }>(`/api/incidents/${incident.id}/dispatches`, dispatcher, { unitIds: [tablet.unitId] });
      const dispatch = items[0]!;
      const deadline = Date.now() + 5000;
      while (!received.has(dispatch.id) && Date.now() < deadline) await sleep(2);
      const at = received.get(dispatch.id);
      if (at === undefined) lost++;
      else latencies.push(at - sentAt);
      await api(`/api/incidents/${incident.id}/dispatches/${dispatch.id}/status`, dispatcher, { action: 'cancel' });
      await sleep(200 + random() * 300);
    }
    // In the browser, with the simulated tablets still connected and reporting: a dispatcher on the
    // incidents screen clicks "dispatch" for a unit whose tablet is a real patrol screen.
    process.stderr.write(`[dispatch] ${BROWSER_PASSES} dispatches clicked in Chromium\n`);
    const browserLatencies = POSTGRES ? [] : await browserPhase(sys, admin, dispatcher, random);

    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));

    const s = summarize(latencies);
    const b = summarize(browserLatencies);
    const m = machineInfo();
    const perReportUs = (busyMs * 1000) / reportsInWindow;
    const body = [
      '## Dispatch to tablet (API and sockets)',
      '',
      `\`npx tsx bench/dispatch.bench.ts --tablets ${TABLETS} --passes ${PASSES}\`, run ${new Date().toISOString()}; ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, Linux ${m.kernel}; ${loadLine()} at the end.`,
      `Argus with the api and worker roles on ${POSTGRES ? 'the PostgreSQL server' : 'the embedded PGlite'} and a local Redis, in one process; ${TABLETS} simulated patrol tablets in`,
      `another process on the same machine, each with its own socket.io connection (in its unit's room) and a position report`,
      `(HTTP POST) every ${INTERVAL_MS / 1000} s. A pass: a 110 incident near a random unit, then the dispatch request; measured from just`,
      `before the request to that unit's tablet receiving \`dispatch.created\`. ${latencies.length} passes${lost ? `, ${lost} never arrived within 5 s` : ', none lost'}.`,
      '',
      `**p50 ${fmt(s.p50)} ms, p95 ${fmt(s.p95)} ms** (goal: p95 ≤ 500 ms).`,
      '',
      SUMMARY_HEADER,
      `| dispatch request → on the tablet (ms) | ${summaryCells(s)} |`,
      '',
      `Position reports: ${reportsInWindow} in the ${fmt(wallMs / 1000)} s window (${fmt((reportsInWindow * 1000) / wallMs, 1)} per second), ${lastStats.failed} failed in all.`,
      `Argus's CPU over the window: ${fmt((busyMs / wallMs) * 100, 1)} % of one core, ${fmt(perReportUs)} µs per report (store the position,`,
      `push \`unit.updated\` to the command rooms, authenticate the request). The tablets' own process used ${fmt(lastStats.cpuMs / 1000, 1)} s of CPU in all.`,
    ].join('\n');
    process.stderr.write(`${body}\n`);
    writeSection(DISPATCH_RESULTS_FILE, DISPATCH_RESULTS_LAYOUT, POSTGRES ? 'api-postgres' : 'api', body.replace('## Dispatch to tablet (API and sockets)', POSTGRES ? '## Dispatch to tablet (API and sockets, PostgreSQL server)' : '## Dispatch to tablet (API and sockets)'));
    const browserBody = [
      '## Dispatch to tablet (in the browser)',
      '',
      `The same run, after the API passes, with the ${TABLETS} simulated tablets still connected and reporting: two Chromium pages on this`,
      `machine, a dispatcher on the incidents screen and a patrol officer's tablet screen (its own unit, position from the browser's`,
      `geolocation). A pass: a 110 incident 111 m from that unit; the dispatcher opens it and clicks "dispatch" on the unit's row;`,
      `measured from the click event (the page's own timestamp) to the dispatch drawn on the tablet (\`window.__argusPatrol.shownAt()\`,`,
      `after the frame that shows it). ${browserLatencies.length} passes.`,
      '',
      `**p50 ${fmt(b.p50)} ms, p95 ${fmt(b.p95)} ms** (goal: p95 ≤ 500 ms).`,
      '',
      SUMMARY_HEADER,
      `| click "dispatch" → drawn on the tablet (ms) | ${summaryCells(b)} |`,
    ].join('\n');
    process.stderr.write(`${browserBody}\n`);
    if (!POSTGRES) writeSection(DISPATCH_RESULTS_FILE, DISPATCH_RESULTS_LAYOUT, 'browser', browserBody);
  } finally {
    await sys.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

runBench(main);
