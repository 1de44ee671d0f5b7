import { isAppError } from '../errors.ts';
import type { Logger } from '../log.ts';

// What a person in Slack reads when something fails: an AppError's own sentence (it already says what to do
// next), anything else one generic sentence, with the details only in our log.

export const UNEXPECTED =
  'Something went wrong on our side; try again in a minute, and tell the ops team if it keeps happening.';

export function errorText(err: unknown, logger: Logger, context: Record<string, unknown> = {}): string {
  if (isAppError(err)) return err.message;
  logger.error({ err, ...context }, 'slack handler failed');
  return UNEXPECTED;
}
