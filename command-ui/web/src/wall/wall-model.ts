import type { WallLayout, WallLayoutInput } from '../../../../contracts/media.ts';

/**
 * The state of the video wall, as a pure reducer: the grid, the camera of every tile, the
 * selected and the full-screen tile, and the tour. Tiles are kept for all 36 positions so that
 * going from 16 tiles to 4 and back brings the hidden tiles' cameras back; only the first `grid`
 * tiles are shown, saved and toured.
 */
export type WallGrid = WallLayoutInput['grid'];
export type WallTour = NonNullable<WallLayoutInput['tour']>;

/** The layouts offered, in order (the contract's WALL_GRIDS, kept here so zod stays out of the bundle). */
export const WALL_GRID_LIST: readonly WallGrid[] = [1, 4, 9, 16, 25, 36];
export const MAX_TILES = 36;
export const MIN_TOUR_SECONDS = 3;
export const MAX_TOUR_SECONDS = 3600;

export function isWallGrid(value: unknown): value is WallGrid {
  return typeof value === 'number' && (WALL_GRID_LIST as readonly number[]).includes(value);
}

/** The smallest grid that shows `count` cameras (the largest when they are more). */
export function gridFor(count: number): WallGrid {
  return WALL_GRID_LIST.find((g) => g >= count) ?? WALL_GRID_LIST[WALL_GRID_LIST.length - 1]!;
}

/**
 * The cameras a link asks the wall to open: `#/wall?cameras=<id>,<id>…` (ids kept once, in order,
 * at most MAX_TILES). Null when the link names none.
 */
export function camerasFromQuery(query: string): string[] | null {
  const value = new URLSearchParams(query).get('cameras');
  if (!value) return null;
  const ids = [...new Set(value.split(',').map((s) => s.trim()).filter((s) => /^[0-9a-fA-F-]{36}$/.test(s)))].slice(0, MAX_TILES);
  return ids.length > 0 ? ids : null;
}

/** The wall action that opens these cameras, one per tile, in a grid big enough for them. */
export function openCamerasAction(cameraIds: readonly string[]): WallAction {
  return { type: 'load', layout: { grid: gridFor(cameraIds.length), tiles: [...cameraIds], tour: null }, name: null, touring: false };
}

/** Tiles per row (and per column) of a grid. */
export function gridSide(grid: WallGrid): number {
  return Math.round(Math.sqrt(grid));
}

export interface WallState {
  grid: WallGrid;
  /** Camera of each of the 36 tile positions. */
  tiles: ReadonlyArray<string | null>;
  selected: number;
  /** The tile shown full screen, or null. */
  maximized: number | null;
  tour: WallTour | null;
  touring: boolean;
  /** How many times the running tour has moved on since it started. */
  tourStep: number;
  /** The saved layout last loaded or saved, for the layouts menu. */
  layoutName: string | null;
}

export type WallAction =
  | { type: 'grid'; grid: WallGrid }
  | { type: 'assign'; index: number; cameraId: string | null }
  | { type: 'assign-next-free'; cameraId: string }
  | { type: 'swap'; from: number; to: number }
  | { type: 'clear' }
  | { type: 'select'; index: number }
  | { type: 'maximize'; index: number | null }
  | { type: 'load'; layout: WallLayoutInput; name: string | null; touring?: boolean }
  | { type: 'named'; name: string | null }
  | { type: 'tour-start'; tour: WallTour; cameraIds: readonly string[] }
  | { type: 'tour-stop' }
  | { type: 'tour-advance'; cameraIds: readonly string[] }
  | { type: 'camera-removed'; cameraId: string };

export function emptyTiles(): Array<string | null> {
  return Array.from({ length: MAX_TILES }, () => null);
}

export const INITIAL_WALL: WallState = {
  grid: 4,
  tiles: emptyTiles(),
  selected: 0,
  maximized: null,
  tour: null,
  touring: false,
  tourStep: 0,
  layoutName: null,
};

/** The first empty tile shown, or the selected tile when every tile is taken. */
export function nextFreeTile(state: Pick<WallState, 'grid' | 'tiles' | 'selected'>): number {
  for (let i = 0; i < state.grid; i++) if (!state.tiles[i]) return i;
  return Math.min(state.selected, state.grid - 1);
}

/**
 * The tiles a tour shows at `step`. Scope 'wall': the cameras are cut into pages of `grid` and
 * every tile moves on by one page per step; a last, short page is filled from the start of the
 * list when there are more cameras than tiles, and left empty otherwise. Scope 'tile': only
 * `tileIndex` cycles through the cameras, one per step. An empty list changes nothing.
 */
export function tourTiles(tour: WallTour, cameraIds: readonly string[], step: number, grid: WallGrid, current: ReadonlyArray<string | null>): Array<string | null> {
  const tiles = [...current];
  while (tiles.length < MAX_TILES) tiles.push(null);
  const n = cameraIds.length;
  if (n === 0) return tiles;
  if (tour.scope === 'tile') {
    const index = tourTileIndex(tour, grid);
    tiles[index] = cameraIds[mod(step, n)] ?? null;
    return tiles;
  }
  const pages = Math.ceil(n / grid);
  const page = mod(step, pages);
  for (let i = 0; i < grid; i++) {
    const at = page * grid + i;
    tiles[i] = at < n ? cameraIds[at]! : n > grid ? cameraIds[at % n]! : null;
  }
  return tiles;
}

