import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../contracts/errors.ts';

/**
 * The Janus configuration Argus generates at each start, under `<dataDir>/janus/`: the core
 * (janus.jcfg), the HTTP transport and the streaming plugin. Every other plugin, transport, logger
 * and event handler found in the Janus library folder is disabled, so Janus starts in about a second
 * and opens nothing but its HTTP API (bound to `apiHost`), the RTP inputs of the mountpoints Argus
 * creates, and the WebRTC ports of viewers.
 *
 * ICE: half-trickle, full ICE with connectivity checks as keepalives (so that Janus notices, about a
 * minute later, a browser that vanished without hanging up; an ICE-lite Janus never does), no
 * STUN/TURN, no mDNS resolution (which would send multicast on the network), IPv4 only, candidates
 * only on `iceInterfaces`. In the embedded default (`['lo']`) every
 * candidate Janus offers is 127.0.0.1. Janus 1.1 itself never gathers on a loopback interface
 * (janus_ice_setup_local skips IFF_LOOPBACK), so loopback-only ICE also needs the small getifaddrs shim
 * of loopback-ice.shim.ts, which JanusProcess preloads; see there.
 *
 * Rendering is a pure function of its input (unit-tested as text); writing and listing the library
 * folder are separate.
 */

export interface PortRange {
  min: number;
  max: number;
}

/**
 * The relay part of the Argus configuration (`relay` in config/schema.ts). Declared here as a plain
 * interface so that the relay does not depend on the configuration module's layout.
 */
export interface RelaySettings {
  /** Start the Janus relay (live video). */
  enabled: boolean;
  /** The Janus program. */
  janusPath: string;
  /** Folder holding Janus's plugins/, transports/, events/ and loggers/; null: found among the usual places. */
  janusLibDir: string | null;
  /** Address the Janus HTTP API binds to; only Argus talks to it. */
  apiHost: string;
  /** Port of the Janus HTTP API; 0 picks a free one at each start. */
  apiPort: number;
  /**
   * The address other Argus processes (other hosts) reach this Janus's HTTP API at, published in the
   * relay directory; null: apiHost (fine while every process runs on this machine).
   */
  advertiseHost: string | null;
  /** Interfaces (or address prefixes) Janus offers WebRTC candidates on. ['lo']: this machine only. */
  iceInterfaces: string[];
  /** Address the mountpoints receive camera RTP on (ingest sends there). */
  rtpHost: string;
  /** UDP ports of the camera RTP inputs: an even port per camera (its RTCP would use the next one). */
  rtpPorts: PortRange;
  /** UDP ports Janus uses for WebRTC, one per viewer. */
  webrtcPorts: PortRange;
  /** A viewer whose browser has not answered the offer within this many seconds is closed. */
  viewerAnswerSeconds: number;
  /** Janus log level, 0 (nothing) to 7 (everything); its lines go to the Argus log. */
  logLevel: number;
}

export const DEFAULT_RELAY_SETTINGS: Readonly<RelaySettings> = Object.freeze({
  enabled: true,
  janusPath: '/usr/bin/janus',
  janusLibDir: null,
  apiHost: '127.0.0.1',
  apiPort: 0,
  advertiseHost: null,
  iceInterfaces: ['lo'],
  rtpHost: '127.0.0.1',
  rtpPorts: { min: 20000, max: 20999 },
  webrtcPorts: { min: 21000, max: 21999 },
  viewerAnswerSeconds: 30,
  logLevel: 3,
});

/** Where Debian, Ubuntu and source builds put the Janus libraries. */
export const JANUS_LIB_DIRS = [
  '/usr/lib/x86_64-linux-gnu/janus',
  '/usr/lib/aarch64-linux-gnu/janus',
  '/usr/lib/janus',
  '/usr/local/lib/janus',
  '/opt/janus/lib/janus',
] as const;

export const STREAMING_PLUGIN = 'libjanus_streaming.so';
export const HTTP_TRANSPORT = 'libjanus_http.so';

/** The shared objects in each Janus library sub-folder. */
export interface JanusModules {
  plugins: string[];
  transports: string[];
  events: string[];
  loggers: string[];
}

export interface JanusSecrets {
  /** Every Janus API request must carry it (`apisecret`). */
  apiSecret: string;
  /** The admin API is not served; set anyway so that Janus's sample default never applies. */
  adminSecret: string;
  /** Needed by the streaming plugin to create mountpoints. */
  streamingAdminKey: string;
}

export interface JanusConfigInput {
  /** Absolute folder the files are written to (Janus's configs_folder). */
  configDir: string;
  /** Absolute folder of Janus's plugins/, transports/, events/ and loggers/. */
  libDir: string;
  /** What is in libDir; everything but the streaming plugin and the HTTP transport is disabled. */
  modules: JanusModules;
  secrets: JanusSecrets;
  apiHost: string;
  apiPort: number;
  iceInterfaces: readonly string[];
  webrtcPorts: PortRange;
  rtpPorts: PortRange;
  logLevel: number;
}

export const JANUS_CONFIG_FILES = ['janus.jcfg', 'janus.transport.http.jcfg', 'janus.plugin.streaming.jcfg'] as const;
export type JanusConfigFiles = Record<(typeof JANUS_CONFIG_FILES)[number], string>;

