/**
 * ONVIF device simulator: a real HTTP server on 127.0.0.1 (random port) answering real SOAP 1.2, for
 * tests of the ONVIF client and, later, end-to-end tests of "add a camera by ONVIF address" and PTZ.
 *
 *   const sim = await startOnvifSimulator({ username: 'admin', password: 'secret', mainUri: 'rtsp://127.0.0.1:8554/main' });
 *   sim.address  // http://127.0.0.1:<port>/onvif/device_service   (give this to OnvifClient / the API)
 *   sim.calls    // [{ action: 'GetSystemDateAndTime', authenticated: false, path: '/onvif/device_service', ... }, ...]
 *   sim.ptzLog   // [{ action: 'continuousMove', profileToken: 'Profile_1', x: 0.5, y: 0, zoom: null, timeout: 'PT1S' }, ...]
 *   sim.setMode('hang')   // fault injection from now on, for every request
 *   await sim.stop()      // closes the server and every open connection (also hung ones)
 *
 * Options (all optional):
 * - `username` / `password`: when a username is set, every call except GetSystemDateAndTime needs a
 *   WS-Security UsernameToken with PasswordDigest: right user, right digest, `Created` within
 *   `maxClockSkewMs` (default 5000) of the simulator's clock, nonce not seen before. Otherwise the reply is
 *   the SOAP fault env:Sender / ter:NotAuthorized with HTTP `unauthorizedStatus` (default 400; 401 also
 *   seen on real devices).
 * - `clockOffsetMs`: the simulator's clock runs this far ahead of the machine's (negative: behind);
 *   GetSystemDateAndTime reports it (UTCDateTime, plus a LocalDateTime 8 hours ahead, as a UTC+8 camera).
 * - `mainUri` / `subUri`: what GetStreamUri answers for the main profile (token `Profile_1`, 1920x1080 H264
 *   25 fps) and the sub profile (`Profile_2`, 640x360 H264 15 fps). Defaults rtsp://127.0.0.1:8554/main and
 *   /sub. Profiles are listed sub first, then main, then `Profile_3` (metadata only, no video).
 * - `snapshotUri`: what GetSnapshotUri answers; default http://<host>:<port>/onvif/snapshot?profile=<token>;
 *   null makes GetSnapshotUri a ter:ActionNotSupported fault. `snapshotJpeg` (bytes) is served on GET
 *   /onvif/snapshot when given (404 otherwise).
 * - `ptz` (default true): a PTZ service and PTZ configurations on the profiles; false: neither.
 * - `getServices` (default true): false makes GetServices a ter:ActionNotSupported fault (older devices),
 *   so clients must fall back to GetCapabilities.
 * - `advertisedHost`: host written into XAddrs (default 127.0.0.1); another value simulates a camera behind
 *   NAT that reports its own address. Services are served on /onvif/device_service, /onvif/media_service
 *   and /onvif/ptz_service (any path answers any call, as on many devices; `calls[].path` tells which was used).
 * - `deviceInfo`: overrides of GetDeviceInformation.
 * - `mode` (default 'normal'), `hugeBytes` (default 50 MB).
 *
 * Modes (setMode at any time; they apply to every request, GetSystemDateAndTime included):
 * - 'normal'
 * - 'fault':     HTTP 500 SOAP fault env:Receiver / ter:Action / ter:SimulatedFailure, reason "Simulated device failure"
 * - 'malformed': HTTP 200 application/soap+xml whose body starts like SOAP and turns into garbage
 * - 'huge':      HTTP 200, chunked, a valid-looking reply streamed in 64 KiB chunks (2 ms apart, honouring
 *                back-pressure) up to `hugeBytes`; stops when the client goes away. `hugeBytesWritten` counts it.
 * - 'bomb':      HTTP 200 with a billion-laughs DOCTYPE
 * - 'hang':      reads the request and never answers
 * - 'not-onvif': HTTP 404 text/html page
 *
 * PTZ state: presets live in memory (`presets`, starting with token '1' = 'Home'); SetPreset adds one with
 * the next number as token; GotoPreset of an unknown token is a ter:NoToken fault; an unknown profile token
 * is a ter:NoProfile fault. Every PTZ call is appended to `ptzLog`.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { XMLParser } from 'fast-xml-parser';

export type OnvifSimulatorMode = 'normal' | 'fault' | 'malformed' | 'huge' | 'bomb' | 'hang' | 'not-onvif';

export interface OnvifSimulatorOptions {
  username?: string | null;
  password?: string | null;
  mainUri?: string;
  subUri?: string;
  snapshotUri?: string | null;
  snapshotJpeg?: Buffer;
  ptz?: boolean;
  getServices?: boolean;
  advertisedHost?: string;
  clockOffsetMs?: number;
  maxClockSkewMs?: number;
  unauthorizedStatus?: 400 | 401;
  deviceInfo?: Partial<SimulatedDeviceInfo>;
  mode?: OnvifSimulatorMode;
  hugeBytes?: number;
}

export interface SimulatedDeviceInfo {
  manufacturer: string;
  model: string;
  firmwareVersion: string;
  serialNumber: string;
  hardwareId: string;
}

export interface OnvifSimulatorCall {
  /** The SOAP operation (local name of the Body's first element), or '(unparsable)'. */
  action: string;
  /** Whether the request carried a valid UsernameToken. */
  authenticated: boolean;
  /** The HTTP path the request was posted to. */
  path: string;
  /** The user name in the request's UsernameToken, null when none. */
  username: string | null;
  /** Why a presented token was refused ('digest', 'user', 'created', 'nonce', 'type'), null otherwise. */
  authFailure: string | null;
  /** A few request fields worth asserting on (GetStreamUri: `protocol`, `profileToken`; PTZ: `profileToken`). */
  detail: Record<string, string>;
}

