import type { Bus, Fields } from '../bus/types.ts';
import type { Logger } from '../log.ts';

// Fan-out of live changes to WebSocket clients on this replica. One tail per stream per process reads every
// entry (no consumer group: every replica needs all of them) and hands each to the sockets subscribed to
// its topic. A client that cannot keep up is dropped, never buffered without bound.

export const LOCATIONS_STREAM = 'locations';

export interface LiveSocket {
  readonly bufferedAmount: number;
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface LocationUpdate {
  truckId: string;
  truckNumber: string;
  lat: number;
  lng: number;
  fixTime: string;
  speedKmh: number | null;
  headingDeg: number | null;
  ignition: boolean | null;
}

const OPEN = 1;
/** More than this queued for one client and it is dropped. */
export const MAX_BUFFERED_BYTES = 256 * 1024;

type Tuple = [string, string, number, number, number, number | null, number | null, 0 | 1 | null];

export function encodeLocations(updates: LocationUpdate[]): Fields {
  const tuples: Tuple[] = updates.map((u) => [
    u.truckId,
    u.truckNumber,
    u.lat,
    u.lng,
    Date.parse(u.fixTime),
    u.speedKmh,
    u.headingDeg,
    u.ignition === null ? null : u.ignition ? 1 : 0,
  ]);
  return { trucks: JSON.stringify(tuples) };
}

export function decodeLocations(fields: Fields): LocationUpdate[] {
  return (JSON.parse(fields.trucks ?? '[]') as Tuple[]).map((t) => ({
    truckId: t[0],
    truckNumber: t[1],
    lat: t[2],
    lng: t[3],
    fixTime: new Date(t[4]).toISOString(),
    speedKmh: t[5],
    headingDeg: t[6],
    ignition: t[7] === null ? null : t[7] === 1,
  }));
}

export class LiveHub {
  private readonly topics = new Map<string, Set<LiveSocket>>();
  private stopping = false;
  private loops: Promise<void>[] = [];
  private readonly locationListeners: ((updates: LocationUpdate[]) => void)[] = [];

  constructor(
    private readonly bus: Bus,
    private readonly logger: Logger,
    private readonly eventsStream: string,
  ) {}

  subscribe(topic: string, socket: LiveSocket): () => void {
    let set = this.topics.get(topic);
    if (!set) {
      set = new Set();
      this.topics.set(topic, set);
    }
    set.add(socket);
    return () => {
      set.delete(socket);
      if (set.size === 0) this.topics.delete(topic);
    };
  }

  /** Every batch of location updates, whether or not a socket listens (the in-memory fleet view). */
  onLocations(listener: (updates: LocationUpdate[]) => void): void {
    this.locationListeners.push(listener);
  }

  get subscribers(): number {
    let n = 0;
    for (const s of this.topics.values()) n += s.size;
    return n;
  }

  publish(topic: string, message: unknown): void {
    const sockets = this.topics.get(topic);
    if (!sockets) return;
    const data = JSON.stringify(message);
    for (const socket of sockets) {
      if (socket.readyState !== OPEN) continue;
      if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
        sockets.delete(socket);
        socket.close(1013, 'too slow: reconnect and catch up');
        continue;
      }
      socket.send(data);
    }
  }

  /** Resolves once both streams are followed from their current end: anything appended later is seen. */
  async start(): Promise<void> {
    const [locationsAfter, eventsAfter] = await Promise.all(
      [LOCATIONS_STREAM, this.eventsStream].map((s) => this.bus.lastId(s).catch(() => '$')),
    );
    this.loops = [
      this.tailLoop(LOCATIONS_STREAM, locationsAfter!, (fields) => {
        const updates = decodeLocations(fields);
        for (const listener of this.locationListeners) listener(updates);
        if (this.topics.size === 0) return;
        for (const u of updates) {
          const message = { type: 'location', ...u };
          this.publish(`truck:${u.truckId}`, message);
          this.publish('fleet', message);
        }
      }),
      this.tailLoop(this.eventsStream, eventsAfter!, (fields) => {
        if (fields.entity_type !== 'trip') return;
        this.publish(`trip:${fields.entity_id}`, {
          type: fields.type,
          tripId: fields.entity_id,
          eventId: fields.event_id,
          at: fields.occurred_at,
          ...(JSON.parse(fields.payload ?? '{}') as Record<string, unknown>),
        });
      }),
    ];
  }

  private async tailLoop(stream: string, from: string, handle: (fields: Fields) => void): Promise<void> {
    let after = from;
    while (!this.stopping) {
      try {
        // Nobody listening: keep our place without reading payloads.
        const entries = await this.bus.tail(stream, after, { count: 500, blockMs: 500 });
        for (const e of entries) {
          after = e.id;
          if (this.topics.size > 0 || (stream === LOCATIONS_STREAM && this.locationListeners.length > 0)) {
            handle(e.fields);
          }
        }
      } catch (err) {
        if (this.stopping) break;
        this.logger.warn({ err: (err as Error).message, stream }, 'live tail failed; retrying');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const set of this.topics.values()) for (const s of set) s.close(1001, 'server shutting down');
    this.topics.clear();
    await Promise.all(this.loops);
  }
}
