import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, type ArgusError } from '../../../contracts/errors.ts';
import {
  decodeRelayRecord,
  encodeRelayRecord,
  relayDirectoryKey,
  relayRefreshIntervalMs,
  type RelayDirectoryRecord,
} from '../../../storage/relay-directory.ts';
import { SecretBox } from '../../../storage/secret-box.ts';

const box = SecretBox.fromKey(randomBytes(32));
const record: RelayDirectoryRecord = {
  cameraId: '7d5c6a70-3c1e-4c44-9d0e-0c6b5f5e8a01',
  apiUrl: 'http://10.20.0.5:8188/janus',
  apiSecret: 'janus-api-secret-of-ingest-host-1',
  mountpointId: 3,
  loopbackIce: false,
  owner: 'ingest-1:4242:a1b2c3',
  publishedAt: 1_700_000_000_000,
};

function thrown(fn: () => unknown): ArgusError {
  try {
    fn();
  } catch (err) {
    return err as ArgusError;
  }
  throw new Error('expected an error');
}

describe('relay directory records', () => {
  it('round-trips a record, its API secret sealed: never in the stored text in plain', () => {
    const text = encodeRelayRecord(record, box);
    expect(text).not.toContain(record.apiSecret);
    const stored = JSON.parse(text) as Record<string, unknown>;
    expect(SecretBox.isSealed(stored.apiSecret as string)).toBe(true);
    expect(stored).toMatchObject({ v: 1, cameraId: record.cameraId, apiUrl: record.apiUrl, mountpointId: 3, owner: record.owner });
    expect(Object.keys(stored)).not.toContain('streamingAdminKey');
    expect(decodeRelayRecord(text, box)).toEqual(record);
  });

  it('seals afresh each time, so two publications of one mountpoint differ (and withdraw compares the exact text)', () => {
    expect(encodeRelayRecord(record, box)).not.toBe(encodeRelayRecord(record, box));
  });

  it('says so clearly when the record was sealed with another secret key', () => {
    const other = SecretBox.fromKey(randomBytes(32));
    const err = thrown(() => decodeRelayRecord(encodeRelayRecord(record, other), box));
    expect(err.code).toBe(ERROR_CODES.UNAVAILABLE);
    expect(err.message).toMatch(/same secret key/);
    expect(err.message).not.toContain(record.apiSecret);
  });

  it('refuses text that is not a record of this version', () => {
    expect(thrown(() => decodeRelayRecord('not json', box)).code).toBe(ERROR_CODES.UNAVAILABLE);
    const text = JSON.parse(encodeRelayRecord(record, box)) as Record<string, unknown>;
    expect(thrown(() => decodeRelayRecord(JSON.stringify({ ...text, v: 2 }), box)).message).toMatch(/unknown shape/);
    expect(thrown(() => decodeRelayRecord(JSON.stringify({ ...text, apiSecret: record.apiSecret }), box)).message).toMatch(/same secret key/);
    const { mountpointId: _m, ...missing } = text;
    expect(thrown(() => decodeRelayRecord(JSON.stringify(missing), box)).message).toMatch(/mountpointId/);
  });

  it('keys records by camera under the prefix', () => {
    expect(relayDirectoryKey('argus', 'cam-1')).toBe('argus:relay:camera:cam-1');
  });

  it('renews three times per TTL, so one missed renewal does not let a live record expire', () => {
    expect(relayRefreshIntervalMs(15_000)).toBe(5000);
    expect(relayRefreshIntervalMs(3000)).toBe(1000);
    expect(relayRefreshIntervalMs(10)).toBe(3);
  });
});
