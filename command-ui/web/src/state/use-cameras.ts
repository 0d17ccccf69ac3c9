import { useCallback, useEffect, useMemo, useReducer } from 'react';
import type { Camera } from '../../../../contracts/api.ts';
import type { CameraStatusEvent } from '../../../../contracts/events.ts';
import type { ApiError } from '../api/client.ts';
import { useLive } from './live.tsx';
import { useSignedIn } from './session.tsx';

/**
 * The camera list, kept current by socket.io pushes (camera.created / updated / deleted / status).
 * Pushes that arrive while the list is being read are queued and applied on top of the read, so
 * nothing created during the read is lost; after every (re)connection the list is read again.
 */
type CameraEvent =
  | { kind: 'upsert'; camera: Camera }
  | { kind: 'delete'; id: string }
  | { kind: 'status'; event: CameraStatusEvent };

interface State {
  cameras: ReadonlyMap<string, Camera>;
  loading: boolean;
  error: ApiError | null;
  /** Events received while a read is in flight. */
  pending: CameraEvent[];
}

type Action =
  | { type: 'load-start' }
  | { type: 'load-done'; cameras: Camera[] }
  | { type: 'load-failed'; error: ApiError }
  | { type: 'event'; event: CameraEvent };

function apply(cameras: Map<string, Camera>, event: CameraEvent): void {
  switch (event.kind) {
    case 'upsert': {
      const known = cameras.get(event.camera.id);
      // An older snapshot must not overwrite a newer one.
      if (!known || known.updatedAt <= event.camera.updatedAt) cameras.set(event.camera.id, event.camera);
      return;
    }
    case 'delete':
      cameras.delete(event.id);
      return;
    case 'status': {
      const known = cameras.get(event.event.cameraId);
      if (known) cameras.set(known.id, { ...known, status: event.event.status, statusReason: event.event.reason, statusChangedAt: event.event.at });
      return;
    }
  }
}

function reducer(state: State, action: Action): State {
  switch (action.type) {
    case 'load-start':
      return { ...state, loading: true, error: null, pending: [] };
    case 'load-done': {
      const cameras = new Map(action.cameras.map((c) => [c.id, c]));
      for (const event of state.pending) apply(cameras, event);
      return { cameras, loading: false, error: null, pending: [] };
    }
    case 'load-failed':
      return { ...state, loading: false, error: action.error, pending: [] };
    case 'event': {
      if (state.loading) return { ...state, pending: [...state.pending, action.event] };
      const cameras = new Map(state.cameras);
      apply(cameras, action.event);
      return { ...state, cameras };
    }
  }
}

export interface CameraList {
  cameras: Camera[];
  byId: ReadonlyMap<string, Camera>;
  loading: boolean;
  error: ApiError | null;
  reload(): void;
  /** Apply a change this browser made itself, before (or without) its push arriving. */
  upsert(camera: Camera): void;
  remove(id: string): void;
}

export function useCameras(): CameraList {
  const { api } = useSignedIn();
  const { socket, generation } = useLive();
  const [state, dispatch] = useReducer(reducer, { cameras: new Map(), loading: true, error: null, pending: [] });

  const load = useCallback(() => {
    let cancelled = false;
    dispatch({ type: 'load-start' });
    api.listAllCameras().then(
      (cameras) => !cancelled && dispatch({ type: 'load-done', cameras }),
      (error: ApiError) => !cancelled && dispatch({ type: 'load-failed', error }),
    );
    return () => {
      cancelled = true;
    };
  }, [api]);

  // Read on mount and again after every reconnection (pushes may have been missed meanwhile).
  useEffect(() => load(), [load, generation]);

  useEffect(() => {
    if (!socket) return;
    const onUpsert = (camera: Camera) => dispatch({ type: 'event', event: { kind: 'upsert', camera } });
    const onDelete = (payload: { id: string }) => dispatch({ type: 'event', event: { kind: 'delete', id: payload.id } });
    const onStatus = (event: CameraStatusEvent) => dispatch({ type: 'event', event: { kind: 'status', event } });
    socket.on('camera.created', onUpsert);
    socket.on('camera.updated', onUpsert);
    socket.on('camera.deleted', onDelete);
    socket.on('camera.status', onStatus);
    return () => {
      socket.off('camera.created', onUpsert);
      socket.off('camera.updated', onUpsert);
      socket.off('camera.deleted', onDelete);
      socket.off('camera.status', onStatus);
    };
  }, [socket]);

  const upsert = useCallback((camera: Camera) => dispatch({ type: 'event', event: { kind: 'upsert', camera } }), []);
  const remove = useCallback((id: string) => dispatch({ type: 'event', event: { kind: 'delete', id } }), []);

  const cameras = useMemo(
    () => [...state.cameras.values()].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id)),
    [state.cameras],
  );
  return { cameras, byId: state.cameras, loading: state.loading, error: state.error, reload: load, upsert, remove };
}
