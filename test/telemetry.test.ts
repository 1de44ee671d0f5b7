import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../src/api/server.ts';
import { startSlackOutbound } from '../src/bot/outbound.ts';
import { createKv } from '../src/bus/index.ts';
import type { RedisBus } from '../src/bus/redis.ts';
import type { StreamEntry } from '../src/bus/types.ts';
import { loadConfig } from '../src/config.ts';
import type { Db } from '../src/db/client.ts';
import { systemActor } from '../src/fleet/actor.ts';
import { createGeofence } from '../src/fleet/geofences.ts';
import { type Ingest, startIngest } from '../src/ingest/index.ts';
import { WEBHOOK_PATH, webhookRoutes } from '../src/ingest/webhook.ts';
import { createLogger } from '../src/log.ts';
import { createMetrics } from '../src/metrics.ts';
import {
  CORRELATION_ID,
  CORRELATION_IDS,
  startTelemetry,
  type Telemetry,
  traceBatch,
  traceFields,
  traceRequests,
  withSpan,
} from '../src/telemetry.ts';
import { createTestDb, type TestDb } from './support/db.ts';
import { type FakeSlack, startFakeSlack } from './support/fake-slack.ts';
import { liveLocation, signedHeaders, WEBHOOK_SECRET } from './support/loconav.ts';
import { connectTestBus } from './support/redis.ts';
import { until } from './support/wait.ts';

const silent = createLogger('silent');

describe('tracing with OTEL_EXPORTER_OTLP_ENDPOINT unset', () => {
  it('registers nothing: spans do not record and no traceparent is written', async () => {
    const telemetry = startTelemetry(loadConfig({}), silent);
    expect(telemetry.enabled).toBe(false);
    const recording = await withSpan('probe', {}, async (span) => span.isRecording());
    expect(recording).toBe(false);

    const app = Fastify();
    traceRequests(app);
    app.get('/probe', async (req) => traceFields(req));
    expect((await app.inject({ method: 'GET', url: '/probe' })).json()).toEqual({});
    await app.close();
    await telemetry.shutdown();
  });
});

