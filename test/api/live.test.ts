import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { signToken } from '../../src/api/auth.ts';
import { LiveHub, type LiveSocket, MAX_BUFFERED_BYTES } from '../../src/api/live.ts';
import { startWatchTower, type WatchTower } from '../../src/app.ts';
import { MemoryBus } from '../../src/bus/memory.ts';
import { loadConfig } from '../../src/config.ts';
import { WEBHOOK_PATH } from '../../src/ingest/webhook.ts';
import { createLogger } from '../../src/log.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { liveLocation, signedHeaders, WEBHOOK_SECRET } from '../support/loconav.ts';
import { testRedisUrl, uniquePrefix } from '../support/redis.ts';
import { until } from '../support/wait.ts';

const JWT_SECRET = 'a-jwt-secret-of-at-least-32-characters!';
const viewer = signToken(JWT_SECRET, { sub: 'dashboard', role: 'viewer' });
const dispatcher = signToken(JWT_SECRET, { sub: 'ada', role: 'dispatcher' });
const truck = { imei: '0356938035643809', number: 'KJA-777LV' };

interface Message {
  type: string;
  [key: string]: unknown;
}

function connect(
  url: string,
): Promise<{ ws: WebSocket; messages: Message[]; next(type: string): Promise<Message> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const messages: Message[] = [];
    const waiters: { type: string; resolve: (m: Message) => void }[] = [];
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as Message;
      messages.push(m);
      for (const w of waiters.filter((w) => w.type === m.type)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    });
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
    ws.once('open', () =>
      resolve({
        ws,
        messages,
        next: (type) =>
          new Promise((res, rej) => {
            const seen = messages.find((m) => m.type === type && !('consumed' in m));
            if (seen) return res(seen);
            waiters.push({ type, resolve: res });
            setTimeout(() => rej(new Error(`no ${type} message`)), 10_000);
          }),
      }),
    );
  });
}

