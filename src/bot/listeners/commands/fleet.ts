import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { fleetSummaryData } from '../../../fleet/summary.ts';
import { answerCommand, ephemeral, inChannel, sentence } from '../../command-reply.ts';
import type { BotDeps } from '../../deps.ts';
import { fleetSummary } from '../../views/fleet-summary.ts';
import { helpMessage } from '../../views/help.ts';

/** `/fleet`: the fleet at a glance, in the channel. */
export const fleetCommand =
  (deps: BotDeps) =>
  async ({ command, ack, respond }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    await ack();
    const arg = command.text.trim();
    await answerCommand(deps, command, respond, async (actor) => {
      if (/^help$/i.test(arg)) return ephemeral(helpMessage('/fleet'));
      if (arg !== '')
        return ephemeral(sentence('`/fleet` takes no arguments; try `/fleet` or `/fleet help`.'));
      const now = deps.now();
      return inChannel(fleetSummary(await fleetSummaryData(deps.sql, actor, now), { now }));
    });
  };
