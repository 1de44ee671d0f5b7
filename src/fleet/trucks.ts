import { z } from 'zod';
import { isStorableText, MAX_PAGE, objectErrors, pageFields, parseOrThrow } from './validation.ts';

export { MAX_PAGE };

import type { Sql } from '../db/client.ts';
import { insertEvents } from '../db/events.ts';
import * as db from '../db/trucks.ts';
import { normalizeTruckNumber, TRUCK_STATUSES, type TruckLocation, type TruckRow } from '../db/trucks.ts';
import { AppError } from '../errors.ts';
import { type Actor, requireRole } from './actor.ts';

// Truck use cases, the same for REST, Slack, the agent and jobs. Viewers read; dispatchers and admins add
// trucks. A truck is named by its uuid or its number in any spacing or case (`kja 123xy`).

const SUGGESTIONS = 3;

const optionalText = (field: string, max = 100) =>
  z
    .string({ error: `${field}: expected text` })
    .trim()
    .max(max, { error: `${field}: at most ${max} characters` })
    .transform((s) => (s === '' ? null : s))
    .nullish();

const status = z.enum(TRUCK_STATUSES, { error: `status: expected one of ${TRUCK_STATUSES.join(', ')}` });

const CREATE_FIELDS =
  'truck_number, imei, loconav_vehicle_id, company, fleet_manager, brand, trailer_size, operating_location, status';

export const createTruckSchema = z.strictObject(
  {
    truck_number: z
      .string({ error: 'truck_number: expected the plate as text, e.g. KJA-123XY' })
      .transform(normalizeTruckNumber)
      .pipe(
        z.string().regex(/^[A-Z0-9][A-Z0-9-]{1,19}$/, {
          error: 'truck_number: expected 2 to 20 letters, digits or dashes, e.g. KJA-123XY',
        }),
      ),
    // A string, never a number: LocoNav's IMEIs can start with 0, which a number silently drops.
    imei: z
      .string({ error: 'imei: send the IMEI as a string of digits (a number loses leading zeros)' })
      .trim()
      .regex(/^\d{8,20}$/, { error: 'imei: expected 8 to 20 digits' })
      .nullish(),
    loconav_vehicle_id: optionalText('loconav_vehicle_id'),
    company: optionalText('company'),
    fleet_manager: optionalText('fleet_manager'),
    brand: optionalText('brand'),
    trailer_size: optionalText('trailer_size'),
    operating_location: optionalText('operating_location'),
    status: status.optional(),
  },
  { error: objectErrors(CREATE_FIELDS) },
);

export type CreateTruckInput = z.input<typeof createTruckSchema>;

export const listSchema = z.strictObject(
  {
    status: status.optional(),
    ...pageFields,
  },
  { error: objectErrors('status, limit, offset') },
);

export type ListTrucksInput = z.input<typeof listSchema>;

/** Classic edit distance; truck numbers are short, so the quadratic table is nothing. */
export function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * Numbers close enough to be the one meant: the same digits (KJA-123XY for LND 123 XY) or at most two
 * edits away. Nearest first.
 */
export function closeTruckNumbers(
  wanted: string,
  candidates: readonly string[],
  max = SUGGESTIONS,
): string[] {
  const target = normalizeTruckNumber(wanted);
  const digits = target.replace(/\D/g, '');
  return candidates
    .map((c) => ({ c, d: levenshtein(target, c) }))
    .filter(({ c, d }) => d <= 2 || (digits !== '' && c.replace(/\D/g, '') === digits))
    .sort((x, y) => x.d - y.d || x.c.localeCompare(y.c))
    .slice(0, max)
    .map(({ c }) => c);
}

async function truckNotFound(sql: Sql, key: string): Promise<AppError> {
  const suggestions = isStorableText(key)
    ? closeTruckNumbers(key, await db.truckNumberCandidates(sql, key))
    : [];
  const hint =
    suggestions.length > 0
      ? ` Did you mean ${suggestions.join(suggestions.length === 2 ? ' or ' : ', ')}?`
      : ' Check the number.';
  return new AppError('WT_TRUCK_NOT_FOUND', `No truck ${normalizeTruckNumber(key) || '(empty)'}.${hint}`, {
    suggestions,
  });
}

async function findTruck(sql: Sql, key: string): Promise<TruckRow> {
  const truck = isStorableText(key) ? await db.getTruck(sql, key) : undefined;
  if (!truck) throw await truckNotFound(sql, key);
  return truck;
}

export async function createTruck(sql: Sql, actor: Actor, input: unknown): Promise<TruckRow> {
  requireRole(actor, 'dispatcher', 'add trucks');
  const t = parseOrThrow(createTruckSchema, input, 'truck');
  try {
    return await sql.begin(async (tx) => {
      const row = await db.insertTruck(tx, {
        truckNumber: t.truck_number,
        imei: t.imei,
        loconavVehicleId: t.loconav_vehicle_id,
        company: t.company,
        fleetManager: t.fleet_manager,
        brand: t.brand,
        trailerSize: t.trailer_size,
        operatingLocation: t.operating_location,
        status: t.status,
      });
      await insertEvents(tx, [
        {
          type: 'truck.created',
          entityType: 'truck',
          entityId: row.id,
          payload: { truck_number: row.truckNumber, imei: row.imei, status: row.status },
          actor: actor.principal,
          correlationId: actor.correlationId ?? null,
        },
      ]);
      return row;
    });
  } catch (err) {
    const e = err as { code?: string; constraint_name?: string };
    if (e.code === '23505' && e.constraint_name === 'trucks_truck_number_key') {
      throw new AppError('WT_CONFLICT', `Truck ${t.truck_number} already exists.`);
    }
    if (e.code === '23505' && e.constraint_name === 'trucks_imei_key') {
      throw new AppError('WT_CONFLICT', `IMEI ${t.imei} is already on another truck: check the device.`);
    }
    throw err;
  }
}

export async function listTrucks(sql: Sql, actor: Actor, input: unknown = {}): Promise<TruckRow[]> {
  requireRole(actor, 'viewer', 'list trucks');
  const filters = parseOrThrow(listSchema, input, 'truck filter');
  return db.listTrucks(sql, filters);
}

export async function getTruck(sql: Sql, actor: Actor, key: string): Promise<TruckRow> {
  requireRole(actor, 'viewer', 'look trucks up');
  return findTruck(sql, key);
}

/** The truck's last known fix; lat/lng are null until its first fix arrives. */
export async function getTruckLocation(sql: Sql, actor: Actor, key: string): Promise<TruckLocation> {
  requireRole(actor, 'viewer', 'locate trucks');
  const location = await db.getTruckLocation(sql, key);
  if (!location) throw await truckNotFound(sql, key);
  return location;
}
