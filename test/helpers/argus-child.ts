/**
 * A real Argus (startTestSystem) in a child process of its own, driven over IPC, so that its
 * processes, file descriptors and memory can be measured apart from the test runner's. Started by
 * test/helpers/camera-flap-rig.ts with `node --expose-gc --import tsx argus-child.ts <config JSON>`.
 *
 * Messages in: { type: 'api', id, path, method?, body? } (as the admin), { type: 'sample', id }
 * (after a full gc), { type: 'stop' }. Replies: { type: 'reply', id, ... }; first { type: 'ready' }.
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { startTestSystem } from './system.ts';

type Message = { type: 'api'; id: number; path: string; method?: string; body?: unknown } | { type: 'sample'; id: number } | { type: 'stop' };

function fdKinds(): { total: number; sockets: number; pipes: number; files: number; other: number } {
  const out = { total: 0, sockets: 0, pipes: 0, files: 0, other: 0 };
  for (const fd of readdirSync('/proc/self/fd')) {
    let target = '';
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // the fd of readdir itself
    }
    out.total++;
    if (target.startsWith('socket:')) out.sockets++;
    else if (target.startsWith('pipe:')) out.pipes++;
    else if (target.startsWith('/')) out.files++;
    else out.other++;
  }
  return out;
}

const send = (m: unknown) => process.send!(m);

const config = JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>;
const sys = await startTestSystem({ config });
const token = await sys.login(sys.admin.username, sys.admin.password);
const gc = (globalThis as { gc?: () => void }).gc;

process.on('message', (raw: Message) => {
  void (async () => {
    if (raw.type === 'stop') {
      await sys.stop();
      process.exit(0);
    }
    if (raw.type === 'api') {
      const res = await sys.api(raw.path, { token, method: raw.method, body: raw.body });
      send({ type: 'reply', id: raw.id, status: res.status, body: res.body });
      return;
    }
    if (raw.type === 'sample') {
      // Twice: what the first pass frees (finalizers, weak refs) goes in the second.
      gc?.();
      gc?.();
      const mem = process.memoryUsage();
      send({ type: 'reply', id: raw.id, gc: Boolean(gc), heapUsed: mem.heapUsed, rss: mem.rss, external: mem.external, fds: fdKinds(), handles: (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length });
    }
  })().catch((err: unknown) => send({ type: 'reply', id: (raw as { id?: number }).id ?? -1, error: (err as Error).message }));
});
send({ type: 'ready', url: sys.baseUrl, pid: process.pid });
