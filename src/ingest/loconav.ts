// LocoNav webhook payloads → our normalized fixes and alerts. Pure, so the receiver can reject a bad item
// with a reason the sender's engineers can act on, and the same code runs in tests on recorded bodies.
//
// LocoNav's documentation is loose about types (numbers as strings, "1"/"0" booleans, three time formats),
// so every field goes through a coercer that accepts the forms seen in the wild and says precisely what it
// expected when it gives up. The live-location path runs ~20,000 items/s, which is why the coercers are
// plain functions and the zod object around them does nothing heavier than walk the keys.

import { z } from 'zod';
import {
  isValidLocalDateTime,
  isValidTimeZone,
  type LocalDateTime,
  localToUtcCached,
} from '../domain/time.ts';

export interface NormalizedFix {
  imei?: string;
  vehicleNumber?: string;
  lat: number;
  lng: number;
  speedKmh: number | null;
  headingDeg: number | null;
  ignition: boolean | null;
  fixTime: Date;
  harshBraking: boolean;
  harshAcceleration: boolean;
  sharpTurn: boolean;
}

export const ALERT_KINDS = [
  'GeofenceAlert',
  'OverspeedAlert',
  'IgnitionAlert',
  'IdlingAlert',
  'DeviceOfflineAlert',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export interface NormalizedAlert {
  kind: AlertKind;
  vehicleNumber: string;
  /** LocoNav's own alert id, when sent: the natural idempotency key. */
  sourceId: string | null;
  /** e.g. `geofence_enter` / `geofence_exit`; DeviceOfflineAlert has none. */
  eventKey: string | null;
  polygonId: string | null;
  eventTime: Date;
  lat: number | null;
  lng: number | null;
  /** When the condition ended (inactive_event_time), if it has. */
  endTime: Date | null;
}

export type LocoNavItem =
  | { kind: 'position'; fix: NormalizedFix }
  | { kind: 'alert'; alert: NormalizedAlert };
export type LocoNavParse = { ok: true; value: LocoNavItem } | { ok: false; reason: string };

// ---- field coercers ---------------------------------------------------------------------------------

/** A coercer's refusal: what the field should have been. */
class Expected {
  constructor(readonly what: string) {}
}

type Coercer<T> = (v: unknown) => T | Expected;

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

function field<T>(coerce: Coercer<T>) {
  // `.optional()` so a missing key still reaches the coercer, which decides whether absence is allowed;
  // without it zod 4 reports a bare "expected nonoptional" instead of our message.
  return z
    .unknown()
    .optional()
    .transform((v, ctx): T => {
      const out = coerce(v);
      if (out instanceof Expected) {
        ctx.addIssue({ code: 'custom', message: `expected ${out.what}, got ${describe(v)}` });
        return z.NEVER;
      }
      return out;
    });
}

const absent = (v: unknown) => v === undefined || v === null || v === '';
const NUMERIC_RE = /^\s*-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && NUMERIC_RE.test(v)) return Number(v);
  return Number.NaN;
}

function number(min: number, max: number, what: string): Coercer<number> {
  const expected = new Expected(what);
  return (v) => {
    const n = toNumber(v);
    return Number.isFinite(n) && n >= min && n <= max ? n : expected;
  };
}

function optional<T>(coerce: Coercer<T>): Coercer<T | null> {
  return (v) => (absent(v) ? null : coerce(v));
}

const latitude = number(-90, 90, 'a latitude from -90 to 90');
const longitude = number(-180, 180, 'a longitude from -180 to 180');
const speed = optional(number(0, 1000, 'a speed in km/h from 0 to 1000'));
const heading = optional(number(0, 360, 'an orientation in degrees from 0 to 360'));

const TRUE_WORDS = new Set(['1', 'true']);
const FALSE_WORDS = new Set(['0', 'false']);
const boolish: Coercer<boolean | null> = (v) => {
  if (absent(v)) return null;
  if (v === true || v === 1) return true;
  if (v === false || v === 0) return false;
  if (typeof v === 'string') {
    const w = v.trim().toLowerCase();
    if (TRUE_WORDS.has(w)) return true;
    if (FALSE_WORDS.has(w)) return false;
  }
  return new Expected('"1"/"0", 1/0 or true/false');
};
const flag: Coercer<boolean> = (v) => {
  const b = boolish(v);
  return b === null ? false : b;
};

