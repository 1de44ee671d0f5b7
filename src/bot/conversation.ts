import { randomUUID } from 'node:crypto';
import type { KnownBlock } from '@slack/types';
import type { AgentReply } from '../agent/agent.ts';
import { slackThreadId } from '../agent/thread-id.ts';
import { slackActor } from './actor.ts';
import type { BotDeps } from './deps.ts';
import { errorText } from './errors.ts';
import { answer, parseIntent } from './router.ts';
import { agentPreview } from './views/agent-preview.ts';
import type { Message } from './views/format.ts';

// A question asked in words (a mention in a channel, or a DM), answered in its thread: by the agent when one
// is configured (its answer streamed into one message, updated as it grows; a write comes back as a preview
// card), else by the router. Eyes on the question while working; a redelivered event (same event_id) is
// answered once.

export interface Question {
  eventId: string | undefined;
  /** The Slack workspace; part of the agent's thread id (a console may leave it out). */
  team?: string;
  channel: string;
  user: string;
  text: string;
  ts: string;
  threadTs: string | undefined;
  /** In a DM an error is the answer; in a channel it goes to the asker only. */
  direct: boolean;
}

/**
 * The few Web API calls a conversation makes. Bolt's WebClient fits as it is; a console chat can pass a small
 * object that prints (postMessage must return a `ts` for later updates).
 */
export interface ConversationClient {
  chat: {
    postMessage(args: {
      channel: string;
      thread_ts?: string;
      text: string;
      blocks?: KnownBlock[];
    }): Promise<{ ts?: string }>;
    update(args: { channel: string; ts: string; text: string; blocks?: KnownBlock[] }): Promise<unknown>;
    postEphemeral(args: {
      channel: string;
      user: string;
      thread_ts?: string;
      text: string;
    }): Promise<unknown>;
  };
  reactions: {
    add(args: { channel: string; timestamp: string; name: string }): Promise<unknown>;
    remove(args: { channel: string; timestamp: string; name: string }): Promise<unknown>;
  };
}

const WORKING = 'eyes';

/** The model writes mrkdwn; it may mention people and link, but never ping a channel (<!channel>, <!here>). */
export const withoutBroadcasts = (text: string) => text.replaceAll('<!', '&lt;!');
/** At most one streamed update this often (Slack's chat.update is rate-limited per channel). */
export const STREAM_UPDATE_MS = 1_000;

export async function answerQuestion(deps: BotDeps, client: ConversationClient, q: Question): Promise<void> {
  if (q.eventId && !(await deps.seenEvents.firstTime(q.eventId))) return;
  const thread_ts = q.threadTs ?? q.ts;
  const reacted = await client.reactions
    .add({ channel: q.channel, timestamp: q.ts, name: WORKING })
    .then(() => true)
    .catch(() => false);
  const reply = new ThreadReply(client, q.channel, thread_ts, deps.streamUpdateMs ?? STREAM_UPDATE_MS);
  try {
    const actor = await slackActor(deps.sql, q.user, randomUUID());
    if (!deps.agent) {
      await reply.finish(await answer(parseIntent(q.text), { sql: deps.sql, actor, now: deps.now() }));
      return;
    }
    const result = await deps.agent.ask({
      threadId: slackThreadId(q.team ?? 'local', q.channel, thread_ts),
      text: q.text,
      actor,
      onText: (soFar) => reply.stream(withoutBroadcasts(soFar)),
    });
    await showReply(deps, client, reply, result);
  } catch (err) {
    const text = errorText(err, deps.logger, { channel: q.channel, user: q.user });
    if (q.direct || reply.ts) await reply.finish({ text, blocks: [] });
    else await client.chat.postEphemeral({ channel: q.channel, user: q.user, thread_ts, text });
  } finally {
    if (reacted) {
      await client.reactions.remove({ channel: q.channel, timestamp: q.ts, name: WORKING }).catch(() => {});
    }
  }
}

/** Shows what the agent said in the thread: words, a preview card (remembered for its buttons), or the router's. */
export async function showReply(
  deps: BotDeps,
  client: ConversationClient,
  reply: ThreadReply,
  result: AgentReply,
): Promise<void> {
  for (const old of result.superseded) {
    if (!old.slackChannel || !old.slackTs) continue;
    await client.chat
      .update({ channel: old.slackChannel, ts: old.slackTs, ...agentPreview(old) })
      .catch((err: unknown) => deps.logger.warn({ err }, 'could not redraw a superseded preview'));
  }
  if (result.kind === 'answer') {
    await reply.finish({ text: withoutBroadcasts(result.text), blocks: [] });
  } else if (result.kind === 'limited') {
    await reply.finish(result.message);
  } else {
    const ts = await reply.finish(agentPreview(result.confirmation));
    if (ts) await deps.agent?.noteCard(result.confirmation.id, { channel: reply.channel, ts });
  }
}

/**
 * One reply in a thread that can grow: the first streamed text posts it, later text updates it (at most every
 * `intervalMs`, in order), and `finish` writes the final words (posting it if nothing was streamed).
 */
export class ThreadReply {
  ts: string | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private lastUpdate = 0;
  private pending: string | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: ConversationClient,
    readonly channel: string,
    readonly threadTs: string,
    private readonly intervalMs: number,
  ) {}

  stream(textSoFar: string): void {
    this.pending = textSoFar;
    if (this.timer) return;
    const wait = Math.max(0, this.lastUpdate + this.intervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const text = this.pending;
      this.pending = undefined;
      this.lastUpdate = Date.now();
      if (text) this.chain = this.chain.then(() => this.write({ text, blocks: [] })).catch(() => {});
    }, wait);
  }

  /** The final message; resolves with its ts. */
  async finish(message: Message): Promise<string | undefined> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
    await this.chain;
    await this.write(message);
    return this.ts;
  }

  private async write(message: Message): Promise<void> {
    const blocks = message.blocks.length ? message.blocks : undefined;
    if (this.ts) {
      await this.client.chat.update({
        channel: this.channel,
        ts: this.ts,
        text: message.text,
        blocks: blocks ?? [],
      });
      return;
    }
    const posted = await this.client.chat.postMessage({
      channel: this.channel,
      thread_ts: this.threadTs,
      text: message.text,
      blocks,
    });
    this.ts = posted.ts;
  }
}
