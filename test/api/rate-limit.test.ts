import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SharedWindowCounter } from '../../src/api/rate-limit.ts';
import { RedisKv } from '../../src/bus/kv.ts';
import type { RedisBus } from '../../src/bus/redis.ts';
import { connectTestBus } from '../support/redis.ts';

describe('the shared rate-limit counter', () => {
  let bus: RedisBus;
  beforeAll(async () => {
    bus = await connectTestBus();
  });
  afterAll(async () => {
    await bus.close();
  });

  it('adds up one client’s requests across two replicas through Redis', async () => {
    const kv = new RedisKv(bus.redis, bus.prefix);
    const a = new SharedWindowCounter(kv, 10_000);
    const b = new SharedWindowCounter(kv, 10_000);
    const now = Date.now();
    for (let i = 0; i < 3; i++) a.hit('api:dashboard', now);
    expect(a.hit('api:dashboard', now).count).toBe(4);
    await a.sync();
    // b has seen one request of its own; after syncing it knows a's four as well.
    expect(b.hit('api:dashboard', now).count).toBe(1);
    await b.sync();
    expect(b.hit('api:dashboard', now).count).toBe(6);
    // Another client is counted apart.
    expect(b.hit('api:other', now).count).toBe(1);
    a.stop();
    b.stop();
  });

  it('starts a new count when the minute turns', () => {
    const kv = new RedisKv(bus.redis, bus.prefix);
    const c = new SharedWindowCounter(kv, 10_000);
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    c.hit('api:x', minute + 59_000);
    expect(c.hit('api:x', minute + 59_500)).toEqual({ count: 2, resetMs: 500 });
    expect(c.hit('api:x', minute + 60_000).count).toBe(1);
    c.stop();
  });
});
