import type { FastifyInstance } from 'fastify';
import { type Bus, type Claim, PartialAppendError } from '../bus/types.ts';
import { assessFix } from '../domain/position-quality.ts';
import { AppError, isAppError } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import { traceFields, traceRequests } from '../telemetry.ts';
import { authenticateWebhook, REPLAY_KEY_TTL_MS, REPLAYED_MESSAGE, type WebhookAuthConfig } from './auth.ts';
import { encodeBatch } from './codec.ts';
import { type NormalizedAlert, type NormalizedFix, parseLocoNavItem } from './loconav.ts';
import type { ReplayGuard, Spool, SpoolEntry } from './spool.ts';
import { positionStream, shardOf, truckKeyOf } from './streams.ts';

export const WEBHOOK_PATH = '/api/v1/webhooks/loconav';
export const MAX_ITEMS = 1000;
export const MAX_BODY_BYTES = 1024 * 1024;

export interface WebhookDeps {
  bus: Bus;
  metrics: Metrics;
  auth: WebhookAuthConfig;
  timeZone: string;
  shards: number;
  /** Degraded intake while Redis is down (Redis only: the in-process bus has nothing to spool to). */
  spool?: Spool;
  now?: () => number;
}

export interface Rejection {
  index: number;
  reason: string;
}

/**
 * POST /api/v1/webhooks/loconav: authenticate, parse each item, drop what can be judged without history
 * (bad fields, (0,0), fixes from the future), and append the rest to the truck's shard. 202 only once the
 * stream, or failing it the spool, has them; 503 when neither can take them, so the sender retries.
 */
export function webhookRoutes(deps: WebhookDeps) {
  const now = deps.now ?? Date.now;
  const spool = deps.spool && { spool: deps.spool, replayGuard: deps.spool.replayGuard() };
  return async function webhook(app: FastifyInstance) {
    traceRequests(app);
    // The signature covers the raw bytes, so the body is kept raw and parsed only once it is authentic.
    app.addContentTypeParser(
      'application/json',
      { parseAs: 'buffer', bodyLimit: MAX_BODY_BYTES },
      (_req, body, done) => done(null, body),
    );

    app.post(WEBHOOK_PATH, async (req, reply) => {
      const raw = req.body as Buffer | undefined;
      const credential = authenticateWebhook(deps.auth, req.headers, raw ?? Buffer.alloc(0), now());
      if (!raw || raw.length === 0)
        throw new AppError('WT_BAD_REQUEST', 'body: send a LocoNav object or an array of them');
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch (err) {
        throw new AppError('WT_BAD_REQUEST', `body: not valid JSON (${(err as Error).message})`);
      }
      const items = Array.isArray(body) ? body : [body];
      if (items.length === 0) throw new AppError('WT_BAD_REQUEST', 'body: the array is empty');
      if (items.length > MAX_ITEMS) {
        throw new AppError(
          'WT_PAYLOAD_TOO_LARGE',
          `body: at most ${MAX_ITEMS} items per request, got ${items.length}`,
        );
      }

      const receivedAtMs = now();
      const nowDate = new Date(receivedAtMs);
      const rejected: Rejection[] = [];
      const byShard: ByShard = new Map();
      let fixes = 0;
      let alerts = 0;
      for (let index = 0; index < items.length; index++) {
        const parsed = parseLocoNavItem(items[index], deps.timeZone);
        if (!parsed.ok) {
          rejected.push({ index, reason: parsed.reason });
          deps.metrics.webhookItems.inc({ kind: 'unknown', result: 'rejected' });
          continue;
        }
        if (parsed.value.kind === 'alert') {
          const alert = parsed.value.alert;
          shardBatch(byShard, truckKeyOf({ vehicleNumber: alert.vehicleNumber }), deps.shards).alerts.push(
            alert,
          );
          alerts++;
          continue;
        }
        const fix = parsed.value.fix;
        const verdict = assessFix(fix, undefined, nowDate);
        if (verdict.verdict === 'reject') {
          rejected.push({ index, reason: `${verdict.reason}: ${verdict.detail}` });
          deps.metrics.positions.inc({ outcome: verdict.reason });
          continue;
        }
        shardBatch(byShard, truckKeyOf(fix), deps.shards).fixes.push(fix);
        fixes++;
      }

      if (fixes + alerts === 0) {
        reply.code(400);
        return {
          error: {
            code: 'WT_VALIDATION',
            message: `no item was accepted; item ${rejected[0]!.index}: ${rejected[0]!.reason}`,
          },
          accepted: 0,
          rejected,
        };
      }

      const trace = traceFields(req);
      const entries: SpoolEntry[] = [];
      for (const [shard, batch] of byShard) {
        const fields = encodeBatch({
          fixes: batch.fixes,
          alerts: batch.alerts,
          requestId: req.id,
          receivedAtMs,
        });
        entries.push({ stream: positionStream(shard), fields: Object.assign(fields, trace) });
      }
      // Claimed with the entries it admits, so the replay check costs no round trip of its own.
      const claim: Claim | undefined =
        credential.via === 'signature' ? { key: credential.replayKey, ttlMs: REPLAY_KEY_TTL_MS } : undefined;
      let fresh: boolean;
      try {
        fresh = await keep(deps.bus, spool, claim, req.id, entries);
      } catch (err) {
        // The replay guard could not be asked anywhere: its own 503 says so.
        if (isAppError(err) && err.code === 'WT_UNAVAILABLE') {
          reply.header('retry-after', '5');
          throw err;
        }
        req.log.warn(
          { err: (err as Error).message },
          'position stream and spool unavailable; asking the sender to retry',
        );
        reply.header('retry-after', '5');
        throw new AppError(
          'WT_UNAVAILABLE',
          'the position stream cannot take this request now; retry shortly',
        );
      }
      if (!fresh) throw new AppError('WT_UNAUTHORIZED', REPLAYED_MESSAGE);
      deps.metrics.webhookItems.inc({ kind: 'position', result: 'accepted' }, fixes);
      if (alerts) deps.metrics.webhookItems.inc({ kind: 'alert', result: 'accepted' }, alerts);
      reply.code(202);
      return { accepted: fixes + alerts, rejected };
    });
  };
}

