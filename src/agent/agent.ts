import { AIMessage, HumanMessage } from '@langchain/core/messages';
import { Command } from '@langchain/langgraph';
import type { Message } from '../bot/views/format.ts';
import { actorName } from '../bot/views/format.ts';
import {
  type Confirmation,
  decideConfirmation,
  getConfirmation,
  insertConfirmation,
  pendingConfirmation,
  setConfirmationMessage,
} from '../db/agent-confirmations.ts';
import type { Sql } from '../db/client.ts';
import { formatClock, LAGOS, localDate } from '../domain/time.ts';
import { AppError } from '../errors.ts';
import { type Actor, hasAtLeast } from '../fleet/actor.ts';
import type { Logger } from '../log.ts';
import type { FleetTool } from '../tools/types.ts';
import { PgCheckpointSaver } from './checkpointer.ts';
import {
  type AgentGraph,
  buildAgentGraph,
  type Decision,
  ModelUnavailableError,
  type ProposedWrite,
} from './graph.ts';
import { type LimitedReason, limitedAnswer, withLimitedNote } from './limited.ts';
import { createChatModel, type OpenAIConfig } from './model.ts';

// The agent as every interface uses it (Slack, REST, a console): ask in a thread, get an answer, a write
// waiting for a human, or a limited-mode answer from the router when OpenAI is missing, failing or slow.

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_CONFIRM_TTL_MS = 15 * 60_000;

export interface AgentOptions {
  sql: Sql;
  logger: Logger;
  openai: OpenAIConfig;
  tools: readonly FleetTool[];
  systemPrompt: string;
  /** Deadline of each model call before limited mode answers instead (default 10 s). */
  timeoutMs?: number;
  /** How long a write preview can be confirmed (default 15 minutes). */
  confirmTtlMs?: number;
  now?: () => Date;
}

export interface AskInput {
  /** `team:channel:thread_ts` (slackThreadId) or `api:client:id` (apiThreadId). */
  threadId: string;
  text: string;
  actor: Actor;
  /** Called with the answer so far while the model streams it. */
  onText?: (textSoFar: string) => void;
}

/** Previews a newer question turned down before anyone decided (their cards can say so). */
interface Superseded {
  superseded: Confirmation[];
}

export type AgentReply = Superseded &
  (
    | { kind: 'answer'; text: string }
    /** A write waits for a human: show `confirmation` with Confirm / Cancel. */
    | { kind: 'confirm'; text: string; confirmation: Confirmation }
    | { kind: 'limited'; reason: LimitedReason; message: Message }
  );

export interface DecideInput {
  confirmationId: string;
  actor: Actor;
  approve: boolean;
  onText?: (textSoFar: string) => void;
}

export type DecideOutcome =
  /** Decided now: `reply` is what the agent said after the write ran (or was cancelled). */
  | { kind: 'decided'; confirmation: Confirmation; reply: AgentReply }
  /** Too late: nothing changed. */
  | { kind: 'expired'; confirmation: Confirmation; text: string }
  /** Someone decided first (or a newer question superseded it). */
  | { kind: 'already'; confirmation: Confirmation };

export interface Agent {
  /** 'llm' with an OpenAI key, else every answer is the router's ('limited'). */
  readonly mode: 'llm' | 'limited';
  ask(input: AskInput): Promise<AgentReply>;
  /** Confirm or cancel a preview; only its asker or a dispatcher/admin may (WT_FORBIDDEN saying who can). */
  decide(input: DecideInput): Promise<DecideOutcome>;
  getConfirmation(id: string): Promise<Confirmation | undefined>;
  /** Where a preview's card was posted, so a later decision (or a newer question) can redraw it. */
  noteCard(confirmationId: string, where: { channel: string; ts: string }): Promise<void>;
}

/** The question as the model reads it: the Lagos date and time first, as the system prompt promises. */
export function stampedQuestion(text: string, now: Date): string {
  const weekday = new Intl.DateTimeFormat('en-GB', { weekday: 'long', timeZone: LAGOS }).format(now);
  return `[Now in Lagos: ${weekday} ${localDate(now, LAGOS)} ${formatClock(now, LAGOS)}]\n${text}`;
}

/** Who may decide a preview, as a sentence for whoever may not. */
export function whoCanDecide(c: Pick<Confirmation, 'askedBy'>, actor: Actor): string {
  return `Only ${actorName(c.askedBy)} (who asked) or a dispatcher or admin can confirm or cancel this; you are a ${actor.role}.`;
}

