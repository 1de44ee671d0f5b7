import type { z } from 'zod';
import type { Sql } from '../db/client.ts';
import type { Actor } from '../fleet/actor.ts';

// The contract between the agent and its tools: one typed tool per file in src/tools, each a thin wrapper
// over src/fleet. The agent turns `input` into the model's JSON schema, validates what the model sends with
// it, and hands `run` an actor (the Slack user or API client asking) so every use case checks their role.

export interface ToolContext {
  sql: Sql;
  actor: Actor;
  /** The clock answers are computed against (tests pin it). */
  now: Date;
}

/** What goes back to the model: compact JSON it can read, or a message about what was wrong and what to try. */
export type ToolResult = { ok: true; data: unknown } | { ok: false; error: string; hint?: string };

export interface FleetTool<I extends z.ZodType = z.ZodType> {
  /** snake_case, as the model calls it: `get_truck_location`. */
  name: string;
  /** For the model: when to use it, in one or two sentences. */
  description: string;
  input: I;
  /** Changes the fleet (create, update, cancel): the agent asks a human before running it. */
  writes: boolean;
  run(args: z.infer<I>, ctx: ToolContext): Promise<ToolResult>;
  /** For writes: the confirm card's one-line summary of what would happen. */
  preview?(args: z.infer<I>, ctx: ToolContext): Promise<string>;
}
