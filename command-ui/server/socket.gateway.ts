import type { Server as HttpServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { Server, type Socket } from 'socket.io';
import type { Logger } from '../../config/logger.ts';
import { ERROR_CODES } from '../../contracts/errors.ts';
import { subscribeRequestSchema, type AckReply, type ClientToServerEvents, type ServerToClientEvents } from '../../contracts/events.ts';
import { PERMISSIONS, hasPermission, type Permission, type Role } from '../../contracts/roles.ts';
import type { Redis } from '../../storage/redis.ts';
import { tokenOf } from './auth.plugin.ts';
import { toErrorBody } from './errors.ts';
import { socketRedisKey } from './redis-event-bus.ts';
import type { AuthService, Principal } from './services/auth.service.ts';
import type { EventBus } from './services/event-bus.ts';

interface SocketData {
  principal: Principal;
}
type ArgusServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type ArgusSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

/** Which permission a room asks for; null means the room cannot be joined on request. */
export function roomPermission(room: string, principal: Principal): { ok: true } | { ok: false; code: string; message: string } {
  const m = /^(camera|site|role|user):([A-Za-z0-9_-]{1,64})$/.exec(room);
  if (!m) return { ok: false, code: ERROR_CODES.VALIDATION, message: `Unknown room ${JSON.stringify(room.slice(0, 80))}.` };
  const [, kind, id] = m as unknown as [string, string, string];
  const need: Record<string, Permission> = { camera: 'cameras.view', site: 'alerts.view' };
  if (kind === 'role' && principal.roles.includes(id as Role)) return { ok: true };
  if (kind === 'user' && id === principal.userId) return { ok: true };
  const permission = need[kind];
  if (permission && hasPermission(principal.roles, permission)) return { ok: true };
  return { ok: false, code: ERROR_CODES.FORBIDDEN, message: `Your role does not allow joining ${room}.` };
}

function sessionRoom(sessionId: string): string {
  return `session:${sessionId}`;
}

/**
 * socket.io gateway: every connection is authenticated with the session token; a socket joins
 * `user:<id>` and `role:<role>` for each of its roles, and other rooms on request after a check.
 */
export class SocketGateway implements EventBus {
  readonly io: ArgusServer;

  constructor(
    httpServer: HttpServer,
    private readonly deps: { auth: AuthService; log: Logger; redis?: { pub: Redis; sub: Redis; prefix: string } },
  ) {
    this.io = new Server(httpServer, { path: '/socket.io', serveClient: false, maxHttpBufferSize: 64 * 1024, cors: { origin: false } });
    if (deps.redis) this.io.adapter(createAdapter(deps.redis.pub, deps.redis.sub, { key: socketRedisKey(deps.redis.prefix) }));
    this.io.use(async (socket, next) => {
      try {
        const raw = socket.handshake.auth as { token?: unknown } | undefined;
        const token = typeof raw?.token === 'string' ? raw.token : tokenOf({ cookie: socket.handshake.headers.cookie });
        socket.data.principal = await deps.auth.authenticate(token);
        next();
      } catch (err) {
        const body = toErrorBody(err);
        next(Object.assign(new Error(body.error.code), { data: body.error }));
      }
    });
    this.io.on('connection', (socket) => this.onConnection(socket));
  }

  private onConnection(socket: ArgusSocket): void {
    const p = socket.data.principal;
    void socket.join([`user:${p.userId}`, sessionRoom(p.sessionId), ...p.roles.map((r) => `role:${r}`)]);
    this.deps.log.debug({ userId: p.userId, socketId: socket.id }, 'socket connected');
    const handle = (join: boolean) => (request: unknown, ack: unknown) => {
      const reply = typeof ack === 'function' ? (ack as (r: AckReply<{ room: string }>) => void) : () => undefined;
      const parsed = subscribeRequestSchema.safeParse(request);
      if (!parsed.success) return reply({ ok: false, error: { code: ERROR_CODES.VALIDATION, message: 'Send { room: string }.' } });
      const { room } = parsed.data;
      if (!join) {
        void socket.leave(room);
        return reply({ ok: true, data: { room } });
      }
      const allowed = roomPermission(room, p);
      if (!allowed.ok) return reply({ ok: false, error: { code: allowed.code, message: allowed.message } });
      void socket.join(room);
      return reply({ ok: true, data: { room } });
    };
    socket.on('subscribe', handle(true));
    socket.on('unsubscribe', handle(false));
  }

  toPermitted<E extends keyof ServerToClientEvents>(permission: Permission, event: E, ...args: Parameters<ServerToClientEvents[E]>): void {
    const rooms = (PERMISSIONS[permission] as readonly Role[]).map((r) => `role:${r}`);
    this.toRooms(rooms, event, ...args);
  }

  toRooms<E extends keyof ServerToClientEvents>(rooms: string[], event: E, ...args: Parameters<ServerToClientEvents[E]>): void {
    if (rooms.length === 0) return;
    (this.io.to(rooms).emit as (e: E, ...a: Parameters<ServerToClientEvents[E]>) => boolean)(event, ...args);
  }

  /** Close every socket of a session (logout, disabled user). */
  disconnectSession(sessionId: string): void {
    this.io.in(sessionRoom(sessionId)).disconnectSockets(true);
  }

  async close(): Promise<void> {
    await this.io.close();
  }
}
