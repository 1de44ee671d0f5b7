import { randomUUID } from 'node:crypto';
import { formatClock } from '../../../domain/time.ts';
import { slackActor } from '../../actor.ts';
import { showReply, ThreadReply } from '../../conversation.ts';
import type { BotDeps } from '../../deps.ts';
import { errorText } from '../../errors.ts';
import { AGENT_CONFIRM_ACTION, agentPreview } from '../../views/agent-preview.ts';
import { actorName } from '../../views/format.ts';
import { type ButtonArgs, readClick } from './click.ts';

// Confirm / Cancel on an agent's preview card: the agent checks who may decide (the asker, a dispatcher or an
// admin) and whether it expired; the card is redrawn with the decision, and what the agent says next is
// posted in the thread. Refusals go to the clicker alone.

type Args = ButtonArgs;

const STATUS_WORD = {
  confirmed: 'confirmed',
  cancelled: 'cancelled',
  expired: 'expired',
  superseded: 'turned down by a newer question',
  pending: 'waiting',
} as const;

export const agentConfirmAction =
  (deps: BotDeps) =>
  async ({ ack, body, action, client }: Args): Promise<void> => {
    await ack();
    const { user, channel, card, tellClicker } = readClick({ body, client });
    const approve = AGENT_CONFIRM_ACTION.exec(action.action_id)?.[1] === 'yes';
    if (!deps.agent) {
      await tellClicker(
        'The assistant is off, so this preview can no longer be confirmed; use `/trip` instead.',
      );
      return;
    }
    const actor = await slackActor(deps.sql, user, randomUUID());
    let outcome: Awaited<ReturnType<NonNullable<BotDeps['agent']>['decide']>>;
    try {
      outcome = await deps.agent.decide({ confirmationId: action.value ?? '', actor, approve });
    } catch (err) {
      await tellClicker(errorText(err, deps.logger, { action: action.action_id, user }));
      return;
    }
    const redraw = async () => {
      if (!channel || !card) return;
      await client.chat
        .update({ channel, ts: card.ts, ...agentPreview(outcome.confirmation) })
        .catch((err: unknown) => deps.logger.warn({ err }, 'could not redraw an agent preview'));
    };
    if (outcome.kind === 'already') {
      const c = outcome.confirmation;
      const by = c.decidedBy ? ` by ${actorName(c.decidedBy)}` : '';
      await tellClicker(`This preview was already ${STATUS_WORD[c.status]}${by}; nothing more was done.`);
      await redraw();
      return;
    }
    if (outcome.kind === 'expired') {
      await redraw();
      await tellClicker(
        `This preview expired at ${formatClock(outcome.confirmation.expiresAt)}, so nothing changed; ask again if you still want it.`,
      );
      return;
    }
    await redraw();
    if (!channel) return;
    const thread = card?.threadTs ?? card?.ts;
    if (!thread) return;
    const reply = new ThreadReply(client, channel, thread, 0);
    await showReply(deps, client, reply, outcome.reply);
  };
