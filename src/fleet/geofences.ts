import { z } from 'zod';
import type { Sql, TxSql } from '../db/client.ts';
import { insertEvents } from '../db/events.ts';
import * as db from '../db/geofences.ts';
import {
  GEOFENCE_TYPES,
  type GeofenceRow,
  type GeofenceValues,
  type NearestGeofence,
  type TruckInGeofence,
} from '../db/geofences.ts';
import { isUuid } from '../db/trucks.ts';
import { boundarySchema } from '../domain/geofence-shape.ts';
import { AppError } from '../errors.ts';
import { type Actor, requireRole } from './actor.ts';
import { levenshtein } from './trucks.ts';
import { isStorableText, objectErrors, parseOrThrow } from './validation.ts';

// Geofence use cases, the same for REST, Slack, the agent and jobs. Viewers read; dispatchers and admins
// draw, change and remove fences (they are the ones who know where a client's gate is).
//
// Inputs use the REST field names (snake_case) so an API client, an agent tool and an error message all
// speak about the same `min_dwell_s`.

export const MAX_MIN_DWELL_S = 86_400;
export const MAX_EXIT_MARGIN_M = 5_000;

const name = z
  .string({ error: 'name: expected text' })
  .trim()
  .min(1, { error: 'name: must not be empty' })
  .max(100, { error: 'name: at most 100 characters' });
const type = z.enum(GEOFENCE_TYPES, { error: `type: expected one of ${GEOFENCE_TYPES.join(', ')}` });
const minDwellS = z
  .number({ error: 'min_dwell_s: expected a whole number of seconds' })
  .int({ error: 'min_dwell_s: expected a whole number of seconds' })
  .min(0, { error: `min_dwell_s: must be from 0 to ${MAX_MIN_DWELL_S}` })
  .max(MAX_MIN_DWELL_S, { error: `min_dwell_s: must be from 0 to ${MAX_MIN_DWELL_S}` })
  .nullish();
const exitMarginM = z
  .number({ error: 'exit_margin_m: expected a number of metres' })
  .min(0, { error: `exit_margin_m: must be from 0 to ${MAX_EXIT_MARGIN_M} metres` })
  .max(MAX_EXIT_MARGIN_M, { error: `exit_margin_m: must be from 0 to ${MAX_EXIT_MARGIN_M} metres` })
  .nullish();

// Unknown keys are refused rather than dropped: a misspelt `min_dwel_s` must not silently do nothing.
export const createGeofenceSchema = z.strictObject(
  { name, type, boundary: boundarySchema, min_dwell_s: minDwellS, exit_margin_m: exitMarginM },
  { error: objectErrors('name, type, boundary, min_dwell_s, exit_margin_m') },
);

export const updateGeofenceSchema = z
  .strictObject(
    {
      name: name.optional(),
      type: type.optional(),
      boundary: boundarySchema.optional(),
      min_dwell_s: minDwellS,
      exit_margin_m: exitMarginM,
      version: z
        .number({ error: 'version: expected the version you last read' })
        .int({ error: 'version: expected the version you last read' })
        .positive({ error: 'version: expected the version you last read' })
        .optional(),
    },
    { error: objectErrors('name, type, boundary, min_dwell_s, exit_margin_m, version') },
  )
  .refine((c) => Object.keys(c).some((k) => k !== 'version'), {
    error: 'nothing to change: send at least one of name, type, boundary, min_dwell_s, exit_margin_m',
  });

export type CreateGeofenceInput = z.input<typeof createGeofenceSchema>;
export type UpdateGeofenceInput = z.input<typeof updateGeofenceSchema>;

export const listSchema = z.strictObject({ type: type.optional() }, { error: objectErrors('type') });

function notFound(key: string): AppError {
  return new AppError(
    'WT_GEOFENCE_NOT_FOUND',
    `No geofence ${JSON.stringify(key)}: check the name or id (deleted geofences are gone).`,
  );
}

/** A live geofence by id or by name (any case); 404 otherwise. */
async function findLive(sql: Sql | TxSql, key: string, forUpdate = false): Promise<GeofenceRow> {
  const trimmed = key.trim();
  const row = !isStorableText(trimmed)
    ? undefined
    : isUuid(trimmed)
      ? await db.getGeofenceById(sql, trimmed, { forUpdate })
      : await db.findGeofenceByName(sql, trimmed);
  if (!row?.active) throw notFound(key);
  // A name lookup does not lock; take the lock by id now that we know it.
  return forUpdate && !isUuid(trimmed)
    ? ((await db.getGeofenceById(sql, row.id, { forUpdate })) ?? row)
    : row;
}

async function assertValidShape(sql: Sql | TxSql, values: GeofenceValues): Promise<void> {
  const problem = await db.shapeProblem(sql, values.shape);
  if (problem)
    throw new AppError('WT_VALIDATION', `Invalid geofence: boundary: not a valid polygon (${problem})`);
}

/** Runs a write, turning the live-name unique index into a sentence. */
async function mapNameConflict<T>(name: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    const e = err as { code?: string; constraint_name?: string };
    if (e.code === '23505' && e.constraint_name === 'geofences_active_name_idx') {
      throw new AppError(
        'WT_CONFLICT',
        `A geofence named ${JSON.stringify(name)} already exists: pick another name or change that one.`,
      );
    }
    throw err;
  }
}

