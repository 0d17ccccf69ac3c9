/**
 * Hostile input against a real Argus (issue 7, item 5): every API route and socket message fed
 * generated garbage (fast-check), bodies and uploads over their limits, path traversal on the routes
 * that serve files, random bytes as an image and as a video stream, XML bombs, external entities and
 * endless replies from an "ONVIF camera", login lockout and rate limiting, session expiry and logout.
 *
 * Each case proves its outcome: the status and the standard error body, that nothing was stored,
 * that no file outside its folder came back, that the server still answers and still pushes.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { sql } from 'kysely';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../../contracts/errors.ts';
import { hashToken } from '../../../command-ui/server/services/auth.service.ts';
import { childProcesses, rawGet, startGarbageStreamServer, startHostileHttpServer, streamHuge, type GarbageStreamServer } from '../../helpers/hostile-servers.ts';
import { startTestSystem, type TestSystem } from '../../helpers/system.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const MODELS = resolve(ROOT, '../shared/models');
const CODES = new Set<string>(Object.values(ERROR_CODES));

// ---------- what hostile input looks like ----------

const NASTY_STRINGS = [
  "'; DROP TABLE cameras; --",
  "' OR '1'='1",
  '1; SELECT pg_sleep(10); --',
  '<script>window.__pwned=1</script>',
  '<img src=x onerror="window.__pwned=1">',
  '{{7*7}}',
  '${7*7}',
  '../../../../etc/passwd',
  '..%2f..%2fetc%2fpasswd',
  'C:\\Windows\\win.ini',
  '\u0000',
  'a\u0000b',
  '\u202e\u200b\ufeff',
  '\ud800',
  'NaN',
  'Infinity',
  '-0',
  '1e309',
  '0x7fffffff',
  '__proto__',
  'constructor',
  'null',
  'undefined',
  'true',
  '[]',
  '{}',
  ' ',
  '',
  '😀'.repeat(300),
  '京A12345',
];

const hostileString = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 200, maxLength: 3000 }) },
  { weight: 1, arbitrary: fc.constantFrom('x'.repeat(70_000), '<'.repeat(20_000), "'".repeat(20_000)) },
);
const hostileNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(-1, 0, -0, 1e308, -1e308, 2 ** 53 + 2, -(2 ** 63), 4294967296, 0.5),
);
const hostileKey = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', '$where', '', 'toString', 'hasOwnProperty'), fc.string({ maxLength: 12 }));
const { value: hostileValue } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileString,
    hostileNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(hostileKey, tie('value'), { maxKeys: 4 }),
  ),
}));
/** Raw bodies that are not what JSON.stringify would make: deep nesting, prototype keys, broken JSON. */
const rawJsonBody = fc.oneof(
  fc.integer({ min: 100, max: 20_000 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
  fc.integer({ min: 100, max: 5_000 }).map((n) => '{"a":'.repeat(n) + '1' + '}'.repeat(n)),
  fc.constantFrom(
    '{"__proto__":{"admin":true},"name":"x"}',
    '{"constructor":{"prototype":{"polluted":true}}}',
    '{"name":"a","name":"b"}',
    '{"name":',
    'null',
    '"just a string"',
    '1e999999',
    '\u0000',
    '{"name":"\\ud800"}',
  ),
);

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  items?: JsonSchema;
}

/** A value for one schema property: mostly of its own type (so it gets past validation and into storage), sometimes anything. */
function valueFor(schema: JsonSchema | undefined): fc.Arbitrary<unknown> {
  const type = Array.isArray(schema?.type) ? schema!.type[0] : schema?.type;
  const typed =
    schema?.enum && schema.enum.length
      ? fc.constantFrom(...schema.enum)
      : type === 'string'
        ? hostileString
        : type === 'number' || type === 'integer'
          ? hostileNumber
          : type === 'boolean'
            ? fc.boolean()
            : type === 'array'
              ? fc.array(schema?.items ? valueFor(schema.items) : hostileValue, { maxLength: 5 })
              : hostileValue;
  return fc.oneof({ weight: 3, arbitrary: typed }, { weight: 1, arbitrary: hostileValue });
}

function bodyFor(schema: JsonSchema): fc.Arbitrary<{ raw: string }> {
  const props = schema.properties ?? {};
  const shaped = fc.record(
    Object.fromEntries(Object.entries(props).map(([k, s]) => [k, valueFor(s)])),
    { requiredKeys: [] },
  );
  const withExtra = fc.tuple(shaped, fc.dictionary(hostileKey, hostileValue, { maxKeys: 2 })).map(([a, b]) => ({ ...b, ...a }));
  return fc.oneof(
    { weight: 5, arbitrary: shaped.map((v) => ({ raw: JSON.stringify(v) })) },
    { weight: 1, arbitrary: withExtra.map((v) => ({ raw: JSON.stringify(v) })) },
    { weight: 1, arbitrary: hostileValue.map((v) => ({ raw: JSON.stringify(v) ?? 'null' })) },
    { weight: 1, arbitrary: rawJsonBody.map((raw) => ({ raw })) },
  );
}

const pathValue = fc.oneof(
  fc.uuid().map((u) => u),
  hostileString.map((s) => encodeURIComponent(s.slice(0, 3000).replace(/\p{Cs}/gu, '\ufffd'))),
  fc.constantFrom('..%2f..%2fetc%2fpasswd', '%2e%2e', '%00', '%252e%252e%252f', '-1', '0', 'NaN', '9'.repeat(400)),
);
const queryValue = fc.oneof(hostileString.map((s) => s.slice(0, 3000)), hostileNumber.map(String));

interface Operation {
  method: string;
  path: string;
  pathParams: string[];
  query: Record<string, JsonSchema>;
  body: JsonSchema | null;
}

function operationsOf(doc: { paths: Record<string, Record<string, any>> }): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const params = (op.parameters ?? []) as Array<{ in: string; name: string; schema: JsonSchema }>;
      ops.push({
        method: method.toUpperCase(),
        path,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        query: Object.fromEntries(params.filter((p) => p.in === 'query').map((p) => [p.name, p.schema])),
        body: op.requestBody?.content?.['application/json']?.schema ?? null,
      });
    }
  }
  return ops;
}

