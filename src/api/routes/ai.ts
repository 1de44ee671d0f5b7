import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Agent, AgentReply } from '../../agent/agent.ts';
import { apiThreadId } from '../../agent/thread-id.ts';
import type { Confirmation } from '../../db/agent-confirmations.ts';
import { AppError } from '../../errors.ts';
import { objectErrors, parseOrThrow } from '../../fleet/validation.ts';
import { requestActor } from '../auth.ts';
import type { RouteDoc } from '../route-docs.ts';

// The agent for other tools: ask in words, in a thread of the caller's own (thread ids are per API client, so
// one client never continues another's conversation). A write is never done on the first call: the answer
// carries `pending` with a confirm id, and POST /api/v1/ai/confirm/{id} (by the asker, or a dispatcher or
// admin, within 15 minutes) runs it, or cancels it with {"approve": false}.

const THREAD_ID = /^[\w.:-]{1,100}$/;

export const aiQuerySchema = z.strictObject(
  {
    text: z
      .string({ error: 'text: expected the question as text' })
      .trim()
      .min(1, { error: 'text: expected the question as text' })
      .max(4000, { error: 'text: at most 4000 characters' })
      .meta({ description: 'The question, in the fleet’s own words: "where is KJA-123XY?"' }),
    thread_id: z
      .string()
      .regex(THREAD_ID, {
        error: 'thread_id: expected 1 to 100 letters, digits, dots, colons, dashes or underscores',
      })
      .optional()
      .meta({
        description: 'Continue a conversation: the thread_id an earlier answer returned. Omit to start one.',
      }),
  },
  { error: objectErrors('text, thread_id') },
);

export const aiConfirmSchema = z.strictObject(
  {
    approve: z
      .boolean({ error: 'approve: expected true (do it) or false (cancel it)' })
      .default(true)
      .meta({ description: 'true runs the pending write (the default); false cancels it.' }),
  },
  { error: objectErrors('approve') },
);

const confirmParams = z.strictObject({
  id: z.string().meta({ description: 'The confirm id from an answer’s `pending`.' }),
});

export const AI_ROUTE_DOCS: RouteDoc[] = [
  {
    method: 'POST',
    path: '/api/v1/ai/query',
    summary:
      'Ask the assistant in words; answers from the fleet through the same agent as Slack. Writes come back as `pending` with a confirm id; without OpenAI the command router answers (`limited: true`)',
    tag: 'ai',
    role: 'viewer',
    body: aiQuerySchema,
    success: {
      status: 200,
      description:
        '{ thread_id, answer, limited, limited_reason?, pending?: { confirm_id, tool, summary, expires_at } }',
    },
    errors: {
      400: 'text is missing or too long, or thread_id is malformed.',
      404: 'Limited mode only: the truck or trip asked about does not exist.',
    },
  },
  {
    method: 'POST',
    path: '/api/v1/ai/confirm/{id}',
    summary:
      'Run (or, with approve false, cancel) a write the assistant proposed; by its asker or a dispatcher or admin',
    tag: 'ai',
    role: 'viewer',
    params: confirmParams,
    body: aiConfirmSchema,
    success: { status: 200, description: '{ thread_id, status, answer, limited, pending? }' },
    errors: {
      400: 'approve is not a boolean.',
      403: 'Neither the asker nor a dispatcher or admin.',
      404: 'No such pending write for this client.',
      409: 'Already decided, or expired (nothing changed).',
    },
  },
];

function renderReply(threadId: string, reply: AgentReply) {
  const pending = (c: Confirmation) => ({
    confirm_id: c.id,
    tool: c.tool,
    args: c.args,
    summary: c.summary,
    expires_at: c.expiresAt.toISOString(),
  });
  const id = threadId.split(':').slice(2).join(':');
  switch (reply.kind) {
    case 'answer':
      return { thread_id: id, answer: reply.text, limited: false };
    case 'confirm':
      return { thread_id: id, answer: reply.text, limited: false, pending: pending(reply.confirmation) };
    case 'limited':
      return { thread_id: id, answer: reply.message.text, limited: true, limited_reason: reply.reason };
  }
}

export function aiRoutes(deps: { agent: Agent }) {
  const { agent } = deps;
  return async (app: FastifyInstance) => {
    app.post('/api/v1/ai/query', async (req) => {
      const actor = requestActor(req);
      const body = parseOrThrow(aiQuerySchema, req.body ?? {}, 'question');
      const threadId = apiThreadId(actor.principal, body.thread_id ?? randomUUID());
      return renderReply(threadId, await agent.ask({ threadId, text: body.text, actor }));
    });

    app.post<{ Params: { id: string } }>('/api/v1/ai/confirm/:id', async (req) => {
      const actor = requestActor(req);
      const body = parseOrThrow(aiConfirmSchema, req.body ?? {}, 'confirmation');
      const notFound = new AppError(
        'WT_NOT_FOUND',
        `No pending write ${req.params.id}: ask again with POST /api/v1/ai/query.`,
      );
      if (!z.uuid().safeParse(req.params.id).success) throw notFound;
      const found = await agent.getConfirmation(req.params.id);
      // Only previews from this client's own API threads: Slack's are confirmed on their cards.
      if (!found?.threadId.startsWith(apiThreadId(actor.principal, ''))) throw notFound;
      const outcome = await agent.decide({ confirmationId: found.id, actor, approve: body.approve });
      if (outcome.kind === 'expired') {
        throw new AppError(
          'WT_CONFLICT',
          `This write expired at ${found.expiresAt.toISOString()}; nothing changed. Ask again.`,
        );
      }
      if (outcome.kind === 'already') {
        const by = outcome.confirmation.decidedBy ? ` by ${outcome.confirmation.decidedBy}` : '';
        throw new AppError(
          'WT_CONFLICT',
          `This write was already ${outcome.confirmation.status}${by}; nothing more was done.`,
        );
      }
      return { ...renderReply(found.threadId, outcome.reply), status: outcome.confirmation.status };
    });
  };
}