/** The tile a single-tile tour cycles (the first when it lies beyond the grid). */
export function tourTileIndex(tour: WallTour, grid: WallGrid): number {
  const index = tour.tileIndex ?? 0;
  return index >= 0 && index < grid ? index : 0;
}

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}

function padTiles(tiles: ReadonlyArray<string | null>): Array<string | null> {
  const out = tiles.slice(0, MAX_TILES).map((t) => t ?? null);
  while (out.length < MAX_TILES) out.push(null);
  return out;
}

export function wallReducer(state: WallState, action: WallAction): WallState {
  switch (action.type) {
    case 'grid': {
      const selected = state.selected < action.grid ? state.selected : 0;
      const maximized = state.maximized !== null && state.maximized < action.grid ? state.maximized : null;
      return { ...state, grid: action.grid, selected, maximized };
    }
    case 'assign': {
      if (action.index < 0 || action.index >= state.grid) return state;
      const tiles = [...state.tiles];
      tiles[action.index] = action.cameraId;
      return { ...state, tiles, selected: action.index };
    }
    case 'assign-next-free': {
      const index = nextFreeTile(state);
      const tiles = [...state.tiles];
      tiles[index] = action.cameraId;
      return { ...state, tiles, selected: index };
    }
    case 'swap': {
      if (action.from === action.to || action.from >= state.grid || action.to >= state.grid) return state;
      const tiles = [...state.tiles];
      const moved = tiles[action.from] ?? null;
      tiles[action.from] = tiles[action.to] ?? null;
      tiles[action.to] = moved;
      return { ...state, tiles, selected: action.to };
    }
    case 'clear':
      return { ...state, tiles: emptyTiles(), maximized: null, touring: false };
    case 'select':
      return action.index === state.selected || action.index >= state.grid ? state : { ...state, selected: action.index };
    case 'maximize':
      return { ...state, maximized: action.index !== null && action.index < state.grid ? action.index : null };
    case 'load': {
      const grid = action.layout.grid;
      const tour = action.layout.tour ?? null;
      return {
        ...state,
        grid,
        tiles: padTiles(action.layout.tiles),
        selected: 0,
        maximized: null,
        tour,
        touring: tour !== null && (action.touring ?? true),
        tourStep: 0,
        layoutName: action.name,
      };
    }
    case 'named':
      return { ...state, layoutName: action.name };
    case 'tour-start': {
      const tiles = tourTiles(action.tour, action.cameraIds, 0, state.grid, state.tiles);
      return { ...state, tour: action.tour, touring: true, tourStep: 0, tiles };
    }
    case 'tour-stop':
      return { ...state, touring: false };
    case 'tour-advance': {
      if (!state.touring || !state.tour) return state;
      const step = state.tourStep + 1;
      return { ...state, tourStep: step, tiles: tourTiles(state.tour, action.cameraIds, step, state.grid, state.tiles) };
    }
    case 'camera-removed': {
      if (!state.tiles.includes(action.cameraId)) return state;
      return { ...state, tiles: state.tiles.map((t) => (t === action.cameraId ? null : t)) };
    }
  }
}

/** What is saved on the server: the shown tiles only, and the tour when one is running (it runs again on load). */
export function layoutInputOf(state: WallState): WallLayoutInput {
  return { grid: state.grid, tiles: state.tiles.slice(0, state.grid).map((t) => t ?? null), tour: state.touring ? state.tour : null };
}

export function sortLayouts(layouts: readonly WallLayout[]): WallLayout[] {
  return [...layouts].sort((a, b) => a.name.localeCompare(b.name));
}

// ---------- the wall as it was left, per user, in this browser ----------
interface StoredWall {
  layout: WallLayoutInput;
  name: string | null;
  touring: boolean;
}

export function wallStorageKey(userId: string): string {
  return `argus.wall.${userId}`;
}

export function storeWall(userId: string, state: WallState): void {
  const stored: StoredWall = { layout: { grid: state.grid, tiles: [...state.tiles], tour: state.tour }, name: state.layoutName, touring: state.touring };
  try {
    window.localStorage.setItem(wallStorageKey(userId), JSON.stringify(stored));
  } catch {
    // storage unavailable: the wall starts empty next time
  }
}

/** The wall this user left in this browser, or null (nothing stored, or not readable). */
export function restoreWall(userId: string): WallAction | null {
  let raw: string | null = null;
  try {
    raw = window.localStorage.getItem(wallStorageKey(userId));
  } catch {
    return null;
  }
  if (!raw) return null;
  try {
    const stored = JSON.parse(raw) as Partial<StoredWall>;
    const layout = stored.layout;
    if (!layout || !isWallGrid(layout.grid) || !Array.isArray(layout.tiles)) return null;
    const tiles = layout.tiles.map((t) => (typeof t === 'string' ? t : null));
    const tour = isTour(layout.tour) ? layout.tour : null;
    return { type: 'load', layout: { grid: layout.grid, tiles, tour }, name: typeof stored.name === 'string' ? stored.name : null, touring: stored.touring === true };
  } catch {
    return null;
  }
}

function isTour(value: unknown): value is WallTour {
  if (typeof value !== 'object' || value === null) return false;
  const tour = value as Partial<WallTour>;
  return (
    Array.isArray(tour.cameraIds) &&
    tour.cameraIds.every((id) => typeof id === 'string') &&
    typeof tour.intervalSeconds === 'number' &&
    (tour.scope === 'wall' || tour.scope === 'tile')
  );
}