export type PtzLogEntry =
  | { action: 'continuousMove'; profileToken: string; x: number; y: number; zoom: number | null; timeout: string | null }
  | { action: 'stop'; profileToken: string; panTilt: boolean; zoom: boolean }
  | { action: 'setPreset'; profileToken: string; name: string; presetToken: string }
  | { action: 'gotoPreset'; profileToken: string; presetToken: string };

export interface OnvifSimulator {
  /** http://127.0.0.1:<port>/onvif/device_service */
  address: string;
  port: number;
  calls: OnvifSimulatorCall[];
  ptzLog: PtzLogEntry[];
  /** token → name */
  presets: Map<string, string>;
  readonly mode: OnvifSimulatorMode;
  /** Body bytes written in 'huge' mode since start. */
  readonly hugeBytesWritten: number;
  setMode(mode: OnvifSimulatorMode): void;
  stop(): Promise<void>;
}

const NS_DECL =
  'xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" xmlns:tt="http://www.onvif.org/ver10/schema" ' +
  'xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:trt="http://www.onvif.org/ver10/media/wsdl" ' +
  'xmlns:tptz="http://www.onvif.org/ver20/ptz/wsdl" xmlns:ter="http://www.onvif.org/ver10/error"';

const DEVICE_NS = 'http://www.onvif.org/ver10/device/wsdl';
const MEDIA_NS = 'http://www.onvif.org/ver10/media/wsdl';
const PTZ_NS = 'http://www.onvif.org/ver20/ptz/wsdl';

const PRE_AUTH = new Set(['GetSystemDateAndTime']);

const PROFILES = {
  main: { token: 'Profile_1', name: 'mainStream', width: 1920, height: 1080, fps: 25, bitrate: 4096 },
  sub: { token: 'Profile_2', name: 'subStream', width: 640, height: 360, fps: 15, bitrate: 512 },
} as const;

const requestParser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  // Predefined entities only (&amp; &lt; ...); the client never sends a DOCTYPE.
  processEntities: true,
  trimValues: true,
});

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj | null {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : null;
}

/** Text of a parsed element (string, or an object with #text). */
function text(v: unknown): string | null {
  if (typeof v === 'string') return v;
  const o = obj(v);
  if (o && typeof o['#text'] === 'string') return o['#text'];
  if (o) return '';
  return null;
}

