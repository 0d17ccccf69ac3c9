/**
 * Ways to alter an evidence export package the way someone might, for tests of `verify-export`:
 * flip a byte of one entry in place, or unpack, edit and re-pack the entries with a tar writer.
 */
import { copyFileSync, openSync, readSync, writeSync, closeSync, readFileSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { TarWriter, readTar } from '../../storage/export-tar.ts';

/** Where each entry's content starts in a tar written by Argus (no long-name entries). */
export function entryOffsets(file: string): Map<string, { at: number; size: number }> {
  const data = readFileSync(file);
  const out = new Map<string, { at: number; size: number }>();
  let pos = 0;
  while (pos + 512 <= data.length && !data.subarray(pos, pos + 512).every((b) => b === 0)) {
    const h = data.subarray(pos, pos + 512);
    const str = (s: number, n: number) => h.subarray(s, s + n).toString('utf8').replace(/\0.*$/s, '');
    const prefix = str(345, 155);
    const name = prefix ? `${prefix}/${str(0, 100)}` : str(0, 100);
    const size = parseInt(str(124, 12).trim(), 8);
    out.set(name, { at: pos + 512, size });
    pos += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

/** Copy `file` to `to` with one byte of entry `path` (at `offset` within it) changed. */
export function flipByte(file: string, to: string, path: string, offset = 0): void {
  copyFileSync(file, to);
  const entry = entryOffsets(to).get(path);
  if (!entry) throw new Error(`no entry ${path}`);
  const fd = openSync(to, 'r+');
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, entry.at + offset);
    b[0] = b[0]! ^ 0x01;
    writeSync(fd, b, 0, 1, entry.at + offset);
  } finally {
    closeSync(fd);
  }
}

export interface PackedEntry {
  path: string;
  data: Buffer;
}

/** Unpack every entry, let `edit` change the list, and write the result as a new tar at `to`. */
export async function repack(file: string, to: string, edit: (entries: PackedEntry[]) => PackedEntry[]): Promise<void> {
  const { entries } = await readTar(file, () => true);
  const edited = edit(entries.map((e) => ({ path: e.path, data: e.data! })));
  await unlink(to).catch(() => undefined);
  const writer = await TarWriter.create(to, new Date());
  for (const e of edited) await writer.addBuffer(e.path, e.data);
  await writer.finish();
}
