import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { MemoryKv, RedisKv } from '../../src/bus/kv.ts';
import type { RedisBus } from '../../src/bus/redis.ts';
import { AppError } from '../../src/errors.ts';
import { JOB_SCHEDULES } from '../../src/jobs/registry.ts';
import { runJob } from '../../src/jobs/run-job.ts';
import { assertSchedules, type Scheduler, startScheduler } from '../../src/jobs/scheduler.ts';
import type { Job } from '../../src/jobs/types.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { connectTestBus } from '../support/redis.ts';
import { until } from '../support/wait.ts';
import { jobDeps } from './deps.ts';

let testDb: TestDb;
let bus: RedisBus;
const schedulers: Scheduler[] = [];

beforeAll(async () => {
  testDb = await createTestDb();
  bus = await connectTestBus();
});
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(schedulers.splice(0).map((s) => s.stop()));
  await testDb.sql`truncate events`;
});
afterAll(async () => {
  await bus.close();
  await testDb.drop();
});

const jobRuns = () =>
  testDb.sql`select entity_id, payload, event_id from events where type = 'job.run' order by id`;

const lagosClock = (d: Date) =>
  d.toLocaleString('en-GB', { timeZone: 'Africa/Lagos', hour: '2-digit', minute: '2-digit', hour12: false });

describe('scheduler', () => {
  it('runs the daily report at 06:00 Lagos time, once a day, under a controlled clock', async () => {
    await testDb.sql`select 1`; // connect before the clock is faked
    // 05:59:58 in Lagos (UTC+1) on Monday 10 March 2025.
    vi.useFakeTimers({
      now: new Date('2025-03-10T04:59:58Z'),
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
    });
    const slots: Date[] = [];
    const job: Job = {
      name: 'daily-report',
      schedule: JOB_SCHEDULES['daily-report'],
      run: async (deps) => ({
        summary: `report for the day before ${deps.now().toISOString().slice(0, 10)}`,
      }),
    };
    const { deps } = jobDeps(testDb.sql, { kv: new MemoryKv() });
    schedulers.push(startScheduler({ ...deps, jobs: [job], onRun: (_r, slot) => slots.push(slot) }));

    await vi.advanceTimersByTimeAsync(1_000); // 05:59:59
    expect(slots).toEqual([]);
    await vi.advanceTimersByTimeAsync(2_000); // 06:00:01
    await vi.waitFor(() => expect(slots).toHaveLength(1));
    expect(slots[0]!.toISOString()).toBe('2025-03-10T05:00:00.000Z');
    expect(lagosClock(slots[0]!)).toBe('06:00');

    // 06:00 UTC is 07:00 in Lagos: nothing runs then.
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(slots).toHaveLength(1);

    // 06:00 the next morning.
    await vi.advanceTimersByTimeAsync(23 * 3_600_000);
    await vi.waitFor(() => expect(slots).toHaveLength(2));
    expect(slots[1]!.toISOString()).toBe('2025-03-11T05:00:00.000Z');

    await vi.waitFor(async () => expect(await jobRuns()).toHaveLength(2));
    const [first] = await jobRuns();
    expect(first!.payload).toMatchObject({
      job: 'daily-report',
      outcome: 'ok',
      summary: 'report for the day before 2025-03-10',
      trigger: 'schedule',
    });
  });

  it('runs each slot once when two schedulers contend for the same Redis lock', async () => {
    const kvPrefix = `${bus.prefix}sched:`;
    const ranBy: { slot: string; replica: string }[] = [];
    let invocations = 0;
    const job: Job = {
      name: 'offline-watch',
      schedule: '* * * * * *', // every second
      run: async () => {
        invocations++;
        return { summary: 'checked' };
      },
    };
    const sinks = ['replica-a', 'replica-b'].map((replica) => {
      const { deps, logs } = jobDeps(testDb.sql, { kv: new RedisKv(bus.redis, kvPrefix) });
      schedulers.push(
        startScheduler({
          ...deps,
          jobs: [job],
          replicaId: replica,
          onRun: (_r, slot) => ranBy.push({ slot: slot.toISOString(), replica }),
        }),
      );
      return logs;
    });

    await until('four slots run', () => ranBy.length >= 4);
    await Promise.all(schedulers.splice(0).map((s) => s.stop()));

    const slots = ranBy.map((r) => r.slot);
    expect(new Set(slots).size).toBe(slots.length);
    expect(invocations).toBe(slots.length);
    // Both replicas fired for the slots; the one that lost each claim stood aside.
    const standAside = sinks.flat().filter((l) => l.msg === 'slot taken by another replica');
    expect(standAside.length).toBeGreaterThan(0);
    const events = await jobRuns();
    expect(events).toHaveLength(slots.length);
    expect(new Set(events.map((e) => e.event_id)).size).toBe(slots.length);
  });

  it('leaves out a job its config turns off, saying why', async () => {
    const { deps, logs } = jobDeps(testDb.sql);
    const job: Job = {
      name: 'sheets-sync',
      schedule: '*/15 * * * *',
      run: async () => ({ summary: 'never' }),
      disabledReason: () => 'roster sync is off: set GOOGLE_SHEETS_ID',
    };
    schedulers.push(startScheduler({ ...deps, jobs: [job] }));
    expect(logs.find((l) => l.msg === 'job not scheduled')).toMatchObject({
      job: 'sheets-sync',
      reason: 'roster sync is off: set GOOGLE_SHEETS_ID',
    });
    expect(logs.find((l) => l.msg === 'scheduler started')?.jobs).toEqual([]);
  });

  it('refuses a schedule node-cron cannot read, naming the job', () => {
    expect(() => assertSchedules([{ name: 'retention', schedule: '61 3 * * *' }])).toThrow(
      /invalid job schedule: retention \("61 3 \* \* \*"\)/,
    );
  });
});

