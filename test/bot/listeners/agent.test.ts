import { afterEach, describe, expect, it } from 'vitest';
import { type AgentOptions, createAgent } from '../../../src/agent/agent.ts';
import { listTrips } from '../../../src/db/trips.ts';
import { createLogger } from '../../../src/log.ts';
import { FLEET_TOOLS } from '../../../src/tools/index.ts';
import { loadSystemPrompt } from '../../../src/tools/prompt.ts';
import { type FakeOpenAI, startFakeOpenAI, toolOutputs } from '../../support/fake-openai.ts';
import type { FakeMessage } from '../../support/fake-slack.ts';
import {
  type Button,
  blockText,
  buttons,
  CHANNEL,
  DISPATCHER,
  type Harness,
  startHarness,
  VIEWER,
} from '../harness.ts';

/** Every trip, for counting what a test created. */
const ALL = { limit: 100, offset: 0 };

// The agent through the real Socket Mode path: a mention reaches startSlackBot's Bolt app via the fake Slack,
// the agent asks the fake OpenAI, and a preview card's buttons come back as block_actions.

const KEY = 'sk-test-slack-agent';
let h: Harness;
let openai: FakeOpenAI;
let clock = new Date();

async function start(overrides: Partial<AgentOptions> = {}) {
  openai = await startFakeOpenAI({ apiKey: KEY, deltaPauseMs: 100 });
  const systemPrompt = await loadSystemPrompt();
  h = await startHarness({
    bot: (db) => ({
      streamUpdateMs: 0,
      agent: createAgent({
        sql: db.sql,
        logger: createLogger('silent'),
        openai: { apiKey: KEY, baseUrl: openai.baseUrl, model: 'gpt-test' },
        tools: FLEET_TOOLS,
        systemPrompt,
        timeoutMs: 5_000,
        now: () => clock,
        ...overrides,
      }),
    }),
  });
}

afterEach(async () => {
  await h?.stop();
  await openai?.close();
  clock = new Date();
});

const mention = (text: string, ts = h.fake.nextTs()) =>
  h.fake.sendEvent({
    type: 'app_mention',
    user: DISPATCHER,
    text: `<@${h.fake.botUserId}> ${text}`,
    channel: CHANNEL,
    ts,
  });

const callsOf = (method: string) => h.fake.calls.filter((c) => c.method === method);

function click(card: FakeMessage, b: Button, user: string) {
  return h.fake.sendInteraction({
    type: 'block_actions',
    user: { id: user },
    channel: { id: CHANNEL, name: 'ops' },
    container: { type: 'message', message_ts: card.ts, channel_id: CHANNEL, is_ephemeral: false },
    message: {
      type: 'message',
      ts: card.ts,
      text: card.text,
      blocks: card.blocks,
      thread_ts: card.thread_ts,
    },
    actions: [{ type: 'button', ...b, action_ts: h.fake.nextTs() }],
  });
}

const book = {
  tool: 'create_trip',
  args: { truck: 'LND-456AB', origin: 'Apapa Port', destination: 'Ikeja Depot' },
};

/** Mentions the bot asking for a trip and returns the preview card it posts. */
async function previewCard(): Promise<FakeMessage> {
  const ts = h.fake.nextTs();
  await mention('book LND-456AB from Apapa to Ikeja', ts);
  const post = await h.fake.waitForCall('chat.postMessage');
  expect(post.args.thread_ts).toBe(ts);
  const card = h.fake.messages(CHANNEL)[0];
  if (!card) throw new Error('no preview card');
  return card;
}

const button = (card: FakeMessage, id: string) => {
  const found = buttons(card.blocks).find((b) => b.action_id === id);
  if (!found) throw new Error(`no ${id} button`);
  return found;
};

