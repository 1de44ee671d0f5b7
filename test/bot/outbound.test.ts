import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSlackOutbound } from '../../src/bot/outbound.ts';
import { createKv } from '../../src/bus/index.ts';
import type { Kv } from '../../src/bus/kv.ts';
import { OutboxRelay } from '../../src/bus/outbox-relay.ts';
import type { RedisBus } from '../../src/bus/redis.ts';
import { addAlertRoute } from '../../src/db/alert-routes.ts';
import { insertEvents, type NewEvent } from '../../src/db/events.ts';
import { updateCurrentLocations } from '../../src/db/positions.ts';
import { setTripSlackCard } from '../../src/db/trips.ts';
import { systemActor } from '../../src/fleet/actor.ts';
import { createGeofence } from '../../src/fleet/geofences.ts';
import { handleEventsForTrips } from '../../src/fleet/trip-progress.ts';
import { createTrip, dispatchTrip, getTrip } from '../../src/fleet/trips.ts';
import { createTruck } from '../../src/fleet/trucks.ts';
import { EVENTS_STREAM } from '../../src/ingest/streams.ts';
import { runDelayWatch } from '../../src/jobs/delay-watch.ts';
import { runOfflineWatch } from '../../src/jobs/offline-watch.ts';
import { createSlackClient } from '../../src/jobs/slack-poster.ts';
import { createLogger } from '../../src/log.ts';
import { createMetrics } from '../../src/metrics.ts';
import { jobDeps } from '../jobs/deps.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.ts';
import { connectTestBus } from '../support/redis.ts';
import { until } from '../support/wait.ts';
import { blockText } from './harness.ts';

// Alerts and trip cards as they run: events written to the outbox, relayed onto the real Redis event stream,
// read by the alert and card consumer groups and posted to a local Slack-compatible fake over HTTP.

const DEFAULT = 'C0ALERTS01';
const PORT = 'C0PORTOPS1';
const IKEJA = 'C0IKEJA001';
const seeder = systemActor('test-seed');