type ByShard = Map<number, { fixes: NormalizedFix[]; alerts: NormalizedAlert[] }>;

/**
 * The request's batch for the shard of `truckKey`. Not a closure in the handler: tsx names every closure it
 * creates with an Object.defineProperty, a cost per request on the hot path.
 */
function shardBatch(byShard: ByShard, truckKey: string, shards: number) {
  const shard = shardOf(truckKey, shards);
  let batch = byShard.get(shard);
  if (!batch) {
    batch = { fixes: [], alerts: [] };
    byShard.set(shard, batch);
  }
  return batch;
}

/**
 * Claims the request's replay key and puts its entries on their streams, or in the spool when the streams
 * cannot take them. While the spool is in use every request goes there (none overtakes one waiting), falling
 * back to the streams only if the database fails. False when the key was already claimed (nothing kept);
 * throws when the entries could not be kept.
 */
async function keep(
  bus: Bus,
  spool: { spool: Spool; replayGuard: ReplayGuard } | undefined,
  claim: Claim | undefined,
  requestId: string,
  entries: SpoolEntry[],
): Promise<boolean> {
  if (!spool) return (await bus.appendOnce(claim, entries)) !== null;
  const spooling = spool.spool.active;
  let unkept = entries;
  if (!spooling) {
    try {
      return (await bus.appendOnce(claim, entries)) !== null;
    } catch (err) {
      // The key is ours and some shards are on their streams: spool the rest.
      if (err instanceof PartialAppendError) unkept = entries.filter((_, i) => !err.ids[i]);
    }
  }
  // The spool's guard asks Redis and, when Redis fails, the database.
  if (unkept === entries && claim && !(await spool.replayGuard.setIfAbsent(claim.key, '1', claim.ttlMs)))
    return false;
  try {
    await spool.spool.put(requestId, unkept);
  } catch (err) {
    if (!spooling) throw err;
    await bus.appendOnce(undefined, entries);
  }
  return true;
}
