import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './redis.ts';

const run = promisify(execFile);

const PG_BIN = `/usr/lib/postgresql/${process.env.PG_VERSION ?? '15'}/bin`;
const isRoot = process.getuid?.() === 0;

export interface OwnPostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  port: number;
  /** Stops the server; `immediate` is a crash (no checkpoint, clients cut off at once). */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops the server and removes its directory. */
  dispose(): Promise<void>;
}

/** PostgreSQL refuses to run as root: as root, its binaries run as the `postgres` user (as services.sh does). */
function pg(binary: string, args: string[]) {
  const file = path.join(PG_BIN, binary);
  return isRoot ? run('runuser', ['-u', 'postgres', '--', file, ...args]) : run(file, args);
}

/**
 * A throwaway PostgreSQL+PostGIS cluster of the test's own (initdb in a temp dir, pg_ctl on a free loopback
 * port), for tests that stop and restart the database.
 */
export async function startOwnPostgres(): Promise<OwnPostgres> {
  const port = await freePort();
  const dir = await mkdtemp(path.join(tmpdir(), 'wt-pg-'));
  await chmod(dir, 0o755);
  const home = path.join(dir, 'pg');
  await mkdir(home);
  if (isRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(home, Number(stdout.trim()), Number(gid.trim()));
  }
  const data = path.join(home, 'data');
  await pg('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
  const options = [
    `-p ${port}`,
    `-k ${home}`,
    '-c listen_addresses=127.0.0.1',
    '-c fsync=off',
    // A commit is acknowledged only once its WAL is written: with synchronous_commit=off an immediate stop
    // loses the last commits the app was told succeeded, which is the loss a fault test must not excuse.
    // (fsync=off is safe here: the OS keeps what was written when only PostgreSQL dies.)
    '-c synchronous_commit=on',
    '-c full_page_writes=off',
    '-c max_connections=100',
  ].join(' ');
  const start = async () => {
    await pg('pg_ctl', ['-D', data, '-l', path.join(home, 'log'), '-w', '-t', '30', 'start', '-o', options]);
  };
  const stop = async (mode: 'fast' | 'immediate' = 'fast') => {
    await pg('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']).catch(() => undefined);
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start,
    stop,
    dispose: async () => {
      await stop('immediate');
      await rm(dir, { recursive: true, force: true });
    },
  };
}
