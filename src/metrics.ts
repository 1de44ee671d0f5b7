import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface WatchedGroup {
  stream: string;
  group: string;
}

export interface StreamStats {
  length(stream: string): Promise<number>;
  groupInfo(stream: string, group: string): Promise<{ pending: number; lag: number | null }>;
}

/** One registry per process (and per test), so nothing is global. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'watchtower_' });

  const watched: WatchedGroup[] = [];
  let stats: StreamStats | undefined;
  let spoolDepthOf: (() => Promise<number>) | undefined;

  const httpDuration = new Histogram({
    name: 'watchtower_http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const httpErrors = new Counter({
    name: 'watchtower_http_errors_total',
    help: 'HTTP responses with status >= 400 by route and error code',
    labelNames: ['method', 'route', 'status', 'code'] as const,
    registers: [registry],
  });
  const outsideCall = new Histogram({
    name: 'watchtower_outside_call_duration_seconds',
    help: 'Latency of calls to Slack, OpenAI and Google',
    labelNames: ['service', 'operation', 'outcome'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const deadLettered = new Counter({
    name: 'watchtower_dead_letter_total',
    help: 'Entries moved to a dead-letter stream',
    labelNames: ['stream', 'group'] as const,
    registers: [registry],
  });
  const streamLength = new Gauge({
    name: 'watchtower_stream_length',
    help: 'Entries in a stream',
    labelNames: ['stream'] as const,
    registers: [registry],
    async collect() {
      if (!stats) return;
      const streams = new Set(watched.map((w) => w.stream));
      for (const s of streams) {
        this.set({ stream: s }, await stats.length(s).catch(() => Number.NaN));
        this.set({ stream: `${s}:dead` }, await stats.length(`${s}:dead`).catch(() => Number.NaN));
      }
    },
  });
  const consumerLag = new Gauge({
    name: 'watchtower_consumer_lag',
    help: 'Entries not yet delivered to a consumer group',
    labelNames: ['stream', 'group'] as const,
    registers: [registry],
  });
  const consumerPending = new Gauge({
    name: 'watchtower_consumer_pending',
    help: 'Entries delivered to a consumer group but not acknowledged',
    labelNames: ['stream', 'group'] as const,
    registers: [registry],
    async collect() {
      if (!stats) return;
      for (const w of watched) {
        const info = await stats
          .groupInfo(w.stream, w.group)
          .catch(() => ({ pending: Number.NaN, lag: null }));
        this.set(w, info.pending);
        consumerLag.set(w, info.lag ?? Number.NaN);
      }
    },
  });

  const positions = new Counter({
    name: 'watchtower_positions_total',
    help: 'LocoNav fixes by outcome: stored, out_of_order (stored, location kept), or the reason dropped',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const webhookItems = new Counter({
    name: 'watchtower_webhook_items_total',
    help: 'Webhook items by kind and result (accepted into the stream, or rejected at the door)',
    labelNames: ['kind', 'result'] as const,
    registers: [registry],
  });
  const trucksRegistered = new Counter({
    name: 'watchtower_trucks_registered_total',
    help: 'Unknown vehicles registered as unassigned trucks',
    registers: [registry],
  });
  const geofenceTransitions = new Counter({
    name: 'watchtower_geofence_transitions_total',
    help: 'Geofence entries and exits',
    labelNames: ['type'] as const,
    registers: [registry],
  });
  const batchDuration = new Histogram({
    name: 'watchtower_consumer_batch_duration_seconds',
    help: 'Time to apply one batch, by consumer group',
    labelNames: ['group'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const geofenceEval = new Histogram({
    name: 'watchtower_geofence_eval_seconds',
    help: 'Time to place one fix against every geofence and step its presence',
    buckets: [1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 1e-3],
    registers: [registry],
  });
  const eventsRelayed = new Counter({
    name: 'watchtower_events_relayed_total',
    help: 'Outbox events published to the event stream',
    registers: [registry],
  });

  const spooledRequests = new Counter({
    name: 'watchtower_webhook_spooled_total',
    help: 'Webhook requests kept in the PostgreSQL spool because the stream could not take them',
    registers: [registry],
  });
  const spoolDrained = new Counter({
    name: 'watchtower_spool_drained_total',
    help: 'Spooled stream entries appended to their stream once it answered again',
    registers: [registry],
  });
  const spoolDepth = new Gauge({
    name: 'watchtower_spool_depth',
    help: 'Stream entries waiting in the PostgreSQL spool',
    registers: [registry],
    async collect() {
      if (spoolDepthOf) this.set(await spoolDepthOf().catch(() => Number.NaN));
    },
  });

  const jobRuns = new Counter({
    name: 'watchtower_job_runs_total',
    help: 'Scheduled job runs by job and outcome (ok, error)',
    labelNames: ['job', 'outcome'] as const,
    registers: [registry],
  });
  const jobDuration = new Histogram({
    name: 'watchtower_job_duration_seconds',
    help: 'Duration of scheduled job runs by job and outcome',
    labelNames: ['job', 'outcome'] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900],
    registers: [registry],
  });

  return {
    registry,
    jobRuns,
    jobDuration,
    positions,
    webhookItems,
    trucksRegistered,
    geofenceTransitions,
    batchDuration,
    geofenceEval,
    eventsRelayed,
    httpDuration,
    httpErrors,
    outsideCall,
    deadLettered,
    streamLength,
    consumerLag,
    consumerPending,
    spooledRequests,
    spoolDrained,
    spoolDepth,
    /** Reports the spool's depth at every scrape. */
    watchSpool(depth: () => Promise<number>) {
      spoolDepthOf = depth;
    },
    /** Reports length, lag and pending of these groups at every scrape. */
    watchStreams(source: StreamStats, groups: WatchedGroup[]) {
      stats = source;
      watched.push(...groups);
    },
    /** Times an outside call (Slack, OpenAI, Google) and records its outcome. */
    async timeOutsideCall<T>(service: string, operation: string, call: () => Promise<T>): Promise<T> {
      const end = outsideCall.startTimer({ service, operation });
      try {
        const result = await call();
        end({ outcome: 'ok' });
        return result;
      } catch (err) {
        end({ outcome: 'error' });
        throw err;
      }
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