function esc(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', '"': 'quot', "'": 'apos' }[c]};`);
}

function envelope(body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<SOAP-ENV:Envelope ${NS_DECL}><SOAP-ENV:Body>${body}</SOAP-ENV:Body></SOAP-ENV:Envelope>`;
}

function faultBody(codes: [string, ...string[]], reason: string): string {
  const [code, ...subs] = codes;
  let sub = '';
  for (const s of [...subs].reverse()) sub = `<SOAP-ENV:Subcode><SOAP-ENV:Value>${s}</SOAP-ENV:Value>${sub}</SOAP-ENV:Subcode>`;
  return (
    `<SOAP-ENV:Fault><SOAP-ENV:Code><SOAP-ENV:Value>${code}</SOAP-ENV:Value>${sub}</SOAP-ENV:Code>` +
    `<SOAP-ENV:Reason><SOAP-ENV:Text xml:lang="en">${esc(reason)}</SOAP-ENV:Text></SOAP-ENV:Reason></SOAP-ENV:Fault>`
  );
}

class SoapFault extends Error {
  constructor(
    readonly status: number,
    readonly codes: [string, ...string[]],
    reason: string,
  ) {
    super(reason);
  }
}

const notSupported = (): SoapFault => new SoapFault(500, ['SOAP-ENV:Receiver', 'ter:ActionNotSupported'], 'Optional Action Not Implemented');

function dateTimeXml(d: Date): string {
  return (
    `<tt:Time><tt:Hour>${d.getUTCHours()}</tt:Hour><tt:Minute>${d.getUTCMinutes()}</tt:Minute><tt:Second>${d.getUTCSeconds()}</tt:Second></tt:Time>` +
    `<tt:Date><tt:Year>${d.getUTCFullYear()}</tt:Year><tt:Month>${d.getUTCMonth() + 1}</tt:Month><tt:Day>${d.getUTCDate()}</tt:Day></tt:Date>`
  );
}

function digest(nonceB64: string, created: string, password: string): string {
  return createHash('sha1')
    .update(Buffer.concat([Buffer.from(nonceB64, 'base64'), Buffer.from(created), Buffer.from(password)]))
    .digest('base64');
}

export async function startOnvifSimulator(options: OnvifSimulatorOptions = {}): Promise<OnvifSimulator> {
  const username = options.username ?? null;
  const password = options.password ?? '';
  const ptzEnabled = options.ptz ?? true;
  const maxSkew = options.maxClockSkewMs ?? 5000;
  const hugeBytes = options.hugeBytes ?? 50 * 1000 * 1000;
  const unauthorizedStatus = options.unauthorizedStatus ?? 400;
  const info: SimulatedDeviceInfo = {
    manufacturer: 'Argus Simulated Devices',
    model: 'SIM-PTZ-2000',
    firmwareVersion: 'V5.7.3 build 240101',
    serialNumber: 'SIM2000-20240101-0001',
    hardwareId: '88',
    ...options.deviceInfo,
  };
  let mode: OnvifSimulatorMode = options.mode ?? 'normal';
  let hugeBytesWritten = 0;
  const calls: OnvifSimulatorCall[] = [];
  const ptzLog: PtzLogEntry[] = [];
  const presets = new Map<string, string>([['1', 'Home']]);
  let nextPreset = 2;
  const seenNonces = new Set<string>();
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  let port = 0;

  const now = (): Date => new Date(Date.now() + (options.clockOffsetMs ?? 0));
  const advertised = (): string => {
    const h = options.advertisedHost ?? '127.0.0.1';
    return `${h.includes(':') ? `[${h}]` : h}:${port}`;
  };
  const xaddr = (service: string): string => `http://${advertised()}/onvif/${service}`;

  function checkAuth(header: Obj | null): { ok: boolean; user: string | null; failure: string | null } {
    const token = obj(obj(header?.['Security'])?.['UsernameToken']);
    if (!token) return { ok: false, user: null, failure: null };
    const user = text(token['Username']);
    const pw = obj(token['Password']);
    const pwText = text(token['Password']) ?? '';
    const type = (pw?.['@_Type'] as string | undefined) ?? '';
    const nonce = text(token['Nonce']) ?? '';
    const created = text(token['Created']) ?? '';
    if (user !== username) return { ok: false, user, failure: 'user' };
    if (!type.endsWith('#PasswordDigest')) return { ok: false, user, failure: 'type' };
    if (pwText !== digest(nonce, created, password)) return { ok: false, user, failure: 'digest' };
    const createdAt = Date.parse(created);
    if (!Number.isFinite(createdAt) || Math.abs(createdAt - now().getTime()) > maxSkew) return { ok: false, user, failure: 'created' };
    if (seenNonces.has(nonce)) return { ok: false, user, failure: 'nonce' };
    seenNonces.add(nonce);
    if (seenNonces.size > 10_000) seenNonces.clear();
    return { ok: true, user, failure: null };
  }

  function profileXml(p: (typeof PROFILES)['main'] | (typeof PROFILES)['sub'], index: number): string {
    return (
      `<trt:Profiles token="${p.token}" fixed="true"><tt:Name>${p.name}</tt:Name>` +
      '<tt:VideoSourceConfiguration token="VideoSourceToken"><tt:Name>VideoSourceConfig</tt:Name><tt:UseCount>2</tt:UseCount>' +
      '<tt:SourceToken>VideoSource_1</tt:SourceToken><tt:Bounds x="0" y="0" width="1920" height="1080"/></tt:VideoSourceConfiguration>' +
      `<tt:VideoEncoderConfiguration token="VideoEncoderToken_${index}"><tt:Name>VideoEncoder_${index}</tt:Name><tt:UseCount>1</tt:UseCount>` +
      `<tt:Encoding>H264</tt:Encoding><tt:Resolution><tt:Width>${p.width}</tt:Width><tt:Height>${p.height}</tt:Height></tt:Resolution>` +
      `<tt:Quality>3</tt:Quality><tt:RateControl><tt:FrameRateLimit>${p.fps}</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval>` +
      `<tt:BitrateLimit>${p.bitrate}</tt:BitrateLimit></tt:RateControl><tt:H264><tt:GovLength>50</tt:GovLength><tt:H264Profile>Main</tt:H264Profile></tt:H264>` +
      '<tt:SessionTimeout>PT5S</tt:SessionTimeout></tt:VideoEncoderConfiguration>' +
      (ptzEnabled
        ? '<tt:PTZConfiguration token="PTZToken"><tt:Name>PTZ</tt:Name><tt:UseCount>2</tt:UseCount><tt:NodeToken>PTZNodeToken</tt:NodeToken>' +
          '<tt:DefaultContinuousPanTiltVelocitySpace>http://www.onvif.org/ver10/tptz/PanTiltSpaces/VelocityGenericSpace</tt:DefaultContinuousPanTiltVelocitySpace>' +
          '<tt:DefaultPTZTimeout>PT5S</tt:DefaultPTZTimeout></tt:PTZConfiguration>'
        : '') +
      '</trt:Profiles>'
    );
  }

  function requireProfile(req: Obj): string {
    const token = text(req['ProfileToken']) ?? '';
    if (token !== PROFILES.main.token && token !== PROFILES.sub.token) {
      throw new SoapFault(400, ['SOAP-ENV:Sender', 'ter:InvalidArgVal', 'ter:NoProfile'], `The requested profile token ${token} does not exist`);
    }
    return token;
  }

  function requirePtz(): void {
    if (!ptzEnabled) throw notSupported();
  }

  /** The reply body for one operation in 'normal' mode. */
  function answer(action: string, req: Obj, detail: Record<string, string>): string {
    switch (action) {
      case 'GetSystemDateAndTime': {
        const t = now();
        const local = new Date(t.getTime() + 8 * 3600_000);
        return (
          '<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>NTP</tt:DateTimeType>' +
          '<tt:DaylightSavings>false</tt:DaylightSavings><tt:TimeZone><tt:TZ>CST-8:00:00</tt:TZ></tt:TimeZone>' +
          `<tt:UTCDateTime>${dateTimeXml(t)}</tt:UTCDateTime><tt:LocalDateTime>${dateTimeXml(local)}</tt:LocalDateTime>` +
          '</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>'
        );
      }
      case 'GetDeviceInformation':
        return (
          `<tds:GetDeviceInformationResponse><tds:Manufacturer>${esc(info.manufacturer)}</tds:Manufacturer><tds:Model>${esc(info.model)}</tds:Model>` +
          `<tds:FirmwareVersion>${esc(info.firmwareVersion)}</tds:FirmwareVersion><tds:SerialNumber>${esc(info.serialNumber)}</tds:SerialNumber>` +
          `<tds:HardwareId>${esc(info.hardwareId)}</tds:HardwareId></tds:GetDeviceInformationResponse>`
        );
      case 'GetServices': {
        if (options.getServices === false) throw notSupported();
        const service = (ns: string, addr: string, major: number, minor: number): string =>
          `<tds:Service><tds:Namespace>${ns}</tds:Namespace><tds:XAddr>${addr}</tds:XAddr>` +
          `<tds:Version><tt:Major>${major}</tt:Major><tt:Minor>${minor}</tt:Minor></tds:Version></tds:Service>`;
        return (
          '<tds:GetServicesResponse>' +
          service(DEVICE_NS, xaddr('device_service'), 17, 12) +
          service(MEDIA_NS, xaddr('media_service'), 17, 12) +
          (ptzEnabled ? service(PTZ_NS, xaddr('ptz_service'), 17, 12) : '') +
          service('http://www.onvif.org/ver10/events/wsdl', xaddr('event_service'), 17, 12) +
          '</tds:GetServicesResponse>'
        );
      }
      case 'GetCapabilities':
        return (
          '<tds:GetCapabilitiesResponse><tds:Capabilities>' +
          `<tt:Device><tt:XAddr>${xaddr('device_service')}</tt:XAddr></tt:Device>` +
          `<tt:Events><tt:XAddr>${xaddr('event_service')}</tt:XAddr><tt:WSSubscriptionPolicySupport>true</tt:WSSubscriptionPolicySupport></tt:Events>` +
          `<tt:Media><tt:XAddr>${xaddr('media_service')}</tt:XAddr><tt:StreamingCapabilities><tt:RTPMulticast>true</tt:RTPMulticast>` +
          '<tt:RTP_TCP>true</tt:RTP_TCP><tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP></tt:StreamingCapabilities></tt:Media>' +
          (ptzEnabled ? `<tt:PTZ><tt:XAddr>${xaddr('ptz_service')}</tt:XAddr></tt:PTZ>` : '') +
          '</tds:Capabilities></tds:GetCapabilitiesResponse>'
        );
      case 'GetProfiles':
        return (
          '<trt:GetProfilesResponse>' +
          profileXml(PROFILES.sub, 2) +
          profileXml(PROFILES.main, 1) +
          '<trt:Profiles token="Profile_3" fixed="false"><tt:Name>metadataOnly</tt:Name></trt:Profiles>' +
          '</trt:GetProfilesResponse>'
        );
      case 'GetStreamUri': {
        const token = requireProfile(req);
        const protocol = text(obj(obj(req['StreamSetup'])?.['Transport'])?.['Protocol']) ?? '';
        detail['profileToken'] = token;
        detail['protocol'] = protocol;
        const uri = token === PROFILES.main.token ? (options.mainUri ?? 'rtsp://127.0.0.1:8554/main') : (options.subUri ?? 'rtsp://127.0.0.1:8554/sub');
        return (
          `<trt:GetStreamUriResponse><trt:MediaUri><tt:Uri>${esc(uri)}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect>` +
          '<tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT60S</tt:Timeout></trt:MediaUri></trt:GetStreamUriResponse>'
        );
      }
      case 'GetSnapshotUri': {
        const token = requireProfile(req);
        detail['profileToken'] = token;
        if (options.snapshotUri === null) throw notSupported();
        const uri = options.snapshotUri ?? `http://${advertised()}/onvif/snapshot?profile=${token}`;
        return (
          `<trt:GetSnapshotUriResponse><trt:MediaUri><tt:Uri>${esc(uri)}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect>` +
          '<tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT60S</tt:Timeout></trt:MediaUri></trt:GetSnapshotUriResponse>'
        );
      }
      case 'ContinuousMove': {
        requirePtz();
        const profileToken = requireProfile(req);
        detail['profileToken'] = profileToken;
        const velocity = obj(req['Velocity']);
        const panTilt = obj(velocity?.['PanTilt']);
        const zoom = obj(velocity?.['Zoom']);
        if (!panTilt && !zoom) throw new SoapFault(400, ['SOAP-ENV:Sender', 'ter:InvalidArgVal', 'ter:NoVelocity'], 'Velocity missing');
        ptzLog.push({
          action: 'continuousMove',
          profileToken,
          x: Number(panTilt?.['@_x'] ?? 0),
          y: Number(panTilt?.['@_y'] ?? 0),
          zoom: zoom ? Number(zoom['@_x']) : null,
          timeout: text(req['Timeout']),
        });
        return '<tptz:ContinuousMoveResponse/>';
      }
      case 'Stop': {
        requirePtz();
        const profileToken = requireProfile(req);
        detail['profileToken'] = profileToken;
        ptzLog.push({ action: 'stop', profileToken, panTilt: text(req['PanTilt']) !== 'false', zoom: text(req['Zoom']) !== 'false' });
        return '<tptz:StopResponse/>';
      }
      case 'GetPresets': {
        requirePtz();
        detail['profileToken'] = requireProfile(req);
        const list = [...presets].map(([t, n]) => `<tptz:Preset token="${esc(t)}"><tt:Name>${esc(n)}</tt:Name></tptz:Preset>`).join('');
        return `<tptz:GetPresetsResponse>${list}</tptz:GetPresetsResponse>`;
      }
      case 'SetPreset': {
        requirePtz();
        const profileToken = requireProfile(req);
        detail['profileToken'] = profileToken;
        const name = text(req['PresetName']) ?? '';
        const given = text(req['PresetToken']);
        const presetToken = given && presets.has(given) ? given : String(nextPreset++);
        presets.set(presetToken, name || `Preset ${presetToken}`);
        ptzLog.push({ action: 'setPreset', profileToken, name, presetToken });
        return `<tptz:SetPresetResponse><tptz:PresetToken>${esc(presetToken)}</tptz:PresetToken></tptz:SetPresetResponse>`;
      }
      case 'GotoPreset': {
        requirePtz();
        const profileToken = requireProfile(req);
        detail['profileToken'] = profileToken;
        const presetToken = text(req['PresetToken']) ?? '';
        if (!presets.has(presetToken)) {
          throw new SoapFault(400, ['SOAP-ENV:Sender', 'ter:InvalidArgVal', 'ter:NoToken'], `No preset with token ${presetToken}`);
        }
        ptzLog.push({ action: 'gotoPreset', profileToken, presetToken });
        return '<tptz:GotoPresetResponse/>';
      }
      default:
        throw notSupported();
    }
  }

  function send(res: http.ServerResponse, status: number, body: string, type = 'application/soap+xml; charset=utf-8'): void {
    const buf = Buffer.from(body, 'utf8');
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': buf.length });
    res.end(buf);
  }

  function sendHuge(res: http.ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'application/soap+xml; charset=utf-8' });
    const head = Buffer.from(envelope('').replace('</SOAP-ENV:Body></SOAP-ENV:Envelope>', '') + '<tds:GetDeviceInformationResponse><tds:Manufacturer>');
    const chunk = Buffer.alloc(64 * 1024, 'A');
    let gone = false;
    res.on('close', () => (gone = true));
    const write = (buf: Buffer): boolean => {
      hugeBytesWritten += buf.length;
      return res.write(buf);
    };
    write(head);
    const pump = (): void => {
      if (gone || stopped || res.destroyed) return;
      if (hugeBytesWritten >= hugeBytes) {
        res.end('</tds:Manufacturer></tds:GetDeviceInformationResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>');
        return;
      }
      const next = (): void => {
        const t = setTimeout(() => {
          timers.delete(t);
          pump();
        }, 2);
        timers.add(t);
      };
      if (write(chunk)) next();
      else res.once('drain', next);
    };
    pump();
  }

  const BOMB =
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n' +
    Array.from({ length: 9 }, (_, i) => ` <!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`).join('\n') +
    `\n]>\n<SOAP-ENV:Envelope ${NS_DECL}><SOAP-ENV:Body><tds:GetDeviceInformationResponse><tds:Manufacturer>&lol9;</tds:Manufacturer>` +
    '</tds:GetDeviceInformationResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>';

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method === 'GET' && url.pathname === '/onvif/snapshot' && options.snapshotJpeg) {
      res.writeHead(200, { 'Content-Type': 'image/jpeg', 'Content-Length': options.snapshotJpeg.length });
      res.end(options.snapshotJpeg);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 1024 * 1024) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => handle(req, res, url.pathname, Buffer.concat(chunks).toString('utf8')));
  });

  function handle(req: http.IncomingMessage, res: http.ServerResponse, path: string, raw: string): void {
    let action = '(unparsable)';
    let header: Obj | null = null;
    let body: Obj | null = null;
    try {
      const env = obj(obj(requestParser.parse(raw))?.['Envelope']);
      header = obj(env?.['Header']);
      body = obj(env?.['Body']);
      const first = body ? Object.keys(body).find((k) => !k.startsWith('@_') && k !== '#text') : undefined;
      if (first) action = first;
    } catch {
      // recorded as unparsable
    }
    const auth = checkAuth(header);
    const detail: Record<string, string> = {};
    const call: OnvifSimulatorCall = { action, authenticated: auth.ok, path, username: auth.user, authFailure: auth.failure, detail };
    calls.push(call);

    switch (mode) {
      case 'hang':
        return; // never answer; stop() destroys the socket
      case 'not-onvif':
        send(res, 404, '<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1><p>The requested URL was not found on this server.</p></body></html>', 'text/html; charset=utf-8');
        return;
      case 'malformed':
        send(res, 200, '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope"><SOAP-ENV:Body><tds:GetDeviceInformationResponse>\u0000\u0001 }{ <<< garbage >>');
        return;
      case 'bomb':
        send(res, 200, BOMB);
        return;
      case 'huge':
        sendHuge(res);
        return;
      case 'fault':
        send(res, 500, envelope(faultBody(['SOAP-ENV:Receiver', 'ter:Action', 'ter:SimulatedFailure'], 'Simulated device failure')));
        return;
      case 'normal':
        break;
    }

    if (req.method !== 'POST' || !body || action === '(unparsable)') {
      send(res, 400, envelope(faultBody(['SOAP-ENV:Sender', 'ter:WellFormed'], 'The request is not a SOAP envelope')));
      return;
    }
    if (username !== null && !PRE_AUTH.has(action) && !auth.ok) {
      send(res, unauthorizedStatus, envelope(faultBody(['SOAP-ENV:Sender', 'ter:NotAuthorized'], 'Sender not Authorized')));
      return;
    }
    try {
      const reqEl = obj(body[action]) ?? {};
      send(res, 200, envelope(answer(action, reqEl, detail)));
    } catch (err) {
      if (err instanceof SoapFault) send(res, err.status, envelope(faultBody(err.codes, err.message)));
      else send(res, 500, envelope(faultBody(['SOAP-ENV:Receiver'], 'Internal simulator error')));
    }
  }

  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;

  return {
    address: `http://127.0.0.1:${port}/onvif/device_service`,
    port,
    calls,
    ptzLog,
    presets,
    get mode() {
      return mode;
    },
    get hugeBytesWritten() {
      return hugeBytesWritten;
    },
    setMode(next: OnvifSimulatorMode) {
      mode = next;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
