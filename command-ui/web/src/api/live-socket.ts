import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../../../../contracts/events.ts';

/**
 * The one socket.io connection of a signed-in browser. It connects to the page's own origin at
 * /socket.io with the bearer token; the server puts the user into the rooms their roles allow, so
 * the client only listens. WebSocket only: no long-polling, so no sticky sessions are needed in
 * front of several API processes.
 */
export type LiveSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export function openLiveSocket(token: string): LiveSocket {
  return io({
    path: '/socket.io',
    auth: { token },
    transports: ['websocket'],
    reconnectionDelay: 500,
    reconnectionDelayMax: 5000,
  });
}
