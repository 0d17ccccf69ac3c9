import { useCallback, useEffect, useRef, useState } from 'react';
import type { ApiClient } from '../api/client.ts';
import type { LiveSocket } from '../api/live-socket.ts';
import { useLive } from '../state/live.tsx';
import { useSignedIn } from '../state/session.tsx';
import { maxSeq, mergeAlerts } from './alert-list.ts';
import type { Alert, AlertQuery } from './alert-types.ts';

/**
 * Alerts kept live: a first page from `GET /api/alerts`, then `alert.created` / `alert.updated`
 * pushes, and on every (re)connection a replay of `GET /api/alerts/since?seq=N` from the highest
 * `seq` seen, so that nothing pushed while the link was down is lost; every ALERT_CATCH_UP_MS the
 * same replay from the last seq the API returned, for a push lost while the link stayed up. Everything is merged by id:
 * an alert that arrives by push and by replay is shown once.
 *
 * `seqKey` keeps the highest seq in localStorage (the terminal: nothing lost across a reload
 * either); `room` is joined on every connection (`site:<id>`).
 */
function readSeq(key: string | undefined): number | null {
  if (!key) return null;
  try {
    const raw = window.localStorage.getItem(key);
    const n = raw === null ? NaN : Number(raw);
    return Number.isFinite(n) && n >= 0 ? n : null;
  } catch {
    return null;
  }
}

function writeSeq(key: string | undefined, seq: number): void {
  if (!key) return;
  try {
    window.localStorage.setItem(key, String(seq));
  } catch {
    // storage unavailable: the replay starts from what this page saw
  }
}

