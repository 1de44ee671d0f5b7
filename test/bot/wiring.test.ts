import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWatchTower, type WatchTower } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.ts';
import { testRedisUrl, uniquePrefix } from '../support/redis.ts';

// The composition root starts the Slack bot when both tokens are set, through SLACK_API_URL only.
describe('Watch Tower with Slack tokens', () => {
  let db: TestDb;
  let fake: FakeSlack;
  let wt: WatchTower;

  beforeAll(async () => {
    db = await createTestDb();
    fake = await startFakeSlack();
    wt = await startWatchTower(
      loadConfig({
        DATABASE_URL: db.url,
        REDIS_URL: testRedisUrl(),
        PORT: '0',
        WATCHTOWER_ROLES: 'bot',
        SLACK_BOT_TOKEN: 'xoxb-test',
        SLACK_APP_TOKEN: 'xapp-test-token',
        SLACK_API_URL: fake.apiUrl,
      }),
      { logger: createLogger('silent'), busPrefix: uniquePrefix() },
    );
  }, 60_000);

  afterAll(async () => {
    await wt?.stop();
    await fake?.waitForConnections(0).catch(() => undefined);
    await fake?.close();
    await db?.drop();
  });

  it('connects over Socket Mode and answers a mention in its thread', async () => {
    fake.handle('reactions.add', () => ({}));
    fake.handle('reactions.remove', () => ({}));
    const ts = fake.nextTs();
    await fake.sendEvent({
      type: 'app_mention',
      user: 'U0SOMEONE1',
      text: `<@${fake.botUserId}> help`,
      channel: 'C0OPS00001',
      ts,
    });
    const post = await fake.waitForCall('chat.postMessage');
    expect(post.args).toMatchObject({ channel: 'C0OPS00001', thread_ts: ts });
    expect(fake.calls.some((c) => c.method === 'apps.connections.open')).toBe(true);
  });
});
