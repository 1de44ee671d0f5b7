import type { ActionsBlock, KnownBlock } from '@slack/types';
import { formatClock } from '../../domain/time.ts';
import { actorName, context, esc, type Message, mrkdwn, plain, truncate } from './format.ts';

// The card an agent's proposed write waits on: what would happen, who asked, until when it can be
// confirmed, and Confirm / Cancel. Once decided the card is redrawn without buttons, saying who decided.
// Pure: the caller passes the confirmation as stored. The summary quotes what people typed (cargo, client),
// so it is escaped in the text too, where Slack would otherwise read `<!channel>` as a ping.

export const AGENT_CONFIRM_ACTION_PREFIX = 'agent_confirm';
/** Both buttons: `agent_confirm:yes` and `agent_confirm:no`, the confirmation id as their value. */
export const AGENT_CONFIRM_ACTION = /^agent_confirm:(yes|no)$/;

export interface PreviewConfirmation {
  id: string;
  tool: string;
  summary: string;
  askedBy: string;
  status: 'pending' | 'confirmed' | 'cancelled' | 'expired' | 'superseded';
  decidedBy: string | null;
  expiresAt: Date;
}

const TOOL_TITLE: Record<string, string> = {
  create_trip: 'Plan a trip',
  update_trip_status: 'Change a trip’s status',
  cancel_trip: 'Cancel a trip',
};

const title = (tool: string) => TOOL_TITLE[tool] ?? tool.replaceAll('_', ' ');

/** The pending card (with buttons) or, once decided, the record of what happened. */
export function agentPreview(c: PreviewConfirmation): Message {
  const what = esc(c.summary);
  const until = formatClock(c.expiresAt);
  if (c.status === 'pending') {
    const actions: ActionsBlock = {
      type: 'actions',
      block_id: `agent_confirm:${c.id}`,
      elements: [
        {
          type: 'button',
          action_id: `${AGENT_CONFIRM_ACTION_PREFIX}:yes`,
          text: plain('Confirm'),
          value: c.id,
          style: 'primary',
          accessibility_label: truncate(`Confirm: ${c.summary}`, 75),
        },
        {
          type: 'button',
          action_id: `${AGENT_CONFIRM_ACTION_PREFIX}:no`,
          text: plain('Cancel'),
          value: c.id,
          accessibility_label: truncate(
            `Cancel, do not ${c.summary.charAt(0).toLowerCase()}${c.summary.slice(1)}`,
            75,
          ),
        },
      ],
    };
    const blocks: KnownBlock[] = [
      { type: 'section', text: mrkdwn(`*${title(c.tool)}?*\n${what}`) },
      actions,
      context(`Asked by ${actorName(c.askedBy)} · only they or a dispatcher can confirm · expires ${until}`),
    ];
    return { text: `Confirm? ${what} (asked by ${actorName(c.askedBy)}; expires ${until})`, blocks };
  }
  const outcome = decidedLine(c);
  return {
    text: `${outcome.plain}: ${what}`,
    blocks: [
      { type: 'section', text: mrkdwn(`*${title(c.tool)}*: ${outcome.mrkdwn}\n${what}`) },
      context(`Asked by ${actorName(c.askedBy)}`),
    ],
  };
}

function decidedLine(c: PreviewConfirmation): { plain: string; mrkdwn: string } {
  const by = c.decidedBy ? actorName(c.decidedBy) : '';
  switch (c.status) {
    case 'confirmed':
      return { plain: `Confirmed by ${by}`, mrkdwn: `:white_check_mark: confirmed by ${by}` };
    case 'cancelled':
      return {
        plain: `Cancelled by ${by}; nothing changed`,
        mrkdwn: `:x: cancelled by ${by}; nothing changed`,
      };
    case 'expired':
      return { plain: 'Expired; nothing changed', mrkdwn: ':hourglass: expired; nothing changed' };
    default:
      return {
        plain: 'Not done: a newer question came first',
        mrkdwn: ':leftwards_arrow_with_hook: not done: a newer question came first',
      };
  }
}
