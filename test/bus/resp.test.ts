import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RedisBus } from '../../src/bus/redis.ts';
import {
  encodeCommand,
  parseRedisUrl,
  parseReply,
  RespConnection,
  RespReplyError,
} from '../../src/bus/resp.ts';
import {
  connectTestBus,
  freePort,
  type OwnRedis,
  startOwnRedis,
  testRedisUrl,
  uniquePrefix,
} from '../support/redis.ts';
import { until } from '../support/wait.ts';

describe('RESP parsing', () => {
  it('parses every reply type, and says a reply is incomplete wherever its bytes are cut', () => {
    const wire = Buffer.from(
      '*7\r\n+OK\r\n:42\r\n$-1\r\n$6\r\nnaïve\r\n*2\r\n$1\r\na\r\n*0\r\n-ERR inner\r\n*-1\r\n',
    );
    const whole = parseReply(wire, 0);
    expect(whole).not.toBeTypeOf('symbol');
    const { value, end } = whole as { value: unknown[]; end: number };
    expect(end).toBe(wire.length);
    expect(value.slice(0, 5)).toEqual(['OK', 42, null, 'naïve', ['a', []]]);
    expect(value[5]).toBeInstanceOf(RespReplyError);
    expect((value[5] as Error).message).toBe('ERR inner');
    expect(value[6]).toBeNull();
    for (let cut = 0; cut < wire.length; cut++) {
      expect(typeof parseReply(wire.subarray(0, cut), 0), `cut at ${cut}`).toBe('symbol');
    }
  });

  it('encodes a command as an array of bulk strings, lengths in bytes', () => {
    expect(encodeCommand(['SET', 'k', 'é', 7])).toBe('*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\né\r\n$1\r\n7\r\n');
  });

  it('reads user, password and database from the url, and refuses what it cannot use', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6380')).toMatchObject({ port: 6380, db: 0, tls: false });
    expect(parseRedisUrl('rediss://app:p%40ss@cache.example:6390/3')).toEqual({
      host: 'cache.example',
      port: 6390,
      tls: true,
      username: 'app',
      password: 'p@ss',
      db: 3,
    });
    expect(parseRedisUrl('redis://:secret@[::1]').host).toBe('::1');
    expect(() => parseRedisUrl('http://127.0.0.1:6379')).toThrow(/redis:\/\/ or rediss:\/\//);
    expect(() => parseRedisUrl('redis://127.0.0.1:6379/zero')).toThrow(/a database number/);
    expect(() => parseRedisUrl('redis://127.0.0.1:6379?db=2')).toThrow(/no \?options/);
    expect(() => parseRedisUrl('not a url')).toThrow(/such as redis:\/\/127.0.0.1:6379/);
  });
});

describe('RespConnection on a real Redis', () => {
  let conn: RespConnection;
  const prefix = uniquePrefix();
  beforeAll(async () => {
    conn = await RespConnection.open(testRedisUrl());
  });
  afterAll(async () => {
    await conn?.close();
  });

  it('answers each kind of reply as Redis sends it', async () => {
    expect(await conn.command(['SET', `${prefix}k`, 'v'])).toBe('OK');
    expect(await conn.command(['GET', `${prefix}missing`])).toBeNull();
    expect(await conn.command(['INCRBY', `${prefix}n`, 5])).toBe(5);
    const id = await conn.command(['XADD', `${prefix}s`, '*', 'a', '1', 'b', 'ünï']);
    expect(await conn.command(['XRANGE', `${prefix}s`, '-', '+'])).toEqual([[id, ['a', '1', 'b', 'ünï']]]);
  });

  it("rejects an error reply with Redis's own message, and goes on answering", async () => {
    await conn.command(['SET', `${prefix}str`, 'x']);
    const err = await conn.command(['LPUSH', `${prefix}str`, 'y']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RespReplyError);
    expect((err as Error).message).toMatch(/^WRONGTYPE/);
    expect(await conn.command(['GET', `${prefix}str`])).toBe('x');
  });

  it('answers many commands in flight at once, each with its own reply', async () => {
    const replies = await Promise.all(
      Array.from({ length: 2000 }, () => conn.command(['INCR', `${prefix}counter`])),
    );
    expect(replies).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
  });

  it('reassembles a reply that arrives in many pieces', async () => {
    const big = 'Lagos–Apapa '.repeat(300_000); // ~3.9 MB, multi-byte characters across chunk edges
    await conn.command(['SET', `${prefix}big`, big]);
    const [got, after] = await Promise.all([
      conn.command(['GET', `${prefix}big`]),
      conn.command(['STRLEN', `${prefix}big`]),
    ]);
    expect(got).toBe(big);
    expect(after).toBe(Buffer.byteLength(big));
  });

  it('says where it could not connect', async () => {
    const port = await freePort();
    await expect(RespConnection.open(`redis://127.0.0.1:${port}`)).rejects.toThrow(
      `Redis at 127.0.0.1:${port}: connect ECONNREFUSED`,
    );
  });
});

