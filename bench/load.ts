// Load generator, run as its own process so the server under test keeps its core: posts pre-built bodies
// to a URL over keep-alive connections, signing each request afresh, either as fast as `concurrency`
// allows or paced at `rps`. Prints one JSON line of results.
import { createHmac } from 'node:crypto';
import http from 'node:http';

interface Job {
  url: string;
  secret?: string;
  /** POST bodies (the webhook); or, with `paths`, GET each path in turn. */
  bodies?: string[];
  paths?: string[];
  headers?: Record<string, string>;
  concurrency: number;
  durationMs: number;
  /** Paced mode: requests per second; omitted = closed loop at full speed. */
  rps?: number;
  /** Stop after this many requests. */
  maxRequests?: number;
  /** Index of the first body or path to send (runs over the same bodies then send different ones first). */
  startAt?: number;
  /** Report every request's latency too (to pool runs' percentiles). */
  keepLatencies?: boolean;
}

const job = JSON.parse(
  await new Promise<string>((resolve) => {
    let s = '';
    process.stdin.on('data', (c) => (s += c));
    process.stdin.on('end', () => resolve(s));
  }),
) as Job;

const url = new URL(job.url);
const agent = new http.Agent({ keepAlive: true, maxSockets: job.concurrency });
const latencies: number[] = [];
const sentAt: Record<string, number> = {};
let sent = 0;
let ok = 0;
let failed = 0;
let next = job.startAt ?? 0;
const started = performance.now();
/** Wall clock at the first request, for a caller timing what follows from it (same machine, same clock). */
const startedAtMs = Date.now();
const deadline = started + job.durationMs;

function post(): Promise<void> {
  const i = next++;
  const get = job.paths !== undefined;
  // A signature is good once: on each pass over the bodies, trailing spaces make them new bytes.
  const body = get
    ? ''
    : job.bodies![i % job.bodies!.length]! + ' '.repeat(Math.floor(i / job.bodies!.length));
  const requestId = `bench-${process.pid}-${sent++}`;
  const headers: Record<string, string | number> = { ...job.headers, 'x-request-id': requestId };
  if (!get) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = Buffer.byteLength(body);
  }
  if (job.secret) {
    const ts = Math.floor(Date.now() / 1000);
    headers['x-watchtower-timestamp'] = ts;
    headers['x-watchtower-signature'] =
      `v1=${createHmac('sha256', job.secret).update(`${ts}.`).update(body).digest('hex')}`;
  }
  const t0 = performance.now();
  sentAt[requestId] = Date.now();
  return new Promise((resolve) => {
    const path = get ? job.paths![i % job.paths!.length]! : url.pathname;
    const req = http.request(
      { host: url.hostname, port: url.port, path, method: get ? 'GET' : 'POST', headers, agent },
      (res) => {
        res.resume();
        res.on('end', () => {
          latencies.push(performance.now() - t0);
          if (res.statusCode === (get ? 200 : 202)) ok++;
          else failed++;
          resolve();
        });
      },
    );
    req.on('error', () => {
      failed++;
      resolve();
    });
    req.end(get ? undefined : body);
  });
}

const more = () => performance.now() < deadline && (job.maxRequests === undefined || sent < job.maxRequests);

if (job.rps) {
  const interval = 1000 / job.rps;
  const inflight = new Set<Promise<void>>();
  let due = performance.now();
  while (more()) {
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const p = post().then(() => void inflight.delete(p));
    inflight.add(p);
    due += interval;
  }
  await Promise.all(inflight);
} else {
  await Promise.all(
    Array.from({ length: job.concurrency }, async () => {
      while (more()) await post();
    }),
  );
}
const elapsedS = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p: number) =>
  latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
process.stdout.write(
  `${JSON.stringify({ sent, ok, failed, elapsedS, startedAtMs, rps: ok / elapsedS, p50: pct(50), p95: pct(95), p99: pct(99), latencies: job.keepLatencies ? latencies.map((l) => Number(l.toFixed(3))) : undefined, sentAt: job.rps && !job.paths ? sentAt : undefined })}\n`,
);
agent.destroy();
