// Checks that the PostgreSQL and Redis servers the integration tests use answer, speaking just enough of
// each protocol to be sure (no credentials needed). Prints one line per service; exits 1 if any is down.
// Addresses: TEST_DATABASE_URL / TEST_REDIS_URL (as the tests read them), else 127.0.0.1:5432 / :6379.
import { connect } from 'node:net';

const TIMEOUT_MS = 3000;

function hostPort(url, fallbackPort) {
  try {
    const u = new URL(url);
    return { host: u.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1', port: Number(u.port) || fallbackPort };
  } catch {
    return { host: '127.0.0.1', port: fallbackPort };
  }
}

/** Connect, send `request`, resolve with the first bytes of the reply. */
function ask({ host, port }, request) {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${TIMEOUT_MS} ms`));
    }, TIMEOUT_MS);
    socket.once('connect', () => socket.write(request));
    socket.once('data', (data) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(data);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

const postgres = hostPort(process.env.TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432', 5432);
const redis = hostPort(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379', 6379);

// PostgreSQL SSLRequest: the server answers 'S' or 'N' before any authentication.
const sslRequest = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

const checks = [
  {
    name: 'PostgreSQL',
    at: postgres,
    run: async () => {
      const reply = await ask(postgres, sslRequest);
      if (reply[0] !== 0x53 && reply[0] !== 0x4e) throw new Error('something answered, but not PostgreSQL');
    },
    fix:
      'On Debian: apt-get install postgresql && service postgresql start (or: pg_ctlcluster 15 main start). ' +
      'The tests connect as in TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test).',
  },
  {
    name: 'Redis',
    at: redis,
    run: async () => {
      const reply = (await ask(redis, 'PING\r\n')).toString('latin1');
      if (!reply.startsWith('+') && !reply.startsWith('-')) throw new Error('something answered, but not Redis');
    },
    fix: 'On Debian: apt-get install redis-server && service redis-server start (or: redis-server --daemonize yes).',
  },
];

let failed = 0;
for (const check of checks) {
  const where = `${check.at.host}:${check.at.port}`;
  try {
    await check.run();
    console.log(`[argus test] ${check.name} answers on ${where}`);
  } catch (err) {
    failed += 1;
    console.error(`[argus test] error: ${check.name} is not answering on ${where} (${err.message}). ${check.fix}`);
  }
}
process.exit(failed ? 1 : 0);
