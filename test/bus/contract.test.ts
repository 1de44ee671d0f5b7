import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StreamConsumer, sleep } from '../../src/bus/consumer.ts';
import { MemoryBus } from '../../src/bus/memory.ts';
import type { Bus, StreamEntry } from '../../src/bus/types.ts';
import { createLogger } from '../../src/log.ts';
import { connectTestBus } from '../support/redis.ts';
import { until } from '../support/wait.ts';

// One contract, two implementations: whatever runs on Redis in production runs the same embedded.
const backends: [string, () => Promise<Bus>][] = [
  ['Redis Streams', () => connectTestBus()],
  ['the in-process bus', async () => new MemoryBus()],
];

const logger = createLogger('silent');

describe.each(backends)('bus contract on %s', (_name, make) => {
  let bus: Bus;
  beforeEach(async () => {
    bus = await make();
  });
  afterEach(async () => {
    await bus.close();
  });

  it('delivers appended entries in order to a group, once each', async () => {
    await bus.ensureGroup('s', 'g');
    const ids = await bus.appendMany('s', [{ n: '1' }, { n: '2' }, { n: '3' }]);
    expect(ids).toHaveLength(3);
    const first = await bus.read('s', 'g', 'c1', { count: 2, blockMs: 0 });
    const second = await bus.read('s', 'g', 'c2', { count: 10, blockMs: 0 });
    expect(first.map((e) => e.fields.n)).toEqual(['1', '2']);
    expect(second.map((e) => e.fields.n)).toEqual(['3']);
    expect(first.every((e) => e.deliveries === 1)).toBe(true);
    expect(await bus.read('s', 'g', 'c1', { count: 10, blockMs: 0 })).toEqual([]);
  });

  it('gives each group its own copy of the stream', async () => {
    await bus.ensureGroup('s', 'a');
    await bus.ensureGroup('s', 'b');
    await bus.append('s', { x: 'y' });
    expect(await bus.read('s', 'a', 'c', { count: 10, blockMs: 0 })).toHaveLength(1);
    expect(await bus.read('s', 'b', 'c', { count: 10, blockMs: 0 })).toHaveLength(1);
  });

  it('appendOnce claims a key with its entries: a second call with the key appends nothing', async () => {
    const claim = { key: 'once:a', ttlMs: 60_000 };
    const ids = await bus.appendOnce(claim, [
      { stream: 's1', fields: { n: '1' } },
      { stream: 's2', fields: { n: '2' } },
    ]);
    expect(ids).toHaveLength(2);
    expect(await bus.appendOnce(claim, [{ stream: 's1', fields: { n: 'again' } }])).toBeNull();
    expect((await bus.range('s1')).map((e) => e.fields.n)).toEqual(['1']);
    expect((await bus.range('s2')).map((e) => [e.id, e.fields.n])).toEqual([[ids![1], '2']]);
    // Without a claim it only appends, as often as asked.
    await bus.appendOnce(undefined, [{ stream: 's1', fields: { n: '3' } }]);
    await bus.appendOnce(undefined, [{ stream: 's1', fields: { n: '4' } }]);
    expect((await bus.range('s1')).map((e) => e.fields.n)).toEqual(['1', '3', '4']);
  });

  it('appendOnce gives each of many simultaneous calls its own answer, in order', async () => {
    const calls = Array.from({ length: 300 }, (_, i) =>
      bus.appendOnce({ key: `once:${i % 200}`, ttlMs: 60_000 }, [{ stream: 's', fields: { n: String(i) } }]),
    );
    const results = await Promise.all(calls);
    // The first 200 keys are fresh; calls 200..299 reuse keys 0..99.
    expect(results.slice(0, 200).every((r) => r?.length === 1)).toBe(true);
    expect(results.slice(200).every((r) => r === null)).toBe(true);
    expect((await bus.range('s', '-', '+', 1000)).map((e) => Number(e.fields.n))).toEqual(
      Array.from({ length: 200 }, (_, i) => i),
    );
  });

  it('appendOnce lets a key be claimed again once its time is up', async () => {
    const claim = { key: 'once:short', ttlMs: 100 };
    expect(await bus.appendOnce(claim, [{ stream: 's', fields: { n: '1' } }])).toHaveLength(1);
    expect(await bus.appendOnce(claim, [{ stream: 's', fields: { n: '2' } }])).toBeNull();
    await sleep(150);
    expect(await bus.appendOnce(claim, [{ stream: 's', fields: { n: '3' } }])).toHaveLength(1);
    expect((await bus.range('s')).map((e) => e.fields.n)).toEqual(['1', '3']);
  });

  it('creating a group twice is harmless and keeps its position', async () => {
    await bus.ensureGroup('s', 'g');
    await bus.append('s', { n: '1' });
    await bus.read('s', 'g', 'c', { count: 10, blockMs: 0 });
    await bus.ensureGroup('s', 'g');
    expect(await bus.read('s', 'g', 'c', { count: 10, blockMs: 0 })).toEqual([]);
  });

  it('wakes a blocked reader when an entry arrives', async () => {
    await bus.ensureGroup('s', 'g');
    const pending = bus.read('s', 'g', 'c', { count: 10, blockMs: 3_000 });
    await sleep(50);
    const started = Date.now();
    await bus.append('s', { hello: 'world' });
    const got = await pending;
    expect(got.map((e) => e.fields.hello)).toEqual(['world']);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('returns nothing after the block time when the stream stays quiet', async () => {
    await bus.ensureGroup('s', 'g');
    expect(await bus.read('s', 'g', 'c', { count: 10, blockMs: 100 })).toEqual([]);
  });

  it('hands an entry whose consumer died before ack to another consumer', async () => {
    await bus.ensureGroup('s', 'g');
    await bus.append('s', { job: 'a' });
    const [taken] = await bus.read('s', 'g', 'dies', { count: 1, blockMs: 0 });
    expect(taken).toBeDefined();
    // Not idle long enough yet: nobody may take it.
    expect(await bus.reclaim('s', 'g', 'rescuer', { minIdleMs: 10_000, count: 10 })).toEqual([]);
    await sleep(60);
    const reclaimed = await bus.reclaim('s', 'g', 'rescuer', { minIdleMs: 50, count: 10 });
    expect(reclaimed).toHaveLength(1);
    expect(reclaimed[0]).toMatchObject({ id: taken!.id, fields: { job: 'a' }, deliveries: 2 });
    expect((await bus.groupInfo('s', 'g')).pending).toBe(1);
    expect(await bus.ack('s', 'g', [taken!.id])).toBe(1);
    expect((await bus.groupInfo('s', 'g')).pending).toBe(0);
  });

  it('reports pending entries and lag per group', async () => {
    await bus.ensureGroup('s', 'g');
    await bus.appendMany('s', [{ n: '1' }, { n: '2' }, { n: '3' }]);
    await bus.read('s', 'g', 'c', { count: 1, blockMs: 0 });
    expect(await bus.groupInfo('s', 'g')).toEqual({ pending: 1, lag: 2 });
    expect(await bus.length('s')).toBe(3);
  });

  it('trims old entries', async () => {
    await bus.appendMany(
      's',
      Array.from({ length: 500 }, (_, i) => ({ n: String(i) })),
    );
    await bus.trim('s', 10);
    // Redis trims approximately (whole macro-nodes); never below the asked length.
    const left = await bus.length('s');
    expect(left).toBeGreaterThanOrEqual(10);
    expect(left).toBeLessThan(500);
  });

  it('moves an entry that fails N times to the dead-letter stream, with its error', async () => {
    await bus.append('jobs', { kind: 'ok', n: '1' });
    await bus.append('jobs', { kind: 'poison', n: '2' });
    await bus.append('jobs', { kind: 'ok', n: '3' });
    const done: string[] = [];
    const dead: StreamEntry[] = [];
    const consumer = new StreamConsumer({
      bus,
      stream: 'jobs',
      group: 'workers',
      consumer: 'w1',
      logger,
      blockMs: 50,
      maxDeliveries: 3,
      reclaimIdleMs: 30,
      reclaimEveryMs: 30,
      onDeadLetter: (e) => dead.push(e),
      handle: async (entries) => {
        if (entries.some((e) => e.fields.kind === 'poison')) throw new Error('cannot parse poison');
        done.push(...entries.map((e) => e.fields.n!));
      },
    });
    consumer.start();
    await until('the poison entry dead-lettered', () => dead.length === 1);
    await consumer.stop();
    expect(done.sort()).toEqual(['1', '3']);
    expect(dead[0]!.fields.n).toBe('2');
    const letters = await bus.range('jobs:dead');
    expect(letters).toHaveLength(1);
    expect(letters[0]!.fields).toMatchObject({
      kind: 'poison',
      n: '2',
      dead_error: 'cannot parse poison',
      dead_deliveries: '3',
      dead_group: 'workers',
    });
    expect((await bus.groupInfo('jobs', 'workers')).pending).toBe(0);
  });

  it('retries a batch through a transient failure without counting it against the entries', async () => {
    await bus.appendMany('t', [{ n: '1' }, { n: '2' }]);
    let failures = 3;
    const stored: string[] = [];
    const consumer = new StreamConsumer({
      bus,
      stream: 't',
      group: 'g',
      consumer: 'c',
      logger,
      blockMs: 50,
      maxDeliveries: 1,
      handle: async (entries) => {
        if (failures-- > 0) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
        stored.push(...entries.map((e) => e.fields.n!));
      },
    });
    consumer.start();
    await until('both entries stored', () => stored.length === 2);
    await consumer.stop();
    expect(stored).toEqual(['1', '2']);
    expect(await bus.length('t:dead')).toBe(0);
    expect((await bus.groupInfo('t', 'g')).pending).toBe(0);
  });

  it('lets a second consumer finish what a stopped one left pending', async () => {
    await bus.appendMany('k', [{ n: '1' }, { n: '2' }]);
    await bus.ensureGroup('k', 'g');
    // The first consumer takes both and "crashes" (never acks).
    await bus.read('k', 'g', 'crashed', { count: 10, blockMs: 0 });
    const seen: { n: string; deliveries: number }[] = [];
    const rescuer = new StreamConsumer({
      bus,
      stream: 'k',
      group: 'g',
      consumer: 'rescuer',
      logger,
      blockMs: 50,
      reclaimIdleMs: 50,
      reclaimEveryMs: 20,
      handle: async (entries) => {
        seen.push(...entries.map((e) => ({ n: e.fields.n!, deliveries: e.deliveries })));
      },
    });
    rescuer.start();
    await until('both entries rescued', () => seen.length === 2);
    await rescuer.stop();
    expect(seen).toEqual([
      { n: '1', deliveries: 2 },
      { n: '2', deliveries: 2 },
    ]);
    expect((await bus.groupInfo('k', 'g')).pending).toBe(0);
  });

  it('lets every tail reader see every entry, and `$` only what comes next', async () => {
    await bus.append('live', { n: '1' });
    const last = await bus.lastId('live');
    const fromStart = await bus.tail('live', '0-0', { count: 10, blockMs: 0 });
    expect(fromStart.map((e) => e.fields.n)).toEqual(['1']);
    const waiting = bus.tail('live', last, { count: 10, blockMs: 2_000 });
    await sleep(50);
    await bus.append('live', { n: '2' });
    expect((await waiting).map((e) => e.fields.n)).toEqual(['2']);
    // A second reader from the same place sees the same entry: no group, no sharing.
    expect((await bus.tail('live', last, { count: 10, blockMs: 0 })).map((e) => e.fields.n)).toEqual(['2']);
    expect(await bus.tail('live', '$', { count: 10, blockMs: 100 })).toEqual([]);
  });
});
