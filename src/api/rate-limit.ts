import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kv } from '../bus/kv.ts';
import { AppError } from '../errors.ts';
import { WEBHOOK_PATH } from '../ingest/webhook.ts';

const WINDOW_MS = 60_000;

/**
 * Per-client request counts in fixed one-minute windows, shared by every replica through Redis (in-process
 * when embedded) without a round trip per request: each replica counts locally and adds its count to the
 * shared total every `syncMs`. A replica sees its own requests at once and the others' within `syncMs`.
 */
export class SharedWindowCounter {
  private readonly clients = new Map<string, { window: number; shared: number; pending: number }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly kv: Kv,
    private readonly syncMs = 200,
  ) {}

  /** Counts one request; returns the client's total in the current window and ms until it ends. */
  hit(client: string, now = Date.now()): { count: number; resetMs: number } {
    const window = Math.floor(now / WINDOW_MS);
    let c = this.clients.get(client);
    if (!c || c.window !== window) {
      c = { window, shared: 0, pending: 0 };
      this.clients.set(client, c);
    }
    c.pending++;
    this.timer ??= setTimeout(() => void this.sync(), this.syncMs);
    return { count: c.shared + c.pending, resetMs: (window + 1) * WINDOW_MS - now };
  }

  async sync(): Promise<void> {
    this.timer = undefined;
    const now = Math.floor(Date.now() / WINDOW_MS);
    await Promise.all(
      [...this.clients].map(async ([client, c]) => {
        if (c.window !== now) {
          this.clients.delete(client);
          return;
        }
        const add = c.pending;
        c.pending = 0;
        try {
          // The shared total includes our own `add`; other replicas' counts arrive with it.
          c.shared = await this.kv.incrBy(`ratelimit:${client}:${c.window}`, add, WINDOW_MS);
        } catch {
          c.pending += add; // the store is down: keep counting locally and try again
        }
        if (c.pending > 0) this.timer ??= setTimeout(() => void this.sync(), this.syncMs);
      }),
    );
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/**
 * Per-client rate limit on the API: 429 with Retry-After. Keyed by the authenticated client, else the
 * address. The webhook is exempt: it is LocoNav's firehose, and its sender retries on 503 anyway.
 */
export function rateLimit(opts: { kv: Kv; perMinute: number }) {
  const counter = new SharedWindowCounter(opts.kv);
  const plugin = async (app: FastifyInstance) => {
    app.addHook('onClose', async () => counter.stop());
    app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
      const url = req.url;
      if (!(url.startsWith('/api/') || url.startsWith('/ws/')) || url.startsWith(WEBHOOK_PATH)) return;
      const { count, resetMs } = counter.hit(req.actor?.principal ?? `ip:${req.ip}`);
      reply.header('x-ratelimit-limit', String(opts.perMinute));
      reply.header('x-ratelimit-remaining', String(Math.max(0, opts.perMinute - count)));
      if (count > opts.perMinute) {
        throw new AppError(
          'WT_RATE_LIMITED',
          `Too many requests: at most ${opts.perMinute} a minute. Retry shortly.`,
          { retryAfterS: Math.max(1, Math.ceil(resetMs / 1000)) },
        );
      }
    });
  };
  (plugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
  return plugin;
}
