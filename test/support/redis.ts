import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RedisBus } from '../../src/bus/redis.ts';

export function testRedisUrl(): string {
  const url = process.env.TEST_REDIS_URL;
  if (!url) throw new Error('TEST_REDIS_URL is not set: run the suite with `npm test`, which starts Redis');
  return url;
}

/** A stream prefix of its own, so test files share one Redis without seeing each other's streams. */
export const uniquePrefix = () => `wt-test-${randomBytes(5).toString('hex')}:`;

export async function connectTestBus(url = testRedisUrl()): Promise<RedisBus> {
  return RedisBus.connect({ url, prefix: uniquePrefix() });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface OwnRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** With `tls`: the certificate authority that signed the server's certificate (for localhost). */
  caFile?: string;
  /** Stops the server and removes its directory. */
  dispose(): Promise<void>;
}

/**
 * A redis-server of the test's own, for tests that stop and restart it. `persistent` keeps an append-only
 * file synced on every write, as production does, so a killed server comes back with what it acknowledged;
 * `password` makes it require one (and its url carries it); `tls` makes it speak only TLS, with a
 * certificate for localhost signed by an authority of its own (a rediss:// url).
 */
export async function startOwnRedis(
  opts: { persistent?: boolean; password?: string; tls?: boolean } = {},
): Promise<OwnRedis> {
  const port = await freePort();
  const dir = await mkdtemp(path.join(tmpdir(), 'wt-redis-'));
  const persistence = opts.persistent
    ? ['--appendonly', 'yes', '--appendfsync', 'always']
    : ['--appendonly', 'no'];
  const auth = opts.password ? ['--requirepass', opts.password] : [];
  const caFile = opts.tls ? makeCertificates(dir) : undefined;
  const listen = opts.tls
    ? ['--port', '0', '--tls-port', String(port), '--tls-auth-clients', 'no']
    : ['--port', String(port)];
  const tlsFiles = opts.tls
    ? [
        ...['--tls-cert-file', path.join(dir, 'server.crt'), '--tls-key-file', path.join(dir, 'server.key')],
        ...['--tls-ca-cert-file', caFile!],
      ]
    : [];
  let child: ChildProcess | undefined;
  const start = async () => {
    if (child && child.exitCode === null && child.signalCode === null) return; // already running
    child = spawn(
      'redis-server',
      [...listen, '--bind', '127.0.0.1', '--save', '', ...persistence, ...auth, ...tlsFiles, '--dir', dir],
      {
        stdio: 'ignore',
      },
    );
    for (let i = 0; i < 100; i++) {
      if (await canConnect(port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis-server did not start on port ${port}`);
  };
  const stop = async () => {
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    url: `${opts.tls ? 'rediss' : 'redis'}://${opts.password ? `:${encodeURIComponent(opts.password)}@` : ''}${opts.tls ? 'localhost' : '127.0.0.1'}:${port}`,
    port,
    caFile,
    start,
    stop,
    dispose: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A certificate authority and a server certificate for localhost it signed, in `dir`; the authority's file. */
function makeCertificates(dir: string): string {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  const newKey = ['-newkey', 'rsa:2048', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...newKey,
    '-days',
    '2',
    '-subj',
    '/CN=watchtower-test-ca',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
  );
  openssl('req', ...newKey, '-subj', '/CN=localhost', '-keyout', 'server.key', '-out', 'server.csr');
  writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl(
    ...['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial'],
    ...['-days', '2', '-extfile', 'server.ext', '-out', 'server.crt'],
  );
  return path.join(dir, 'ca.crt');
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}