describe('one job run', () => {
  it('skips a run while another run of the same job holds its lease', async () => {
    const { deps } = jobDeps(testDb.sql, { kv: new RedisKv(bus.redis, `${bus.prefix}lease:`) });
    let release!: () => void;
    const slow: Job = {
      name: 'sheets-sync',
      schedule: '*/15 * * * *',
      run: () => new Promise((resolve) => (release = () => resolve({ summary: 'synced' }))),
    };
    const first = runJob(deps, slow, { trigger: 'schedule', slot: new Date('2025-03-10T09:00:00Z') });
    await until('first run started', () => release !== undefined);
    const second = await runJob(deps, slow, { trigger: 'manual' });
    expect(second).toMatchObject({
      outcome: 'skipped',
      summary: 'skipped: another run of this job is still going',
    });
    release();
    expect((await first).outcome).toBe('ok');
    // The lease is free again.
    const quick: Job = { ...slow, run: async () => ({ summary: 'synced again' }) };
    expect((await runJob(deps, quick, { trigger: 'manual' })).outcome).toBe('ok');

    const metrics = await deps.metrics.registry.getSingleMetricAsString('watchtower_job_runs_total');
    expect(metrics).toContain('watchtower_job_runs_total{job="sheets-sync",outcome="ok"} 2');
    expect(metrics).toContain('watchtower_job_runs_total{job="sheets-sync",outcome="skipped"} 1');
  });

  it('records a failed run with its reason, as a log line, an event and a metric, without throwing', async () => {
    const { deps, logs } = jobDeps(testDb.sql);
    const failing: Job = {
      name: 'retention',
      schedule: '30 3 * * *',
      run: async () => {
        throw new AppError('WT_UNAVAILABLE', 'could not drop vehicle_positions_20240101: lock timeout');
      },
    };
    const report = await runJob(deps, failing, { trigger: 'manual' });
    expect(report).toMatchObject({
      outcome: 'error',
      summary: 'could not drop vehicle_positions_20240101: lock timeout',
    });
    const finished = logs.find((l) => l.msg === 'job run finished');
    expect(finished).toMatchObject({ job: 'retention', outcome: 'error', level: 40 });
    expect(typeof finished?.durationMs).toBe('number');
    const [event] = await jobRuns();
    expect(event!.payload).toMatchObject({ job: 'retention', outcome: 'error', trigger: 'manual' });
    const histogram = await deps.metrics.registry.getSingleMetricAsString('watchtower_job_duration_seconds');
    expect(histogram).toContain('watchtower_job_duration_seconds_count{job="retention",outcome="error"} 1');
  });

  it('records a scheduled slot once even if it is run twice', async () => {
    const { deps } = jobDeps(testDb.sql);
    const job: Job = { name: 'delay-watch', schedule: '* * * * *', run: async () => ({ summary: 'ok' }) };
    const slot = new Date('2025-03-10T09:01:00Z');
    await runJob(deps, job, { trigger: 'schedule', slot });
    await runJob(deps, job, { trigger: 'schedule', slot });
    expect(await jobRuns()).toHaveLength(1);
  });
});
