import { ValidationError } from '../../contracts/errors.ts';
import type { PtzPreset } from '../../contracts/media.ts';
import { redactUrl } from '../../storage/redact.ts';
import { OnvifError } from './onvif.errors.ts';
import { attr, child, children, escapeXml, find, path, textAt, type XmlElement } from './onvif-xml.ts';
import { buildEnvelope, callSoap } from './soap.transport.ts';
import { buildSecurityHeader } from './ws-security.ts';

/**
 * An ONVIF device, spoken to over SOAP 1.2 with WS-Security UsernameToken (PasswordDigest).
 *
 * Covers what "add a camera by its ONVIF address" and PTZ need: device information, the media and PTZ
 * service addresses (GetServices, else GetCapabilities, else the device address), profiles, stream and
 * snapshot URIs (Media 1, ver10), and PTZ continuous move, stop and presets (ver20).
 *
 * The device's clock: the digest's `Created` must be near the device's time, and camera clocks are often
 * far off. Before the first authenticated call the client asks GetSystemDateAndTime without credentials
 * and sends `Created` in the device's time from then on.
 *
 * Service addresses a device reports (XAddr) often name an address the device has on its own network
 * (behind NAT or a port forward). When an XAddr's host differs from the host we were given, its path is
 * kept and the scheme, host and port of the given address are used.
 *
 * Stream and snapshot URIs are returned without credentials; the caller stores those apart. Every address
 * in an error message goes through redactUrl; the password never appears in one.
 */

export interface OnvifClientOptions {
  /** `http(s)://host[:port]/onvif/device_service`. Credentials in the URL are used when none are given apart. */
  address: string;
  username?: string | null;
  password?: string | null;
  /** Deadline for each call, connection included. Default 5000. */
  timeoutMs?: number;
  /** Largest reply accepted, in bytes. Default 2 MiB. */
  maxReplyBytes?: number;
}

export interface DeviceTime {
  /** The device's clock (UTC), as it reported it (whole seconds). */
  deviceTime: Date;
  /** Device clock minus local clock, in milliseconds (positive: the device is ahead). */
  clockOffsetMs: number;
}

export interface DeviceInformation {
  manufacturer: string;
  model: string;
  firmwareVersion: string;
  serialNumber: string;
  hardwareId: string;
}

export interface ServiceAddresses {
  device: string;
  media: string;
  /** null when the device reports no PTZ service. */
  ptz: string | null;
  /** How they were found. */
  source: 'GetServices' | 'GetCapabilities' | 'fallback';
}

export interface VideoInfo {
  encoding: string;
  width: number;
  height: number;
  /** Frame rate limit of the encoder configuration, null when not reported. */
  fps: number | null;
}

export interface OnvifProfile {
  token: string;
  name: string;
  /** null for a profile without a video encoder (audio or metadata only). */
  video: VideoInfo | null;
  /** Whether the profile has a PTZ configuration. */
  ptz: boolean;
}

export interface StreamChoice {
  profileToken: string;
  uri: string;
  width: number;
  height: number;
}

export interface FoundStreams {
  /** The largest video profile. */
  main: StreamChoice;
  /** The smallest other video profile, null when there is only one. */
  sub: StreamChoice | null;
  /** Snapshot URI of the main profile, null when the device has none. */
  snapshotUri: string | null;
  /** Whether the main profile can be moved (PTZ configuration and a PTZ service). */
  ptz: boolean;
}

export interface PtzVelocity {
  /** Pan speed, -1 (left) to 1 (right). */
  x: number;
  /** Tilt speed, -1 (down) to 1 (up). */
  y: number;
  /** Zoom speed, -1 (out) to 1 (in). */
  zoom?: number;
}

export type StreamTransport = 'tcp' | 'udp';

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_MAX_REPLY_BYTES = 2 * 1024 * 1024;

const ACTIONS = {
  device: 'http://www.onvif.org/ver10/device/wsdl',
  media: 'http://www.onvif.org/ver10/media/wsdl',
  ptz: 'http://www.onvif.org/ver20/ptz/wsdl',
} as const;
type ServiceKind = keyof typeof ACTIONS;

