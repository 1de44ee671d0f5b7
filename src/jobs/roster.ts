import { z } from 'zod';
import type { RosterTruck, RosterValues } from '../db/roster.ts';
import { normalizeTruckNumber } from '../db/trucks.ts';

// The roster sheet, read and compared with the trucks table. Pure: sheets-sync.ts fetches and writes.
//
// - The first row holds the headers, matched by name in any case or spacing ("Truck Number", "truck_no").
//   Only truck_number is required; unknown columns are ignored.
// - Each row is validated on its own: a bad row is reported with its sheet row number and reason and never
//   holds back the good ones. Blank rows are skipped.
// - A blank IMEI or LocoNav id on the sheet keeps the device the truck already has (ingest learns devices
//   too); every other blank cell clears the value, the sheet being the source of truth.
// - A truck gone from the sheet is marked inactive, never deleted, and only if a sync once saw it there:
//   trucks added by hand or registered by ingest are not the sheet's to retire.

export const ROSTER_FIELDS = [
  'truck_number',
  'loconav_vehicle_id',
  'imei',
  'company',
  'fleet_manager',
  'status',
  'brand',
  'trailer_size',
  'operating_location',
] as const;
export type RosterField = (typeof ROSTER_FIELDS)[number];

/** Header spellings seen on fleet sheets, after lower-casing and squeezing non-letters to `_`. */
const HEADER_ALIASES: Readonly<Record<string, RosterField>> = {
  truck: 'truck_number',
  truck_no: 'truck_number',
  truck_num: 'truck_number',
  plate_number: 'truck_number',
  vehicle_number: 'truck_number',
  loconav_id: 'loconav_vehicle_id',
  loconav_vehicle: 'loconav_vehicle_id',
  vehicle_id: 'loconav_vehicle_id',
  device_imei: 'imei',
  manager: 'fleet_manager',
  trailer: 'trailer_size',
  location: 'operating_location',
};

export const headerKey = (h: string) =>
  h
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '');

export const SHEET_STATUSES = ['active', 'inactive', 'maintenance'] as const;

export interface RosterRow {
  /** Row number on the sheet, as people see it. */
  row: number;
  truckNumber: string;
  imei: string | null;
  loconavVehicleId: string | null;
  company: string | null;
  fleetManager: string | null;
  status: (typeof SHEET_STATUSES)[number];
  brand: string | null;
  trailerSize: string | null;
  operatingLocation: string | null;
}

export interface InvalidRow {
  row: number;
  /** When the row names one, so the truck is not taken for gone. */
  truckNumber: string | null;
  reason: string;
}

export interface ParsedRoster {
  rows: RosterRow[];
  invalid: InvalidRow[];
}

export class RosterHeaderError extends Error {}

const text = (max: number) =>
  z
    .string()
    .trim()
    .max(max, { message: `longer than ${max} characters` })
    .transform((s) => (s === '' ? null : s));

const rowSchema = z.object({
  truck_number: z
    .string()
    .transform(normalizeTruckNumber)
    .refine((s) => s !== '', { message: 'is empty' })
    .refine((s) => /^[A-Z0-9-]{2,20}$/.test(s), {
      message: 'expected 2 to 20 letters, digits or dashes, e.g. KJA-123XY',
    }),
  imei: z
    .string()
    .trim()
    .refine((s) => !/e\+?\d+$/i.test(s), {
      message: 'looks like a number Sheets shortened (e.g. 3.56E+14): format the column as plain text',
    })
    .refine((s) => s === '' || /^\d{10,17}$/.test(s), {
      message: 'expected the device IMEI, 10 to 17 digits',
    })
    .transform((s) => (s === '' ? null : s)),
  loconav_vehicle_id: text(64),
  company: text(200),
  fleet_manager: text(200),
  status: z
    .string()
    .trim()
    .toLowerCase()
    .transform((s) => (s === '' ? 'active' : s))
    .pipe(z.enum(SHEET_STATUSES, { message: `expected ${SHEET_STATUSES.join(', ')} or blank (active)` })),
  brand: text(100),
  trailer_size: text(50),
  operating_location: text(200),
});

/** Which column holds which field; throws naming the headers found when truck_number has no column. */
export function mapHeaders(headers: readonly unknown[]): Map<RosterField, number> {
  const columns = new Map<RosterField, number>();
  headers.forEach((h, i) => {
    const key = headerKey(String(h ?? ''));
    const field = (ROSTER_FIELDS as readonly string[]).includes(key)
      ? (key as RosterField)
      : HEADER_ALIASES[key];
    if (field && !columns.has(field)) columns.set(field, i);
  });
  if (!columns.has('truck_number')) {
    const found = headers.map((h) => String(h ?? '').trim()).filter(Boolean);
    throw new RosterHeaderError(
      `the roster sheet has no truck_number column in its first row (found: ${found.join(', ') || 'nothing'})`,
    );
  }
  return columns;
}

const cell = (v: unknown) => (v === null || v === undefined ? '' : String(v));

