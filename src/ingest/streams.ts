// Stream names and sharding. Positions are sharded by truck so that each truck's fixes are evaluated in
// order by exactly one consumer at a time, however many replicas run (Traccar keeps one queue per device
// for the same reason).

export const DEFAULT_SHARDS = 8;
export const EVENTS_STREAM = 'events';

export const positionStream = (shard: number) => `positions.${shard}`;

/** FNV-1a over the truck key: stable across processes and versions, unlike a language's own hash. */
export function shardOf(truckKey: string, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < truckKey.length; i++) {
    h ^= truckKey.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % shards;
}

/** LocoNav sends both on live locations; the vehicle number is what alerts carry too, so it keys a truck. */
export const truckKeyOf = (ids: { vehicleNumber?: string | null; imei?: string | null }) =>
  ids.vehicleNumber ? `vn:${ids.vehicleNumber}` : `imei:${ids.imei ?? ''}`;