/** Fresh random secrets, one set per start. */
export function generateJanusSecrets(): JanusSecrets {
  const secret = () => randomBytes(24).toString('base64url');
  return { apiSecret: secret(), adminSecret: secret(), streamingAdminKey: secret() };
}

/** True for a loopback interface name or address (lo, 127.x.x.x, ::1). */
export function isLoopbackAddress(value: string): boolean {
  return value === 'lo' || /^lo\d*$/.test(value) || value.startsWith('127.') || value === '::1' || value === 'localhost';
}

/** ICE restricted to this machine: every entry of the list is a loopback name or address. */
export function isLoopbackOnly(iceInterfaces: readonly string[]): boolean {
  return iceInterfaces.length > 0 && iceInterfaces.every(isLoopbackAddress);
}

function checkRange(range: PortRange, path: string): void {
  if (!Number.isInteger(range.min) || !Number.isInteger(range.max) || range.min < 1024 || range.max > 65535 || range.min > range.max) {
    throw new ConfigError(`${path} must be a range of ports between 1024 and 65535, min ≤ max (got ${range.min}-${range.max})`, [
      { path, message: 'invalid port range' },
    ]);
  }
}

/** Check the relay settings beyond what their schema can say. */
export function checkRelaySettings(settings: RelaySettings): void {
  checkRange(settings.rtpPorts, 'relay.rtpPorts');
  checkRange(settings.webrtcPorts, 'relay.webrtcPorts');
  if (settings.rtpPorts.max - settings.rtpPorts.min < 1) {
    throw new ConfigError('relay.rtpPorts needs at least two ports (RTP and RTCP of one camera)', [{ path: 'relay.rtpPorts', message: 'too small' }]);
  }
  const overlap = settings.rtpPorts.min <= settings.webrtcPorts.max && settings.webrtcPorts.min <= settings.rtpPorts.max;
  if (overlap) {
    throw new ConfigError('relay.rtpPorts and relay.webrtcPorts must not overlap', [{ path: 'relay.webrtcPorts', message: 'overlaps relay.rtpPorts' }]);
  }
  if (isLoopbackOnly(settings.iceInterfaces) && !settings.rtpHost.startsWith('127.')) {
    throw new ConfigError('With ICE on loopback (relay.iceInterfaces ["lo"]) the camera RTP must arrive on loopback too: set relay.rtpHost to 127.0.0.1', [
      { path: 'relay.rtpHost', message: 'must be a 127.x.x.x address when ICE is loopback-only' },
    ]);
  }
  if (settings.advertiseHost && !isLoopbackAddress(settings.advertiseHost) && isLoopbackAddress(settings.apiHost)) {
    throw new ConfigError(
      `relay.advertiseHost ${settings.advertiseHost} tells other hosts to reach Janus there, but its HTTP API binds to ${settings.apiHost} (this machine only): set relay.apiHost to this host's address (or 0.0.0.0)`,
      [{ path: 'relay.apiHost', message: 'a loopback address cannot be reached at relay.advertiseHost' }],
    );
  }
  if (settings.iceInterfaces.some((i) => !/^[A-Za-z0-9_.:-]+$/.test(i))) {
    throw new ConfigError('relay.iceInterfaces holds interface names or address prefixes (letters, digits, . : _ -)', [
      { path: 'relay.iceInterfaces', message: 'invalid entry' },
    ]);
  }
}

// ---------- jcfg (libconfig) text ----------

type JcfgValue = string | number | boolean | readonly string[];
type JcfgSection = Record<string, JcfgValue | undefined>;

