import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { ERROR_CODES } from '../../../../contracts/errors.ts';
import { openLiveSocket, type LiveSocket } from '../api/live-socket.ts';

export interface Live {
  socket: LiveSocket | null;
  connected: boolean;
  /** Increases on every (re)connection, so lists can re-read what they missed while offline. */
  generation: number;
}

const LiveContext = createContext<Live>({ socket: null, connected: false, generation: 0 });

/** One socket.io connection for the signed-in session, closed on sign-out. */
export function LiveProvider({ token, onRefused, verify, children }: { token: string; onRefused: () => void; verify: () => Promise<unknown>; children: ReactNode }) {
  const [live, setLive] = useState<Live>({ socket: null, connected: false, generation: 0 });

  useEffect(() => {
    const socket = openLiveSocket(token);
    setLive({ socket, connected: false, generation: 0 });
    const onConnect = () => setLive((l) => ({ socket, connected: true, generation: l.generation + 1 }));
    const onDisconnect = (reason: string) => {
      setLive((l) => ({ ...l, connected: false }));
      // The server closes the sockets of a session that ended (sign-out elsewhere, user disabled)
      // and socket.io does not reconnect after that. Ask whether the session still stands: a 401
      // ends it here too; otherwise connect again.
      if (reason === 'io server disconnect') verify().then(() => socket.connect(), () => undefined);
    };
    const onConnectError = (error: Error) => {
      setLive((l) => ({ ...l, connected: false }));
      if (error.message === ERROR_CODES.UNAUTHENTICATED) onRefused();
    };
    socket.on('connect', onConnect);
    socket.on('disconnect', onDisconnect);
    socket.on('connect_error', onConnectError);
    return () => {
      socket.off('connect', onConnect);
      socket.off('disconnect', onDisconnect);
      socket.off('connect_error', onConnectError);
      socket.close();
    };
  }, [token, onRefused, verify]);

  return <LiveContext.Provider value={live}>{children}</LiveContext.Provider>;
}

export function useLive(): Live {
  return useContext(LiveContext);
}
