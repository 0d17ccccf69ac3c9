import http from 'node:http';
import https from 'node:https';
import { OnvifError } from './onvif.errors.ts';
import { child, localName, parseXml, type XmlElement } from './onvif-xml.ts';

/**
 * SOAP 1.2 over HTTP POST with hard limits: one deadline for the whole exchange (connect, send, reply)
 * and a cap on the reply size, enforced while the body streams in (the request is destroyed as soon as
 * the cap is passed; nothing is buffered past it).
 */

export const SOAP_ENV_NS = 'http://www.w3.org/2003/05/soap-envelope';

/** Prefixes declared on every envelope we send, so bodies can use them. */
export const NAMESPACES = {
  s: SOAP_ENV_NS,
  tds: 'http://www.onvif.org/ver10/device/wsdl',
  trt: 'http://www.onvif.org/ver10/media/wsdl',
  tptz: 'http://www.onvif.org/ver20/ptz/wsdl',
  tt: 'http://www.onvif.org/ver10/schema',
} as const;

/** SOAP fault subcodes that mean "the credentials were refused". */
const AUTH_FAULTS = new Set(['NotAuthorized', 'FailedAuthentication', 'InvalidSecurity', 'InvalidSecurityToken']);

export function buildEnvelope(body: string, header = ''): string {
  const xmlns = Object.entries(NAMESPACES)
    .map(([p, ns]) => `xmlns:${p}="${ns}"`)
    .join(' ');
  return `<?xml version="1.0" encoding="UTF-8"?><s:Envelope ${xmlns}>${header ? `<s:Header>${header}</s:Header>` : ''}<s:Body>${body}</s:Body></s:Envelope>`;
}

export interface SoapCall {
  url: string;
  /** The SOAP action URI (goes into the Content-Type `action` parameter). */
  action: string;
  /** The complete envelope. */
  envelope: string;
  timeoutMs: number;
  maxReplyBytes: number;
  /** The device address for messages, already redacted. */
  display: string;
  /** Whether the request carried credentials (changes the message of an authentication failure). */
  authenticated: boolean;
}

export interface HttpReply {
  status: number;
  contentType: string;
  text: string;
}

/** POST one envelope; returns the SOAP Body of a successful reply, or throws OnvifError. */
export async function callSoap(call: SoapCall): Promise<XmlElement> {
  const reply = await httpPost(call);
  return interpretReply(reply, call);
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(ms < 1000 ? 2 : 1))} s`;
}

function mib(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Number((bytes / 1024 / 1024).toFixed(2))} MiB` : `${Math.round(bytes / 1024)} KiB`;
}

const NET_REASONS: Record<string, string> = {
  ECONNREFUSED: 'the connection was refused (nothing listens on that port)',
  ENOTFOUND: 'the host name could not be resolved',
  EAI_AGAIN: 'the host name could not be resolved (DNS did not answer)',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  ECONNRESET: 'the connection was reset',
  EPIPE: 'the connection was closed while sending',
  ETIMEDOUT: 'the connection timed out',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its TLS certificate is self-signed and not trusted',
  SELF_SIGNED_CERT_IN_CHAIN: 'its TLS certificate is not trusted',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its TLS certificate is not trusted',
  CERT_HAS_EXPIRED: 'its TLS certificate has expired',
  ERR_TLS_CERT_ALTNAME_INVALID: 'its TLS certificate is for another host name',
};

function networkError(err: unknown, display: string): OnvifError {
  const code = (err as { code?: unknown } | null)?.code;
  const reason = typeof code === 'string' ? (NET_REASONS[code] ?? `network error ${code}`) : 'network error';
  return new OnvifError('unreachable', `Could not reach the camera at ${display}: ${reason}.`);
}

