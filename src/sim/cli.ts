// `npm run simulate`: drives the Lagos demo fleet (or a bigger synthetic one) against a running Watch Tower.
//
//   WATCHTOWER_URL          default http://127.0.0.1:3000
//   LOCONAV_WEBHOOK_SECRET  signs each request (HMAC-SHA256); or
//   LOCONAV_WEBHOOK_TOKEN   sent as a bearer token when there is no secret
//   SIM_TRUCKS              default 20, the demo fleet; more adds synthetic trucks around Lagos
//   SIM_SPEEDUP             simulated seconds per real second, default 1
//   SIM_START               ISO time the simulation starts at, default now (with a speedup, start in the
//                           past: simulated time never runs ahead of the clock)
//   SIM_SEED, SIM_INTERVAL_S, LOG_LEVEL

import { createLogger, redactUrl } from '../log.ts';
import { runSimulator } from './sender.ts';
import { FleetSimulator } from './simulator.ts';

function fail(message: string): never {
  process.stderr.write(`simulate: ${message}\n`);
  process.exit(1);
}

function positiveNumber(name: string, fallback: number, integer = false): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    fail(`${name} must be a positive ${integer ? 'whole number' : 'number'}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

const baseUrl = process.env.WATCHTOWER_URL?.trim() || 'http://127.0.0.1:3000';
if (!URL.canParse(baseUrl)) fail(`WATCHTOWER_URL is not a URL: ${JSON.stringify(baseUrl)}`);
const secret = process.env.LOCONAV_WEBHOOK_SECRET?.trim() || undefined;
const token = process.env.LOCONAV_WEBHOOK_TOKEN?.trim() || undefined;
if (!secret && !token) {
  fail('set LOCONAV_WEBHOOK_SECRET (or LOCONAV_WEBHOOK_TOKEN) to the value Watch Tower was started with');
}
const trucks = positiveNumber('SIM_TRUCKS', 20, true);
const speedup = positiveNumber('SIM_SPEEDUP', 1);
const seed = positiveNumber('SIM_SEED', 1, true);
const intervalS = positiveNumber('SIM_INTERVAL_S', 10, true);
const startRaw = process.env.SIM_START?.trim();
const start = startRaw ? new Date(startRaw) : undefined;
if (start && Number.isNaN(start.getTime())) fail(`SIM_START is not a time: ${JSON.stringify(startRaw)}`);

const logger = createLogger(process.env.LOG_LEVEL?.trim() || 'info');
const simulator = FleetSimulator.mixed({ trucks, seed, intervalS, start });
const controller = new AbortController();

let interrupted = false;
function stop(signal: string) {
  // A second Ctrl-C means "now", even if a request is hanging.
  if (interrupted) process.exit(130);
  interrupted = true;
  logger.info({ signal }, 'stopping the simulator');
  controller.abort();
}
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));

logger.info(
  { url: redactUrl(baseUrl), trucks, speedup, intervalS, auth: secret ? 'hmac' : 'token' },
  `simulating ${trucks} trucks against ${redactUrl(baseUrl)}`,
);
const counts = await runSimulator({
  baseUrl,
  secret,
  token,
  simulator,
  speedup,
  signal: controller.signal,
  logger,
});
logger.info(
  counts,
  `stopped after ${counts.sent} fixes: ${counts.accepted} accepted, ${counts.rejected} rejected`,
);
