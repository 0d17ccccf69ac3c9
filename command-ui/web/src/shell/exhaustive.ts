/**
 * Lists of every member of a string union, checked by the compiler: a member missing from the
 * list (for example a camera status added to contracts/api.ts) is a compile error.
 *
 *   const KINDS = everyMember<CameraSourceKind>()(['rtsp', 'onvif', 'file']);
 *
 * The browser keeps its own ordered lists instead of importing the runtime arrays of
 * contracts/api.ts, whose module also builds the zod schemas (kept out of the bundle).
 */
export function everyMember<T extends string>() {
  return <const L extends readonly T[]>(list: L & ([Exclude<T, L[number]>] extends [never] ? unknown : { missing: Exclude<T, L[number]> })): L => list;
}
