import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

// Keys whose values are secrets wherever they appear in a log object (pino's redact paths, one level of
// nesting plus the request headers fastify logs).
const SECRET_KEYS = [
  'authorization',
  'token',
  'botToken',
  'appToken',
  'apiKey',
  'secret',
  'webhookSecret',
  'webhookToken',
  'jwtSecret',
  'password',
  'privateKey',
  'private_key',
  'x-watchtower-signature',
];

const REDACT_PATHS = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((k) => `*.${k}`),
  ...SECRET_KEYS.map((k) => `*.*.${k}`),
  'req.headers.authorization',
  'req.headers["x-watchtower-signature"]',
  'req.headers.cookie',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'watchtower' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
  );
}

/** `postgres://user:secret@host/db` → `postgres://user:***@host/db`, for log lines that name a server. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '[unparseable url]';
  }
}
