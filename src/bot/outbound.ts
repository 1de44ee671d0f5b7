import type { Kv } from '../bus/kv.ts';
import type { Bus } from '../bus/types.ts';
import type { Config } from '../config.ts';
import type { Sql } from '../db/client.ts';
import { startEventConsumers } from '../jobs/event-consumers.ts';
import { createSlackClient } from '../jobs/slack-poster.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { deliveriesFor } from './alerts/alert-events.ts';
import { AlertPoster, type ChatPoster } from './alerts/alert-poster.ts';
import { type ChatUpdater, syncTripCards } from './trip-card-sync.ts';

// What Watch Tower says in Slack without being asked: alerts, and trip cards redrawn as trips move. Both
// read the event stream in their own consumer group, so each event is handled once across replicas and
// acknowledged only after Slack answered ok (a restart picks up where it left off).

export interface SlackOutboundDeps {
  config: Pick<Config, 'slack'>;
  sql: Sql;
  bus: Bus;
  kv: Kv;
  logger: Logger;
  metrics: Metrics;
  replicaId: string;
  /** Tests pass a client; by default a Web API client on SLACK_API_URL. */
  client?: ChatPoster & ChatUpdater;
  now?: () => Date;
  minIntervalMs?: number;
  consumer?: Parameters<typeof startEventConsumers>[0]['consumer'];
}

export function startSlackOutbound(deps: SlackOutboundDeps): { stop(): Promise<void> } {
  const logger = deps.logger.child({ component: 'slack-outbound' });
  const client = deps.client ?? createSlackClient(deps.config.slack, logger);
  if (!client) throw new Error('Slack alerts need SLACK_BOT_TOKEN');
  const now = deps.now ?? (() => new Date());
  const poster = new AlertPoster({
    client,
    kv: deps.kv,
    logger,
    owner: deps.replicaId,
    now,
    minIntervalMs: deps.minIntervalMs,
  });
  const alertsChannel = deps.config.slack.alertsChannel;
  if (!alertsChannel) logger.info('no SLACK_ALERTS_CHANNEL: alerts go only where alert routes send them');
  return startEventConsumers({
    sql: deps.sql,
    bus: deps.bus,
    kv: deps.kv,
    logger,
    metrics: deps.metrics,
    replicaId: deps.replicaId,
    consumer: deps.consumer,
    groups: {
      'slack-alerts': async (events) => poster.deliver(await deliveriesFor(deps.sql, events, alertsChannel)),
      'slack-cards': (events) => syncTripCards({ sql: deps.sql, client, logger, now }, events),
    },
  });
}
