import type { Config } from '../config.ts';
import type { Sql } from '../db/client.ts';
import type { Logger } from '../log.ts';
import { FLEET_TOOLS } from '../tools/index.ts';
import { loadSystemPrompt } from '../tools/prompt.ts';
import { type Agent, createAgent } from './agent.ts';

/**
 * The agent as Watch Tower runs it (the process and `npm run chat`): the fleet's tools and the system prompt
 * from prompts/. Always built: without OPENAI_API_KEY it answers in limited mode (the router) and says so.
 */
export async function createFleetAgent(o: {
  sql: Sql;
  logger: Logger;
  openai: Config['openai'];
}): Promise<Agent> {
  return createAgent({ ...o, tools: FLEET_TOOLS, systemPrompt: await loadSystemPrompt() });
}
