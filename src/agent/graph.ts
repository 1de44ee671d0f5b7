import {
  AIMessage,
  type AIMessageChunk,
  type BaseMessage,
  SystemMessage,
  ToolMessage,
} from '@langchain/core/messages';
import {
  Annotation,
  type BaseCheckpointSaver,
  END,
  interrupt,
  type LangGraphRunnableConfig,
  MessagesAnnotation,
  START,
  StateGraph,
} from '@langchain/langgraph';
import type { ChatOpenAI } from '@langchain/openai';
import type { Sql } from '../db/client.ts';
import { insertEvents, type NewEvent } from '../db/events.ts';
import type { Actor, UserRole } from '../fleet/actor.ts';
import type { Logger } from '../log.ts';
import { callTool, previewTool } from '../tools/result.ts';
import type { FleetTool, ToolResult } from '../tools/types.ts';
import { toolDefinitions } from './model.ts';

// The agent's graph: model → (confirm →) tools → model … until the model answers in words.
//
//  - `model` asks OpenAI with the system prompt, the thread's messages and the tool schemas.
//  - `confirm` runs only when the model wants a write (writes: true): it interrupts the graph with a preview
//    of each write and waits for a human's decision (Command({ resume })). It has no side effects, so
//    LangGraph may re-run it on resume.
//  - `tools` runs every call once: reads as the asker, confirmed writes as the person who confirmed, and
//    records an `agent.tool_call` event per call. Errors go back to the model as results it can act on.
//  - `declined` ends the turn without the model when every write was cancelled, expired or superseded.

/** What a write preview asks a human about. */
export interface ProposedWrite {
  toolCallId: string;
  tool: string;
  args: Record<string, unknown>;
  summary: string;
}

export type DeclineReason = 'cancelled' | 'expired' | 'superseded';

/** The human's answer to a ProposedWrite, the value a Command resumes the graph with. */
export type Decision =
  | { approved: true; by: string; role: UserRole }
  | { approved: false; reason: DeclineReason; by?: string };

type RecordedDecision =
  | (Decision & { summary: string })
  | { approved: false; reason: 'invalid'; error: ToolResult };

/** Per run, passed as `configurable.run`: who asks, and where streamed text goes. */
export interface RunContext {
  actor: Actor;
  /** Called with the answer so far as the model streams it. */
  onText?: (textSoFar: string) => void;
}

/** OpenAI failed or missed the deadline: the caller answers in limited mode instead. */
export class ModelUnavailableError extends Error {
  constructor(
    readonly reason: 'timeout' | 'error',
    cause: unknown,
  ) {
    super(reason === 'timeout' ? 'the model did not answer in time' : 'the model call failed', { cause });
    this.name = 'ModelUnavailableError';
  }
}

export interface GraphDeps {
  sql: Sql;
  logger: Logger;
  model: ChatOpenAI;
  tools: readonly FleetTool[];
  systemPrompt: string;
  /** Deadline of one model call. */
  timeoutMs: number;
  now: () => Date;
}

const AgentState = Annotation.Root({
  ...MessagesAnnotation.spec,
  decisions: Annotation<Record<string, RecordedDecision>>({
    reducer: (a, b) => ({ ...a, ...b }),
    default: () => ({}),
  }),
});
type State = typeof AgentState.State;

export const DECLINED_TEXT: Record<DeclineReason, (summary: string) => string> = {
  cancelled: (s) => `Cancelled; nothing changed. (${s})`,
  expired: (s) => `That preview expired, so nothing changed. Ask again if you still want it. (${s})`,
  superseded: (s) => `Not done: a newer question came in before anyone confirmed. (${s})`,
};

function runContext(config: LangGraphRunnableConfig): RunContext {
  const run = config.configurable?.run as RunContext | undefined;
  if (!run?.actor) throw new Error('agent graph run without configurable.run.actor');
  return run;
}

const lastAi = (state: State): AIMessage | undefined => {
  const last = state.messages.at(-1);
  return last && AIMessage.isInstance(last) ? last : undefined;
};

