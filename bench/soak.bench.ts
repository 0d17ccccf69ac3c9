/**
 * Soak (issue 7, "Load"): Argus running for a long time under a steady, realistic load, to show that
 * memory and handles stay flat and nothing fails.
 *
 *   node --expose-gc --import tsx bench/soak.bench.ts [--minutes 30] [--cameras 8] [--analytics-cameras 2] [--clients 100] [--rps 5]
 *        [--postgres [URL]] [--out FILE] [--note "…"]
 *
 * Argus (api, worker, ingest and analytics roles; embedded PGlite, or with --postgres the PostgreSQL
 * server at URL (default $TEST_DATABASE_URL or 127.0.0.1:5432/test) in a schema of its own, dropped
 * at the end; local Redis; recording on) runs in
 * this process, so what is sampled is Argus's own: resident memory, JS heap after a full GC (with
 * --expose-gc), open file descriptors, child processes (ffmpeg), event-loop delay. The cameras are
 * GStreamer test cameras on 127.0.0.1 (640×360, 10 fps, H.264: half a street video, half slideshows of
 * real plate photos); plate recognition runs on some of them at 2 fps against a watchlist of the plates
 * shown, so sightings and alerts keep coming. The clients and API callers run in a child process
 * (bench/lib/soak-load.ts): socket.io connections that count pushes, and a stream of API calls.
 *
 * Resident memory is split by kind (bench/lib/memory-map.ts, and PGlite's own WebAssembly memory), so
 * a climb can be put down to the JS heap, the embedded database or native allocations.
 *
 * Every sample interval one row; at the end the trend of memory over the second half (a leak shows as
 * a steady climb after warm-up), descriptors and processes first vs last, and every error. Results go
 * to bench/results/soak.md.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { MEDIA_DIR, MODELS_DIR } from '../test/helpers/plate-clip.ts';
import { startRtspCamera } from '../test/helpers/rtsp-camera.ts';
import { startTestSystem } from '../test/helpers/system.ts';
import { dropTestSchema, TEST_DATABASE_URL } from '../test/integration/storage/db-helpers.ts';
import { argFlag, argNumber, argString } from './lib/analytics-env.ts';
import { runBench } from './lib/live-rig.ts';
import { loadLine, machineInfo } from './lib/machine.ts';
import { memoryMap } from './lib/memory-map.ts';
import { fmt, quantile } from './lib/stats.ts';

const MINUTES = argNumber('minutes', 30);
const CAMERAS = argNumber('cameras', 8);
const ANALYTICS_CAMERAS = argNumber('analytics-cameras', 2);
const CLIENTS = argNumber('clients', 100);
const RPS = argNumber('rps', 5);
/** --note "…": a sentence added to the results (e.g. what else the machine was doing). */
const NOTE = argString('note');
const SAMPLE_SECONDS = argNumber('sample-seconds', MINUTES >= 10 ? 60 : 15);
/** --postgres [URL]: store in a PostgreSQL server instead of the embedded PGlite. */
const POSTGRES = argFlag('postgres') ? (argString('postgres') ?? TEST_DATABASE_URL) : null;
const RESULTS_FILE = argString('out') ?? fileURLToPath(new URL(POSTGRES ? './results/soak-postgres.md' : './results/soak.md', import.meta.url));
/** Plates in plates/scenes (ground truth in ../shared/media), put on the watchlist so alerts keep coming. */
const LISTED = ['皖K66666', '鄂F8888警', '沪AF71017', '琼A6716学', '京EA5331'];

/** Counters from the load process (since its start). */
interface LoadStats {
  calls: number;
  failed: number;
  events: number;
  disconnects: number;
  reconnects: number;
  connectErrors: number;
  statuses: Record<string, number>;
}

interface Sample {
  minute: number;
  rssMiB: number;
  heapMiB: number;
  /** V8's external memory (Buffers, ArrayBuffers) and PGlite's WebAssembly memory. */
  externalMiB: number;
  wasmMiB: number | null;
  /** Resident native malloc memory: glibc's main arena, and other anonymous memory less the V8 heap and WASM. */
  mallocMainMiB: number | null;
  otherAnonMiB: number | null;
  fds: number;
  children: Record<string, number>;
  loopP99Ms: number;
  calls: number;
  failed: number;
  apiP95Ms: number | null;
  events: number;
  disconnects: number;
  sightings: number;
  alerts: number;
  camerasOnline: number;
}

