import { describe, expect, it } from 'vitest';
import { camerasFromQuery, gridFor, INITIAL_WALL, layoutInputOf, nextFreeTile, openCamerasAction, tourTiles, wallReducer, type WallTour } from './wall-model.ts';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `c${i}`);
const tour = (over: Partial<WallTour> = {}): WallTour => ({ cameraIds: ids(10), intervalSeconds: 5, scope: 'wall', tileIndex: null, ...over });

describe('wall tours', () => {
  it('moves the whole wall on by one page per step, filling a short last page from the start', () => {
    const cams = ids(10);
    expect(tourTiles(tour(), cams, 0, 4, []).slice(0, 4)).toEqual(['c0', 'c1', 'c2', 'c3']);
    expect(tourTiles(tour(), cams, 1, 4, []).slice(0, 4)).toEqual(['c4', 'c5', 'c6', 'c7']);
    expect(tourTiles(tour(), cams, 2, 4, []).slice(0, 4)).toEqual(['c8', 'c9', 'c0', 'c1']);
    expect(tourTiles(tour(), cams, 3, 4, []).slice(0, 4)).toEqual(['c0', 'c1', 'c2', 'c3']);
  });

  it('leaves tiles empty rather than repeating cameras when there are fewer cameras than tiles', () => {
    expect(tourTiles(tour(), ids(3), 0, 4, []).slice(0, 4)).toEqual(['c0', 'c1', 'c2', null]);
    expect(tourTiles(tour(), ids(3), 1, 4, []).slice(0, 4)).toEqual(['c0', 'c1', 'c2', null]);
  });

  it('cycles one tile and leaves the others alone', () => {
    const current = ['x', 'y', 'z', 'w'];
    const one = tour({ scope: 'tile', tileIndex: 2 });
    expect(tourTiles(one, ids(3), 0, 4, current).slice(0, 4)).toEqual(['x', 'y', 'c0', 'w']);
    expect(tourTiles(one, ids(3), 4, 4, current).slice(0, 4)).toEqual(['x', 'y', 'c1', 'w']);
    // A tile beyond the grid falls back to the first.
    expect(tourTiles(tour({ scope: 'tile', tileIndex: 20 }), ids(3), 1, 4, current).slice(0, 4)).toEqual(['c1', 'y', 'z', 'w']);
  });

  it('changes nothing without cameras', () => {
    expect(tourTiles(tour(), [], 3, 4, ['a', null, 'b']).slice(0, 3)).toEqual(['a', null, 'b']);
  });

  it('starts on the first page and advances only while running', () => {
    let state = wallReducer(INITIAL_WALL, { type: 'tour-start', tour: tour(), cameraIds: ids(10) });
    expect(state.tiles.slice(0, 4)).toEqual(['c0', 'c1', 'c2', 'c3']);
    state = wallReducer(state, { type: 'tour-advance', cameraIds: ids(10) });
    expect(state.tiles.slice(0, 4)).toEqual(['c4', 'c5', 'c6', 'c7']);
    state = wallReducer(state, { type: 'tour-stop' });
    expect(wallReducer(state, { type: 'tour-advance', cameraIds: ids(10) })).toBe(state);
  });
});

describe('wall reducer', () => {
  it('fills the next free tile, then the selected one when the wall is full', () => {
    let state = wallReducer(INITIAL_WALL, { type: 'grid', grid: 4 });
    for (const id of ['a', 'b', 'c', 'd']) state = wallReducer(state, { type: 'assign-next-free', cameraId: id });
    expect(state.tiles.slice(0, 4)).toEqual(['a', 'b', 'c', 'd']);
    state = wallReducer(state, { type: 'select', index: 1 });
    expect(nextFreeTile(state)).toBe(1);
    state = wallReducer(state, { type: 'assign', index: 2, cameraId: null });
    expect(nextFreeTile(state)).toBe(2);
  });

  it('keeps hidden tiles across grid changes but saves only the shown ones', () => {
    let state = wallReducer(INITIAL_WALL, { type: 'grid', grid: 9 });
    state = wallReducer(state, { type: 'assign', index: 8, cameraId: 'z' });
    state = wallReducer(state, { type: 'grid', grid: 4 });
    expect(layoutInputOf(state)).toEqual({ grid: 4, tiles: [null, null, null, null], tour: null });
    state = wallReducer(state, { type: 'grid', grid: 9 });
    expect(state.tiles[8]).toBe('z');
  });

  it('swaps tiles, clears removed cameras and loads layouts', () => {
    let state = wallReducer(INITIAL_WALL, { type: 'load', layout: { grid: 4, tiles: ['a', null, 'b'], tour: null }, name: 'Gate' });
    expect(state.layoutName).toBe('Gate');
    expect(state.tiles).toHaveLength(36);
    state = wallReducer(state, { type: 'swap', from: 0, to: 1 });
    expect(state.tiles.slice(0, 3)).toEqual([null, 'a', 'b']);
    state = wallReducer(state, { type: 'camera-removed', cameraId: 'a' });
    expect(state.tiles.slice(0, 3)).toEqual([null, null, 'b']);
    const withTour = wallReducer(state, { type: 'load', layout: { grid: 4, tiles: [], tour: tour() }, name: 'T' });
    expect(withTour.touring).toBe(true);
  });
});

describe('opening given cameras', () => {
  const uuid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
  it('chooses the smallest grid that holds them', () => {
    expect([0, 1, 2, 4, 5, 9, 10, 17, 26, 36, 40].map(gridFor)).toEqual([1, 1, 4, 4, 9, 9, 16, 25, 36, 36, 36]);
  });
  it('reads the ids of the link once each, in order, ignoring what is not an id', () => {
    expect(camerasFromQuery(`cameras=${uuid(2)},${uuid(1)},${uuid(2)},nonsense,`)).toEqual([uuid(2), uuid(1)]);
    expect(camerasFromQuery('cameras=')).toBeNull();
    expect(camerasFromQuery('from=x')).toBeNull();
    expect(camerasFromQuery(`cameras=${Array.from({ length: 40 }, (_, i) => uuid(i)).join(',')}`)).toHaveLength(36);
  });
  it('replaces the wall with those cameras, no tour', () => {
    const before = wallReducer(INITIAL_WALL, { type: 'load', layout: { grid: 16, tiles: ids(16), tour: tour() }, name: 'T' });
    const state = wallReducer(before, openCamerasAction(['a', 'b', 'c']));
    expect(state.grid).toBe(4);
    expect(state.tiles.slice(0, 4)).toEqual(['a', 'b', 'c', null]);
    expect(state.touring).toBe(false);
    expect(state.layoutName).toBeNull();
  });
});
