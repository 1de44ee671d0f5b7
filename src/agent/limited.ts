import { answer, parseIntent } from '../bot/router.ts';
import { context, type Message } from '../bot/views/format.ts';
import type { Sql } from '../db/client.ts';
import type { Actor } from '../fleet/actor.ts';

// Limited mode: without OpenAI (no key, an error, or no answer in time) the deterministic router answers, and
// the answer says plainly that the assistant is in limited mode and why.

export type LimitedReason = 'not_configured' | 'timeout' | 'error';

const WHY: Record<LimitedReason, string> = {
  not_configured: 'no OpenAI key is configured',
  timeout: 'the AI service did not answer in time',
  error: 'the AI service is not answering right now',
};

export function limitedNote(reason: LimitedReason): string {
  return `The assistant is in limited mode (${WHY[reason]}): I answer where a truck is, trucks near or at a place, trips, the fleet and reports; trips are changed with \`/trip\`.`;
}

/** The router's answer with the limited-mode note; an AppError (unknown truck…) is thrown as the router throws it. */
export async function limitedAnswer(
  ctx: { sql: Sql; actor: Actor; now: Date },
  text: string,
  reason: LimitedReason,
): Promise<Message> {
  const message = await answer(parseIntent(text, ctx.now), ctx);
  return withLimitedNote(message, reason);
}

export function withLimitedNote(message: Message, reason: LimitedReason): Message {
  const note = limitedNote(reason);
  return { text: `${message.text}\n_${note}_`, blocks: [...message.blocks, context(`:warning: ${note}`)] };
}
