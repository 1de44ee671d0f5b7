import { MemoryKv } from './kv.ts';
import type { Bus, Claim, Fields, GroupInfo, ReadOptions, ReclaimOptions, StreamEntry } from './types.ts';
import { deadLetterStream } from './types.ts';

// The embedded default: Redis Streams' semantics (ids, groups, pending entries, delivery counts) kept in
// this process. Nothing survives a restart, which the embedded mode accepts and says at start-up.

interface Pending {
  consumer: string;
  deliveredAt: number;
  deliveries: number;
}

interface Group {
  lastDelivered: string;
  pending: Map<string, Pending>;
}

interface Stream {
  entries: { id: string; fields: Fields }[];
  byId: Map<string, Fields>;
  lastMs: number;
  lastSeq: number;
  groups: Map<string, Group>;
  waiters: Set<() => void>;
}

const compareIds = (a: string, b: string): number => {
  const [am, as] = a.split('-').map(Number) as [number, number];
  const [bm, bs] = b.split('-').map(Number) as [number, number];
  return am - bm || as - bs;
};

export class MemoryBus implements Bus {
  readonly kind = 'memory' as const;
  private readonly streams = new Map<string, Stream>();
  /** appendOnce's claimed keys. */
  private readonly claims: MemoryKv;
  private closed = false;

  constructor(private readonly now: () => number = Date.now) {
    this.claims = new MemoryKv(now);
  }

  private stream(name: string): Stream {
    let s = this.streams.get(name);
    if (!s) {
      s = { entries: [], byId: new Map(), lastMs: 0, lastSeq: 0, groups: new Map(), waiters: new Set() };
      this.streams.set(name, s);
    }
    return s;
  }

  private group(stream: string, group: string): Group {
    const g = this.stream(stream).groups.get(group);
    if (!g) throw new Error(`NOGROUP no such consumer group '${group}' for stream '${stream}'`);
    return g;
  }

  private assertOpen() {
    if (this.closed) throw new Error('bus is closed');
  }

  async append(stream: string, fields: Fields): Promise<string> {
    return (await this.appendMany(stream, [fields]))[0]!;
  }

  async appendOnce(claim: Claim | undefined, entries: { stream: string; fields: Fields }[]) {
    this.assertOpen();
    if (claim && !(await this.claims.setIfAbsent(claim.key, '1', claim.ttlMs))) return null;
    const ids: string[] = [];
    for (const e of entries) ids.push(...(await this.appendMany(e.stream, [e.fields])));
    return ids;
  }

  async appendMany(stream: string, entries: Fields[]): Promise<string[]> {
    this.assertOpen();
    const s = this.stream(stream);
    const ids = entries.map((fields) => {
      const ms = Math.max(this.now(), s.lastMs);
      s.lastSeq = ms === s.lastMs ? s.lastSeq + 1 : 0;
      s.lastMs = ms;
      const id = `${ms}-${s.lastSeq}`;
      const copy = { ...fields };
      s.entries.push({ id, fields: copy });
      s.byId.set(id, copy);
      return id;
    });
    for (const wake of s.waiters) wake();
    s.waiters.clear();
    return ids;
  }

  async ensureGroup(stream: string, group: string): Promise<void> {
    this.assertOpen();
    const s = this.stream(stream);
    if (!s.groups.has(group)) s.groups.set(group, { lastDelivered: '0-0', pending: new Map() });
  }

