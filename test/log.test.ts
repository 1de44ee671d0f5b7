import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { createLogger, redactUrl } from '../src/log.ts';

// Every secret Watch Tower is given, as each place it could reach a log line: the environment, the parsed
// config, request headers, an HTTP client's error, URLs with passwords, and free text. Placeholder values,
// long and distinctive enough that a leak of any part of one shows.
const SECRETS = {
  SLACK_BOT_TOKEN: 'xoxb-test-placeholder-bot-token-value',
  SLACK_APP_TOKEN: 'xapp-test-placeholder-app-token-value',
  OPENAI_API_KEY: 'sk-test-placeholder-openai-key-value',
  JWT_SECRET: 'placeholder-jwt-secret-of-at-least-32-chars',
  LOCONAV_WEBHOOK_SECRET: 'placeholder-loconav-hmac-secret',
  LOCONAV_WEBHOOK_TOKEN: 'placeholder-loconav-bearer-token',
};
const DB_PASSWORD = 'placeholder-db-password';
const REDIS_PASSWORD = 'placeholder-redis-password';
const ENV = {
  ...SECRETS,
  DATABASE_URL: `postgres://watchtower:${DB_PASSWORD}@db.internal:5432/watchtower`,
  REDIS_URL: `redis://default:${REDIS_PASSWORD}@redis.internal:6379`,
};
const SIGNATURE = 'v1=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
const SECRET_VALUES = [...Object.values(SECRETS), DB_PASSWORD, REDIS_PASSWORD, SIGNATURE];

function capture() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger('trace', sink), text: () => lines.join('') };
}

const leaks = (text: string) => SECRET_VALUES.filter((s) => text.includes(s));

describe('the logger', () => {
  it('never writes a secret setting, however the object carrying it is shaped', () => {
    const { logger, text } = capture();
    const config = loadConfig(ENV);
    logger.info(ENV, 'the environment, flat');
    logger.info({ env: ENV }, 'the environment, nested');
    logger.info({ config }, 'the parsed config');
    logger.info({ startup: { config } }, 'the parsed config, one level deeper');
    logger.info({ slack: config.slack, openai: config.openai, loconav: config.loconav }, 'its parts');
    logger.info({ databaseUrl: config.databaseUrl, redisUrl: config.redisUrl }, 'the servers');
    logger.info({ jwtSecret: config.jwtSecret, token: SECRETS.LOCONAV_WEBHOOK_TOKEN }, 'loose keys');
    logger.info({ a: { b: { c: { d: { e: { config } } } } } }, 'at any depth');
    logger.child({ config }).info('bound to a child logger');

    const out = text();
    expect(leaks(out)).toEqual([]);
    // Still says which servers: only the password is hidden.
    expect(out).toContain('db.internal:5432');
    expect(out).toContain('redis.internal:6379');
    expect(out.split('\n').filter(Boolean)).toHaveLength(9);
  });

  it('never writes credentials from request headers, in either case', () => {
    const { logger, text } = capture();
    const headers = {
      authorization: `Bearer ${SECRETS.JWT_SECRET}`,
      'x-watchtower-signature': SIGNATURE,
      cookie: `session=${SECRETS.JWT_SECRET}`,
    };
    logger.info({ req: { method: 'POST', url: '/api/v1/webhooks/loconav', headers } }, 'a request');
    logger.info({ headers }, 'bare headers');
    logger.info({ 'x-watchtower-signature': SIGNATURE, Cookie: headers.cookie }, 'top level');
    logger.info({ headers: { Authorization: `Bearer ${SECRETS.SLACK_BOT_TOKEN}` } }, 'capitalised');
    const out = text();
    expect(leaks(out)).toEqual([]);
    expect(out).toContain('/api/v1/webhooks/loconav');
  });

  it('never writes the token an HTTP client error carries in its request config', () => {
    const { logger, text } = capture();
    // The shape axios (under @slack/web-api) and similar clients attach to their errors.
    const err = Object.assign(new Error('Request failed with status code 500'), {
      config: {
        url: 'https://slack.com/api/chat.postMessage',
        headers: { Authorization: `Bearer ${SECRETS.SLACK_BOT_TOKEN}` },
        data: `token=${SECRETS.SLACK_BOT_TOKEN}&channel=C0ALERTS01`,
      },
      request: { headers: { authorization: `Bearer ${SECRETS.OPENAI_API_KEY}` } },
    });
    logger.error({ err }, 'slack call failed');
    const out = text();
    expect(leaks(out)).toEqual([]);
    expect(out).toContain('Request failed with status code 500');
  });

  it('masks well-known token shapes and URL passwords even inside free text', () => {
    const { logger, text } = capture();
    logger.warn(`could not reach ${ENV.DATABASE_URL} or ${ENV.REDIS_URL}`);
    logger.warn({ detail: `slack said invalid_auth for ${SECRETS.SLACK_BOT_TOKEN}` }, 'slack refused');
    logger.warn(`socket mode with ${SECRETS.SLACK_APP_TOKEN}; model key ${SECRETS.OPENAI_API_KEY}`);
    logger.warn(`Authorization: Bearer ${SECRETS.LOCONAV_WEBHOOK_TOKEN}`);
    const out = text();
    expect(leaks(out)).toEqual([]);
    expect(out).toContain('db.internal:5432');
  });

  it('leaves ordinary fields alone', () => {
    const { logger, text } = capture();
    logger.info({ truck: 'KJA-123XY', url: 'http://127.0.0.1:3000', channel: 'C0ALERTS01' }, 'hello');
    const line = JSON.parse(text()) as Record<string, unknown>;
    expect(line).toMatchObject({
      truck: 'KJA-123XY',
      url: 'http://127.0.0.1:3000',
      channel: 'C0ALERTS01',
      msg: 'hello',
    });
  });
});

describe('redactUrl', () => {
  it('hides the password and keeps the rest of the address', () => {
    expect(redactUrl(ENV.DATABASE_URL)).toBe('postgres://watchtower:***@db.internal:5432/watchtower');
  });

  it('never echoes a string it cannot parse', () => {
    expect(redactUrl(`not a url ${DB_PASSWORD}`)).toBe('[unparseable url]');
  });
});
