import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AckReply, ClientToServerEvents, ServerToClientEvents } from '../../../contracts/events.ts';
import { startTestSystem, type TestSystem } from '../../helpers/system.ts';

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

function open(baseUrl: string, token: string | null): Client {
  return connect(baseUrl, { path: '/socket.io', transports: ['websocket'], auth: token ? { token } : {}, reconnection: false, forceNew: true });
}

function connected(socket: Client): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (err) => reject(err));
  });
}

function next<E extends keyof ServerToClientEvents>(socket: Client, event: E, timeoutMs = 5000): Promise<Parameters<ServerToClientEvents[E]>[0]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${String(event)} within ${timeoutMs} ms`)), timeoutMs);
    (socket.once as (e: string, l: (p: unknown) => void) => void)(event as string, (payload) => {
      clearTimeout(timer);
      resolve(payload as Parameters<ServerToClientEvents[E]>[0]);
    });
  });
}

describe('socket.io gateway', () => {
  let sys: TestSystem;
  const sockets: Client[] = [];
  beforeAll(async () => {
    sys = await startTestSystem();
    await sys.createUser({ username: 'cp1', password: 'checkpoint-pass-1', roles: ['checkpoint'] });
  });
  afterEach(() => {
    for (const s of sockets.splice(0)) s.disconnect();
  });
  afterAll(async () => sys?.stop());

  it('refuses a connection without a valid session token', async () => {
    for (const token of [null, 'forged-token']) {
      const socket = open(sys.baseUrl, token);
      sockets.push(socket);
      await expect(connected(socket)).rejects.toThrow('E_UNAUTHENTICATED');
    }
  });

  it('pushes a camera created by an admin to every authenticated screen allowed to see cameras', async () => {
    const adminToken = await sys.login(sys.admin.username, sys.admin.password);
    const watcher = open(sys.baseUrl, await sys.login('cp1', 'checkpoint-pass-1'));
    sockets.push(watcher);
    await connected(watcher);
    const pushed = next(watcher, 'camera.created');
    const res = await sys.api('/api/cameras', { token: adminToken, body: { name: 'Pushed', sourceKind: 'rtsp', sourceUrl: 'rtsp://a:b@127.0.0.1/p' } });
    expect(res.status).toBe(201);
    const camera = await pushed;
    expect(camera).toMatchObject({ id: res.body.id, name: 'Pushed', sourceUrl: 'rtsp://127.0.0.1/p' });
    expect(JSON.stringify(camera)).not.toContain(':b@');
  });

  it('lets a client join only the rooms its roles allow', async () => {
    const socket = open(sys.baseUrl, await sys.login('cp1', 'checkpoint-pass-1'));
    sockets.push(socket);
    await connected(socket);
    const ask = (room: unknown) =>
      new Promise<AckReply<{ room: string }>>((resolve) => (socket.emit as (e: string, r: unknown, a: (x: AckReply<{ room: string }>) => void) => void)('subscribe', { room }, resolve));
    expect(await ask('role:checkpoint')).toEqual({ ok: true, data: { room: 'role:checkpoint' } });
    expect(await ask('camera:abc')).toMatchObject({ ok: true });
    const denied = await ask('role:admin');
    expect(denied).toMatchObject({ ok: false, error: { code: 'E_FORBIDDEN' } });
    expect(await ask('user:someone-else')).toMatchObject({ ok: false, error: { code: 'E_FORBIDDEN' } });
    expect(await ask('../../etc')).toMatchObject({ ok: false, error: { code: 'E_VALIDATION' } });
    expect(await ask(42)).toMatchObject({ ok: false, error: { code: 'E_VALIDATION' } });
  });

  it('closes the sockets of a session when it logs out', async () => {
    const token = await sys.login('cp1', 'checkpoint-pass-1');
    const socket = open(sys.baseUrl, token);
    sockets.push(socket);
    await connected(socket);
    const closed = new Promise<string>((resolve) => socket.once('disconnect', (reason) => resolve(reason)));
    expect((await sys.api('/api/auth/logout', { token, method: 'POST' })).status).toBe(204);
    expect(await closed).toBe('io server disconnect');
    const again = open(sys.baseUrl, token);
    sockets.push(again);
    await expect(connected(again)).rejects.toThrow('E_UNAUTHENTICATED');
  });
});
