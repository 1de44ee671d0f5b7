import { App } from '@slack/bolt';
import type { Agent } from '../agent/agent.ts';
import type { Kv } from '../bus/kv.ts';
import type { Config } from '../config.ts';
import type { Sql } from '../db/client.ts';
import type { Logger } from '../log.ts';
import { boltLogger } from './bolt-logger.ts';
import type { BotDeps } from './deps.ts';
import { SeenEvents } from './event-dedupe.ts';
import * as actions from './listeners/actions/index.ts';
import * as commands from './listeners/commands/index.ts';
import * as events from './listeners/events/index.ts';
import * as messages from './listeners/messages/index.ts';
import * as views from './listeners/views/index.ts';

// The Slack bot: a Bolt app in Socket Mode (no public URL needed), every listener registered by kind.
// SLACK_API_URL points the Web API, and with it the Socket Mode connection, at another Slack (tests' fake).

export interface SlackBotOptions {
  config: Pick<Config, 'slack'>;
  sql: Sql;
  logger: Logger;
  /** Tests pin the clock cards are drawn with. */
  now?: () => Date;
  /** Answers mentions and DMs (createAgent); without one the command router answers as before. */
  agent?: Agent;
  /** Least time between streamed updates of an agent's answer; tests shorten it. */
  streamUpdateMs?: number;
  /** Shared with the other replicas, so Slack's retry of an event is answered once whichever one gets it. */
  kv?: Kv;
}

export interface SlackBot {
  stop(): Promise<void>;
}

export async function startSlackBot(opts: SlackBotOptions): Promise<SlackBot> {
  const { botToken, appToken, apiUrl } = opts.config.slack;
  if (!botToken || !appToken) {
    opts.logger.info('Slack is off: set SLACK_BOT_TOKEN and SLACK_APP_TOKEN');
    return { stop: async () => {} };
  }
  const app = new App({
    token: botToken,
    appToken,
    socketMode: true,
    logger: boltLogger(opts.logger),
    ...(apiUrl ? { clientOptions: { slackApiUrl: apiUrl } } : {}),
  });
  const deps: BotDeps = {
    sql: opts.sql,
    logger: opts.logger.child({ component: 'bot' }),
    now: opts.now ?? (() => new Date()),
    seenEvents: new SeenEvents(1_000, opts.kv),
    agent: opts.agent,
    streamUpdateMs: opts.streamUpdateMs,
  };
  app.error(async (err) => {
    deps.logger.error({ err }, 'unhandled error in a Slack listener');
  });
  for (const kind of [commands, actions, views, events, messages]) kind.register(app, deps);

  try {
    await app.start();
  } catch (err) {
    await app.stop().catch(() => {});
    throw err;
  }
  return {
    stop: async () => {
      await app.stop();
    },
  };
}
