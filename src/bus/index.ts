import type { Logger } from '../log.ts';
import { redactUrl } from '../log.ts';
import { type Kv, MemoryKv, RedisKv } from './kv.ts';
import { MemoryBus } from './memory.ts';
import { RedisBus } from './redis.ts';
import type { Bus } from './types.ts';

export type { Bus, Fields, StreamEntry } from './types.ts';

export async function createBus(opts: {
  redisUrl: string | undefined;
  logger: Logger;
  prefix?: string;
}): Promise<Bus> {
  if (opts.redisUrl) {
    const bus = await RedisBus.connect({ url: opts.redisUrl, prefix: opts.prefix });
    opts.logger.info({ redis: redactUrl(opts.redisUrl) }, 'streams: Redis');
    return bus;
  }
  opts.logger.info('streams: in-process bus (REDIS_URL unset; streams do not survive a restart)');
  return new MemoryBus();
}

/** Leases, replay guards, cache and counters live beside the streams: Redis, or this process. */
export function createKv(bus: Bus, prefix?: string): Kv {
  return bus instanceof RedisBus ? new RedisKv(bus.redis, prefix ?? bus.prefix) : new MemoryKv();
}
