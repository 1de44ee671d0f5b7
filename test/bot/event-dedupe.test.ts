import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeenEvents } from '../../src/bot/event-dedupe.ts';
import { createKv } from '../../src/bus/index.ts';
import type { RedisBus } from '../../src/bus/redis.ts';
import { connectTestBus } from '../support/redis.ts';

describe('SeenEvents', () => {
  it('says an id is new once, and a redelivery is not', async () => {
    const seen = new SeenEvents();
    expect(await seen.firstTime('Ev1')).toBe(true);
    expect(await seen.firstTime('Ev1')).toBe(false);
    expect(await seen.firstTime('Ev2')).toBe(true);
  });

  it('forgets the oldest id past its capacity, keeping memory bounded', async () => {
    const seen = new SeenEvents(2);
    await seen.firstTime('Ev1');
    await seen.firstTime('Ev2');
    await seen.firstTime('Ev3');
    expect(await seen.firstTime('Ev3')).toBe(false);
    expect(await seen.firstTime('Ev2')).toBe(false);
    expect(await seen.firstTime('Ev1')).toBe(true);
  });

  describe('across replicas, through Redis', () => {
    let bus: RedisBus;
    beforeAll(async () => {
      bus = await connectTestBus();
    });
    afterAll(async () => {
      await bus.close();
    });

    it('answers a retry that lands on the other replica as already seen', async () => {
      const kv = createKv(bus);
      const a = new SeenEvents(1_000, kv);
      const b = new SeenEvents(1_000, kv);
      expect(await a.firstTime('Ev9')).toBe(true);
      expect(await b.firstTime('Ev9')).toBe(false);
      expect(await b.firstTime('Ev10')).toBe(true);
    });
  });
});