function jcfgString(value: string): string {
  if (/[\r\n\0]/.test(value)) throw new ConfigError(`Janus configuration values cannot hold line breaks: ${JSON.stringify(value)}`);
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function jcfgValue(value: JcfgValue): string {
  if (typeof value === 'string') return jcfgString(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new ConfigError(`Janus configuration numbers must be integers (got ${value})`);
    return String(value);
  }
  return `[${value.map(jcfgString).join(', ')}]`;
}

/** libconfig text of named sections; undefined values are left out. */
export function renderJcfg(title: string, sections: Record<string, JcfgSection>): string {
  const lines = [`# ${title}`, '# Generated by Argus at start-up; changes are overwritten. See ingest/relay/janus.config.ts.', ''];
  for (const [name, entries] of Object.entries(sections)) {
    lines.push(`${name}: {`);
    for (const [key, value] of Object.entries(entries)) {
      if (value !== undefined) lines.push(`\t${key} = ${jcfgValue(value)}`);
    }
    lines.push('}', '');
  }
  return lines.join('\n');
}

/** The comma-separated `disable` list: every module of the folder but those kept, or undefined when none. */
function disableAllBut(modules: readonly string[], keep: readonly string[]): string | undefined {
  const disabled = modules.filter((m) => !keep.includes(m)).sort();
  return disabled.length ? disabled.join(',') : undefined;
}

const range = (r: PortRange) => `${r.min}-${r.max}`;

/** The three configuration files, as text. */
export function renderJanusConfig(input: JanusConfigInput): JanusConfigFiles {
  const loopback = isLoopbackOnly(input.iceInterfaces);
  const janus = renderJcfg('Janus core (Argus live video relay)', {
    general: {
      configs_folder: input.configDir,
      plugins_folder: join(input.libDir, 'plugins'),
      transports_folder: join(input.libDir, 'transports'),
      events_folder: join(input.libDir, 'events'),
      loggers_folder: join(input.libDir, 'loggers'),
      debug_level: input.logLevel,
      debug_timestamps: false,
      debug_colors: false,
      log_to_stdout: true,
      exit_on_dl_error: true,
      api_secret: input.secrets.apiSecret,
      admin_secret: input.secrets.adminSecret,
      token_auth: false,
      session_timeout: 60,
      reclaim_session_timeout: 0,
      server_name: 'argus-relay',
      hide_dependencies: true,
      // The address written into SDP c= lines.
      interface: loopback ? '127.0.0.1' : undefined,
    },
    certificates: {
      // No files: Janus makes a fresh self-signed DTLS certificate at each start (fine for DTLS-SRTP).
    },
    media: {
      ipv6: false,
      ipv6_linklocal: false,
      rtp_port_range: range(input.webrtcPorts),
      dtls_mtu: 1200,
      no_media_timer: 1,
      slowlink_threshold: 0,
    },
    nat: {
      nice_debug: false,
      full_trickle: false,
      // Full ICE: with ICE-lite Janus never checks the browser and keeps the viewer of a crashed tab forever.
      ice_lite: false,
      ice_keepalive_conncheck: true,
      ice_tcp: false,
      // Janus would otherwise resolve the browser's .local candidates with multicast DNS on the network.
      ignore_mdns: true,
      ice_enforce_list: input.iceInterfaces.join(','),
      // No stun_server / turn_server: candidates are the host's own addresses only.
    },
    plugins: { disable: disableAllBut(input.modules.plugins, [STREAMING_PLUGIN]) },
    transports: { disable: disableAllBut(input.modules.transports, [HTTP_TRANSPORT]) },
    loggers: { disable: disableAllBut(input.modules.loggers, []) },
    events: { broadcast: false, disable: disableAllBut(input.modules.events, []) },
  });

  const http = renderJcfg('Janus HTTP API (only Argus talks to it; browsers never do)', {
    general: {
      json: 'plain',
      base_path: '/janus',
      http: true,
      port: input.apiPort,
      ip: input.apiHost,
      https: false,
      acl: isLoopbackAddress(input.apiHost) ? '127.' : undefined,
    },
    admin: {
      admin_base_path: '/admin',
      admin_http: false,
      admin_https: false,
    },
    cors: {
      // No browser page may read the API's replies (Argus itself sends no Origin).
      allow_origin: 'http://argus.invalid',
    },
    certificates: {},
  });

  const streaming = renderJcfg('Janus streaming plugin: mountpoints are created by Argus at run time', {
    general: {
      admin_key: input.secrets.streamingAdminKey,
      rtp_port_range: range(input.rtpPorts),
      events: false,
      string_ids: false,
    },
  });

  return { 'janus.jcfg': janus, 'janus.transport.http.jcfg': http, 'janus.plugin.streaming.jcfg': streaming };
}

// ---------- the file system side ----------

function sharedObjects(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.so'))
    .sort();
}

/** The .so files of each Janus library sub-folder (what Janus would load). */
export function listJanusModules(libDir: string): JanusModules {
  return {
    plugins: sharedObjects(join(libDir, 'plugins')),
    transports: sharedObjects(join(libDir, 'transports')),
    events: sharedObjects(join(libDir, 'events')),
    loggers: sharedObjects(join(libDir, 'loggers')),
  };
}

/** The Janus library folder: the configured one, else the first usual place with the streaming plugin. */
export function findJanusLibDir(configured: string | null, candidates: readonly string[] = JANUS_LIB_DIRS): string {
  const places = configured ? [configured] : candidates;
  for (const dir of places) {
    if (existsSync(join(dir, 'plugins', STREAMING_PLUGIN)) && existsSync(join(dir, 'transports', HTTP_TRANSPORT))) return dir;
  }
  throw new ConfigError(
    configured
      ? `relay.janusLibDir ${configured} does not hold plugins/${STREAMING_PLUGIN} and transports/${HTTP_TRANSPORT}.`
      : `The Janus streaming plugin and HTTP transport were not found in ${candidates.join(', ')}: install the janus package (npm start does it), or set relay.janusLibDir.`,
    [{ path: 'relay.janusLibDir', message: 'no Janus plugins here' }],
  );
}

/** Write the files into configDir (created, owner-only: they hold the secrets). */
export function writeJanusConfig(configDir: string, files: JanusConfigFiles): void {
  mkdirSync(configDir, { recursive: true, mode: 0o700 });
  chmodSync(configDir, 0o700);
  for (const name of JANUS_CONFIG_FILES) {
    const path = join(configDir, name);
    writeFileSync(path, files[name], { mode: 0o600 });
    chmodSync(path, 0o600);
  }
}
