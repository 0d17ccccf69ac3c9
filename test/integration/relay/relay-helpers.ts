/**
 * Shared pieces of the relay tests (integration and browser): a real Janus relay in a fresh data
 * folder with port ranges of its own, a real H.264 RTP source (ffmpeg's test pattern, 640x360 at
 * 15 fps, as ingest will send a camera's copied RTP), and SDP address parsing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type Logger } from '../../../config/logger.ts';
import { DEFAULT_RELAY_SETTINGS, type RelaySettings } from '../../../ingest/relay/janus.config.ts';
import { startJanusRelay, type JanusRelay } from '../../../ingest/relay/live-relay.ts';

export const testLog: Logger = createLogger({ log: { level: (process.env.ARGUS_TEST_LOG_LEVEL as 'error' | undefined) ?? 'error', pretty: true } });

/** Port ranges no other test file is likely to use at the same time (the relay moves on if one is taken). */
export function testPortRanges(): Pick<RelaySettings, 'rtpPorts' | 'webrtcPorts'> {
  const base = 30000 + randomInt(0, 60) * 400;
  return { rtpPorts: { min: base, max: base + 199 }, webrtcPorts: { min: base + 200, max: base + 399 } };
}

export interface TestRelay {
  relay: JanusRelay;
  dataDir: string;
  settings: RelaySettings;
  stop(): Promise<void>;
}

export async function startTestRelay(overrides: Partial<RelaySettings> = {}, log: Logger = testLog): Promise<TestRelay> {
  const dataDir = mkdtempSync(join(tmpdir(), 'argus-relay-'));
  const settings: RelaySettings = { ...DEFAULT_RELAY_SETTINGS, ...testPortRanges(), ...overrides };
  try {
    const relay = await startJanusRelay(settings, { dataDir, log });
    return {
      relay,
      dataDir,
      settings,
      async stop() {
        await relay.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}

/** ffmpeg's arguments for a live H.264 RTP stream (baseline, a key frame every 2 s) to 127.0.0.1:port. */
export function testVideoArgs(port: number): string[] {
  return [
    '-hide_banner',
    '-loglevel',
    'error',
    '-re',
    '-f',
    'lavfi',
    '-i',
    'testsrc=size=640x360:rate=15',
    '-pix_fmt',
    'yuv420p',
    '-c:v',
    'libx264',
    '-profile:v',
    'baseline',
    '-preset',
    'ultrafast',
    '-tune',
    'zerolatency',
    '-g',
    '30',
    '-bsf:v',
    'h264_mp4toannexb',
    '-f',
    'rtp',
    '-payload_type',
    '96',
    '-sdp_file',
    '/dev/null',
    `rtp://127.0.0.1:${port}?pkt_size=1200`,
  ];
}

export interface TestVideo {
  process: ChildProcess;
  stderr(): string;
  stop(): Promise<void>;
}

/** Push a real H.264 RTP stream to the port until stopped. */
export function pushTestVideo(port: number): TestVideo {
  const child = spawn('ffmpeg', testVideoArgs(port), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  child.once('error', (err) => {
    stderr += `\nffmpeg could not be started: ${err.message} (install ffmpeg)`;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    process: child,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The addresses of every `a=candidate` line and every `c=` line of an SDP. */
export function sdpAddresses(sdp: string): { candidates: string[]; connections: string[] } {
  const lines = sdp.split(/\r?\n/);
  const candidates = lines.filter((l) => l.startsWith('a=candidate:')).map((l) => l.split(' ')[4] ?? '');
  const connections = lines.filter((l) => l.startsWith('c=')).map((l) => l.split(' ')[2] ?? '');
  return { candidates, connections };
}

/** Wait until check() returns a value other than undefined/false, or fail with the last error. */
export async function eventually<T>(check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A complete, well-formed recvonly answer to a Janus H.264 offer (as a browser would send after gathering). */
export function answerSdp(): string {
  const fingerprint = Array.from({ length: 32 }, (_, i) => (i * 7 + 16).toString(16).toUpperCase().padStart(2, '0')).join(':');
  return (
    [
      'v=0',
      'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
      's=-',
      't=0 0',
      'a=group:BUNDLE v',
      'a=msid-semantic: WMS',
      'm=video 9 UDP/TLS/RTP/SAVPF 96',
      'c=IN IP4 0.0.0.0',
      'a=ice-ufrag:Argu',
      'a=ice-pwd:argusargusargusargus24',
      `a=fingerprint:sha-256 ${fingerprint}`,
      'a=setup:active',
      'a=mid:v',
      'a=recvonly',
      'a=rtcp-mux',
      'a=rtpmap:96 H264/90000',
      'a=fmtp:96 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
      'a=candidate:1 1 udp 2113937151 127.0.0.1 9 typ host',
      'a=end-of-candidates',
    ].join('\r\n') + '\r\n'
  );
}
