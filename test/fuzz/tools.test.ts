import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { GEOFENCE_TYPES } from '../../src/db/geofences.ts';
import { TRIP_STATUSES } from '../../src/domain/trip-state.ts';
import type { Actor } from '../../src/fleet/actor.ts';
import { createTrip } from '../../src/fleet/trips.ts';
import { UNSTORABLE_TEXT } from '../../src/fleet/validation.ts';
import {
  callTool,
  FLEET_TOOLS,
  type FleetTool,
  previewTool,
  type ToolResult,
} from '../../src/tools/index.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { ctxFor, NOW, seedLagos } from '../tools/seed.ts';
import { INJECTIONS, nastyJson, nastyString, runs } from './inputs.ts';

// The agent's tools take whatever JSON a model makes up. For every tool in FLEET_TOOLS, argument objects of
// its own fields (right, wrong, injection payloads, any Unicode, any JSON) and things that are not objects at
// all: callTool answers {ok: true, data} or {ok: false, error} and never throws, and never reaches the
// "failed on our side" branch, which is a tool's 500. A write's preview does not throw either. Afterwards
// the tables hold what the successful writes made, and text is stored as sent.

const ACTORS: Actor[] = [
  { principal: 'slack:UFUZZVIEW', role: 'viewer' },
  { principal: 'slack:UFUZZDISP', role: 'dispatcher', correlationId: 'fuzz' },
  { principal: 'slack:UFUZZADMN', role: 'admin' },
];

const VALID_TEXT = INJECTIONS.filter(
  (s) => !UNSTORABLE_TEXT.test(s) && s.trim().length >= 2 && s.length <= 40,
);

