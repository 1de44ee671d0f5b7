import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ERRORS } from '../errors.ts';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../ingest/auth.ts';
import { WEBHOOK_PATH } from '../ingest/webhook.ts';
import type { RouteDoc } from './route-docs.ts';

// The OpenAPI 3.1 document and a small HTML index of the API, both built from the RouteDoc lists the route
// modules export next to their plugins (so from the zod schemas the handlers parse with). /docs is one
// self-contained page: the machines that read it have no internet, so no CDN-hosted viewer.

/** A RouteDoc that may also document request headers (the webhook's signature). */
export type DocumentedRoute = RouteDoc & { headers?: z.ZodType };

type JsonSchema = Record<string, unknown>;

export const WEBHOOK_ROUTE_DOC: DocumentedRoute = {
  method: 'POST',
  path: WEBHOOK_PATH,
  summary:
    'LocoNav live locations and alerts: one object or an array. Signed, not JWT: ' +
    `${TIMESTAMP_HEADER} is unix seconds within 5 minutes of now, ${SIGNATURE_HEADER} is ` +
    '`v1=` + hex HMAC-SHA256 of `timestamp + "." + raw body` with LOCONAV_WEBHOOK_SECRET, each signature ' +
    'used once. A sender that cannot sign sends Authorization: Bearer <LOCONAV_WEBHOOK_TOKEN> instead, ' +
    'accepted only when no secret is configured.',
  tag: 'webhooks',
  headers: z.object({
    [TIMESTAMP_HEADER]: z
      .string()
      .regex(/^\d{1,12}$/)
      .meta({ description: 'Unix seconds when signed.' }),
    [SIGNATURE_HEADER]: z
      .string()
      .regex(/^v1=[0-9a-f]{64}$/)
      .meta({ description: 'v1=<hex HMAC-SHA256 of `timestamp.rawBody`>' }),
  }),
  body: z.union([z.record(z.string(), z.unknown()), z.array(z.record(z.string(), z.unknown())).min(1)]).meta({
    description:
      'LocoNav live-location objects (imei as a string, vehiclenumber, latitude, longitude, speed, gpstime…) ' +
      'or alert objects (kind, vehicle_number, event_key, active_event_time…).',
  }),
  success: { status: 202, description: 'Accepted for processing; counts of accepted and rejected items' },
  errors: {
    400: 'The body is not JSON, empty, or holds no LocoNav item.',
    401: 'Signature or timestamp missing, stale, reused or wrong (or the token is wrong).',
    413: 'The body is larger than allowed.',
    503: 'The webhook is not configured, or the stream is unavailable.',
  },
};

const CODES_BY_STATUS = new Map<number, string[]>();
for (const [code, status] of Object.entries(ERRORS)) {
  CODES_BY_STATUS.set(status, [...(CODES_BY_STATUS.get(status) ?? []), code]);
}

const ERROR_SCHEMA = {
  type: 'object',
  required: ['error'],
  additionalProperties: false,
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      additionalProperties: false,
      properties: {
        code: { type: 'string', enum: Object.keys(ERRORS), description: 'Stable code, e.g. WT_VALIDATION' },
        message: { type: 'string', description: 'One sentence saying what failed and what to do next' },
      },
    },
  },
} as const;

/** JSON Schema of what a client sends (defaults make fields optional; transforms are shown by input). */
function toSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  return rest;
}

function toResponseSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' });
  return rest;
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  description?: string;
  schema: JsonSchema;
}

function parametersOf(schema: z.ZodType | undefined, where: Parameter['in']): Parameter[] {
  if (!schema) return [];
  const json = toSchema(schema);
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, prop]) => {
    const { description, ...rest } = prop;
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}

const LEAST_ROLE: Record<string, string> = {
  viewer: 'any role (viewer, dispatcher, admin)',
  dispatcher: 'dispatcher or admin',
  admin: 'admin',
};

function operationId(doc: RouteDoc): string {
  const words = doc.path
    .replace(/^\/api\/v1\//, '')
    .split(/[/{}-]+/)
    .filter(Boolean);
  return [doc.method.toLowerCase(), ...words.map((w) => w[0]!.toUpperCase() + w.slice(1))].join('');
}

function errorResponses(doc: DocumentedRoute): Record<string, unknown> {
  const errors: Record<number, string> = {};
  if (doc.query || doc.body || doc.params)
    errors[400] = 'The request is invalid; the message names the field.';
  if (doc.role) {
    errors[401] = 'No token, or a bad or expired one.';
    if (doc.role !== 'viewer') errors[403] = `Only a ${LEAST_ROLE[doc.role]} may do this.`;
    errors[503] = 'The API is off (JWT_SECRET not set).';
  }
  Object.assign(errors, doc.errors);
  const out: Record<string, unknown> = {};
  for (const [status, description] of Object.entries(errors)) {
    const codes = CODES_BY_STATUS.get(Number(status));
    out[status] = {
      description: codes ? `${description} (${codes.join(', ')})` : description,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }
  return out;
}

function operation(doc: DocumentedRoute): Record<string, unknown> {
  const parameters = [
    ...parametersOf(doc.params, 'path'),
    ...parametersOf(doc.query, 'query'),
    ...parametersOf(doc.headers, 'header'),
  ];
  const success: Record<string, unknown> = { description: doc.success.description };
  if (doc.success.schema) {
    success.content = { 'application/json': { schema: toResponseSchema(doc.success.schema) } };
  }
  return {
    operationId: operationId(doc),
    summary: doc.summary,
    tags: [doc.tag],
    ...(doc.role
      ? { description: `Allowed: ${LEAST_ROLE[doc.role]}.`, 'x-required-role': doc.role }
      : { description: 'No JWT.' }),
    security: doc.role
      ? [{ bearer: [] }]
      : doc.headers
        ? [{ webhookSignature: [] }, { webhookToken: [] }]
        : [],
    ...(parameters.length ? { parameters } : {}),
    ...(doc.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: toSchema(doc.body) } } } }
      : {}),
    responses: { [doc.success.status]: success, ...errorResponses(doc) },
  };
}

