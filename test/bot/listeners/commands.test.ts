import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { blockText, buttons, CHANNEL, DISPATCHER, type Harness, startHarness, VIEWER } from '../harness.ts';

let h: Harness;

beforeEach(async () => {
  h = await startHarness();
});

afterEach(async () => {
  await h?.stop();
});

/** Sends a slash command and waits for its answer through the response_url. */
async function command(command: string, text: string, user = DISPATCHER) {
  const ack = await h.fake.sendSlashCommand({ command, text, user_id: user, channel_id: CHANNEL });
  const response = await h.fake.waitForCall('response_url');
  return { ack, response: response.args };
}

describe('/truck', () => {
  it('acks at once and answers KJA-123XY with its card in the channel: inside Apapa Port, on its trip', async () => {
    const { ack, response } = await command('/truck', 'KJA-123XY');

    expect(ack.payload).toEqual({});
    expect(response).toMatchObject({ response_type: 'in_channel' });
    const [card] = h.fake.messages(CHANNEL);
    expect(card?.text).toMatch(/^KJA-123XY: Inside Apapa Port, last fix 2 min ago/);
    expect(card?.text).toContain('on TRP-000001');
    expect(blockText(card?.blocks)).toContain('TRP-000001 (planned, Apapa Port → Ikeja Depot)');
    expect(h.fake.ephemerals(CHANNEL)).toEqual([]);
  });

  it('finds the truck however it is typed (kja-123xy)', async () => {
    await command('/truck', 'kja-123xy');

    expect(h.fake.messages(CHANNEL)[0]?.text).toMatch(/^KJA-123XY: /);
  });

  it('answers help, and an empty /truck, with the help to the asker only', async () => {
    await command('/truck', 'help');

    expect(h.fake.messages(CHANNEL)).toEqual([]);
    const [help] = h.fake.ephemerals(CHANNEL);
    expect(help).toMatchObject({ user: DISPATCHER });
    expect(help?.text).toMatch(/^\/truck: Where a truck is/);
    expect(blockText(help?.blocks)).toContain('/truck help');
  });

  it('tells the asker alone that an unknown truck does not exist, naming the close match', async () => {
    await command('/truck', 'KJA-124XY', VIEWER);

    expect(h.fake.messages(CHANNEL)).toEqual([]);
    expect(h.fake.ephemerals(CHANNEL)).toMatchObject([
      { user: VIEWER, text: 'No truck KJA-124XY. Did you mean KJA-123XY?' },
    ]);
    expect(h.problems).toEqual([]);
  });
});

describe('/trip', () => {
  it('shows a trip card with its status buttons in the channel for /trip status TRP-000001', async () => {
    const { response } = await command('/trip', 'status TRP-000001', VIEWER);

    expect(response).toMatchObject({ response_type: 'in_channel' });
    const [card] = h.fake.messages(CHANNEL);
    expect(card?.text).toBe('TRP-000001 is planned: KJA-123XY, Apapa Port → Ikeja Depot');
    expect(blockText(card?.blocks)).toContain('Dangote Cement');
    expect(buttons(card?.blocks).map((b) => b.action_id)).toEqual([
      'trip_status:dispatched',
      'trip_status:cancelled',
    ]);
  });

  it('reads a bare trip number too (/trip 1)', async () => {
    await command('/trip', '1');

    expect(h.fake.messages(CHANNEL)[0]?.text).toMatch(/^TRP-000001 is planned/);
  });

  it('says, to the asker only, that a trip does not exist', async () => {
    await command('/trip', 'status TRP-000099');

    expect(h.fake.messages(CHANNEL)).toEqual([]);
    expect(h.fake.ephemerals(CHANNEL)[0]?.text).toBe(
      'No trip TRP-000099: check the number (they look like TRP-000042).',
    );
  });

  it('lists open trips compactly to the asker', async () => {
    await command('/trip', 'list active');

    const [list] = h.fake.ephemerals(CHANNEL);
    expect(list?.text).toBe('Open trips: 1 trip: TRP-000001');
    expect(blockText(list?.blocks)).toContain(
      '*TRP-000001* · KJA-123XY · Apapa Port → Ikeja Depot · planned',
    );
  });

  it("lists today's trips", async () => {
    await command('/trip', 'list today');

    expect(h.fake.ephemerals(CHANNEL)[0]?.text).toMatch(/^Trips today \(\d{4}-\d{2}-\d{2}\): 1 trip/);
  });

  it('opens the plan-a-trip modal for a dispatcher, with the geofences and trucks to pick from', async () => {
    await h.fake.sendSlashCommand({
      command: '/trip',
      text: 'new',
      user_id: DISPATCHER,
      channel_id: CHANNEL,
    });

    const open = await h.fake.waitForCall('views.open');
    const view = open.args.view as { callback_id: string; private_metadata: string; blocks: unknown[] };
    expect(open.args.trigger_id).toEqual(expect.any(String));
    expect(view.callback_id).toBe('trip_new');
    expect(JSON.parse(view.private_metadata)).toEqual({ channel: CHANNEL });
    expect(blockText(view.blocks)).toContain('Apapa Port');
    expect(blockText(view.blocks)).toContain('LND-456AB');
  });

  it('refuses a viewer the modal, saying who can plan trips', async () => {
    await command('/trip', 'new', VIEWER);

    expect(h.fake.calls.filter((c) => c.method === 'views.open')).toEqual([]);
    expect(h.fake.ephemerals(CHANNEL)[0]?.text).toBe(
      'Only a dispatcher or admin can plan trips; you are a viewer.',
    );
  });

  it('answers /trip help with the help, and an unknown word with what to try', async () => {
    await command('/trip', 'help');
    expect(h.fake.ephemerals(CHANNEL)[0]?.text).toMatch(/^\/trip: Plan trips/);

    await h.fake.sendSlashCommand({ command: '/trip', text: 'teleport', channel_id: CHANNEL });
    await h.fake.waitForCall('response_url', (c) => String(c.args.text).includes('teleport'));
    expect(h.fake.ephemerals(CHANNEL)[1]?.text).toBe("I don't know `/trip teleport`; try `/trip help`.");
  });
});

describe('/fleet', () => {
  it('shows the fleet at a glance in the channel: trucks, open trips, who is at which terminal', async () => {
    await command('/fleet', '');

    const [summary] = h.fake.messages(CHANNEL);
    expect(summary?.text).toMatch(/: 2 trucks, 0 moving, 1 offline; 1 open trip; 1 at Apapa Port$/);
    expect(blockText(summary?.blocks)).toContain('Apapa Port: 1');
  });
});
