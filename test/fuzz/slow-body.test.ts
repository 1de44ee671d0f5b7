import net from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiAuth, signToken } from '../../src/api/auth.ts';
import { truckRoutes } from '../../src/api/routes/trucks.ts';
import { build, IDLE_TIMEOUT_MS, REQUEST_TIMEOUT_MS } from '../../src/api/server.ts';
import type { RedisBus } from '../../src/bus/redis.ts';
import type { Db } from '../../src/db/client.ts';
import { WEBHOOK_PATH, webhookRoutes } from '../../src/ingest/webhook.ts';
import { createLogger } from '../../src/log.ts';
import { createMetrics } from '../../src/metrics.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { WEBHOOK_SECRET } from '../support/loconav.ts';
import { connectTestBus } from '../support/redis.ts';

// A client that sends its headers and then trickles or stalls must not hold a socket (and its request
// state) forever: the server answers 408 and closes once the whole request has taken longer than
// requestTimeout, and closes a silent socket after connectionTimeout. The server here is the production
// build() with the timeouts shortened; the production values are checked separately.

const SECRET = 'slow-body-secret-0123456789abcdefghijkl';
const AUTH = `Bearer ${signToken(SECRET, { sub: 'fuzz', role: 'dispatcher' })}`;
const REQUEST_MS = 400;
const IDLE_MS = 1_500;

interface Outcome {
  /** What the server wrote back before closing (empty when it just closed). */
  response: string;
  /** Bytes of the body the client had sent when the server closed the socket. */
  bodySent: number;
}

describe('slow and stalled bodies', () => {
  let db: TestDb;
  let bus: RedisBus;
  let app: FastifyInstance;
  let port: number;
  const open = new Set<net.Socket>();

  beforeAll(async () => {
    db = await createTestDb();
    bus = await connectTestBus();
    const dbHandle: Db = { sql: db.sql, embedded: false, ping: async () => {}, close: async () => {} };
    app = await build({
      db: dbHandle,
      bus,
      logger: createLogger('silent'),
      metrics: createMetrics(),
      timeouts: { requestMs: REQUEST_MS, idleMs: IDLE_MS },
      plugins: [
        webhookRoutes({
          bus,
          metrics: createMetrics(),
          auth: { webhookSecret: WEBHOOK_SECRET, webhookToken: undefined },
          timeZone: 'Africa/Lagos',
          shards: 1,
        }),
        apiAuth({ jwtSecret: SECRET }),
        truckRoutes({ sql: db.sql }),
      ],
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as net.AddressInfo).port;
  });

  afterAll(async () => {
    for (const s of open) s.destroy();
    await app?.close();
    await bus?.close();
    await db?.drop();
  });

  /**
   * Opens a raw socket, writes `head`, then sends the body one byte every `everyMs` (never, when undefined),
   * and resolves once the server closes the socket; fails the test after `deadlineMs`.
   */
  function slowClient(head: string, body: string, everyMs: number | undefined, deadlineMs = 10_000) {
    return new Promise<Outcome>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      open.add(socket);
      let response = '';
      let sent = 0;
      let timer: NodeJS.Timeout | undefined;
      const deadline = setTimeout(() => {
        socket.destroy();
        reject(new Error(`the server held the connection for ${deadlineMs} ms`));
      }, deadlineMs);
      socket.setEncoding('utf8');
      socket.on('data', (chunk) => {
        response += chunk;
      });
      socket.on('error', () => {});
      socket.on('close', () => {
        clearTimeout(deadline);
        clearInterval(timer);
        open.delete(socket);
        resolve({ response, bodySent: sent });
      });
      socket.on('connect', () => {
        socket.write(head);
        if (everyMs === undefined) return;
        timer = setInterval(() => {
          if (sent < body.length && socket.writable) socket.write(body[sent++]!);
        }, everyMs);
      });
    });
  }

  /** Closed with a 408, or closed with nothing said: never answered as if the request had arrived. */
  const closedOrTimedOut = (response: string) => response === '' || response.startsWith('HTTP/1.1 408');

  const body = JSON.stringify({ truck_number: 'KJA-555SL', company: 'Slow Haulage' });
  const head = (path: string, extra: string) =>
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${body.length}\r\n${extra}\r\n`;

  it('answers 408 and closes when the body stalls after the headers', async () => {
    for (const path of [WEBHOOK_PATH, '/api/v1/trucks']) {
      const outcome = await slowClient(head(path, `Authorization: ${AUTH}\r\n`), body, undefined);
      expect(outcome.response, path).toMatch(/^HTTP\/1\.1 408/);
    }
  });

  it('answers 408 and closes when the body trickles in slower than the request timeout allows', async () => {
    for (const path of [WEBHOOK_PATH, '/api/v1/trucks']) {
      // One byte every 50 ms would take seconds: the socket is never idle, so only the request timeout cuts it.
      const outcome = await slowClient(head(path, `Authorization: ${AUTH}\r\n`), body, 50);
      expect(outcome.response, path).toMatch(/^HTTP\/1\.1 408/);
      expect(outcome.bodySent).toBeLessThan(body.length);
    }
    const [row] = await db.sql`select count(*)::int as n from trucks`;
    expect(row!.n).toBe(0);
  });

  it('closes a connection whose headers never finish (slowloris)', async () => {
    const outcome = await slowClient(
      'POST /api/v1/trucks HTTP/1.1\r\nHost: 127.0.0.1\r\n',
      'X-Slow: 1'.repeat(100),
      50,
    );
    expect(closedOrTimedOut(outcome.response), outcome.response).toBe(true);
    expect(outcome.bodySent).toBeLessThan(900);
  });

  it('closes a connection that never sends anything', async () => {
    const outcome = await slowClient('', '', undefined);
    expect(closedOrTimedOut(outcome.response), outcome.response).toBe(true);
  });

  it('still answers a prompt request after all of them', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/trucks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: AUTH },
      body,
    });
    expect(res.status).toBe(201);
  });

  it('runs production with a 30 s request timeout and a 60 s idle timeout', async () => {
    const prod = await build({
      db: { sql: db.sql, embedded: false, ping: async () => {}, close: async () => {} },
      bus,
      logger: createLogger('silent'),
      metrics: createMetrics(),
    });
    try {
      expect([REQUEST_TIMEOUT_MS, IDLE_TIMEOUT_MS]).toEqual([30_000, 60_000]);
      expect(prod.server.requestTimeout).toBe(REQUEST_TIMEOUT_MS);
      expect(prod.server.timeout).toBe(IDLE_TIMEOUT_MS);
      // Above requestTimeout, Node's headersTimeout stops the request timeout from ever firing.
      expect(prod.server.headersTimeout).toBeLessThanOrEqual(prod.server.requestTimeout);
    } finally {
      await prod.close();
    }
  });
});