/** Child processes of this process, counted by command name. */
function childProcesses(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid …; comm may hold spaces or parentheses: split at the last ')'.
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const ppid = Number(stat.slice(close + 2).split(' ')[1]);
      if (ppid === process.pid) counts[comm] = (counts[comm] ?? 0) + 1;
    } catch {
      /* gone meanwhile */
    }
  }
  return counts;
}


/** Least-squares slope of y over x. */
function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

async function main(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) process.stderr.write('[soak] run with `node --expose-gc --import tsx` to sample the heap after a full GC\n');
  const work = mkdtempSync(join(tmpdir(), 'argus-soak-'));
  const startedAt = new Date();
  const mounts = Array.from({ length: CAMERAS }, (_, i) =>
    i % 2 === 0
      ? { path: `cam${i}`, source: { kind: 'slideshow' as const, path: join(MEDIA_DIR, 'plates', 'scenes'), secondsPerImage: 4 }, width: 640, height: 360, fps: 10 }
      : { path: `cam${i}`, source: { kind: 'file' as const, path: join(MEDIA_DIR, 'video', 'vtest.avi') }, width: 640, height: 360, fps: 10 },
  );
  const camera = await startRtspCamera({ mounts });
  const schema = `argus_soak_${Date.now().toString(36)}`;
  const sys = await startTestSystem({
    config: {
      ...(POSTGRES ? { database: { url: POSTGRES, schema } } : {}),
      roles: ['api', 'worker', 'ingest', 'analytics'],
      modelsDir: MODELS_DIR,
      relay: { enabled: false },
      ingest: { roundSeconds: 2, leaseSeconds: 10, recording: { enabled: true, segmentSeconds: 60, maxTotalGigabytes: 2 }, analytics: { fps: 2, width: 1280 } },
    },
  });
  const lag = monitorEventLoopDelay({ resolution: 20 });
  lag.enable();
  let load: ReturnType<typeof spawn> | null = null;
  try {
    const admin = await sys.login(sys.admin.username, sys.admin.password);
    const post = async (path: string, body: unknown, method = 'POST') => {
      const res = await sys.api(path, { token: admin, body, method });
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as { id: string };
    };
    const list = await post('/api/watchlists', { name: 'soak', kind: 'plate', level: 'orange', covert: false });
    for (const plate of LISTED) await post(`/api/watchlists/${list.id}/entries`, { plate, reason: 'soak' });
    const cameraIds: string[] = [];
    for (let i = 0; i < CAMERAS; i++) {
      const cam = await post('/api/cameras', { name: `浸泡 ${i}`, sourceKind: 'rtsp', sourceUrl: camera.url(`cam${i}`), latitude: 31.23 + i * 0.001, longitude: 121.47 });
      cameraIds.push(cam.id);
      if (i % 2 === 0 && i / 2 < ANALYTICS_CAMERAS) await post(`/api/cameras/${cam.id}/analytics`, { pipelines: ['plates'], fps: 2 }, 'PUT');
    }

    const specFile = join(work, 'load.json');
    writeFileSync(specFile, JSON.stringify({ baseUrl: sys.baseUrl, token: admin, clients: CLIENTS, rps: RPS }));
    load = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./lib/soak-load.ts', import.meta.url)), specFile], { stdio: ['ignore', 'pipe', 'inherit'] });
    const loadStats: { latest: LoadStats | null } = { latest: null };
    let windowLatencies: number[] = [];
    const ready = new Promise<void>((resolve, reject) => {
      load!.once('exit', (code) => reject(new Error(`the load process exited (${code}) before it was ready`)));
      createInterface({ input: load!.stdout! }).on('line', (line) => {
        const msg = JSON.parse(line) as { ev: string; latencies?: number[] } & LoadStats;
        if (msg.ev === 'ready') resolve();
        if (msg.ev === 'stats') {
          loadStats.latest = msg;
          windowLatencies.push(...(msg.latencies ?? []));
        }
      });
    });
    await ready;
    process.stderr.write(`[soak] ${CAMERAS} cameras, ${CLIENTS} clients, ${RPS} calls/s; running ${MINUTES} min, a row every ${SAMPLE_SECONDS} s\n`);

    const samples: Sample[] = [];
    const t0 = Date.now();
    const end = t0 + MINUTES * 60_000;
    while (Date.now() < end) {
      await new Promise((r) => setTimeout(r, Math.min(SAMPLE_SECONDS * 1000, end - Date.now())));
      gc?.();
      const mem = process.memoryUsage();
      const map = memoryMap();
      const wasmBytes = sys.argus.database.embeddedMemoryBytes();
      const statsFrom = new Date(Math.floor(startedAt.getTime() / 3_600_000) * 3_600_000).toISOString();
      const statsTo = new Date(Date.now() + 60_000).toISOString();
      const [sightings, overview, cameras] = await Promise.all([
        sys.api(`/api/sightings/stats?from=${statsFrom}&to=${statsTo}`, { token: admin }),
        sys.api('/api/overview', { token: admin }),
        sys.api('/api/cameras', { token: admin }),
      ]);
      const cameraList = (Array.isArray(cameras.body) ? cameras.body : (cameras.body?.items ?? [])) as Array<{ status: string }>;
      const sorted = windowLatencies.sort((a, b) => a - b);
      const latest = loadStats.latest;
      const row: Sample = {
        minute: (Date.now() - t0) / 60_000,
        rssMiB: mem.rss / 2 ** 20,
        heapMiB: mem.heapUsed / 2 ** 20,
        externalMiB: mem.external / 2 ** 20,
        wasmMiB: wasmBytes === null ? null : wasmBytes / 2 ** 20,
        mallocMainMiB: map?.heapMiB ?? null,
        // The V8 heap's resident part is at most heapTotal; WASM memory is anonymous too.
        otherAnonMiB: map ? Math.max(0, map.anonMiB - mem.heapTotal / 2 ** 20 - (wasmBytes ?? 0) / 2 ** 20) : null,
        fds: readdirSync('/proc/self/fd').length,
        children: childProcesses(),
        loopP99Ms: lag.percentile(99) / 1e6,
        calls: latest?.calls ?? 0,
        failed: latest?.failed ?? 0,
        apiP95Ms: sorted.length ? quantile(sorted, 0.95) : null,
        events: latest?.events ?? 0,
        disconnects: latest?.disconnects ?? 0,
        sightings: Number(sightings.body?.total ?? 0),
        // Nobody acknowledges in the soak: every alert raised is still awaiting acknowledgement.
        alerts: Number(overview.body?.alertsAwaiting?.total ?? 0),
        camerasOnline: cameraList.filter((c) => c.status === 'online').length,
      };
      windowLatencies = [];
      lag.reset();
      samples.push(row);
      process.stderr.write(
        `[soak] ${fmt(row.minute, 1)} min: rss ${fmt(row.rssMiB)} MiB, heap ${fmt(row.heapMiB)} MiB, wasm ${fmt(row.wasmMiB)} MiB, malloc ${fmt(row.mallocMainMiB)} + ${fmt(row.otherAnonMiB)} MiB, fds ${row.fds}, ffmpeg ${row.children.ffmpeg ?? 0}, loop p99 ${fmt(row.loopP99Ms)} ms, calls ${row.calls} (${row.failed} failed), api p95 ${fmt(row.apiP95Ms)} ms, pushes ${row.events}, sightings ${row.sightings}, alerts ${row.alerts}, cameras online ${row.camerasOnline}/${CAMERAS}\n`,
      );
    }
    load.kill('SIGTERM');
    await new Promise((r) => load!.once('exit', r));
    load = null;
    const final = loadStats.latest;

    // Trend over the second half (after warm-up: model loading, caches, the first recording segments).
    const half = samples.filter((s) => s.minute >= MINUTES / 2);
    const perHour = (pick: (s: Sample) => number) => slope(half.map((s) => s.minute / 60), half.map(pick));
    const first = samples[0]!;
    const last = samples.at(-1)!;
    const maxFfmpeg = Math.max(...samples.map((s) => s.children.ffmpeg ?? 0));
    const m = machineInfo();
    const statuses = Object.entries(final?.statuses ?? {})
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ');
    const body = [
      '# Soak: memory, handles and errors over a long run',
      '',
      `\`node --expose-gc --import tsx bench/soak.bench.ts --minutes ${MINUTES} --cameras ${CAMERAS} --analytics-cameras ${ANALYTICS_CAMERAS} --clients ${CLIENTS} --rps ${RPS}${POSTGRES ? ' --postgres' : ''}\`,`,
      `run ${startedAt.toISOString()}; ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, Linux ${m.kernel}; ${loadLine()} at the end.`,
      '',
      `Argus (api, worker, ingest, analytics; ${POSTGRES ? 'the PostgreSQL server on 127.0.0.1' : 'embedded PGlite'}; local Redis; recording on, 60 s segments) in one process with ${CAMERAS} loopback`,
      `RTSP cameras (GStreamer, 640×360, 10 fps: slideshows of real plate photos and a street video), plate recognition at 2 fps on`,
      `${ANALYTICS_CAMERAS} of them against a watchlist of the plates shown, ${CLIENTS} socket.io clients and ${RPS} API calls/s (camera list,`,
      'alert feed, sightings search, overview, incidents list, units, one incident created in ten calls) from another process.',
      `Heap sampled ${gc ? 'after a full GC' : 'without forcing GC (run without --expose-gc)'}.${NOTE ? ` ${NOTE}` : ''}`,
      '',
      '## Verdict',
      '',
      `- Resident memory: ${fmt(first.rssMiB)} MiB at the first sample, ${fmt(last.rssMiB)} MiB at the end; trend over the second half ${fmt(perHour((s) => s.rssMiB), 1)} MiB/hour.`,
      `- JS heap: ${fmt(first.heapMiB)} → ${fmt(last.heapMiB)} MiB; trend over the second half ${fmt(perHour((s) => s.heapMiB), 1)} MiB/hour.`,
      `- Split of resident memory, first → last sample (trend over the second half): ${[
        POSTGRES ? null : `PGlite WASM ${fmt(first.wasmMiB)} → ${fmt(last.wasmMiB)} MiB (${fmt(perHour((s) => s.wasmMiB ?? 0), 1)}/h)`,
        `V8 external ${fmt(first.externalMiB)} → ${fmt(last.externalMiB)} MiB (${fmt(perHour((s) => s.externalMiB), 1)}/h)`,
        `malloc main arena ${fmt(first.mallocMainMiB)} → ${fmt(last.mallocMainMiB)} MiB (${fmt(perHour((s) => s.mallocMainMiB ?? 0), 1)}/h)`,
        `other anonymous (thread arenas, large allocations) ${fmt(first.otherAnonMiB)} → ${fmt(last.otherAnonMiB)} MiB (${fmt(perHour((s) => s.otherAnonMiB ?? 0), 1)}/h)`,
      ]
        .filter(Boolean)
        .join('; ')}.`,
      `- Open file descriptors: ${first.fds} → ${last.fds} (max ${Math.max(...samples.map((s) => s.fds))}); ffmpeg processes: ${first.children.ffmpeg ?? 0} → ${last.children.ffmpeg ?? 0} (max ${maxFfmpeg}, ${CAMERAS} cameras).`,
      `- API calls: ${final?.calls ?? 0}, failed ${final?.failed ?? 0} (${statuses}); socket disconnects ${final?.disconnects ?? 0}, reconnects ${final?.reconnects ?? 0}, connect errors ${final?.connectErrors ?? 0}; pushes received ${final?.events ?? 0}.`,
      `- Stored: ${last.sightings} sightings, ${last.alerts} alerts; cameras online at the end ${last.camerasOnline}/${CAMERAS}.`,
      '',
      '## Samples',
      '',
      'RSS is split into: heap (JS heap used after GC), ext (V8 external: Buffers), wasm (PGlite), main (glibc main malloc arena), anon (other anonymous memory less the V8 heap and WASM: thread malloc arenas, large allocations).',
      '',
      '| minute | RSS MiB | heap | ext | wasm | main | anon | fds | ffmpeg | other children | loop p99 ms | API calls | failed | API p95 ms | pushes | disconnects | sightings | alerts | online |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
      ...samples.map((s) => {
        const others = Object.entries(s.children)
          .filter(([k]) => k !== 'ffmpeg')
          .map(([k, v]) => `${k} ${v}`)
          .join(', ');
        return `| ${fmt(s.minute, 1)} | ${fmt(s.rssMiB)} | ${fmt(s.heapMiB, 1)} | ${fmt(s.externalMiB)} | ${fmt(s.wasmMiB)} | ${fmt(s.mallocMainMiB)} | ${fmt(s.otherAnonMiB)} | ${s.fds} | ${s.children.ffmpeg ?? 0} | ${others || '—'} | ${fmt(s.loopP99Ms)} | ${s.calls} | ${s.failed} | ${fmt(s.apiP95Ms)} | ${s.events} | ${s.disconnects} | ${s.sightings} | ${s.alerts} | ${s.camerasOnline} |`;
      }),
      '',
    ].join('\n');
    writeFileSync(RESULTS_FILE, body);
    process.stdout.write(`${body}\n[soak] written to ${RESULTS_FILE}\n`);
  } finally {
    lag.disable();
    load?.kill('SIGTERM');
    await sys.stop();
    await camera.stop();
    rmSync(work, { recursive: true, force: true });
    if (POSTGRES) await dropTestSchema(schema, POSTGRES);
  }
}

runBench(main);
