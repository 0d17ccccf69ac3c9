import { describe, expect, it } from 'vitest';
import { parseXml, find, attr } from '../../../ingest/onvif/onvif-xml.ts';
import { buildSecurityHeader, passwordDigest, PASSWORD_DIGEST_TYPE, wsseTimestamp } from '../../../ingest/onvif/ws-security.ts';

describe('WS-Security UsernameToken PasswordDigest', () => {
  it('matches the worked example of the ONVIF Application Programmer’s Guide', () => {
    // Nonce, Created and password from the guide's example; the digest is the published one.
    expect(passwordDigest('LKqI6G/AikKCQrN0zqZFlg==', '2010-09-16T07:50:45Z', 'userpassword')).toBe('tuOSpGlFlIXsozq4HFNeeGeFLEI=');
  });

  it('depends on every input', () => {
    const base = passwordDigest('LKqI6G/AikKCQrN0zqZFlg==', '2010-09-16T07:50:45Z', 'userpassword');
    expect(passwordDigest('LKqI6G/AikKCQrN0zqZFlA==', '2010-09-16T07:50:45Z', 'userpassword')).not.toBe(base);
    expect(passwordDigest('LKqI6G/AikKCQrN0zqZFlg==', '2010-09-16T07:50:46Z', 'userpassword')).not.toBe(base);
    expect(passwordDigest('LKqI6G/AikKCQrN0zqZFlg==', '2010-09-16T07:50:45Z', 'userpassword2')).not.toBe(base);
  });

  it('writes Created in UTC without milliseconds', () => {
    expect(wsseTimestamp(new Date(Date.UTC(2024, 4, 1, 8, 0, 0, 789)))).toBe('2024-05-01T08:00:00Z');
  });

  it('builds a header with the digest, nonce and Created, the user name escaped and the password absent', () => {
    const now = new Date(Date.UTC(2010, 8, 16, 7, 50, 45));
    const xml = buildSecurityHeader({ username: 'ad<m>&"', password: 'userpassword', now, nonceBase64: 'LKqI6G/AikKCQrN0zqZFlg==' });
    expect(xml).not.toContain('userpassword');
    // The header is well-formed on its own once the s: prefix is declared.
    const root = parseXml(`<s:Header xmlns:s="http://www.w3.org/2003/05/soap-envelope">${xml}</s:Header>`);
    expect(find(root, 'Username')?.text).toBe('ad<m>&"');
    const pw = find(root, 'Password');
    expect(pw?.text).toBe('tuOSpGlFlIXsozq4HFNeeGeFLEI=');
    expect(attr(pw, 'Type')).toBe(PASSWORD_DIGEST_TYPE);
    expect(find(root, 'Nonce')?.text).toBe('LKqI6G/AikKCQrN0zqZFlg==');
    expect(find(root, 'Created')?.text).toBe('2010-09-16T07:50:45Z');
  });

  it('uses a fresh 16-byte nonce each time', () => {
    const now = new Date();
    const nonces = [1, 2, 3].map((): string => {
      const root = parseXml(`<s:H xmlns:s="x">${buildSecurityHeader({ username: 'u', password: 'p', now })}</s:H>`);
      return find(root, 'Nonce')!.text;
    });
    expect(new Set(nonces).size).toBe(3);
    for (const n of nonces) expect(Buffer.from(n, 'base64')).toHaveLength(16);
  });
});
