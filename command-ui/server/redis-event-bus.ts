import { Emitter } from '@socket.io/redis-emitter';
import type { ServerToClientEvents } from '../../contracts/events.ts';
import { PERMISSIONS, type Permission, type Role } from '../../contracts/roles.ts';
import type { Redis } from '../../storage/redis.ts';
import { SEARCH_SCOPED_ROOM, searchCameraRoom, type EventBus } from './services/event-bus.ts';

/** The socket gateway's channel key in Redis for a key prefix; the gateway's adapter and every emitter use it. */
export function socketRedisKey(prefix: string): string {
  return `${prefix}:socket`;
}

/**
 * Pushes to socket clients from a process that has no socket server (a worker or ingest-only
 * process), through the API processes' Redis adapter.
 */
export class RedisEventBus implements EventBus {
  private readonly emitter: Emitter<ServerToClientEvents>;

  constructor(redis: Redis, prefix: string) {
    this.emitter = new Emitter<ServerToClientEvents>(redis, { key: socketRedisKey(prefix) });
  }

  toPermitted<E extends keyof ServerToClientEvents>(permission: Permission, event: E, ...args: Parameters<ServerToClientEvents[E]>): void {
    this.toRooms((PERMISSIONS[permission] as readonly Role[]).map((r) => `role:${r}`), event, ...args);
  }

  toRooms<E extends keyof ServerToClientEvents>(rooms: string[], event: E, ...args: Parameters<ServerToClientEvents[E]>): void {
    if (rooms.length === 0) return;
    (this.emitter.to(rooms).emit as (e: E, ...a: Parameters<ServerToClientEvents[E]>) => boolean)(event, ...args);
  }

  toCameraSearchers<E extends keyof ServerToClientEvents>(cameraId: string, event: E, ...args: Parameters<ServerToClientEvents[E]>): void {
    const rooms = (PERMISSIONS['sightings.search'] as readonly Role[]).map((r) => `role:${r}`);
    (this.emitter.to(rooms).except(SEARCH_SCOPED_ROOM).emit as (e: E, ...a: Parameters<ServerToClientEvents[E]>) => boolean)(event, ...args);
    (this.emitter.to(searchCameraRoom(cameraId)).emit as (e: E, ...a: Parameters<ServerToClientEvents[E]>) => boolean)(event, ...args);
  }
}
