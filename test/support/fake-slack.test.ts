import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { App, type BlockButtonAction, LogLevel, webApi } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type FakeSlack, type SlackEventInput, startFakeSlack } from './fake-slack.ts';

const CHANNEL = 'C0OPS00001';

let fake: FakeSlack;
let apps: App[] = [];

/** A real, unmodified Bolt app in Socket Mode, pointed at the fake only through `slackApiUrl`. */
async function startApp(register: (app: App) => void = () => {}): Promise<App> {
  const app = new App({
    token: 'xoxb-test',
    appToken: 'xapp-test-token',
    socketMode: true,
    clientOptions: { slackApiUrl: fake.apiUrl },
    logLevel: LogLevel.ERROR,
  });
  register(app);
  apps.push(app);
  await app.start();
  return app;
}

function webClient(retryConfig = webApi.retryPolicies.rapidRetryPolicy): webApi.WebClient {
  return new webApi.WebClient('xoxb-test', {
    slackApiUrl: fake.apiUrl,
    retryConfig,
    logLevel: LogLevel.ERROR,
  });
}

function mention(text: string): SlackEventInput {
  return {
    type: 'app_mention',
    user: fake.humanUserId,
    text: `<@${fake.botUserId}> ${text}`,
    channel: CHANNEL,
  };
}

function callsOf(method: string) {
  return fake.calls.filter((call) => call.method === method);
}

beforeEach(async () => {
  fake = await startFakeSlack();
});

afterEach(async () => {
  await Promise.all(apps.map((app) => app.stop()));
  apps = [];
  await fake.waitForConnections(0);
  await fake.close();
});

