import { createHash, type Hash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';

/**
 * A minimal, strict POSIX ustar writer and reader for evidence export packages.
 *
 * Why not the npm `tar` package: an export is a flat list of regular files whose sizes are known
 * before they are written, which takes a hundred lines to write; and the verifier wants a reader that
 * refuses what a lenient one would accept (a bad header checksum, a truncated entry, links, an
 * entry name leading out of the package, the same name twice) with a message saying which, while
 * hashing each entry without holding it in memory. Packages open with any tar program (`tar -xf`).
 *
 * Reader extensions accepted so that a package re-packed by GNU or BSD tar still verifies: directory
 * entries (skipped), GNU long names ('L') and pax headers ('x') carrying `path`.
 */

const BLOCK = 512;
/** ustar's size field: 11 octal digits. */
const MAX_ENTRY_BYTES = 8 ** 11 - 1;

/** The input is not a tar archive, or is damaged (truncated, bad header): it cannot be read. */
export class TarFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TarFormatError';
  }
}

function octal(value: number, width: number): string {
  // width includes the terminating NUL.
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

/** Split a path into ustar's prefix (≤155 bytes) and name (≤100 bytes) at a slash. */
function splitPath(path: string): { name: string; prefix: string } {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: '' };
  for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name.length > 0) return { name, prefix };
  }
  throw new Error(`path too long for a ustar entry: ${path}`);
}

export function tarHeader(path: string, size: number, mtime: Date): Buffer {
  if (!Number.isSafeInteger(size) || size < 0 || size > MAX_ENTRY_BYTES) throw new Error(`entry ${path} is too large for ustar (${size} bytes)`);
  const { name, prefix } = splitPath(path);
  const h = Buffer.alloc(BLOCK, 0);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(0o644, 8), 100, 8, 'ascii');
  h.write(octal(0, 8), 108, 8, 'ascii');
  h.write(octal(0, 8), 116, 8, 'ascii');
  h.write(octal(size, 12), 124, 12, 'ascii');
  h.write(octal(Math.floor(mtime.getTime() / 1000), 12), 136, 12, 'ascii');
  h.write('        ', 148, 8, 'ascii');
  h.write('0', 156, 1, 'ascii');
  h.write('ustar\0', 257, 6, 'ascii');
  h.write('00', 263, 2, 'ascii');
  h.write('argus', 265, 32, 'ascii');
  h.write('argus', 297, 32, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148, 8, 'ascii');
  return h;
}

/**
 * Writes a tar file entry by entry; everything written is hashed (the package's sha256) and
 * counted. The caller writes to a temporary file and renames it when `finish` has returned.
 */
export class TarWriter {
  private readonly whole: Hash = createHash('sha256');
  private written = 0;

  private constructor(
    private readonly file: FileHandle,
    private readonly mtime: Date,
  ) {}

  static async create(path: string, mtime: Date): Promise<TarWriter> {
    return new TarWriter(await open(path, 'wx', 0o600), mtime);
  }

  get bytes(): number {
    return this.written;
  }

  private async write(data: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < data.length) {
      const { bytesWritten } = await this.file.write(data, offset, data.length - offset);
      offset += bytesWritten;
    }
    this.whole.update(data);
    this.written += data.length;
  }

  private async pad(size: number): Promise<void> {
    const rest = size % BLOCK;
    if (rest) await this.write(Buffer.alloc(BLOCK - rest, 0));
  }

  /** An entry from memory; returns its sha256 (hex). */
  async addBuffer(path: string, data: Uint8Array): Promise<string> {
    await this.write(tarHeader(path, data.length, this.mtime));
    await this.write(data);
    await this.pad(data.length);
    return createHash('sha256').update(data).digest('hex');
  }

  /**
   * An entry copied from a file of known size; returns its sha256 (hex). A file that is not exactly
   * `size` bytes long (it changed since it was measured) is an error: the header is written already.
   */
  async addFile(path: string, source: string, size: number, onBytes?: (n: number) => void): Promise<string> {
    await this.write(tarHeader(path, size, this.mtime));
    const hash = createHash('sha256');
    const input = await open(source, 'r');
    try {
      const chunk = Buffer.allocUnsafe(1024 * 1024);
      let copied = 0;
      while (copied < size) {
        const { bytesRead } = await input.read(chunk, 0, Math.min(chunk.length, size - copied), copied);
        if (bytesRead === 0) throw new Error(`${source} became shorter while it was copied (${copied} of ${size} bytes)`);
        const part = chunk.subarray(0, bytesRead);
        hash.update(part);
        await this.write(part);
        copied += bytesRead;
        onBytes?.(bytesRead);
      }
    } finally {
      await input.close();
    }
    await this.pad(size);
    return hash.digest('hex');
  }

  /** The two zero blocks that end an archive; flushes to disk. Returns size and sha256 of the whole file. */
  async finish(): Promise<{ bytes: number; sha256: string }> {
    await this.write(Buffer.alloc(BLOCK * 2, 0));
    await this.file.sync();
    await this.file.close();
    return { bytes: this.written, sha256: this.whole.digest('hex') };
  }

  /** Give up: close the file (the caller removes it). */
  async abort(): Promise<void> {
    await this.file.close().catch(() => undefined);
  }
}