describe('live updates, caching and rate limits through the API', () => {
  let db: TestDb;
  let wt: WatchTower;
  let ws: string;

  const sendFix = async (at: Date, lat: number, lng: number) => {
    const body = JSON.stringify(liveLocation(truck, at, lat, lng));
    const res = await fetch(`${wt.url}${WEBHOOK_PATH}`, {
      method: 'POST',
      body,
      headers: signedHeaders(WEBHOOK_SECRET, body),
    });
    expect(res.status).toBe(202);
  };
  const get = (path: string, token = viewer) =>
    fetch(`${wt.url}${path}`, { headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    db = await createTestDb();
    wt = await startWatchTower(
      loadConfig({
        DATABASE_URL: db.url,
        REDIS_URL: testRedisUrl(),
        PORT: '0',
        JWT_SECRET,
        LOCONAV_WEBHOOK_SECRET: WEBHOOK_SECRET,
        WATCHTOWER_ROLES: 'webhook,api,consumers',
        API_RATE_LIMIT_PER_MINUTE: '1000',
      }),
      {
        logger: createLogger('silent'),
        busPrefix: uniquePrefix(),
        tuning: { consumer: { blockMs: 50 }, relayIdleMs: 20 },
      },
    );
    ws = wt.url!.replace('http', 'ws');
    const created = await fetch(`${wt.url}/api/v1/trucks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${dispatcher}`, 'content-type': 'application/json' },
      body: JSON.stringify({ truck_number: truck.number, imei: truck.imei }),
    });
    expect(created.status).toBe(201);
  }, 60_000);

  afterAll(async () => {
    await wt?.stop();
    await db?.drop();
  });

  it('pushes a truck’s new location to its subscribers and to the fleet feed', async () => {
    const one = await connect(`${ws}/ws/trucks/${truck.number}/location?token=${viewer}`);
    const fleet = await connect(`${ws}/ws/fleet?token=${viewer}`);
    try {
      await one.next('subscribed');
      await fleet.next('subscribed');
      await sendFix(new Date(Date.now() - 30_000), 6.4474, 3.3636);
      const pushed = await one.next('location');
      expect(pushed).toMatchObject({ truckNumber: truck.number, lat: 6.4474, lng: 3.3636 });
      expect((await fleet.next('location')).truckNumber).toBe(truck.number);
    } finally {
      one.ws.close();
      fleet.ws.close();
    }
  });

  it('refuses a WebSocket without a token', async () => {
    await expect(connect(`${ws}/ws/fleet`)).rejects.toThrow('HTTP 401');
  });

  it('answers a truck’s location from the cache until a newer fix changes it', async () => {
    await sendFix(new Date(Date.now() - 20_000), 6.45, 3.36);
    let first: Response;
    const deadline = Date.now() + 10_000;
    do {
      first = await get(`/api/v1/trucks/${truck.number}/location`);
      const body = (await first.clone().json()) as { location: { lat: number } | null };
      if (body.location?.lat === 6.45) break;
      await new Promise((r) => setTimeout(r, 100));
    } while (Date.now() < deadline);
    // The first answer for a truck number teaches the cache its id; from then on answers are cached.
    await get(`/api/v1/trucks/${truck.number}/location`);
    const second = await get(`/api/v1/trucks/${truck.number}/location`);
    expect(second.headers.get('x-cache')).toBe('hit');
    expect(((await second.json()) as { location: { lat: number } }).location.lat).toBe(6.45);

    await sendFix(new Date(Date.now() - 10_000), 6.4505, 3.3605); // 80 m on: a plausible move
    let lat = 0;
    const until = Date.now() + 10_000;
    while (lat !== 6.4505 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
      const res = await get(`/api/v1/trucks/${truck.number}/location`);
      lat = ((await res.json()) as { location: { lat: number } }).location.lat;
    }
    expect(lat).toBe(6.4505);
  });
  it('pushes a trip’s status changes, manual and automatic, to its subscribers', async () => {
    const post = (path: string, body: unknown, method = 'POST') =>
      fetch(`${wt.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${dispatcher}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    for (const [name, lat, lng] of [
      // Around where the earlier tests left the truck, so the next fix is a plausible move.
      ['Tin Can Island Port', 6.4506, 3.3606],
      ['Lekki Free Trade Zone', 6.4426, 3.9822],
    ] as const) {
      const g = await post('/api/v1/geofences', {
        name,
        type: 'terminal',
        boundary: { center: { lat, lng }, radius_m: 500 },
        min_dwell_s: 0,
      });
      expect(g.status).toBe(201);
    }
    const created = await post('/api/v1/trips', {
      truck: truck.number,
      origin: 'Tin Can Island Port',
      destination: 'Lekki Free Trade Zone',
      client: 'Dangote',
      cargo: 'cement',
    });
    expect(created.status).toBe(201);
    const trip = (await created.json()) as { id: string; trip_number: string; version: number };
    const watcher = await connect(`${ws}/ws/trips/${trip.trip_number}/status?token=${viewer}`);
    try {
      await watcher.next('subscribed');
      const moved = await post(
        `/api/v1/trips/${trip.id}/status`,
        { status: 'dispatched', version: trip.version },
        'PUT',
      );
      expect(moved.status).toBe(200);
      expect(await watcher.next('trip.status_changed')).toMatchObject({ tripId: trip.id, to: 'dispatched' });
      // The truck reports from inside the origin: the geofence watcher's entry advances the trip on its own.
      // Fixes keep coming (as they do) until the watcher's index has picked up the new geofence; they are
      // stamped after the dispatch (a stage never moves on an event from before the last one).
      await new Promise((r) => setTimeout(r, 2_100));
      const autoAdvanced = () =>
        watcher.messages.find((m) => m.type === 'trip.status_changed' && m.to === 'at_pickup');
      // A second apart: each fix a new second, so each request new bytes (a signature is accepted once, and two
      // sends within one second signed the same body twice: the second was refused as a replay).
      for (let i = 0; i < 20 && !autoAdvanced(); i++) {
        await sendFix(new Date(Math.floor(Date.now() / 1000) * 1000 - 1000), 6.4507, 3.3607);
        await new Promise((r) => setTimeout(r, 1_000));
      }
      const auto = await until('the automatic advance', autoAdvanced);
      expect(auto).toMatchObject({ tripId: trip.id, auto: true });
    } finally {
      watcher.ws.close();
    }
  }, 60_000);
});

describe('the rate limit', () => {
  it('answers 429 with Retry-After once a client passes its limit', async () => {
    const db = await createTestDb();
    const wt = await startWatchTower(
      loadConfig({
        DATABASE_URL: db.url,
        REDIS_URL: testRedisUrl(),
        PORT: '0',
        JWT_SECRET,
        WATCHTOWER_ROLES: 'api',
        API_RATE_LIMIT_PER_MINUTE: '3',
      }),
      { logger: createLogger('silent'), busPrefix: uniquePrefix() },
    );
    try {
      const statuses: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 4; i++) {
        last = await fetch(`${wt.url}/api/v1/trucks`, { headers: { authorization: `Bearer ${viewer}` } });
        statuses.push(last.status);
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await last!.json()) as { error: { code: string } }).error.code).toBe('WT_RATE_LIMITED');
      // Another client has its own allowance.
      const other = signToken(JWT_SECRET, { sub: 'someone-else', role: 'viewer' });
      expect(
        (await fetch(`${wt.url}/api/v1/trucks`, { headers: { authorization: `Bearer ${other}` } })).status,
      ).toBe(200);
    } finally {
      await wt.stop();
      await db.drop();
    }
  }, 60_000);
});

describe('LiveHub', () => {
  it('drops a client that cannot keep up instead of buffering for it', async () => {
    const hub = new LiveHub(new MemoryBus(), createLogger('silent'), 'events');
    const closed: number[] = [];
    const sent: string[] = [];
    const slow: LiveSocket = {
      bufferedAmount: MAX_BUFFERED_BYTES + 1,
      readyState: 1,
      send: (d) => sent.push(d),
      close: (code) => void closed.push(code ?? 0),
    };
    const fast: LiveSocket = { bufferedAmount: 0, readyState: 1, send: (d) => sent.push(d), close: () => {} };
    hub.subscribe('fleet', slow);
    hub.subscribe('fleet', fast);
    hub.publish('fleet', { type: 'location' });
    expect(closed).toEqual([1013]);
    expect(sent).toHaveLength(1);
    expect(hub.subscribers).toBe(1);
    await hub.stop();
  });
});
