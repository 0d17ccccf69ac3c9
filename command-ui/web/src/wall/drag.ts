import type { DragEvent } from 'react';

/**
 * HTML5 drag and drop on the wall: a camera from the tree onto a tile (put it there), or a tile
 * onto another tile (swap them). The data types are private to Argus so that text dragged in from
 * elsewhere is refused.
 */
export const CAMERA_DRAG_TYPE = 'application/x-argus-camera';
export const TILE_DRAG_TYPE = 'application/x-argus-tile';

export function startCameraDrag(event: DragEvent, cameraId: string, label: string): void {
  event.dataTransfer.setData(CAMERA_DRAG_TYPE, cameraId);
  event.dataTransfer.setData('text/plain', label);
  event.dataTransfer.effectAllowed = 'copyMove';
}

export function startTileDrag(event: DragEvent, index: number): void {
  event.dataTransfer.setData(TILE_DRAG_TYPE, String(index));
  event.dataTransfer.effectAllowed = 'move';
}

export function carriesWallDrop(event: DragEvent): boolean {
  const types = event.dataTransfer.types;
  return types.includes(CAMERA_DRAG_TYPE) || types.includes(TILE_DRAG_TYPE);
}

export type WallDrop = { kind: 'camera'; cameraId: string } | { kind: 'tile'; index: number } | null;

export function readWallDrop(event: DragEvent): WallDrop {
  const cameraId = event.dataTransfer.getData(CAMERA_DRAG_TYPE);
  if (cameraId) return { kind: 'camera', cameraId };
  const tile = event.dataTransfer.getData(TILE_DRAG_TYPE);
  if (tile !== '' && /^\d+$/.test(tile)) return { kind: 'tile', index: Number(tile) };
  return null;
}
