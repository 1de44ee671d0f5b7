import type { webApi } from '@slack/bolt';
import { dailyReportMessage } from '../bot/views/report.ts';
import { dailyReportChart } from '../bot/views/report-chart.ts';
import { addDays, localDate } from '../domain/time.ts';
import { systemActor } from '../fleet/actor.ts';
import { type DailyReport, dailyReport } from '../fleet/analytics.ts';
import type { JobDeps, JobResult } from './types.ts';

// The 06:00 Lagos daily report: yesterday's trips, turnaround per lane against the week before, utilization,
// km, alerts and trucks offline, posted to SLACK_REPORTS_CHANNEL with its chart in the message's thread.
// The chart needs a real Web API client (files.uploadV2 is three calls: get an upload URL, upload the bytes,
// complete), so the job takes one beside JobDeps' plain poster.

export interface DailyReportDeps extends JobDeps {
  /** The bot's Web API client; without it the report is not posted. */
  slackClient?: webApi.WebClient;
}

/** How long a posted day is remembered, so a second replica or a re-run does not post it twice. */
const POSTED_TTL_MS = 3 * 86_400_000;
const postedKey = (date: string) => `jobs:daily-report:posted:${date}`;

export async function runDailyReport(deps: DailyReportDeps): Promise<JobResult> {
  const channel = deps.config.slack.reportsChannel;
  const client = deps.slackClient;
  if (!channel) return { summary: 'daily report not posted: SLACK_REPORTS_CHANNEL is not set' };
  if (!client) return { summary: 'daily report not posted: Slack is off (no bot token)' };

  const now = deps.now();
  const date = addDays(localDate(now), -1);
  if (!(await deps.kv.setIfAbsent(postedKey(date), 'posting', POSTED_TTL_MS))) {
    return { summary: `daily report for ${date} already posted` };
  }

  let report: DailyReport;
  let ts: string;
  try {
    report = await dailyReport(deps.sql, systemActor('daily-report'), { date }, { now });
    const message = dailyReportMessage(report);
    const posted = await client.chat.postMessage({ channel, text: message.text, blocks: message.blocks });
    ts = posted.ts ?? '';
  } catch (err) {
    // Nothing was posted: let a retry or the next replica try again.
    await deps.kv.del([postedKey(date)]);
    throw err;
  }
  await deps.kv.set(postedKey(date), ts, POSTED_TTL_MS);

  const counts = `${report.trips.completed} completed, ${report.trips.inProgress} in progress, ${report.trips.cancelled} cancelled, ${report.offline.trucks.length} offline`;
  const chart = dailyReportChart(report);
  if (!chart) {
    return {
      summary: `daily report for ${date} posted to ${channel} (${counts}); no chart: no trip completed`,
    };
  }
  try {
    await client.filesUploadV2({
      channel_id: channel,
      thread_ts: ts,
      file: chart.file,
      filename: chart.filename,
      title: chart.title,
      alt_text: chart.altText,
    });
  } catch (err) {
    // The report itself is out; a missing chart is worth a warning, not a second report.
    deps.logger.warn({ err, channel, date }, 'daily report chart upload failed');
    return {
      summary: `daily report for ${date} posted to ${channel} (${counts}); chart upload failed`,
    };
  }
  return {
    summary: `daily report for ${date} posted to ${channel} (${counts}) with its chart`,
  };
}
