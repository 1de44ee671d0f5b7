import { describe, expect, it } from 'vitest';
import { startSlackBot } from '../../src/bot/app.ts';
import { boltLogger } from '../../src/bot/bolt-logger.ts';
import type { Sql } from '../../src/db/client.ts';
import { createLogger } from '../../src/log.ts';

function sink() {
  const lines: { level: number; msg: string; component?: string; err?: { message: string } }[] = [];
  const logger = createLogger('debug', { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { lines, logger };
}

describe('startSlackBot', () => {
  it('starts nothing, and says so, without both tokens', async () => {
    const { lines, logger } = sink();
    const bot = await startSlackBot({
      config: {
        slack: {
          botToken: 'xoxb-only',
          appToken: undefined,
          apiUrl: undefined,
          alertsChannel: undefined,
          reportsChannel: undefined,
          adminUsers: [],
        },
      },
      sql: undefined as unknown as Sql,
      logger,
    });

    await bot.stop();
    expect(lines.map((l) => l.msg)).toEqual(['Slack is off: set SLACK_BOT_TOKEN and SLACK_APP_TOKEN']);
  });
});

describe('boltLogger', () => {
  it("passes Bolt's warnings and errors to our logger and drops its info and debug chatter", () => {
    const { lines, logger } = sink();
    const bolt = boltLogger(logger);

    bolt.debug('envelope', { type: 'hello' });
    bolt.info('Now connected to Slack');
    bolt.warn('reconnecting', { attempt: 2 });
    bolt.error('listener failed', new Error('boom'));

    expect(lines).toMatchObject([
      { level: 40, component: 'slack', msg: 'reconnecting {"attempt":2}' },
      { level: 50, component: 'slack', msg: 'listener failed', err: { message: 'boom' } },
    ]);
  });
});
