/**
 * Fake ffmpeg executables for unit tests of the process adapter and the session: small Node scripts
 * that behave like ffmpeg at the process boundary (argv in; log on stderr, frames on stdout, progress
 * on fd 3; exit codes and signals), so the real adapter code runs against a real child process.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakeFfmpegDir {
  /** Path of an executable running `body` (JavaScript, ESM) with `args`, `url` (the -i value), `fs` in scope. */
  script(name: string, body: string): string;
  remove(): void;
}

export function fakeFfmpegDir(): FakeFfmpegDir {
  const dir = mkdtempSync(join(tmpdir(), 'argus-fake-ffmpeg-'));
  return {
    script(name, body) {
      const path = join(dir, `${name}.mjs`);
      writeFileSync(
        path,
        `#!${process.execPath}\nimport fs from 'node:fs';\nconst args = process.argv.slice(2);\nconst url = args[args.indexOf('-i') + 1];\n${body}\n`,
      );
      chmodSync(path, 0o755);
      return path;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