const imei: Coercer<string | null> = (v) => {
  if (absent(v)) return null;
  if (typeof v === 'string' && v.trim() !== '') return v.trim();
  // A JSON number has already lost any leading zero (LocoNav's own sample IMEI starts with 0), and nothing
  // can restore it here; keep what arrived so the device is at least findable by its digits.
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return String(v);
  return new Expected('an IMEI as a string of digits');
};

/** Plates as the fleet writes them: ` kja-123 xy` becomes `KJA-123XY`. */
export function normalizeVehicleNumber(raw: string): string {
  return raw.replace(/\s+/g, '').toUpperCase();
}

const vehicleNumber: Coercer<string | null> = (v) => {
  if (absent(v)) return null;
  if (typeof v === 'string' || (typeof v === 'number' && Number.isSafeInteger(v))) {
    const plate = normalizeVehicleNumber(String(v));
    return plate === '' ? null : plate;
  }
  return new Expected('a vehicle number as a string');
};

const idString: Coercer<string | null> = (v) => {
  if (absent(v)) return null;
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  return new Expected('an integer or a string');
};

// ---- time -------------------------------------------------------------------------------------------

const LOCONAV_TIME_RE = /^\s*(\d{2})-(\d{2})-(\d{4})[ T](\d{2}):(\d{2}):(\d{2})\s*$/;
const ISO_RE =
  /^\s*(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?\s*(Z|[+-]\d{2}:?\d{2})?\s*$/i;
const DIGITS_RE = /^\s*\d+\s*$/;

/** Epoch seconds, or milliseconds when the integer part has 13 digits (as JavaScript senders write it). */
function fromEpoch(n: number): Date | undefined {
  if (!Number.isFinite(n) || n < 0) return undefined;
  const digits = Math.floor(n).toString().length;
  if (digits === 13) return new Date(Math.round(n));
  if (digits <= 10) return new Date(Math.round(n * 1000));
  return undefined;
}

function fromLocal(local: LocalDateTime, ms: number, timeZone: string): Date | undefined {
  if (!isValidLocalDateTime(local)) return undefined;
  return new Date(localToUtcCached(local, timeZone).getTime() + ms);
}

function parseLoconavLocal(s: string, timeZone: string): Date | undefined {
  const m = LOCONAV_TIME_RE.exec(s);
  if (!m) return undefined;
  const local = {
    day: Number(m[1]),
    month: Number(m[2]),
    year: Number(m[3]),
    hour: Number(m[4]),
    minute: Number(m[5]),
    second: Number(m[6]),
  };
  return fromLocal(local, 0, timeZone);
}

function parseIso(s: string, timeZone: string): Date | undefined {
  const m = ISO_RE.exec(s);
  if (!m) return undefined;
  const local = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4]),
    minute: Number(m[5]),
    second: Number(m[6]),
  };
  const ms = m[7] ? Math.floor(Number(m[7]) * 1000) : 0;
  const zone = m[8];
  if (!zone) return fromLocal(local, ms, timeZone);
  if (!isValidLocalDateTime(local)) return undefined;
  const utc = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second) + ms;
  if (zone === 'Z' || zone === 'z') return new Date(utc);
  const sign = zone[0] === '-' ? -1 : 1;
  const hh = Number(zone.slice(1, 3));
  const mm = Number(zone.slice(-2));
  if (hh > 23 || mm > 59) return undefined;
  return new Date(utc - sign * (hh * 60 + mm) * 60_000);
}

function timestamp(timeZone: string, forms: 'gps' | 'any'): Coercer<Date> {
  const expected = new Expected(
    forms === 'gps'
      ? '"DD-MM-YYYY HH:MM:SS" or epoch seconds'
      : 'an ISO 8601 time, "DD-MM-YYYY HH:MM:SS" or epoch seconds',
  );
  return (v) => {
    let d: Date | undefined;
    if (typeof v === 'number') d = fromEpoch(v);
    else if (typeof v === 'string') {
      if (DIGITS_RE.test(v)) d = fromEpoch(Number(v));
      else d = parseLoconavLocal(v, timeZone) ?? (forms === 'any' ? parseIso(v, timeZone) : undefined);
    }
    return d && !Number.isNaN(d.getTime()) ? d : expected;
  };
}

// ---- schemas ----------------------------------------------------------------------------------------

