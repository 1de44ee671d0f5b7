import { ChatOpenAI } from '@langchain/openai';
import { z } from 'zod';
import type { Config } from '../config.ts';
import type { FleetTool } from '../tools/types.ts';

// The model: OpenAI's Responses API through ChatOpenAI, with the fleet tools described as JSON schemas made
// from the same zod schemas the tools validate with.

export type OpenAIConfig = Config['openai'];

/** A ChatOpenAI on the Responses API; throws when there is no key (callers check first: limited mode). */
export function createChatModel(openai: OpenAIConfig): ChatOpenAI {
  if (!openai.apiKey) throw new Error('OPENAI_API_KEY is not set');
  return new ChatOpenAI({
    model: openai.model,
    apiKey: openai.apiKey,
    useResponsesApi: true,
    // The agent's own deadline (an abort signal per call) decides when to give up; one retry covers a blip.
    maxRetries: 1,
    ...(openai.baseUrl ? { configuration: { baseURL: openai.baseUrl } } : {}),
  });
}

export interface ToolDefinition {
  type: 'function';
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

/** The tools as the model is told about them: name, when to use it, and the JSON schema of its arguments. */
export function toolDefinitions(tools: readonly FleetTool[]): ToolDefinition[] {
  return tools.map((tool) => {
    const { $schema: _ignored, ...parameters } = z.toJSONSchema(tool.input, {
      io: 'input',
      unrepresentable: 'any',
    }) as Record<string, unknown>;
    return { type: 'function', function: { name: tool.name, description: tool.description, parameters } };
  });
}
