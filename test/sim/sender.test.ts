import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LAGOS, localToUtc } from '../../src/domain/time.ts';
import { createLogger } from '../../src/log.ts';
import { runSimulator, signWebhook, WebhookSender } from '../../src/sim/sender.ts';
import { FleetSimulator, type LocoNavLiveLocation } from '../../src/sim/simulator.ts';

const SECRET = 'a-webhook-secret-of-some-length';
const TOKEN = 'a-static-token-for-senders-that-cannot-sign';
const PATH = '/api/v1/webhooks/loconav';

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  raw: string;
  /** Whether the HMAC, recomputed here over the raw bytes, matched the signature header. */
  signatureValid: boolean;
}

type Responder = (req: Received, res: ServerResponse) => void;

/** A stand-in for Watch Tower's webhook route: records each request and answers as `respond` says. */
class FakeReceiver {
  readonly requests: Received[] = [];
  respond: Responder = (_req, res) => res.writeHead(202).end('{}');
  private server: Server | undefined;
  baseUrl = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const received: Received = {
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          raw,
          signatureValid: verify(req.headers, raw),
        };
        this.requests.push(received);
        this.respond(received, res);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

function verify(headers: IncomingMessage['headers'], raw: string): boolean {
  const ts = headers['x-watchtower-timestamp'];
  const sig = headers['x-watchtower-signature'];
  if (typeof ts !== 'string' || typeof sig !== 'string') return false;
  const expected = Buffer.from(`v1=${createHmac('sha256', SECRET).update(`${ts}.${raw}`).digest('hex')}`);
  const given = Buffer.from(sig);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Answers each request with the next status in turn (the last one repeats). */
function statuses(...codes: number[]): Responder {
  let i = 0;
  return (_req, res) => {
    const code = codes[Math.min(i++, codes.length - 1)]!;
    res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify({ status: code }));
  };
}

function fixes(n: number): LocoNavLiveLocation[] {
  const start = new Date('2025-03-10T05:00:00Z');
  const sim = FleetSimulator.synthetic({ trucks: n, seed: 5, start, stagger: true });
  return sim.tick(new Date(start.getTime() + 10_000)).slice(0, n);
}

let receiver: FakeReceiver;
beforeEach(async () => {
  receiver = new FakeReceiver();
  await receiver.start();
});
afterEach(async () => {
  await receiver.stop();
});

describe('signWebhook', () => {
  it('signs timestamp, a dot and the body with HMAC-SHA256, as hex after v1=', () => {
    const body = '[{"imei":"035848008152379"}]';
    const headers = signWebhook(SECRET, body, 1741582800);
    expect(headers).toEqual({
      'x-watchtower-timestamp': '1741582800',
      'x-watchtower-signature': `v1=${createHmac('sha256', SECRET).update(`1741582800.${body}`).digest('hex')}`,
      'content-type': 'application/json',
    });
    expect(signWebhook(SECRET, `${body} `, 1741582800)['x-watchtower-signature']).not.toBe(
      headers['x-watchtower-signature'],
    );
    expect(signWebhook(SECRET, body, 1741582801)['x-watchtower-signature']).not.toBe(
      headers['x-watchtower-signature'],
    );
  });
});

describe('WebhookSender', () => {
  it('posts batches of at most batchSize fixes, each signed over its raw body with a current timestamp', async () => {
    const sent = fixes(120);
    const sender = new WebhookSender({ baseUrl: receiver.baseUrl, secret: SECRET, batchSize: 50 });
    await sender.send(sent);

    expect(receiver.requests.map((r) => JSON.parse(r.raw).length)).toEqual([50, 50, 20]);
    expect(receiver.requests.flatMap((r) => JSON.parse(r.raw))).toEqual(sent);
    for (const r of receiver.requests) {
      expect(r.method).toBe('POST');
      expect(r.url).toBe(PATH);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.signatureValid).toBe(true);
      expect(Math.abs(Number(r.headers['x-watchtower-timestamp']) - Date.now() / 1000)).toBeLessThan(10);
      expect(r.headers.authorization).toBeUndefined();
    }
    expect(sender.counts).toEqual({ sent: 120, accepted: 120, rejected: 0, retried: 0, failed: 0 });
  });

  it('keeps imeis as strings on the wire, leading zeros and all', async () => {
    const fix = { ...fixes(1)[0]!, imei: '035848008152379' };
    await new WebhookSender({ baseUrl: receiver.baseUrl, secret: SECRET }).send([fix]);
    expect(receiver.requests[0]!.raw).toContain('"imei":"035848008152379"');
  });

  it('counts a batch signed with another secret as rejected when the receiver answers 401, and does not retry', async () => {
    receiver.respond = (req, res) => res.writeHead(req.signatureValid ? 202 : 401).end('{}');
    const sender = new WebhookSender({
      baseUrl: receiver.baseUrl,
      secret: 'not-the-secret-the-receiver-has',
      backoffMs: 1,
    });
    await sender.send(fixes(10));
    expect(receiver.requests.length).toBe(1);
    expect(sender.counts).toEqual({ sent: 10, accepted: 0, rejected: 10, retried: 0, failed: 0 });
  });

  it('retries a batch after 503s, each attempt signed afresh, until it is accepted', async () => {
    receiver.respond = statuses(503, 503, 202);
    const sender = new WebhookSender({ baseUrl: receiver.baseUrl, secret: SECRET, backoffMs: 1 });
    await sender.send(fixes(30));

    expect(receiver.requests.length).toBe(3);
    expect(new Set(receiver.requests.map((r) => r.raw)).size).toBe(1);
    expect(receiver.requests.every((r) => r.signatureValid)).toBe(true);
    // The receiver takes each signature once, even from a request it failed: retries must not reuse one.
    expect(new Set(receiver.requests.map((r) => r.headers['x-watchtower-signature'])).size).toBe(3);
    expect(sender.counts).toEqual({ sent: 30, accepted: 30, rejected: 0, retried: 2, failed: 0 });
  });

  it.each([400, 401, 413])('does not retry a batch answered with %i', async (status) => {
    receiver.respond = statuses(status, 202);
    const sender = new WebhookSender({ baseUrl: receiver.baseUrl, secret: SECRET, backoffMs: 1 });
    await sender.send(fixes(5));
    expect(receiver.requests.length).toBe(1);
    expect(sender.counts).toEqual({ sent: 5, accepted: 0, rejected: 5, retried: 0, failed: 0 });
  });

  it('gives a batch up as failed after maxRetries of 500s', async () => {
    receiver.respond = statuses(500);
    const sender = new WebhookSender({
      baseUrl: receiver.baseUrl,
      secret: SECRET,
      backoffMs: 1,
      maxRetries: 3,
    });
    await sender.send(fixes(7));
    expect(receiver.requests.length).toBe(4);
    expect(sender.counts).toEqual({ sent: 0, accepted: 0, rejected: 0, retried: 3, failed: 7 });
  });

  it('retries after the connection drops without an answer', async () => {
    let calls = 0;
    receiver.respond = (_req, res) => {
      if (calls++ === 0) res.socket?.destroy();
      else res.writeHead(202).end('{}');
    };
    const sender = new WebhookSender({ baseUrl: receiver.baseUrl, secret: SECRET, backoffMs: 1 });
    await sender.send(fixes(3));
    expect(receiver.requests.length).toBe(2);
    expect(sender.counts).toMatchObject({ accepted: 3, retried: 1, failed: 0 });
  });

  it('counts the items a 202 answer lists as rejected', async () => {
    receiver.respond = (_req, res) =>
      res.writeHead(202).end(
        JSON.stringify({
          accepted: 8,
          rejected: [
            { index: 2, reason: 'x' },
            { index: 5, reason: 'y' },
          ],
        }),
      );
    const sender = new WebhookSender({ baseUrl: receiver.baseUrl, secret: SECRET });
    await sender.send(fixes(10));
    expect(sender.counts).toEqual({ sent: 10, accepted: 8, rejected: 2, retried: 0, failed: 0 });
  });

  it('sends a bearer token instead of a signature when only a token is given', async () => {
    const sender = new WebhookSender({ baseUrl: receiver.baseUrl, token: TOKEN });
    await sender.send(fixes(2));
    const r = receiver.requests[0]!;
    expect(r.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(r.headers['x-watchtower-signature']).toBeUndefined();
    expect(sender.counts.accepted).toBe(2);
  });

  it('refuses to be built with neither a secret nor a token', () => {
    expect(() => new WebhookSender({ baseUrl: receiver.baseUrl })).toThrow(/secret or a token/);
  });
});

describe('runSimulator', () => {
  const gpsMs = (gpstime: string) => {
    const [d, t] = gpstime.split(' ') as [string, string];
    const [day, month, year] = d.split('-').map(Number) as [number, number, number];
    const [hour, minute, second] = t.split(':').map(Number) as [number, number, number];
    return localToUtc({ year, month, day, hour, minute, second }, LAGOS).getTime();
  };

  it('streams the fleet to the webhook until aborted, then resolves with the counts', async () => {
    const controller = new AbortController();
    const simulator = FleetSimulator.demo({ seed: 1, intervalS: 1 });
    const running = runSimulator({
      baseUrl: receiver.baseUrl,
      secret: SECRET,
      simulator,
      signal: controller.signal,
      logger: createLogger('silent'),
      tickMs: 50,
    });
    await new Promise((r) => setTimeout(r, 1500));
    controller.abort();
    const counts = await running;

    const items = receiver.requests.flatMap((r) => JSON.parse(r.raw) as LocoNavLiveLocation[]);
    expect(receiver.requests.every((r) => r.signatureValid)).toBe(true);
    expect(new Set(items.map((f) => f.imei)).size).toBe(20);
    expect(counts.sent).toBe(items.length);
    expect(counts.accepted).toBe(items.length);
    const requestsAtStop = receiver.requests.length;
    await new Promise((r) => setTimeout(r, 200));
    expect(receiver.requests.length).toBe(requestsAtStop);
  });

  it('never sends a fix from the future, however large the speedup', async () => {
    const controller = new AbortController();
    const start = new Date(Date.now() - 120_000);
    const simulator = FleetSimulator.demo({ seed: 2, start });
    const running = runSimulator({
      baseUrl: receiver.baseUrl,
      secret: SECRET,
      simulator,
      speedup: 1000,
      signal: controller.signal,
      logger: createLogger('silent'),
      tickMs: 20,
    });
    await new Promise((r) => setTimeout(r, 600));
    controller.abort();
    await running;
    const items = receiver.requests.flatMap((r) => JSON.parse(r.raw) as LocoNavLiveLocation[]);
    // Two minutes replayed in moments: every truck has reported about 12 times already.
    expect(items.length).toBeGreaterThan(20 * 10);
    expect(Math.max(...items.map((f) => gpsMs(f.gpstime)))).toBeLessThanOrEqual(Date.now());
  });
});
