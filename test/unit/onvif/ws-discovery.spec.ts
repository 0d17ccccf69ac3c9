import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OnvifError } from '../../../ingest/onvif/onvif.errors.ts';
import { child, find, parseXml } from '../../../ingest/onvif/onvif-xml.ts';
import { buildProbe, parseProbeMatches } from '../../../ingest/onvif/ws-discovery.ts';

const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/onvif/${name}`, import.meta.url), 'utf8');

describe('WS-Discovery Probe', () => {
  it('asks for ONVIF video transmitters with a MessageID', () => {
    const root = parseXml(buildProbe('uuid:11111111-2222-3333-4444-555555555555'));
    expect(root.local).toBe('Envelope');
    expect(find(root, 'MessageID')?.text).toBe('uuid:11111111-2222-3333-4444-555555555555');
    expect(find(root, 'Action')?.text).toBe('http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe');
    expect(find(root, 'To')?.text).toBe('urn:schemas-xmlsoap-org:ws:2005:04:discovery');
    const types = find(child(root, 'Body'), 'Types')!;
    expect(types.text).toBe('dn:NetworkVideoTransmitter');
    // The dn: prefix used in the text is declared on the envelope.
    expect(root.attrs['xmlns:dn']).toBe('http://www.onvif.org/ver10/network/wsdl');
  });

  it('makes a fresh uuid MessageID by default, prefixes bare ids and escapes them', () => {
    const a = find(parseXml(buildProbe()), 'MessageID')!.text;
    const b = find(parseXml(buildProbe()), 'MessageID')!.text;
    expect(a).toMatch(/^uuid:[0-9a-f-]{36}$/);
    expect(a).not.toBe(b);
    expect(find(parseXml(buildProbe('abc')), 'MessageID')!.text).toBe('uuid:abc');
    expect(find(parseXml(buildProbe('urn:x<&>')), 'MessageID')!.text).toBe('urn:x<&>');
  });
});

describe('WS-Discovery ProbeMatches', () => {
  it('reads a Hikvision-style reply', () => {
    expect(parseProbeMatches(fixture('probe-match-hikvision.xml'))).toEqual([
      {
        endpoint: 'urn:uuid:4a1e8c30-5b2a-11b2-8c8e-bc9b5e2a4f10',
        xaddrs: ['http://192.168.1.64/onvif/device_service', 'http://[fe80::be9b:5eff:fe2a:4f10]/onvif/device_service'],
        scopes: [
          'onvif://www.onvif.org/type/video_encoder',
          'onvif://www.onvif.org/Profile/Streaming',
          'onvif://www.onvif.org/MAC/bc:9b:5e:2a:4f:10',
          'onvif://www.onvif.org/hardware/DS-2CD2143G2-I',
          'onvif://www.onvif.org/name/HIKVISION%20DS-2CD2143G2-I',
          'onvif://www.onvif.org/location/city/hangzhou',
          'onvif://www.onvif.org/Profile/T',
        ],
        types: ['dn:NetworkVideoTransmitter', 'tds:Device'],
        name: 'HIKVISION DS-2CD2143G2-I',
        hardware: 'DS-2CD2143G2-I',
        location: 'city/hangzhou',
      },
    ]);
  });

  it('reads a Dahua-style reply (other prefixes, indented)', () => {
    const [m, ...rest] = parseProbeMatches(fixture('probe-match-dahua.xml'));
    expect(rest).toEqual([]);
    expect(m).toMatchObject({
      endpoint: 'uuid:3f6b2d10-b1c7-4c4b-a8b5-e0508b7f3a21',
      xaddrs: ['http://192.168.1.108/onvif/device_service'],
      types: ['tdn:NetworkVideoTransmitter', 'tds:Device'],
      name: 'Dahua',
      hardware: 'IPC-HFW2431S-S-S2',
      location: 'country/china',
    });
    expect(m!.scopes).toHaveLength(6);
  });

  it('reads a default-namespace reply with several XAddrs (IPv6 included) and a URL-encoded UTF-8 name', () => {
    const [m] = parseProbeMatches(fixture('probe-match-generic-multi-xaddr.xml'));
    expect(m).toEqual({
      endpoint: 'urn:uuid:0e9d3c1a-6f2b-4a55-b7e4-2c8f91d0a6b3',
      xaddrs: [
        'http://10.20.30.40/onvif/device_service',
        'https://10.20.30.40/onvif/device_service',
        'http://[2001:db8::40]:8080/onvif/device_service',
      ],
      scopes: [
        'onvif://www.onvif.org/Profile/Streaming',
        'onvif://www.onvif.org/Profile/G',
        'onvif://www.onvif.org/type/ptz',
        'onvif://www.onvif.org/name/%E5%8C%97%E9%97%A8%E5%8D%A1%E5%8F%A3%20PTZ',
        'onvif://www.onvif.org/hardware/NVT-PTZ%2F20X',
        'onvif://www.onvif.org/location/Building%20A%2FGate%201',
        'http://example.invalid/custom-scope',
      ],
      types: ['dn:NetworkVideoTransmitter', 'tds:Device'],
      name: '北门卡口 PTZ',
      hardware: 'NVT-PTZ/20X',
      location: 'Building A/Gate 1',
    });
  });

  it('skips a match that nothing could reach and keeps the others', () => {
    expect(parseProbeMatches(fixture('probe-match-incomplete.xml'))).toEqual([
      {
        endpoint: 'urn:uuid:5d2c7b9e-8a41-4f03-b6d2-9e7f1a3c5b80',
        xaddrs: ['http://172.16.5.20:8000/onvif/device_service'],
        scopes: [],
        types: ['dn:NetworkVideoTransmitter'],
        name: null,
        hardware: null,
        location: null,
      },
    ]);
  });

  it('throws a malformed OnvifError for a truncated datagram', () => {
    let err: unknown;
    try {
      parseProbeMatches(fixture('probe-match-malformed.xml'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OnvifError);
    expect((err as OnvifError).kind).toBe('malformed');
    expect((err as OnvifError).message).toMatch(/WS-Discovery reply is not well-formed XML/);
  });

  it('refuses DOCTYPE, non-envelopes and oversized input; an envelope without matches is empty', () => {
    const doctype = `<!DOCTYPE x [<!ENTITY a "b">]>${fixture('probe-match-dahua.xml').replace(/^<\?xml[^>]*>\s*/, '')}`;
    expect(() => parseProbeMatches(doctype)).toThrow(/DOCTYPE/);
    expect(() => parseProbeMatches('<ProbeMatches/>')).toThrow(/not a SOAP envelope/);
    expect(() => parseProbeMatches(`<a>${'x'.repeat(70_000)}</a>`)).toThrow(OnvifError);
    expect(parseProbeMatches('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>')).toEqual([]);
  });
});
