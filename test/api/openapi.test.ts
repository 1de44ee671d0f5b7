import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { apiAuth } from '../../src/api/auth.ts';
import {
  type DocumentedRoute,
  docsHtml,
  openApiDocument,
  openApiRoutes,
  WEBHOOK_ROUTE_DOC,
} from '../../src/api/openapi.ts';
import { ANALYTICS_ROUTE_DOCS, analyticsRoutes } from '../../src/api/routes/analytics.ts';
import { GEOFENCE_ROUTE_DOCS, geofenceRoutes } from '../../src/api/routes/geofences.ts';
import { TRUCK_ROUTE_DOCS, truckRoutes } from '../../src/api/routes/trucks.ts';
import { build } from '../../src/api/server.ts';
import { MemoryBus } from '../../src/bus/memory.ts';
import type { Db } from '../../src/db/client.ts';
import { createLogger } from '../../src/log.ts';
import { createMetrics } from '../../src/metrics.ts';

const SECRET = 'openapi-tests-secret-0123456789abcdefgh';
const API_DOCS = [...TRUCK_ROUTE_DOCS, ...GEOFENCE_ROUTE_DOCS, ...ANALYTICS_ROUTE_DOCS];
const DOCS: DocumentedRoute[] = [...API_DOCS, WEBHOOK_ROUTE_DOC];

// Nothing here touches the database: the routes are registered to check the docs match them, not called.
/** What a client reads: plain JSON, looked into freely. */
const asJson = (value: unknown) => JSON.parse(JSON.stringify(value));

const unusedSql = new Proxy({}, { get: () => () => Promise.reject(new Error('no database in this test')) });

describe('OpenAPI document and /docs', () => {
  let app: FastifyInstance;

  beforeAll(async () => {
    const sql = unusedSql as Db['sql'];
    const db: Db = { sql, embedded: false, ping: async () => {}, close: async () => {} };
    app = await build({
      db,
      bus: new MemoryBus(),
      logger: createLogger('silent'),
      metrics: createMetrics(),
      plugins: [
        apiAuth({ jwtSecret: SECRET }),
        truckRoutes({ sql }),
        geofenceRoutes({ sql }),
        analyticsRoutes({ sql }),
        openApiRoutes(DOCS),
      ],
    });
  });

  afterAll(async () => {
    await app.close();
  });

  it('serves an OpenAPI 3.1 document with every documented path and a bearer JWT scheme, without a token', async () => {
    const res = await app.inject('/openapi.json');
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: 'Watch Tower API', version: '1' });
    expect(doc.components.securitySchemes.bearer).toEqual(
      expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }),
    );
    for (const route of DOCS) {
      expect(
        doc.paths[route.path]?.[route.method.toLowerCase()],
        `${route.method} ${route.path}`,
      ).toBeDefined();
    }
    expect(Object.keys(doc.paths)).toContain('/api/v1/trucks/near');
    expect(Object.keys(doc.paths)).toContain('/api/v1/webhooks/loconav');
  });

  it('documents only routes the server really has', async () => {
    for (const route of API_DOCS) {
      const url = route.path.replace(/\{(\w+)\}/g, ':$1');
      expect(app.hasRoute({ method: route.method, url }), `${route.method} ${route.path}`).toBe(true);
    }
  });

  it('gives every operation a unique id, its role, parameters from the zod schemas and the error envelope', () => {
    const doc = asJson(openApiDocument(DOCS));
    const ids = Object.values(doc.paths as Record<string, Record<string, { operationId: string }>>).flatMap(
      (p) => Object.values(p).map((o) => o.operationId),
    );
    expect(new Set(ids).size).toBe(ids.length);

    const tat = doc.paths['/api/v1/analytics/tat'].get;
    expect(tat.security).toEqual([{ bearer: [] }]);
    expect(tat['x-required-role']).toBe('viewer');
    expect(tat.parameters).toEqual([
      expect.objectContaining({ name: 'from', in: 'query', required: true, schema: { type: 'string' } }),
      expect.objectContaining({ name: 'to', in: 'query', required: true }),
    ]);
    expect(tat.responses['200'].content['application/json'].schema.properties.lanes.type).toBe('array');
    expect(tat.responses['400'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/Error',
    });
    expect(tat.responses['401']).toBeDefined();
    expect(doc.components.schemas.Error.properties.error.required).toEqual(['code', 'message']);

    const near = doc.paths['/api/v1/trucks/near'].get;
    expect(near.parameters.map((p: { name: string; required: boolean }) => [p.name, p.required])).toEqual([
      ['lat', true],
      ['lng', true],
      ['limit', false],
      ['radius', false],
    ]);
    expect(near.parameters.find((p: { name: string }) => p.name === 'radius').schema).toMatchObject({
      type: 'number',
      maximum: 50000,
      default: 5000,
    });

    const truck = doc.paths['/api/v1/trucks/{id}'].get;
    expect(truck.parameters).toEqual([expect.objectContaining({ name: 'id', in: 'path', required: true })]);

    const create = doc.paths['/api/v1/trucks'].post;
    expect(create['x-required-role']).toBe('dispatcher');
    expect(create.responses['403']).toBeDefined();
    expect(create.requestBody.content['application/json'].schema.properties.imei).toBeDefined();
  });

  it('documents the webhook with its HMAC headers and no JWT', () => {
    const doc = asJson(openApiDocument(DOCS));
    const hook = doc.paths['/api/v1/webhooks/loconav'].post;
    expect(hook.security).toEqual([{ webhookSignature: [] }, { webhookToken: [] }]);
    expect(
      hook.parameters.map((p: { name: string; in: string; required: boolean }) => [p.name, p.in, p.required]),
    ).toEqual([
      ['x-watchtower-timestamp', 'header', true],
      ['x-watchtower-signature', 'header', true],
    ]);
    expect(Object.keys(hook.responses).sort()).toEqual(['202', '400', '401', '413', '503']);
    expect(hook.requestBody.content['application/json'].schema.anyOf).toHaveLength(2);
  });

  it('refuses to document the same route twice', () => {
    expect(() => openApiDocument([TRUCK_ROUTE_DOCS[0]!, TRUCK_ROUTE_DOCS[0]!])).toThrow(
      'GET /api/v1/trucks is documented twice',
    );
  });

  it('serves /docs as one HTML page listing every route with its method, role and parameters', async () => {
    const res = await app.inject('/docs');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    const html = res.body;
    for (const route of DOCS) expect(html).toContain(`<code>${route.path}</code>`);
    expect(html).toContain('<span class="method get">GET</span> <code>/api/v1/analytics/utilization</code>');
    expect(html).toContain('role: dispatcher+');
    expect(html).toContain('signed webhook (no JWT)');
    expect(html).toContain('<code>radius</code>');
    // Self-contained: nothing fetched from elsewhere.
    expect(html).not.toMatch(/<script|<link|https?:\/\/(?!json-schema)/);
  });

  it('escapes what it prints', () => {
    const html = docsHtml([
      {
        method: 'GET',
        path: '/x',
        summary: '<img src=x onerror=alert(1)>',
        tag: 't',
        query: z.object({ q: z.string().meta({ description: 'a & b' }) }),
        success: { status: 200, description: 'ok' },
      },
    ]);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('a &amp; b');
    expect(html).not.toContain('<img');
  });
});