describe('the agent in Slack', () => {
  it('answers a mention in its thread, streaming the text into one message that is updated as it grows', async () => {
    await start();
    openai.script(
      { tool: 'get_truck_location', args: { truck: 'KJA-123XY' } },
      { text: 'KJA-123XY is parked inside Apapa Port since 2 minutes ago.' },
    );
    const ts = h.fake.nextTs();

    await mention('where is KJA-123XY?', ts);

    await expect
      .poll(() => h.fake.messages(CHANNEL)[0]?.text)
      .toBe('KJA-123XY is parked inside Apapa Port since 2 minutes ago.');
    const [reply] = h.fake.messages(CHANNEL);
    expect(reply?.thread_ts).toBe(ts);
    expect(h.fake.messages(CHANNEL)).toHaveLength(1);
    expect(callsOf('chat.postMessage')).toHaveLength(1);
    expect(callsOf('chat.update').length).toBeGreaterThan(0);
    expect(String(callsOf('chat.postMessage')[0]?.args.text).length).toBeLessThan(reply!.text.length);
    expect(JSON.parse(Object.values(toolOutputs(openai.requests[1]!))[0]!)).toMatchObject({ ok: true });
  });

  it('posts a preview card for a write; a viewer is refused, the asker confirms, and the trip is made', async () => {
    await start();
    openai.script(book, (req) => {
      const result = JSON.parse(Object.values(toolOutputs(req))[0]!) as {
        data: { trip?: string; no?: string };
      };
      return { text: `Planned ${JSON.stringify(result.data).match(/TRP-\d+/)?.[0]}.` };
    });

    const card = await previewCard();

    expect(card.text).toMatch(/^Confirm\? Plan a trip from Apapa Port to Ikeja Depot, with LND-456AB/);
    expect(buttons(card.blocks).map((b) => b.action_id)).toEqual(['agent_confirm:yes', 'agent_confirm:no']);
    expect(await listTrips(h.db.sql, ALL)).toHaveLength(1);

    await click(card, button(card, 'agent_confirm:yes'), VIEWER);
    const refusal = await h.fake.waitForCall('chat.postEphemeral');
    expect(refusal.args).toMatchObject({
      user: VIEWER,
      text: `Only <@${DISPATCHER}> (who asked) or a dispatcher or admin can confirm or cancel this; you are a viewer.`,
    });
    expect(await listTrips(h.db.sql, ALL)).toHaveLength(1);

    await click(card, button(card, 'agent_confirm:yes'), DISPATCHER);

    await expect.poll(() => h.fake.messages(CHANNEL).length).toBe(2);
    const [redrawn, answer] = h.fake.messages(CHANNEL);
    expect(redrawn?.text).toMatch(new RegExp(`^Confirmed by <@${DISPATCHER}>: Plan a trip`));
    expect(buttons(redrawn?.blocks)).toEqual([]);
    expect(answer).toMatchObject({ text: 'Planned TRP-000002.', thread_ts: card.thread_ts });
    expect((await listTrips(h.db.sql, ALL)).map((t) => t.tripNumber).sort()).toEqual([
      'TRP-000001',
      'TRP-000002',
    ]);
  });

  it('cancels on Cancel: the card says who cancelled and nothing changes', async () => {
    await start();
    openai.script(book);
    const card = await previewCard();

    await click(card, button(card, 'agent_confirm:no'), DISPATCHER);

    await expect.poll(() => h.fake.messages(CHANNEL).length).toBe(2);
    expect(h.fake.messages(CHANNEL)[0]?.text).toMatch(/^Cancelled by <@U0DISPATCH>; nothing changed/);
    expect(h.fake.messages(CHANNEL)[1]?.text).toMatch(/^Cancelled; nothing changed\./);
    expect(await listTrips(h.db.sql, ALL)).toHaveLength(1);
    expect(openai.requests).toHaveLength(1);
  });

  it('tells a late clicker the preview expired and redraws the card without buttons', async () => {
    await start({ confirmTtlMs: 60_000 });
    openai.script(book);
    const card = await previewCard();
    clock = new Date(clock.getTime() + 2 * 60_000);

    await click(card, button(card, 'agent_confirm:yes'), DISPATCHER);

    const told = await h.fake.waitForCall('chat.postEphemeral');
    expect(told.args.text).toMatch(/^This preview expired at \d\d:\d\d, so nothing changed; ask again/);
    await expect.poll(() => h.fake.messages(CHANNEL)[0]?.text).toMatch(/^Expired; nothing changed/);
    expect(blockText(h.fake.messages(CHANNEL)[0]?.blocks)).toContain('expired');
    expect(await listTrips(h.db.sql, ALL)).toHaveLength(1);
  });

  it('answers with the router in limited mode when OpenAI does not answer in time, and says so', async () => {
    await start({ timeoutMs: 300 });
    openai.script({ stall: true }, { stall: true });

    await mention('where is KJA-123XY?');

    await expect
      .poll(() => h.fake.messages(CHANNEL)[0]?.text, { timeout: 10_000 })
      .toMatch(/^KJA-123XY: Inside Apapa Port/);
    const reply = h.fake.messages(CHANNEL)[0];
    expect(reply?.text).toContain('The assistant is in limited mode (the AI service did not answer in time)');
    expect(blockText(reply?.blocks)).toContain('limited mode');
  });
});
