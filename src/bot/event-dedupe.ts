import type { Kv } from '../bus/kv.ts';

// Slack redelivers an event it thinks went unanswered (retry_attempt 1, 2, 3) with the same event_id, and with
// several Socket Mode connections — several replicas — any of them may get the retry. Ids are remembered in
// this process and, when a Kv is given, claimed in Redis (set-if-absent for an hour), so the retry that
// lands on another replica is recognised too.

const CLAIM_TTL_MS = 3600_000;

export class SeenEvents {
  private readonly ids = new Set<string>();

  constructor(
    private readonly capacity = 1_000,
    private readonly kv?: Kv,
  ) {}

  /** True the first time an id is seen (by any replica sharing the Kv); false for a redelivery. */
  async firstTime(id: string): Promise<boolean> {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    // A Set iterates in insertion order: the first entry is the oldest.
    if (this.ids.size > this.capacity) {
      const oldest = this.ids.values().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
    if (!this.kv) return true;
    return this.kv.setIfAbsent(`slack-event:${id}`, '1', CLAIM_TTL_MS);
  }
}
