import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rosterSyncMessage } from '../../src/bot/views/roster-sync.ts';
import { loadConfig } from '../../src/config.ts';
import { createSlackClient, slackPoster } from '../../src/jobs/slack-poster.ts';
import { createMetrics } from '../../src/metrics.ts';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.ts';

const BOT_TOKEN = 'xoxb-test-jobs-poster';
let slack: FakeSlack;

beforeAll(async () => {
  slack = await startFakeSlack({ botToken: BOT_TOKEN });
});
afterAll(async () => {
  await slack.close();
});

describe('slack poster for jobs', () => {
  it('is off without a bot token', () => {
    expect(createSlackClient(loadConfig({}).slack)).toBeUndefined();
  });

  it('posts text with blocks through the Web API at SLACK_API_URL, timed as an outside call', async () => {
    const config = loadConfig({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_API_URL: slack.apiUrl });
    const client = createSlackClient(config.slack)!;
    const metrics = createMetrics();
    const message = rosterSyncMessage({
      added: ['KJA-1AA'],
      updated: [],
      deactivated: [],
      unchanged: 2,
      invalid: [],
    });
    await slackPoster(client, metrics).post('C0REPORTS', message);

    const [posted] = slack.messages('C0REPORTS');
    expect(posted).toMatchObject({ text: message.text, blocks: message.blocks });
    const timing = await metrics.registry.getSingleMetricAsString('watchtower_outside_call_duration_seconds');
    expect(timing).toContain(
      'watchtower_outside_call_duration_seconds_count{service="slack",operation="chat.postMessage",outcome="ok"} 1',
    );
  });

  it('fails loudly when Slack refuses the post', async () => {
    const config = loadConfig({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_API_URL: slack.apiUrl });
    slack.failNext('chat.postMessage', { error: 'channel_not_found' });
    await expect(
      slackPoster(createSlackClient(config.slack)!, createMetrics()).post('C0NOPE', { text: 'hi' }),
    ).rejects.toThrow(/channel_not_found/);
  });
});