export interface OpenApiOptions {
  /** The document's own version; defaults to 1 (the API is /api/v1). */
  version?: string;
}

/** An OpenAPI 3.1 document of `docs`: paths, parameters, bodies and responses from their zod schemas. */
export function openApiDocument(docs: readonly DocumentedRoute[], opts: OpenApiOptions = {}) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const doc of docs) {
    const path = paths[doc.path] ?? {};
    paths[doc.path] = path;
    const method = doc.method.toLowerCase();
    if (path[method]) throw new Error(`${doc.method} ${doc.path} is documented twice`);
    path[method] = operation(doc);
  }
  const tags = [...new Set(docs.map((d) => d.tag))].sort().map((name) => ({ name }));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Watch Tower API',
      version: opts.version ?? '1',
      description:
        'REST API of Watch Tower, the fleet ops bot. Times are ISO 8601 instants; report dates are Africa/Lagos ' +
        'calendar dates (YYYY-MM-DD). Errors answer {"error": {"code", "message"}}.',
    },
    tags,
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'HS256 JWT with sub and role (viewer, dispatcher, admin), made by `npm run token`.',
        },
        webhookSignature: {
          type: 'apiKey',
          in: 'header',
          name: SIGNATURE_HEADER,
          description: `v1=<hex HMAC-SHA256 of "${TIMESTAMP_HEADER}.rawBody">, with ${TIMESTAMP_HEADER} alongside.`,
        },
        webhookToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'LOCONAV_WEBHOOK_TOKEN, for senders that cannot sign; refused when a secret is set.',
        },
      },
      schemas: { Error: ERROR_SCHEMA },
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// /docs

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function typeOf(schema: JsonSchema): string {
  if (Array.isArray(schema.enum)) return schema.enum.map(String).join(' | ');
  if (typeof schema.type === 'string') return schema.type;
  if (Array.isArray(schema.anyOf)) return (schema.anyOf as JsonSchema[]).map(typeOf).join(' | ');
  return 'any';
}

function parametersHtml(doc: DocumentedRoute): string {
  const rows = [
    ...parametersOf(doc.params, 'path'),
    ...parametersOf(doc.query, 'query'),
    ...parametersOf(doc.headers, 'header'),
  ].map(
    (p) =>
      `<tr><td><code>${escapeHtml(p.name)}</code></td><td>${p.in}</td><td>${escapeHtml(typeOf(p.schema))}</td>` +
      `<td>${p.required ? 'required' : 'optional'}</td><td>${escapeHtml(p.description ?? '')}</td></tr>`,
  );
  if (doc.body)
    rows.push('<tr><td><code>body</code></td><td>body</td><td>JSON</td><td>required</td><td></td></tr>');
  if (rows.length === 0) return '<p class="none">No parameters.</p>';
  return `<table><tr><th>name</th><th>in</th><th>type</th><th></th><th>about</th></tr>${rows.join('')}</table>`;
}

/** A self-contained HTML page listing every route: method, path, role, summary, parameters. */
export function docsHtml(docs: readonly DocumentedRoute[]): string {
  const sections = docs
    .map((doc) => {
      const role = doc.role ? `role: ${doc.role}+` : doc.headers ? 'signed webhook (no JWT)' : 'no JWT';
      return `<section id="${escapeHtml(operationId(doc))}">
<h2><span class="method ${doc.method.toLowerCase()}">${doc.method}</span> <code>${escapeHtml(doc.path)}</code></h2>
<p class="role">${escapeHtml(role)} · ${escapeHtml(doc.tag)} · ${doc.success.status}</p>
<p>${escapeHtml(doc.summary)}</p>
${parametersHtml(doc)}
</section>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Watch Tower API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
section{border-top:1px solid #ddd;padding:.5rem 0}h2{font-size:1.05rem;margin:.4rem 0}
.method{display:inline-block;min-width:4.2rem;font-family:monospace;font-weight:bold}
.get{color:#1a6}.post{color:#15c}.put{color:#b70}.delete{color:#c22}
.role,.none{color:#666;margin:.2rem 0}table{border-collapse:collapse;font-size:.9rem}
td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left;vertical-align:top}
</style></head><body>
<h1>Watch Tower API</h1>
<p>Bearer JWT on every <code>/api</code> route except the webhook. Errors answer
<code>{"error": {"code", "message"}}</code>. Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
${sections}
</body></html>
`;
}

/** Serves GET /openapi.json and GET /docs (outside /api, so no token is needed to read them). */
export function openApiRoutes(docs: readonly DocumentedRoute[], opts: OpenApiOptions = {}) {
  // Built once, at registration: a schema zod cannot express fails the boot, not a request.
  const document = openApiDocument(docs, opts);
  const html = docsHtml(docs);
  return async (app: FastifyInstance) => {
    app.get('/openapi.json', async () => document);
    app.get('/docs', async (_req, reply) => reply.type('text/html; charset=utf-8').send(html));
  };
}
