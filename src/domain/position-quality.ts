// The gate every fix passes before it can move a truck on the map. Trackers send (0,0) on a cold start,
// replay buffered fixes after a coverage gap, repeat fixes on retries, and now and then report a position
// kilometres off; each of those would otherwise become a wrong "where is KJA-123XY?" answer or a false
// geofence alert.

import { haversineM } from './geo.ts';

export const REJECT_REASONS = ['invalid', 'null_island', 'future', 'duplicate', 'impossible_jump'] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export interface IncomingFix {
  /** Not used by the rules; callers may tag fixes with it. */
  truckKey?: string;
  lat: number;
  lng: number;
  fixTime: Date;
  speedKmh?: number | null;
  headingDeg?: number | null;
  ignition?: boolean | null;
}

/** What the filter needs of the truck's last accepted fix. */
export type AcceptedFix = Pick<IncomingFix, 'lat' | 'lng' | 'fixTime'>;

export type QualityVerdict =
  | { verdict: 'accept' }
  /** Older than the last accepted fix: keep it for history, never let it move the truck. */
  | { verdict: 'out_of_order' }
  | { verdict: 'reject'; reason: RejectReason; detail: string };

export interface QualityOptions {
  maxSpeedKmh: number;
  maxFutureMs: number;
}

export const DEFAULT_QUALITY_OPTIONS: Readonly<QualityOptions> = {
  maxSpeedKmh: 200,
  maxFutureMs: 5 * 60_000,
};

const NULL_ISLAND_DEG = 1e-6;
// Fixes a few hundred ms apart are common; without a floor a 5 m jitter would read as 18,000 km/h.
const MIN_JUMP_INTERVAL_MS = 1000;

const ACCEPT: QualityVerdict = { verdict: 'accept' };
const OUT_OF_ORDER: QualityVerdict = { verdict: 'out_of_order' };

function reject(reason: RejectReason, detail: string): QualityVerdict {
  return { verdict: 'reject', reason, detail };
}

export function assessFix(
  fix: IncomingFix,
  last: AcceptedFix | undefined,
  now: Date,
  options: Partial<QualityOptions> = {},
): QualityVerdict {
  const maxSpeedKmh = options.maxSpeedKmh ?? DEFAULT_QUALITY_OPTIONS.maxSpeedKmh;
  const maxFutureMs = options.maxFutureMs ?? DEFAULT_QUALITY_OPTIONS.maxFutureMs;
  const { lat, lng } = fix;

  if (!Number.isFinite(lat) || lat < -90 || lat > 90)
    return reject('invalid', `latitude ${lat} is not in [-90, 90]`);
  if (!Number.isFinite(lng) || lng < -180 || lng > 180) {
    return reject('invalid', `longitude ${lng} is not in [-180, 180]`);
  }
  const t = fix.fixTime instanceof Date ? fix.fixTime.getTime() : Number.NaN;
  if (Number.isNaN(t)) return reject('invalid', 'fix time is not a valid date');
  if (Math.abs(lat) < NULL_ISLAND_DEG && Math.abs(lng) < NULL_ISLAND_DEG) {
    return reject('null_island', 'position is (0, 0), what trackers send before they have a fix');
  }
  const aheadMs = t - now.getTime();
  if (aheadMs > maxFutureMs) {
    return reject(
      'future',
      `fix time ${fix.fixTime.toISOString()} is ${Math.round(aheadMs / 1000)} s ahead of now`,
    );
  }
  if (!last) return ACCEPT;

  const lastT = last.fixTime.getTime();
  if (t === lastT) {
    // Positions are stored keyed by truck + fix time, so a second fix at the same instant cannot be kept
    // even when its position differs.
    const moved = lat !== last.lat || lng !== last.lng;
    return reject(
      'duplicate',
      moved
        ? `same fix time as the last fix (${fix.fixTime.toISOString()}) but a different position`
        : `same fix time and position as the last fix (${fix.fixTime.toISOString()})`,
    );
  }
  if (t < lastT) return OUT_OF_ORDER;

  const distanceM = haversineM(last.lat, last.lng, lat, lng);
  const seconds = Math.max(t - lastT, MIN_JUMP_INTERVAL_MS) / 1000;
  const impliedKmh = (distanceM / seconds) * 3.6;
  if (impliedKmh > maxSpeedKmh) {
    return reject(
      'impossible_jump',
      `implied ${Math.round(impliedKmh)} km/h (${Math.round(distanceM)} m in ${(t - lastT) / 1000} s) ` +
        `from the last fix exceeds ${maxSpeedKmh} km/h`,
    );
  }
  return ACCEPT;
}
