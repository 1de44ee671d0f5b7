import type { z } from 'zod';
import { isAppError } from '../errors.ts';
import { describeIssue, findUnstorableText, UNSTORABLE_TEXT_MESSAGE } from '../fleet/validation.ts';
import type { Logger } from '../log.ts';
import type { FleetTool, ToolContext, ToolResult } from './types.ts';

// The one way a tool call turns into what the model reads: arguments checked by the tool's zod schema, then
// the use case; an AppError becomes a sentence the model can act on, anything else a generic failure (its
// details go to the log, never to the model).

export const ok = (data: unknown): ToolResult => ({ ok: true, data });

export type ToolFailure = Extract<ToolResult, { ok: false }>;

const HINTS: Partial<Record<string, string>> = {
  WT_TRUCK_NOT_FOUND: 'Ask the user which truck they meant; never guess a truck number.',
  WT_TRIP_NOT_FOUND: 'Ask the user for the trip number (TRP-000042), or look it up with list_trips.',
  WT_GEOFENCE_NOT_FOUND: 'Call list_geofences to see the places the fleet knows, then ask the user.',
  WT_FORBIDDEN: 'Tell the user they lack the role for this; do not retry.',
  WT_VALIDATION: 'Fix the arguments named in the error and call the tool again.',
  WT_TRIP_TRANSITION: 'Tell the user which statuses are allowed next; do not skip steps.',
  WT_VERSION_CONFLICT: 'Someone else changed it: read it again with get_trip_status before retrying.',
  WT_TRUCK_BUSY: 'Tell the user the truck is on another trip; suggest another truck or ending that trip.',
};

/** An error as the model sees it: the use case's sentence and what to do next. */
export function toolError(err: unknown): ToolFailure | undefined {
  if (!isAppError(err)) return undefined;
  const suggestions = err.details?.suggestions;
  if (err.code === 'WT_TRUCK_NOT_FOUND' && Array.isArray(suggestions) && suggestions.length > 0) {
    return {
      ok: false,
      error: err.message,
      hint: `Close matches: ${suggestions.join(', ')}. Ask the user if they meant one of these; do not pick one yourself.`,
    };
  }
  const hint = typeof err.details?.hint === 'string' ? err.details.hint : HINTS[err.code];
  return hint ? { ok: false, error: err.message, hint } : { ok: false, error: err.message };
}

/** A sentence naming each argument zod refused, e.g. `Invalid arguments for get_truck_location: truck: …`. */
export function argumentError(toolName: string, error: z.ZodError): ToolFailure {
  const issues = error.issues.slice(0, 5).map(describeIssue);
  return {
    ok: false,
    error: `Invalid arguments for ${toolName}: ${issues.join('; ')}`,
    hint: 'Fix the arguments named and call the tool again; ask the user for anything you do not know.',
  };
}

/** Arguments PostgreSQL could not keep as sent (NUL, unpaired surrogates), refused before any use case runs. */
function unstorableArgument(toolName: string, args: unknown): ToolFailure | undefined {
  const where = findUnstorableText(args);
  if (!where) return undefined;
  return {
    ok: false,
    error: `Invalid arguments for ${toolName}: ${where}: ${UNSTORABLE_TEXT_MESSAGE}`,
    hint: 'Fix the arguments named and call the tool again; ask the user for anything you do not know.',
  };
}

export interface CallOptions {
  log?: Pick<Logger, 'error'>;
}

/** Validates `args` with the tool's schema and runs it; never throws for bad input or a refused use case. */
export async function callTool(
  tool: FleetTool,
  args: unknown,
  ctx: ToolContext,
  opts: CallOptions = {},
): Promise<ToolResult> {
  const unstorable = unstorableArgument(tool.name, args);
  if (unstorable) return unstorable;
  const parsed = tool.input.safeParse(args ?? {});
  if (!parsed.success) return argumentError(tool.name, parsed.error);
  try {
    return await tool.run(parsed.data, ctx);
  } catch (err) {
    const known = toolError(err);
    if (known) return known;
    opts.log?.error({ err, tool: tool.name }, 'tool failed');
    return {
      ok: false,
      error: `${tool.name} failed on our side.`,
      hint: 'Tell the user the lookup failed and to try again shortly; do not make up an answer.',
    };
  }
}

/** The preview sentence for a write, from validated arguments; a bad argument comes back as the error. */
export async function previewTool(
  tool: FleetTool,
  args: unknown,
  ctx: ToolContext,
): Promise<{ ok: true; preview: string } | ToolFailure> {
  const unstorable = unstorableArgument(tool.name, args);
  if (unstorable) return unstorable;
  const parsed = tool.input.safeParse(args ?? {});
  if (!parsed.success) return argumentError(tool.name, parsed.error);
  if (!tool.preview) return { ok: true, preview: `Run ${tool.name}` };
  try {
    return { ok: true, preview: await tool.preview(parsed.data, ctx) };
  } catch (err) {
    const known = toolError(err);
    if (known) return known;
    throw err;
  }
}
