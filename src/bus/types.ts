// The one small streams contract every producer and consumer uses. Two implementations keep it: Redis Streams
// (production) and an in-process bus (embedded default); one contract test suite runs against both.

export type Fields = Record<string, string>;

export interface StreamEntry {
  id: string;
  fields: Fields;
  /** How many times this entry has been handed to a consumer, this delivery included. */
  deliveries: number;
}

export interface ReadOptions {
  count: number;
  /** How long to wait for new entries when none are ready; 0 returns at once. */
  blockMs: number;
}

export interface ReclaimOptions {
  /** Entries pending at least this long with another (or this) consumer are taken over. */
  minIdleMs: number;
  count: number;
}

export interface Claim {
  key: string;
  ttlMs: number;
}

export interface GroupInfo {
  /** Entries delivered but not acknowledged. */
  pending: number;
  /** Entries not yet delivered to the group (null when the server cannot tell). */
  lag: number | null;
}

export interface Bus {
  readonly kind: 'redis' | 'memory';
  append(stream: string, fields: Fields): Promise<string>;
  /** Appends several entries in order; either all are stored or the call fails. */
  appendMany(stream: string, entries: Fields[]): Promise<string[]>;
  /**
   * Claims `claim.key` for `claim.ttlMs` and appends the entries, each to its stream, as one step: resolves to
   * their ids, or to null (and appends nothing) when the key was already claimed and has not expired. Without
   * a claim it only appends. On Redis, claims share the key space of the Kv made for this bus (the spool's
   * replay guard relies on it). When the key was claimed but some entries could not be appended, throws
   * PartialAppendError saying which were.
   */
  appendOnce(
    claim: Claim | undefined,
    entries: { stream: string; fields: Fields }[],
  ): Promise<string[] | null>;
  /** Creates the group (reading from the start of the stream) if it does not exist; creates the stream too. */
  ensureGroup(stream: string, group: string): Promise<void>;
  /** New entries for this consumer (never delivered to the group before). */
  read(stream: string, group: string, consumer: string, opts: ReadOptions): Promise<StreamEntry[]>;
  ack(stream: string, group: string, ids: string[]): Promise<number>;
  /** Takes over entries left pending by consumers that died or stalled; their delivery count goes up by one. */
  reclaim(stream: string, group: string, consumer: string, opts: ReclaimOptions): Promise<StreamEntry[]>;
  /** Moves an entry to `<stream>:dead` with the error that sank it, and acknowledges it. */
  deadLetter(stream: string, group: string, entry: StreamEntry, error: string): Promise<void>;
  /** Keeps about the newest `maxLen` entries. */
  trim(stream: string, maxLen: number): Promise<number>;
  length(stream: string): Promise<number>;
  groupInfo(stream: string, group: string): Promise<GroupInfo>;
  /**
   * Fan-out read, outside any group: entries after `afterId` (`$` = only ones appended from now on), waiting
   * up to `blockMs` for the first. Every reader sees every entry (WebSocket pushes on each replica).
   */
  tail(stream: string, afterId: string, opts: ReadOptions): Promise<{ id: string; fields: Fields }[]>;
  /** The id of the newest entry, or `0-0` for an empty stream. */
  lastId(stream: string): Promise<string>;
  /** Entries in id order between two ids (inclusive), for inspection and dead-letter review. */
  range(
    stream: string,
    start?: string,
    end?: string,
    count?: number,
  ): Promise<{ id: string; fields: Fields }[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const deadLetterStream = (stream: string) => `${stream}:dead`;

/** appendOnce claimed its key, but not every entry was appended: `ids[i]` is entry i's id, if it was. */
export class PartialAppendError extends Error {
  constructor(
    readonly ids: (string | undefined)[],
    reason: string,
  ) {
    super(`appended ${ids.filter(Boolean).length} of ${ids.length} entries: ${reason}`);
  }
}