describe('tracing to an OTLP/HTTP collector', () => {
  let collector: Server;
  const received: { url: string; contentType: string; body: string }[] = [];

  beforeAll(async () => {
    collector = createServer(async (req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      received.push({
        url: req.url ?? '',
        contentType: String(req.headers['content-type']),
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => collector.close(() => resolve())));

  it('exports spans named for watchtower to <endpoint>/v1/traces, and says so once at start', async () => {
    const { port } = collector.address() as AddressInfo;
    const lines: string[] = [];
    const logger = createLogger(
      'info',
      new Writable({
        write(chunk, _enc, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    );
    const telemetry = startTelemetry(
      loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}/`, WATCHTOWER_ROLES: 'webhook' }),
      logger,
    );
    expect(telemetry.enabled).toBe(true);
    await withSpan('probe span', { attributes: { [CORRELATION_ID]: 'req-otlp-1' } }, async () => {});
    await telemetry.shutdown();

    expect(received).toHaveLength(1);
    expect(received[0]!.url).toBe('/v1/traces');
    expect(received[0]!.contentType).toContain('application/json');
    const body = JSON.parse(received[0]!.body) as {
      resourceSpans: {
        resource: { attributes: { key: string; value: { stringValue?: string } }[] };
        scopeSpans: {
          spans: { name: string; attributes: { key: string; value: { stringValue?: string } }[] }[];
        }[];
      }[];
    };
    const [resourceSpans] = body.resourceSpans;
    const resource = Object.fromEntries(
      resourceSpans!.resource.attributes.map((a) => [a.key, a.value.stringValue]),
    );
    expect(resource).toMatchObject({ 'service.name': 'watchtower', 'watchtower.roles': 'webhook' });
    const span = resourceSpans!.scopeSpans[0]!.spans[0]!;
    expect(span.name).toBe('probe span');
    expect(span.attributes).toContainEqual({ key: CORRELATION_ID, value: { stringValue: 'req-otlp-1' } });
    expect(lines.filter((l) => l.includes('tracing: OTLP/HTTP'))).toHaveLength(1);
  });

  it('refuses an endpoint that is not an http(s) URL, naming the variable', () => {
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT: expected a http: or https: URL/,
    );
  });
});

describe('the span helpers, recording to memory', () => {
  const exporter = new InMemorySpanExporter();
  let telemetry: Telemetry;
  beforeAll(() => {
    telemetry = startTelemetry(loadConfig({}), silent, { exporter });
  });
  afterAll(() => telemetry.shutdown());

  it('traces a request as a SERVER span with its request id, and hands its traceparent to the stream', async () => {
    exporter.reset();
    const app = Fastify({ genReqId: () => 'req-unit-0001' });
    traceRequests(app);
    app.post('/in', async (req) => traceFields(req));
    const res = await app.inject({ method: 'POST', url: '/in' });
    await app.close();

    const [span] = exporter.getFinishedSpans();
    expect(span!.name).toBe('POST /in');
    expect(span!.kind).toBe(SpanKind.SERVER);
    expect(span!.attributes).toMatchObject({
      [CORRELATION_ID]: 'req-unit-0001',
      'http.route': '/in',
      'http.response.status_code': 200,
    });
    const { traceId, spanId } = span!.spanContext();
    expect(res.json()).toEqual({ traceparent: `00-${traceId}-${spanId}-01` });
  });

  it('marks a request that failed with a 5xx as an error', async () => {
    exporter.reset();
    const app = Fastify();
    traceRequests(app);
    app.get('/boom', async () => {
      throw new Error('the database went away');
    });
    expect((await app.inject({ method: 'GET', url: '/boom' })).statusCode).toBe(500);
    await app.close();
    const [span] = exporter.getFinishedSpans();
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
    expect(span!.events.map((e) => e.name)).toContain('exception');
  });

  it('links a consumer batch to the request behind each entry, once per request', async () => {
    exporter.reset();
    const [a, b] = await Promise.all(
      ['req-a', 'req-b'].map((id) =>
        withSpan('webhook', { attributes: { [CORRELATION_ID]: id } }, async (span) => span.spanContext()),
      ),
    );
    const tp = (c: typeof a) => `00-${c!.traceId}-${c!.spanId}-01`;
    const entries: StreamEntry[] = [
      { id: '1-0', deliveries: 1, fields: { rid: 'req-a', traceparent: tp(a) } },
      { id: '2-0', deliveries: 1, fields: { rid: 'req-a', traceparent: tp(a) } },
      { id: '3-0', deliveries: 1, fields: { rid: 'req-b', traceparent: tp(b) } },
      // Appended by an untraced replica: counted by its correlation id, no link to make.
      { id: '4-0', deliveries: 1, fields: { rid: 'req-c' } },
    ];
    const result = await traceBatch(
      'position-writer',
      entries,
      entries.map((e) => e.fields.rid!),
      async () => 'stored',
    );
    expect(result).toBe('stored');

    const batch = exporter.getFinishedSpans().find((s) => s.name === 'position-writer process')!;
    expect(batch.kind).toBe(SpanKind.CONSUMER);
    expect(batch.attributes).toMatchObject({
      [CORRELATION_IDS]: ['req-a', 'req-b', 'req-c'],
      'messaging.consumer.group.name': 'position-writer',
      'messaging.batch.message_count': 4,
    });
    expect(batch.links.map((l) => [l.context.spanId, l.attributes])).toEqual([
      [a!.spanId, { [CORRELATION_ID]: 'req-a' }],
      [b!.spanId, { [CORRELATION_ID]: 'req-b' }],
    ]);
  });

  it('records a failed batch as an error and rethrows, so the consumer retries it', async () => {
    exporter.reset();
    const entries = [{ id: '1-0', deliveries: 1, fields: { rid: 'req-x' } }];
    await expect(
      traceBatch('geofence-watcher', entries, ['req-x'], async () => {
        throw new Error('connection refused');
      }),
    ).rejects.toThrow('connection refused');
    const [span] = exporter.getFinishedSpans();
    expect(span!.status).toMatchObject({ code: SpanStatusCode.ERROR, message: 'connection refused' });
    expect(span!.attributes[CORRELATION_ID]).toBe('req-x');
  });
});

// The whole path under one correlation id: a signed LocoNav request with three fixes of a truck driving
// into the port → the webhook → Redis position shard → position writer and geofence watcher → a
// geofence.entered event → outbox relay → events stream → the Slack alert, posted to a local fake Slack.
describe('one webhook request traced to its Slack alert', () => {
  const exporter = new InMemorySpanExporter();
  const requestId = 'req-trace-0001';
  const truck = { imei: '0351756051529999', number: 'KJA-777TR' };
  const port = { lat: 6.45, lng: 3.36 };
  let telemetry: Telemetry;
  let testDb: TestDb;
  let bus: RedisBus;
  let fake: FakeSlack;
  let ingest: Ingest;
  let http: FastifyInstance;
  let outbound: { stop(): Promise<void> };

  const spans = () => exporter.getFinishedSpans();
  const named = (name: string) => spans().filter((s) => s.name === name);
  const attr = (s: ReadableSpan, key: string) => s.attributes[key];
  const linksTo = (s: ReadableSpan, target: ReadableSpan) =>
    s.links.filter(
      (l) =>
        l.context.traceId === target.spanContext().traceId &&
        l.context.spanId === target.spanContext().spanId,
    );

  beforeAll(async () => {
    telemetry = startTelemetry(loadConfig({ WATCHTOWER_ROLES: 'webhook,consumers,bot' }), silent, {
      exporter,
    });
    testDb = await createTestDb();
    bus = await connectTestBus();
    const kv = createKv(bus);
    const metrics = createMetrics();
    await createGeofence(testDb.sql, systemActor('test'), {
      name: 'Apapa Port',
      type: 'terminal',
      boundary: { center: port, radius_m: 500 },
      min_dwell_s: 0,
    });
    fake = await startFakeSlack();
    ingest = await startIngest({
      sql: testDb.sql,
      bus,
      kv,
      metrics,
      logger: silent,
      shards: 2,
      consumer: { blockMs: 50 },
      relayIdleMs: 20,
    });
    outbound = startSlackOutbound({
      config: {
        slack: {
          botToken: 'xoxb-test',
          appToken: undefined,
          apiUrl: fake.apiUrl,
          alertsChannel: 'C0ALERTS01',
          reportsChannel: undefined,
          adminUsers: [],
        },
      },
      sql: testDb.sql,
      bus,
      kv,
      logger: silent,
      metrics,
      replicaId: 'trace-test',
      minIntervalMs: 10,
      consumer: { blockMs: 50 },
    });
    const db: Db = { sql: testDb.sql, embedded: false, ping: async () => {}, close: async () => {} };
    http = await build({
      db,
      bus,
      logger: silent,
      metrics,
      plugins: [
        webhookRoutes({
          bus,
          metrics,
          auth: { webhookSecret: WEBHOOK_SECRET, webhookToken: undefined },
          timeZone: 'Africa/Lagos',
          shards: 2,
        }),
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await http?.close();
    await outbound?.stop();
    await ingest?.stop();
    await fake?.close();
    await bus?.close();
    await testDb?.drop();
    await telemetry?.shutdown();
  });

  it('gives the webhook request, the consumer batches, the relay and the Slack post one correlation id', async () => {
    const t0 = Date.now() - 120_000;
    const fixes = [
      liveLocation(truck, new Date(t0), port.lat + 0.05, port.lng, 40),
      liveLocation(truck, new Date(t0 + 60_000), port.lat, port.lng, 10),
      liveLocation(truck, new Date(t0 + 90_000), port.lat + 0.0005, port.lng, 5),
    ];
    const body = JSON.stringify(fixes);
    const res = await http.inject({
      method: 'POST',
      url: WEBHOOK_PATH,
      headers: { ...signedHeaders(WEBHOOK_SECRET, body), 'x-request-id': requestId },
      payload: body,
    });
    expect(res.statusCode).toBe(202);

    const post = await fake.waitForCall('chat.postMessage');
    expect(post.args.channel).toBe('C0ALERTS01');
    expect(String(post.args.text)).toContain(truck.number);
    const slack = await until('the Slack post span', () => named('slack chat.postMessage')[0]);

    // The webhook: a SERVER span for the request, carrying its id.
    const [webhook, ...others] = named(`POST ${WEBHOOK_PATH}`);
    expect(others).toEqual([]);
    expect(webhook!.kind).toBe(SpanKind.SERVER);
    expect(attr(webhook!, CORRELATION_ID)).toBe(requestId);
    expect(attr(webhook!, 'http.response.status_code')).toBe(202);

    // The consumers: each batch holding the request links to the webhook span, the link naming the request.
    for (const group of ['position-writer', 'geofence-watcher']) {
      const batch = named(`${group} process`).find((s) => linksTo(s, webhook!).length > 0);
      expect(batch, `${group} batch linked to the webhook span`).toBeDefined();
      expect(batch!.kind).toBe(SpanKind.CONSUMER);
      expect(linksTo(batch!, webhook!)[0]!.attributes).toEqual({ [CORRELATION_ID]: requestId });
      expect(attr(batch!, CORRELATION_IDS)).toContain(requestId);
    }

    // The event the crossing raised carries the request id, and so does the relay batch that published it.
    const [event] = await testDb.sql`
      select correlation_id from events where type = 'geofence.entered'`;
    expect(event!.correlation_id).toBe(requestId);
    const relay = named('events publish').find((s) =>
      (attr(s, CORRELATION_IDS) as string[] | undefined)?.includes(requestId),
    );
    expect(relay?.kind).toBe(SpanKind.PRODUCER);

    // The Slack post: a CLIENT span with the same correlation id, to the channel it went to.
    expect(slack.kind).toBe(SpanKind.CLIENT);
    expect(attr(slack, CORRELATION_ID)).toBe(requestId);
    expect(attr(slack, 'watchtower.slack.channel')).toBe('C0ALERTS01');
  });
});
