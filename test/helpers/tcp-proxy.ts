/**
 * A TCP proxy on 127.0.0.1 that a test controls, to cut a real server off without stopping it:
 *
 *   const proxy = await startTcpProxy({ host: '127.0.0.1', port: 5432 });
 *   // connect to 127.0.0.1:<proxy.port> instead
 *   await proxy.cut();      // every open connection is destroyed and new ones are refused (the port is closed)
 *   await proxy.restore();  // listens on the same port again
 *   await proxy.close();
 *
 * `connections` counts the connections forwarded so far; `open` those open now.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  readonly connections: number;
  readonly open: number;
  readonly cutNow: boolean;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }, options: { port?: number } = {}): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let connections = 0;
  let server: Server | null = null;
  let isCut = false;
  let port = options.port ?? 0;

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => {
        connections++;
        const upstream = createConnection(target);
        sockets.add(client);
        sockets.add(upstream);
        const end = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', end).on('close', end);
        upstream.on('error', end).on('close', end);
        client.pipe(upstream);
        upstream.pipe(client);
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as { port: number }).port;
        server = s;
        resolve();
      });
    });

  const stopListening = () =>
    new Promise<void>((resolve) => {
      const s = server;
      server = null;
      if (!s) return resolve();
      s.close(() => resolve());
    });

  await listen();
  return {
    get port() {
      return port;
    },
    get connections() {
      return connections;
    },
    get open() {
      return sockets.size / 2;
    },
    get cutNow() {
      return isCut;
    },
    async cut() {
      isCut = true;
      const closing = stopListening();
      for (const s of sockets) s.destroy();
      sockets.clear();
      await closing;
    },
    async restore() {
      if (server) return;
      isCut = false;
      // The port was ours a moment ago; another program may take it meanwhile (then this throws).
      await listen();
    },
    async close() {
      isCut = true;
      const closing = stopListening();
      for (const s of sockets) s.destroy();
      sockets.clear();
      await closing;
    },
  };
}
