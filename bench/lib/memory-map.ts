/**
 * Where a process's resident memory is, read from /proc/<pid>/smaps (Linux): a soak that sees RSS
 * grow can tell which kind of memory grew.
 *
 *   wasm   — anonymous reservations of 4 GiB or more: V8 reserves one such "cage" per WebAssembly
 *            memory (PGlite's PostgreSQL runs in one), so their resident part is WASM memory.
 *   heap   — the [heap] mapping: glibc's main malloc arena (native allocations of the main thread).
 *   anon   — every other anonymous mapping: the V8 heap, glibc's per-thread malloc arenas (ONNX
 *            Runtime's tensors in the analysis worker threads, libuv threads), large mallocs.
 *   files  — mapped files: the node binary, shared libraries (onnxruntime, sharp's libvips), models.
 */
import { readFileSync } from 'node:fs';

export interface MemoryMap {
  wasmMiB: number;
  heapMiB: number;
  anonMiB: number;
  filesMiB: number;
}

const CAGE_KB = 4 * 1024 * 1024;

export function memoryMap(pid: number | 'self' = 'self'): MemoryMap | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  } catch {
    return null; // not Linux, or the process is gone
  }
  const kb = { wasm: 0, heap: 0, anon: 0, files: 0 };
  let kind: keyof typeof kb = 'anon';
  let sizeKb = 0;
  for (const line of text.split('\n')) {
    // A mapping's header: "start-end perms offset dev inode [path]".
    const header = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (header) {
      const path = header[3]!.trim();
      sizeKb = Number((BigInt(`0x${header[2]}`) - BigInt(`0x${header[1]}`)) / 1024n);
      if (path === '[heap]') kind = 'heap';
      else if (path.startsWith('/')) kind = 'files';
      else kind = 'anon';
      continue;
    }
    if (line.startsWith('Rss:')) {
      const rss = Number(line.slice(4).trim().split(/\s+/)[0]);
      kb[kind === 'anon' && sizeKb >= CAGE_KB ? 'wasm' : kind] += rss;
    }
  }
  const mib = (v: number) => v / 1024;
  return { wasmMiB: mib(kb.wasm), heapMiB: mib(kb.heap), anonMiB: mib(kb.anon), filesMiB: mib(kb.files) };
}
