import { HumanMessage, SystemMessage } from '@langchain/core/messages';
import type { Config } from '../config.ts';
import type { Predictor } from '../eval/golden.ts';
import { FLEET_TOOLS } from '../tools/index.ts';
import { loadSystemPrompt } from '../tools/prompt.ts';
import type { FleetTool } from '../tools/types.ts';
import { stampedQuestion } from './agent.ts';
import { createChatModel, toolDefinitions } from './model.ts';

// The golden-set eval's view of the agent: the model is asked once, as the agent asks it (same system prompt,
// same tools, same Lagos time stamp), and the first tool call it makes is reported. Nothing runs, so a write
// is only a prediction.

export interface PredictorOptions {
  systemPrompt?: string;
  tools?: readonly FleetTool[];
  now?: () => Date;
  /** Deadline of one question (default 30 s: the eval waits rather than scoring a slow answer wrong). */
  timeoutMs?: number;
}

export function agentPredictor(config: Pick<Config, 'openai'>, opts: PredictorOptions = {}): Predictor {
  const model = createChatModel(config.openai).bindTools(toolDefinitions(opts.tools ?? FLEET_TOOLS));
  let prompt: Promise<string> | undefined = opts.systemPrompt
    ? Promise.resolve(opts.systemPrompt)
    : undefined;
  const now = opts.now ?? (() => new Date());
  return async (question) => {
    prompt ??= loadSystemPrompt();
    const ai = await model.invoke(
      [new SystemMessage(await prompt), new HumanMessage(stampedQuestion(question, now()))],
      { signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000) },
    );
    const call = ai.tool_calls?.[0];
    return call ? { tool: call.name, args: call.args } : { tool: null, args: {} };
  };
}
