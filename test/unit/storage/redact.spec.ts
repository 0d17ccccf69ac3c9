import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../../storage/redact.ts';

describe('redactUrl', () => {
  it.each([
    ['rtsp://admin:12345@192.168.1.64:554/Streaming/Channels/101', 'rtsp://admin:***@192.168.1.64:554/Streaming/Channels/101'],
    ['rtsp://admin:p%40ss@cam.local/live', 'rtsp://admin:***@cam.local/live'],
    ['http://user:pw@10.0.0.9/onvif/device_service', 'http://user:***@10.0.0.9/onvif/device_service'],
    ['https://hook:tok@example.org:8443/alerts?x=1', 'https://hook:***@example.org:8443/alerts?x=1'],
    ['postgres://argus:s3cret@db.internal:5432/argus', 'postgres://argus:***@db.internal:5432/argus'],
    ['postgresql://argus:s3cret@/argus?host=/run/postgresql', 'postgresql://argus:***@/argus?host=/run/postgresql'],
    ['redis://:authpass@127.0.0.1:6379/0', 'redis://:***@127.0.0.1:6379/0'],
    ['rediss://default:authpass@redis.example:6380', 'rediss://default:***@redis.example:6380'],
    ['rtsp://admin:pw@[fe80::1]:554/stream', 'rtsp://admin:***@[fe80::1]:554/stream'],
  ])('hides the password in %s', (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });

  it('hides passwords holding unescaped @ / ? or #', () => {
    expect(redactUrl('rtsp://admin:p@ss@10.0.0.5/live')).toBe('rtsp://admin:***@10.0.0.5/live');
    expect(redactUrl('rtsp://admin:pa/ss@10.0.0.5/live')).toBe('rtsp://admin:***@10.0.0.5/live');
    expect(redactUrl('rtsp://admin:a#b?c@10.0.0.5:554/live')).toBe('rtsp://admin:***@10.0.0.5:554/live');
    for (const secret of ['p@ss', 'pa/ss', 'a#b?c']) expect(redactUrl(`rtsp://admin:${secret}@h/x`)).not.toContain(secret);
  });

  it('hides password-like query parameters and libpq keyword values', () => {
    expect(redactUrl('rtsp://10.0.0.5/cam/realmonitor?channel=1&user=admin&password=12345')).toBe(
      'rtsp://10.0.0.5/cam/realmonitor?channel=1&user=admin&password=***',
    );
    expect(redactUrl('http://cam/snapshot.cgi?user=admin&pwd=abc&res=1')).toBe('http://cam/snapshot.cgi?user=admin&pwd=***&res=1');
    expect(redactUrl('http://cam/x?PASSWORD=abc#frag')).toBe('http://cam/x?PASSWORD=***#frag');
    expect(redactUrl('host=db user=argus password=s3cret dbname=argus')).toBe('host=db user=argus password=*** dbname=argus');
  });

  it('keeps URLs without secrets as they are', () => {
    for (const url of [
      'rtsp://10.0.0.5:554/live',
      'rtsp://admin@10.0.0.5/live',
      'rtsp://admin:@10.0.0.5/live',
      'file:///media/demo.mp4',
      'http://host/path?user=admin&passage=1',
      'postgres://postgres@127.0.0.1:5432/test',
      '',
    ]) {
      expect(redactUrl(url)).toBe(url);
    }
  });

  it('works on text that is not a URL, and on several URLs in one message', () => {
    expect(redactUrl('not a url at all')).toBe('not a url at all');
    expect(redactUrl('ffmpeg: rtsp://a:b@h1/x failed, retry rtsp://c:d@h2/y')).toBe('ffmpeg: rtsp://a:***@h1/x failed, retry rtsp://c:***@h2/y');
    expect(redactUrl('rtsp://a:b@h1/xrtsp://c:d@h2/y')).not.toMatch(/:b@|:d@/);
    expect(redactUrl('::://@@@')).toBe('::://@@@');
  });
});
