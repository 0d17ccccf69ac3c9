import type { TileState } from './live-viewer.ts';

/**
 * TEST HOOK. While the video wall is open, `window.__argusWall.tiles()` lists its shown tiles:
 *
 *   [{ index: 0, cameraId: '…', state: 'playing', framesDecoded: 412 }, …]
 *
 * `framesDecoded` is the inbound video's counter from `RTCPeerConnection.getStats()`, read once a
 * second. The browser tests read it with `page.evaluate` to check that video really plays; nothing
 * in the application uses it. It is removed when the wall screen closes.
 */
export interface WallTileProbe {
  index: number;
  cameraId: string | null;
  state: TileState;
  framesDecoded: number;
}

export interface ArgusWallHook {
  tiles(): WallTileProbe[];
}

declare global {
  interface Window {
    __argusWall?: ArgusWallHook;
  }
}

const probes = new Map<number, () => WallTileProbe>();

/** A tile reports itself while it is shown; returns the function that removes it. */
export function registerTileProbe(index: number, probe: () => WallTileProbe): () => void {
  probes.set(index, probe);
  return () => {
    if (probes.get(index) === probe) probes.delete(index);
  };
}

export function installWallTestHook(): () => void {
  const hook: ArgusWallHook = {
    tiles: () =>
      [...probes.entries()]
        .sort(([a], [b]) => a - b)
        .map(([, probe]) => probe()),
  };
  window.__argusWall = hook;
  return () => {
    if (window.__argusWall === hook) delete window.__argusWall;
  };
}
