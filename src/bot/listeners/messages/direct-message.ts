import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import { answerQuestion } from '../../conversation.ts';
import type { BotDeps } from '../../deps.ts';

/** A DM to the bot: a person's own message (no edits, joins or bot posts), answered in its thread. */
export const directMessage =
  (deps: BotDeps) =>
  async ({
    message,
    body,
    client,
  }: SlackEventMiddlewareArgs<'message'> & AllMiddlewareArgs): Promise<void> => {
    if (message.channel_type !== 'im' || message.subtype !== undefined || message.bot_id) return;
    if (!message.user) return;
    await answerQuestion(deps, client, {
      eventId: body.event_id,
      team: body.team_id,
      channel: message.channel,
      user: message.user,
      text: message.text ?? '',
      ts: message.ts,
      threadTs: message.thread_ts,
      direct: true,
    });
  };