export class OnvifClient {
  readonly address: string;
  private readonly display: string;
  private readonly username: string | null;
  private readonly password: string | null;
  private readonly timeoutMs: number;
  private readonly maxReplyBytes: number;
  private clockOffsetMs: number | null = null;
  private clockSync: Promise<void> | null = null;
  private services: Promise<ServiceAddresses> | null = null;

  constructor(options: OnvifClientOptions) {
    let url: URL;
    try {
      url = new URL(options.address);
    } catch {
      throw new ValidationError('The ONVIF address is not a URL.', [
        { path: 'address', message: 'an ONVIF address looks like http://host[:port]/onvif/device_service' },
      ]);
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) {
      throw new ValidationError(`The ONVIF address ${redactUrl(options.address)} is not http(s)://host[:port]/path.`, [
        { path: 'address', message: 'an ONVIF address looks like http://host[:port]/onvif/device_service' },
      ]);
    }
    const urlUser = url.username ? safeDecode(url.username) : null;
    const urlPassword = url.password ? safeDecode(url.password) : null;
    url.username = '';
    url.password = '';
    if (url.pathname === '/' || url.pathname === '') url.pathname = '/onvif/device_service';
    this.address = url.toString();
    this.display = redactUrl(this.address);
    this.username = options.username ?? urlUser;
    this.password = options.password ?? urlPassword;
    this.timeoutMs = positive(options.timeoutMs, DEFAULT_TIMEOUT_MS, 'timeoutMs');
    this.maxReplyBytes = positive(options.maxReplyBytes, DEFAULT_MAX_REPLY_BYTES, 'maxReplyBytes');
  }

  // ---------- device service ----------

  /** The device's clock, without credentials (ONVIF allows it before authentication); also sets the offset used for `Created`. */
  async getSystemDateAndTime(): Promise<DeviceTime> {
    const sent = Date.now();
    const body = await this.send('device', this.address, 'GetSystemDateAndTime', '<tds:GetSystemDateAndTime/>', false);
    const received = Date.now();
    const info = find(body, 'SystemDateAndTime');
    const dt = child(info, 'UTCDateTime') ?? child(info, 'LocalDateTime');
    const deviceTime = dt ? dateTimeOf(dt) : null;
    if (!deviceTime) throw this.malformed('GetSystemDateAndTime', 'SystemDateAndTime/UTCDateTime');
    // The device reports whole seconds: its clock was on average half a second past what it wrote.
    const clockOffsetMs = Math.round(deviceTime.getTime() + 500 - (sent + received) / 2);
    this.clockOffsetMs = clockOffsetMs;
    return { deviceTime, clockOffsetMs };
  }

  async getDeviceInformation(): Promise<DeviceInformation> {
    const body = await this.send('device', this.address, 'GetDeviceInformation', '<tds:GetDeviceInformation/>');
    const r = child(body, 'GetDeviceInformationResponse');
    if (!r) throw this.malformed('GetDeviceInformation', 'GetDeviceInformationResponse');
    return {
      manufacturer: textAt(r, 'Manufacturer') ?? '',
      model: textAt(r, 'Model') ?? '',
      firmwareVersion: textAt(r, 'FirmwareVersion') ?? '',
      serialNumber: textAt(r, 'SerialNumber') ?? '',
      hardwareId: textAt(r, 'HardwareId') ?? '',
    };
  }

  /** GetServices: namespace → XAddr (already mapped to a reachable address). */
  async getServices(): Promise<Map<string, string>> {
    const body = await this.send('device', this.address, 'GetServices', '<tds:GetServices><tds:IncludeCapability>false</tds:IncludeCapability></tds:GetServices>');
    const r = child(body, 'GetServicesResponse');
    if (!r) throw this.malformed('GetServices', 'GetServicesResponse');
    const out = new Map<string, string>();
    for (const s of children(r, 'Service')) {
      const ns = textAt(s, 'Namespace');
      const xaddr = this.reachable(textAt(s, 'XAddr'));
      if (ns && xaddr) out.set(ns, xaddr);
    }
    return out;
  }

