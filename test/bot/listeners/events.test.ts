import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SlackEventInput } from '../../support/fake-slack.ts';
import { blockText, CHANNEL, DISPATCHER, type Harness, startHarness } from '../harness.ts';

let h: Harness;

beforeEach(async () => {
  h = await startHarness();
});

afterEach(async () => {
  await h?.stop();
});

function mention(text: string, extra: Record<string, unknown> = {}): SlackEventInput {
  return {
    type: 'app_mention',
    user: DISPATCHER,
    text: `<@${h.fake.botUserId}> ${text}`,
    channel: CHANNEL,
    ts: h.fake.nextTs(),
    ...extra,
  };
}

const replies = () => h.fake.messages(CHANNEL);
const callsOf = (method: string) => h.fake.calls.filter((c) => c.method === method);

describe('mentions', () => {
  it('answers "where is KJA-123XY?" in the thread of the question, with eyes on it while working', async () => {
    // The fake keeps only the bot's messages; let reactions on the person's question succeed.
    h.fake.handle('reactions.add', () => ({}));
    h.fake.handle('reactions.remove', () => ({}));
    const event = mention('where is KJA-123XY?');

    await h.fake.sendEvent(event);

    const post = await h.fake.waitForCall('chat.postMessage');
    expect(post.args).toMatchObject({ channel: CHANNEL, thread_ts: event.ts });
    expect(String(post.args.text)).toMatch(/^KJA-123XY: Inside Apapa Port/);
    await expect.poll(() => callsOf('reactions.remove').length).toBe(1);
    expect(callsOf('reactions.add')[0]?.args).toMatchObject({ name: 'eyes', timestamp: event.ts });
    expect(callsOf('reactions.add')[0]!.at).toBeLessThanOrEqual(post.at);
    expect(callsOf('reactions.remove')[0]!.at).toBeGreaterThanOrEqual(post.at);
  });

  it('answers inside the thread a question was asked in', async () => {
    const parent = h.fake.nextTs();
    await h.fake.sendEvent(mention('trip TRP-000001', { thread_ts: parent }));

    const post = await h.fake.waitForCall('chat.postMessage');
    expect(post.args.thread_ts).toBe(parent);
    expect(replies()[0]?.text).toBe('TRP-000001 is planned: KJA-123XY, Apapa Port → Ikeja Depot');
  });

  it('answers "fleet" with the summary and "help" with the help', async () => {
    await h.fake.sendEvent(mention('fleet'));
    await h.fake.waitForCall('chat.postMessage');
    await h.fake.sendEvent(mention('help'));
    await expect.poll(() => replies().length).toBe(2);

    expect(replies()[0]?.text).toMatch(/^Fleet at \d\d:\d\d: 2 trucks/);
    expect(replies()[1]?.text).toMatch(/^\/watchtower: Watch Tower keeps an eye on the fleet/);
  });

  it('says what it understands when it does not understand', async () => {
    await h.fake.sendEvent(mention('sing me a song'));

    await h.fake.waitForCall('chat.postMessage');
    expect(replies()[0]?.text).toMatch(/^I didn't catch that\./);
    expect(blockText(replies()[0]?.blocks)).toContain('a truck number, a trip number');
  });

  it('tells the asker alone, in the thread, that a truck does not exist', async () => {
    const event = mention('where is KJA-124XY');
    await h.fake.sendEvent(event);

    const ephemeral = await h.fake.waitForCall('chat.postEphemeral');
    expect(ephemeral.args).toMatchObject({
      user: DISPATCHER,
      thread_ts: event.ts,
      text: 'No truck KJA-124XY. Did you mean KJA-123XY?',
    });
    expect(replies()).toEqual([]);
  });

  it('answers a redelivered event (same event_id, retry_attempt 1) once', async () => {
    const event = mention('trip TRP-000001');
    await h.fake.sendEvent(event, { eventId: 'Ev0ONCE0001' });
    await h.fake.sendEvent(event, { eventId: 'Ev0ONCE0001', retryAttempt: 1 });
    // A later, different event: once it is answered, the retry before it has been handled too.
    await h.fake.sendEvent(mention('help'), { eventId: 'Ev0LATER001' });
    await expect.poll(() => replies().filter((m) => m.text.startsWith('/watchtower')).length).toBe(1);
    await new Promise((r) => setTimeout(r, 200));

    expect(replies().filter((m) => m.text.startsWith('TRP-000001'))).toHaveLength(1);
    // The dedupe comes before any work: the retry never even reacted.
    expect(callsOf('reactions.add')).toHaveLength(2);
  });
});

describe('direct messages', () => {
  it('answers a DM in its thread, and ignores its own messages', async () => {
    const dm = 'D0DM000001';
    const ts = h.fake.nextTs();
    await h.fake.sendEvent({
      type: 'message',
      channel_type: 'im',
      channel: dm,
      user: DISPATCHER,
      text: 'where is KJA-123XY',
      ts,
    });
    await h.fake.sendEvent({
      type: 'message',
      channel_type: 'im',
      channel: dm,
      user: h.fake.botUserId,
      bot_id: h.fake.botId,
      text: 'KJA-123XY: somewhere',
    });

    const post = await h.fake.waitForCall('chat.postMessage');
    expect(post.args).toMatchObject({ channel: dm, thread_ts: ts });
    await new Promise((r) => setTimeout(r, 200));
    expect(h.fake.messages(dm)).toHaveLength(1);
  });
});
