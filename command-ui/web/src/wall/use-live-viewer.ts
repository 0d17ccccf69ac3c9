import { useEffect, useRef, useState } from 'react';
import type { Camera } from '../../../../contracts/api.ts';
import { EMPTY_SNAPSHOT, LiveViewer, type LiveViewerApi, type ViewerSnapshot } from './live-viewer.ts';

/** What a live view needs to know of its camera: its reported status (a wall's camera, or a camera near an incident). */
export type LiveCameraStatus = Pick<Camera, 'status' | 'statusReason'>;

/** Re-render every second while `active` (retry countdowns). */
export function useSecondTicker(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const timer = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(timer);
  }, [active]);
  return now;
}

/**
 * One live view: opens and closes its viewer as its camera changes, and keeps itself alive. A null
 * `cameraId` closes the viewer (the relay's viewer is deleted); the returned `videoRef` goes on the
 * `<video>` element, which must be rendered whenever a camera is given.
 */
export function useLiveViewer(api: LiveViewerApi, cameraId: string | null, camera: LiveCameraStatus | undefined) {
  const videoRef = useRef<HTMLVideoElement>(null);
  const viewerRef = useRef<LiveViewer | null>(null);
  const [snapshot, setSnapshot] = useState<ViewerSnapshot>(EMPTY_SNAPSHOT);
  const status = camera?.status;
  const reason = camera?.statusReason ?? null;
  const statusRef = useRef({ status, reason });
  statusRef.current = { status, reason };

  useEffect(() => {
    const video = videoRef.current;
    if (!cameraId || !video) {
      setSnapshot(EMPTY_SNAPSHOT);
      return;
    }
    const viewer = new LiveViewer({ api, cameraId, video, status: statusRef.current.status, reason: statusRef.current.reason, onChange: setSnapshot });
    viewerRef.current = viewer;
    setSnapshot(viewer.current);
    viewer.start();
    return () => {
      viewer.dispose();
      if (viewerRef.current === viewer) viewerRef.current = null;
      setSnapshot(EMPTY_SNAPSHOT);
    };
  }, [api, cameraId]);

  useEffect(() => {
    viewerRef.current?.setCameraStatus(status, reason);
  }, [status, reason]);

  return { videoRef, snapshot, retry: () => viewerRef.current?.retryNow() };
}
