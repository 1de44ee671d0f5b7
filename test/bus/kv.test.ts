import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Kv, MemoryKv, RedisKv } from '../../src/bus/kv.ts';
import type { RedisBus } from '../../src/bus/redis.ts';
import { ShardLeases } from '../../src/bus/shard-leases.ts';
import { createLogger } from '../../src/log.ts';
import { connectTestBus } from '../support/redis.ts';

let redisBus: RedisBus;
beforeAll(async () => {
  redisBus = await connectTestBus();
});
afterAll(async () => {
  await redisBus.close();
});

const backends: [string, () => Kv][] = [
  ['Redis', () => new RedisKv(redisBus.redis, `${redisBus.prefix}${Math.random()}:`)],
  ['memory', () => new MemoryKv()],
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(backends)('kv contract on %s', (_name, make) => {
  it('sets a key only once while it lives, then again after it expires', async () => {
    const kv = make();
    expect(await kv.setIfAbsent('k', 'a', 100)).toBe(true);
    expect(await kv.setIfAbsent('k', 'b', 100)).toBe(false);
    expect(await kv.get('k')).toBe('a');
    await sleep(150);
    expect(await kv.setIfAbsent('k', 'b', 100)).toBe(true);
  });

  it('renews and releases a lease only for its owner', async () => {
    const kv = make();
    await kv.setIfAbsent('lease', 'me', 1000);
    expect(await kv.renewIfOwner('lease', 'you', 1000)).toBe(false);
    expect(await kv.releaseIfOwner('lease', 'you')).toBe(false);
    expect(await kv.renewIfOwner('lease', 'me', 1000)).toBe(true);
    expect(await kv.releaseIfOwner('lease', 'me')).toBe(true);
    expect(await kv.get('lease')).toBeNull();
  });

  it('counts within a window and reports the time left', async () => {
    const kv = make();
    expect(await kv.incrWindow('c', 1000)).toMatchObject({ count: 1 });
    const second = await kv.incrWindow('c', 1000);
    expect(second.count).toBe(2);
    expect(second.ttlMs).toBeGreaterThan(0);
    expect(second.ttlMs).toBeLessThanOrEqual(1000);
  });

  it('increments many counters in one call', async () => {
    const kv = make();
    await kv.set('gen:a', '4', 1000);
    await kv.incrMany(['gen:a', 'gen:b'], 1000);
    expect(await kv.mget(['gen:a', 'gen:b', 'gen:c'])).toEqual(['5', '1', null]);
  });

  it('lists keys by prefix and deletes them', async () => {
    const kv = make();
    await kv.set('replica:a', '1', 1000);
    await kv.set('replica:b', '1', 1000);
    await kv.set('other', '1', 1000);
    expect((await kv.keysWithPrefix('replica:')).sort()).toEqual(['replica:a', 'replica:b']);
    expect(await kv.del(['replica:a', 'missing'])).toBe(1);
  });
});

describe.each(backends)('shard leases on %s', (_name, make) => {
  const replica = (kv: Kv, id: string, owned: Set<number>) =>
    new ShardLeases({
      kv,
      replicaId: id,
      shards: 8,
      name: 'test',
      ttlMs: 1_000,
      logger: createLogger('silent'),
      onAcquire: async (s) => void owned.add(s),
      onRelease: async (s) => void owned.delete(s),
    });

  it('splits shards evenly between two replicas, each shard owned once, and hands over when one stops', async () => {
    const kv = make();
    const a = new Set<number>();
    const b = new Set<number>();
    const ra = replica(kv, 'a', a);
    const rb = replica(kv, 'b', b);
    await ra.start();
    expect(a.size).toBe(8);
    await rb.start();
    // Within a few lease periods, a gives up its extra shards and b takes them.
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && !(a.size === 4 && b.size === 4)) {
      await sleep(50);
    }
    expect([a.size, b.size]).toEqual([4, 4]);
    expect([...a].filter((s) => b.has(s))).toEqual([]);
    await ra.stop();
    const deadline2 = Date.now() + 10_000;
    while (Date.now() < deadline2 && b.size < 8) await sleep(50);
    expect(b.size).toBe(8);
    await rb.stop();
  }, 30_000);
});
