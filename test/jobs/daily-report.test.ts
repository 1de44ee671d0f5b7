import { webApi } from '@slack/bolt';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CHART_WIDTH, chartHeight } from '../../src/bot/views/report-chart.ts';
import { RedisKv } from '../../src/bus/kv.ts';
import type { RedisBus } from '../../src/bus/redis.ts';
import { loadConfig } from '../../src/config.ts';
import { type DailyReportDeps, runDailyReport } from '../../src/jobs/daily-report.ts';
import { createLogger } from '../../src/log.ts';
import { createMetrics } from '../../src/metrics.ts';
import { blockText } from '../bot/harness.ts';
import { REPORT_AT, seedDay } from '../fleet/analytics-daily-seed.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.ts';
import { connectTestBus } from '../support/redis.ts';

// The 06:00 job end to end: a seeded day in PostgreSQL, the posted-day guard in Redis, and a real WebClient
// posting to the local fake Slack (chat.postMessage, then files.uploadV2's three steps).

const REPORTS = 'C0REPORTS1';
const TOKEN = 'xoxb-test-daily-report';
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let testDb: TestDb;
let bus: RedisBus;
let fake: FakeSlack;
let logs: { level: number; msg: string; err?: { message: string } }[];

beforeAll(async () => {
  testDb = await createTestDb();
  await seedDay(testDb.sql);
});

afterAll(async () => {
  await testDb?.drop();
});

beforeEach(async () => {
  // A fresh stream/key prefix each test, so the posted-day guard starts empty.
  bus = await connectTestBus();
  fake = await startFakeSlack({ botToken: TOKEN });
  logs = [];
});

afterEach(async () => {
  await fake?.close();
  await bus?.close();
});

function deps(overrides: { channel?: string | undefined; client?: boolean } = {}): DailyReportDeps {
  const channel = 'channel' in overrides ? overrides.channel : REPORTS;
  const logger = createLogger('warn', {
    write: (line: string) => {
      logs.push(JSON.parse(line) as (typeof logs)[number]);
    },
  });
  return {
    sql: testDb.sql,
    kv: new RedisKv(bus.redis, bus.prefix),
    logger,
    metrics: createMetrics(),
    config: loadConfig({ SLACK_BOT_TOKEN: TOKEN, SLACK_REPORTS_CHANNEL: channel }),
    slack: undefined,
    now: () => REPORT_AT,
    ...(overrides.client === false
      ? {}
      : {
          slackClient: new webApi.WebClient(TOKEN, {
            slackApiUrl: fake.apiUrl,
            retryConfig: { retries: 0 },
          }),
        }),
  };
}

describe('runDailyReport', () => {
  it("posts yesterday's report to the reports channel, with its chart in the report's thread", async () => {
    const { summary } = await runDailyReport(deps());

    expect(summary).toBe(
      `daily report for 2025-03-10 posted to ${REPORTS} (3 completed, 2 in progress, 1 cancelled, 2 offline) with its chart`,
    );
    const [report, chart, ...rest] = fake.messages(REPORTS);
    expect(rest).toEqual([]);
    expect(report?.text).toBe(
      'Daily report for Mon 10 Mar 2025: 6 trips started, 3 completed, 2 in progress, 1 cancelled; 2.0 km driven; 5 alerts; on a trip 25%; 2 offline now',
    );
    const text = blockText(report?.blocks);
    expect(text).toContain('Daily report · Mon 10 Mar 2025');
    expect(text).toContain(
      '*Apapa Port → Ikeja Depot* · 2 trips: median 5 h 30 min (+1 h), p90 5 h 54 min · 7 days before: median 4 h 30 min, p90 4 h 54 min',
    );
    expect(text).toContain(
      '*Tin Can Island Port → Agbara* · 1 trip: median 2 h, p90 2 h · none in the 7 days before',
    );
    expect(text).toContain('*Most km*\nKJA-101AA: 2.0 km');
    expect(text).toContain(
      '*Most alerts*\nKJA-102BB: 3 (overspeed (LocoNav), truck offline)\nKJA-101AA: 1 (idling (LocoNav))\nKJA-103CC: 1 (late trip)',
    );
    expect(text).toContain(
      '*Offline at 06:00*\nKJA-103CC: never reported\nKJA-102BB: last heard yesterday 18:05',
    );
    expect(text).toContain('*On a trip*\n25%');

    expect(chart?.thread_ts).toBe(report?.ts);
    const [shared] = chart?.files ?? [];
    expect(shared).toMatchObject({
      name: 'daily-report-2025-03-10.png',
      title: 'Turnaround per lane · Mon 10 Mar 2025',
    });
    expect(shared?.alt_text).toContain(
      'Apapa Port → Ikeja Depot: median 5 h 30 min, previous 7 days 4 h 30 min',
    );
    const png = fake.file(shared!.id)?.bytes;
    expect(png?.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect([png?.readUInt32BE(16), png?.readUInt32BE(20)]).toEqual([CHART_WIDTH, chartHeight(2)]);
    expect(logs).toEqual([]);
  });

  it('says so and touches nothing when no reports channel is set', async () => {
    const { summary } = await runDailyReport(deps({ channel: undefined }));

    expect(summary).toBe('daily report not posted: SLACK_REPORTS_CHANNEL is not set');
    expect(fake.calls).toEqual([]);
  });

  it('says so when Slack is off', async () => {
    const { summary } = await runDailyReport(deps({ client: false }));

    expect(summary).toBe('daily report not posted: Slack is off (no bot token)');
    expect(fake.calls).toEqual([]);
  });

  it('posts a day once, however many times it runs (a second replica, a re-run)', async () => {
    const d = deps();
    await runDailyReport(d);
    const again = await runDailyReport(d);

    expect(again.summary).toBe('daily report for 2025-03-10 already posted');
    expect(fake.calls.filter((c) => c.method === 'chat.postMessage')).toHaveLength(1);
  });

  it('keeps the report when the chart fails to upload, and warns', async () => {
    fake.failNext('files.completeUploadExternal', { error: 'internal_error' });

    const { summary } = await runDailyReport(deps());

    expect(summary).toBe(
      `daily report for 2025-03-10 posted to ${REPORTS} (3 completed, 2 in progress, 1 cancelled, 2 offline); chart upload failed`,
    );
    expect(fake.messages(REPORTS).map((m) => m.text)).toEqual([
      expect.stringMatching(/^Daily report for Mon 10 Mar/),
    ]);
    expect(logs).toMatchObject([{ level: 40, msg: 'daily report chart upload failed' }]);
    expect(JSON.stringify(logs)).not.toContain(TOKEN);
  });

  it('leaves the day for the next run when the report cannot be posted', async () => {
    fake.failNext('chat.postMessage', { error: 'not_in_channel' });
    const d = deps();

    await expect(runDailyReport(d)).rejects.toMatchObject({ data: { error: 'not_in_channel' } });
    expect(fake.messages(REPORTS)).toEqual([]);

    const retry = await runDailyReport(d);
    expect(retry.summary).toMatch(/^daily report for 2025-03-10 posted/);
    expect(fake.messages(REPORTS)).toHaveLength(2);
  });
});
