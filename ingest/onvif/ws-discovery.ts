import { randomUUID } from 'node:crypto';
import { OnvifError } from './onvif.errors.ts';
import { child, escapeXml, find, findAll, parseXml, textAt } from './onvif-xml.ts';

/**
 * WS-Discovery (2005/04, as ONVIF uses it): the Probe a client multicasts to 239.255.255.250:3702 and
 * the ProbeMatches cameras answer with. Only building and parsing live here; sending and receiving the
 * datagrams belongs to whoever owns the socket.
 *
 * Parsing policy: a reply that is not XML, carries a DOCTYPE, or is not a SOAP envelope throws
 * OnvifError('malformed') — a discovery loop catches it per datagram and goes on. A well-formed envelope
 * without ProbeMatch gives []. A ProbeMatch with neither an endpoint address nor an XAddr is skipped
 * (nothing could reach it); the others in the same reply are kept.
 */

export const WS_DISCOVERY_MULTICAST = { address: '239.255.255.250', port: 3702 } as const;

const NS = {
  s: 'http://www.w3.org/2003/05/soap-envelope',
  a: 'http://schemas.xmlsoap.org/ws/2004/08/addressing',
  d: 'http://schemas.xmlsoap.org/ws/2005/04/discovery',
  dn: 'http://www.onvif.org/ver10/network/wsdl',
} as const;

/** Largest discovery reply accepted (a UDP datagram is at most 64 KiB). */
const MAX_REPLY_CHARS = 64 * 1024;

export interface ProbeMatch {
  /** The device's stable identity, usually `urn:uuid:…`. */
  endpoint: string;
  /** Device service addresses, as the device lists them (may include IPv6 and link-local ones). */
  xaddrs: string[];
  scopes: string[];
  /** Types as written (`dn:NetworkVideoTransmitter`, `tds:Device`). */
  types: string[];
  /** From `onvif://www.onvif.org/name/…`, URL-decoded. */
  name: string | null;
  /** From `onvif://www.onvif.org/hardware/…`, URL-decoded. */
  hardware: string | null;
  /** From `onvif://www.onvif.org/location/…`: the decoded rest of each location scope, joined with ", " (`city/Hangzhou`). */
  location: string | null;
}

/** A Probe for ONVIF video devices. `messageId` defaults to a fresh `uuid:…`; a bare UUID gets the `uuid:` prefix. */
export function buildProbe(messageId?: string): string {
  const id = messageId === undefined ? `uuid:${randomUUID()}` : /^(uuid|urn):/i.test(messageId) ? messageId : `uuid:${messageId}`;
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<s:Envelope xmlns:s="${NS.s}" xmlns:a="${NS.a}" xmlns:d="${NS.d}" xmlns:dn="${NS.dn}">` +
    '<s:Header>' +
    `<a:MessageID>${escapeXml(id)}</a:MessageID>` +
    '<a:To s:mustUnderstand="1">urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>' +
    '<a:Action s:mustUnderstand="1">http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action>' +
    '</s:Header>' +
    '<s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types><d:Scopes/></d:Probe></s:Body>' +
    '</s:Envelope>'
  );
}

/** The ProbeMatch entries of one discovery reply (see the parsing policy above). */
export function parseProbeMatches(xml: string): ProbeMatch[] {
  const root = parseXml(xml, 'The WS-Discovery reply', { maxChars: MAX_REPLY_CHARS, maxDepth: 32 });
  if (root.local !== 'Envelope') throw new OnvifError('malformed', `The WS-Discovery reply is not a SOAP envelope (<${root.name}>).`);
  const body = child(root, 'Body');
  if (!body) throw new OnvifError('malformed', 'The WS-Discovery reply has no SOAP Body.');
  const matches: ProbeMatch[] = [];
  for (const m of findAll(body, 'ProbeMatch')) {
    const xaddrs = words(textAt(m, 'XAddrs'));
    const endpoint = (textAt(find(m, 'EndpointReference'), 'Address') ?? '').trim();
    if (!endpoint && xaddrs.length === 0) continue;
    const scopes = words(textAt(m, 'Scopes'));
    matches.push({
      endpoint,
      xaddrs,
      scopes,
      types: words(textAt(m, 'Types')),
      name: scopeValue(scopes, 'name'),
      hardware: scopeValue(scopes, 'hardware'),
      location: scopeValue(scopes, 'location'),
    });
  }
  return matches;
}

function words(text: string | null): string[] {
  return text ? text.split(/\s+/).filter((w) => w.length > 0) : [];
}

const ONVIF_SCOPE = 'onvif://www.onvif.org/';

/** The decoded values of `onvif://www.onvif.org/<key>/<value>` scopes, joined with ", "; null when none. */
function scopeValue(scopes: string[], key: string): string | null {
  const prefix = `${ONVIF_SCOPE}${key}/`;
  const values = scopes
    .filter((s) => s.toLowerCase().startsWith(prefix))
    .map((s) => decode(s.slice(prefix.length)).trim())
    .filter((v) => v.length > 0);
  return values.length > 0 ? values.join(', ') : null;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
