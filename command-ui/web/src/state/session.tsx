import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import type { User } from '../../../../contracts/api.ts';
import { ApiClient, ApiError } from '../api/client.ts';

/**
 * Who is signed in. `checking`: a stored token is being verified with GET /api/auth/me.
 * `signed-out`: show the sign-in screen (`expired` when a session just ended under the user).
 * `unreachable`: the server could not be asked; offer a retry.
 */
export type SessionState =
  | { phase: 'checking' }
  | { phase: 'signed-out'; expired: boolean }
  | { phase: 'unreachable'; error: ApiError }
  | { phase: 'signed-in'; user: User; token: string };

export interface Session {
  state: SessionState;
  api: ApiClient;
  login(username: string, password: string): Promise<void>;
  logout(): Promise<void>;
  /** Re-read the signed-in user (after a password change, for example). */
  refresh(): Promise<void>;
  /** The session ended under us (401 or a refused socket). */
  expire(): void;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ api, children }: { api: ApiClient; children: ReactNode }) {
  const [state, setState] = useState<SessionState>(() => (api.getToken() ? { phase: 'checking' } : { phase: 'signed-out', expired: false }));

  const expire = useCallback(() => {
    api.setToken(null);
    setState((current) => (current.phase === 'signed-out' ? current : { phase: 'signed-out', expired: current.phase === 'signed-in' || current.phase === 'checking' }));
  }, [api]);

  useEffect(() => api.onUnauthenticated(expire), [api, expire]);

  const refresh = useCallback(async () => {
    const token = api.getToken();
    if (!token) {
      setState({ phase: 'signed-out', expired: false });
      return;
    }
    try {
      const user = await api.me();
      setState({ phase: 'signed-in', user, token });
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return; // expire() already ran
      if (error instanceof ApiError) setState({ phase: 'unreachable', error });
      else throw error;
    }
  }, [api]);

  useEffect(() => {
    // Verify a stored token once, at start-up.
    if (state.phase === 'checking') void refresh();
  }, []);

  const login = useCallback(
    async (username: string, password: string) => {
      const reply = await api.login({ username, password });
      setState({ phase: 'signed-in', user: reply.user, token: reply.token });
    },
    [api],
  );

  const logout = useCallback(async () => {
    try {
      await api.logout();
    } catch {
      // the token is forgotten either way
    }
    setState({ phase: 'signed-out', expired: false });
  }, [api]);

  const value = useMemo<Session>(() => ({ state, api, login, logout, refresh, expire }), [state, api, login, logout, refresh, expire]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession() outside <SessionProvider>');
  return value;
}

/** The signed-in user; only for components rendered inside the signed-in shell. */
export function useSignedIn(): { user: User; token: string; api: ApiClient } {
  const { state, api } = useSession();
  if (state.phase !== 'signed-in') throw new Error('useSignedIn() while not signed in');
  return { user: state.user, token: state.token, api };
}
