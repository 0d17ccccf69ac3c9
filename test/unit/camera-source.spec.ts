import { describe, expect, it } from 'vitest';
import { normalizeSource } from '../../contracts/camera-source.ts';

describe('camera source addresses', () => {
  it('moves credentials out of an RTSP URL, decoding escapes', () => {
    expect(normalizeSource('rtsp', ' rtsp://ad%40m:p%3Aw@10.0.0.5:554/Streaming/Channels/101 ')).toEqual({
      ok: true,
      value: { url: 'rtsp://10.0.0.5:554/Streaming/Channels/101', username: 'ad@m', password: 'p:w' },
    });
    expect(normalizeSource('rtsp', 'rtsps://[::1]:8322/a')).toMatchObject({ ok: true, value: { url: 'rtsps://[::1]:8322/a', username: null } });
  });

  it('refuses what is not RTSP, with the field path', () => {
    for (const raw of ['http://10.0.0.5/a', 'rtsp://', 'rtsp://host:99999/a', 'rtsp://a b/c', 'just text']) {
      const r = normalizeSource('rtsp', raw, 'subStreamUrl');
      expect(r.ok, raw).toBe(false);
      if (!r.ok) expect(r.issue.path).toBe('subStreamUrl');
    }
  });

  it('turns an ONVIF host[:port] into the device service URL', () => {
    expect(normalizeSource('onvif', '192.168.1.64')).toMatchObject({ ok: true, value: { url: 'http://192.168.1.64/onvif/device_service' } });
    expect(normalizeSource('onvif', 'http://u:p@cam.local:8080')).toMatchObject({
      ok: true,
      value: { url: 'http://cam.local:8080/onvif/device_service', username: 'u', password: 'p' },
    });
    expect(normalizeSource('onvif', 'https://cam/onvif/dev')).toMatchObject({ ok: true, value: { url: 'https://cam/onvif/dev' } });
    expect(normalizeSource('onvif', 'rtsp://cam').ok).toBe(false);
  });

  it('accepts absolute file paths and refuses relative or climbing ones', () => {
    expect(normalizeSource('file', '/srv/demo/a b.mp4')).toMatchObject({ ok: true, value: { url: 'file:///srv/demo/a%20b.mp4' } });
    expect(normalizeSource('file', 'file:///srv/x.avi').ok).toBe(true);
    expect(normalizeSource('file', 'videos/x.avi').ok).toBe(false);
    expect(normalizeSource('file', '/srv/../etc/passwd').ok).toBe(false);
  });
});
