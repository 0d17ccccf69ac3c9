import { createHash, randomBytes } from 'node:crypto';
import { escapeXml } from './onvif-xml.ts';

/**
 * WS-Security UsernameToken with PasswordDigest, as ONVIF devices require:
 *   Digest = Base64( SHA-1( nonce bytes + Created + password ) )
 * The password itself never goes over the wire.
 */

export const WSSE_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
export const WSU_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';
export const PASSWORD_DIGEST_TYPE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest';
export const BASE64_ENCODING_TYPE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-soap-message-security-1.0#Base64Binary';

/** The PasswordDigest for a nonce (base64, as sent), a Created timestamp (as sent) and a password. */
export function passwordDigest(nonceBase64: string, created: string, password: string): string {
  const nonce = Buffer.from(nonceBase64, 'base64');
  return createHash('sha1')
    .update(Buffer.concat([nonce, Buffer.from(created, 'utf8'), Buffer.from(password, 'utf8')]))
    .digest('base64');
}

/** `2024-05-01T08:00:00Z`: xs:dateTime in UTC without milliseconds (some devices reject fractions). */
export function wsseTimestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export interface UsernameTokenInput {
  username: string;
  password: string;
  /** The device's time, as this client estimates it (local clock + measured offset). */
  now: Date;
  /** For tests: a fixed nonce (base64); default 16 random bytes. */
  nonceBase64?: string;
}

/** The `<Security>` SOAP header element holding a UsernameToken with PasswordDigest. */
export function buildSecurityHeader(input: UsernameTokenInput): string {
  const nonce = input.nonceBase64 ?? randomBytes(16).toString('base64');
  const created = wsseTimestamp(input.now);
  const digest = passwordDigest(nonce, created, input.password);
  return (
    `<wsse:Security s:mustUnderstand="1" xmlns:wsse="${WSSE_NS}" xmlns:wsu="${WSU_NS}">` +
    '<wsse:UsernameToken>' +
    `<wsse:Username>${escapeXml(input.username)}</wsse:Username>` +
    `<wsse:Password Type="${PASSWORD_DIGEST_TYPE}">${digest}</wsse:Password>` +
    `<wsse:Nonce EncodingType="${BASE64_ENCODING_TYPE}">${nonce}</wsse:Nonce>` +
    `<wsu:Created>${created}</wsu:Created>` +
    '</wsse:UsernameToken>' +
    '</wsse:Security>'
  );
}