/** LocoNav's live-location push, normalized. `timeZone` is how to read `gpstime`, which carries no zone. */
export function liveLocationSchema(timeZone: string) {
  return z
    .object({
      imei: field(imei),
      vehiclenumber: field(vehicleNumber),
      latitude: field(latitude),
      longitude: field(longitude),
      speed: field(speed),
      orientation: field(heading),
      ignition: field(boolish),
      gpstime: field(timestamp(timeZone, 'gps')),
      harshBraking: field(flag),
      harshAcceleration: field(flag),
      sharpTurn: field(flag),
    })
    .superRefine((p, ctx) => {
      if (p.imei === null && p.vehiclenumber === null) {
        ctx.addIssue({
          code: 'custom',
          path: ['imei'],
          message: 'expected imei or vehiclenumber, got neither',
        });
      }
    })
    .transform((p): NormalizedFix => {
      const fix: NormalizedFix = {
        lat: p.latitude,
        lng: p.longitude,
        speedKmh: p.speed,
        headingDeg: p.orientation,
        ignition: p.ignition,
        fixTime: p.gpstime,
        harshBraking: p.harshBraking,
        harshAcceleration: p.harshAcceleration,
        sharpTurn: p.sharpTurn,
      };
      if (p.imei !== null) fix.imei = p.imei;
      if (p.vehiclenumber !== null) fix.vehicleNumber = p.vehiclenumber;
      return fix;
    });
}

const KIND_SET: ReadonlySet<string> = new Set(ALERT_KINDS);
const alertKind: Coercer<AlertKind> = (v) =>
  typeof v === 'string' && KIND_SET.has(v)
    ? (v as AlertKind)
    : new Expected(`one of ${ALERT_KINDS.join(', ')}`);
const requiredPlate: Coercer<string> = (v) => vehicleNumber(v) ?? new Expected('a vehicle number');

/** LocoNav's alert webhooks (the kinds we act on), normalized. */
export function alertSchema(timeZone: string) {
  const anyTime = timestamp(timeZone, 'any');
  return z
    .object({
      kind: field(alertKind),
      id: field(idString),
      vehicle_number: field(requiredPlate),
      event_key: field(idString),
      polygon_id: field(idString),
      active_event_time: field(anyTime),
      active_event_latitude: field(optional(latitude)),
      active_event_longitude: field(optional(longitude)),
      inactive_event_time: field(optional(anyTime)),
    })
    .transform(
      (a): NormalizedAlert => ({
        kind: a.kind,
        vehicleNumber: a.vehicle_number,
        sourceId: a.id,
        eventKey: a.event_key,
        polygonId: a.polygon_id,
        eventTime: a.active_event_time,
        lat: a.active_event_latitude,
        lng: a.active_event_longitude,
        endTime: a.inactive_event_time,
      }),
    );
}

type Schemas = { live: ReturnType<typeof liveLocationSchema>; alert: ReturnType<typeof alertSchema> };
const schemasByZone = new Map<string, Schemas>();

function schemasFor(timeZone: string): Schemas {
  let s = schemasByZone.get(timeZone);
  if (!s) {
    // A bad zone is a configuration error, not a bad item: fail loudly instead of rejecting every fix.
    if (!isValidTimeZone(timeZone)) throw new RangeError(`unknown IANA time zone: ${timeZone}`);
    s = { live: liveLocationSchema(timeZone), alert: alertSchema(timeZone) };
    schemasByZone.set(timeZone, s);
  }
  return s;
}

function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
}

/** One item of a webhook body. An item with `kind` is an alert; anything else is a live location. */
export function parseLocoNavItem(item: unknown, timeZone: string): LocoNavParse {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    return { ok: false, reason: `item: expected a JSON object, got ${describe(item)}` };
  }
  const schemas = schemasFor(timeZone);
  if ('kind' in item) {
    const r = schemas.alert.safeParse(item);
    return r.success
      ? { ok: true, value: { kind: 'alert', alert: r.data } }
      : { ok: false, reason: formatIssues(r.error.issues) };
  }
  const r = schemas.live.safeParse(item);
  return r.success
    ? { ok: true, value: { kind: 'position', fix: r.data } }
    : { ok: false, reason: formatIssues(r.error.issues) };
}

/** A webhook body carries one item or an array of them. */
export function loconavItems(body: unknown): unknown[] {
  return Array.isArray(body) ? body : [body];
}
