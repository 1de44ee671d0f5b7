// node --import tsx bench/parse.ts — parseLocoNavItem alone on LocoNav live-location items, the webhook's
// hot path. Builds 50,000 realistic items (JSON round-tripped, so their shapes are what JSON.parse gives the
// webhook), warms up, then times 5 runs and prints the median ns/item and the GC time seen meanwhile.
import { PerformanceObserver } from 'node:perf_hooks';
import { seededRandom } from '../src/domain/spatial-index.ts';
import { LAGOS, toLocal } from '../src/domain/time.ts';
import { type LocoNavParse, parseLocoNavItem } from '../src/ingest/loconav.ts';

const ITEMS = 50_000;
const RUNS = 5;
const WARMUP_RUNS = 3;

const rand = seededRandom(42);
const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const letters = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const letter = () => letters[Math.floor(rand() * letters.length)]!;
const between = (lo: number, hi: number) => lo + rand() * (hi - lo);

function gpstime(at: Date): string {
  const l = toLocal(at, LAGOS);
  return `${pad(l.day)}-${pad(l.month)}-${l.year} ${pad(l.hour)}:${pad(l.minute)}:${pad(l.second)}`;
}

function buildItems(): unknown[] {
  const now = Date.now();
  const items = [];
  for (let i = 0; i < ITEMS; i++) {
    const moving = rand() < 0.7;
    items.push({
      imei: `0868373050${pad(Math.floor(rand() * 1_000_000), 6)}`,
      vehiclenumber: `${letter()}${letter()}${letter()}-${pad(Math.floor(rand() * 1000), 3)}${letter()}${letter()}`,
      latitude: Math.round(between(6.4, 6.7) * 1e6) / 1e6,
      longitude: Math.round(between(3.1, 3.6) * 1e6) / 1e6,
      speed: moving ? Math.round(between(5, 90) * 10) / 10 : 0,
      orientation: Math.round(between(0, 360)),
      ignition: moving || rand() < 0.3 ? '1' : '0',
      gpstime: gpstime(new Date(now - Math.floor(rand() * 3_600_000))),
      harshBraking: rand() < 0.01,
      harshAcceleration: rand() < 0.01,
      sharpTurn: rand() < 0.01,
    });
  }
  // As the webhook gets them: fresh from JSON.parse.
  return JSON.parse(JSON.stringify(items)) as unknown[];
}

let gcMs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcMs += e.duration;
}).observe({ entryTypes: ['gc'] });

function run(items: unknown[]): { nsPerItem: number; rejected: number } {
  let rejected = 0;
  let last: LocoNavParse | undefined;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < items.length; i++) {
    last = parseLocoNavItem(items[i], LAGOS);
    if (!last.ok) rejected++;
  }
  const ns = Number(process.hrtime.bigint() - t0);
  if (last === undefined) throw new Error('nothing parsed');
  return { nsPerItem: ns / items.length, rejected };
}

const items = buildItems();
for (let i = 0; i < WARMUP_RUNS; i++) run(items);
// GC entries arrive asynchronously: let the warm-up's land before taking the baseline.
await new Promise((resolve) => setTimeout(resolve, 100));
const gcBefore = gcMs;
const results: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const r = run(items);
  if (r.rejected)
    throw new Error(`${r.rejected} of ${ITEMS} items were rejected; the bench needs good items`);
  results.push(r.nsPerItem);
}
// Let the GC observer deliver entries from the last run.
await new Promise((resolve) => setTimeout(resolve, 100));
const sorted = [...results].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)]!;
console.log(`runs (ns/item): ${results.map((r) => r.toFixed(0)).join(', ')}`);
console.log(`GC during timed runs: ${(gcMs - gcBefore).toFixed(1)} ms over ${RUNS * ITEMS} items`);
console.log(`parseLocoNavItem, live location: ${median.toFixed(0)} ns/item (median of ${RUNS})`);