export function buildAgentGraph(deps: GraphDeps, checkpointer: BaseCheckpointSaver) {
  const byName = new Map(deps.tools.map((t) => [t.name, t]));
  const bound = deps.model.bindTools(toolDefinitions(deps.tools));
  const log = deps.logger;

  async function callModel(messages: BaseMessage[], run: RunContext): Promise<AIMessage> {
    const signal = AbortSignal.timeout(deps.timeoutMs);
    try {
      if (!run.onText) return (await bound.invoke(messages, { signal })) as AIMessage;
      let full: AIMessageChunk | undefined;
      for await (const chunk of await bound.stream(messages, { signal })) {
        full = full ? full.concat(chunk) : chunk;
        if (chunk.text) run.onText(full.text);
      }
      if (!full) throw new Error('the model stream ended without a message');
      return new AIMessage({
        id: full.id,
        content: full.content,
        tool_calls: full.tool_calls,
        invalid_tool_calls: full.invalid_tool_calls,
        additional_kwargs: full.additional_kwargs,
        response_metadata: full.response_metadata,
        usage_metadata: full.usage_metadata,
      });
    } catch (err) {
      throw new ModelUnavailableError(signal.aborted ? 'timeout' : 'error', err);
    }
  }

  const model = async (state: State, config: LangGraphRunnableConfig) => {
    const run = runContext(config);
    const ai = await callModel([new SystemMessage(deps.systemPrompt), ...state.messages], run);
    return { messages: [ai] };
  };

  // Decides every write the model asked for: an invalid one is refused here (no human is asked about a
  // call that could not run), a valid one waits for a person.
  const confirm = async (state: State, config: LangGraphRunnableConfig) => {
    const run = runContext(config);
    const ctx = { sql: deps.sql, actor: run.actor, now: deps.now() };
    const decisions: Record<string, RecordedDecision> = {};
    for (const call of lastAi(state)?.tool_calls ?? []) {
      const tool = byName.get(call.name);
      if (!tool?.writes || !call.id) continue;
      const preview = await previewTool(tool, call.args, ctx);
      if (!preview.ok) {
        decisions[call.id] = { approved: false, reason: 'invalid', error: preview };
        continue;
      }
      const proposal: ProposedWrite = {
        toolCallId: call.id,
        tool: tool.name,
        args: call.args,
        summary: preview.preview,
      };
      const decision = interrupt<ProposedWrite, Decision>(proposal);
      decisions[call.id] = { ...decision, summary: proposal.summary };
    }
    return { decisions };
  };

  const tools = async (state: State, config: LangGraphRunnableConfig) => {
    const run = runContext(config);
    const threadId = String(config.configurable?.thread_id ?? '');
    const messages: ToolMessage[] = [];
    const events: (NewEvent & { payload: { tool: string } })[] = [];
    for (const call of lastAi(state)?.tool_calls ?? []) {
      const id = call.id ?? '';
      const tool = byName.get(call.name);
      const started = performance.now();
      let result: ToolResult;
      let actor = run.actor;
      const decision = state.decisions[id];
      if (!tool) {
        result = {
          ok: false,
          error: `There is no tool named ${call.name}.`,
          hint: `Use one of: ${[...byName.keys()].join(', ')}.`,
        };
      } else if (tool.writes && decision?.approved !== true) {
        result =
          decision?.reason === 'invalid'
            ? decision.error
            : { ok: false, error: `Not done: the write was ${decision?.reason ?? 'not confirmed'}.` };
      } else {
        if (decision?.approved) actor = { ...run.actor, principal: decision.by, role: decision.role };
        result = await callTool(tool, call.args, { sql: deps.sql, actor, now: deps.now() }, { log });
      }
      const declined = tool?.writes && decision && !decision.approved && decision.reason !== 'invalid';
      const outcome = result.ok ? 'ok' : declined ? 'declined' : 'error';
      const content = JSON.stringify(result);
      messages.push(new ToolMessage({ tool_call_id: id, name: call.name, content }));
      events.push({
        type: 'agent.tool_call',
        entityType: 'agent_thread',
        entityId: threadId,
        actor: run.actor.principal,
        correlationId: run.actor.correlationId ?? null,
        payload: {
          tool: call.name,
          args: call.args,
          outcome,
          result_bytes: Buffer.byteLength(content),
          latency_ms: Math.round(performance.now() - started),
          ...(tool?.writes ? { confirmed_by: decision?.approved ? decision.by : null } : {}),
        },
      });
    }
    await insertEvents(deps.sql, events).catch((err: unknown) => {
      // The answer matters more than its audit line; the log keeps what was lost.
      log.error(
        { err, threadId, tools: events.map((e) => e.payload.tool) },
        'could not record agent tool calls',
      );
    });
    return { messages };
  };

  // Every write in this step was turned down by a person (or time): say so without another model call.
  const declined = async (state: State) => {
    const lines = (lastAi(stateBeforeTools(state))?.tool_calls ?? []).flatMap((call) => {
      const d = call.id ? state.decisions[call.id] : undefined;
      return d && !d.approved && d.reason !== 'invalid' ? [DECLINED_TEXT[d.reason](d.summary)] : [];
    });
    return { messages: [new AIMessage(lines.join('\n'))] };
  };

  const afterModel = (state: State) => {
    const calls = lastAi(state)?.tool_calls ?? [];
    if (calls.length === 0) return END;
    return calls.some((c) => byName.get(c.name)?.writes) ? 'confirm' : 'tools';
  };

  const afterTools = (state: State) => {
    const calls = lastAi(stateBeforeTools(state))?.tool_calls ?? [];
    const allDeclined =
      calls.length > 0 &&
      calls.every((c) => {
        const d = c.id ? state.decisions[c.id] : undefined;
        return d !== undefined && !d.approved && d.reason !== 'invalid';
      });
    return allDeclined ? 'declined' : 'model';
  };

  return new StateGraph(AgentState)
    .addNode('model', model)
    .addNode('confirm', confirm)
    .addNode('tools', tools)
    .addNode('declined', declined)
    .addEdge(START, 'model')
    .addConditionalEdges('model', afterModel, ['confirm', 'tools', END])
    .addEdge('confirm', 'tools')
    .addConditionalEdges('tools', afterTools, ['model', 'declined'])
    .addEdge('declined', END)
    .compile({ checkpointer });
}

/** The state as it was before the trailing tool results: the AI message whose calls they answer is last. */
function stateBeforeTools(state: State): State {
  let end = state.messages.length;
  while (end > 0 && ToolMessage.isInstance(state.messages[end - 1]!)) end -= 1;
  return { ...state, messages: state.messages.slice(0, end) };
}

export type AgentGraph = ReturnType<typeof buildAgentGraph>;
