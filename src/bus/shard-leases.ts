import type { Logger } from '../log.ts';
import type { Kv } from './kv.ts';

export interface ShardLeaseOptions {
  kv: Kv;
  /** Unique per process. */
  replicaId: string;
  shards: number;
  /** Lease names are `<name>:<shard>`. */
  name: string;
  logger: Logger;
  ttlMs?: number;
  onAcquire(shard: number): Promise<void>;
  /** Must stop all work on the shard before resolving. */
  onRelease(shard: number): Promise<void>;
}

/**
 * Gives each shard exactly one owner among the replicas alive, and spreads shards evenly: every replica
 * heartbeats, counts the others, and holds at most its fair share, releasing extras (after draining them)
 * when a replica joins and taking over a dead replica's shards when its leases lapse.
 */
export class ShardLeases {
  readonly owned = new Set<number>();
  private stopping = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private readonly ttlMs: number;

  constructor(private readonly o: ShardLeaseOptions) {
    this.ttlMs = o.ttlMs ?? 15_000;
  }

  private lease(shard: number) {
    return `lease:${this.o.name}:${shard}`;
  }

  async start(): Promise<void> {
    await this.tick();
    this.loop = (async () => {
      while (!this.stopping) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.ttlMs / 3);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        if (this.stopping) break;
        await this.tick().catch((err) =>
          this.o.logger.warn(
            { err: (err as Error).message, leases: this.o.name },
            'shard lease check failed',
          ),
        );
      }
    })();
  }

  async tick(): Promise<void> {
    const { kv, replicaId, shards } = this.o;
    await kv.set(`replica:${this.o.name}:${replicaId}`, '1', this.ttlMs);
    const replicas = Math.max(1, (await kv.keysWithPrefix(`replica:${this.o.name}:`)).length);
    const fair = Math.ceil(shards / replicas);

    for (const shard of [...this.owned]) {
      if (!(await kv.renewIfOwner(this.lease(shard), replicaId, this.ttlMs))) {
        this.o.logger.warn({ shard, leases: this.o.name }, 'shard lease lost; stopping its work');
        this.owned.delete(shard);
        await this.o.onRelease(shard);
      }
    }
    while (this.owned.size > fair) {
      const shard = Math.max(...this.owned);
      await this.release(shard);
    }
    // Start looking at a replica-specific offset so replicas starting together don't all race for shard 0.
    let offset = 0;
    for (const ch of replicaId) offset = (offset * 31 + ch.charCodeAt(0)) >>> 0;
    for (let i = 0; i < shards && this.owned.size < fair; i++) {
      const shard = (offset + i) % shards;
      if (this.owned.has(shard)) continue;
      if (await kv.setIfAbsent(this.lease(shard), replicaId, this.ttlMs)) {
        this.owned.add(shard);
        this.o.logger.info({ shard, leases: this.o.name }, 'shard acquired');
        await this.o.onAcquire(shard);
      }
    }
  }

  private async release(shard: number) {
    this.owned.delete(shard);
    await this.o.onRelease(shard);
    await this.o.kv.releaseIfOwner(this.lease(shard), this.o.replicaId);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    // All at once: each consumer finishes its batch in hand, and a blocked read returns within its block time.
    await Promise.all([...this.owned].map((shard) => this.release(shard)));
    await this.o.kv.del([`replica:${this.o.name}:${this.o.replicaId}`]);
  }
}
