import type { Agent } from '../agent/agent.ts';
import type { Sql } from '../db/client.ts';
import type { Logger } from '../log.ts';
import type { SeenEvents } from './event-dedupe.ts';

/** What every listener needs: the database (through src/fleet only), a logger, and a clock tests can pin. */
export interface BotDeps {
  sql: Sql;
  logger: Logger;
  now: () => Date;
  /** Event ids answered recently, so a Slack retry is not answered twice. */
  seenEvents: SeenEvents;
  /** The LLM agent answering mentions and DMs; without one the command router answers. */
  agent?: Agent;
  /** Least time between streamed updates of an answer (default STREAM_UPDATE_MS; tests shorten it). */
  streamUpdateMs?: number;
}