describe('a Bolt app in Socket Mode against the fake', () => {
  it('opens its connection through apps.connections.open on the fake and starts on hello, with no other network', async () => {
    const requested: URL[] = [];
    const onRequest = (message: unknown) => {
      const { request } = message as { request: { origin: string; path: string } };
      requested.push(new URL(request.path, request.origin));
    };
    subscribe('undici:request:create', onRequest);
    try {
      await startApp();
    } finally {
      unsubscribe('undici:request:create', onRequest);
    }

    expect(fake.connections).toBe(1);
    const open = await fake.waitForCall('apps.connections.open');
    expect(open.token).toBe('xapp-test-token');
    expect(open.result?.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/link\/\?ticket=/);
    expect((await fake.waitForCall('auth.test')).token).toBe('xoxb-test');
    // Every HTTP request, and the WebSocket upgrade, went to the fake.
    expect(requested.map((url) => url.pathname).sort()).toEqual([
      '/api/apps.connections.open',
      '/api/auth.test',
      '/link/',
    ]);
    expect(new Set(requested.map((url) => url.host))).toEqual(new Set([new URL(fake.origin).host]));
  });

  it('replies in the thread to an app_mention', async () => {
    await startApp((app) => {
      app.event('app_mention', async ({ event, say }) => {
        await say({ text: 'On it', thread_ts: event.ts });
      });
    });
    const ts = fake.nextTs();

    const ack = await fake.sendEvent({ ...mention('where is KJA-123XY?'), ts });

    expect(ack.payload).toEqual({});
    const post = await fake.waitForCall('chat.postMessage');
    expect(post.token).toBe('xoxb-test');
    expect(post.args).toMatchObject({ channel: CHANNEL, text: 'On it', thread_ts: ts });
    expect(fake.messages(CHANNEL)).toMatchObject([{ text: 'On it', thread_ts: ts, user: fake.botUserId }]);
    expect(Number(fake.messages(CHANNEL)[0]?.ts)).toBeGreaterThan(Number(ts));
  });

  it('passes the retry attempt of a redelivered event, with the same event_id, to the listener', async () => {
    const seen: { eventId: unknown; retryNum: unknown }[] = [];
    await startApp((app) => {
      app.event('app_mention', async ({ body, context }) => {
        seen.push({ eventId: body.event_id, retryNum: context.retryNum });
      });
    });
    const event = { ...mention('status'), ts: fake.nextTs() };

    await fake.sendEvent(event, { eventId: 'Ev0REDELIVER' });
    await fake.sendEvent(event, { eventId: 'Ev0REDELIVER', retryAttempt: 1 });

    await vi.waitFor(() => expect(seen).toHaveLength(2));
    expect(seen).toEqual([
      { eventId: 'Ev0REDELIVER', retryNum: 0 },
      { eventId: 'Ev0REDELIVER', retryNum: 1 },
    ]);
  });

  it('returns a slash command ack payload to the test, and respond and say reach the fake', async () => {
    await startApp((app) => {
      app.command('/truck', async ({ command, ack, respond, say }) => {
        await ack({ response_type: 'ephemeral', text: `Looking up ${command.text}…` });
        await respond({ response_type: 'ephemeral', text: 'KJA-123XY is at Apapa' });
        await say({ text: 'Trip started for KJA-123XY' });
      });
    });

    const ack = await fake.sendSlashCommand({
      command: '/truck',
      text: 'KJA-123XY',
      user_id: fake.humanUserId,
      channel_id: CHANNEL,
    });

    expect(ack.payload).toEqual({ response_type: 'ephemeral', text: 'Looking up KJA-123XY…' });
    const response = await fake.waitForCall('response_url');
    expect(response.args).toMatchObject({
      text: 'KJA-123XY is at Apapa',
      channel: CHANNEL,
      user: fake.humanUserId,
    });
    await fake.waitForCall('chat.postMessage');
    expect(fake.ephemerals(CHANNEL)).toMatchObject([
      { user: fake.humanUserId, text: 'KJA-123XY is at Apapa' },
    ]);
    expect(fake.messages(CHANNEL)).toMatchObject([{ text: 'Trip started for KJA-123XY' }]);
  });

  it('routes a block_actions interaction to app.action, which updates the card in place', async () => {
    const app = await startApp((app) => {
      app.action<BlockButtonAction>('confirm_trip', async ({ ack, body, action, client }) => {
        await ack();
        if (!body.channel || !body.message) return;
        await client.chat.update({
          channel: body.channel.id,
          ts: body.message.ts,
          text: `Trip ${action.value} confirmed`,
        });
      });
    });
    const card = await app.client.chat.postMessage({ channel: CHANNEL, text: 'Trip T-42 is waiting' });

    const ack = await fake.sendInteraction({
      type: 'block_actions',
      channel: { id: CHANNEL, name: 'ops' },
      container: { type: 'message', message_ts: card.ts, channel_id: CHANNEL, is_ephemeral: false },
      message: { type: 'message', ts: card.ts, text: 'Trip T-42 is waiting' },
      actions: [
        {
          type: 'button',
          action_id: 'confirm_trip',
          block_id: 'trip',
          value: 'T-42',
          action_ts: fake.nextTs(),
        },
      ],
    });

    expect(ack.payload).toEqual({});
    await fake.waitForCall('chat.update');
    expect(fake.messages(CHANNEL)).toMatchObject([
      { ts: card.ts, text: 'Trip T-42 confirmed', edited: { user: fake.botUserId } },
    ]);
  });

  it('returns the response_action errors of a view_submission ack to the test', async () => {
    const error = 'Enter the odometer reading in km, like 120345.6';
    await startApp((app) => {
      app.view('trip_close', async ({ ack, view }) => {
        const odometer = view.state.values['odometer']?.['value']?.value;
        if (!odometer || Number.isNaN(Number(odometer))) {
          await ack({ response_action: 'errors', errors: { odometer: error } });
          return;
        }
        await ack();
      });
    });

    const ack = await fake.sendInteraction({
      type: 'view_submission',
      view: {
        id: 'V0TRIPCLOSE',
        type: 'modal',
        callback_id: 'trip_close',
        private_metadata: '',
        state: { values: { odometer: { value: { type: 'plain_text_input', value: 'a lot' } } } },
      },
    });

    expect(ack.payload).toEqual({ response_action: 'errors', errors: { odometer: error } });
  });

  it('retries a chat.postMessage answered 429 after Retry-After and posts the message once', async () => {
    fake.failNext('chat.postMessage', { status: 429, retryAfterS: 1 });
    await startApp((app) => {
      app.event('app_mention', async ({ event, say }) => {
        await say({ text: 'On it', thread_ts: event.ts });
      });
    });

    await fake.sendEvent(mention('where is KJA-123XY?'));

    const posted = await fake.waitForCall('chat.postMessage', (call) => call.status === 200, 10_000);
    const attempts = callsOf('chat.postMessage');
    expect(attempts.map((call) => call.status)).toEqual([429, 200]);
    expect(posted.at - (attempts[0]?.at ?? 0)).toBeGreaterThanOrEqual(1_000);
    expect(fake.messages(CHANNEL)).toHaveLength(1);
  });

  it('gives each envelope to exactly one of several connections', async () => {
    const received: string[] = [];
    for (const name of ['first', 'second']) {
      await startApp((app) => {
        app.event('app_mention', async ({ event }) => {
          received.push(`${name}: ${event.text}`);
        });
      });
    }
    expect(fake.connections).toBe(2);

    for (const n of [1, 2, 3, 4]) await fake.sendEvent(mention(`ping ${n}`));

    await vi.waitFor(() => expect(received).toHaveLength(4));
    expect(received.filter((line) => line.startsWith('first:'))).toHaveLength(2);
    expect(received.filter((line) => line.startsWith('second:'))).toHaveLength(2);
  });

  it('reconnects through a fresh apps.connections.open after a refresh_requested disconnect', async () => {
    const received: string[] = [];
    await startApp((app) => {
      app.event('app_mention', async ({ event }) => {
        received.push(event.text);
      });
    });

    await fake.disconnectAll('refresh_requested');
    expect(fake.connections).toBe(0);
    // socket-mode waits clientPingTimeout (5 s) before reconnecting; the fake holds the envelope until then.
    await fake.sendEvent(mention('still there?'), { timeoutMs: 10_000 });

    expect(callsOf('apps.connections.open')).toHaveLength(2);
    expect(received).toEqual([`<@${fake.botUserId}> still there?`]);
  }, 15_000);

  it('closes its connection cleanly on app.stop', async () => {
    const app = await startApp();
    expect(fake.connections).toBe(1);

    await app.stop();
    apps = [];

    await fake.waitForConnections(0);
    expect(callsOf('apps.connections.open')).toHaveLength(1);
  });
});

