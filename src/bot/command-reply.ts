import { randomUUID } from 'node:crypto';
import type { RespondFn, SlashCommand } from '@slack/bolt';
import type { Actor } from '../fleet/actor.ts';
import { slackActor } from './actor.ts';
import type { BotDeps } from './deps.ts';
import { errorText } from './errors.ts';
import type { Message } from './views/format.ts';

// How every slash command answers once it has acked: the answer in the channel or only to the asker, and any
// failure as one ephemeral sentence (AppError's own, saying what to do next).

export type Reply = { visibility: 'in_channel' | 'ephemeral'; message: Message } | undefined;

export const ephemeral = (message: Message): Reply => ({ visibility: 'ephemeral', message });
export const inChannel = (message: Message): Reply => ({ visibility: 'in_channel', message });

/** One sentence, no blocks: errors and "try this instead". */
export const sentence = (text: string): Message => ({ text, blocks: [] });

export async function answerCommand(
  deps: BotDeps,
  command: SlashCommand,
  respond: RespondFn,
  work: (actor: Actor) => Promise<Reply>,
): Promise<void> {
  let reply: Reply;
  try {
    const actor = await slackActor(deps.sql, command.user_id, randomUUID());
    reply = await work(actor);
  } catch (err) {
    const context = { command: command.command, user: command.user_id };
    reply = ephemeral(sentence(errorText(err, deps.logger, context)));
  }
  if (!reply) return;
  const { message } = reply;
  await respond({
    response_type: reply.visibility,
    text: message.text,
    ...(message.blocks.length > 0 ? { blocks: message.blocks } : {}),
  });
}
