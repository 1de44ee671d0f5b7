import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kv } from '../bus/kv.ts';
import { AppError } from '../errors.ts';
import { WEBHOOK_PATH } from '../ingest/webhook.ts';

/**
 * Per-client rate limit on the API (fixed one-minute windows, counted in Redis so every replica shares the
 * count; in-process when embedded): 429 with Retry-After. Keyed by the authenticated client, else the
 * address. The webhook is exempt: it is LocoNav's firehose, and its sender retries on 503 anyway.
 */
export function rateLimit(opts: { kv: Kv; perMinute: number }) {
  const plugin = async (app: FastifyInstance) => {
    app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
      const url = req.url;
      if (!(url.startsWith('/api/') || url.startsWith('/ws/')) || url.startsWith(WEBHOOK_PATH)) return;
      const client = req.actor?.principal ?? `ip:${req.ip}`;
      const window = Math.floor(Date.now() / 60_000);
      let count: number;
      let ttlMs: number;
      try {
        ({ count, ttlMs } = await opts.kv.incrWindow(`ratelimit:${client}:${window}`, 60_000));
      } catch {
        return; // the limiter's store is down: serve rather than refuse everyone
      }
      reply.header('x-ratelimit-limit', String(opts.perMinute));
      reply.header('x-ratelimit-remaining', String(Math.max(0, opts.perMinute - count)));
      if (count > opts.perMinute) {
        throw new AppError(
          'WT_RATE_LIMITED',
          `Too many requests: at most ${opts.perMinute} a minute. Retry shortly.`,
          {
            retryAfterS: Math.max(1, Math.ceil(ttlMs / 1000)),
          },
        );
      }
    });
  };
  (plugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
  return plugin;
}