describe('every agent tool under fuzzing', () => {
  let db: TestDb;
  let trucks: string[] = [];
  let places: string[] = [];
  const trips: string[] = [];
  const failures: unknown[] = [];
  const counts = { ok: 0, refused: 0, tripsCreated: 0 };
  let tripsBefore = 0;

  beforeAll(async () => {
    db = await createTestDb();
    const seeded = await seedLagos(db.sql);
    trucks = Object.keys(seeded.trucks);
    places = Object.keys(seeded.geofences);
    for (const [i, [origin, destination]] of [places.slice(0, 2), places.slice(2, 4)].entries()) {
      const trip = await createTrip(db.sql, ACTORS[1]!, { origin, destination, truck: trucks[i] });
      trips.push(trip.tripNumber);
    }
    const [row] = await db.sql`select count(*)::int as n from trips`;
    tripsBefore = row!.n;
  });

  afterAll(async () => {
    await db?.drop();
  });

  function validFor(field: string): fc.Arbitrary<unknown> {
    const text = fc.oneof(
      fc.constantFrom(...VALID_TEXT),
      fc.string({ unit: 'grapheme', minLength: 2, maxLength: 20 }),
    );
    const day = fc
      .integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2025, 11, 31) })
      .map((ms) => new Date(ms).toISOString().slice(0, 10));
    const valid: Record<string, fc.Arbitrary<unknown>> = {
      truck: fc.oneof(fc.constantFrom(...trucks), fc.constantFrom('kja 123xy', 'KJA123X', 'FZ-404')),
      trip: fc.oneof(fc.constantFrom(...trips), fc.constantFrom('TRP-1', '2', 'TRP-999999')),
      place: fc.constantFrom(...places, 'Apapa', 'tin can'),
      geofence: fc.constantFrom(...places, 'Apapa', 'ibese'),
      origin: fc.constantFrom(...places),
      destination: fc.constantFrom(...places),
      lat: fc.double({ min: 6.3, max: 6.7, noNaN: true }),
      lng: fc.double({ min: 3.1, max: 3.6, noNaN: true }),
      radius_km: fc.double({ min: 0.1, max: 50, noNaN: true }),
      limit: fc.integer({ min: 1, max: 25 }),
      status: fc.oneof(fc.constantFrom(...TRIP_STATUSES), fc.subarray([...TRIP_STATUSES], { minLength: 1 })),
      active: fc.boolean(),
      date: day,
      from: day,
      to: day,
      kind: fc.constantFrom('daily', 'tat', 'utilization'),
      type: fc.constantFrom(...GEOFENCE_TYPES),
      planned_start_at: fc.constantFrom('2025-03-11T06:30:00+01:00', 'tomorrow', '2025-02-30T00:00:00Z'),
      eta: fc.constantFrom('2025-03-11T18:00:00+01:00', '2025-03-10T00:00:00Z'),
    };
    return valid[field] ?? text;
  }

  function argsFor(tool: FleetTool): fc.Arbitrary<unknown> {
    const json = z.toJSONSchema(tool.input, { io: 'input', unrepresentable: 'any' }) as {
      properties?: Record<string, unknown>;
      required?: string[];
    };
    const fields = Object.keys(json.properties ?? {});
    const valueFor = (f: string) =>
      fc.oneof(
        { weight: 3, arbitrary: validFor(f) },
        { weight: 1, arbitrary: fc.oneof(nastyString, nastyJson) },
      );
    const right = fc.record(Object.fromEntries(fields.map((f) => [f, validFor(f)])), {
      requiredKeys: json.required ?? [],
    });
    const mixed = fc
      .tuple(
        fc.record(Object.fromEntries(fields.map((f) => [f, valueFor(f)])), { requiredKeys: [] }),
        fc.option(fc.tuple(nastyString, nastyJson), { freq: 4 }),
      )
      .map(([known, extra]) => (extra ? { ...known, [extra[0]]: extra[1] } : known));
    // All right but one field: the wrong value is the only thing between the call and the database.
    const oneWrong =
      fields.length === 0
        ? right
        : fc
            .tuple(right, fc.constantFrom(...fields), fc.oneof(nastyString, nastyJson))
            .map(([args, field, value]) => ({ ...args, [field]: value }));
    return fc.oneof(
      { weight: 3, arbitrary: right },
      { weight: 4, arbitrary: oneWrong },
      { weight: 2, arbitrary: mixed },
      { weight: 1, arbitrary: nastyJson },
      { weight: 1, arbitrary: fc.constantFrom(undefined, null, [], '{}') },
    );
  }

  const log = { error: (obj: unknown) => void failures.push(obj) };

  function expectAnswer(tool: FleetTool, args: unknown, result: ToolResult) {
    const what = `${tool.name}(${JSON.stringify(args)?.slice(0, 300)})`;
    expect(typeof result.ok, what).toBe('boolean');
    if (result.ok) {
      counts.ok++;
      expect(result, what).toHaveProperty('data');
      return;
    }
    counts.refused++;
    expect(typeof result.error, what).toBe('string');
    expect(result.error, what).not.toMatch(/failed on our side/);
  }

  describe.each(FLEET_TOOLS.map((t) => [t.name, t] as const))('%s', (_name, tool) => {
    it('answers {ok: true} or {ok: false, error} for any arguments, and never throws', async () => {
      failures.length = 0;
      await fc.assert(
        fc.asyncProperty(argsFor(tool), fc.constantFrom(...ACTORS), async (args, actor) => {
          const ctx = { ...ctxFor(db.sql, actor), now: NOW };
          if (tool.writes) {
            const preview = await previewTool(tool, args, ctx);
            if (!preview.ok) expect(typeof preview.error).toBe('string');
            else expect(typeof preview.preview).toBe('string');
          }
          const result = await callTool(tool, args, ctx, { log });
          expectAnswer(tool, args, result);
          expect(failures, `${tool.name}: ${JSON.stringify(failures).slice(0, 1000)}`).toEqual([]);
          if (result.ok && tool.name === 'create_trip') {
            counts.tripsCreated++;
            const made = result.data as { no?: string; trip?: string };
            const number = made.no ?? made.trip;
            const sent = args as { client?: unknown; cargo?: unknown };
            const [row] = await db.sql`select client, cargo from trips where trip_number = ${number ?? ''}`;
            expect(row, `trip ${String(number)} stored`).toBeDefined();
            for (const field of ['client', 'cargo'] as const) {
              const value = sent[field];
              if (typeof value === 'string' && value.trim()) expect(row![field]).toBe(value.trim());
            }
          }
        }),
        runs(tool.writes ? 120 : 80),
      );
    });
  });

  it('leaves the tables with exactly the trips the successful calls created', async () => {
    const tally = JSON.stringify(counts);
    expect(counts.ok, tally).toBeGreaterThan(100);
    expect(counts.refused, tally).toBeGreaterThan(100);
    expect(counts.tripsCreated, tally).toBeGreaterThan(1);
    const [row] = await db.sql`select count(*)::int as n from trips`;
    expect(row!.n).toBe(tripsBefore + counts.tripsCreated);
    const [t] = await db.sql`select count(*)::int as n from trucks`;
    expect(t!.n).toBe(trucks.length);
  });
});
