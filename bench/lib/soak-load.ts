/**
 * The load of bench/soak.bench.ts, in its own process so that the benchmark measures Argus alone:
 * `clients` authenticated socket.io connections (as the wall, terminals and tablets keep open) that
 * count what is pushed to them, and a steady stream of API calls of the kinds operators make
 * (camera list, alert feed, sightings search, overview, an incident now and then), at `rps` calls
 * per second.
 *
 *   node --import tsx bench/lib/soak-load.ts SPEC.json
 *
 * SPEC.json: { baseUrl, token, clients, rps }.
 * stdout, one JSON object per line: {"ev":"ready"} once every socket is connected, then
 * {"ev":"stats", ...counters since the start, "latencies": [ms of the calls since the last stats]}
 * every 10 s and on SIGTERM.
 */
import { readFileSync } from 'node:fs';
import { io as connect, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../../contracts/events.ts';
import { SQUARE } from '../../test/helpers/places.ts';

interface Spec {
  baseUrl: string;
  token: string;
  clients: number;
  rps: number;
}

const spec = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Spec;
const out = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(o)}\n`);

const counters = { calls: 0, failed: 0, statuses: {} as Record<string, number>, events: 0, disconnects: 0, reconnects: 0, connectErrors: 0 };
let latencies: number[] = [];
const sockets: Array<Socket<ServerToClientEvents, ClientToServerEvents>> = [];
const timers: NodeJS.Timeout[] = [];

type Call = { method: 'GET' | 'POST'; path: string; body?: () => unknown };
let incidentNo = 0;
/** The mix: mostly reads, one write in ten. */
const CALLS: Call[] = [
  { method: 'GET', path: '/api/cameras' },
  { method: 'GET', path: '/api/alerts?limit=20' },
  { method: 'GET', path: '/api/sightings?limit=20' },
  { method: 'GET', path: '/api/overview' },
  { method: 'GET', path: '/api/incidents?limit=20' },
  { method: 'GET', path: '/api/units' },
  { method: 'GET', path: '/api/cameras' },
  { method: 'GET', path: '/api/alerts?limit=20' },
  { method: 'GET', path: '/api/sightings?plate=%E6%B2%AA&limit=20' },
  {
    method: 'POST',
    path: '/api/incidents',
    body: () => ({
      type: 'theft',
      priority: 'P3',
      title: `soak ${++incidentNo}`,
      description: 'soak test',
      location: { latitude: SQUARE.latitude + (Math.random() - 0.5) * 0.02, longitude: SQUARE.longitude + (Math.random() - 0.5) * 0.02 },
    }),
  },
];

async function call(c: Call): Promise<void> {
  const t0 = performance.now();
  try {
    const res = await fetch(spec.baseUrl + c.path, {
      method: c.method,
      headers: { authorization: `Bearer ${spec.token}`, ...(c.body ? { 'content-type': 'application/json' } : {}) },
      body: c.body ? JSON.stringify(c.body()) : undefined,
      signal: AbortSignal.timeout(30_000),
    });
    await res.arrayBuffer();
    counters.statuses[res.status] = (counters.statuses[res.status] ?? 0) + 1;
    if (!res.ok) counters.failed++;
  } catch {
    counters.failed++;
    counters.statuses.network = (counters.statuses.network ?? 0) + 1;
  }
  counters.calls++;
  latencies.push(performance.now() - t0);
}

function openSocket(): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const socket = connect(spec.baseUrl, { path: '/socket.io', transports: ['websocket'], auth: { token: spec.token }, forceNew: true });
    sockets.push(socket);
    socket.onAny(() => counters.events++);
    socket.on('disconnect', () => counters.disconnects++);
    socket.io.on('reconnect', () => counters.reconnects++);
    socket.on('connect_error', () => counters.connectErrors++);
    const timer = setTimeout(() => reject(new Error('a socket did not connect within 60 s')), 60_000);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

// Ten at a time, as screens come up over a shift rather than all in the same millisecond.
for (let opened = 0; opened < spec.clients; opened += 10) {
  await Promise.all(Array.from({ length: Math.min(10, spec.clients - opened) }, openSocket));
}
out({ ev: 'ready', clients: sockets.length });

let next = 0;
timers.push(setInterval(() => void call(CALLS[next++ % CALLS.length]!), 1000 / spec.rps));
const stats = () => {
  out({ ev: 'stats', ...counters, latencies });
  latencies = [];
};
timers.push(setInterval(stats, 10_000));
process.on('SIGTERM', () => {
  stats();
  for (const t of timers) clearInterval(t);
  for (const s of sockets) s.close();
  process.exit(0);
});
