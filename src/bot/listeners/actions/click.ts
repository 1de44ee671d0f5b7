import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';

// What every button handler first reads from a click: who clicked, where, which message the button is on,
// and a way to answer the clicker alone (in the card's thread when it is in one).

export type ButtonArgs = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;

export interface Click {
  user: string;
  channel: string | undefined;
  /** The message the button is on. */
  card: { ts: string; threadTs: string | undefined } | undefined;
  tellClicker(text: string): Promise<void>;
}

export function readClick({ body, client }: Pick<ButtonArgs, 'body' | 'client'>): Click {
  const user = body.user.id;
  const channel = body.channel?.id;
  const card = body.message
    ? { ts: body.message.ts, threadTs: body.message.thread_ts as string | undefined }
    : undefined;
  return {
    user,
    channel,
    card,
    async tellClicker(text) {
      if (!channel) return;
      await client.chat.postEphemeral({ channel, user, text, thread_ts: card?.threadTs });
    },
  };
}
