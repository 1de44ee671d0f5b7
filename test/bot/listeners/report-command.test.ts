import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HELP } from '../../../src/bot/views/help.ts';
import { formatDay } from '../../../src/bot/views/report.ts';
import { CHART_WIDTH, chartHeight } from '../../../src/bot/views/report-chart.ts';
import { addDays, localDate } from '../../../src/domain/time.ts';
import { seedDay } from '../../fleet/analytics-daily-seed.ts';
import { until } from '../../support/wait.ts';
import { blockText, CHANNEL, DISPATCHER, type Harness, startHarness, VIEWER } from '../harness.ts';

// `/report` through the real Socket Mode path: the fake Slack sends the slash command, the Bolt app answers
// on the response_url and uploads the daily chart with files.uploadV2, over a seeded day in PostgreSQL.

let h: Harness;

beforeEach(async () => {
  h = await startHarness();
  await seedDay(h.db.sql);
});

afterEach(async () => {
  await h?.stop();
});

/** Sends `/report <text>` and waits for the answer on the response_url that says `expect`. */
async function report(text: string, expect: string | RegExp = '', user = VIEWER) {
  const ack = await h.fake.sendSlashCommand({ command: '/report', text, user_id: user, channel_id: CHANNEL });
  const response = await h.fake.waitForCall('response_url', (c) =>
    typeof expect === 'string' ? String(c.args.text).includes(expect) : expect.test(String(c.args.text)),
  );
  return { ack, response: response.args };
}

describe('/report daily', () => {
  it('posts the day’s report in the channel, then its chart under it', async () => {
    const { ack, response } = await report('daily 2025-03-10', 'Daily report');

    expect(ack.payload).toEqual({});
    expect(response).toMatchObject({ response_type: 'in_channel' });
    const [message] = h.fake.messages(CHANNEL);
    expect(message?.text).toMatch(
      /^Daily report for Mon 10 Mar 2025: 6 trips started, 3 completed, 2 in progress, 1 cancelled; 2\.0 km driven; 5 alerts; /,
    );
    const text = blockText(message?.blocks);
    expect(text).toContain('*Apapa Port → Ikeja Depot* · 2 trips: median 5 h 30 min (+1 h)');
    expect(text).toContain('*Most alerts*\nKJA-102BB: 3');
    expect(text).toContain('KJA-103CC: never reported');

    await h.fake.waitForCall('files.completeUploadExternal');
    const chart = h.fake.messages(CHANNEL).find((m) => m.files?.length);
    expect(chart?.files?.[0]).toMatchObject({ name: 'daily-report-2025-03-10.png' });
    const png = h.fake.file(chart!.files![0]!.id)?.bytes;
    expect(png?.toString('latin1', 1, 4)).toBe('PNG');
    expect([png?.readUInt32BE(16), png?.readUInt32BE(20)]).toEqual([CHART_WIDTH, chartHeight(2)]);
    expect(h.fake.ephemerals(CHANNEL)).toEqual([]);
    expect(h.problems).toEqual([]);
  });

  it('reads `yesterday` as the Lagos day before today', async () => {
    const before = formatDay(addDays(localDate(new Date()), -1));
    await report('daily yesterday', 'Daily report');
    const after = formatDay(addDays(localDate(new Date()), -1));

    const day = /^Daily report for ([^:]+):/.exec(h.fake.messages(CHANNEL)[0]?.text ?? '')?.[1];
    expect([before, after]).toContain(day);
  });

  it('tells the asker alone when the chart cannot go in this channel, and how to fix it', async () => {
    h.fake.failNext('files.completeUploadExternal', { error: 'not_in_channel' });

    await report('daily 2025-03-10', "can't attach its chart");

    expect(h.fake.messages(CHANNEL).map((m) => m.text)).toEqual([expect.stringMatching(/^Daily report for/)]);
    expect(h.fake.ephemerals(CHANNEL)).toMatchObject([
      {
        user: VIEWER,
        text: "The report is above, but I can't attach its chart here: invite me with `/invite @Watch Tower` and ask again.",
      },
    ]);
  });

  it('refuses a date it cannot read, saying how to write one', async () => {
    await report('daily 2025-13-01', 'not a date');

    expect(h.fake.messages(CHANNEL)).toEqual([]);
    expect(h.fake.ephemerals(CHANNEL)).toMatchObject([
      {
        user: VIEWER,
        text: '`2025-13-01` is not a date I can read: write YYYY-MM-DD, `today` or `yesterday`, e.g. `/report daily 2025-03-10`.',
      },
    ]);
  });
});

