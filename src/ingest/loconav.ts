// LocoNav webhook payloads → our normalized fixes and alerts. Pure, so the receiver can reject a bad item
// with a reason the sender's engineers can act on, and the same code runs in tests on recorded bodies.
//
// LocoNav's documentation is loose about types (numbers as strings, "1"/"0" booleans, three time formats),
// so every field goes through a coercer that accepts the forms seen in the wild and says precisely what it
// expected when it gives up. The live-location path runs ~20,000 items/s, which is why the coercers are
// plain functions, and why a good live-location item never reaches zod at all: `liveLocationFast` calls the
// same coercers field by field and builds the fix directly. Only an item it refuses goes through the zod
// schema, whose issues are the reason we send back, so reasons are exactly what the schema says.

import { z } from 'zod';
import {
  isValidLocalDateTime,
  isValidTimeZone,
  type LocalDateTime,
  localToUtcCached,
  toLocal,
} from '../domain/time.ts';
import { UNSTORABLE_TEXT } from '../fleet/validation.ts';

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
/**
 * A reading stored as PostgreSQL `real`, to a thousandth: 3e-267 km/h is a valid double that `real` refuses
 * as out of range, and one such fix would fail its whole batch in the position writer.
 */
function measure(coerce: Coercer<number>): Coercer<number> {
  return (v) => {
    const n = coerce(v);
    return n instanceof Expected ? n : Math.round(n * 1000) / 1000;
  };
}

const speed = optional(measure(number(0, 1000, 'a speed in km/h from 0 to 1000')));
const heading = optional(measure(number(0, 360, 'an orientation in degrees from 0 to 360')));

const TRUE_WORDS = new Set(['1', 'true']);
const FALSE_WORDS = new Set(['0', 'false']);
const boolish: Coercer<boolean | null> = (v) => {
  // What LocoNav actually sends, answered before any string work.
  if (v === '1') return true;
  if (v === '0') return false;
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

// A device named with text PostgreSQL cannot keep (NUL, an unpaired surrogate) is refused here, instead of
// failing the position writer's whole batch and the good fixes acknowledged with it.
const unstorable = new Expected('text without NUL characters or unpaired surrogates');

const imei: Coercer<string | null> = (v) => {
  if (absent(v)) return null;
  if (typeof v === 'string') {
    const trimmed = v.trim();
    if (trimmed !== '') return UNSTORABLE_TEXT.test(trimmed) ? unstorable : trimmed;
  }
  // A JSON number has already lost any leading zero (LocoNav's own sample IMEI starts with 0), and nothing
  // can restore it here; keep what arrived so the device is at least findable by its digits.
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return String(v);
  return new Expected('an IMEI as a string of digits');
};

/** Plates as the fleet writes them: ` kja-123 xy` becomes `KJA-123XY`. */
export function normalizeVehicleNumber(raw: string): string {
  return isPlateAsWritten(raw) ? raw : raw.replace(/\s+/g, '').toUpperCase();
}

/** True when `raw` is printable ASCII with no space and no lower-case letter: already as the fleet writes it. */
function isPlateAsWritten(raw: string): boolean {
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || (c >= 0x61 && c <= 0x7a)) return false;
  }
  return true;
}

const vehicleNumber: Coercer<string | null> = (v) => {
  if (absent(v)) return null;
  if (typeof v === 'string' || (typeof v === 'number' && Number.isSafeInteger(v))) {
    const plate = normalizeVehicleNumber(String(v));
    if (plate === '') return null;
    return isPlateAsWritten(plate) || !UNSTORABLE_TEXT.test(plate) ? plate : unstorable;
  }
  return new Expected('a vehicle number as a string');
};

const idString: Coercer<string | null> = (v) => {
  if (absent(v)) return null;
  if (typeof v === 'string') return UNSTORABLE_TEXT.test(v) ? unstorable : v.trim();
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
  // localToUtcCached hands back a fresh Date, so with no milliseconds to add it can be ours.
  const utc = localToUtcCached(local, timeZone);
  return ms === 0 ? utc : new Date(utc.getTime() + ms);
}

/** The two-digit number at `i` of `s`, or -1. (Top level, not a closure: tsx's keepNames wraps closures.) */
function twoDigits(s: string, i: number): number {
  const hi = s.charCodeAt(i) - 48;
  const lo = s.charCodeAt(i + 1) - 48;
  return hi >= 0 && hi <= 9 && lo >= 0 && lo <= 9 ? hi * 10 + lo : -1;
}

/**
 * `DD-MM-YYYY HH:MM:SS` exactly as LocoNav sends it (19 characters, no padding), read without a regex;
 * undefined for anything else. Whatever it reads, LOCONAV_TIME_RE would read the same.
 */
function loconavLocalExact(s: string): LocalDateTime | undefined {
  if (s.length !== 19) return undefined;
  const sep = s.charCodeAt(10);
  if (
    s.charCodeAt(2) !== 45 || // -
    s.charCodeAt(5) !== 45 ||
    (sep !== 32 && sep !== 84) || // ' ' or T
    s.charCodeAt(13) !== 58 || // :
    s.charCodeAt(16) !== 58
  ) {
    return undefined;
  }
  const day = twoDigits(s, 0);
  const month = twoDigits(s, 3);
  const century = twoDigits(s, 6);
  const yy = twoDigits(s, 8);
  const hour = twoDigits(s, 11);
  const minute = twoDigits(s, 14);
  const second = twoDigits(s, 17);
  if ((day | month | century | yy | hour | minute | second) < 0) return undefined;
  return { day, month, year: century * 100 + yy, hour, minute, second };
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
      // The form LocoNav sends, read without a regex. No epoch or ISO string has this shape, so when the
      // date itself is impossible there is nothing else to try.
      const exact = loconavLocalExact(v);
      if (exact) d = fromLocal(exact, 0, timeZone);
      else if (DIGITS_RE.test(v)) d = fromEpoch(Number(v));
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
    .transform((p) =>
      buildFix(
        p.imei,
        p.vehiclenumber,
        p.latitude,
        p.longitude,
        p.speed,
        p.orientation,
        p.ignition,
        p.gpstime,
        p.harshBraking,
        p.harshAcceleration,
        p.sharpTurn,
      ),
    );
}