/** The HTTP exchange with a deadline and a streamed size cap. */
export function httpPost(call: SoapCall): Promise<HttpReply> {
  return new Promise<HttpReply>((resolve, reject) => {
    let url: URL;
    try {
      url = new URL(call.url);
    } catch {
      reject(new OnvifError('malformed', `The service address ${call.display} is not a valid URL.`));
      return;
    }
    const payload = Buffer.from(call.envelope, 'utf8');
    const mod = url.protocol === 'https:' ? https : http;
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const req = mod.request(url, {
      method: 'POST',
      // A fresh connection per call: cameras' embedded servers handle keep-alive poorly, and calls are rare.
      agent: false,
      headers: {
        'Content-Type': `application/soap+xml; charset=utf-8; action="${call.action}"`,
        'Content-Length': payload.length,
        Accept: 'application/soap+xml, text/xml',
      },
    });
    const timer = setTimeout(() => {
      settle(() => reject(new OnvifError('unreachable', `The camera at ${call.display} did not answer within ${seconds(call.timeoutMs)}.`)));
      req.destroy();
    }, call.timeoutMs);
    req.on('error', (err) => settle(() => reject(networkError(err, call.display))));
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      const contentType = String(res.headers['content-type'] ?? '');
      const tooLarge = (): OnvifError =>
        new OnvifError('too-large', `The camera at ${call.display} sent a reply larger than ${mib(call.maxReplyBytes)}; reading stopped there.`, {
          httpStatus: status,
        });
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > call.maxReplyBytes) {
        settle(() => reject(tooLarge()));
        req.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (settled) return;
        size += chunk.length;
        if (size > call.maxReplyBytes) {
          chunks.length = 0;
          settle(() => reject(tooLarge()));
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => settle(() => resolve({ status, contentType, text: Buffer.concat(chunks).toString('utf8') })));
      res.on('error', (err) => settle(() => reject(networkError(err, call.display))));
      res.on('close', () =>
        settle(() => reject(new OnvifError('unreachable', `The camera at ${call.display} closed the connection before its reply was complete.`))),
      );
    });
    req.end(payload);
  });
}

export interface SoapFault {
  /** Code, then subcodes, as written (`env:Sender`, `ter:NotAuthorized`). */
  codes: string[];
  reason: string;
}

/** Read a SOAP 1.2 (or 1.1) Fault element. */
export function parseFault(fault: XmlElement): SoapFault {
  const codes: string[] = [];
  let code = child(fault, 'Code');
  for (let depth = 0; code && depth < 8; depth++) {
    const value = child(code, 'Value')?.text;
    if (value) codes.push(value);
    code = child(code, 'Subcode');
  }
  const faultcode = child(fault, 'faultcode')?.text; // SOAP 1.1
  if (faultcode) codes.push(faultcode);
  const reason = child(child(fault, 'Reason'), 'Text')?.text || child(fault, 'faultstring')?.text || '';
  return { codes, reason: cleanText(reason) };
}

/** Device-supplied text for a message: one line, bounded. */
export function cleanText(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

export function isAuthFault(fault: SoapFault): boolean {
  return fault.codes.some((c) => AUTH_FAULTS.has(localName(c)));
}

function unauthorized(call: SoapCall, httpStatus: number, faultCodes: string[] = []): OnvifError {
  const message = call.authenticated
    ? `The camera at ${call.display} refused the login: wrong user name or password.`
    : `The camera at ${call.display} requires a user name and password.`;
  return new OnvifError('unauthorized', message, { httpStatus, faultCodes });
}

/** Turn an HTTP reply into the SOAP Body, or the matching OnvifError. */
export function interpretReply(reply: HttpReply, call: SoapCall): XmlElement {
  const ok = reply.status >= 200 && reply.status < 300;
  if (reply.status === 401) throw unauthorized(call, 401);
  let root: XmlElement;
  try {
    root = parseXml(reply.text, `The reply of the camera at ${call.display}`);
  } catch (err) {
    if (!ok) throw notSoap(reply, call);
    throw err;
  }
  if (root.local !== 'Envelope') {
    if (!ok) throw notSoap(reply, call);
    throw new OnvifError('malformed', `The reply of the camera at ${call.display} is XML but not a SOAP envelope (<${root.name}>).`, {
      httpStatus: reply.status,
    });
  }
  const body = child(root, 'Body');
  if (!body) throw new OnvifError('malformed', `The reply of the camera at ${call.display} has no SOAP Body.`, { httpStatus: reply.status });
  const faultEl = child(body, 'Fault');
  if (faultEl) {
    const fault = parseFault(faultEl);
    if (isAuthFault(fault)) throw unauthorized(call, reply.status, fault.codes);
    const codes = fault.codes.length > 0 ? ` (${fault.codes.join(' / ')})` : '';
    throw new OnvifError('fault', `The camera at ${call.display} answered with a SOAP fault${codes}: ${fault.reason || 'no reason given'}.`, {
      httpStatus: reply.status,
      faultCodes: fault.codes,
    });
  }
  if (!ok) {
    throw new OnvifError('fault', `The camera at ${call.display} answered HTTP ${reply.status} without a SOAP fault.`, { httpStatus: reply.status });
  }
  return body;
}

function notSoap(reply: HttpReply, call: SoapCall): OnvifError {
  const type = reply.contentType ? ` (${cleanText(reply.contentType, 60)})` : '';
  return new OnvifError(
    'malformed',
    `The address ${call.display} answered HTTP ${reply.status}${type}, not SOAP: check that it is the camera's ONVIF device service (usually http://host/onvif/device_service) and that ONVIF is enabled on the camera.`,
    { httpStatus: reply.status },
  );
}
