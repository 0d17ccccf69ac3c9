import type { ErrorIssue } from './errors.ts';

/**
 * Camera source addresses: checked and split into an address without credentials plus the
 * credentials, which are stored apart (encrypted). Pure; used by the server and the browser.
 */
export type CameraSourceKind = 'rtsp' | 'onvif' | 'file';

export interface NormalizedSource {
  url: string;
  username: string | null;
  password: string | null;
}

export type SourceResult = { ok: true; value: NormalizedSource } | { ok: false; issue: ErrorIssue };

function fail(path: string, message: string): SourceResult {
  return { ok: false, issue: { path, message } };
}

function stripCredentials(u: URL): NormalizedSource {
  const username = u.username ? decodeURIComponent(u.username) : null;
  const password = u.password ? decodeURIComponent(u.password) : null;
  u.username = '';
  u.password = '';
  return { url: u.toString(), username, password };
}

function parseUrl(raw: string): URL | null {
  try {
    return new URL(raw);
  } catch {
    return null;
  }
}

function decodeSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

const HOST_PORT = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/;

/** Check one source address of the given kind; `path` names the field in error issues. */
export function normalizeSource(kind: CameraSourceKind, raw: string, path = 'sourceUrl'): SourceResult {
  const text = raw.trim();
  if (kind !== 'file' && /\s/.test(text)) return fail(path, 'the address must not contain spaces');
  if (kind === 'rtsp') {
    const u = parseUrl(text);
    if (!u || (u.protocol !== 'rtsp:' && u.protocol !== 'rtsps:')) return fail(path, 'an RTSP address looks like rtsp://host:554/path');
    if (!u.hostname) return fail(path, 'the RTSP address has no host');
    if (u.port && Number(u.port) > 65535) return fail(path, 'the port must be 1-65535');
    return { ok: true, value: stripCredentials(u) };
  }
  if (kind === 'onvif') {
    const withScheme = /^[a-z]+:\/\//i.test(text) ? text : HOST_PORT.test(text) ? `http://${text}` : null;
    const u = withScheme ? parseUrl(withScheme) : null;
    if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:') || !u.hostname) {
      return fail(path, 'an ONVIF address is host[:port] or http://host[:port]/onvif/device_service');
    }
    if (u.pathname === '/' || u.pathname === '') u.pathname = '/onvif/device_service';
    return { ok: true, value: stripCredentials(u) };
  }
  // file: an absolute path or a file:// URL (demos and tests).
  if (decodeSafe(text).split('/').includes('..')) return fail(path, 'the path must not contain ..');
  const u = text.startsWith('file:') ? parseUrl(text) : text.startsWith('/') ? parseUrl(`file://${encodeURI(text)}`) : null;
  if (!u || u.protocol !== 'file:' || !u.pathname || u.pathname === '/') return fail(path, 'a file source is an absolute path or file:///path');
  return { ok: true, value: { url: u.toString(), username: null, password: null } };
}

/** The file system path of a file: source URL. */
export function filePathOf(url: string): string {
  return decodeURIComponent(new URL(url).pathname);
}