/** The one place a NormalizedFix is put together, by the schema and by the fast path alike. */
function buildFix(
  imei: string | null,
  vehicleNumber: string | null,
  lat: number,
  lng: number,
  speedKmh: number | null,
  headingDeg: number | null,
  ignition: boolean | null,
  fixTime: Date,
  harshBraking: boolean,
  harshAcceleration: boolean,
  sharpTurn: boolean,
): NormalizedFix {
  const fix: NormalizedFix = {
    lat,
    lng,
    speedKmh,
    headingDeg,
    ignition,
    fixTime,
    harshBraking,
    harshAcceleration,
    sharpTurn,
  };
  if (imei !== null) fix.imei = imei;
  if (vehicleNumber !== null) fix.vehicleNumber = vehicleNumber;
  return fix;
}

/**
 * A live-location item without zod: the schema's coercers applied field by field, in the schema's order,
 * and the fix built directly. Undefined when any field is refused (or the item names no device); the caller
 * then runs the schema for the reason. It accepts exactly what `liveLocationSchema` accepts, with the same
 * result, which test/ingest/loconav.test.ts checks on generated items.
 */
function liveLocationFast(item: Record<string, unknown>, gpstime: Coercer<Date>): NormalizedFix | undefined {
  const id = imei(item['imei']);
  if (id instanceof Expected) return undefined;
  const plate = vehicleNumber(item['vehiclenumber']);
  if (plate instanceof Expected || (id === null && plate === null)) return undefined;
  const lat = latitude(item['latitude']);
  if (lat instanceof Expected) return undefined;
  const lng = longitude(item['longitude']);
  if (lng instanceof Expected) return undefined;
  const speedKmh = speed(item['speed']);
  if (speedKmh instanceof Expected) return undefined;
  const headingDeg = heading(item['orientation']);
  if (headingDeg instanceof Expected) return undefined;
  const ignition = boolish(item['ignition']);
  if (ignition instanceof Expected) return undefined;
  const fixTime = gpstime(item['gpstime']);
  if (fixTime instanceof Expected) return undefined;
  const harshBraking = flag(item['harshBraking']);
  if (harshBraking instanceof Expected) return undefined;
  const harshAcceleration = flag(item['harshAcceleration']);
  if (harshAcceleration instanceof Expected) return undefined;
  const sharpTurn = flag(item['sharpTurn']);
  if (sharpTurn instanceof Expected) return undefined;
  return buildFix(
    id,
    plate,
    lat,
    lng,
    speedKmh,
    headingDeg,
    ignition,
    fixTime,
    harshBraking,
    harshAcceleration,
    sharpTurn,
  );
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

type Schemas = {
  live: ReturnType<typeof liveLocationSchema>;
  alert: ReturnType<typeof alertSchema>;
  /** The live schema's `gpstime` coercer, for the fast path. */
  gpstime: Coercer<Date>;
};
const schemasByZone = new Map<string, Schemas>();
// Every call names the same zone in practice; remember the last one to skip the map.
let lastZone: string | undefined;
let lastSchemas: Schemas | undefined;

function schemasFor(timeZone: string): Schemas {
  if (timeZone === lastZone && lastSchemas) return lastSchemas;
  let s = schemasByZone.get(timeZone);
  if (!s) {
    // A bad zone is a configuration error, not a bad item: fail loudly instead of rejecting every fix.
    if (!isValidTimeZone(timeZone)) throw new RangeError(`unknown IANA time zone: ${timeZone}`);
    s = {
      live: liveLocationSchema(timeZone),
      alert: alertSchema(timeZone),
      gpstime: timestamp(timeZone, 'gps'),
    };
    schemasByZone.set(timeZone, s);
  }
  lastZone = timeZone;
  lastSchemas = s;
  return s;
}

function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
}

/**
 * The live-location fast path on its own: the fix when it accepts `item`, undefined when it leaves the item
 * to the schema. For tests, which hold it to `liveLocationSchema`.
 */
export function parseLiveLocationFast(
  item: Record<string, unknown>,
  timeZone: string,
): NormalizedFix | undefined {
  return liveLocationFast(item, schemasFor(timeZone).gpstime);
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
  const fix = liveLocationFast(item as Record<string, unknown>, schemas.gpstime);
  if (fix) return { ok: true, value: { kind: 'position', fix } };
  const r = schemas.live.safeParse(item);
  return r.success
    ? { ok: true, value: { kind: 'position', fix: r.data } }
    : { ok: false, reason: formatIssues(r.error.issues) };
}

/** A webhook body carries one item or an array of them. */
export function loconavItems(body: unknown): unknown[] {
  return Array.isArray(body) ? body : [body];
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** A time as LocoNav writes `gpstime`: `DD-MM-YYYY HH:MM:SS` on the wall clock of `timeZone`, no zone. */
export function formatGpstime(at: Date, timeZone: string): string {
  const l = toLocal(at, timeZone);
  return `${pad2(l.day)}-${pad2(l.month)}-${l.year} ${pad2(l.hour)}:${pad2(l.minute)}:${pad2(l.second)}`;
}
