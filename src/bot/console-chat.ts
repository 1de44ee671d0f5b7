import { randomUUID } from 'node:crypto';
import type { Agent } from '../agent/agent.ts';
import type { Sql } from '../db/client.ts';
import type { Logger } from '../log.ts';
import { answerQuestion, type ConversationClient } from './conversation.ts';
import { SeenEvents } from './event-dedupe.ts';

// Watch Tower without a Slack workspace: a typed line goes through the same handler as a DM in Slack, and
// what the bot would have posted in the thread comes back as text. Streamed updates are collected and the
// final text of each message is what prints.

export const CONSOLE_CHANNEL = 'DCONSOLE01';

export interface ConsoleChat {
  /** Answers one line; resolves with the texts the bot posted, in order. */
  ask(line: string): Promise<string[]>;
}

export function consoleChat(opts: {
  sql: Sql;
  logger: Logger;
  agent?: Agent;
  /** The Slack user id to act as (their role applies); default a viewer. */
  user?: string;
  now?: () => Date;
}): ConsoleChat {
  const deps = {
    sql: opts.sql,
    logger: opts.logger,
    now: opts.now ?? (() => new Date()),
    seenEvents: new SeenEvents(),
    agent: opts.agent,
    streamUpdateMs: 0,
  };
  const user = opts.user ?? 'UCONSOLE01';
  // One conversation: every line is a reply in the same thread, so the agent remembers what was said.
  const threadTs = `${Math.floor(Date.now() / 1000)}.000001`;
  let seq = 1;
  const nextTs = () => `${threadTs.split('.')[0]}.${String(++seq).padStart(6, '0')}`;

  return {
    async ask(line) {
      const posted = new Map<string, string>();
      const client: ConversationClient = {
        chat: {
          async postMessage(args) {
            const ts = nextTs();
            posted.set(ts, args.text);
            return { ts };
          },
          async update(args) {
            posted.set(args.ts, args.text);
          },
          async postEphemeral(args) {
            posted.set(nextTs(), args.text);
          },
        },
        reactions: { add: async () => ({}), remove: async () => ({}) },
      };
      await answerQuestion(deps, client, {
        eventId: randomUUID(),
        channel: CONSOLE_CHANNEL,
        user,
        text: line,
        ts: nextTs(),
        threadTs,
        direct: true,
      });
      return [...posted.values()];
    },
  };
}