const eventBase = (actor: Actor, row: GeofenceRow) => ({
  entityType: 'geofence',
  entityId: row.id,
  actor: actor.principal,
  correlationId: actor.correlationId ?? null,
});

export async function createGeofence(sql: Sql, actor: Actor, input: unknown): Promise<GeofenceRow> {
  requireRole(actor, 'dispatcher', 'create geofences');
  const parsed = parseOrThrow(createGeofenceSchema, input, 'geofence');
  const values: GeofenceValues = {
    name: parsed.name,
    type: parsed.type,
    shape: parsed.boundary,
    minDwellS: parsed.min_dwell_s ?? null,
    exitMarginM: parsed.exit_margin_m ?? null,
  };
  return mapNameConflict(values.name, () =>
    sql.begin(async (tx) => {
      await assertValidShape(tx, values);
      const row = await db.insertGeofence(tx, values);
      await insertEvents(tx, [
        {
          ...eventBase(actor, row),
          type: 'geofence.created',
          payload: { name: row.name, type: row.type, shape: row.shape.kind, version: row.version },
        },
      ]);
      return row;
    }),
  );
}

const CHANGEABLE = ['name', 'type', 'shape', 'minDwellS', 'exitMarginM'] as const;
const FIELD_NAMES: Record<(typeof CHANGEABLE)[number], string> = {
  name: 'name',
  type: 'type',
  shape: 'boundary',
  minDwellS: 'min_dwell_s',
  exitMarginM: 'exit_margin_m',
};

/** Changes the fields given; `version`, when sent, must match or nothing is written (409). */
export async function updateGeofence(
  sql: Sql,
  actor: Actor,
  key: string,
  input: unknown,
): Promise<GeofenceRow> {
  requireRole(actor, 'dispatcher', 'change geofences');
  const changes = parseOrThrow(updateGeofenceSchema, input, 'geofence change');
  return mapNameConflict(changes.name ?? '', () =>
    sql.begin(async (tx) => {
      const current = await findLive(tx, key, true);
      if (changes.version !== undefined && changes.version !== current.version) {
        throw new AppError(
          'WT_VERSION_CONFLICT',
          `Geofence ${JSON.stringify(current.name)} changed since you read it (version ${changes.version}, now ${current.version}): read it again and retry.`,
        );
      }
      const next: GeofenceValues = {
        name: changes.name ?? current.name,
        type: changes.type ?? current.type,
        shape: changes.boundary ?? current.shape,
        minDwellS: changes.min_dwell_s === undefined ? current.minDwellS : changes.min_dwell_s,
        exitMarginM: changes.exit_margin_m === undefined ? current.exitMarginM : changes.exit_margin_m,
      };
      const changed = CHANGEABLE.filter((f) => JSON.stringify(next[f]) !== JSON.stringify(current[f]));
      // Sending what is already there changes nothing, so it writes nothing and tells no one.
      if (changed.length === 0) return current;
      if (changed.includes('shape')) await assertValidShape(tx, next);
      const row = await db.updateGeofence(tx, current.id, next);
      if (!row) throw notFound(key);
      await insertEvents(tx, [
        {
          ...eventBase(actor, row),
          type: 'geofence.updated',
          payload: {
            name: row.name,
            type: row.type,
            version: row.version,
            changed: changed.map((f) => FIELD_NAMES[f]),
            ...(changed.includes('name') ? { previous_name: current.name } : {}),
          },
        },
      ]);
      return row;
    }),
  );
}

/** Deactivates the geofence (history keeps pointing at it); refused while open trips start or end there. */
export async function deleteGeofence(sql: Sql, actor: Actor, key: string): Promise<GeofenceRow> {
  requireRole(actor, 'dispatcher', 'delete geofences');
  return sql.begin(async (tx) => {
    const current = await findLive(tx, key, true);
    const trips = await db.openTripsAt(tx, current.id);
    if (trips.length > 0) {
      const shown = trips.slice(0, 5).join(', ') + (trips.length > 5 ? ` and ${trips.length - 5} more` : '');
      throw new AppError(
        'WT_CONFLICT',
        `Geofence ${JSON.stringify(current.name)} is the origin or destination of open trips (${shown}): complete or cancel them first.`,
      );
    }
    const row = await db.deactivateGeofence(tx, current.id);
    if (!row) throw notFound(key);
    await insertEvents(tx, [
      {
        ...eventBase(actor, row),
        type: 'geofence.deleted',
        payload: { name: row.name, type: row.type, version: row.version },
      },
    ]);
    return row;
  });
}

export async function listGeofences(sql: Sql, actor: Actor, input: unknown = {}): Promise<GeofenceRow[]> {
  requireRole(actor, 'viewer', 'list geofences');
  const filters = parseOrThrow(listSchema, input, 'geofence filter');
  return db.listActiveGeofences(sql, filters);
}

