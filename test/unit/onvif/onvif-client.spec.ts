import { describe, expect, it } from 'vitest';
import { ERROR_CODES, ValidationError } from '../../../contracts/errors.ts';
import { duration, OnvifClient, pickStreams, type OnvifProfile } from '../../../ingest/onvif/onvif.client.ts';
import { ONVIF_ERROR_CODES, OnvifError } from '../../../ingest/onvif/onvif.errors.ts';

const profile = (token: string, width: number, height: number, fps: number | null = 25, ptz = false): OnvifProfile => ({
  token,
  name: token,
  video: { encoding: 'H264', width, height, fps },
  ptz,
});

describe('OnvifClient without a device', () => {
  it('picks the largest video profile as main and the smallest other as sub', () => {
    const picked = pickStreams([
      profile('mid', 1280, 720),
      { token: 'audio', name: 'audio', video: null, ptz: false },
      profile('small', 640, 360),
      profile('big', 2560, 1440),
      profile('tiny', 352, 288),
    ]);
    expect(picked?.main.token).toBe('big');
    expect(picked?.sub?.token).toBe('tiny');
    expect(pickStreams([profile('only', 1920, 1080)])).toEqual({ main: profile('only', 1920, 1080), sub: null });
    expect(pickStreams([{ token: 'a', name: 'a', video: null, ptz: false }])).toBeNull();
    // Equal sizes: the higher frame rate is the main stream.
    expect(pickStreams([profile('slow', 1920, 1080, 12), profile('fast', 1920, 1080, 30)])?.main.token).toBe('fast');
  });

  it('writes PTZ timeouts as xs:duration', () => {
    expect(duration(1500)).toBe('PT1.5S');
    expect(duration(250)).toBe('PT0.25S');
    expect(duration(10_000)).toBe('PT10S');
  });

  it('takes credentials out of the address and fills in the device service path', () => {
    const c = new OnvifClient({ address: 'http://admin:s%40cret@10.0.0.5:8080' });
    expect(c.address).toBe('http://10.0.0.5:8080/onvif/device_service');
    expect(c.address).not.toContain('cret');
  });

  it('refuses addresses that are not http(s) URLs, without echoing a password', () => {
    for (const address of ['rtsp://u:hunter2@10.0.0.5/', 'not a url hunter2', 'ftp://u:hunter2@h/']) {
      let err: unknown;
      try {
        new OnvifClient({ address });
      } catch (e) {
        err = e;
      }
      expect(err, address).toBeInstanceOf(ValidationError);
      expect((err as Error).message).not.toContain('hunter2');
    }
  });

  it('checks PTZ speeds before sending anything', async () => {
    // Port 9 (discard) on loopback: nothing is sent because validation fails first.
    const c = new OnvifClient({ address: 'http://127.0.0.1:9/onvif/device_service', timeoutMs: 200 });
    await expect(c.continuousMove('p', { x: 2, y: 0 })).rejects.toBeInstanceOf(ValidationError);
    await expect(c.continuousMove('p', { x: 0, y: Number.NaN })).rejects.toBeInstanceOf(ValidationError);
    await expect(c.continuousMove('p', { x: 0, y: 0 }, -5)).rejects.toBeInstanceOf(ValidationError);
    await expect(c.setPreset('p', '   ')).rejects.toBeInstanceOf(ValidationError);
  });

  it('maps kinds to stable error codes', () => {
    expect(ONVIF_ERROR_CODES).toEqual({
      unreachable: ERROR_CODES.UNAVAILABLE,
      unauthorized: ERROR_CODES.VALIDATION,
      fault: ERROR_CODES.VALIDATION,
      malformed: ERROR_CODES.VALIDATION,
      'too-large': ERROR_CODES.VALIDATION,
      unsupported: ERROR_CODES.VALIDATION,
    });
    const e = new OnvifError('unreachable', 'm');
    expect(e.code).toBe(ERROR_CODES.UNAVAILABLE);
    expect(e.name).toBe('OnvifError');
  });
});
