import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ArgusError } from '../../../contracts/errors.ts';
import {
  checkRelaySettings,
  DEFAULT_RELAY_SETTINGS,
  generateJanusSecrets,
  isLoopbackOnly,
  renderJanusConfig,
  renderJcfg,
  writeJanusConfig,
  type JanusConfigInput,
  type RelaySettings,
} from '../../../ingest/relay/janus.config.ts';
import { advertisedApiUrl } from '../../../ingest/relay/live-relay.ts';

const MODULES = {
  plugins: ['libjanus_audiobridge.so', 'libjanus_echotest.so', 'libjanus_sip.so', 'libjanus_streaming.so', 'libjanus_videoroom.so'],
  transports: ['libjanus_http.so', 'libjanus_mqtt.so', 'libjanus_pfunix.so', 'libjanus_websockets.so'],
  events: ['libjanus_gelfevh.so', 'libjanus_sampleevh.so'],
  loggers: ['libjanus_jsonlog.so'],
};

function input(overrides: Partial<JanusConfigInput> = {}): JanusConfigInput {
  return {
    configDir: '/var/lib/argus/janus',
    libDir: '/usr/lib/x86_64-linux-gnu/janus',
    modules: MODULES,
    secrets: { apiSecret: 'api-SECRET-1', adminSecret: 'admin-SECRET-2', streamingAdminKey: 'streaming-KEY-3' },
    apiHost: '127.0.0.1',
    apiPort: 18188,
    iceInterfaces: ['lo'],
    webrtcPorts: { min: 21000, max: 21999 },
    rtpPorts: { min: 20000, max: 20999 },
    logLevel: 3,
    ...overrides,
  };
}

/** `key = value` lines of one section of a jcfg text. */
function section(text: string, name: string): Record<string, string> {
  const m = new RegExp(`^${name}: \\{\\n([\\s\\S]*?)^\\}`, 'm').exec(text);
  if (!m) throw new Error(`no section ${name} in:\n${text}`);
  const out: Record<string, string> = {};
  for (const line of m[1]!.split('\n')) {
    const kv = /^\t(\w+) = (.*)$/.exec(line);
    if (kv) out[kv[1]!] = kv[2]!;
  }
  return out;
}

