import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import { answerQuestion } from '../../conversation.ts';
import type { BotDeps } from '../../deps.ts';

/** `@Watch Tower where is KJA-123XY?` in a channel: answered in the thread. */
export const appMention =
  (deps: BotDeps) =>
  async ({
    event,
    body,
    client,
  }: SlackEventMiddlewareArgs<'app_mention'> & AllMiddlewareArgs): Promise<void> => {
    if (!event.user) return;
    await answerQuestion(deps, client, {
      eventId: body.event_id,
      team: body.team_id,
      channel: event.channel,
      user: event.user,
      text: event.text,
      ts: event.ts,
      threadTs: event.thread_ts,
      direct: false,
    });
  };
