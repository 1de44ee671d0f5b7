import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getTrip } from '../../../src/db/trips.ts';
import { CHANNEL, DISPATCHER, type Harness, startHarness, VIEWER } from '../harness.ts';

let h: Harness;

beforeEach(async () => {
  h = await startHarness();
});

afterEach(async () => {
  await h?.stop();
});

const picked = (value: string) => ({ type: 'static_select', selected_option: { value } });
const typed = (value: string | null) => ({ type: 'plain_text_input', value });

/** The modal's answers as Slack sends them in view.state.values. */
async function answers(overrides: Record<string, unknown> = {}) {
  const geofences = await h.db.sql<{ id: string; name: string }[]>`select id, name from geofences`;
  const id = (name: string) => geofences.find((g) => g.name === name)?.id ?? '';
  return {
    trip_truck: { truck: picked('LND-456AB') },
    trip_origin: { origin: picked(id('Ikeja Depot')) },
    trip_destination: { destination: picked(id('Apapa Port')) },
    trip_client: { client: typed('Lafarge') },
    trip_cargo: { cargo: typed(null) },
    trip_planned_start: { planned_start: { type: 'datetimepicker', selected_date_time: null } },
    trip_eta: { eta: { type: 'datetimepicker', selected_date_time: null } },
    ...overrides,
  };
}

function submit(values: Record<string, unknown>, user = DISPATCHER) {
  return h.fake.sendInteraction({
    type: 'view_submission',
    user: { id: user },
    view: {
      id: 'V0TRIPNEW1',
      type: 'modal',
      callback_id: 'trip_new',
      private_metadata: JSON.stringify({ channel: CHANNEL }),
      state: { values },
    },
  });
}

const tripCount = async () => Number((await h.db.sql`select count(*)::int as n from trips`)[0]?.n);

describe('the plan-a-trip modal', () => {
  it('keeps the modal open with an error under Origin when no origin was picked, and plans nothing', async () => {
    const ack = await submit(
      await answers({ trip_origin: { origin: { type: 'static_select', selected_option: null } } }),
    );

    expect(ack.payload).toEqual({
      response_action: 'errors',
      errors: { trip_origin: "expected the origin geofence's name or id" },
    });
    expect(await tripCount()).toBe(1);
    expect(h.fake.messages(CHANNEL)).toEqual([]);
  });

  it('shows a busy truck under Truck', async () => {
    const ack = await submit(await answers({ trip_truck: { truck: picked('KJA-123XY') } }));

    expect(ack.payload).toMatchObject({
      response_action: 'errors',
      errors: { trip_truck: expect.stringMatching(/^KJA-123XY is already on TRP-000001 \(planned\)/) },
    });
  });

  it('refuses a viewer in the form, saying who can plan trips', async () => {
    const ack = await submit(await answers(), VIEWER);

    expect(ack.payload).toEqual({
      response_action: 'errors',
      errors: { trip_truck: 'Only a dispatcher or admin can plan trips; you are a viewer.' },
    });
  });

  it('plans the trip, posts its card in the channel the modal came from, and remembers where the card is', async () => {
    const ack = await submit(await answers());

    expect(ack.payload).toEqual({});
    const post = await h.fake.waitForCall('chat.postMessage');
    expect(post.args).toMatchObject({
      channel: CHANNEL,
      text: 'TRP-000002 is planned: LND-456AB, Ikeja Depot → Apapa Port',
    });
    await expect
      .poll(async () => (await getTrip(h.db.sql, 'TRP-000002'))?.slackTs)
      .toBe(h.fake.messages(CHANNEL)[0]?.ts);
    const trip = await getTrip(h.db.sql, 'TRP-000002');
    expect(trip).toMatchObject({
      slackChannel: CHANNEL,
      client: 'Lafarge',
      createdBy: `slack:${DISPATCHER}`,
    });
  });
});
