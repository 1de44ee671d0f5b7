import { webApi } from '@slack/bolt';
import type { KnownBlock } from '@slack/types';
import { boltLogger } from '../bot/bolt-logger.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { JobDeps, SlackPoster } from './types.ts';

// Jobs post through this small seam: a Web API client when Slack is configured, nothing when it is off.

/**
 * The one Web API client factory (alerts, cards, jobs): the bot token, SLACK_API_URL honoured, Slack's own
 * logging through ours when a logger is given; undefined when Slack is off.
 */
export function createSlackClient(slack: Config['slack'], logger?: Logger): webApi.WebClient | undefined {
  if (!slack.botToken) return undefined;
  return new webApi.WebClient(slack.botToken, {
    ...(logger ? { logger: boltLogger(logger) } : {}),
    ...(slack.apiUrl ? { slackApiUrl: slack.apiUrl } : {}),
  });
}

/** Posts through `client`, timing each call as an outside call. */
export function slackPoster(client: webApi.WebClient, metrics: Metrics): SlackPoster {
  return {
    async post(channel, message) {
      await metrics.timeOutsideCall('slack', 'chat.postMessage', () =>
        client.chat.postMessage({
          channel,
          text: message.text,
          ...(message.blocks ? { blocks: message.blocks as KnownBlock[] } : {}),
        }),
      );
    },
  };
}

/** What a job is given of Slack: a poster and the client behind it, or neither when Slack is off. */
export function jobSlack(
  slack: Config['slack'],
  metrics: Metrics,
  logger?: Logger,
): Pick<JobDeps, 'slack' | 'slackClient'> {
  const slackClient = createSlackClient(slack, logger);
  return { slack: slackClient ? slackPoster(slackClient, metrics) : undefined, slackClient };
}
