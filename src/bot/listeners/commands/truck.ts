import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { answerCommand, ephemeral, inChannel } from '../../command-reply.ts';
import type { BotDeps } from '../../deps.ts';
import { truckAnswer } from '../../truck-answer.ts';
import { helpMessage } from '../../views/help.ts';

/** `/truck KJA-123XY`: where it is, in the channel; `/truck` or `/truck help`: the help, to the asker. */
export const truckCommand =
  (deps: BotDeps) =>
  async ({ command, ack, respond }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    await ack();
    const arg = command.text.trim();
    await answerCommand(deps, command, respond, async (actor) => {
      if (arg === '' || /^help$/i.test(arg)) return ephemeral(helpMessage('/truck'));
      return inChannel(await truckAnswer(deps.sql, actor, arg, deps.now()));
    });
  };