describe('RespConnection against a server of its own', () => {
  let own: OwnRedis | undefined;
  let conn: RespConnection | undefined;
  afterEach(async () => {
    await conn?.close();
    await own?.dispose();
    conn = undefined;
    own = undefined;
  });

  it('authenticates and selects the database the url names; a wrong password fails without showing it', async () => {
    own = await startOwnRedis({ password: 'p@ss word' });
    conn = await RespConnection.open(`${own.url}/2`);
    await conn.command(['SET', 'where', 'db2']);
    const check = new Redis(`${own.url}/2`);
    try {
      expect(await check.get('where')).toBe('db2');
    } finally {
      check.disconnect();
    }
    const wrong = own.url.replace(encodeURIComponent('p@ss word'), 'not-it');
    const err = (await RespConnection.open(wrong).then(
      () => new Error('connected with a wrong password'),
      (e: unknown) => e,
    )) as Error;
    expect(err.message).toMatch(/^Redis refused AUTH: WRONGPASS/);
    expect(err.message).not.toContain('not-it');
  });

  it('speaks TLS to a rediss:// url, trusting the authorities Node trusts and no other', async () => {
    own = await startOwnRedis({ tls: true });
    await expect(RespConnection.open(own.url)).rejects.toThrow(/certificate/);
    // The same bus in a process told to trust the server's authority, as NODE_EXTRA_CA_CERTS does in production.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'test/support/redis-probe.ts', own.url],
      { env: { ...process.env, NODE_EXTRA_CA_CERTS: own.caFile }, timeout: 30_000 },
    );
    expect(JSON.parse(stdout)).toEqual({ ids: [expect.any(String)], again: null, stored: [{ n: '1' }] });
  });

  it('fails at once while the server is down, and is back by itself when the server is', async () => {
    own = await startOwnRedis();
    conn = await RespConnection.open(own.url);
    expect(await conn.command(['PING'])).toBe('PONG');
    await own.stop();
    await until('the loss noticed', async () => !conn!.connected);
    const started = Date.now();
    await expect(conn.command(['PING'])).rejects.toThrow(/not ready/);
    expect(Date.now() - started).toBeLessThan(1_000);
    await own.start();
    await until('reconnected', async () => conn!.connected, 10_000);
    expect(await conn.command(['PING'])).toBe('PONG');
  });
});

describe("RedisBus's appendOnce over its own connection", () => {
  let bus: RedisBus;
  beforeAll(async () => {
    bus = await connectTestBus();
  });
  afterAll(async () => {
    await bus?.close();
  });

  it('runs its script again from the text when Redis has forgotten it (a restart, SCRIPT FLUSH)', async () => {
    expect(
      await bus.appendOnce({ key: 'k1', ttlMs: 60_000 }, [{ stream: 's', fields: { n: '1' } }]),
    ).toHaveLength(1);
    await bus.redis.script('FLUSH');
    expect(
      await bus.appendOnce({ key: 'k2', ttlMs: 60_000 }, [{ stream: 's', fields: { n: '2' } }]),
    ).toHaveLength(1);
    expect(
      await bus.appendOnce({ key: 'k2', ttlMs: 60_000 }, [{ stream: 's', fields: { n: '3' } }]),
    ).toBeNull();
    expect((await bus.range('s')).map((e) => e.fields.n)).toEqual(['1', '2']);
  });
});