/** Validates every data row; `headerRow` is the sheet row number of the header row. */
export function parseRoster(values: readonly (readonly unknown[])[], headerRow: number): ParsedRoster {
  const [headers = [], ...data] = values;
  const columns = mapHeaders(headers);
  const rows: RosterRow[] = [];
  const invalid: InvalidRow[] = [];
  const rowOfNumber = new Map<string, number>();
  const rowOfImei = new Map<string, RosterRow>();

  data.forEach((values, i) => {
    const row = headerRow + 1 + i;
    if (values.every((v) => cell(v).trim() === '')) return;
    const raw = Object.fromEntries(ROSTER_FIELDS.map((f) => [f, cell(values[columns.get(f) ?? -1])]));
    const rawNumber = normalizeTruckNumber(raw.truck_number ?? '');
    const parsed = rowSchema.safeParse(raw);
    if (!parsed.success) {
      const reason = parsed.error.issues.map((i) => `${String(i.path[0])} ${i.message}`).join('; ');
      invalid.push({ row, truckNumber: rawNumber || null, reason });
      return;
    }
    const r = parsed.data;
    const sameNumber = rowOfNumber.get(r.truck_number);
    if (sameNumber !== undefined) {
      invalid.push({
        row,
        truckNumber: r.truck_number,
        reason: `truck_number ${r.truck_number} is already on row ${sameNumber}`,
      });
      return;
    }
    const sameImei = r.imei ? rowOfImei.get(r.imei) : undefined;
    if (sameImei) {
      invalid.push({
        row,
        truckNumber: r.truck_number,
        reason: `imei ${r.imei} is already on row ${sameImei.row} (${sameImei.truckNumber})`,
      });
      return;
    }
    const out: RosterRow = {
      row,
      truckNumber: r.truck_number,
      imei: r.imei,
      loconavVehicleId: r.loconav_vehicle_id,
      company: r.company,
      fleetManager: r.fleet_manager,
      status: r.status,
      brand: r.brand,
      trailerSize: r.trailer_size,
      operatingLocation: r.operating_location,
    };
    rowOfNumber.set(out.truckNumber, row);
    if (out.imei) rowOfImei.set(out.imei, out);
    rows.push(out);
  });
  return { rows, invalid };
}

// ---------------------------------------------------------------------------------------------------------
// Comparing with the trucks table

export type ExistingTruck = RosterTruck;
export type TruckFields = RosterValues;
export type Change = { from: string | null; to: string | null };

export interface RosterUpdate {
  id: string;
  row: number;
  /** The values after the update. */
  values: TruckFields;
  /** Only the fields that differ; `truckNumber` when an unassigned device truck is adopted by its row. */
  changes: Partial<Record<keyof TruckFields, Change>>;
}

export interface RosterPlan {
  inserts: RosterRow[];
  updates: RosterUpdate[];
  deactivations: ExistingTruck[];
  /** Rows that were valid alone but clash with the trucks table. */
  invalid: InvalidRow[];
  unchanged: number;
  /** Truck numbers on the sheet after the sync (for roster_seen_at). */
  seen: string[];
}

const COMPARED: (keyof TruckFields)[] = [
  'truckNumber',
  'imei',
  'loconavVehicleId',
  'company',
  'fleetManager',
  'status',
  'brand',
  'trailerSize',
  'operatingLocation',
];

function targetValues(row: RosterRow, current: ExistingTruck | undefined): TruckFields {
  return {
    truckNumber: row.truckNumber,
    imei: row.imei ?? current?.imei ?? null,
    loconavVehicleId: row.loconavVehicleId ?? current?.loconavVehicleId ?? null,
    company: row.company,
    fleetManager: row.fleetManager,
    status: row.status,
    brand: row.brand,
    trailerSize: row.trailerSize,
    operatingLocation: row.operatingLocation,
  };
}

export function planRosterSync(existing: readonly ExistingTruck[], parsed: ParsedRoster): RosterPlan {
  const byNumber = new Map(existing.map((t) => [t.truckNumber, t]));
  const byImei = new Map(existing.filter((t) => t.imei).map((t) => [t.imei!, t]));
  const onSheet = new Set([
    ...parsed.rows.map((r) => r.truckNumber),
    ...parsed.invalid.flatMap((r) => (r.truckNumber ? [r.truckNumber] : [])),
  ]);
  const plan: RosterPlan = {
    inserts: [],
    updates: [],
    deactivations: [],
    invalid: [],
    unchanged: 0,
    seen: [],
  };

  for (const row of parsed.rows) {
    let current = byNumber.get(row.truckNumber);
    const holder = row.imei ? byImei.get(row.imei) : undefined;
    if (holder && holder !== current) {
      // A device ingest registered before the sheet listed it (`IMEI-…`, unassigned): the row adopts it,
      // keeping its positions. Any other holder is a clash for a person to settle.
      const adoptable = !current && holder.status === 'unassigned' && !onSheet.has(holder.truckNumber);
      if (!adoptable) {
        plan.invalid.push({
          row: row.row,
          truckNumber: row.truckNumber,
          reason: `imei ${row.imei} belongs to truck ${holder.truckNumber}; fix the sheet or that truck`,
        });
        continue;
      }
      current = holder;
    }
    plan.seen.push(row.truckNumber);
    if (!current) {
      plan.inserts.push(row);
      continue;
    }
    const values = targetValues(row, current);
    const changes: RosterUpdate['changes'] = {};
    for (const f of COMPARED) {
      if (values[f] !== current[f]) changes[f] = { from: current[f], to: values[f] };
    }
    if (Object.keys(changes).length) plan.updates.push({ id: current.id, row: row.row, values, changes });
    else plan.unchanged++;
  }

  for (const t of existing) {
    if (t.rosterSeenAt && t.status !== 'inactive' && !onSheet.has(t.truckNumber)) plan.deactivations.push(t);
  }
  return plan;
}