export interface TarEntry {
  path: string;
  size: number;
  sha256: string;
  /** The content, for entries the caller asked to keep (small files such as the manifest). */
  data: Buffer | null;
}

function field(h: Buffer, start: number, length: number): string {
  const raw = h.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString('utf8');
}

function parseOctal(h: Buffer, start: number, length: number, what: string, at: number): number {
  const text = field(h, start, length).trim();
  if (!/^[0-7]+$/.test(text)) throw new TarFormatError(`bad ${what} field in the tar header at byte ${at}`);
  return parseInt(text, 8);
}

/** A path of a package entry that stays inside the package: relative, no `..`, no empty parts. */
export function safeEntryPath(path: string): boolean {
  if (path.length === 0 || path.startsWith('/') || path.includes('\\') || path.includes('\0')) return false;
  return path.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

/**
 * Read every regular-file entry of a tar file, hashing each (sha256) without holding it in memory,
 * keeping the content of those `keep` selects. Throws TarFormatError for anything that is not a
 * complete, well-formed tar (not a tar at all, a bad header checksum, truncated). Entries whose type
 * is not a regular file, or whose name is unsafe, are returned in `refused` with the reason.
 */
export async function readTar(
  file: string,
  keep: (path: string, size: number) => boolean = () => false,
): Promise<{ entries: TarEntry[]; refused: Array<{ path: string; reason: string }> }> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    throw new TarFormatError(`cannot open ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    const { size: total } = await handle.stat();
    const entries: TarEntry[] = [];
    const refused: Array<{ path: string; reason: string }> = [];
    const header = Buffer.alloc(BLOCK);
    const chunk = Buffer.allocUnsafe(1024 * 1024);
    let pos = 0;
    let longName: string | null = null;
    let first = true;
    const readExact = async (buffer: Buffer, length: number, at: number, what: string) => {
      let got = 0;
      while (got < length) {
        const { bytesRead } = await handle.read(buffer, got, length - got, at + got);
        if (bytesRead === 0) throw new TarFormatError(`the package is truncated: it ends inside ${what} (at byte ${at + got} of ${total})`);
        got += bytesRead;
      }
    };
    for (;;) {
      if (pos + BLOCK > total) {
        if (first) throw new TarFormatError(total === 0 ? 'the file is empty, not a tar archive' : 'not a tar archive (shorter than one tar header)');
        throw new TarFormatError(`the package is truncated: no end-of-archive marker (it ends at byte ${total})`);
      }
      await readExact(header, BLOCK, pos, 'a header');
      if (header.every((b) => b === 0)) break; // end of archive (the second zero block is not required)
      let sum = 0;
      for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : header[i]!;
      const stored = field(header, 148, 8).trim();
      if (!/^[0-7]+$/.test(stored) || parseInt(stored, 8) !== sum) {
        throw new TarFormatError(first ? 'not a tar archive (the first block is not a valid tar header)' : `damaged tar header at byte ${pos} (checksum mismatch)`);
      }
      first = false;
      const size = parseOctal(header, 124, 12, 'size', pos);
      const type = String.fromCharCode(header[156]!);
      const magic = field(header, 257, 6);
      const prefix = magic === 'ustar' ? field(header, 345, 155) : '';
      let path = prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100);
      if (longName !== null) {
        path = longName;
        longName = null;
      }
      const dataAt = pos + BLOCK;
      if (dataAt + size > total) throw new TarFormatError(`the package is truncated: ${path} should have ${size} bytes, the file ends after ${Math.max(0, total - dataAt)}`);
      const next = dataAt + Math.ceil(size / BLOCK) * BLOCK;
      if (type === 'L' || type === 'x') {
        if (size > 1024 * 1024) throw new TarFormatError(`oversized ${type === 'L' ? 'long-name' : 'pax'} header at byte ${pos}`);
        const meta = Buffer.alloc(size);
        await readExact(meta, size, dataAt, 'a header');
        if (type === 'L') longName = meta.toString('utf8').replace(/\0+$/, '');
        else {
          const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(meta.toString('utf8'));
          if (m) longName = m[1]!;
        }
        pos = next;
        continue;
      }
      if (type === 'g') {
        pos = next;
        continue;
      }
      const clean = path.replace(/^\.\//, '');
      if (type === '5') {
        pos = next;
        continue;
      }
      if (type !== '0' && type !== '\0' && type !== '7') {
        refused.push({ path: clean, reason: `not a regular file (tar entry type '${type}')` });
        pos = next;
        continue;
      }
      if (!safeEntryPath(clean)) {
        refused.push({ path: clean, reason: 'unsafe entry name (absolute, or leads outside the package)' });
        pos = next;
        continue;
      }
      const hash = createHash('sha256');
      const keepIt = keep(clean, size);
      const parts: Buffer[] = [];
      let done = 0;
      while (done < size) {
        const n = Math.min(chunk.length, size - done);
        await readExact(chunk, n, dataAt + done, clean);
        const part = chunk.subarray(0, n);
        hash.update(part);
        if (keepIt) parts.push(Buffer.from(part));
        done += n;
      }
      entries.push({ path: clean, size, sha256: hash.digest('hex'), data: keepIt ? Buffer.concat(parts) : null });
      pos = next;
    }
    return { entries, refused };
  } finally {
    await handle.close();
  }
}
