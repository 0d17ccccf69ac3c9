/**
 * Fixed places for tests and benchmarks that need positions: People's Square, Shanghai, and points
 * at about the distances their names give (haversine).
 */
export const SQUARE = { latitude: 31.2304, longitude: 121.4737 };
export const NEAR_20M = { latitude: 31.23058, longitude: 121.4737 };
export const NORTH_111M = { latitude: 31.2314, longitude: 121.4737 };
export const EAST_475M = { latitude: 31.2304, longitude: 121.4787 };
export const BUND_1882M = { latitude: 31.24, longitude: 121.49 };
/** Lujiazui: about 4 km from the square. */
export const FAR = { latitude: 31.2397, longitude: 121.4998 };
