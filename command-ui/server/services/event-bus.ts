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
  /**
   * Push what a camera recorded (sightings) to every client allowed to search it: roles granting
   * sightings.search, less users whose search is limited to other cameras (contracts/access.ts).
   * Optional for test recorders; the gateway and the Redis emitter implement it.
   */
  toCameraSearchers?<E extends keyof ServerToClientEvents>(cameraId: string, event: E, ...args: Parameters<ServerToClientEvents[E]>): void;
}

/**
 * Rooms for per-camera search permissions: the sockets of a user whose search is limited join
 * SEARCH_SCOPED_ROOM (left out of pushes to role rooms of what cameras recorded) and one
 * `search-camera:<id>` room per camera they may search.
 */
export const SEARCH_SCOPED_ROOM = 'scoped:search';
export const searchCameraRoom = (cameraId: string): string => `search-camera:${cameraId}`;