export function createAgent(opts: AgentOptions): Agent {
  const now = opts.now ?? (() => new Date());
  const log = opts.logger.child({ component: 'agent' });
  const ttl = opts.confirmTtlMs ?? DEFAULT_CONFIRM_TTL_MS;
  const graph: AgentGraph | undefined = opts.openai.apiKey
    ? buildAgentGraph(
        {
          sql: opts.sql,
          logger: log,
          model: createChatModel(opts.openai),
          tools: opts.tools,
          systemPrompt: opts.systemPrompt,
          timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
          now,
        },
        new PgCheckpointSaver(opts.sql),
      )
    : undefined;

  // One run at a time per thread: LangGraph checkpoints are a chain, and two runs would fork it.
  const running = new Map<string, Promise<unknown>>();
  function serially<T>(threadId: string, work: () => Promise<T>): Promise<T> {
    const before = running.get(threadId) ?? Promise.resolve();
    const next = before.catch(() => {}).then(work);
    running.set(threadId, next);
    const forget = () => {
      if (running.get(threadId) === next) running.delete(threadId);
    };
    next.then(forget, forget);
    return next;
  }

  const limited = async (
    input: Pick<AskInput, 'text' | 'actor'>,
    reason: LimitedReason,
    superseded: Confirmation[] = [],
  ) => ({
    kind: 'limited' as const,
    reason,
    message: await limitedAnswer({ sql: opts.sql, actor: input.actor, now: now() }, input.text, reason),
    superseded,
  });

  const configFor = (threadId: string, actor: Actor, onText?: (t: string) => void) => ({
    configurable: { thread_id: threadId, run: { actor, onText } },
  });

  async function pendingWrites(g: AgentGraph, threadId: string): Promise<ProposedWrite[]> {
    const state = await g.getState({ configurable: { thread_id: threadId } });
    return state.tasks.flatMap((t) => t.interrupts.map((i) => i.value as ProposedWrite));
  }

  /** Runs the graph (a question or a resume) and turns where it stopped into a reply. */
  async function run(
    g: AgentGraph,
    threadId: string,
    input: { messages: HumanMessage[] } | Command,
    actor: Actor,
    askedBy: string,
    onText: ((t: string) => void) | undefined,
    superseded: Confirmation[],
  ): Promise<AgentReply> {
    const result = await g.invoke(
      input as Parameters<AgentGraph['invoke']>[0],
      configFor(threadId, actor, onText),
    );
    const interrupts = (result as { __interrupt__?: { value: ProposedWrite }[] }).__interrupt__;
    const proposal = interrupts?.[0]?.value;
    if (proposal) {
      const confirmation = await insertConfirmation(opts.sql, {
        threadId,
        toolCallId: proposal.toolCallId,
        tool: proposal.tool,
        args: proposal.args,
        summary: proposal.summary,
        askedBy,
        expiresAt: new Date(now().getTime() + ttl),
      });
      return { kind: 'confirm', text: `Confirm? ${proposal.summary}`, confirmation, superseded };
    }
    const last = result.messages.at(-1);
    const text = last && AIMessage.isInstance(last) ? last.text.trim() : '';
    return { kind: 'answer', text: text || 'I have no answer to that; try asking another way.', superseded };
  }

  /** Turns down every write still waiting in the thread, so a new question starts from a whole history. */
  async function supersede(g: AgentGraph, threadId: string, actor: Actor): Promise<Confirmation[]> {
    const superseded: Confirmation[] = [];
    for (let i = 0; i < 10 && (await pendingWrites(g, threadId)).length > 0; i++) {
      const decision: Decision = { approved: false, reason: 'superseded' };
      await g.invoke(new Command({ resume: decision }), configFor(threadId, actor));
    }
    for (;;) {
      const pending = await pendingConfirmation(opts.sql, threadId);
      if (!pending) break;
      const decided = await decideConfirmation(opts.sql, pending.id, 'superseded', null);
      if (decided) superseded.push(decided);
    }
    return superseded;
  }

  const describeFailure = (err: unknown, threadId: string): LimitedReason => {
    const unavailable = findCause(err, ModelUnavailableError);
    const reason: LimitedReason = unavailable?.reason ?? 'error';
    const cause = unavailable?.cause ?? err;
    log.warn(
      { threadId, reason, error: cause instanceof Error ? cause.message : String(cause) },
      'agent fell back to limited mode',
    );
    return reason;
  };

  return {
    mode: graph ? 'llm' : 'limited',

    async ask(input) {
      const g = graph;
      if (!g) return limited(input, 'not_configured');
      return serially(input.threadId, async () => {
        let superseded: Confirmation[] = [];
        try {
          superseded = await supersede(g, input.threadId, input.actor);
          const question = { messages: [new HumanMessage(stampedQuestion(input.text, now()))] };
          return await run(
            g,
            input.threadId,
            question,
            input.actor,
            input.actor.principal,
            input.onText,
            superseded,
          );
        } catch (err) {
          return limited(input, describeFailure(err, input.threadId), superseded);
        }
      });
    },

    async decide(input) {
      const found = await getConfirmation(opts.sql, input.confirmationId);
      if (!found) {
        throw new AppError('WT_NOT_FOUND', 'That preview no longer exists; ask the assistant again.');
      }
      if (found.status !== 'pending') return { kind: 'already', confirmation: found };
      if (input.actor.principal !== found.askedBy && !hasAtLeast(input.actor, 'dispatcher')) {
        throw new AppError('WT_FORBIDDEN', whoCanDecide(found, input.actor), { needed: 'dispatcher' });
      }
      return serially(found.threadId, async (): Promise<DecideOutcome> => {
        const g = graph;
        const expired = now().getTime() >= found.expiresAt.getTime();
        const status = expired ? 'expired' : input.approve ? 'confirmed' : 'cancelled';
        const decided = await decideConfirmation(
          opts.sql,
          found.id,
          status,
          expired ? null : input.actor.principal,
        );
        if (!decided) {
          const current = (await getConfirmation(opts.sql, found.id)) ?? found;
          return { kind: 'already', confirmation: current };
        }
        const stillWaiting =
          g && (await pendingWrites(g, found.threadId)).some((p) => p.toolCallId === found.toolCallId);
        const decision: Decision = expired
          ? { approved: false, reason: 'expired' }
          : input.approve
            ? { approved: true, by: input.actor.principal, role: input.actor.role }
            : { approved: false, reason: 'cancelled', by: input.actor.principal };
        if (expired) {
          if (stillWaiting)
            await g.invoke(new Command({ resume: decision }), configFor(found.threadId, input.actor));
          return {
            kind: 'expired',
            confirmation: decided,
            text: `That preview expired, so nothing changed: ${found.summary}`,
          };
        }
        if (!g || !stillWaiting) {
          // The graph moved on (a restart without its checkpoint, or an old card): nothing can run from here.
          return { kind: 'already', confirmation: decided };
        }
        try {
          const reply = await run(
            g,
            found.threadId,
            new Command({ resume: decision }),
            input.actor,
            found.askedBy,
            input.onText,
            [],
          );
          return { kind: 'decided', confirmation: decided, reply };
        } catch (err) {
          const reason = describeFailure(err, found.threadId);
          return {
            kind: 'decided',
            confirmation: decided,
            reply: await afterFailedSummary(g, found, reason),
          };
        }
      });
    },

    getConfirmation: (id) => getConfirmation(opts.sql, id),

    noteCard: (id, where) => setConfirmationMessage(opts.sql, id, where.channel, where.ts),
  };

  /** The write ran (or not) but the model could not say so: tell the person from the tool's own result. */
  async function afterFailedSummary(
    g: AgentGraph,
    c: Confirmation,
    reason: LimitedReason,
  ): Promise<AgentReply> {
    const state = await g.getState({ configurable: { thread_id: c.threadId } });
    const messages = (state.values as { messages?: unknown[] }).messages ?? [];
    const output = messages
      .map((m) => m as { tool_call_id?: string; content?: unknown })
      .find((m) => m.tool_call_id === c.toolCallId);
    let text = `I could not check whether this was done: ${c.summary}`;
    if (typeof output?.content === 'string') {
      const result = JSON.parse(output.content) as { ok: boolean; error?: string };
      text = result.ok ? `Done: ${c.summary}` : `Not done: ${result.error ?? 'the change was refused'}`;
    }
    return {
      kind: 'limited',
      reason,
      message: withLimitedNote({ text, blocks: [] }, reason),
      superseded: [],
    };
  }
}

function findCause<T extends Error>(err: unknown, type: new (...args: never[]) => T): T | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof type) return e;
  }
  return undefined;
}
