// Slack redelivers an event it thinks went unanswered (retry_attempt 1, 2, 3) with the same event_id, and with
// several Socket Mode connections any of them may get the retry. This remembers recent ids in this process.
// TODO(later): with several replicas the retry can land on another process; share the ids in Redis
// (SET event_id NX EX 3600) to dedupe across them.

export class SeenEvents {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity = 1_000) {}

  /** True the first time an id is seen; false for a redelivery. */
  firstTime(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    // A Set iterates in insertion order: the first entry is the oldest.
    if (this.ids.size > this.capacity) {
      const oldest = this.ids.values().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
    return true;
  }
}
