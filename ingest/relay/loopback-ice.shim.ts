import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { UnavailableError } from '../../contracts/errors.ts';

/**
 * Loopback-only ICE for Janus. Janus 1.1 never gathers ICE candidates on a loopback interface, so
 * with `ice_enforce_list = "lo"` alone it offers the machine's network addresses instead. The 30-line
 * C wrapper of getifaddrs() next to this file (janus-loopback-ice.c) is compiled once into the data
 * folder and preloaded into the Janus process only (LD_PRELOAD), which then sees 127.0.0.1 as its one
 * usable interface and offers only 127.0.0.1 candidates. Production relays that serve other hosts
 * set `relay.iceInterfaces` to a real interface and do not use it.
 */

const execFileAsync = promisify(execFile);

export const LOOPBACK_SHIM_SOURCE = fileURLToPath(new URL('./janus-loopback-ice.c', import.meta.url));

/** C compilers tried in order. */
const COMPILERS = ['cc', 'gcc', 'clang'] as const;

/** The shim's file name for the current source: a changed source gives a new file. */
export function loopbackShimFileName(source: string): string {
  return `argus-loopback-ice-${createHash('sha256').update(source).digest('hex').slice(0, 12)}.so`;
}

/**
 * The path of the compiled shim in `dir`, compiling it first when missing. Compiles to a temporary
 * name and renames, so processes starting at the same time do not see a half-written file.
 */
export async function ensureLoopbackShim(dir: string): Promise<string> {
  const source = readFileSync(LOOPBACK_SHIM_SOURCE, 'utf8');
  const target = join(dir, loopbackShimFileName(source));
  if (existsSync(target)) return target;
  mkdirSync(dir, { recursive: true });
  const tmp = `${target}.${randomBytes(4).toString('hex')}.tmp`;
  const failures: string[] = [];
  for (const compiler of COMPILERS) {
    try {
      await execFileAsync(compiler, ['-shared', '-fPIC', '-O2', '-Wall', '-o', tmp, LOOPBACK_SHIM_SOURCE, '-ldl'], { timeout: 60_000 });
      renameSync(tmp, target);
      return target;
    } catch (err) {
      rmSync(tmp, { force: true });
      const e = err as NodeJS.ErrnoException & { stderr?: string };
      failures.push(e.code === 'ENOENT' ? `${compiler}: not installed` : `${compiler}: ${(e.stderr || e.message).trim().split('\n')[0]}`);
    }
  }
  throw new UnavailableError(
    `Live video on loopback (relay.iceInterfaces ["lo"]) needs a small helper for Janus that is compiled on first start, and no C compiler worked (${failures.join('; ')}). ` +
      'Install one (apt-get install gcc), or set relay.iceInterfaces to the network interface browsers reach this host on.',
  );
}
