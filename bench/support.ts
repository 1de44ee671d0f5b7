// What the benchmarks share: the loader process, a fresh database, percentiles.
import { spawn } from 'node:child_process';
import path from 'node:path';
import postgres from 'postgres';

export const root = path.resolve(import.meta.dirname, '..');

export interface LoadResult {
  sent: number;
  ok: number;
  failed: number;
  elapsedS: number;
  /** Date.now() when the loader began sending. */
  startedAtMs?: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  sentAt?: Record<string, number>;
  latencies?: number[];
}

/** Runs bench/load.ts in its own process (so the server under test keeps its core) with this job. */
export function load(job: Record<string, unknown>): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/load.ts'], {
      cwd: root,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
    });
    child.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').pop()!))
        : reject(new Error(`loader exited ${code}`)),
    );
    child.stdin.end(JSON.stringify(job));
  });
}

export function requireServices(name: string): { databaseUrl: string; redisUrl: string } {
  const databaseUrl = process.env.TEST_DATABASE_URL;
  const redisUrl = process.env.TEST_REDIS_URL;
  if (!databaseUrl || !redisUrl) {
    console.error(
      `TEST_DATABASE_URL and TEST_REDIS_URL must be set: run \`npm run ${name}\`, which starts them`,
    );
    process.exit(1);
  }
  return { databaseUrl, redisUrl };
}

/** Drops and creates database `name` next to `baseUrl`'s; returns its URL. */
export async function freshDatabase(baseUrl: string, name: string): Promise<string> {
  const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
}

/** A heading in radians (any number of turns, either way) as LocoNav's orientation: whole degrees in [0, 360). */
export const headingDegrees = (radians: number) =>
  Math.round((((radians * 180) / Math.PI) % 360) + 360) % 360;
