import { describe, expect, it } from 'vitest';
import { haversineM, metresToDegreesLat, metresToDegreesLng } from '../../src/domain/geo.ts';
import { boundarySchema, containsPoint, type GeofenceShape } from '../../src/domain/geofence-shape.ts';
import { LAGOS, localToUtc } from '../../src/domain/time.ts';
import { parseLocoNavItem } from '../../src/ingest/loconav.ts';
import {
  type DemoGeofence,
  LAGOS_GEOFENCES,
  LAGOS_ROUTES,
  LAGOS_TRUCKS,
  type LatLng,
} from '../../src/sim/lagos-demo.ts';
import { FleetSimulator, type LocoNavLiveLocation } from '../../src/sim/simulator.ts';

const START = new Date('2025-03-10T05:00:00Z'); // 06:00 in Lagos
const shapes = new Map<string, GeofenceShape>(
  LAGOS_GEOFENCES.map((g) => [g.name, boundarySchema.parse(g.boundary)]),
);
const shapeOf = (name: string) => {
  const shape = shapes.get(name);
  if (!shape) throw new Error(`no demo geofence named ${name}`);
  return shape;
};

/** Every fix from `start` for `seconds`, ticking every `stepS`, each paired with the tick that produced it. */
function run(sim: FleetSimulator, seconds: number, stepS = 10): { at: Date; fix: LocoNavLiveLocation }[] {
  const out: { at: Date; fix: LocoNavLiveLocation }[] = [];
  for (let t = 0; t <= seconds; t += stepS) {
    const at = new Date(START.getTime() + t * 1000);
    for (const fix of sim.tick(at)) out.push({ at, fix });
  }
  return out;
}

function byTruck(fixes: readonly LocoNavLiveLocation[]): Map<string, LocoNavLiveLocation[]> {
  const out = new Map<string, LocoNavLiveLocation[]>();
  for (const f of fixes) {
    const list = out.get(f.imei) ?? [];
    list.push(f);
    out.set(f.imei, list);
  }
  return out;
}

const GPSTIME_RE = /^(\d{2})-(\d{2})-(\d{4}) (\d{2}):(\d{2}):(\d{2})$/;

const instants = new Map<string, number>();

/** Reads a gpstime back through Intl (remembered: these runs produce tens of thousands of fixes). */
function gpsInstant(gpstime: string): Date {
  let ms = instants.get(gpstime);
  if (ms === undefined) {
    const m = GPSTIME_RE.exec(gpstime);
    if (!m) throw new Error(`not a LocoNav gpstime: ${gpstime}`);
    const [day, month, year, hour, minute, second] = m.slice(1).map(Number) as number[];
    const local = { year: year!, month: month!, day: day!, hour: hour!, minute: minute!, second: second! };
    ms = localToUtc(local, LAGOS).getTime();
    instants.set(gpstime, ms);
  }
  return new Date(ms);
}

/** Proper crossing of segments ab and cd (touching at an end does not count). */
function segmentsCross(a: number[], b: number[], c: number[], d: number[]): boolean {
  const side = (p: number[], q: number[], r: number[]) =>
    Math.sign((q[0]! - p[0]!) * (r[1]! - p[1]!) - (q[1]! - p[1]!) * (r[0]! - p[0]!));
  return side(a, b, c) * side(a, b, d) < 0 && side(c, d, a) * side(c, d, b) < 0;
}

function moved(p: LatLng, metres: number, bearingDeg: number): LatLng {
  const a = (bearingDeg * Math.PI) / 180;
  return {
    lat: p.lat + metresToDegreesLat(metres * Math.cos(a)),
    lng: p.lng + metresToDegreesLng(metres * Math.sin(a), p.lat),
  };
}

