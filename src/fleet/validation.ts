import { z } from 'zod';
import { AppError } from '../errors.ts';

// One way to turn zod's issues into the sentence a caller sees: every problem prefixed with the full path of
// the field it is about, so `{"error": {"message": ...}}` alone tells a client what to fix.

const MAX_ISSUES = 5;
// Messages that already name their own (relative) field, e.g. `radius_m: must be…` from a nested schema.
const SELF_NAMED = /^[A-Za-z_][\w.]*(?:\[\])*: /;

export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out ? `.${String(segment)}` : String(segment);
  }
  return out;
}

export function describeIssue(issue: z.core.$ZodIssue): string {
  const path = fieldPath(issue.path);
  const own = SELF_NAMED.exec(issue.message);
  const message = own ? issue.message.slice(own[0].length) : issue.message;
  if (path) return `${path}: ${message}`;
  return issue.message;
}

/** Parsed value, or WT_VALIDATION naming each bad field: `what` says what was being read ('geofence'). */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues;
  const described = issues.slice(0, MAX_ISSUES).map(describeIssue);
  const more = issues.length > MAX_ISSUES ? ` (and ${issues.length - MAX_ISSUES} more)` : '';
  throw new AppError('WT_VALIDATION', `Invalid ${what}: ${described.join('; ')}${more}`, {
    fields: issues.map((i) => fieldPath(i.path)),
  });
}

/** Error map for a strict object: an unknown field is named, with the ones expected. */
export const objectErrors = (fields: string) => (issue: z.core.$ZodRawIssue) => {
  if (issue.code === 'unrecognized_keys') return `unknown field ${issue.keys.join(', ')}; expected ${fields}`;
  if (issue.code === 'invalid_type') return 'expected a JSON object';
  return undefined;
};

/** Most rows one list call returns. */
export const MAX_PAGE = 500;

const pageError = `limit: expected a whole number from 1 to ${MAX_PAGE}`;
const offsetError = 'offset: expected a whole number from 0';

/** `limit` and `offset`, coerced: REST query strings and agent tools both land here. */
export const pageFields = {
  limit: z.coerce
    .number({ error: pageError })
    .int({ error: pageError })
    .min(1, { error: pageError })
    .max(MAX_PAGE, { error: pageError })
    .default(50),
  offset: z.coerce
    .number({ error: offsetError })
    .int({ error: offsetError })
    .min(0, { error: offsetError })
    .default(0),
};