  /** Index of the first entry with an id greater than `id`. */
  private firstAfter(s: Stream, id: string): number {
    let lo = 0;
    let hi = s.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareIds(s.entries[mid]!.id, id) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private take(stream: string, group: string, consumer: string, count: number): StreamEntry[] {
    const s = this.stream(stream);
    const g = this.group(stream, group);
    const start = this.firstAfter(s, g.lastDelivered);
    const batch = s.entries.slice(start, start + count);
    const now = this.now();
    for (const e of batch) g.pending.set(e.id, { consumer, deliveredAt: now, deliveries: 1 });
    if (batch.length > 0) g.lastDelivered = batch[batch.length - 1]!.id;
    return batch.map((e) => ({ id: e.id, fields: { ...e.fields }, deliveries: 1 }));
  }

  async read(stream: string, group: string, consumer: string, opts: ReadOptions): Promise<StreamEntry[]> {
    this.assertOpen();
    const first = this.take(stream, group, consumer, opts.count);
    if (first.length > 0 || opts.blockMs <= 0) return first;
    const s = this.stream(stream);
    await this.waitForAppend(s, opts.blockMs);
    if (this.closed) return [];
    return this.take(stream, group, consumer, opts.count);
  }

  /** Resolves on the next append to the stream, or after `ms`. */
  private waitForAppend(s: Stream, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        s.waiters.delete(done);
        resolve();
      }
      s.waiters.add(done);
    });
  }

  async tail(stream: string, afterId: string, opts: ReadOptions): Promise<{ id: string; fields: Fields }[]> {
    this.assertOpen();
    const s = this.stream(stream);
    const after = afterId === '$' ? (s.entries[s.entries.length - 1]?.id ?? '0-0') : afterId;
    const take = () =>
      s.entries.slice(this.firstAfter(s, after), this.firstAfter(s, after) + opts.count).map((e) => ({
        id: e.id,
        fields: { ...e.fields },
      }));
    const first = take();
    if (first.length > 0 || opts.blockMs <= 0) return first;
    await this.waitForAppend(s, opts.blockMs);
    return this.closed ? [] : take();
  }

  async lastId(stream: string): Promise<string> {
    const s = this.streams.get(stream);
    return s?.entries[s.entries.length - 1]?.id ?? '0-0';
  }

  async ack(stream: string, group: string, ids: string[]): Promise<number> {
    this.assertOpen();
    const g = this.group(stream, group);
    let n = 0;
    for (const id of ids) if (g.pending.delete(id)) n++;
    return n;
  }

  async reclaim(
    stream: string,
    group: string,
    consumer: string,
    opts: ReclaimOptions,
  ): Promise<StreamEntry[]> {
    this.assertOpen();
    const s = this.stream(stream);
    const g = this.group(stream, group);
    const now = this.now();
    const out: StreamEntry[] = [];
    const ids = [...g.pending.keys()].sort(compareIds);
    for (const id of ids) {
      if (out.length >= opts.count) break;
      const p = g.pending.get(id)!;
      if (now - p.deliveredAt < opts.minIdleMs) continue;
      const fields = s.byId.get(id);
      if (!fields) {
        // Trimmed while pending: nothing left to deliver (Redis 7 drops these the same way).
        g.pending.delete(id);
        continue;
      }
      p.consumer = consumer;
      p.deliveredAt = now;
      p.deliveries += 1;
      out.push({ id, fields: { ...fields }, deliveries: p.deliveries });
    }
    return out;
  }

  async deadLetter(stream: string, group: string, entry: StreamEntry, error: string): Promise<void> {
    await this.append(deadLetterStream(stream), {
      ...entry.fields,
      dead_source_id: entry.id,
      dead_group: group,
      dead_deliveries: String(entry.deliveries),
      dead_error: error,
    });
    await this.ack(stream, group, [entry.id]);
  }

  async trim(stream: string, maxLen: number): Promise<number> {
    this.assertOpen();
    const s = this.stream(stream);
    const excess = s.entries.length - maxLen;
    if (excess <= 0) return 0;
    for (const e of s.entries.splice(0, excess)) s.byId.delete(e.id);
    return excess;
  }

  async length(stream: string): Promise<number> {
    return this.streams.get(stream)?.entries.length ?? 0;
  }

  async groupInfo(stream: string, group: string): Promise<GroupInfo> {
    const s = this.streams.get(stream);
    const g = s?.groups.get(group);
    if (!s || !g) return { pending: 0, lag: null };
    return { pending: g.pending.size, lag: s.entries.length - this.firstAfter(s, g.lastDelivered) };
  }

  async range(
    stream: string,
    start = '-',
    end = '+',
    count = 100,
  ): Promise<{ id: string; fields: Fields }[]> {
    const s = this.streams.get(stream);
    if (!s) return [];
    return s.entries
      .filter(
        (e) => (start === '-' || compareIds(e.id, start) >= 0) && (end === '+' || compareIds(e.id, end) <= 0),
      )
      .slice(0, count)
      .map((e) => ({ id: e.id, fields: { ...e.fields } }));
  }

  async ping(): Promise<void> {
    this.assertOpen();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const s of this.streams.values()) {
      for (const wake of s.waiters) wake();
      s.waiters.clear();
    }
  }
}
