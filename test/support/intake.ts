import type { Sql } from '../../src/db/client.ts';
import { WEBHOOK_PATH } from '../../src/ingest/webhook.ts';
import { liveLocation, signedHeaders } from './loconav.ts';

// A LocoNav sender for fault tests that keeps a ledger: what it sent, what Watch Tower acknowledged (202),
// and which fixes those acknowledgements covered, to compare with what the database holds in the end.

export interface Ledger {
  requests: number;
  /** Requests answered 202. */
  acknowledged: number;
  /** Requests answered otherwise (or not at all), by status; 0 = no answer. */
  refused: Map<number, number>;
  fixesSent: number;
  /** `truck number|fix time ms` of every fix in a 202 answer that was not listed as rejected. */
  acknowledgedFixes: Set<string>;
}

export interface Sender {
  ledger: Ledger;
  /** Resolves once at least `n` more requests have been answered (any way) from now. */
  answered(n: number): Promise<void>;
  /** Stops sending; resolves when the requests in flight are answered. */
  stop(): Promise<void>;
}

export interface SenderOptions {
  baseUrl: string;
  secret: string;
  trucks?: number;
  trucksPerRequest?: number;
  concurrency?: number;
  /** Number plates are `<prefix>-<n>`, so tests can tell their trucks apart. */
  prefix?: string;
}

export const fixKey = (truckNumber: string, fixTime: Date) => `${truckNumber}|${fixTime.getTime()}`;

/**
 * Sends signed requests back to back from `concurrency` workers until stopped. Every truck stands still at
 * its own spot and reports a new fix time (one second on) in each request, so nothing is a duplicate or a
 * jump and everything acknowledged must be stored.
 */
export function startSender(o: SenderOptions): Sender {
  const trucks = Array.from({ length: o.trucks ?? 20 }, (_, i) => ({
    imei: `0868${String(i).padStart(11, '0')}`,
    number: `${o.prefix ?? 'FLT'}-${100 + i}`,
    lat: 6.4 + i * 0.01,
    lng: 3.3 + i * 0.01,
  }));
  const perRequest = Math.min(o.trucksPerRequest ?? 5, trucks.length);
  const base = Math.floor((Date.now() - 3 * 3_600_000) / 1000) * 1000;
  const nextSecond = new Map<string, number>();
  const ledger: Ledger = {
    requests: 0,
    acknowledged: 0,
    refused: new Map(),
    fixesSent: 0,
    acknowledgedFixes: new Set(),
  };
  let answered = 0;
  let stopping = false;
  const waiters: { at: number; resolve: () => void }[] = [];

  const oneRequest = async (i: number) => {
    const picked = Array.from(
      { length: perRequest },
      (_, k) => trucks[(i * perRequest + k) % trucks.length]!,
    );
    const fixes = picked.map((t) => {
      const s = nextSecond.get(t.number) ?? 0;
      nextSecond.set(t.number, s + 1);
      return { truck: t, at: new Date(base + s * 1000) };
    });
    const body = JSON.stringify(fixes.map((f) => liveLocation(f.truck, f.at, f.truck.lat, f.truck.lng, 0)));
    ledger.requests++;
    ledger.fixesSent += fixes.length;
    let status = 0;
    let answer: { rejected?: { index: number }[] } = {};
    try {
      const res = await fetch(`${o.baseUrl}${WEBHOOK_PATH}`, {
        method: 'POST',
        body,
        headers: signedHeaders(o.secret, body),
        signal: AbortSignal.timeout(20_000),
      });
      status = res.status;
      answer = (await res.json().catch(() => ({}))) as typeof answer;
    } catch {
      status = 0;
    }
    if (status === 202) {
      ledger.acknowledged++;
      const rejected = new Set((answer.rejected ?? []).map((r) => r.index));
      fixes.forEach((f, index) => {
        if (!rejected.has(index)) ledger.acknowledgedFixes.add(fixKey(f.truck.number, f.at));
      });
    } else {
      ledger.refused.set(status, (ledger.refused.get(status) ?? 0) + 1);
    }
    answered++;
    for (const w of waiters.splice(0)) {
      if (answered >= w.at) w.resolve();
      else waiters.push(w);
    }
  };

  let counter = 0;
  const workers = Array.from({ length: o.concurrency ?? 4 }, async () => {
    while (!stopping) await oneRequest(counter++);
  });

  return {
    ledger,
    answered: (n) => new Promise<void>((resolve) => waiters.push({ at: answered + n, resolve })),
    stop: async () => {
      stopping = true;
      await Promise.all(workers);
    },
  };
}

/** `truck number|fix time ms` of every stored fix of trucks whose number starts with `prefix-`. */
export async function storedFixes(sql: Sql, prefix = 'FLT'): Promise<Set<string>> {
  const rows = await sql<{ truck_number: string; fix_time: Date }[]>`
    select t.truck_number, p.fix_time from vehicle_positions p join trucks t on t.id = p.truck_id
    where t.truck_number like ${`${prefix}-%`}`;
  return new Set(rows.map((r) => fixKey(r.truck_number, r.fix_time)));
}