  /** GetCapabilities (older devices): the media and PTZ XAddrs. */
  async getCapabilities(): Promise<{ media: string | null; ptz: string | null }> {
    const body = await this.send('device', this.address, 'GetCapabilities', '<tds:GetCapabilities><tds:Category>All</tds:Category></tds:GetCapabilities>');
    const caps = path(body, 'GetCapabilitiesResponse', 'Capabilities');
    if (!caps) throw this.malformed('GetCapabilities', 'Capabilities');
    return { media: this.reachable(textAt(caps, 'Media', 'XAddr')), ptz: this.reachable(textAt(caps, 'PTZ', 'XAddr')) };
  }

  /**
   * The media and PTZ service addresses: GetServices, else GetCapabilities, else the device address for
   * both (when the device answers neither with anything but a fault). Cached after the first success.
   */
  resolveServices(): Promise<ServiceAddresses> {
    if (!this.services) {
      this.services = this.findServices();
      this.services.catch(() => (this.services = null));
    }
    return this.services;
  }

  private async findServices(): Promise<ServiceAddresses> {
    try {
      const map = await this.getServices();
      const media = map.get(ACTIONS.media);
      if (media) return { device: this.address, media, ptz: map.get(ACTIONS.ptz) ?? null, source: 'GetServices' };
    } catch (err) {
      if (!isRecoverable(err)) throw err;
    }
    try {
      const caps = await this.getCapabilities();
      if (caps.media) return { device: this.address, media: caps.media, ptz: caps.ptz, source: 'GetCapabilities' };
    } catch (err) {
      if (!isRecoverable(err)) throw err;
    }
    return { device: this.address, media: this.address, ptz: this.address, source: 'fallback' };
  }

  // ---------- media service ----------

  async getProfiles(): Promise<OnvifProfile[]> {
    const { media } = await this.resolveServices();
    const body = await this.send('media', media, 'GetProfiles', '<trt:GetProfiles/>');
    const r = child(body, 'GetProfilesResponse');
    if (!r) throw this.malformed('GetProfiles', 'GetProfilesResponse');
    return children(r, 'Profiles').map((p) => profileOf(p));
  }

  /** The RTSP URI of a profile, without credentials. `tcp`: RTP over the RTSP connection; `udp`: RTP over UDP. */
  async getStreamUri(profileToken: string, options: { transport?: StreamTransport } = {}): Promise<string> {
    const { media } = await this.resolveServices();
    const protocol = (options.transport ?? 'tcp') === 'udp' ? 'UDP' : 'RTSP';
    const body = await this.send(
      'media',
      media,
      'GetStreamUri',
      '<trt:GetStreamUri><trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream>' +
        `<tt:Transport><tt:Protocol>${protocol}</tt:Protocol></tt:Transport></trt:StreamSetup>` +
        `<trt:ProfileToken>${escapeXml(token(profileToken))}</trt:ProfileToken></trt:GetStreamUri>`,
    );
    const uri = textAt(child(body, 'GetStreamUriResponse'), 'MediaUri', 'Uri');
    if (!uri) throw this.malformed('GetStreamUri', 'MediaUri/Uri');
    return this.withoutCredentials(uri, 'GetStreamUri');
  }

  /** The JPEG snapshot URI of a profile, without credentials. */
  async getSnapshotUri(profileToken: string): Promise<string> {
    const { media } = await this.resolveServices();
    const body = await this.send(
      'media',
      media,
      'GetSnapshotUri',
      `<trt:GetSnapshotUri><trt:ProfileToken>${escapeXml(token(profileToken))}</trt:ProfileToken></trt:GetSnapshotUri>`,
    );
    const uri = textAt(child(body, 'GetSnapshotUriResponse'), 'MediaUri', 'Uri');
    if (!uri) throw this.malformed('GetSnapshotUri', 'MediaUri/Uri');
    return this.withoutCredentials(uri, 'GetSnapshotUri');
  }