function joinRoom(socket: LiveSocket, room: string): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 3000);
    socket.emit('subscribe', { room }, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Every alert after `from`, page by page (the server caps one reply). */
async function replaySince(api: ApiClient, from: number, siteId: string | undefined, signal: AbortSignal): Promise<Alert[]> {
  const all: Alert[] = [];
  let seq = from;
  for (let i = 0; i < 100; i++) {
    const page = await api.alertsSince(seq, { siteId, signal });
    if (page.items.length === 0) break;
    all.push(...page.items);
    const next = Math.max(page.lastSeq ?? 0, maxSeq(page.items, seq));
    if (next <= seq) break;
    seq = next;
  }
  return all;
}

/**
 * How often the list also asks the API for what came after the last replay, connected or not: a push
 * can be lost without the socket dropping (the Redis adapter between API processes was down while
 * the alert was raised), and this is what brings such an alert to the screen.
 */
export const ALERT_CATCH_UP_MS = 10_000;

export interface AlertStream {
  alerts: Alert[];
  loading: boolean;
  error: unknown;
  connected: boolean;
  /** Put an updated copy in the list (the reply of an action). */
  upsert(alert: Alert): void;
  reload(): void;
  /** Older alerts exist beyond what is listed. */
  hasMore: boolean;
  loadMore(): Promise<void>;
}

export function useAlertStream(options: {
  query: AlertQuery;
  /** Keep only alerts this returns true for (pushes carry every alert the user may see). */
  accept: (alert: Alert) => boolean;
  room?: string;
  seqKey?: string;
  /** Called once for each alert that is new to this page (not on the first load). */
  onNew?: (alert: Alert) => void;
  enabled?: boolean;
}): AlertStream {
  const { api } = useSignedIn();
  const { socket, connected, generation } = useLive();
  const [alerts, setAlerts] = useState<Alert[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [reloads, setReloads] = useState(0);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const seqRef = useRef<number>(readSeq(options.seqKey) ?? 0);
  // The API's cursor for the periodic catch-up: moved only by what the API returned (never by pushes,
  // which may skip an alert that was lost on the way).
  const checkedRef = useRef<number>(seqRef.current);
  const seenRef = useRef(new Set<string>());
  const loadedRef = useRef(false);
  const acceptRef = useRef(options.accept);
  acceptRef.current = options.accept;
  const onNewRef = useRef(options.onNew);
  onNewRef.current = options.onNew;
  const enabled = options.enabled ?? true;
  const queryKey = JSON.stringify(options.query);
  const { room, seqKey } = options;

  const take = useCallback(
    (incoming: readonly Alert[], announce: boolean) => {
      const kept = incoming.filter((a) => acceptRef.current(a));
      if (kept.length === 0) return;
      const seq = maxSeq(kept, seqRef.current);
      if (seq > seqRef.current) {
        seqRef.current = seq;
        writeSeq(seqKey, seq);
      }
      for (const a of kept) {
        if (seenRef.current.has(a.id)) continue;
        seenRef.current.add(a.id);
        if (announce) onNewRef.current?.(a);
      }
      setAlerts((list) => mergeAlerts(list, kept));
    },
    [seqKey],
  );

  // A new scope (another checkpoint, other filters): start again.
  useEffect(() => {
    seqRef.current = readSeq(seqKey) ?? 0;
    checkedRef.current = seqRef.current;
    seenRef.current = new Set();
    loadedRef.current = false;
    setAlerts([]);
  }, [seqKey, queryKey]);

  // First page, and the replay of what was missed, on every (re)connection.
  useEffect(() => {
    if (!enabled) return;
    const abort = new AbortController();
    // The replay starts from what was seen before this connection; pushes that arrive meanwhile
    // raise seqRef but must not shorten the replay.
    const from = seqRef.current;
    const hadStored = seqKey ? readSeq(seqKey) !== null : false;
    setLoading(true);
    setError(null);
    void (async () => {
      try {
        if (socket?.connected && room) await joinRoom(socket, room);
        const query = JSON.parse(queryKey) as AlertQuery;
        if (query.from) query.from = new Date(query.from);
        if (query.to) query.to = new Date(query.to);
        const page = await api.listAlerts(query, abort.signal);
        const firstLoad = !loadedRef.current;
        if (firstLoad) setNextCursor(page.nextCursor ?? null);
        // Known items first (no sound for what was already there)…
        take(page.items, !firstLoad);
        let checked = Math.max(from, maxSeq(page.items, 0));
        // …then everything after the last seq seen: what a dropped link or a reload missed.
        if (from > 0 && (hadStored || !firstLoad)) {
          const missed = await replaySince(api, from, query.siteId, abort.signal);
          take(missed, true);
          checked = Math.max(checked, maxSeq(missed, 0));
        }
        // A filtered first page says little about the newest seq: ask for it (the catch-up starts there).
        if (checked === 0 && checkedRef.current === 0) checked = maxSeq((await api.listAlerts({ siteId: query.siteId, limit: 1 }, abort.signal)).items, 0);
        checkedRef.current = Math.max(checkedRef.current, checked);
        loadedRef.current = true;
        setLoading(false);
      } catch (caught) {
        if (abort.signal.aborted) return;
        setError(caught);
        setLoading(false);
      }
    })();
    return () => abort.abort();
  }, [api, socket, generation, room, queryKey, seqKey, take, enabled, reloads]);

  useEffect(() => {
    if (!socket || !enabled) return;
    const s = socket;
    const onCreated = (alert: Alert) => take([alert], true);
    const onUpdated = (alert: Alert) => take([alert], true);
    s.on('alert.created', onCreated);
    s.on('alert.updated', onUpdated);
    return () => {
      s.off('alert.created', onCreated);
      s.off('alert.updated', onUpdated);
    };
  }, [socket, take, enabled]);

  // The periodic catch-up (see ALERT_CATCH_UP_MS); merged by id like everything else.
  useEffect(() => {
    if (!enabled) return;
    const abort = new AbortController();
    let running = false;
    const timer = setInterval(() => {
      if (running || !loadedRef.current) return;
      running = true;
      const query = JSON.parse(queryKey) as AlertQuery;
      replaySince(api, checkedRef.current, query.siteId, abort.signal)
        .then((items) => {
          take(items, true);
          checkedRef.current = Math.max(checkedRef.current, maxSeq(items, 0));
        })
        .catch(() => undefined)
        .finally(() => {
          running = false;
        });
    }, ALERT_CATCH_UP_MS);
    return () => {
      clearInterval(timer);
      abort.abort();
    };
  }, [api, queryKey, take, enabled]);

  const upsert = useCallback((alert: Alert) => setAlerts((list) => mergeAlerts(list, [alert])), []);
  const reload = useCallback(() => setReloads((n) => n + 1), []);
  const loadMore = useCallback(async () => {
    if (!nextCursor) return;
    try {
      const page = await api.listAlerts({ ...(JSON.parse(queryKey) as AlertQuery), cursor: nextCursor });
      take(page.items, false);
      setNextCursor(page.nextCursor ?? null);
    } catch (caught) {
      setError(caught);
    }
  }, [api, nextCursor, queryKey, take]);
  return { alerts, loading, error, connected, upsert, reload, hasMore: nextCursor !== null, loadMore };
}
