// Sends simulated fixes to our LocoNav webhook the way a well-behaved sender would: in batches, signed
// (or with the shared token), retrying what may succeed later and never what will not.

import { SIGNATURE_HEADER, signBody, TIMESTAMP_HEADER } from '../ingest/auth.ts';
import { WEBHOOK_PATH } from '../ingest/webhook.ts';
import type { Logger } from '../log.ts';
import type { FleetSimulator, LocoNavLiveLocation } from './simulator.ts';

/** Headers for a signed webhook: `v1=` hex HMAC-SHA256 over `timestamp + "." + body`, as the receiver checks. */
export function signWebhook(secret: string, body: string, timestampS: number): Record<string, string> {
  return {
    [TIMESTAMP_HEADER]: String(timestampS),
    [SIGNATURE_HEADER]: signBody(secret, timestampS, body),
    'content-type': 'application/json',
  };
}

export interface SenderCounts {
  /** Fixes posted (each counted once, however many attempts it took). */
  sent: number;
  accepted: number;
  /** Refused by the receiver: the whole batch on a 4xx, or the items its 2xx answer says it rejected. */
  rejected: number;
  /** Requests repeated after a 5xx, a 429 or a network error. */
  retried: number;
  /** Fixes given up on after the last retry. */
  failed: number;
}

export interface WebhookSenderOptions {
  baseUrl: string;
  secret?: string;
  /** Used only when no secret is given: sent as `authorization: Bearer <token>`. */
  token?: string;
  /** Fixes per request. Default 50. */
  batchSize?: number;
  /** Attempts after the first. Default 5. */
  maxRetries?: number;
  /** First backoff; doubles per retry, with full jitter. Default 250 ms. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Per request. Default 10 s. */
  timeoutMs?: number;
  logger?: Logger;
}

class Aborted extends Error {}

export class WebhookSender {
  readonly counts: SenderCounts = { sent: 0, accepted: 0, rejected: 0, retried: 0, failed: 0 };
  private readonly url: string;
  private readonly batchSize: number;
  private readonly maxRetries: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly timeoutMs: number;