describe('generated Janus configuration', () => {
  it('keeps ICE on loopback in the embedded default: enforce lo, half-trickle, keepalive checks, no STUN/TURN, no mDNS, no IPv6', () => {
    const { 'janus.jcfg': core } = renderJanusConfig(input());
    const nat = section(core, 'nat');
    expect(nat).toMatchObject({
      ice_enforce_list: '"lo"',
      full_trickle: 'false',
      ice_tcp: 'false',
      ignore_mdns: 'true',
      // Full ICE with consent checks: a vanished browser is noticed and its viewer closed.
      ice_lite: 'false',
      ice_keepalive_conncheck: 'true',
    });
    expect(core).not.toMatch(/stun_server|turn_server|turn_rest_api|nat_1_1_mapping/);
    expect(section(core, 'media')).toMatchObject({ ipv6: 'false', rtp_port_range: '"21000-21999"' });
    // The address in SDP c= lines.
    expect(section(core, 'general').interface).toBe('"127.0.0.1"');
  });

  it('uses the configured interfaces in production and then writes no loopback address into SDP', () => {
    const { 'janus.jcfg': core } = renderJanusConfig(input({ iceInterfaces: ['eth0', '10.20.'] }));
    expect(section(core, 'nat').ice_enforce_list).toBe('"eth0,10.20."');
    expect(section(core, 'general').interface).toBeUndefined();
    expect(isLoopbackOnly(['eth0'])).toBe(false);
    expect(isLoopbackOnly(['lo'])).toBe(true);
    expect(isLoopbackOnly(['127.0.0.1'])).toBe(true);
    expect(isLoopbackOnly(['lo', 'eth0'])).toBe(false);
  });

  it('requires the API secret on every request and keeps the admin API off the network', () => {
    const files = renderJanusConfig(input());
    const general = section(files['janus.jcfg'], 'general');
    expect(general.api_secret).toBe('"api-SECRET-1"');
    expect(general.admin_secret).toBe('"admin-SECRET-2"');
    expect(general.token_auth).toBe('false');
    expect(general.hide_dependencies).toBe('true');
    const http = files['janus.transport.http.jcfg'];
    expect(section(http, 'general')).toMatchObject({ http: 'true', https: 'false', ip: '"127.0.0.1"', port: '18188', base_path: '"/janus"', acl: '"127."' });
    expect(section(http, 'admin')).toMatchObject({ admin_http: 'false', admin_https: 'false' });
    expect(section(files['janus.plugin.streaming.jcfg'], 'general')).toMatchObject({
      admin_key: '"streaming-KEY-3"',
      rtp_port_range: '"20000-20999"',
      events: 'false',
    });
    // Janus's sample secrets never appear.
    expect(Object.values(files).join('\n')).not.toMatch(/janusoverlord|janusrocks|supersecret|adminpwd/);
  });

  it('loads only the streaming plugin and the HTTP transport: every other plugin, transport, logger and event handler is disabled', () => {
    const { 'janus.jcfg': core } = renderJanusConfig(input());
    expect(section(core, 'plugins').disable).toBe('"libjanus_audiobridge.so,libjanus_echotest.so,libjanus_sip.so,libjanus_videoroom.so"');
    expect(section(core, 'transports').disable).toBe('"libjanus_mqtt.so,libjanus_pfunix.so,libjanus_websockets.so"');
    expect(section(core, 'loggers').disable).toBe('"libjanus_jsonlog.so"');
    expect(section(core, 'events')).toEqual({ broadcast: 'false', disable: '"libjanus_gelfevh.so,libjanus_sampleevh.so"' });
    expect(section(core, 'general')).toMatchObject({
      plugins_folder: '"/usr/lib/x86_64-linux-gnu/janus/plugins"',
      transports_folder: '"/usr/lib/x86_64-linux-gnu/janus/transports"',
      configs_folder: '"/var/lib/argus/janus"',
      exit_on_dl_error: 'true',
    });
  });

  it('makes fresh random secrets for every start', () => {
    const a = generateJanusSecrets();
    const b = generateJanusSecrets();
    expect(new Set([a.apiSecret, a.adminSecret, a.streamingAdminKey, b.apiSecret]).size).toBe(4);
    for (const s of Object.values(a)) expect(s).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it('quotes strings safely and refuses line breaks', () => {
    expect(renderJcfg('t', { s: { a: 'x"y\\z', n: 3, b: true, l: ['p', 'q'] } })).toContain('\ta = "x\\"y\\\\z"\n\tn = 3\n\tb = true\n\tl = ["p", "q"]\n');
    expect(() => renderJcfg('t', { s: { a: 'x\ny' } })).toThrow(ArgusError);
  });

  describe('settings checks', () => {
    const base: RelaySettings = { ...DEFAULT_RELAY_SETTINGS, iceInterfaces: ['lo'] };
    it('accepts the defaults', () => expect(() => checkRelaySettings(base)).not.toThrow());
    it('refuses overlapping port ranges', () =>
      expect(() => checkRelaySettings({ ...base, webrtcPorts: { min: 20500, max: 21500 } })).toThrow(/must not overlap/));
    it('refuses an inverted range', () => expect(() => checkRelaySettings({ ...base, rtpPorts: { min: 30000, max: 20000 } })).toThrow(/min ≤ max/));
    it('refuses a non-loopback RTP input when ICE is loopback-only', () =>
      expect(() => checkRelaySettings({ ...base, rtpHost: '0.0.0.0' })).toThrow(/rtpHost to 127.0.0.1/));
    it('refuses odd characters in interface names', () =>
      expect(() => checkRelaySettings({ ...base, iceInterfaces: ['eth0"; x'] })).toThrow(/interface names/));
    it('refuses to advertise another host address while the Janus API binds to loopback', () => {
      expect(() => checkRelaySettings({ ...base, advertiseHost: '10.20.0.5' })).toThrow(/relay.advertiseHost 10.20.0.5 .* binds to 127.0.0.1/);
      expect(() => checkRelaySettings({ ...base, apiHost: '0.0.0.0', advertiseHost: '10.20.0.5' })).not.toThrow();
      expect(() => checkRelaySettings({ ...base, advertiseHost: '127.0.0.1' })).not.toThrow();
    });
    it('publishes the advertised address, else the bound one', () => {
      expect(advertisedApiUrl({ apiHost: '0.0.0.0', advertiseHost: '10.20.0.5' }, 8188)).toBe('http://10.20.0.5:8188/janus');
      expect(advertisedApiUrl({ apiHost: '127.0.0.1', advertiseHost: null }, 8188)).toBe('http://127.0.0.1:8188/janus');
      expect(advertisedApiUrl({ apiHost: '0.0.0.0', advertiseHost: null }, 8188)).toBe('http://127.0.0.1:8188/janus');
      expect(advertisedApiUrl({ apiHost: '::', advertiseHost: 'fd00::5' }, 8188)).toBe('http://[fd00::5]:8188/janus');
    });
  });

  describe('writing', () => {
    let dir: string | undefined;
    afterEach(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });
    it('writes the three files readable by the owner only (they hold the secrets)', () => {
      dir = mkdtempSync(join(tmpdir(), 'argus-janus-config-'));
      const configDir = join(dir, 'janus');
      const files = renderJanusConfig(input({ configDir }));
      writeJanusConfig(configDir, files);
      expect(statSync(configDir).mode & 0o777).toBe(0o700);
      for (const name of ['janus.jcfg', 'janus.transport.http.jcfg', 'janus.plugin.streaming.jcfg'] as const) {
        expect(statSync(join(configDir, name)).mode & 0o777).toBe(0o600);
        expect(readFileSync(join(configDir, name), 'utf8')).toBe(files[name]);
      }
    });
  });
});
