import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

// Secrets are kept out of the logs by scrubbing each serialized line twice over:
//
// 1. by key: the string value of any key named below, at any depth, in either case — the config's own
//    names, the environment's, and credential headers (`{err: {config: {headers: {Authorization}}}}` is
//    the shape an HTTP client's error has);
// 2. by shape: what a secret looks like wherever it appears, free text and error messages included — Slack
//    and OpenAI tokens, bearer credentials, and the password in a URL (the host stays, so a line still says
//    which server).
//
// Secrets with no recognisable shape (JWT_SECRET, the LocoNav secret and token) rely on the first. This is
// done on the JSON line rather than with pino's redact paths: those need one wildcard path per key and depth,
// which cost ~300 µs a line for this list, where two regular expressions over the line cost a few.
const SECRET_KEYS = [
  'authorization',
  'cookie',
  'set-cookie',
  'x-watchtower-signature',
  'token',
  'botToken',
  'appToken',
  'accessToken',
  'access_token',
  'refresh_token',
  'apiKey',
  'api_key',
  'secret',
  'client_secret',
  'webhookSecret',
  'webhookToken',
  'jwtSecret',
  'password',
  'privateKey',
  'private_key',
  'SLACK_BOT_TOKEN',
  'SLACK_APP_TOKEN',
  'OPENAI_API_KEY',
  'JWT_SECRET',
  'LOCONAV_WEBHOOK_SECRET',
  'LOCONAV_WEBHOOK_TOKEN',
];

const REDACTED = '[redacted]';

const SECRET_SHAPES: [RegExp, string][] = [
  // "key":"value" (a JSON string value, escapes included) under a secret key.
  [new RegExp(`("(?:${SECRET_KEYS.join('|')})":)"(?:[^"\\\\]|\\\\.)*"`, 'gi'), `$1"${REDACTED}"`],
  [/\bxox[a-z]-[\w-]+/gi, `xox-${REDACTED}`],
  [/\bxapp-[\w-]+/g, `xapp-${REDACTED}`],
  [/\bsk-[\w-]{16,}/g, `sk-${REDACTED}`],
  [/\b(Bearer|Basic)\s+[^\s"',;\\]+/gi, `$1 ${REDACTED}`],
  // scheme://user:password@host → scheme://user:***@host
  [/(\b[a-z][\w+.-]*:\/\/[^\s:/@"']*):[^\s@/"']+@/gi, '$1:***@'],
];

/** Replaces every secret in a serialized log line: values under secret keys, and secret-shaped text. */
export function scrubSecrets(line: string): string {
  let out = line;
  for (const [shape, replacement] of SECRET_SHAPES) out = out.replace(shape, replacement);
  return out;
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'watchtower' },
      serializers: { err: pino.stdSerializers.err },
      hooks: { streamWrite: scrubSecrets },
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
