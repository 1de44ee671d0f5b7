import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';

describe('loadConfig', () => {
  it('starts on the embedded default with no environment at all', () => {
    const config = loadConfig({});
    expect(config.databaseUrl).toBeUndefined();
    expect(config.redisUrl).toBeUndefined();
    expect(config.port).toBe(3000);
    expect(config.loconav.timeZone).toBe('Africa/Lagos');
    expect(config.roles).toEqual(['webhook', 'api', 'consumers', 'bot', 'jobs']);
  });

  it('names every bad variable in one message and what each expects', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        DATABASE_URL: 'mysql://x',
        WATCHTOWER_ROLES: 'api,dance',
        LOG_LEVEL: 'loud',
        LOCONAV_TIMEZONE: 'Mars/Olympus',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const e = error as ConfigError;
    expect(e.problems.map((p) => p.variable).sort()).toEqual(
      ['DATABASE_URL', 'LOCONAV_TIMEZONE', 'LOG_LEVEL', 'PORT', 'WATCHTOWER_ROLES'].sort(),
    );
    expect(e.message).toContain('PORT: expected a whole number from 0 to 65535, got "eighty"');
    expect(e.message).toContain('DATABASE_URL: expected a postgres: or postgresql: URL');
    expect(e.message).toContain('unknown: dance');
    expect(e.message).toContain('LOG_LEVEL: expected one of fatal, error, warn');
  });

  it('never repeats a secret value in its message', () => {
    const secret = 'not-a-slack-token-but-secret';
    try {
      loadConfig({
        SLACK_BOT_TOKEN: secret,
        JWT_SECRET: 'short-secret-value',
        LOCONAV_WEBHOOK_SECRET: 'tiny',
      });
      expect.unreachable('bad secrets were accepted');
    } catch (err) {
      const message = (err as Error).message;
      expect(message).toContain('SLACK_BOT_TOKEN: expected a bot token starting with xoxb-');
      expect(message).toContain('JWT_SECRET: expected at least 32 characters');
      expect(message).toContain('LOCONAV_WEBHOOK_SECRET');
      expect(message).not.toContain(secret);
      expect(message).not.toContain('short-secret-value');
      expect(message).not.toContain('tiny');
    }
  });

  it('takes a Redis URL both of its connections read alike, and says what is wrong with one, never its password', () => {
    expect(loadConfig({ REDIS_URL: 'rediss://app:pw@cache.internal:6380/2' }).redisUrl).toBe(
      'rediss://app:pw@cache.internal:6380/2',
    );
    const problem = (url: string) => {
      try {
        loadConfig({ REDIS_URL: url });
      } catch (err) {
        return (err as Error).message;
      }
      return 'accepted';
    };
    expect(problem('http://cache:6379')).toContain('REDIS_URL: expected a redis:// or rediss:// URL');
    expect(problem('redis://:hunter22@cache:6379/cache')).toContain(
      'REDIS_URL: the path of a Redis URL is a database number',
    );
    expect(problem('redis://:hunter22@cache:6379/cache')).not.toContain('hunter22');
    expect(problem('redis://cache:6379?db=3')).toContain('REDIS_URL: a Redis URL takes no ?options');
  });

  it('treats empty strings as unset, as .env files write them', () => {
    const config = loadConfig({ DATABASE_URL: '', REDIS_URL: '  ', OPENAI_API_KEY: '' });
    expect(config.databaseUrl).toBeUndefined();
    expect(config.redisUrl).toBeUndefined();
    expect(config.openai.apiKey).toBeUndefined();
  });

  it('reads a subset of roles so one image can run any of them', () => {
    expect(loadConfig({ WATCHTOWER_ROLES: 'webhook, consumers' }).roles).toEqual(['webhook', 'consumers']);
  });
});
