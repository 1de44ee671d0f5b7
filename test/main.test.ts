import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from './support/db.ts';
import { testRedisUrl } from './support/redis.ts';

const root = path.resolve(import.meta.dirname, '..');

interface Running {
  child: ChildProcess;
  url: Promise<string>;
  lines: string[];
  exit: Promise<number | null>;
}

/** Starts `src/main.ts` as `npm start` would, with exactly the given environment. */
function startMain(env: Record<string, string>): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const url = new Promise<string>((resolve, reject) => {
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl = buffer.indexOf('\n');
      while (nl >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        lines.push(line);
        try {
          const entry = JSON.parse(line);
          if (entry.msg === 'Watch Tower is up') resolve(entry.url);
        } catch {}
        nl = buffer.indexOf('\n');
      }
    });
    child.once('exit', () => reject(new Error(`exited before start: ${lines.join('\n')}`)));
  });
  url.catch(() => {});
  child.stderr!.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, url, lines, exit };
}

describe('the process (src/main.ts)', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('refuses to start with ONE message naming every bad setting', async () => {
    const run = startMain({ PORT: 'x', REDIS_URL: 'http://nope' });
    expect(await run.exit).toBe(1);
    const text = run.lines.join('');
    expect(text).toContain('PORT: expected a whole number');
    expect(text).toContain('REDIS_URL: expected a redis: or rediss: URL');
    expect(text.trim().split('\n')).toHaveLength(1);
  });

  it('starts on real PostgreSQL and Redis, then exits 0 on SIGTERM within 10 s', async () => {
    const run = startMain({ DATABASE_URL: db.url, REDIS_URL: testRedisUrl(), PORT: '0', LOG_LEVEL: 'info' });
    const url = await run.url;
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    const started = Date.now();
    run.child.kill('SIGTERM');
    expect(await run.exit).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(run.lines.join('\n')).toContain('stopped cleanly');
  });

  it('starts with no environment on the embedded database and bus, ready within 30 s', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'wt-embedded-'));
    const started = Date.now();
    const run = startMain({ WATCHTOWER_DATA_DIR: dataDir, PORT: '0' });
    try {
      const url = await run.url;
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ database: { embedded: true }, bus: { kind: 'memory' } });
      expect(Date.now() - started).toBeLessThan(30_000);
      const log = run.lines.join('\n');
      expect(log).toContain('database: embedded PGlite + PostGIS');
      expect(log).toContain('set SLACK_BOT_TOKEN and SLACK_APP_TOKEN');
      expect(log).toContain('set OPENAI_API_KEY');
      // The Lagos demo fleet is loaded and driven through the real webhook into the embedded database.
      expect(log).toContain('demo: loaded the Lagos demo fleet');
      let stored = 0;
      const deadline = Date.now() + 30_000;
      while (stored === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 500));
        const metrics = await (await fetch(`${url}/metrics`)).text();
        stored = Number(/watchtower_positions_total\{outcome="stored"\} (\d+)/.exec(metrics)?.[1] ?? 0);
      }
      expect(stored).toBeGreaterThan(0);
      run.child.kill('SIGTERM');
      expect(await run.exit).toBe(0);
    } finally {
      run.child.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
