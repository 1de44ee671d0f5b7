import {
  type Attributes,
  context,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  type SpanOptions,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  NodeTracerProvider,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-node';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVICE_NAME,
} from '@opentelemetry/semantic-conventions';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Fields, StreamEntry } from './bus/types.ts';
import type { Config } from './config.ts';
import { type Logger, redactUrl } from './log.ts';

// Traces from the webhook to the stream to the consumers to Slack. Everything that follows from one webhook
// request carries its request id as `watchtower.correlation_id` (the events' correlation_id). The request's
// trace context rides on its stream entries as a `traceparent` field; a consumer batch holds many requests,
// so its span links to each of them (a link per request, carrying that request's correlation id) rather
// than claiming one parent. With OTEL_EXPORTER_OTLP_ENDPOINT unset nothing is registered: the API's no-op
// tracer hands out non-recording spans and no traceparent is written.

export const SERVICE_NAME = 'watchtower';
/** The request id of the webhook call everything downstream follows from. */
export const CORRELATION_ID = 'watchtower.correlation_id';
/** The correlation ids a batch or a digest handled, when it handled more than one request's work. */
export const CORRELATION_IDS = 'watchtower.correlation_ids';
export const TRACEPARENT_FIELD = 'traceparent';

// A consumer batch reads up to 1,000 entries; the SDK's default of 128 links would drop the rest.
const MAX_LINKS = 1000;

export interface Telemetry {
  readonly enabled: boolean;
  /** Exports what is buffered, then unregisters the tracer (the API falls back to its no-op). */
  shutdown(): Promise<void>;
}

export interface TelemetryOptions {
  /** Tests pass an InMemorySpanExporter; spans are then exported one by one as they end. */
  exporter?: SpanExporter;
}

/** Starts tracing when OTEL_EXPORTER_OTLP_ENDPOINT is set (OTLP over HTTP); otherwise does nothing. */
export function startTelemetry(
  config: Pick<Config, 'telemetry' | 'roles'>,
  logger: Logger,
  opts: TelemetryOptions = {},
): Telemetry {
  const endpoint = config.telemetry.otlpEndpoint;
  if (!endpoint && !opts.exporter) return { enabled: false, shutdown: async () => {} };
  const processor = opts.exporter
    ? new SimpleSpanProcessor(opts.exporter)
    : new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl(endpoint!) }));
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: SERVICE_NAME,
      'watchtower.roles': config.roles.join(','),
    }),
    spanLimits: { linkCountLimit: MAX_LINKS },
    spanProcessors: [processor],
  });
  provider.register();
  tracing = true;
  if (endpoint) logger.info({ endpoint: redactUrl(endpoint) }, 'tracing: OTLP/HTTP');
  return {
    enabled: true,
    shutdown: async () => {
      try {
        await provider.shutdown();
      } finally {
        tracing = false;
        trace.disable();
        propagation.disable();
        context.disable();
      }
    },
  };
}

/** OTEL_EXPORTER_OTLP_ENDPOINT is the collector's base URL; traces go to its /v1/traces. */
export function tracesUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, '')}/v1/traces`;
}

const tracer = () => trace.getTracer(SERVICE_NAME);
/** True while a provider is registered: with tracing off, the webhook carries no hooks at all. */
let tracing = false;

/** Runs `fn` inside a new active span; a throw marks the span as an error and is rethrown. */
export async function withSpan<T>(
  name: string,
  options: SpanOptions,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  return tracer().startActiveSpan(name, options, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      failSpan(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

function failSpan(span: Span, err: unknown) {
  if (!span.isRecording()) return;
  span.recordException(err instanceof Error ? err : String(err));
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
}

/**
 * The correlation attributes of work done for these requests: the id itself when there is one, and the
 * list when there are several (a digest, a relay batch).
 */
export function correlationAttributes(ids: readonly (string | null | undefined)[]): Attributes {
  const unique = [...new Set(ids.filter((id): id is string => !!id))];
  if (unique.length === 0) return {};
  if (unique.length === 1) return { [CORRELATION_ID]: unique[0], [CORRELATION_IDS]: unique };
  return { [CORRELATION_IDS]: unique };
}

// ---- the webhook request ----

const requestSpans = new WeakMap<FastifyRequest, Span>();

/**
 * A SERVER span per request to the routes of `app` (register it inside the plugin whose routes it should
 * cover), carrying the request id as the correlation id. Registering it twice on one request is harmless.
 */
export function traceRequests(app: FastifyInstance): void {
  // Hooks on every request cost the hot accept path even as no-ops: none unless something records spans.
  if (!tracing) return;
  app.addHook('onRequest', async (req) => {
    if (requestSpans.has(req)) return;
    const route = req.routeOptions.url ?? req.url;
    const span = tracer().startSpan(`${req.method} ${route}`, {
      kind: SpanKind.SERVER,
      attributes: {
        [ATTR_HTTP_REQUEST_METHOD]: req.method,
        [ATTR_HTTP_ROUTE]: route,
        [CORRELATION_ID]: req.id,
      },
    });
    // Off: the no-op span is dropped here, so nothing below does any work.
    if (span.isRecording()) requestSpans.set(req, span);
  });
  app.addHook('onError', async (req, _reply, err) => {
    const span = requestSpans.get(req);
    if (span) span.recordException(err);
  });
  app.addHook('onResponse', async (req, reply) => {
    const span = requestSpans.get(req);
    if (!span) return;
    requestSpans.delete(req);
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, reply.statusCode);
    if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
  app.addHook('onRequestAbort', async (req) => {
    const span = requestSpans.get(req);
    if (!span) return;
    requestSpans.delete(req);
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'client aborted the request' });
    span.end();
  });
}

/** `{traceparent}` of the request's span, to put on the stream entries it appends; `{}` when not traced. */
export function traceFields(req: FastifyRequest): Fields {
  const span = requestSpans.get(req);
  if (!span) return {};
  const carrier: Fields = {};
  propagation.inject(trace.setSpan(ROOT_CONTEXT, span), carrier);
  return carrier[TRACEPARENT_FIELD] ? { [TRACEPARENT_FIELD]: carrier[TRACEPARENT_FIELD] } : {};
}

// ---- stream consumers ----

/**
 * Runs a consumer group's batch inside a CONSUMER span linked to the request behind each entry:
 * `correlationIds[i]` is entry i's request id, and the link goes to the span its `traceparent` names.
 */
export function traceBatch<T>(
  group: string,
  entries: readonly StreamEntry[],
  correlationIds: readonly string[],
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  return withSpan(
    `${group} process`,
    {
      kind: SpanKind.CONSUMER,
      attributes: { 'messaging.consumer.group.name': group, 'messaging.batch.message_count': entries.length },
    },
    async (span) => {
      if (span.isRecording()) {
        span.setAttributes(correlationAttributes(correlationIds));
        span.addLinks(linksTo(entries, correlationIds));
      }
      return fn(span);
    },
  );
}

function linksTo(entries: readonly StreamEntry[], correlationIds: readonly string[]): Link[] {
  const links: Link[] = [];
  const seen = new Set<string>();
  entries.forEach((entry, i) => {
    const traceparent = entry.fields[TRACEPARENT_FIELD];
    if (!traceparent || seen.has(traceparent)) return;
    seen.add(traceparent);
    const linked = trace.getSpanContext(
      propagation.extract(ROOT_CONTEXT, { [TRACEPARENT_FIELD]: traceparent }),
    );
    if (!linked) return;
    const id = correlationIds[i];
    links.push({ context: linked, attributes: id ? { [CORRELATION_ID]: id } : {} });
  });
  return links;
}