describe('/report tat and utilization', () => {
  it('answers turnaround per lane for a range in the channel', async () => {
    await report('tat 2025-03-03 2025-03-10', 'Turnaround');

    const [message] = h.fake.messages(CHANNEL);
    expect(message?.text).toBe(
      'Turnaround for Mon 3 Mar 2025 to Mon 10 Mar 2025: 5 trips completed on 2 lanes',
    );
    expect(blockText(message?.blocks)).toContain('*Apapa Port → Ikeja Depot* · 4 trips');
  });

  it('answers utilization for one day, spelt either way', async () => {
    await report('utilisation 2025-03-10', 'Utilization', DISPATCHER);

    // 18 h on a trip over 5 active trucks' days (the harness's two and the seed's three).
    expect(h.fake.messages(CHANNEL)[0]?.text).toBe(
      'Utilization for Mon 10 Mar 2025: on a trip 15%, moving 0% across 5 trucks',
    );
  });

  it('asks for the earlier date first when a range runs backwards', async () => {
    await report('tat 2025-03-10 2025-03-01', 'earlier date first');

    expect(h.fake.ephemerals(CHANNEL)[0]?.text).toBe(
      '2025-03-01 comes before 2025-03-10: put the earlier date first, e.g. `/report tat 2025-03-01 2025-03-10`.',
    );
  });

  it('refuses a range longer than a report covers, suggesting a shorter one', async () => {
    await report('utilization 2025-01-01 2025-06-30', 'at most');

    expect(h.fake.ephemerals(CHANNEL)[0]?.text).toBe(
      'That is 181 days; a report covers at most 92, so ask for a shorter range, e.g. `/report utilization 2025-06-24 2025-06-30`.',
    );
    expect(h.fake.messages(CHANNEL)).toEqual([]);
  });
});

describe('/report help', () => {
  it('answers help, and a bare /report, with the help to the asker only', async () => {
    await report('help', '/report:');
    await h.fake.sendSlashCommand({ command: '/report', text: '', user_id: VIEWER, channel_id: CHANNEL });
    await until('the bare /report answered', () => h.fake.ephemerals(CHANNEL).length === 2);

    expect(h.fake.messages(CHANNEL)).toEqual([]);
    const [help, bare] = h.fake.ephemerals(CHANNEL);
    expect(help?.text).toMatch(/^\/report: Reports for Lagos calendar days/);
    expect(blockText(help?.blocks)).toContain('/report daily yesterday');
    expect(bare?.text).toBe(help?.text);
  });

  it('accepts every usage line its help shows', async () => {
    const usages = HELP['/report'].usages.map((u) => u.usage).filter((u) => u !== '/report help');
    for (const [k, usage] of usages.entries()) {
      await h.fake.sendSlashCommand({
        command: '/report',
        text: usage.replace(/^\/report /, ''),
        channel_id: CHANNEL,
      });
      await until(
        `an answer to ${usage}`,
        () => h.fake.calls.filter((c) => c.method === 'response_url').length > k,
      );
    }

    expect(h.fake.ephemerals(CHANNEL)).toEqual([]);
    expect(h.fake.messages(CHANNEL).filter((m) => !m.files).length).toBe(usages.length);
  });

  it('says what to try for a word it does not know', async () => {
    await report('weekly', "I don't know");

    expect(h.fake.ephemerals(CHANNEL)[0]?.text).toBe(
      "I don't know `/report weekly`; try `/report daily`, `/report tat` or `/report help`.",
    );
  });
});