export async function getGeofence(sql: Sql, actor: Actor, key: string): Promise<GeofenceRow> {
  requireRole(actor, 'viewer', 'read geofences');
  return findLive(sql, key);
}

export async function trucksInGeofence(
  sql: Sql,
  actor: Actor,
  key: string,
): Promise<{ geofence: GeofenceRow; trucks: TruckInGeofence[] }> {
  requireRole(actor, 'viewer', 'see trucks in a geofence');
  const geofence = await findLive(sql, key);
  return { geofence, trucks: await db.trucksInside(sql, geofence.id) };
}

// ---------------------------------------------------------------------------------------------------------
// Places as people name them: "Apapa", "tin can", "Ibese" for the geofences called Apapa Port, Tin Can
// Island Port and Dangote Ibese cement plant.

const PLACE_FILLER = new Set(['the', 'at', 'in', 'near', 'around', 'area', 'side', 'for']);
const AMBIGUOUS_WITHIN = 0.05;

const placeTokens = (text: string) =>
  text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((t) => t !== '');

export interface PlaceCandidate {
  name: string;
  type: string;
}

/**
 * Geofences that `query` may name, best first, each with a score (lower is better): every word of the
 * query starts a word of the name (`tin can` → Tin Can Island Port), or failing that is one or two typos
 * from one (`appapa`). Names that start with the query, fewer extra words, and fences that are not
 * corridors rank first: "Apapa" is the port before the Apapa–Oshodi Expressway.
 */
export function rankPlaces<C extends PlaceCandidate>(
  query: string,
  candidates: readonly C[],
): { candidate: C; score: number }[] {
  const all = placeTokens(query);
  const wanted = all.filter((t) => !PLACE_FILLER.has(t));
  const q = wanted.length > 0 ? wanted : all;
  if (q.length === 0) return [];
  const joined = q.join(' ');
  const out: { candidate: C; score: number }[] = [];
  for (const candidate of candidates) {
    const name = placeTokens(candidate.name);
    const whole = name.join(' ');
    if (whole === joined) {
      out.push({ candidate, score: 0 });
      continue;
    }
    const prefix = q.every((t) => name.some((n) => n.startsWith(t)));
    const typo =
      !prefix &&
      q.every((t) => t.length >= 4 && name.some((n) => levenshtein(t, n) <= (t.length >= 7 ? 2 : 1)));
    if (!prefix && !typo) continue;
    const score =
      (prefix ? 1 : 2) +
      (whole.startsWith(joined) ? 0 : 0.3) +
      (candidate.type === 'corridor' ? 0.5 : 0) +
      Math.max(0, name.length - q.length) * 0.01;
    out.push({ candidate, score });
  }
  return out.sort((a, b) => a.score - b.score || a.candidate.name.localeCompare(b.candidate.name));
}

/**
 * The live geofence a person means by `place`: its id or exact name, else the one clear fuzzy match.
 * Several equally good matches are refused naming them (the caller asks which); none names close ones.
 */
export async function findPlace(sql: Sql, actor: Actor, place: string): Promise<GeofenceRow> {
  requireRole(actor, 'viewer', 'look places up');
  const trimmed = place.trim();
  const exact = !isStorableText(trimmed)
    ? undefined
    : isUuid(trimmed)
      ? await db.getGeofenceById(sql, trimmed)
      : await db.findGeofenceByName(sql, trimmed);
  if (exact?.active) return exact;
  const names = await db.liveGeofenceNames(sql);
  const ranked = rankPlaces(trimmed, names);
  const [best, second] = ranked;
  if (best && (!second || second.score - best.score >= AMBIGUOUS_WITHIN)) {
    const row = await db.getGeofenceById(sql, best.candidate.id);
    if (row?.active) return row;
  }
  if (best && second) {
    const tied = ranked.filter((r) => r.score - best.score < AMBIGUOUS_WITHIN).map((r) => r.candidate.name);
    throw new AppError(
      'WT_BAD_REQUEST',
      `${JSON.stringify(place)} could be ${tied.slice(0, 5).join(' or ')}.`,
      { candidates: tied, hint: 'Ask the user which place they meant.' },
    );
  }
  throw new AppError(
    'WT_GEOFENCE_NOT_FOUND',
    `No geofence matches ${JSON.stringify(place)}; the fleet knows ${names.length} places.`,
    { hint: 'Call list_geofences for the names, or ask the user for coordinates.' },
  );
}

/** The geofence a point is in (distanceM 0) or nearest to; undefined when the fleet has none. */
export async function placeOf(
  sql: Sql,
  actor: Actor,
  point: { lat: number; lng: number },
): Promise<NearestGeofence | undefined> {
  requireRole(actor, 'viewer', 'look places up');
  return db.nearestGeofence(sql, point.lat, point.lng);
}

/** The centre of the place a person names (see findPlace), for "trucks near Apapa". */
export async function placeCentre(
  sql: Sql,
  actor: Actor,
  place: string,
): Promise<{ geofence: GeofenceRow; lat: number; lng: number }> {
  const geofence = await findPlace(sql, actor, place);
  const centre = await db.geofenceCentre(sql, geofence.id);
  if (!centre) throw notFound(place);
  return { geofence, ...centre };
}
