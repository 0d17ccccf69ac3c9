import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../../contracts/errors.ts';
import { OnvifClient } from '../../../ingest/onvif/onvif.client.ts';
import { OnvifError, type OnvifErrorKind } from '../../../ingest/onvif/onvif.errors.ts';
import { startOnvifSimulator, type OnvifSimulator, type OnvifSimulatorMode } from '../../helpers/onvif-simulator.ts';

const USER = 'operator';
const PASSWORD = 'Fault-Secret-314';

let sim: OnvifSimulator | null = null;
afterEach(async () => {
  await sim?.stop();
  sim = null;
});

/** Run one call, return the error and how long it took. */
async function failure(p: Promise<unknown>): Promise<{ error: OnvifError; ms: number }> {
  const started = Date.now();
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(OnvifError);
    return { error: err as OnvifError, ms: Date.now() - started };
  }
  throw new Error('expected the call to fail');
}

function expectNoSecret(e: OnvifError): void {
  for (const text of [e.message, JSON.stringify(e), e.stack ?? '']) expect(text).not.toContain(PASSWORD);
}

describe('OnvifClient fault handling', () => {
  const cases: Array<{ mode: OnvifSimulatorMode; kind: OnvifErrorKind; message: RegExp }> = [
    { mode: 'fault', kind: 'fault', message: /SOAP fault \(SOAP-ENV:Receiver \/ ter:Action \/ ter:SimulatedFailure\): Simulated device failure/ },
    { mode: 'malformed', kind: 'malformed', message: /not well-formed XML/ },
    { mode: 'bomb', kind: 'malformed', message: /DOCTYPE or ENTITY declaration; refused/ },
    { mode: 'not-onvif', kind: 'malformed', message: /HTTP 404 \(text\/html; charset=utf-8\), not SOAP/ },
  ];
  for (const { mode, kind, message } of cases) {
    it(`mode '${mode}' gives kind '${kind}' with a clear message`, async () => {
      sim = await startOnvifSimulator({ username: USER, password: PASSWORD, mode });
      const c = new OnvifClient({ address: sim.address, username: USER, password: PASSWORD, timeoutMs: 2000 });
      const { error, ms } = await failure(c.getDeviceInformation());
      expect(error.kind).toBe(kind);
      expect(error.code).toBe(ERROR_CODES.VALIDATION);
      expect(error.message).toMatch(message);
      expect(error.message).toContain(`127.0.0.1:${sim.port}`);
      expect(ms).toBeLessThan(2000);
      expectNoSecret(error);
    });
  }

  it("mode 'huge': stops reading past maxReplyBytes, long before the 50 MB reply is sent", async () => {
    sim = await startOnvifSimulator({ mode: 'huge' });
    const c = new OnvifClient({ address: sim.address, maxReplyBytes: 2 * 1024 * 1024 });
    const heapBefore = process.memoryUsage().heapUsed;
    const { error, ms } = await failure(c.getDeviceInformation());
    expect(error.kind).toBe('too-large');
    expect(error.code).toBe(ERROR_CODES.VALIDATION);
    expect(error.message).toMatch(/larger than 2 MiB; reading stopped/);
    expect(ms).toBeLessThan(5000);
    // Give the simulator a moment to notice the closed connection, then check it stopped early.
    await new Promise((r) => setTimeout(r, 200));
    const written = sim.hugeBytesWritten;
    expect(written).toBeGreaterThan(2 * 1024 * 1024);
    expect(written).toBeLessThan(12 * 1024 * 1024);
    await new Promise((r) => setTimeout(r, 200));
    expect(sim.hugeBytesWritten).toBe(written); // nothing more was written: the client is gone
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(40 * 1024 * 1024);
  });

  it('refuses a reply whose Content-Length is over the limit without reading it', async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/soap+xml', 'Content-Length': 10 * 1024 * 1024 });
      res.write('<'); // and then nothing: the client must not wait for the rest
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (server.address() as AddressInfo).port;
      const c = new OnvifClient({ address: `http://127.0.0.1:${port}/onvif/device_service`, maxReplyBytes: 1024 * 1024, timeoutMs: 3000 });
      const { error, ms } = await failure(c.getDeviceInformation());
      expect(error.kind).toBe('too-large');
      expect(ms).toBeLessThan(1500);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it("mode 'hang': gives up after the timeout with kind 'unreachable'", async () => {
    sim = await startOnvifSimulator({ username: USER, password: PASSWORD, mode: 'hang' });
    const c = new OnvifClient({ address: sim.address, username: USER, password: PASSWORD, timeoutMs: 400 });
    const { error, ms } = await failure(c.getDeviceInformation());
    expect(error.kind).toBe('unreachable');
    expect(error.code).toBe(ERROR_CODES.UNAVAILABLE);
    expect(error.message).toBe(`The camera at ${sim.address} did not answer within 0.4 s.`);
    expect(ms).toBeGreaterThanOrEqual(380);
    expect(ms).toBeLessThan(1500);
    expect(sim.calls.map((x) => x.action)).toEqual(['GetSystemDateAndTime']);
  });

  it('reports a closed port as unreachable, with the address redacted', async () => {
    // Take a free port and close it again.
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const c = new OnvifClient({ address: `http://${USER}:${PASSWORD}@127.0.0.1:${port}/onvif/device_service`, timeoutMs: 2000 });
    const { error } = await failure(c.getDeviceInformation());
    expect(error.kind).toBe('unreachable');
    expect(error.code).toBe(ERROR_CODES.UNAVAILABLE);
    expect(error.message).toMatch(/refused/);
    expect(error.message).toContain(`127.0.0.1:${port}`);
    expectNoSecret(error);
  });

  it('recovers when the device goes back to normal', async () => {
    sim = await startOnvifSimulator({ username: USER, password: PASSWORD, mode: 'malformed' });
    const c = new OnvifClient({ address: sim.address, username: USER, password: PASSWORD });
    expect((await failure(c.getProfiles())).error.kind).toBe('malformed');
    sim.setMode('normal');
    expect((await c.findStreams()).main.profileToken).toBe('Profile_1');
  });
});