  /**
   * What "add a camera by ONVIF address" needs: the main stream (largest video profile), the sub-stream
   * (smallest other one), the snapshot URI and whether the camera can be moved.
   */
  async findStreams(): Promise<FoundStreams> {
    const profiles = await this.getProfiles();
    const picked = pickStreams(profiles);
    if (!picked) throw new OnvifError('unsupported', `The camera at ${this.display} reports no profile with video.`);
    const mainUri = await this.getStreamUri(picked.main.token, { transport: 'tcp' });
    const subUri = picked.sub ? await this.getStreamUri(picked.sub.token, { transport: 'tcp' }) : null;
    let snapshotUri: string | null = null;
    try {
      snapshotUri = await this.getSnapshotUri(picked.main.token);
    } catch (err) {
      // Snapshots are optional in ONVIF; a device without them answers with a fault.
      if (!(err instanceof OnvifError) || err.kind !== 'fault') throw err;
    }
    const { ptz } = await this.resolveServices();
    const main = picked.main.video!;
    const sub = picked.sub?.video ?? null;
    return {
      main: { profileToken: picked.main.token, uri: mainUri, width: main.width, height: main.height },
      sub: picked.sub && sub && subUri ? { profileToken: picked.sub.token, uri: subUri, width: sub.width, height: sub.height } : null,
      snapshotUri,
      ptz: picked.main.ptz && ptz !== null,
    };
  }

  // ---------- PTZ service ----------

  /** Move at the given speeds until stop() or, when given, for `timeoutMs`. */
  async continuousMove(profileToken: string, velocity: PtzVelocity, timeoutMs?: number): Promise<void> {
    const x = speed(velocity.x, 'x');
    const y = speed(velocity.y, 'y');
    const zoom = speed(velocity.zoom ?? 0, 'zoom');
    if (timeoutMs !== undefined && (!Number.isFinite(timeoutMs) || timeoutMs <= 0)) {
      throw new ValidationError('The PTZ move timeout must be a positive number of milliseconds.', [{ path: 'timeoutMs', message: 'must be > 0' }]);
    }
    const ptz = await this.ptzAddress();
    await this.send(
      'ptz',
      ptz,
      'ContinuousMove',
      `<tptz:ContinuousMove><tptz:ProfileToken>${escapeXml(token(profileToken))}</tptz:ProfileToken>` +
        `<tptz:Velocity><tt:PanTilt x="${x}" y="${y}"/>${zoom !== 0 ? `<tt:Zoom x="${zoom}"/>` : ''}</tptz:Velocity>` +
        (timeoutMs !== undefined ? `<tptz:Timeout>${duration(timeoutMs)}</tptz:Timeout>` : '') +
        '</tptz:ContinuousMove>',
    );
  }

  /** Stop pan, tilt and zoom. */
  async stop(profileToken: string): Promise<void> {
    const ptz = await this.ptzAddress();
    await this.send(
      'ptz',
      ptz,
      'Stop',
      `<tptz:Stop><tptz:ProfileToken>${escapeXml(token(profileToken))}</tptz:ProfileToken>` +
        '<tptz:PanTilt>true</tptz:PanTilt><tptz:Zoom>true</tptz:Zoom></tptz:Stop>',
    );
  }

  async getPresets(profileToken: string): Promise<PtzPreset[]> {
    const ptz = await this.ptzAddress();
    const body = await this.send(
      'ptz',
      ptz,
      'GetPresets',
      `<tptz:GetPresets><tptz:ProfileToken>${escapeXml(token(profileToken))}</tptz:ProfileToken></tptz:GetPresets>`,
    );
    const r = child(body, 'GetPresetsResponse');
    if (!r) throw this.malformed('GetPresets', 'GetPresetsResponse');
    const presets: PtzPreset[] = [];
    for (const p of children(r, 'Preset')) {
      const t = attr(p, 'token');
      if (t) presets.push({ token: t, name: textAt(p, 'Name') ?? t });
    }
    return presets;
  }

