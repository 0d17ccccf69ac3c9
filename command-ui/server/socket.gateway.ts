import type { Server as HttpServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { Server, type Socket } from 'socket.io';
import type { Logger } from '../../config/logger.ts';
import { scopeAllows } from '../../contracts/access.ts';
import { ERROR_CODES } from '../../contracts/errors.ts';
import { subscribeRequestSchema, type AckReply, type ClientToServerEvents, type ServerToClientEvents } from '../../contracts/events.ts';
import { PERMISSIONS, hasPermission, type Permission, type Role } from '../../contracts/roles.ts';
import type { Redis } from '../../storage/redis.ts';
import { tokenOf } from './auth.plugin.ts';
import { toErrorBody } from './errors.ts';
import { socketRedisKey } from './redis-event-bus.ts';
import type { AuthService, Principal } from './services/auth.service.ts';
import { SEARCH_SCOPED_ROOM, searchCameraRoom, type EventBus } from './services/event-bus.ts';

interface SocketData {
  principal: Principal;
}
type ArgusServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type ArgusSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

/** Which permission a room asks for; null means the room cannot be joined on request. */
export function roomPermission(room: string, principal: Principal): { ok: true } | { ok: false; code: string; message: string } {
  const m = /^(camera|site|role|user|unit):([A-Za-z0-9_-]{1,64})$/.exec(room);
  if (!m) return { ok: false, code: ERROR_CODES.VALIDATION, message: `Unknown room ${JSON.stringify(room.slice(0, 80))}.` };
  const [, kind, id] = m as unknown as [string, string, string];
  const need: Record<string, Permission> = { camera: 'cameras.view', site: 'alerts.view', unit: 'incidents.manage' };
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
 * `user:<id>`, `role:<role>` for each of its roles and `unit:<id>` for each unit its user is linked
 * to (a patrol tablet), and other rooms on request after a check.
 */
export class SocketGateway implements EventBus {
  readonly io: ArgusServer;

  constructor(
    httpServer: HttpServer,
    private readonly deps: {
      auth: AuthService;
      log: Logger;
      redis?: { pub: Redis; sub: Redis; prefix: string };
      /** The units a user is linked to; their sockets join `unit:<id>`. */
      unitsOfUser?: (userId: string) => Promise<string[]>;
      /** How often open sockets' sessions are checked; a session that expired or was revoked has its sockets closed. Default 30 s. */
      sessionCheckMs?: number;
      /** Every camera's id and site, for users whose search is limited to some cameras; without it they get no sighting pushes. */
      cameraPlacements?: () => Promise<Array<{ id: string; siteId: string | null }>>;
    },
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
    this.sessionTimer = setInterval(() => void this.closeEndedSessions(), deps.sessionCheckMs ?? 30_000);
    this.sessionTimer.unref();
  }

  private readonly sessionTimer: NodeJS.Timeout;
  private checkingSessions = false;

  /** Close this process's sockets whose session has ended without a logout (expired, revoked, user disabled). */
  private async closeEndedSessions(): Promise<void> {
    if (this.checkingSessions) return;
    this.checkingSessions = true;
    try {
      const sockets = [...this.io.of('/').sockets.values()];
      const ended = new Set(await this.deps.auth.endInactive(sockets.map((s) => s.data.principal.sessionId)));
      for (const socket of sockets) if (ended.has(socket.data.principal.sessionId)) socket.disconnect(true);
      if (ended.size) this.deps.log.info({ sessions: ended.size }, 'closed the sockets of sessions that ended');
    } catch (err) {
      this.deps.log.warn({ err: (err as Error).message }, 'could not check the sessions of open sockets');
    } finally {
      this.checkingSessions = false;
    }
  }

  private onConnection(socket: ArgusSocket): void {
    const p = socket.data.principal;
    // A user whose search is limited joins the scoped room with the role rooms, before any push can reach it.
    const searchScope = hasPermission(p.roles, 'sightings.search') ? (p.cameraAccess?.search ?? null) : null;
    void socket.join([`user:${p.userId}`, sessionRoom(p.sessionId), ...p.roles.map((r) => `role:${r}`), ...(searchScope ? [SEARCH_SCOPED_ROOM] : [])]);
    if (searchScope && this.deps.cameraPlacements) {
      this.deps
        .cameraPlacements()
        .then((cameras) => {
          const rooms = cameras.filter((c) => scopeAllows(searchScope, c)).map((c) => searchCameraRoom(c.id));
          if (rooms.length && socket.connected) void socket.join(rooms);
        })
        .catch((err: unknown) => this.deps.log.warn({ err: (err as Error).message, userId: p.userId }, 'could not join the camera search rooms'));
    }
    this.deps.log.debug({ userId: p.userId, socketId: socket.id }, 'socket connected');
    if (this.deps.unitsOfUser) {
      this.deps
        .unitsOfUser(p.userId)
        .then((ids) => (ids.length && socket.connected ? socket.join(ids.map((id) => `unit:${id}`)) : undefined))
        .catch((err: unknown) => this.deps.log.warn({ err: (err as Error).message, userId: p.userId }, 'could not join the unit rooms'));
    }
    // The ack is the last argument whatever comes before it (a client may send too many or none).
    const handle = (join: boolean) => (request: unknown, ...rest: unknown[]) => {
      const ack = rest.length ? rest[rest.length - 1] : request;
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

  toCameraSearchers<E extends keyof ServerToClientEvents>(cameraId: string, event: E, ...args: Parameters<ServerToClientEvents[E]>): void {
    const rooms = (PERMISSIONS['sightings.search'] as readonly Role[]).map((r) => `role:${r}`);
    (this.io.to(rooms).except(SEARCH_SCOPED_ROOM).emit as (e: E, ...a: Parameters<ServerToClientEvents[E]>) => boolean)(event, ...args);
    (this.io.to(searchCameraRoom(cameraId)).emit as (e: E, ...a: Parameters<ServerToClientEvents[E]>) => boolean)(event, ...args);
  }

  /** Close every socket of a session (logout, disabled user). */
  disconnectSession(sessionId: string): void {
    this.io.in(sessionRoom(sessionId)).disconnectSockets(true);
  }

  async close(): Promise<void> {
    clearInterval(this.sessionTimer);
    await this.io.close();
  }
}
