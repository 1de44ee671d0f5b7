import { type Logger as BoltLogger, LogLevel } from '@slack/bolt';
import type { Logger } from '../log.ts';

// Bolt and its socket-mode client log through this: warnings and errors reach our pino logger (with its
// redaction of tokens); their info and debug chatter (every envelope, every ping) is dropped.

export function boltLogger(logger: Logger): BoltLogger {
  const child = logger.child({ component: 'slack' });
  const line = (msg: unknown[]) => msg.map((m) => (typeof m === 'string' ? m : safeJson(m))).join(' ');
  return {
    debug: () => {},
    info: () => {},
    warn: (...msg: unknown[]) => child.warn(line(msg)),
    error: (...msg: unknown[]) => {
      const err = msg.find((m) => m instanceof Error);
      if (err) child.error({ err }, line(msg.filter((m) => m !== err)) || err.message);
      else child.error(line(msg));
    },
    // Our level is pino's; Bolt asks for one at construction and we answer with the one we forward.
    setLevel: () => {},
    getLevel: () => LogLevel.WARN,
    setName: () => {},
  };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
