/**
 * Simulated patrol tablets for bench/dispatch.bench.ts, in their own process so that the benchmark can
 * tell Argus's CPU from theirs. Each tablet is what the patrol screen does on the network: one
 * authenticated socket.io connection (it joins its unit's room) and a position report every
 * `intervalMs` (a random walk around its start, first reports spread over the interval).
 *
 *   node --import tsx bench/lib/tablet-fleet.ts FLEET.json
 *
 * FLEET.json: { baseUrl, intervalMs, tablets: [{ unitId, token, latitude, longitude }] }.
 * stdout, one JSON object per line: {"ev":"ready","tablets":N} when every socket is connected;
 * {"ev":"dispatch","dispatchId","unitId","at"} when a tablet receives `dispatch.created` for its unit
 * (`at` = Date.now() on receipt); {"ev":"stats","reports","failed","cpuMs"} every second and on SIGTERM.
 */
import { readFileSync } from 'node:fs';
import { io as connect, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../../contracts/events.ts';

interface Tablet {
  unitId: string;
  token: string;
  latitude: number;
  longitude: number;
}

const spec = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as { baseUrl: string; intervalMs: number; tablets: Tablet[] };
const out = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(o)}\n`);
let reports = 0;
let failed = 0;
const sockets: Array<Socket<ServerToClientEvents, ClientToServerEvents>> = [];
const timers: NodeJS.Timeout[] = [];

async function report(t: Tablet): Promise<void> {
  // A random walk of a few metres per report.
  t.latitude += (Math.random() - 0.5) * 0.0002;
  t.longitude += (Math.random() - 0.5) * 0.0002;
  try {
    const res = await fetch(`${spec.baseUrl}/api/units/${t.unitId}/position`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ latitude: t.latitude, longitude: t.longitude, accuracy: 8 }),
    });
    await res.arrayBuffer();
    if (res.ok) reports++;
    else failed++;
  } catch {
    failed++;
  }
}

await Promise.all(
  spec.tablets.map(
    (t) =>
      new Promise<void>((resolve, reject) => {
        const socket = connect(spec.baseUrl, { path: '/socket.io', transports: ['websocket'], auth: { token: t.token }, forceNew: true });
        sockets.push(socket);
        socket.on('dispatch.created', (d) => {
          if (d.unitId === t.unitId) out({ ev: 'dispatch', dispatchId: d.id, unitId: t.unitId, at: Date.now() });
        });
        socket.once('connect', () => resolve());
        socket.once('connect_error', (err) => reject(err));
      }),
  ),
);
out({ ev: 'ready', tablets: sockets.length });
spec.tablets.forEach((t, i) => {
  const start = setTimeout(() => {
    void report(t);
    timers.push(setInterval(() => void report(t), spec.intervalMs));
  }, (i * spec.intervalMs) / spec.tablets.length);
  timers.push(start);
});
const stats = () => {
  const cpu = process.cpuUsage();
  out({ ev: 'stats', reports, failed, cpuMs: (cpu.user + cpu.system) / 1000 });
};
timers.push(setInterval(stats, 1000));
process.on('SIGTERM', () => {
  stats();
  for (const t of timers) clearTimeout(t);
  for (const s of sockets) s.close();
  process.exit(0);
});