describe('the Lagos demo data', () => {
  it('draws every geofence as a boundary the REST API accepts, with closed, simple rings in Lagos', () => {
    expect(LAGOS_GEOFENCES.length).toBeGreaterThanOrEqual(9);
    expect(new Set(LAGOS_GEOFENCES.map((g) => g.name)).size).toBe(LAGOS_GEOFENCES.length);
    for (const g of LAGOS_GEOFENCES as DemoGeofence[]) {
      expect(['terminal', 'client', 'checkpoint', 'corridor', 'depot']).toContain(g.type);
      expect(boundarySchema.safeParse(g.boundary).success, g.name).toBe(true);
      const b = g.boundary;
      if ('center' in b) {
        expect(b.radius_m, g.name).toBeGreaterThan(0);
        continue;
      }
      const positions = b.type === 'Polygon' ? b.coordinates.flat() : b.coordinates;
      for (const [lng, lat] of positions) {
        // Lagos and Ogun State, where every demo place is.
        expect(lat, g.name).toBeGreaterThan(6.3);
        expect(lat, g.name).toBeLessThan(7.1);
        expect(lng, g.name).toBeGreaterThan(2.9);
        expect(lng, g.name).toBeLessThan(4.1);
      }
      if (b.type === 'LineString') {
        expect(g.type).toBe('corridor');
        expect(b.width_m).toBe(120);
        continue;
      }
      for (const ring of b.coordinates) {
        expect(ring.length, g.name).toBeGreaterThanOrEqual(4);
        expect(ring[ring.length - 1], g.name).toEqual(ring[0]);
        const edges = ring.length - 1;
        for (let i = 0; i < edges; i++) {
          for (let j = i + 2; j < edges; j++) {
            if (i === 0 && j === edges - 1) continue; // the closing edge meets the first
            expect(
              segmentsCross(ring[i]!, ring[i + 1]!, ring[j]!, ring[j + 1]!),
              `${g.name} edges ${i}, ${j}`,
            ).toBe(false);
          }
        }
      }
    }
  });

  it('includes the places the demo talks about, each with the kind it is', () => {
    const kinds = Object.fromEntries(LAGOS_GEOFENCES.map((g) => [g.name, g.type]));
    expect(kinds).toMatchObject({
      'Apapa Port': 'terminal',
      'Tin Can Island Port': 'terminal',
      'Kirikiri Lighter Terminal': 'terminal',
      'Dangote Ibese cement plant': 'client',
      'Lekki Free Trade Zone': 'client',
      'Agbara industrial estate': 'client',
      'Ikeja depot': 'depot',
    });
    expect(Object.values(kinds)).toContain('checkpoint');
    expect(Object.values(kinds)).toContain('corridor');
    const ibese = LAGOS_GEOFENCES.find((g) => g.name === 'Dangote Ibese cement plant')!.boundary;
    expect(ibese).toEqual({ center: { lat: 6.96, lng: 3.05 }, radius_m: 1500 });
  });

  it('starts and ends every route at least 120 m inside the geofences it names', () => {
    for (const route of LAGOS_ROUTES) {
      const ends: [string, LatLng][] = [
        [route.from, route.waypoints[0]!],
        [route.to, route.waypoints[route.waypoints.length - 1]!],
      ];
      for (const [name, end] of ends) {
        for (let bearing = 0; bearing < 360; bearing += 45) {
          const p = moved(end, 120, bearing);
          expect(containsPoint(shapeOf(name), p.lat, p.lng), `${route.name} at ${name}, ${bearing}°`).toBe(
            true,
          );
        }
      }
    }
  });

  it('keeps the expressway routes inside the Apapa–Oshodi corridor where they share its road', () => {
    const corridor = shapeOf('Apapa–Oshodi Expressway');
    const onCorridor = LAGOS_ROUTES.find((r) => r.name === 'apapa-ikeja')!.waypoints.filter((p) =>
      containsPoint(corridor, p.lat, p.lng),
    );
    // The route runs the whole expressway: Apapa's gate, Mile 2, Ijesha, Cele, Ilasamaja, Oshodi.
    expect(onCorridor.length).toBeGreaterThanOrEqual(10);
  });

  it('gives every demo truck a plate as the fleet writes it, a 15-digit imei string and a real home depot', () => {
    const depots = new Set(LAGOS_GEOFENCES.filter((g) => g.type === 'depot').map((g) => g.name));
    const routes = new Set(LAGOS_ROUTES.map((r) => r.name));
    expect(LAGOS_TRUCKS.length).toBe(20);
    expect(new Set(LAGOS_TRUCKS.map((t) => t.plate)).size).toBe(20);
    expect(new Set(LAGOS_TRUCKS.map((t) => t.imei)).size).toBe(20);
    for (const t of LAGOS_TRUCKS) {
      expect(t.plate).toMatch(/^[A-Z]{3}-\d{3}[A-Z]{2}$/);
      expect(t.imei).toMatch(/^\d{15}$/);
      expect(depots.has(t.homeDepot), t.plate).toBe(true);
      expect(routes.has(t.route), t.plate).toBe(true);
    }
    expect(LAGOS_TRUCKS.some((t) => t.imei.startsWith('0'))).toBe(true);
    expect(new Set(LAGOS_TRUCKS.map((t) => t.route))).toEqual(routes);
  });
});