describe('the fake Web API', () => {
  it('retries injected 5xx answers and reports injected Slack errors as platform errors', async () => {
    const client = webClient();
    fake.failNext('chat.postMessage', { status: 500 }, 2);

    await client.chat.postMessage({ channel: CHANNEL, text: 'Trip T-42 started' });
    expect(callsOf('chat.postMessage').map((call) => call.status)).toEqual([500, 500, 200]);

    fake.failNext('chat.postMessage', { error: 'channel_not_found' });
    await expect(client.chat.postMessage({ channel: CHANNEL, text: 'again' })).rejects.toMatchObject({
      data: { ok: false, error: 'channel_not_found' },
    });
    expect(fake.messages(CHANNEL)).toHaveLength(1);
  });

  it('keeps posted messages per channel with increasing ts, decoding form-encoded blocks', async () => {
    const client = webClient();
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*KJA-123XY* at Apapa' } }];

    const first = await client.chat.postMessage({ channel: CHANNEL, text: 'KJA-123XY at Apapa', blocks });
    const second = await client.chat.postMessage({ channel: CHANNEL, text: 'reply', thread_ts: first.ts });
    await client.chat.postMessage({ channel: 'C0OTHER001', text: 'elsewhere' });

    expect(first).toMatchObject({
      ok: true,
      channel: CHANNEL,
      message: { text: 'KJA-123XY at Apapa', blocks },
    });
    expect(Number(second.ts)).toBeGreaterThan(Number(first.ts));
    expect(fake.messages(CHANNEL).map((m) => m.text)).toEqual(['KJA-123XY at Apapa', 'reply']);
    expect(callsOf('chat.postMessage')[0]?.args['blocks']).toEqual(blocks);
    const replies = await client.conversations.replies({ channel: CHANNEL, ts: first.ts ?? '' });
    expect(replies.messages?.map((m) => m.text)).toEqual(['KJA-123XY at Apapa', 'reply']);
  });

  it('uploads a file with files.uploadV2 through the fake upload URL into a thread', async () => {
    const client = webClient();
    const parent = await client.chat.postMessage({ channel: CHANNEL, text: 'Trip T-42' });
    const csv = 'truck,km\nKJA-123XY,12.5\n';

    await client.files.uploadV2({
      channel_id: CHANNEL,
      thread_ts: parent.ts ?? '',
      filename: 'trip-T-42.csv',
      content: csv,
      initial_comment: 'Trip log',
    });

    const share = fake.messages(CHANNEL).find((m) => m.files);
    expect(share).toMatchObject({
      thread_ts: parent.ts,
      text: 'Trip log',
      files: [{ name: 'trip-T-42.csv' }],
    });
    expect(fake.file(share?.files?.[0]?.id ?? '')?.bytes?.toString()).toBe(csv);
    expect(fake.calls.map((call) => call.method)).toEqual([
      'chat.postMessage',
      'files.getUploadURLExternal',
      'file_upload',
      'files.completeUploadExternal',
    ]);
  });

  it('streams a reply with chat.startStream, appendStream and stopStream', async () => {
    const client = webClient();
    const parent = await client.chat.postMessage({ channel: CHANNEL, text: 'where is KJA-123XY?' });
    const streamer = client.chatStream({
      channel: CHANNEL,
      thread_ts: parent.ts ?? '',
      recipient_team_id: fake.teamId,
      recipient_user_id: fake.humanUserId,
      buffer_size: 5,
    });

    await streamer.append({ markdown_text: 'KJA-123XY ' });
    await streamer.append({ markdown_text: 'is at Apapa' });
    await streamer.stop({ markdown_text: '.' });

    expect(fake.messages(CHANNEL)[1]).toMatchObject({
      thread_ts: parent.ts,
      text: 'KJA-123XY is at Apapa.',
      stream: 'completed',
    });
    expect(fake.calls.slice(1).map((call) => call.method)).toEqual([
      'chat.startStream',
      'chat.appendStream',
      'chat.stopStream',
    ]);
  });

  it('answers views, reactions, ephemerals, assistant status, users and conversations like Slack', async () => {
    const client = webClient();
    const modal = {
      type: 'modal' as const,
      callback_id: 'trip_close',
      title: { type: 'plain_text' as const, text: 'Close trip' },
      blocks: [],
    };

    const opened = await client.views.open({ trigger_id: '123.456.abc', view: modal });
    const viewId = opened.view?.id ?? '';
    const updated = await client.views.update({ view_id: viewId, hash: opened.view?.hash, view: modal });
    await expect(client.views.update({ view_id: viewId, hash: 'stale', view: modal })).rejects.toMatchObject({
      data: { error: 'hash_conflict' },
    });
    const home = await client.views.publish({
      user_id: fake.humanUserId,
      view: { type: 'home', blocks: [] },
    });
    const card = await client.chat.postMessage({ channel: CHANNEL, text: 'Trip T-42' });
    await client.reactions.add({ channel: CHANNEL, timestamp: card.ts ?? '', name: 'truck' });
    await expect(
      client.reactions.add({ channel: CHANNEL, timestamp: card.ts ?? '', name: 'truck' }),
    ).rejects.toMatchObject({
      data: { error: 'already_reacted' },
    });
    const ephemeral = await client.chat.postEphemeral({
      channel: CHANNEL,
      user: fake.humanUserId,
      text: 'Only you',
    });
    await client.assistant.threads.setStatus({
      channel_id: 'D0DM000001',
      thread_ts: card.ts ?? '',
      status: 'is thinking…',
    });
    const user = await client.users.info({ user: fake.humanUserId });
    const channel = await client.conversations.info({ channel: CHANNEL });

    expect(updated.view).toMatchObject({ id: opened.view?.id, callback_id: 'trip_close' });
    expect(fake.view(home.view?.id ?? '')).toMatchObject({ type: 'home', user_id: fake.humanUserId });
    expect(fake.messages(CHANNEL)[0]?.reactions).toEqual([
      { name: 'truck', users: [fake.botUserId], count: 1 },
    ]);
    expect(fake.ephemerals(CHANNEL)).toMatchObject([{ ts: ephemeral.message_ts, user: fake.humanUserId }]);
    expect(user.user).toMatchObject({ id: fake.humanUserId, tz: 'Africa/Lagos' });
    expect(channel.channel).toMatchObject({ id: CHANNEL, is_channel: true, is_member: true });
    await expect(client.apiCall('trips.teleport')).rejects.toMatchObject({
      data: { error: 'unknown_method' },
    });
  });

  it('rejects an app token on bot methods and a bot token on apps.connections.open', async () => {
    const appClient = new webApi.WebClient('xapp-test-token', {
      slackApiUrl: fake.apiUrl,
      logLevel: LogLevel.ERROR,
    });

    await expect(appClient.chat.postMessage({ channel: CHANNEL, text: 'x' })).rejects.toMatchObject({
      data: { error: 'not_allowed_token_type' },
    });
    await expect(webClient().apps.connections.open()).rejects.toMatchObject({
      data: { error: 'not_allowed_token_type' },
    });
  });
});
