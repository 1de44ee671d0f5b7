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

/**
 * Text PostgreSQL cannot keep as sent: NUL, which `text` and `jsonb` refuse outright (a 500 had it got that far),
 * and an unpaired UTF-16 surrogate, which would be stored silently as U+FFFD.
 */
export const UNSTORABLE_TEXT =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is what it is for.
  /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export const UNSTORABLE_TEXT_MESSAGE = 'text must not contain NUL characters or unpaired surrogates';

/**
 * False for a key no row can be named by (see UNSTORABLE_TEXT): a lookup answers "not found" for it without
 * asking PostgreSQL, which would fail the query instead.
 */
export const isStorableText = (s: string): boolean => !UNSTORABLE_TEXT.test(s);

interface Visit {
  value: unknown;
  parent: Visit | undefined;
  key: string | number | undefined;
}

function pathOf(visit: Visit): string {
  const keys: (string | number)[] = [];
  for (let v: Visit | undefined = visit; v?.key !== undefined; v = v.parent) keys.push(v.key);
  return fieldPath(keys.reverse());
}

/**
 * Where in `value` the first string (or object key) PostgreSQL cannot keep is, e.g. `body.company`; undefined
 * when there is none. Walks without recursion, so a body nested 100,000 arrays deep cannot overflow the stack.
 */
export function findUnstorableText(value: unknown): string | undefined {
  const stack: Visit[] = [{ value, parent: undefined, key: undefined }];
  while (stack.length > 0) {
    const visit = stack.pop()!;
    const v = visit.value;
    if (typeof v === 'string') {
      if (UNSTORABLE_TEXT.test(v)) return pathOf(visit) || 'value';
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], parent: visit, key: i });
    } else if (typeof v === 'object' && v !== null && !ArrayBuffer.isView(v)) {
      for (const [key, child] of Object.entries(v)) {
        const visitChild = { value: child, parent: visit, key };
        if (UNSTORABLE_TEXT.test(key)) return pathOf(visitChild);
        stack.push(visitChild);
      }
    }
  }
  return undefined;
}