/** A reply from a hostile request is a clean refusal (4xx with the standard body) or a success; never a 500 or a hang. */
function expectCleanReply(what: string, status: number, text: string): void {
  const context = `${what} → ${status} ${text.slice(0, 300)}`;
  expect(status, context).toBeGreaterThanOrEqual(200);
  expect(status === 500 || (status > 503 && status < 600) || status === 502, context).toBe(false);
  if (status >= 400) {
    let body: any;
    expect(() => (body = JSON.parse(text)), context).not.toThrow();
    expect(CODES.has(body?.error?.code), context).toBe(true);
    expect(typeof body.error.message, context).toBe('string');
    expect(body.error.message.length, context).toBeGreaterThan(0);
    if (status === 503) expect(body.error.code, context).toBe(ERROR_CODES.UNAVAILABLE);
  }
}

async function healthy(sys: TestSystem): Promise<void> {
  const res = await sys.api('/api/health');
  expect(res.status).toBe(200);
  expect(res.body.status).toBe('ok');
}

type Client = Socket;
function openSocket(baseUrl: string, token: string | null): Client {
  return connect(baseUrl, { path: '/socket.io', transports: ['websocket'], auth: token ? { token } : {}, reconnection: false, forceNew: true });
}
function connected(socket: Client): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.connected) return resolve();
    socket.once('connect', () => resolve());
    socket.once('connect_error', (err) => reject(err));
  });
}
function nextEvent<T>(socket: Client, event: string, match: (payload: T) => boolean, timeoutMs = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, on);
      reject(new Error(`no matching ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    const on = (payload: T) => {
      if (!match(payload)) return;
      clearTimeout(timer);
      socket.off(event, on);
      resolve(payload);
    };
    socket.on(event, on);
  });
}

async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs: number, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Send a request head with the given Content-Length (or chunked) and then body bytes slowly, and
 * report when the reply came and how much of the body had been sent by then.
 */
function sendOversized(
  baseUrl: string,
  options: { path: string; token: string; contentType: string; declaredLength: number | null; totalBytes: number },
): Promise<{ status: number; body: string; sentBeforeReply: number }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolvePromise, reject) => {
    let sent = 0;
    let sentBeforeReply = -1;
    let replied = false;
    const chunks: Buffer[] = [];
    const socket = net.connect(Number(port), hostname, () => {
      const head = [
        `POST ${options.path} HTTP/1.1`,
        `Host: ${hostname}:${port}`,
        `Authorization: Bearer ${options.token}`,
        `Content-Type: ${options.contentType}`,
        options.declaredLength === null ? 'Transfer-Encoding: chunked' : `Content-Length: ${options.declaredLength}`,
        'Connection: close',
        '',
        '',
      ].join('\r\n');
      socket.write(head);
      const piece = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        if (replied || socket.destroyed || sent >= options.totalBytes) return;
        const data = options.declaredLength === null ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece;
        sent += piece.length;
        socket.write(data, () => setTimeout(pump, 5));
      };
      pump();
    });
    socket.setTimeout(30_000, () => socket.destroy(new Error('no reply within 30 s')));
    socket.on('data', (c) => {
      if (!replied) {
        replied = true;
        sentBeforeReply = sent;
      }
      chunks.push(c);
    });
    socket.on('error', (err) => {
      // The server may reset the connection after replying while we were still sending.
      if (replied) return;
      reject(err);
    });
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolvePromise({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4), sentBeforeReply });
    });
  });
}

// ---------- every route and every socket message, with generated garbage ----------

describe('generated hostile input on every API route and socket message', () => {
  let sys: TestSystem;
  let token: string;
  beforeAll(async () => {
    sys = await startTestSystem({ config: { auth: { loginRateLimitPerMinute: 10_000 } } });
    token = await sys.login(sys.admin.username, sys.admin.password);
  });
  afterAll(async () => sys?.stop());

  it('answers every route with a clean 4xx or a round-tripping 2xx, never a 500 or a hang, and stays healthy', async () => {
    const doc = (await sys.api('/api/openapi.json')).body;
    // Logging out would end the session the rest of the run uses; it is tested on its own below.
    const ops = operationsOf(doc).filter((o) => !(o.method === 'POST' && o.path === '/api/auth/logout'));
    expect(ops.length).toBeGreaterThan(60);
    expect(ops.filter((o) => o.body).length).toBeGreaterThan(25);
    const tried = new Set<string>();
    let succeeded = 0;
    for (const op of ops) {
      const request = fc.record({
        params: fc.tuple(...op.pathParams.map(() => pathValue)),
        query: fc.record(Object.fromEntries(Object.keys(op.query).map((k) => [k, queryValue])), { requiredKeys: [] }),
        extraQuery: fc.option(fc.tuple(hostileKey, queryValue), { nil: undefined }),
        body: op.body ? bodyFor(op.body) : fc.constant(null),
      });
      await fc.assert(
        fc.asyncProperty(request, async ({ params, query, extraQuery, body }) => {
          let i = 0;
          let url = op.path.replace(/\{[^}]+\}/g, () => String(params[i++]));
          const search = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
          if (extraQuery) search.append(extraQuery[0], extraQuery[1]);
          if (search.size) url += `?${search.toString()}`;
          const headers: Record<string, string> = { authorization: `Bearer ${token}` };
          if (body) headers['content-type'] = 'application/json';
          const what = `${op.method} ${url.slice(0, 200)} body ${body?.raw.slice(0, 200) ?? '-'}`;
          const res = await fetch(`${sys.baseUrl}${url}`, { method: op.method, headers, body: body?.raw, signal: AbortSignal.timeout(15_000) });
          const text = await res.text();
          expectCleanReply(what, res.status, text);
          tried.add(`${op.method} ${op.path}`);
          if (res.status < 300) succeeded++;
          // A success with a JSON body keeps the text it was sent, byte for byte (after trimming): nothing escaped or mangled.
          if (res.status < 300 && body && text && res.headers.get('content-type')?.includes('json')) {
            const sent = JSON.parse(body.raw) as unknown;
            const got = JSON.parse(text) as unknown;
            if (sent && typeof sent === 'object' && !Array.isArray(sent) && got && typeof got === 'object' && !Array.isArray(got)) {
              for (const [k, v] of Object.entries(sent)) {
                const back = (got as Record<string, unknown>)[k];
                if (typeof v === 'string' && typeof back === 'string' && k !== 'password') {
                  expect([v, v.trim()].includes(back) || back.toUpperCase() === v.trim().toUpperCase(), `${what}: field ${k} came back as ${back.slice(0, 100)}`).toBe(true);
                }
              }
            }
          }
        }),
        { numRuns: op.body ? 20 : 12, endOnFailure: true },
      );
    }
    expect(tried.size).toBe(ops.length);
    // Not everything was refused: generated input also got through validation into storage and back.
    expect(succeeded).toBeGreaterThan(100);
    await healthy(sys);
    // The admin's session survived: nothing in the garbage logged it out or changed its roles.
    expect((await sys.api('/api/auth/me', { token })).body.roles).toEqual(['admin']);
  }, 300_000);

  it('refuses U+0000 (which PostgreSQL cannot store) in any field with a 400 naming it, instead of a 500', async () => {
    const cases: Array<[string, string, unknown, string]> = [
      ['POST', '/api/auth/login', { username: 'chief\u0000', password: 'x' }, 'username'],
      ['POST', '/api/cameras', { name: 'gate\u0000', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1/a' }, 'name'],
      ['POST', '/api/watchlists', { name: 'list', kind: 'plate', level: 'red', description: { nested: ['ok', 'bad\u0000'] } }, 'description.nested.1'],
      ['GET', '/api/sightings?plate=%00', undefined, 'query.plate'],
    ];
    for (const [method, path, body, where] of cases) {
      const res = await sys.api(path, { method, token, body });
      expect(res.status, path).toBe(400);
      expect(res.body.error).toEqual({ code: 'E_VALIDATION', message: 'Text may not contain the NUL character (U+0000).', issues: [{ path: where, message: 'contains U+0000' }] });
    }
    await healthy(sys);
  });

  it('ignores or refuses garbage socket messages; the server stays up and other screens keep receiving pushes', async () => {
    const watcher = openSocket(sys.baseUrl, token);
    const victim = openSocket(sys.baseUrl, token);
    try {
      await connected(watcher);
      await connected(victim);
      const reserved = new Set(['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener']);
      const eventName = fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom('subscribe', 'unsubscribe') },
        { weight: 1, arbitrary: fc.string({ maxLength: 30 }).filter((s) => !reserved.has(s)) },
      );
      const payload = fc.oneof(
        hostileValue,
        fc.record({ room: hostileValue }),
        fc.record({ room: hostileString }),
        fc.uint8Array({ maxLength: 2048 }).map((a) => Buffer.from(a)),
      );
      let acked = 0;
      await fc.assert(
        fc.asyncProperty(eventName, fc.array(payload, { maxLength: 3 }), fc.boolean(), async (event, args, withAck) => {
          if (!victim.connected) {
            // A message over the socket's size limit is refused by closing it; a new one is opened.
            victim.connect();
            await connected(victim);
          }
          if (!withAck) {
            victim.emit(event, ...args);
            return;
          }
          const handled = event === 'subscribe' || event === 'unsubscribe';
          const reply = (await victim
            .timeout(handled ? 3000 : 300)
            .emitWithAck(event, ...args)
            .catch((err: Error) => ({ timeout: err.message }))) as any;
          if ('timeout' in reply) {
            // Only events the gateway does not handle go unanswered; the two it handles always answer.
            expect(handled && victim.connected, `${event} ${JSON.stringify(args).slice(0, 200)}`).toBe(false);
            return;
          }
          acked++;
          expect(typeof reply.ok, JSON.stringify(reply)).toBe('boolean');
          if (!reply.ok) {
            expect(CODES.has(reply.error.code)).toBe(true);
            expect(reply.error.message.length).toBeGreaterThan(0);
          }
        }),
        { numRuns: 120, endOnFailure: true },
      );
      expect(acked).toBeGreaterThan(10);
      // A socket message over the size limit: that socket is closed, the others are not.
      const big = openSocket(sys.baseUrl, token);
      await connected(big);
      const closed = new Promise<string>((r) => big.once('disconnect', (reason) => r(reason)));
      big.emit('subscribe', { room: 'x'.repeat(200 * 1024) });
      expect(await closed).toMatch(/transport (close|error)/);
      expect(watcher.connected).toBe(true);

      await healthy(sys);
      for (const socket of [watcher, victim]) {
        if (!socket.connected) socket.connect();
        await connected(socket);
      }
      const pushes = [watcher, victim].map((s) => nextEvent<{ name: string }>(s, 'camera.created', (c) => c.name === 'after the garbage'));
      const created = await sys.api('/api/cameras', { token, body: { name: 'after the garbage', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1:1/x' } });
      expect(created.status).toBe(201);
      await Promise.all(pushes);
      // A valid subscribe still works on the socket that sent the garbage.
      expect(await victim.timeout(3000).emitWithAck('subscribe', { room: 'role:admin' })).toEqual({ ok: true, data: { room: 'role:admin' } });
    } finally {
      watcher.disconnect();
      victim.disconnect();
    }
  }, 120_000);

  it('survives random bytes and broken HTTP on its port', async () => {
    const { port } = new URL(sys.baseUrl);
    const garbage = [randomBytes(4096), Buffer.from('GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n'), Buffer.from(`GET /${'a'.repeat(100_000)} HTTP/1.1\r\n\r\n`), Buffer.from('POST /api/auth/login HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nzzzzz\r\n')];
    for (const bytes of garbage) {
      const reply = await new Promise<string>((resolvePromise) => {
        const socket = net.connect(Number(port), '127.0.0.1', () => socket.end(bytes));
        const chunks: Buffer[] = [];
        socket.on('data', (c) => chunks.push(c));
        socket.on('error', () => undefined);
        socket.setTimeout(10_000, () => socket.destroy());
        socket.on('close', () => resolvePromise(Buffer.concat(chunks).toString('latin1')));
      });
      // Either closed or a 4xx with the standard error body; never a 5xx.
      if (reply) {
        expect(reply, bytes.subarray(0, 60).toString('latin1')).toMatch(/^HTTP\/1\.1 4\d\d/);
        expect(CODES.has(JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)).error.code)).toBe(true);
      }
    }
    await healthy(sys);
  });
});

// ---------- oversized bodies, uploads, images, traversal, ONVIF, login and sessions ----------

describe('limits, files, devices and sessions', () => {
  let sys: TestSystem;
  let token: string;
  let base: string;
  let webDir: string;
  const CANARY = `canary-${randomBytes(8).toString('hex')}`;
  beforeAll(async () => {
    // A web root of our own, with canary files next to it and next to the data folder.
    base = mkdtempSync(join(tmpdir(), 'argus-hostile-'));
    webDir = join(base, 'web');
    mkdirSync(join(webDir, 'assets'), { recursive: true });
    writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>index</title>');
    writeFileSync(join(webDir, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(join(base, 'canary.txt'), CANARY);
    const dataDir = join(base, 'data');
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'canary.txt'), CANARY);
    sys = await startTestSystem({
      dataDir,
      config: { modelsDir: MODELS, server: { host: '127.0.0.1', port: 0, webDir }, auth: { maxFailedLogins: 3, lockMinutes: 5, loginRateLimitPerMinute: 1000, sessionCheckSeconds: 0.5 } },
    });
    token = await sys.login(sys.admin.username, sys.admin.password);
  }, 120_000);
  afterAll(async () => {
    await sys?.stop();
    rmSync(base, { recursive: true, force: true });
  });

  const cameraCount = async () => (await sys.api('/api/cameras', { token })).body.items.length as number;

  it('refuses a JSON body over the limit with 413 as soon as its length is known, before reading it or running the handler', async () => {
    const before = await cameraCount();
    // Declared too large: the reply comes before (almost) any of the 50 MB is sent.
    const declared = await sendOversized(sys.baseUrl, { path: '/api/cameras', token, contentType: 'application/json', declaredLength: 50 * 1024 * 1024, totalBytes: 50 * 1024 * 1024 });
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.body).error).toEqual({ code: 'E_VALIDATION', message: 'The request body is too large.' });
    expect(declared.sentBeforeReply).toBeLessThan(4 * 1024 * 1024);
    // Chunked, no length given: reading stops just past the 1 MiB limit, while the client is still sending.
    const chunked = await sendOversized(sys.baseUrl, { path: '/api/cameras', token, contentType: 'application/json', declaredLength: null, totalBytes: 50 * 1024 * 1024 });
    expect(chunked.status).toBe(413);
    expect(chunked.sentBeforeReply).toBeLessThan(8 * 1024 * 1024);
    expect(await cameraCount()).toBe(before);
    await healthy(sys);
  });

  it('refuses enrolment and face-search uploads over 16 MiB with 413, before reading them', async () => {
    const list = (await sys.api('/api/watchlists', { token, body: { name: 'upload limits', kind: 'face', level: 'blue' } })).body.id;
    const entry = (await sys.api(`/api/watchlists/${list}/entries`, { token, body: { personName: 'nobody' } })).body.id;
    for (const path of [`/api/watchlists/${list}/entries/${entry}/photos`, '/api/sightings/face-search']) {
      const res = await sendOversized(sys.baseUrl, { path, token, contentType: 'image/jpeg', declaredLength: 17 * 1024 * 1024, totalBytes: 17 * 1024 * 1024 });
      expect(res.status, path).toBe(413);
      expect(res.sentBeforeReply, path).toBeLessThan(4 * 1024 * 1024);
    }
    expect((await sys.api(`/api/watchlists/${list}/entries`, { token })).body.items[0].photos).toEqual([]);
  });

  it('refuses random bytes sent as a JPEG or PNG for enrolment and face search, saying so, storing nothing', async () => {
    const list = (await sys.api('/api/watchlists', { token, body: { name: 'random photos', kind: 'face', level: 'blue' } })).body.id;
    const entry = (await sys.api(`/api/watchlists/${list}/entries`, { token, body: { personName: 'random' } })).body.id;
    // A real PNG header claiming 60000 x 60000 pixels (a decompression bomb) among the noise.
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(60_000, 0);
    ihdr.writeUInt32BE(60_000, 4);
    ihdr.writeUInt8(8, 8);
    ihdr.writeUInt8(2, 9);
    const pngBomb = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), ihdr, Buffer.alloc(4), randomBytes(1024)]);
    const samples: Array<[string, Buffer]> = [
      ['image/jpeg', randomBytes(64 * 1024)],
      ['image/png', randomBytes(2048)],
      ['image/jpeg', Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(8192)])],
      ['image/png', pngBomb],
    ];
    for (const [type, bytes] of samples) {
      for (const path of [`/api/watchlists/${list}/entries/${entry}/photos`, '/api/sightings/face-search']) {
        const started = Date.now();
        const res = await fetch(`${sys.baseUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': type }, body: new Uint8Array(bytes), signal: AbortSignal.timeout(20_000) });
        const body = (await res.json()) as any;
        expect(res.status, `${path} ${type}`).toBe(400);
        expect(body.error.code).toBe('E_VALIDATION');
        expect(body.error.message, `${path} ${type}`).toMatch(/not a readable image/);
        expect(Date.now() - started).toBeLessThan(10_000);
      }
    }
    // A content type that is not an image at all.
    const gif = await fetch(`${sys.baseUrl}/api/watchlists/${list}/entries/${entry}/photos`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'image/gif' }, body: randomBytes(100) });
    expect(gif.status).toBe(415);
    expect(((await gif.json()) as any).error.code).toBe('E_VALIDATION');
    expect((await sys.api(`/api/watchlists/${list}/entries`, { token })).body.items[0].photos).toEqual([]);
    await healthy(sys);
  }, 120_000);

  it('never serves a file outside its folder on the static, recording and evidence routes', async () => {
    const paths = [
      '/../canary.txt',
      '/../../canary.txt',
      '/%2e%2e/canary.txt',
      '/%2e%2e%2fcanary.txt',
      '/..%2fcanary.txt',
      '/..%2f..%2fdata%2fcanary.txt',
      '/%252e%252e%252fcanary.txt',
      '/assets/../../canary.txt',
      '/assets/..%2f..%2fcanary.txt',
      '/assets/%2e%2e/%2e%2e/canary.txt',
      '/..\\canary.txt',
      '/assets/..%5c..%5ccanary.txt',
      `/${base}/canary.txt`,
      `//${base.slice(1)}/canary.txt`,
      '/canary.txt%00.js',
      '/assets/app.js%00/../../canary.txt',
      '/%c0%ae%c0%ae/canary.txt',
      '/.%2e/data/canary.txt',
      '/api/recordings/..%2f..%2fcanary.txt/media',
      '/api/recordings/%2e%2e/media',
      '/api/cameras/..%2f..%2fcanary.txt/snapshot',
      '/api/cameras/%2e%2e/snapshot',
      '/api/sightings/..%2f..%2fcanary.txt/crop.jpg',
      '/api/alerts/../../canary.txt/frame.jpg',
      '/api/incidents/%2e%2e%2f%2e%2e/evidence/frame.jpg',
      '/socket.io/../canary.txt',
    ];
    const index = '<!doctype html><title>index</title>';
    for (const path of paths) {
      const res = await rawGet(sys.baseUrl, path, { authorization: `Bearer ${token}` });
      expect(res.body, path).not.toContain(CANARY);
      // Refused, or the application's own page (client-side routes fall back to it); never the file.
      expect([400, 403, 404].includes(res.status) || (res.status === 200 && res.body.includes(index)), `${path} → ${res.status} ${res.body.slice(0, 200)}`).toBe(true);
    }
    // The real files are still served, so the checks above are not passing on a server that serves nothing.
    expect((await rawGet(sys.baseUrl, '/assets/app.js')).body).toContain('console.log(1)');

    // Rows whose stored paths point outside their folders: nothing is served from them.
    const camera = (await sys.api('/api/cameras', { token, body: { name: 'traversal', sourceKind: 'rtsp', sourceUrl: 'rtsp://127.0.0.1:1/t' } })).body.id;
    const sighting = await sys.argus.services.sightings.record({ cameraId: camera, observedAt: new Date(), kind: 'plate', score: 0.9, plate: { text: '京A12345' } });
    const db = sys.argus.database.db;
    for (const rel of ['../canary.txt', '../../canary.txt', join(base, 'canary.txt'), `${camera}/../../../canary.txt`]) {
      await db.updateTable('sightings').set({ crop_path: rel, frame_path: rel }).where('id', '=', sighting.id).execute();
      for (const part of ['crop', 'frame']) {
        const res = await rawGet(sys.baseUrl, `/api/sightings/${sighting.id}/${part}.jpg`, { authorization: `Bearer ${token}` });
        expect(res.status, `${part} ${rel}`).toBe(404);
        expect(res.body).not.toContain(CANARY);
      }
    }
    await db.updateTable('sightings').set({ crop_path: null, frame_path: null }).where('id', '=', sighting.id).execute();
  });

  it('adds no ONVIF camera that answers with an XML bomb, an external entity or an endless reply: a quick clear 400, bounded memory, no file contents', async () => {
    const head = '<?xml version="1.0"?>';
    const envelope = (inner: string) =>
      `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema"><s:Body>${inner}</s:Body></s:Envelope>`;
    const dateReply = (year: string) =>
      `<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:UTCDateTime><tt:Date><tt:Year>${year}</tt:Year><tt:Month>1</tt:Month><tt:Day>1</tt:Day></tt:Date><tt:Time><tt:Hour>0</tt:Hour><tt:Minute>0</tt:Minute><tt:Second>0</tt:Second></tt:Time></tt:UTCDateTime></tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>`;
    const laughs = ['<!ENTITY lol "lol">', ...Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`)].join('');
    const replies: Record<string, (res: import('node:http').ServerResponse, state: { bytesWritten: number }) => void | Promise<void>> = {
      'billion laughs': (res) => {
        res.writeHead(200, { 'content-type': 'application/soap+xml' }).end(`${head}<!DOCTYPE lolz [${laughs}]>${envelope(dateReply('&lol9;'))}`);
      },
      'external entity (XXE)': (res) => {
        res.writeHead(200, { 'content-type': 'application/soap+xml' }).end(`${head}<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>${envelope(dateReply('&xxe;'))}`);
      },
      'parameter entity': (res) => {
        res.writeHead(200, { 'content-type': 'application/soap+xml' }).end(`${head}<!doctype foo [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>${envelope(dateReply('2026'))}`);
      },
      'undeclared entity reference': (res) => {
        res.writeHead(200, { 'content-type': 'application/soap+xml' }).end(`${head}${envelope(dateReply('&xxe;'))}`);
      },
      'endless reply': (res, state) => streamHuge(res, state, 50 * 1024 * 1024, `${head}<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>`),
      'deep nesting': (res) => {
        res.writeHead(200, { 'content-type': 'application/soap+xml' }).end(`${head}${envelope('<a>'.repeat(50_000) + '</a>'.repeat(50_000))}`);
      },
    };
    const before = await cameraCount();
    for (const [name, respond] of Object.entries(replies)) {
      const device = await startHostileHttpServer(respond);
      try {
        const rss = process.memoryUsage().rss;
        const started = Date.now();
        const res = await sys.api('/api/cameras', { token, body: { name: `ONVIF ${name}`, sourceKind: 'onvif', sourceUrl: device.url, username: 'admin', password: 'pw' } });
        const took = Date.now() - started;
        expect(res.status, `${name}: ${JSON.stringify(res.body)}`).toBe(400);
        expect(res.body.error.code).toBe('E_VALIDATION');
        expect(res.body.error.message, name).toMatch(/DOCTYPE or ENTITY declaration; refused|larger than 2 MiB|not well-formed|nesting deeper|Maximum nested tags exceeded|lacks SystemDateAndTime/);
        expect(JSON.stringify(res.body), name).not.toMatch(/root:x:0:0|lollol/);
        expect(took, name).toBeLessThan(10_000);
        expect(process.memoryUsage().rss - rss, name).toBeLessThan(200 * 1024 * 1024);
        if (name === 'endless reply') expect(device.bytesWritten).toBeLessThan(20 * 1024 * 1024);
      } finally {
        await device.stop();
      }
    }
    expect(await cameraCount()).toBe(before);
    await healthy(sys);
  }, 120_000);

  it('locks one account after repeated wrong passwords, refuses even the right one with the seconds to wait, and leaves other accounts alone', async () => {
    await sys.createUser({ username: 'locked.li', password: 'locked-password-1', roles: ['analyst'] });
    await sys.createUser({ username: 'other.wu', password: 'other-password-1', roles: ['analyst'] });
    for (let i = 0; i < 3; i++) expect((await sys.api('/api/auth/login', { body: { username: 'locked.li', password: `wrong-${i}` } })).status).toBe(401);
    const res = await fetch(`${sys.baseUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'locked.li', password: 'locked-password-1' }) });
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(4 * 60);
    expect(retryAfter).toBeLessThanOrEqual(5 * 60);
    const body = (await res.json()) as any;
    expect(body.error.code).toBe('E_RATE_LIMITED');
    expect(body.error.message).toMatch(/locked after 3 failed logins.*Try again in 5 minute/);
    expect(body).not.toHaveProperty('token');
    // Per user: another account from the same address logs in.
    expect((await sys.api('/api/auth/login', { body: { username: 'other.wu', password: 'other-password-1' } })).status).toBe(200);
  });

  it('expires a session: HTTP answers 401, a new socket is refused and the open socket is closed', async () => {
    await sys.createUser({ username: 'expiring', password: 'expiring-password-1', roles: ['checkpoint'] });
    const userToken = await sys.login('expiring', 'expiring-password-1');
    const socket = openSocket(sys.baseUrl, userToken);
    try {
      await connected(socket);
      const closed = new Promise<string>((r) => socket.once('disconnect', (reason) => r(reason)));
      expect((await sys.api('/api/auth/me', { token: userToken })).status).toBe(200);
      // The session's end passes (as it would after sessionTtlMinutes without use).
      await sys.argus.database.db
        .updateTable('sessions')
        .set({ expires_at: sql<Date>`now() - interval '1 second'` as any })
        .where('token_hash', '=', hashToken(userToken))
        .execute();
      const me = await sys.api('/api/auth/me', { token: userToken });
      expect(me.status).toBe(401);
      expect(me.body.error).toEqual({ code: 'E_UNAUTHENTICATED', message: 'Not logged in, or the session has expired. Log in again.' });
      const again = openSocket(sys.baseUrl, userToken);
      await expect(connected(again)).rejects.toThrow('E_UNAUTHENTICATED');
      again.disconnect();
      // The open socket is closed within the session check interval (0.5 s here).
      const expiredAt = Date.now();
      expect(await closed).toBe('io server disconnect');
      expect(Date.now() - expiredAt).toBeLessThan(5000);
      // Expired stays expired: using it does not renew it.
      expect((await sys.api('/api/auth/me', { token: userToken })).status).toBe(401);
    } finally {
      socket.disconnect();
    }
  }, 30_000);

  it('closes the open sockets of a user an administrator disables', async () => {
    await sys.createUser({ username: 'disabled.soon', password: 'disabled-password-1', roles: ['checkpoint'] });
    const userToken = await sys.login('disabled.soon', 'disabled-password-1');
    const socket = openSocket(sys.baseUrl, userToken);
    try {
      await connected(socket);
      const closed = new Promise<string>((r) => socket.once('disconnect', (reason) => r(reason)));
      const users = (await sys.api('/api/users', { token })).body.items as Array<{ id: string; username: string }>;
      const id = users.find((u) => u.username === 'disabled.soon')!.id;
      expect((await sys.api(`/api/users/${id}`, { token, method: 'PATCH', body: { disabled: true } })).status).toBe(200);
      expect(await closed).toBe('io server disconnect');
      expect((await sys.api('/api/auth/me', { token: userToken })).status).toBe(401);
    } finally {
      socket.disconnect();
    }
  }, 30_000);

  it('logout ends exactly that session at once: bearer, cookie and every socket of it; other sessions of the user stay', async () => {
    await sys.createUser({ username: 'leaving', password: 'leaving-password-1', roles: ['checkpoint'] });
    const login = await fetch(`${sys.baseUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'leaving', password: 'leaving-password-1' }) });
    const { token: userToken } = (await login.json()) as { token: string };
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const otherToken = await sys.login('leaving', 'leaving-password-1');
    const sockets = [openSocket(sys.baseUrl, userToken), openSocket(sys.baseUrl, userToken), openSocket(sys.baseUrl, otherToken)];
    try {
      await Promise.all(sockets.map(connected));
      const closed = sockets.slice(0, 2).map((s) => new Promise<string>((r) => s.once('disconnect', (reason) => r(reason))));
      expect((await fetch(`${sys.baseUrl}/api/auth/me`, { headers: { cookie } })).status).toBe(200);
      const out = await fetch(`${sys.baseUrl}/api/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${userToken}` } });
      expect(out.status).toBe(204);
      expect(out.headers.get('set-cookie')).toMatch(/Max-Age=0/);
      expect(await Promise.all(closed)).toEqual(['io server disconnect', 'io server disconnect']);
      expect((await sys.api('/api/auth/me', { token: userToken })).status).toBe(401);
      expect((await fetch(`${sys.baseUrl}/api/auth/me`, { headers: { cookie } })).status).toBe(401);
      expect((await sys.api('/api/auth/logout', { token: userToken, method: 'POST' })).status).toBe(401);
      // The user's other session is untouched.
      expect(sockets[2]!.connected).toBe(true);
      expect((await sys.api('/api/auth/me', { token: otherToken })).status).toBe(200);
    } finally {
      for (const s of sockets) s.disconnect();
    }
  });
});

// ---------- random bytes as a video stream, login rate limit per address ----------

describe('garbage video streams and the login rate limit', () => {
  let sys: TestSystem;
  let token: string;
  const servers: GarbageStreamServer[] = [];
  beforeAll(async () => {
    sys = await startTestSystem({
      config: {
        roles: ['api', 'worker', 'ingest'],
        relay: { enabled: false },
        server: { host: '127.0.0.1', port: 0, trustProxy: true },
        auth: { loginRateLimitPerMinute: 8 },
        // A camera session needs an output: recording (the relay is off here).
        ingest: { roundSeconds: 1, leaseSeconds: 5, backoffSeconds: [0.5, 1, 2], recording: { enabled: true, segmentSeconds: 10 } },
      },
    });
    token = await sys.login(sys.admin.username, sys.admin.password);
  }, 120_000);
  afterAll(async () => {
    await sys?.stop();
    for (const s of servers) await s.stop();
  });

  it('puts a camera whose stream is random bytes, or half an RTSP reply then noise, offline with a reason; ffmpeg does not pile up', async () => {
    const before = childProcesses('ffmpeg').length;
    const ids: string[] = [];
    for (const mode of ['random', 'half-rtsp'] as const) {
      const server = await startGarbageStreamServer(mode);
      servers.push(server);
      const created = await sys.api('/api/cameras', { token, body: { name: `garbage ${mode}`, sourceKind: 'rtsp', sourceUrl: `rtsp://127.0.0.1:${server.port}/live` } });
      expect(created.status).toBe(201);
      ids.push(created.body.id);
    }
    let most = 0;
    for (const [i, id] of ids.entries()) {
      const cam = await waitFor(
        `camera ${i} offline`,
        async () => {
          most = Math.max(most, childProcesses('ffmpeg').length - before);
          const c = (await sys.api(`/api/cameras/${id}`, { token })).body;
          return c.status === 'offline' && c.statusReason && c;
        },
        30_000,
      );
      expect(cam.statusReason.length).toBeGreaterThan(3);
      expect([...(cam.statusReason as string)].some((c) => c.charCodeAt(0) < 9), cam.statusReason).toBe(false);
    }
    // They keep retrying with backoff: at most one ffmpeg per camera at any time.
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      most = Math.max(most, childProcesses('ffmpeg').length - before);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(most).toBeLessThanOrEqual(ids.length);
    expect(servers.every((s) => s.connections >= 1)).toBe(true);
    for (const id of ids) expect((await sys.api(`/api/cameras/${id}`, { token, method: 'DELETE' })).status).toBe(204);
    await waitFor('no ffmpeg left', () => childProcesses('ffmpeg').length <= before, 15_000);
    await healthy(sys);
  }, 90_000);

  it('limits login attempts per client address, and only for that address', async () => {
    const attempt = (ip: string) =>
      fetch(`${sys.baseUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': ip }, body: JSON.stringify({ username: `nobody-${ip}`, password: 'whatever-pass' }) });
    const statuses: number[] = [];
    let limited: Response | null = null;
    for (let i = 0; i < 10; i++) {
      const res = await attempt('10.9.8.7');
      statuses.push(res.status);
      if (res.status === 429) limited ??= res;
    }
    expect(statuses.slice(0, 8)).toEqual(Array(8).fill(401));
    expect(statuses.slice(8)).toEqual([429, 429]);
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await limited!.json()) as any).error).toEqual({ code: 'E_RATE_LIMITED', message: 'Too many requests; wait a moment and try again.' });
    // Even the right password from that address waits; another address is not limited.
    const right = await fetch(`${sys.baseUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': '10.9.8.7' }, body: JSON.stringify(sys.admin) });
    expect(right.status).toBe(429);
    expect((await attempt('10.9.8.8')).status).toBe(401);
  });
});

