import { randomUUID } from 'node:crypto';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  LogController,
} from 'fastify';
import type { Bus } from '../bus/types.ts';
import type { Db } from '../db/client.ts';
import { AppError, isAppError } from '../errors.ts';
import { findUnstorableText, UNSTORABLE_TEXT_MESSAGE } from '../fleet/validation.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { healthRoutes } from './routes/health.ts';

export interface HttpDeps {
  db: Db;
  bus: Bus;
  logger: Logger;
  metrics: Metrics;
  /** Route plugins added by the roles this process runs (webhook, api). */
  plugins?: ((app: FastifyInstance) => Promise<void> | void)[];
  bodyLimit?: number;
  /** True once shutdown began: /readyz turns 503 so load balancers stop sending work. */
  isDraining?: () => boolean;
  /** Ready without Redis: the webhook spools to PostgreSQL, so it should keep taking LocoNav's traffic. */
  readyWithoutBus?: boolean;
  /** How long a client may take to send a whole request, and a socket may sit idle (tests shorten them). */
  timeouts?: { requestMs?: number; idleMs?: number };
}

export const REQUEST_TIMEOUT_MS = 30_000;
export const IDLE_TIMEOUT_MS = 60_000;

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Builds the HTTP server without listening, so tests can `inject` and main can `listen`. */
export async function build(deps: HttpDeps): Promise<FastifyInstance> {
  const requestTimeout = deps.timeouts?.requestMs ?? REQUEST_TIMEOUT_MS;
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: deps.bodyLimit ?? 1024 * 1024,
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    logController: new LogController({ disableRequestLogging: true }),
    // A slow or stalled body must not hold a socket forever: the whole request within requestTimeout (else
    // 408 and close), and no socket idle past connectionTimeout.
    requestTimeout,
    connectionTimeout: deps.timeouts?.idleMs ?? IDLE_TIMEOUT_MS,
    http: {
      // Given to http.createServer too: set only afterwards (all fastify does), it leaves Node's headersTimeout
      // at 60 s, above requestTimeout, and Node then never times out a request whose body trickles in.
      requestTimeout,
      // Node looks for expired requests on this interval, 30 s by default: a stalled body could then hold
      // its socket for up to twice requestTimeout.
      connectionsCheckingInterval: Math.max(50, Math.floor(requestTimeout / 4)),
    },
    // What fastify refuses before routing (a path that is not valid percent-encoding, a path parameter over
    // maxParamLength) answers in our error shape too, instead of fastify's own.
    frameworkErrors: (err, _req, frameworkReply) => {
      const mapped = toAppError(err);
      const reply = frameworkReply as FastifyReply;
      (reply as unknown as { errorCode?: string }).errorCode = mapped.code;
      reply.code(mapped.status).send({ error: { code: mapped.code, message: mapped.message } });
    },
  });
  let closing = false;
  // Before the server stops listening, so /readyz is already 503 while in-flight requests finish.
  app.addHook('preClose', async () => {
    closing = true;
  });
  const isDraining = () => closing || (deps.isDraining?.() ?? false);

  // The hooks every request runs are callback-style: an async hook costs each request a promise and a turn.
  app.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', req.id);
    done();
  });

  // Refused at the door, naming where, rather than failing in PostgreSQL as a 500 (NUL) or being stored
  // altered (an unpaired surrogate): every route's path, query and parsed JSON body.
  app.addHook('preValidation', (req, _reply, done) => {
    const where = findUnstorableText({ params: req.params, query: req.query, body: req.body });
    done(where ? new AppError('WT_VALIDATION', `${where}: ${UNSTORABLE_TEXT_MESSAGE}`) : undefined);
  });

  // A keep-alive connection whose request finishes after shutdown began would hold the server open until
  // its idle timeout: tell the client to close it with this last answer.
  app.addHook('onSend', (_req, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });

  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const labels = { method: req.method, route, status: String(reply.statusCode) };
    deps.metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
    if (reply.statusCode >= 400) {
      deps.metrics.httpErrors.inc({
        ...labels,
        code: (reply as unknown as { errorCode?: string }).errorCode ?? '',
      });
    }
    if (reply.statusCode >= 500 || reply.elapsedTime > 1000) {
      req.log.info({ method: req.method, route, status: reply.statusCode, ms: reply.elapsedTime }, 'request');
    }
    done();
  });

  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({
      error: { code: 'WT_NOT_FOUND', message: `no route for ${req.method} ${req.url.split('?')[0]}` },
    });
  });

  app.setErrorHandler((err: FastifyError | AppError, req, reply) => {
    const mapped = toAppError(err);
    if (mapped.status >= 500) req.log.error({ err }, 'request failed');
    (reply as unknown as { errorCode?: string }).errorCode = mapped.code;
    if (mapped.code === 'WT_RATE_LIMITED' && mapped.details?.retryAfterS) {
      reply.header('retry-after', String(mapped.details.retryAfterS));
    }
    reply.code(mapped.status).send({ error: { code: mapped.code, message: mapped.message } });
  });

  await app.register(healthRoutes, {
    db: deps.db,
    bus: deps.bus,
    metrics: deps.metrics,
    isDraining,
    readyWithoutBus: deps.readyWithoutBus ?? false,
  });
  for (const plugin of deps.plugins ?? []) await app.register(plugin);
  return app;
}

/** What an error becomes on the wire: our own codes as they are; fastify's by their status; the rest 500. */
export function toAppError(err: unknown): AppError {
  if (isAppError(err)) return err;
  const e = err as FastifyError;
  if (e?.validation) return new AppError('WT_VALIDATION', e.message);
  if (e?.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return new AppError('WT_PAYLOAD_TOO_LARGE', 'request body is larger than allowed');
  if (e?.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    return new AppError('WT_BAD_REQUEST', 'send the body as application/json');
  if (e?.code === 'FST_ERR_CTP_EMPTY_JSON_BODY')
    return new AppError('WT_BAD_REQUEST', 'the JSON body is empty');
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new AppError('WT_BAD_REQUEST', e.message);
  }
  return new AppError('WT_INTERNAL', 'internal error; the request id in x-request-id finds it in the logs');
}