  async gotoPreset(profileToken: string, presetToken: string): Promise<void> {
    const ptz = await this.ptzAddress();
    await this.send(
      'ptz',
      ptz,
      'GotoPreset',
      `<tptz:GotoPreset><tptz:ProfileToken>${escapeXml(token(profileToken))}</tptz:ProfileToken>` +
        `<tptz:PresetToken>${escapeXml(token(presetToken, 'presetToken'))}</tptz:PresetToken></tptz:GotoPreset>`,
    );
  }

  /** Store the current position as a new preset; returns its token. */
  async setPreset(profileToken: string, name: string): Promise<string> {
    const trimmed = typeof name === 'string' ? name.trim() : '';
    if (!trimmed || trimmed.length > 64) {
      throw new ValidationError('A preset name is 1 to 64 characters.', [{ path: 'name', message: '1 to 64 characters' }]);
    }
    const ptz = await this.ptzAddress();
    const body = await this.send(
      'ptz',
      ptz,
      'SetPreset',
      `<tptz:SetPreset><tptz:ProfileToken>${escapeXml(token(profileToken))}</tptz:ProfileToken>` +
        `<tptz:PresetName>${escapeXml(trimmed)}</tptz:PresetName></tptz:SetPreset>`,
    );
    const presetToken = textAt(child(body, 'SetPresetResponse'), 'PresetToken');
    if (!presetToken) throw this.malformed('SetPreset', 'PresetToken');
    return presetToken;
  }

  // ---------- internals ----------

  private async ptzAddress(): Promise<string> {
    const { ptz } = await this.resolveServices();
    if (!ptz) throw new OnvifError('unsupported', `The camera at ${this.display} has no PTZ service; it cannot be moved.`);
    return ptz;
  }

  /** One SOAP call; authenticated when credentials are set (after learning the device's clock once). */
  private async send(service: ServiceKind, url: string, operation: string, body: string, authenticate = true): Promise<XmlElement> {
    const useAuth = authenticate && this.username !== null && this.username !== '';
    let header = '';
    if (useAuth) {
      await this.syncClock();
      header = buildSecurityHeader({
        username: this.username!,
        password: this.password ?? '',
        now: new Date(Date.now() + (this.clockOffsetMs ?? 0)),
      });
    }
    return callSoap({
      url,
      action: `${ACTIONS[service]}/${operation}`,
      envelope: buildEnvelope(body, header),
      timeoutMs: this.timeoutMs,
      maxReplyBytes: this.maxReplyBytes,
      display: redactUrl(url),
      authenticated: useAuth,
    });
  }

  /**
   * Learn the device's clock offset once. A device that refuses GetSystemDateAndTime (a fault, or it wants
   * credentials for it) is assumed to be on time; an unreachable or misbehaving one fails the call.
   */
  private syncClock(): Promise<void> {
    if (this.clockOffsetMs !== null) return Promise.resolve();
    if (!this.clockSync) {
      this.clockSync = this.getSystemDateAndTime()
        .then(() => undefined)
        .catch((err: unknown) => {
          if (err instanceof OnvifError && (err.kind === 'fault' || err.kind === 'unauthorized')) {
            this.clockOffsetMs = 0;
            return;
          }
          throw err;
        })
        .finally(() => {
          this.clockSync = null;
        });
    }
    return this.clockSync;
  }

  /** An XAddr made reachable: kept as is when its host is ours, else its path on our scheme, host and port. */
  private reachable(xaddr: string | null): string | null {
    if (!xaddr) return null;
    // Some devices list several addresses separated by spaces; take the first that parses.
    for (const candidate of xaddr.split(/\s+/)) {
      let u: URL;
      try {
        u = new URL(candidate);
      } catch {
        continue;
      }
      if (u.protocol !== 'http:' && u.protocol !== 'https:') continue;
      const ours = new URL(this.address);
      if (u.hostname.toLowerCase() === ours.hostname.toLowerCase()) return u.toString();
      ours.pathname = u.pathname;
      ours.search = u.search;
      return ours.toString();
    }
    return null;
  }