describe('Slack alerts and trip cards from the event stream', () => {
  let db: TestDb;
  let bus: RedisBus;
  let kv: Kv;
  let fake: FakeSlack;
  let relay: OutboxRelay;
  let outbound: { stop(): Promise<void> };
  let apapa: { id: string };
  let ikeja: { id: string };
  const trucks = new Map<string, string>();

  const start = () =>
    startSlackOutbound({
      config: {
        slack: {
          botToken: 'xoxb-test',
          appToken: 'xapp-test-token',
          apiUrl: fake.apiUrl,
          alertsChannel: DEFAULT,
          reportsChannel: undefined,
          adminUsers: [],
        },
      },
      sql: db.sql,
      bus,
      kv,
      logger: createLogger('silent'),
      metrics: createMetrics(),
      replicaId: 'test-replica',
      consumer: { blockMs: 50, reclaimIdleMs: 300, reclaimEveryMs: 100, maxDeliveries: 5 },
    });

  const crossing = (
    truck: string,
    geofence: { id: string },
    name: string,
    type: string,
    at: Date,
  ): NewEvent => ({
    type: 'geofence.entered',
    entityType: 'truck',
    entityId: trucks.get(truck)!,
    occurredAt: at,
    payload: {
      truckId: trucks.get(truck),
      truckNumber: truck,
      geofenceId: geofence.id,
      geofenceName: name,
      geofenceType: type,
      at: at.toISOString(),
    },
  });
  const publish = async (events: NewEvent[]) => {
    await insertEvents(db.sql, events);
    relay.nudge();
  };
  /** A Web API client on the fake, for posting a trip's card as the bot would. */
  const slackClient = () =>
    createSlackClient(
      {
        botToken: 'xoxb-test',
        appToken: undefined,
        apiUrl: fake.apiUrl,
        alertsChannel: undefined,
        reportsChannel: undefined,
        adminUsers: [],
      },
      createLogger('silent'),
    )!;
  const posts = (channel: string) =>
    fake.calls.filter((c) => c.method === 'chat.postMessage' && c.args.channel === channel);

  beforeAll(async () => {
    db = await createTestDb();
    bus = await connectTestBus();
    await bus.ensureGroup(EVENTS_STREAM, 'slack-alerts');
    kv = createKv(bus);
    apapa = await createGeofence(db.sql, seeder, {
      name: 'Apapa Port',
      type: 'terminal',
      boundary: { center: { lat: 6.45, lng: 3.36 }, radius_m: 500 },
    });
    ikeja = await createGeofence(db.sql, seeder, {
      name: 'Ikeja Depot',
      type: 'depot',
      boundary: { center: { lat: 6.6, lng: 3.35 }, radius_m: 500 },
    });
    for (let i = 0; i < 15; i++) {
      const number = i === 0 ? 'KJA-123XY' : `LND-${String(100 + i)}AB`;
      trucks.set(number, (await createTruck(db.sql, seeder, { truck_number: number })).id);
    }
    await addAlertRoute(db.sql, { matchKind: 'geofence_type', matchValue: 'terminal', channel: PORT });
    await addAlertRoute(db.sql, { matchKind: 'geofence', matchValue: ikeja.id, channel: IKEJA });
    relay = new OutboxRelay({
      sql: db.sql,
      bus,
      stream: EVENTS_STREAM,
      logger: createLogger('silent'),
      idleMs: 20,
    });
    relay.start();
  });

  beforeEach(async () => {
    fake = await startFakeSlack({ botToken: 'xoxb-test' });
    outbound = start();
  });

  afterEach(async () => {
    await outbound.stop();
    await fake.close();
    // Let the next test's first message have its channels' slots.
    await new Promise((r) => setTimeout(r, 1_100));
  });

  afterAll(async () => {
    await relay.stop();
    await bus.close();
    await db.drop();
  });

  it('routes a terminal crossing to the port channel, one geofence to its own, the rest to the default channel', async () => {
    const trip = await createTrip(db.sql, seeder, {
      truck: 'KJA-123XY',
      origin: 'Apapa Port',
      destination: 'Ikeja Depot',
    });
    const at = new Date('2026-11-26T06:40:00Z'); // 07:40 in Lagos
    await publish([
      crossing('KJA-123XY', apapa, 'Apapa Port', 'terminal', at),
      crossing('LND-101AB', ikeja, 'Ikeja Depot', 'depot', at),
      {
        type: 'truck.offline',
        entityType: 'truck',
        entityId: trucks.get('LND-102AB')!,
        payload: { truckId: trucks.get('LND-102AB'), truckNumber: 'LND-102AB', lastFixAt: at.toISOString() },
      },
    ]);
    await until(
      'three channels hear their alerts',
      () => posts(PORT).length === 1 && posts(IKEJA).length === 1 && posts(DEFAULT).length === 1,
    );
    const port = posts(PORT)[0]!.args;
    expect(port.text).toContain('KJA-123XY entered Apapa Port at');
    expect(port.text).toContain('07:40');
    expect(port.text).toContain(`(${trip.tripNumber})`);
    expect(blockText(port.blocks as unknown[])).toContain('*KJA-123XY*');
    expect(posts(IKEJA)[0]!.args.text).toContain('LND-101AB entered Ikeja Depot');
    expect(posts(DEFAULT)[0]!.args.text).toContain('LND-102AB is offline');
    // Nothing says @channel, ever.
    for (const c of fake.calls) expect(JSON.stringify(c.args)).not.toMatch(/<!channel>|<!here>/);
  });

  it('sends a burst for one channel as one digest, then keeps to one message a second', async () => {
    const at = new Date('2026-11-26T08:00:00Z');
    const convoy = [...trucks.keys()]
      .slice(1, 13)
      .map((t) => crossing(t, apapa, 'Apapa Port', 'terminal', at));
    await publish(convoy);
    await until(
      'all twelve alerts posted',
      () =>
        posts(PORT).reduce(
          (sum, p) => sum + Number(/^(\d+) alerts?/.exec(String(p.args.text))?.[1] ?? 1),
          0,
        ) >= 12,
    );
    const digests = posts(PORT);
    // However the stream split the burst, the channel heard far fewer messages than alerts.
    expect(digests.length).toBeLessThanOrEqual(3);
    expect(String(digests[0]!.args.text)).toMatch(/^\d+ alerts: \d+ geofence crossings/);

    await publish([crossing('KJA-123XY', apapa, 'Apapa Port', 'terminal', new Date('2026-11-26T08:05:00Z'))]);
    await until('the follow-up alert', () => posts(PORT).length === digests.length + 1);
    const times = posts(PORT).map((c) => c.at);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(950);
  });

  it('waits out a 429 and posts the alert once', async () => {
    fake.failNext('chat.postMessage', { status: 429, retryAfterS: 1 });
    await publish([crossing('LND-103AB', ikeja, 'Ikeja Depot', 'depot', new Date('2026-11-26T09:00:00Z'))]);
    await until('the retried post', () => fake.messages(IKEJA).length === 1, 10_000);
    expect(posts(IKEJA)).toHaveLength(2); // the refused call and its retry
    await new Promise((r) => setTimeout(r, 500));
    expect(fake.messages(IKEJA)).toHaveLength(1);
  });

  it('does not lose an alert Slack refused, and posts a redelivered event only once', async () => {
    fake.failNext('chat.postMessage', { error: 'internal_error' });
    const event = crossing('LND-104AB', ikeja, 'Ikeja Depot', 'depot', new Date('2026-11-26T10:00:00Z'));
    const [stored] = await insertEvents(db.sql, [event]);
    relay.nudge();
    await until('the alert after a refusal', () => fake.messages(IKEJA).length === 1, 10_000);
    expect(posts(IKEJA)).toHaveLength(2);

    // The same event on the stream again (a redelivery after a crash between posting and acking).
    await bus.append(EVENTS_STREAM, {
      id: String(stored!.id),
      event_id: stored!.eventId,
      type: stored!.type,
      entity_type: stored!.entityType,
      entity_id: stored!.entityId,
      payload: JSON.stringify(stored!.payload),
      correlation_id: '',
      actor: '',
      occurred_at: stored!.occurredAt.toISOString(),
    });
    const marker = crossing('LND-105AB', ikeja, 'Ikeja Depot', 'depot', new Date('2026-11-26T10:01:00Z'));
    await publish([marker]);
    await until('the marker alert', () => fake.messages(IKEJA).length === 2, 10_000);
    expect(fake.messages(IKEJA).map((m) => m.text.slice(0, 9))).toEqual(['LND-104AB', 'LND-105AB']);
  });

  it('picks up alerts written while it was stopped', async () => {
    await outbound.stop();
    await publish([crossing('LND-106AB', ikeja, 'Ikeja Depot', 'depot', new Date('2026-11-26T11:00:00Z'))]);
    await new Promise((r) => setTimeout(r, 300));
    expect(fake.messages(IKEJA)).toHaveLength(0);
    outbound = start();
    await until('the alert written while stopped', () => fake.messages(IKEJA).length === 1, 10_000);
  });

  it('redraws the trip card in place when the trip advances on its own', async () => {
    const trip = await createTrip(db.sql, seeder, {
      truck: 'LND-107AB',
      origin: 'Ikeja Depot',
      destination: 'Apapa Port',
    });
    const client = slackClient();
    const posted = (await client.chat.postMessage({ channel: 'C0TRIPS001', text: 'card' })) as { ts: string };
    await setTripSlackCard(db.sql, trip.id, 'C0TRIPS001', posted.ts);
    await dispatchTrip(db.sql, seeder, trip.id, {});

    const [entered] = await insertEvents(db.sql, [
      crossing('LND-107AB', ikeja, 'Ikeja Depot', 'depot', new Date()),
    ]);
    await handleEventsForTrips(db.sql, [entered!]);
    expect((await getTrip(db.sql, seeder, trip.id)).status).toBe('at_pickup');
    relay.nudge();

    await until(
      'the card redrawn',
      () => /at pickup/i.test(fake.messages('C0TRIPS001')[0]?.text ?? ''),
      10_000,
    );
    const card = fake.messages('C0TRIPS001');
    expect(card).toHaveLength(1);
    expect(card[0]!.ts).toBe(posted.ts);
    expect(blockText(card[0]!.blocks)).toContain(trip.tripNumber);
  });

  it("posts the offline watch's alert, and back online when the truck reports again", async () => {
    const truckId = trucks.get('LND-113AB')!;
    const lastFix = new Date(Date.now() - 2 * 3600_000);
    const fix = (fixTime: Date) =>
      updateCurrentLocations(db.sql, [
        { truckId, fixTime, lat: 6.5, lng: 3.35, speedKmh: 0, headingDeg: null, ignition: false },
      ]);
    await fix(lastFix);
    await runOfflineWatch(jobDeps(db.sql).deps);
    relay.nudge();
    await until('the offline alert', () => fake.messages(DEFAULT).length === 1);
    expect(fake.messages(DEFAULT)[0]!.text).toMatch(/^LND-113AB is offline: no position for 2 h, last seen/);

    await fix(new Date());
    await runOfflineWatch(jobDeps(db.sql).deps);
    relay.nudge();
    await until('the back-online alert', () => fake.messages(DEFAULT).length === 2);
    expect(fake.messages(DEFAULT)[1]!.text).toMatch(
      /^LND-113AB is back online at .* after 2 h without a position/,
    );
  });

  it("posts the delay watch's alert in the late trip's card thread", async () => {
    const trip = await createTrip(db.sql, seeder, {
      truck: 'LND-114AB',
      origin: 'Ikeja Depot',
      destination: 'Apapa Port',
      eta: new Date(Date.now() - 45 * 60_000).toISOString(),
    });
    const client = slackClient();
    const card = (await client.chat.postMessage({ channel: 'C0TRIPS002', text: 'card' })) as { ts: string };
    await setTripSlackCard(db.sql, trip.id, 'C0TRIPS002', card.ts);

    await runDelayWatch(jobDeps(db.sql).deps);
    relay.nudge();
    await until('the delay alert', () => fake.messages('C0TRIPS002').length === 2);
    const alert = fake.messages('C0TRIPS002').find((m) => m.ts !== card.ts)!;
    expect(alert.thread_ts).toBe(card.ts);
    expect(alert.text).toMatch(
      new RegExp(
        `^${trip.tripNumber} \\(LND-114AB\\) is 45 min past its ETA .* to Apapa Port, still planned`,
      ),
    );
    expect(fake.messages(DEFAULT)).toHaveLength(0);
  });
});
