import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../../contracts/errors.ts';
import { OnvifError } from '../../../ingest/onvif/onvif.errors.ts';
import { attr, child, children, decodeEntities, escapeXml, find, findAll, parseXml, textAt } from '../../../ingest/onvif/onvif-xml.ts';

function malformed(fn: () => unknown): OnvifError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(OnvifError);
    expect((err as OnvifError).kind).toBe('malformed');
    expect((err as OnvifError).code).toBe(ERROR_CODES.VALIDATION);
    return err as OnvifError;
  }
  throw new Error('expected a malformed error');
}

describe('ONVIF XML parsing', () => {
  it('finds elements by local name whatever the prefix', () => {
    for (const [env, media, schema] of [
      ['s', 'trt', 'tt'],
      ['SOAP-ENV', 'ns1', 'ns2'],
      ['env', '', ''],
    ]) {
      const p = (prefix: string, name: string): string => (prefix ? `${prefix}:${name}` : name);
      const xml =
        `<${p(env!, 'Envelope')} xmlns:${env}="http://www.w3.org/2003/05/soap-envelope"><${p(env!, 'Body')}>` +
        `<${p(media!, 'GetStreamUriResponse')}><${p(media!, 'MediaUri')}><${p(schema!, 'Uri')}>rtsp://h/1</${p(schema!, 'Uri')}>` +
        `</${p(media!, 'MediaUri')}></${p(media!, 'GetStreamUriResponse')}></${p(env!, 'Body')}></${p(env!, 'Envelope')}>`;
      const root = parseXml(xml);
      expect(root.local).toBe('Envelope');
      expect(textAt(child(root, 'Body'), 'GetStreamUriResponse', 'MediaUri', 'Uri')).toBe('rtsp://h/1');
      expect(find(root, 'Uri')?.text).toBe('rtsp://h/1');
    }
  });

  it('decodes predefined entities and character references but not CDATA', () => {
    const root = parseXml('<a x="1&amp;2&#x41;"><u>rtsp://h/p?a=1&amp;b=2&#65;&lt;</u><c><![CDATA[raw &amp; <kept>]]></c></a>');
    expect(attr(root, 'x')).toBe('1&2A');
    expect(textAt(root, 'u')).toBe('rtsp://h/p?a=1&b=2A<');
    expect(textAt(root, 'c')).toBe('raw &amp; <kept>');
    expect(decodeEntities('&unknown; &amp;')).toBe('&unknown; &');
    expect(escapeXml(`<a href="x">&'`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;');
  });

  it('lists children and descendants in order', () => {
    const root = parseXml('<r><p token="a"><n>1</n></p><q><p token="b"/></q><p token="c"/></r>');
    expect(children(root, 'p').map((p) => attr(p, 'token'))).toEqual(['a', 'c']);
    expect(findAll(root, 'p').map((p) => attr(p, 'token'))).toEqual(['a', 'b', 'c']);
  });

  it('refuses DOCTYPE and ENTITY declarations (XML bombs) before parsing', () => {
    const bomb =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><a>&lol2;</a>';
    expect(malformed(() => parseXml(bomb)).message).toMatch(/DOCTYPE or ENTITY/);
    expect(malformed(() => parseXml('<a><!ENTITY x "y"></a>')).message).toMatch(/DOCTYPE or ENTITY/);
    expect(malformed(() => parseXml('<!doctype html><html></html>')).message).toMatch(/DOCTYPE/);
  });

  it('refuses what is not well-formed XML, too deep or too long', () => {
    malformed(() => parseXml('not xml at all {'));
    malformed(() => parseXml(''));
    malformed(() => parseXml('<a><b></a>'));
    malformed(() => parseXml('<a/><b/>'));
    const deep = (n: number): string => '<e>'.repeat(n) + '</e>'.repeat(n);
    expect(parseXml(deep(30), 'x', { maxDepth: 32 }).local).toBe('e');
    malformed(() => parseXml(deep(40), 'x', { maxDepth: 32 }));
    malformed(() => parseXml(`<a>${'x'.repeat(200)}</a>`, 'x', { maxChars: 100 }));
  });
});