  private withoutCredentials(uri: string, operation: string): string {
    let u: URL;
    try {
      u = new URL(uri.trim());
    } catch {
      throw new OnvifError('malformed', `The camera at ${this.display} answered ${operation} with an invalid URI (${cleanUri(uri)}).`);
    }
    if (!u.username && !u.password) return uri.trim();
    u.username = '';
    u.password = '';
    return u.toString();
  }

  private malformed(operation: string, missing: string): OnvifError {
    return new OnvifError('malformed', `The reply of the camera at ${this.display} to ${operation} lacks ${missing}.`);
  }
}

/** Main = the largest video profile (by pixels, then frame rate); sub = the smallest of the others. */
export function pickStreams(profiles: OnvifProfile[]): { main: OnvifProfile; sub: OnvifProfile | null } | null {
  const video = profiles.filter((p) => p.video && p.video.width > 0 && p.video.height > 0);
  if (video.length === 0) return null;
  const area = (p: OnvifProfile): number => p.video!.width * p.video!.height;
  const byLargest = [...video].sort((a, b) => area(b) - area(a) || (b.video!.fps ?? 0) - (a.video!.fps ?? 0));
  const main = byLargest[0]!;
  const others = byLargest.slice(1);
  const sub = others.length > 0 ? others[others.length - 1]! : null;
  return { main, sub };
}

function profileOf(p: XmlElement): OnvifProfile {
  const t = attr(p, 'token') ?? '';
  const vec = child(p, 'VideoEncoderConfiguration');
  let video: VideoInfo | null = null;
  if (vec) {
    const width = Number(textAt(vec, 'Resolution', 'Width'));
    const height = Number(textAt(vec, 'Resolution', 'Height'));
    const fpsText = textAt(vec, 'RateControl', 'FrameRateLimit');
    const fps = fpsText !== null && fpsText !== '' && Number.isFinite(Number(fpsText)) ? Number(fpsText) : null;
    if (Number.isFinite(width) && Number.isFinite(height) && width > 0 && height > 0) {
      video = { encoding: textAt(vec, 'Encoding') ?? '', width, height, fps };
    }
  }
  return { token: t, name: textAt(p, 'Name') ?? t, video, ptz: child(p, 'PTZConfiguration') !== null };
}

function dateTimeOf(dt: XmlElement): Date | null {
  const n = (el: XmlElement | null, name: string): number => Number(textAt(el, name));
  const date = child(dt, 'Date');
  const time = child(dt, 'Time');
  const parts = [n(date, 'Year'), n(date, 'Month'), n(date, 'Day'), n(time, 'Hour'), n(time, 'Minute'), n(time, 'Second')];
  if (!parts.every((v) => Number.isInteger(v))) return null;
  const [year, month, day, hour, minute, second] = parts as [number, number, number, number, number, number];
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second));
}

/** A fault or an unreadable answer to GetServices/GetCapabilities means "try the next way"; other errors end the call. */
function isRecoverable(err: unknown): boolean {
  return err instanceof OnvifError && (err.kind === 'fault' || err.kind === 'malformed');
}

function speed(v: number, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < -1 || v > 1) {
    throw new ValidationError(`The PTZ ${name} speed must be between -1 and 1.`, [{ path: name, message: 'between -1 and 1' }]);
  }
  return Math.round(v * 1000) / 1000;
}

function token(value: string, name = 'profileToken'): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 64) {
    throw new ValidationError(`The ${name} is 1 to 64 characters.`, [{ path: name, message: '1 to 64 characters' }]);
  }
  return value;
}

/** Milliseconds as xs:duration (`PT1.5S`). */
export function duration(ms: number): string {
  return `PT${Number((ms / 1000).toFixed(3))}S`;
}

function positive(v: number | undefined, fallback: number, name: string): number {
  if (v === undefined) return fallback;
  if (!Number.isFinite(v) || v <= 0) throw new ValidationError(`${name} must be a positive number.`, [{ path: name, message: 'must be > 0' }]);
  return v;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function cleanUri(uri: string): string {
  const flat = redactUrl(uri.replace(/\s+/g, ' ').trim());
  return flat.length > 120 ? `${flat.slice(0, 120)}…` : flat;
}
