/**
 * Hostile peers for the hostile-input tests, all on 127.0.0.1 with a random port:
 *
 * - `startGarbageStreamServer('random')`: a TCP server that answers every connection with random bytes
 *   (an "RTSP camera" or "HTTP stream" that is noise), then closes it.
 * - `startGarbageStreamServer('half-rtsp')`: reads the client's first request, answers with the start
 *   of a plausible RTSP reply, then random bytes, then closes.
 * - `startHostileHttpServer(respond)`: an HTTP server whose every request is answered by `respond`
 *   (a device that replies with an XML bomb, an external entity or an endless body); it counts the
 *   bytes it managed to write and closes every connection on stop.
 * - `childProcesses(name)`: the direct children of this process with that command name (ffmpeg leaks).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';

export interface GarbageStreamServer {
  port: number;
  /** Connections accepted so far. */
  connections: number;
  stop(): Promise<void>;
}

export async function startGarbageStreamServer(mode: 'random' | 'half-rtsp'): Promise<GarbageStreamServer> {
  const sockets = new Set<Socket>();
  const state = { connections: 0 };
  const server = net.createServer((socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const noise = () => {
      if (socket.destroyed) return;
      socket.write(randomBytes(32 * 1024));
      socket.end(randomBytes(32 * 1024));
    };
    if (mode === 'random') {
      noise();
      return;
    }
    socket.once('data', (request) => {
      const cseq = /CSeq:\s*(\d+)/i.exec(request.toString('latin1'))?.[1] ?? '1';
      socket.write(`RTSP/1.0 200 OK\r\nCSeq: ${cseq}\r\nContent-Type: application/sdp\r\nContent-Length: 4000\r\n\r\nv=0\r\no=- 0 0 IN IP4 127.0.0.1\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H2`);
      noise();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    get connections() {
      return state.connections;
    },
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface HostileHttpServer {
  url: string;
  /** Body bytes written to clients so far. */
  bytesWritten: number;
  requests: number;
  stop(): Promise<void>;
}

/** `respond` writes the whole reply; return a promise when it streams. */
export async function startHostileHttpServer(respond: (res: http.ServerResponse, state: { bytesWritten: number }) => void | Promise<void>): Promise<HostileHttpServer> {
  const state = { bytesWritten: 0, requests: 0 };
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    state.requests++;
    req.resume();
    req.on('end', () => {
      void Promise.resolve(respond(res, state)).catch(() => res.destroy());
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/onvif/device_service`,
    get bytesWritten() {
      return state.bytesWritten;
    },
    get requests() {
      return state.requests;
    },
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Stream `total` bytes of a reply in 64 KiB chunks, honouring back-pressure, until the client goes away. */
export async function streamHuge(res: http.ServerResponse, state: { bytesWritten: number }, total: number, head: string): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/soap+xml; charset=utf-8' });
  const chunk = Buffer.from(`<tt:Junk>${'A'.repeat(64 * 1024 - 21)}</tt:Junk>`);
  res.write(head);
  state.bytesWritten += head.length;
  while (state.bytesWritten < total && !res.destroyed) {
    state.bytesWritten += chunk.length;
    if (!res.write(chunk)) {
      await new Promise<void>((resolve) => {
        res.once('drain', resolve);
        res.once('close', resolve);
      });
    }
  }
  res.end();
}

/** The direct children of this process running `name` (by command name), as pids. */
export function childProcesses(name: string): number[] {
  let out = '';
  try {
    out = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  } catch {
    return []; // ps exits 1 when there are no children
  }
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([, comm]) => comm === name)
    .map(([pid]) => Number(pid));
}

/** Raw HTTP request with the path sent exactly as written (fetch would normalise `..`). */
export function rawGet(baseUrl: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => {
      const head = [`GET ${path} HTTP/1.1`, `Host: ${hostname}:${port}`, 'Connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), '', ''].join('\r\n');
      socket.write(Buffer.from(head, 'latin1'));
    });
    const chunks: Buffer[] = [];
    socket.setTimeout(10_000, () => socket.destroy(new Error(`no reply to GET ${path} within 10 s`)));
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
  });
}
