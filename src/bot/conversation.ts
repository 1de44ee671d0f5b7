import { randomUUID } from 'node:crypto';
import type { webApi } from '@slack/bolt';
import { slackActor } from './actor.ts';
import type { BotDeps } from './deps.ts';
import { errorText } from './errors.ts';
import { answer, parseIntent } from './router.ts';

// A question asked in words (a mention in a channel, or a DM), answered in its thread by the router. Eyes
// on the question while working; a redelivered event (same event_id) is answered once.

export interface Question {
  eventId: string | undefined;
  channel: string;
  user: string;
  text: string;
  ts: string;
  threadTs: string | undefined;
  /** In a DM an error is the answer; in a channel it goes to the asker only. */
  direct: boolean;
}

const WORKING = 'eyes';

export async function answerQuestion(deps: BotDeps, client: webApi.WebClient, q: Question): Promise<void> {
  if (q.eventId && !deps.seenEvents.firstTime(q.eventId)) return;
  const thread_ts = q.threadTs ?? q.ts;
  const reacted = await client.reactions
    .add({ channel: q.channel, timestamp: q.ts, name: WORKING })
    .then(() => true)
    .catch(() => false);
  try {
    const actor = await slackActor(deps.sql, q.user, randomUUID());
    const message = await answer(parseIntent(q.text), { sql: deps.sql, actor, now: deps.now() });
    await client.chat.postMessage({
      channel: q.channel,
      thread_ts,
      text: message.text,
      blocks: message.blocks,
    });
  } catch (err) {
    const text = errorText(err, deps.logger, { channel: q.channel, user: q.user });
    if (q.direct) await client.chat.postMessage({ channel: q.channel, thread_ts, text });
    else await client.chat.postEphemeral({ channel: q.channel, user: q.user, thread_ts, text });
  } finally {
    if (reacted) {
      await client.reactions.remove({ channel: q.channel, timestamp: q.ts, name: WORKING }).catch(() => {});
    }
  }
}
