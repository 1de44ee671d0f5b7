import { LAGOS } from '../../src/domain/time.ts';
import { signBody } from '../../src/ingest/auth.ts';
import { formatGpstime } from '../../src/ingest/loconav.ts';
import { loadBusTrace } from './trace.ts';

/** LocoNav's `DD-MM-YYYY HH:MM:SS`, in Lagos time. */
export const gpstime = (at: Date) => formatGpstime(at, LAGOS);

export interface LiveLocation {
  imei: string;
  vehiclenumber: string;
  latitude: number;
  longitude: number;
  speed: number;
  orientation: number;
  ignition: string;
  gpstime: string;
  harshBraking: boolean;
  harshAcceleration: boolean;
  sharpTurn: boolean;
}

export function liveLocation(
  vehicle: { imei: string; number: string },
  at: Date,
  lat: number,
  lng: number,
  speed = 30,
): LiveLocation {
  return {
    imei: vehicle.imei,
    vehiclenumber: vehicle.number,
    latitude: lat,
    longitude: lng,
    speed,
    orientation: 90,
    ignition: '1',
    gpstime: gpstime(at),
    harshBraking: false,
    harshAcceleration: false,
    sharpTurn: false,
  };
}

/**
 * The real bus-304 trace as one vehicle's LocoNav live locations, shifted in time so its last fix is
 * `endAt` (fixes from 2019 would be accepted, but shifting keeps them in today's partitions).
 */
export function busTraceAsLocoNav(vehicle: { imei: string; number: string }, endAt: Date) {
  const trace = loadBusTrace();
  // Whole seconds: gpstime has no fraction.
  const shift = Math.floor(endAt.getTime() / 1000) * 1000 - trace[trace.length - 1]!.time.getTime();
  return trace.map((p) => ({
    item: liveLocation(vehicle, new Date(p.time.getTime() + shift), p.lat, p.lng, p.impliedSpeedKmh ?? 0),
    time: new Date(p.time.getTime() + shift),
    lat: p.lat,
    lng: p.lng,
  }));
}

/** Headers of a correctly signed webhook request. */
export function signedHeaders(secret: string, body: string, timestampS = Math.floor(Date.now() / 1000)) {
  return {
    'content-type': 'application/json',
    'x-watchtower-timestamp': String(timestampS),
    'x-watchtower-signature': signBody(secret, timestampS, body),
  };
}

export const WEBHOOK_SECRET = 'test-webhook-secret-0123456789';
