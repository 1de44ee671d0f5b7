import type { Fields } from '../bus/types.ts';
import type { NormalizedAlert, NormalizedFix } from './loconav.ts';

// What the webhook puts on a position shard and the consumers read back: one stream entry per request and
// shard, fixes as compact tuples (a 50-fix request costs one XADD per shard, not fifty).

type FixTuple = [
  imei: string | null,
  vehicleNumber: string | null,
  lat: number,
  lng: number,
  speedKmh: number | null,
  headingDeg: number | null,
  ignition: 0 | 1 | null,
  fixTimeMs: number,
  flags: number,
];

const HARSH_BRAKING = 1;
const HARSH_ACCELERATION = 2;
const SHARP_TURN = 4;

export interface ShardBatch {
  fixes: NormalizedFix[];
  alerts: NormalizedAlert[];
  /** Request id of the webhook call: the correlation id of everything that follows from it. */
  requestId: string;
  receivedAtMs: number;
}

export function encodeBatch(batch: ShardBatch): Fields {
  const fixes: FixTuple[] = batch.fixes.map((f) => [
    f.imei ?? null,
    f.vehicleNumber ?? null,
    f.lat,
    f.lng,
    f.speedKmh,
    f.headingDeg,
    f.ignition === null ? null : f.ignition ? 1 : 0,
    f.fixTime.getTime(),
    (f.harshBraking ? HARSH_BRAKING : 0) |
      (f.harshAcceleration ? HARSH_ACCELERATION : 0) |
      (f.sharpTurn ? SHARP_TURN : 0),
  ]);
  const fields: Fields = { rid: batch.requestId, at: String(batch.receivedAtMs) };
  if (fixes.length) fields.fixes = JSON.stringify(fixes);
  if (batch.alerts.length) fields.alerts = JSON.stringify(batch.alerts);
  return fields;
}

/** Throws on a malformed entry, which the consumer runner dead-letters after its retries. */
export function decodeBatch(fields: Fields): ShardBatch {
  const fixes = fields.fixes ? (JSON.parse(fields.fixes) as FixTuple[]) : [];
  const alerts = fields.alerts
    ? (JSON.parse(fields.alerts) as (NormalizedAlert & Record<string, unknown>)[])
    : [];
  if (!Array.isArray(fixes) || !Array.isArray(alerts))
    throw new Error('malformed shard entry: fixes/alerts not arrays');
  return {
    requestId: fields.rid ?? '',
    receivedAtMs: Number(fields.at ?? 0),
    fixes: fixes.map((t) => {
      if (!Array.isArray(t) || t.length !== 9 || typeof t[2] !== 'number' || typeof t[7] !== 'number') {
        throw new Error('malformed shard entry: bad fix tuple');
      }
      return {
        imei: t[0] ?? undefined,
        vehicleNumber: t[1] ?? undefined,
        lat: t[2],
        lng: t[3],
        speedKmh: t[4],
        headingDeg: t[5],
        ignition: t[6] === null ? null : t[6] === 1,
        fixTime: new Date(t[7]),
        harshBraking: (t[8] & HARSH_BRAKING) !== 0,
        harshAcceleration: (t[8] & HARSH_ACCELERATION) !== 0,
        sharpTurn: (t[8] & SHARP_TURN) !== 0,
      };
    }),
    alerts: alerts.map((a) => ({
      ...a,
      eventTime: new Date(a.eventTime),
      endTime: a.endTime ? new Date(a.endTime) : null,
    })),
  };
}
