import type { AllMiddlewareArgs, RespondFn, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { addDays, localDate, parseDate } from '../../../domain/time.ts';
import type { Actor } from '../../../fleet/actor.ts';
import { dailyReport, MAX_RANGE_DAYS, tatReport, utilizationReport } from '../../../fleet/analytics.ts';
import { answerCommand, ephemeral, inChannel, type Reply, sentence } from '../../command-reply.ts';
import type { BotDeps } from '../../deps.ts';
import { helpMessage } from '../../views/help.ts';
import { dailyReportMessage, tatReportMessage, utilizationReportMessage } from '../../views/report.ts';
import { type ChartFile, dailyReportChart } from '../../views/report-chart.ts';

// `/report daily [date] | tat [from] [to] | utilization [from] [to] | help`. Dates are Lagos calendar days:
// YYYY-MM-DD, `today` or `yesterday`. Reports go to the channel (the daily one with its chart, as the 06:00
// job posts it); help and mistakes go to the asker alone.

type Args = SlackCommandMiddlewareArgs & AllMiddlewareArgs;
type Client = AllMiddlewareArgs['client'];

/** Days a range report covers when no date is given: the week up to today. */
const DEFAULT_RANGE_DAYS = 7;

class Usage extends Error {}

/** `today`, `yesterday` or YYYY-MM-DD as a Lagos date; a word it can't read is a Usage error saying how. */
function readDate(word: string, today: string, example: string): string {
  const w = word.toLowerCase();
  if (w === 'today') return today;
  if (w === 'yesterday') return addDays(today, -1);
  if (parseDate(word)) return word;
  throw new Usage(
    `\`${word}\` is not a date I can read: write YYYY-MM-DD, \`today\` or \`yesterday\`, e.g. \`${example}\`.`,
  );
}

/** No date: the last 7 days; one date: that day; two: from the first to the second, both included. */
function readRange(words: string[], today: string, verb: string): { from: string; to: string } {
  const example = `/report ${verb} 2025-03-01 2025-03-07`;
  if (words.length > 2) {
    throw new Usage(`\`/report ${verb}\` takes at most two dates, from and to, e.g. \`${example}\`.`);
  }
  if (words.length === 0) return { from: addDays(today, 1 - DEFAULT_RANGE_DAYS), to: today };
  const from = readDate(words[0]!, today, example);
  const to = words[1] === undefined ? from : readDate(words[1], today, example);
  if (from > to) {
    throw new Usage(
      `${to} comes before ${from}: put the earlier date first, e.g. \`/report ${verb} ${to} ${from}\`.`,
    );
  }
  const days = Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;
  if (days > MAX_RANGE_DAYS) {
    throw new Usage(
      `That is ${days} days; a report covers at most ${MAX_RANGE_DAYS}, so ask for a shorter range, e.g. \`/report ${verb} ${addDays(to, 1 - DEFAULT_RANGE_DAYS)} ${to}\`.`,
    );
  }
  return { from, to };
}

export const reportCommand =
  (deps: BotDeps) =>
  async ({ command, ack, respond, client }: Args): Promise<void> => {
    await ack();
    const [verb = '', ...words] = command.text.trim().split(/\s+/).filter(Boolean);
    const answered: { chart: ChartFile | null } = { chart: null };
    await answerCommand(deps, command, respond, async (actor): Promise<Reply> => {
      try {
        const { reply, chart } = await answer(deps, actor, verb.toLowerCase(), words);
        answered.chart = chart;
        return reply;
      } catch (err) {
        if (err instanceof Usage) return ephemeral(sentence(err.message));
        throw err;
      }
    });
    if (answered.chart) await attachChart(deps, client, respond, command.channel_id, answered.chart);
  };

async function answer(
  deps: BotDeps,
  actor: Actor,
  verb: string,
  words: string[],
): Promise<{ reply: Reply; chart: ChartFile | null }> {
  const now = deps.now();
  const today = localDate(now);
  switch (verb) {
    case '':
    case 'help':
      return { reply: ephemeral(helpMessage('/report')), chart: null };
    case 'daily': {
      if (words.length > 1) {
        throw new Usage(
          '`/report daily` takes one date, e.g. `/report daily 2025-03-10` or `/report daily yesterday`.',
        );
      }
      const date = words[0] === undefined ? today : readDate(words[0], today, '/report daily 2025-03-10');
      const report = await dailyReport(deps.sql, actor, { date }, { now });
      return { reply: inChannel(dailyReportMessage(report)), chart: dailyReportChart(report) };
    }
    case 'tat': {
      const range = readRange(words, today, 'tat');
      return { reply: inChannel(tatReportMessage(await tatReport(deps.sql, actor, range))), chart: null };
    }
    case 'utilization':
    case 'utilisation': {
      const range = readRange(words, today, 'utilization');
      const report = await utilizationReport(deps.sql, actor, range, { now });
      return { reply: inChannel(utilizationReportMessage(report)), chart: null };
    }
    default:
      throw new Usage(
        `I don't know \`/report ${verb}\`; try \`/report daily\`, \`/report tat\` or \`/report help\`.`,
      );
  }
}

/** Slack errors that mean the bot can't post in this conversation until someone invites it. */
const NOT_INVITED = new Set(['not_in_channel', 'channel_not_found']);

/** The daily report's chart under the report just answered; a failure tells the asker alone why. */
async function attachChart(
  deps: BotDeps,
  client: Client,
  respond: RespondFn,
  channel: string,
  chart: ChartFile,
): Promise<void> {
  try {
    await client.filesUploadV2({
      channel_id: channel,
      file: chart.file,
      filename: chart.filename,
      title: chart.title,
      alt_text: chart.altText,
    });
  } catch (err) {
    const code = (err as { data?: { error?: string } }).data?.error;
    const invite = code !== undefined && NOT_INVITED.has(code);
    if (!invite) deps.logger.error({ err, channel }, 'report chart upload failed');
    await respond({
      response_type: 'ephemeral',
      text: invite
        ? "The report is above, but I can't attach its chart here: invite me with `/invite @Watch Tower` and ask again."
        : 'The report is above, but its chart failed to upload; try `/report daily` again in a minute.',
    });
  }
}