  constructor(private readonly options: WebhookSenderOptions) {
    // The receiver refuses unauthenticated requests; better to say so here than to count 401s.
    if (!options.secret && !options.token) throw new Error('WebhookSender needs a secret or a token');
    this.url = new URL(WEBHOOK_PATH, options.baseUrl).toString();
    this.batchSize = Math.max(1, options.batchSize ?? 50);
    this.maxRetries = Math.max(0, options.maxRetries ?? 5);
    this.backoffMs = options.backoffMs ?? 250;
    this.maxBackoffMs = options.maxBackoffMs ?? 10_000;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /**
   * Posts the fixes in order, one batch at a time (so a truck's fixes never overtake each other).
   * Resolves once every batch is accepted, rejected or given up on; stops early when `signal` aborts.
   */
  async send(fixes: readonly LocoNavLiveLocation[], signal?: AbortSignal): Promise<void> {
    for (let i = 0; i < fixes.length; i += this.batchSize) {
      if (signal?.aborted) return;
      await this.post(fixes.slice(i, i + this.batchSize), signal);
    }
  }

  private headers(body: string, timestampS: number): Record<string, string> {
    const { secret, token } = this.options;
    if (secret) return signWebhook(secret, body, timestampS);
    return { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  }

  private async post(batch: readonly LocoNavLiveLocation[], signal?: AbortSignal): Promise<void> {
    const body = JSON.stringify(batch);
    const log = this.options.logger;
    let timestampS = 0;
    for (let attempt = 0; ; attempt++) {
      // A fresh timestamp per attempt keeps a late retry inside the receiver's replay window, and a
      // quick one must still differ from the last: the receiver takes each signature only once, even
      // when the request it came with failed.
      timestampS = Math.max(Math.floor(Date.now() / 1000), timestampS + 1);
      let retryAfterMs: number | undefined;
      let why: string;
      try {
        const timeout = AbortSignal.timeout(this.timeoutMs);
        const res = await fetch(this.url, {
          method: 'POST',
          headers: this.headers(body, timestampS),
          body,
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
        const text = await res.text();
        if (res.ok) {
          this.settle(batch.length, text);
          return;
        }
        if (!retryable(res.status)) {
          this.counts.sent += batch.length;
          this.counts.rejected += batch.length;
          log?.warn({ status: res.status, fixes: batch.length, body: text.slice(0, 300) }, 'batch rejected');
          return;
        }
        retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
        why = `HTTP ${res.status}`;
      } catch (err) {
        if (signal?.aborted) return;
        why = err instanceof Error ? err.message : String(err);
      }
      if (attempt >= this.maxRetries) {
        this.counts.failed += batch.length;
        log?.warn({ attempts: attempt + 1, fixes: batch.length, why }, 'batch given up');
        return;
      }
      this.counts.retried++;
      const backoff = Math.random() * Math.min(this.maxBackoffMs, this.backoffMs * 2 ** attempt);
      try {
        await sleep(Math.min(this.maxBackoffMs, Math.max(backoff, retryAfterMs ?? 0)), signal);
      } catch (err) {
        if (err instanceof Aborted) return;
        throw err;
      }
    }
  }

  /** A 2xx may say how many items it took: the receiver checks each item on its own. */
  private settle(fixes: number, responseText: string): void {
    this.counts.sent += fixes;
    let rejected = 0;
    try {
      const answer = JSON.parse(responseText) as { rejected?: unknown };
      if (typeof answer.rejected === 'number') rejected = answer.rejected;
      else if (Array.isArray(answer.rejected)) rejected = answer.rejected.length;
    } catch {
      // Not JSON: the status alone says the batch was taken.
    }
    rejected = Math.min(fixes, Math.max(0, rejected));
    this.counts.rejected += rejected;
    this.counts.accepted += fixes - rejected;
  }
}

/** 5xx and 429 may pass later; any other 4xx (400 bad body, 401 bad signature, 413 too big) never will. */
function retryable(status: number): boolean {
  return status >= 500 || status === 429;
}

function parseRetryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Aborted());
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Aborted());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

// ---- the run loop -----------------------------------------------------------------------------------------

export interface RunSimulatorOptions {
  baseUrl: string;
  secret?: string;
  token?: string;
  simulator: FleetSimulator;
  /** Simulated seconds per real second. Default 1. */
  speedup?: number;
  signal: AbortSignal;
  logger: Logger;
  batchSize?: number;
  /** Real time between ticks. Default 1 s. */
  tickMs?: number;
  /** Real time between progress lines. Default 60 s. */
  reportEveryMs?: number;
}

/**
 * Drives the simulator against a running Watch Tower until `signal` aborts, and resolves with the counts.
 * Simulated time starts at the simulator's start (now by default) and runs `speedup` times faster than
 * real time, but never ahead of the wall clock: the receiver drops fixes from the future, so a faster run
 * is a way to replay recent hours quickly and then carry on live.
 */
export async function runSimulator(options: RunSimulatorOptions): Promise<SenderCounts> {
  const { simulator, signal, logger } = options;
  const speedup = options.speedup ?? 1;
  const tickMs = options.tickMs ?? 1000;
  const reportEveryMs = options.reportEveryMs ?? 60_000;
  const sender = new WebhookSender({
    baseUrl: options.baseUrl,
    secret: options.secret,
    token: options.token,
    batchSize: options.batchSize,
    logger,
  });
  const realStart = Date.now();
  const simStart = simulator.start?.getTime() ?? realStart;
  let nextReport = realStart + reportEveryMs;
  let live = simStart >= realStart;
  let lastCounts = { ...sender.counts };

  while (!signal.aborted) {
    const realNow = Date.now();
    const simNow = Math.min(realNow, simStart + (realNow - realStart) * speedup);
    if (!live && simNow >= realNow) {
      live = true;
      logger.info('simulated time has caught up with the clock; continuing in real time');
    }
    await sender.send(simulator.tick(new Date(simNow)), signal);
    if (Date.now() >= nextReport) {
      const c = sender.counts;
      logger.info(
        {
          ...c,
          sentSinceLast: c.sent - lastCounts.sent,
          simTime: new Date(simNow).toISOString(),
          ...simulator.status(),
        },
        `sent ${c.sent} fixes: ${c.accepted} accepted, ${c.rejected} rejected, ${c.retried} retries, ${c.failed} failed`,
      );
      lastCounts = { ...c };
      nextReport = Date.now() + reportEveryMs;
    }
    try {
      await sleep(Math.max(0, tickMs - (Date.now() - realNow)), signal);
    } catch (err) {
      if (!(err instanceof Aborted)) throw err;
    }
  }
  return { ...sender.counts };
}