describe('FleetSimulator', () => {
  it('produces the same fixes from the same seed, however often it is ticked', () => {
    const fixes = (seed: number, stepS: number) =>
      run(FleetSimulator.demo({ seed, start: START }), 3600, stepS)
        .map(({ fix }) => ({ key: `${gpsInstant(fix.gpstime).toISOString()} ${fix.imei}`, fix }))
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
        .map((r) => r.fix);
    const everySecond = fixes(42, 1);
    // 20 trucks, one fix per 10 s for an hour (those whose first fix falls at 0 s get one more).
    expect(everySecond.length).toBeGreaterThanOrEqual(20 * 360);
    expect(everySecond.length).toBeLessThanOrEqual(20 * 361);
    expect(fixes(42, 60)).toEqual(everySecond);
    expect(fixes(43, 1)).not.toEqual(everySecond);
  });

  it('returns each fix once: a second tick at the same instant has nothing new', () => {
    const sim = FleetSimulator.demo({ seed: 3, start: START });
    const at = new Date(START.getTime() + 60_000);
    expect(sim.tick(at).length).toBeGreaterThan(0);
    expect(sim.tick(at)).toEqual([]);
  });

  it('reports each truck every intervalS seconds, spread so the fleet does not report all at once', () => {
    const fixes = run(FleetSimulator.demo({ seed: 5, start: START, intervalS: 30 }), 1800, 1);
    for (const list of byTruck(fixes.map((r) => r.fix)).values()) {
      const times = list.map((f) => gpsInstant(f.gpstime).getTime());
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBe(30_000);
    }
    const firstSeconds = new Set([...byTruck(fixes.map((r) => r.fix)).values()].map((l) => l[0]!.gpstime));
    expect(firstSeconds.size).toBeGreaterThan(5);
  });

  it("writes every fix with LocoNav's field names and a gpstime that reads back as its instant in Lagos", () => {
    const rows = run(FleetSimulator.demo({ seed: 9, start: START }), 1200, 1);
    expect(rows.length).toBeGreaterThan(0);
    const imeis = new Set(LAGOS_TRUCKS.map((t) => t.imei));
    for (const { at, fix } of rows) {
      expect(Object.keys(fix).sort()).toEqual(
        [
          'gpstime',
          'harshAcceleration',
          'harshBraking',
          'ignition',
          'imei',
          'latitude',
          'longitude',
          'orientation',
          'sharpTurn',
          'speed',
          'vehiclenumber',
        ].sort(),
      );
      expect(typeof fix.imei).toBe('string');
      expect(imeis.has(fix.imei)).toBe(true);
      expect(['1', '0']).toContain(fix.ignition);
      expect(fix.orientation).toBeGreaterThanOrEqual(0);
      expect(fix.orientation).toBeLessThan(360);
      expect(gpsInstant(fix.gpstime)).toEqual(at);
      // Our own receiver's parser is the judge of whether LocoNav's format was kept.
      const parsed = parseLocoNavItem(fix, LAGOS);
      expect(parsed.ok).toBe(true);
      if (parsed.ok && parsed.value.kind === 'position') {
        expect(parsed.value.fix.fixTime).toEqual(at);
        expect(parsed.value.fix.imei).toBe(fix.imei);
      }
    }
    expect(rows.some(({ fix }) => fix.imei.startsWith('0'))).toBe(true);
  });

  it('parks each truck inside its first geofence for the configured dwell, then inside its destination', () => {
    const dwellS = 20 * 60;
    const intervalS = 10;
    const sim = FleetSimulator.demo({ seed: 11, start: START, dwellS, stagger: false, intervalS });
    const fixes = byTruck(run(sim, 6 * 3600, 60).map((r) => r.fix));
    const routeOf = new Map(LAGOS_TRUCKS.map((t) => [t.imei, LAGOS_ROUTES.find((r) => r.name === t.route)!]));
    const t0 = START.getTime();
    for (const [imei, list] of fixes) {
      const route = routeOf.get(imei)!;
      const first = list[0]!;
      const startsAtFrom = containsPoint(shapeOf(route.from), first.latitude, first.longitude);
      const [origin, destination] = startsAtFrom ? [route.from, route.to] : [route.to, route.from];
      const inside = (f: LocoNavLiveLocation, name: string) =>
        containsPoint(shapeOf(name), f.latitude, f.longitude);
      const at = (f: LocoNavLiveLocation) => gpsInstant(f.gpstime).getTime();

      // Parked for the whole dwell: inside, standing still.
      const dwelling = list.filter((f) => at(f) < t0 + dwellS * 1000);
      expect(dwelling.length).toBeGreaterThanOrEqual(dwellS / intervalS - 1);
      for (const f of dwelling) {
        expect(inside(f, origin), `${imei} at ${f.gpstime}`).toBe(true);
        expect(f.speed).toBe(0);
      }
      // Then it leaves within a couple of minutes.
      const movingAt = list.find((f) => at(f) >= t0 + dwellS * 1000 && f.speed > 0);
      expect(movingAt && at(movingAt) - (t0 + dwellS * 1000)).toBeLessThanOrEqual(120_000);

      // At the far end: a stretch parked inside the destination at least as long as the dwell.
      let longest = 0;
      let runStart: number | undefined;
      for (const f of list) {
        if (at(f) > t0 + dwellS * 1000 && f.speed === 0 && inside(f, destination)) {
          runStart ??= at(f);
          longest = Math.max(longest, at(f) - runStart);
        } else runStart = undefined;
      }
      expect(longest, `${imei} at ${destination}`).toBeGreaterThanOrEqual((dwellS - 2 * intervalS) * 1000);
    }
  });

  it('switches the ignition off when parked a while and on again a minute before pulling out', () => {
    const sim = FleetSimulator.demo({ seed: 13, start: START, dwellS: 1800, stagger: false, trucks: 4 });
    const rows = run(sim, 1800, 10);
    for (const list of byTruck(rows.map((r) => r.fix)).values()) {
      const at = (f: LocoNavLiveLocation) => (gpsInstant(f.gpstime).getTime() - START.getTime()) / 1000;
      expect(list.filter((f) => at(f) < 290).every((f) => f.ignition === '1')).toBe(true);
      expect(list.filter((f) => at(f) > 310 && at(f) < 1730).every((f) => f.ignition === '0')).toBe(true);
      expect(list.filter((f) => at(f) > 1750).every((f) => f.ignition === '1')).toBe(true);
    }
  });

  it('scatters parked fixes by metres, with the odd jump of about 30 m', () => {
    const sim = FleetSimulator.demo({ seed: 17, start: START, dwellS: 4 * 3600, stagger: false });
    const rows = run(sim, 3600, 10);
    const offsets: number[] = [];
    for (const list of byTruck(rows.map((r) => r.fix)).values()) {
      const mean = {
        lat: list.reduce((s, f) => s + f.latitude, 0) / list.length,
        lng: list.reduce((s, f) => s + f.longitude, 0) / list.length,
      };
      for (const f of list) offsets.push(haversineM(mean.lat, mean.lng, f.latitude, f.longitude));
    }
    offsets.sort((a, b) => a - b);
    const median = offsets[Math.floor(offsets.length / 2)]!;
    expect(median).toBeGreaterThan(3);
    expect(median).toBeLessThan(12);
    const jumps = offsets.filter((d) => d > 22).length / offsets.length;
    expect(jumps).toBeGreaterThan(0.005);
    expect(jumps).toBeLessThan(0.08);
  });

  it('keeps speeds below 100 km/h, both as reported and as implied by successive fixes', () => {
    const demo = run(FleetSimulator.demo({ seed: 19, start: START }), 4 * 3600, 60).map((r) => r.fix);
    const synthetic = run(FleetSimulator.synthetic({ trucks: 300, seed: 19, start: START }), 3600, 60).map(
      (r) => r.fix,
    );
    const all = [...demo, ...synthetic];
    expect(all.reduce((max, f) => Math.max(max, f.speed), 0)).toBeLessThan(100);
    expect(all.filter((f) => f.speed > 20).length / all.length).toBeGreaterThan(0.1);
    let fastest = { kmh: 0, at: '' };
    for (const list of byTruck(all).values()) {
      for (let i = 1; i < list.length; i++) {
        const a = list[i - 1]!;
        const b = list[i]!;
        const hours = (gpsInstant(b.gpstime).getTime() - gpsInstant(a.gpstime).getTime()) / 3_600_000;
        const kmh = haversineM(a.latitude, a.longitude, b.latitude, b.longitude) / 1000 / hours;
        if (kmh > fastest.kmh) fastest = { kmh, at: `${a.vehiclenumber} ${a.gpstime}` };
      }
    }
    expect(fastest.kmh, fastest.at).toBeLessThan(100);
    expect(fastest.kmh).toBeGreaterThan(40);
  });

  it('raises harsh braking, harsh acceleration and sharp turns now and then, never on most fixes', () => {
    const fixes = run(FleetSimulator.demo({ seed: 23, start: START }), 6 * 3600, 60).map((r) => r.fix);
    for (const flag of ['harshBraking', 'harshAcceleration', 'sharpTurn'] as const) {
      const share = fixes.filter((f) => f[flag]).length / fixes.length;
      expect(share, flag).toBeGreaterThan(0);
      expect(share, flag).toBeLessThan(0.02);
    }
  });

  it('builds a synthetic fleet of thousands with unique plates and imeis, reporting inside its box', () => {
    const bbox = { minLat: 6.45, maxLat: 6.65, minLng: 3.2, maxLng: 3.5 };
    const sim = FleetSimulator.synthetic({ trucks: 5000, seed: 29, bbox, start: START });
    const vehicles = sim.vehicles();
    expect(vehicles.length).toBe(5000);
    expect(new Set(vehicles.map((v) => v.plate)).size).toBe(5000);
    expect(new Set(vehicles.map((v) => v.imei)).size).toBe(5000);
    for (const v of vehicles) {
      expect(v.plate).toMatch(/^[A-Z]{3}-\d{3}[A-Z]{2}$/);
      expect(v.imei).toMatch(/^\d{15}$/);
    }
    expect(vehicles.some((v) => v.imei.startsWith('0'))).toBe(true);

    const fixes = run(sim, 9, 1).map((r) => r.fix);
    expect(fixes.length).toBe(5000);
    const marginLat = metresToDegreesLat(200);
    const marginLng = metresToDegreesLng(200, 6.5);
    for (const f of fixes) {
      expect(f.latitude).toBeGreaterThan(bbox.minLat - marginLat);
      expect(f.latitude).toBeLessThan(bbox.maxLat + marginLat);
      expect(f.longitude).toBeGreaterThan(bbox.minLng - marginLng);
      expect(f.longitude).toBeLessThan(bbox.maxLng + marginLng);
    }
    const status = sim.status();
    expect(status.trucks).toBe(5000);
    expect(status.driving).toBeGreaterThan(500);
    expect(status.parked).toBeGreaterThan(500);
  });

  it('puts the demo fleet first in a mixed fleet and tops it up with synthetic trucks', () => {
    const sim = FleetSimulator.mixed({ trucks: 50, seed: 31, start: START });
    const vehicles = sim.vehicles();
    expect(vehicles.length).toBe(50);
    expect(vehicles.slice(0, 20).map((v) => v.plate)).toEqual(LAGOS_TRUCKS.map((t) => t.plate));
    expect(new Set(vehicles.map((v) => v.imei)).size).toBe(50);
    expect(FleetSimulator.mixed({ trucks: 5, seed: 31 }).vehicles().length).toBe(5);
  });
});
