import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getTrip } from '../../../src/db/trips.ts';
import type { FakeMessage } from '../../support/fake-slack.ts';
import { type Button, buttons, CHANNEL, DISPATCHER, type Harness, startHarness, VIEWER } from '../harness.ts';

let h: Harness;

beforeEach(async () => {
  h = await startHarness();
});

afterEach(async () => {
  await h?.stop();
});

/** Posts TRP-000001's card with /trip status, as a person would, and returns it. */
async function postCard(): Promise<FakeMessage> {
  await h.fake.sendSlashCommand({ command: '/trip', text: 'status TRP-000001', channel_id: CHANNEL });
  await h.fake.waitForCall('response_url');
  const card = h.fake.messages(CHANNEL)[0];
  if (!card) throw new Error('no card posted');
  return card;
}

function button(card: FakeMessage, actionId: string): Button {
  const found = buttons(card.blocks).find((b) => b.action_id === actionId);
  if (!found) throw new Error(`no ${actionId} button on the card`);
  return found;
}

/** A click as Slack sends it: block_actions on the card's message. */
function click(card: FakeMessage, b: Button, user: string) {
  return h.fake.sendInteraction({
    type: 'block_actions',
    user: { id: user },
    channel: { id: CHANNEL, name: 'ops' },
    container: { type: 'message', message_ts: card.ts, channel_id: CHANNEL, is_ephemeral: false },
    message: { type: 'message', ts: card.ts, text: card.text, blocks: card.blocks },
    actions: [{ type: 'button', ...b, action_ts: h.fake.nextTs() }],
  });
}

const statusInDb = async () => (await getTrip(h.db.sql, 'TRP-000001'))?.status;
const callsOf = (method: string) => h.fake.calls.filter((c) => c.method === method);

describe('trip status buttons', () => {
  it('moves the trip when a dispatcher clicks, and redraws the card in place with the new status', async () => {
    const card = await postCard();

    const ack = await click(card, button(card, 'trip_status:dispatched'), DISPATCHER);

    expect(ack.payload).toEqual({});
    await h.fake.waitForCall('chat.update');
    expect(await statusInDb()).toBe('dispatched');
    const [updated] = h.fake.messages(CHANNEL);
    expect(updated).toMatchObject({
      ts: card.ts,
      text: 'TRP-000001 is dispatched: KJA-123XY, Apapa Port → Ikeja Depot',
      edited: { user: h.fake.botUserId },
    });
    expect(buttons(updated?.blocks).map((b) => b.action_id)).toEqual([
      'trip_status:at_pickup',
      'trip_status:cancelled',
    ]);
    const trip = await getTrip(h.db.sql, 'TRP-000001');
    expect(trip?.updatedBy).toBe(`slack:${DISPATCHER}`);
    expect(h.fake.ephemerals(CHANNEL)).toEqual([]);
  });

  it('refuses a viewer, telling them alone who can; the trip and the card stay as they were', async () => {
    const card = await postCard();

    await click(card, button(card, 'trip_status:dispatched'), VIEWER);

    const ephemeral = await h.fake.waitForCall('chat.postEphemeral');
    expect(ephemeral.args).toMatchObject({
      channel: CHANNEL,
      user: VIEWER,
      text: 'Only a dispatcher or admin can change trip statuses; you are a viewer.',
    });
    expect(await statusInDb()).toBe('planned');
    expect(callsOf('chat.update')).toEqual([]);
    expect(h.fake.messages(CHANNEL)[0]).toEqual(card);
  });

  it('tells the second clicker of a stale card that someone moved first, and redraws the card as it is now', async () => {
    const card = await postCard();
    const dispatch = button(card, 'trip_status:dispatched');
    await click(card, dispatch, DISPATCHER);
    await h.fake.waitForCall('chat.update');

    // The same (now stale) card, clicked again: its button carries the version it was drawn at.
    await click(card, dispatch, DISPATCHER);

    const ephemeral = await h.fake.waitForCall('chat.postEphemeral');
    expect(ephemeral.args.text).toBe(
      'Someone else just changed TRP-000001 (now dispatched); reload and try again.',
    );
    await expect.poll(() => callsOf('chat.update').length).toBe(2);
    expect(h.fake.messages(CHANNEL)[0]?.text).toMatch(/^TRP-000001 is dispatched/);
    const trip = await getTrip(h.db.sql, 'TRP-000001');
    expect(trip?.version).toBe(2);
  });

  it('cancels after the confirm dialog, recording that it came from Slack', async () => {
    const card = await postCard();

    await click(card, button(card, 'trip_status:cancelled'), DISPATCHER);

    await h.fake.waitForCall('chat.update');
    const trip = await getTrip(h.db.sql, 'TRP-000001');
    expect(trip).toMatchObject({
      status: 'cancelled',
      cancelReason: 'Cancelled from Slack; no reason given',
    });
    expect(h.fake.messages(CHANNEL)[0]?.text).toMatch(/^TRP-000001 is cancelled/);
    expect(buttons(h.fake.messages(CHANNEL)[0]?.blocks)).toEqual([]);
  });
});
