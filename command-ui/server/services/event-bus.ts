import type { Permission } from '../../../contracts/roles.ts';
import type { ServerToClientEvents } from '../../../contracts/events.ts';

/**
 * Where services publish domain events for connected clients. The socket gateway implements it
 * (through the Redis adapter, so any API process reaches every client); tests use a recorder.
 */
export interface EventBus {
  /** Push to every client whose roles grant the permission. */
  toPermitted<E extends keyof ServerToClientEvents>(permission: Permission, event: E, ...args: Parameters<ServerToClientEvents[E]>): void;
  /** Push to named rooms (`camera:<id>`, `site:<id>`, `user:<id>`, `role:<role>`). */
  toRooms<E extends keyof ServerToClientEvents>(rooms: string[], event: E, ...args: Parameters<ServerToClientEvents[E]>): void;
}
