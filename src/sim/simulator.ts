// A fleet simulator in simulated time: trucks shuttle along routes, parking inside a geofence at each end
// (loading, unloading) and driving between them through Lagos traffic, and report what a LocoNav tracker
// would: noisy fixes every `intervalS`, ignition off once parked a while, the odd harsh-driving flag.
//
// Each truck draws from its own seeded PRNG, once per fix, so a run depends only on the seed and the fix
// schedule: ticking every second or every minute yields the same fixes, and a fleet of 20 behaves the same
// whether or not 5,000 synthetic trucks run beside it.

import { haversineM, metresToDegreesLat, metresToDegreesLng } from '../domain/geo.ts';
import { LAGOS_AREA, seededRandom } from '../domain/spatial-index.ts';
import { LAGOS } from '../domain/time.ts';
import { formatGpstime } from '../ingest/loconav.ts';
import { LAGOS_ROUTES, LAGOS_TRUCKS, type LatLng } from './lagos-demo.ts';

/** One item of LocoNav's live-location webhook, with LocoNav's field names. */
export interface LocoNavLiveLocation {
  imei: string;
  vehiclenumber: string;
  latitude: number;
  longitude: number;
  /** km/h */
  speed: number;
  /** degrees clockwise from north */
  orientation: number;
  ignition: '1' | '0';
  /** `DD-MM-YYYY HH:MM:SS`, local time in Africa/Lagos, no zone. */
  gpstime: string;
  harshBraking: boolean;
  harshAcceleration: boolean;
  sharpTurn: boolean;
}

export interface SimTruckPlan {
  imei: string;
  plate: string;
  /** The truck shuttles between the first and last waypoint, parking at each. */
  route: readonly LatLng[];
  /** Start at the last waypoint and drive the route backwards first. */
  reversed?: boolean;
}

export interface BBoxLatLng {
  minLat: number;
  maxLat: number;
  minLng: number;
  maxLng: number;
}

export interface SimulatorOptions {
  seed?: number;
  /** Seconds between a truck's fixes, whole seconds (gpstime has no fractions). Default 10. */
  intervalS?: number;
  /** Parked time at each end, seconds: a fixed value or a [min, max] range. Default 15-45 min. */
  dwellS?: number | readonly [number, number];
  /** Simulated time of the first fix; defaults to the first `tick`. */
  start?: Date;
  /**
   * Start each truck somewhere along its cycle (part-way through a dwell or a drive) so a demo has
   * movement at once. When false every truck starts a full dwell at its first stop. Default true.
   */
  stagger?: boolean;
  /** Standard deviation of GPS noise per axis, metres. Default 5 (so fixes scatter ~5-10 m). */
  noiseM?: number;
  /** Parked longer than this, the driver switches the engine off. Default 300 s. */
  ignitionOffAfterS?: number;
}

export interface SyntheticOptions extends SimulatorOptions {
  trucks: number;
  bbox?: BBoxLatLng;
}

export interface FleetStatus {
  trucks: number;
  driving: number;
  parked: number;
}

// ---- tuning ---------------------------------------------------------------------------------------------

const CITY_KMH: readonly [number, number] = [20, 60];
// Long straight legs between waypoints are expressway (Lagos-Abeokuta, Lekki-Epe) when traffic allows.
const EXPRESSWAY_KMH: readonly [number, number] = [35, 75];
const EXPRESSWAY_SEGMENT_M = 5_000;
const MAX_KMH = 85;
const ACCEL_MS2 = 0.8;
const BRAKE_MS2 = 1.5;
/** How often the flow of traffic changes pace, on average. */
const PACE_CHANGE_S = 90;
/** How often traffic brings a truck to a halt (go-slow, junctions, checkpoints), on average. */
const STOP_EVERY_S = 300;
const STOP_S: readonly [number, number] = [20, 180];
const ARRIVAL_BRAKE_MS2 = 0.5;
const ARRIVAL_KMH = 8;
const PARKING_SPREAD_M = 25;
const STATIONARY_JITTER_P = 0.03;
const STATIONARY_JITTER_M = 30;
const HEADING_NOISE_DEG = 3;
/** Drivers start the engine this long before pulling out. */
const WARM_UP_S = 60;
const KMH = 1 / 3.6;

// ---- geometry -------------------------------------------------------------------------------------------

/** A route as flat arrays, with cumulative metres, so moving along it allocates nothing. */
interface Path {
  lat: Float64Array;
  lng: Float64Array;
  /** Metres from the start to each vertex. */
  at: Float64Array;
  length: number;
}

function toPath(points: readonly LatLng[]): Path {
  const n = points.length;
  const lat = new Float64Array(n);
  const lng = new Float64Array(n);
  const at = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    lat[i] = points[i]!.lat;
    lng[i] = points[i]!.lng;
    if (i > 0) at[i] = at[i - 1]! + haversineM(lat[i - 1]!, lng[i - 1]!, lat[i]!, lng[i]!);
  }
  return { lat, lng, at, length: at[n - 1]! };
}

const RAD = Math.PI / 180;

function bearingDeg(lat1: number, lng1: number, lat2: number, lng2: number): number {
  const y = Math.sin((lng2 - lng1) * RAD) * Math.cos(lat2 * RAD);
  const x =
    Math.cos(lat1 * RAD) * Math.sin(lat2 * RAD) -
    Math.sin(lat1 * RAD) * Math.cos(lat2 * RAD) * Math.cos((lng2 - lng1) * RAD);
  return normalizeDeg(Math.atan2(y, x) / RAD);
}

function normalizeDeg(deg: number): number {
  const d = deg % 360;
  return d < 0 ? d + 360 : d;
}

function angleBetween(a: number, b: number): number {
  const d = Math.abs(a - b) % 360;
  return d > 180 ? 360 - d : d;
}

// ---- randomness -----------------------------------------------------------------------------------------

type Rng = () => number;

function gaussian(rnd: Rng): number {
  // Box-Muller; 1 - u keeps the log away from 0.
  return Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
}

function between(rnd: Rng, [min, max]: readonly [number, number]): number {
  return min + rnd() * (max - min);
}

/** Chance that an event with mean spacing `meanS` happens within `dtS`. */
function happens(rnd: Rng, dtS: number, meanS: number): boolean {
  return rnd() < 1 - Math.exp(-dtS / meanS);
}

/** A per-truck seed: trucks must not share a stream, and truck i's must not depend on the fleet size. */
function truckSeed(seed: number, index: number): number {
  return (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(index + 1, 0xc2b2ae35)) >>> 0;
}

// ---- trucks ---------------------------------------------------------------------------------------------

interface Truck {
  imei: string;
  plate: string;
  rnd: Rng;
  legs: [Path, Path];
  leg: 0 | 1;
  mode: 'parked' | 'driving';
  /** Parked: seconds left before pulling out; also how long the truck has been parked. */
  parkLeftS: number;
  parkedS: number;
  /** Where it parked (before GPS noise), in metres from the end of the leg. */
  parkNorthM: number;
  parkEastM: number;
  /** Driving: metres along the leg, the vertex before it, current and wanted speed (m/s). */
  s: number;
  seg: number;
  speed: number;
  pace: number;
  /** Braking for a hold-up ahead. */
  halting: boolean;
  /** Seconds left standing still in traffic; 0 when moving. */
  haltS: number;
  heading: number;
  lastReportedHeading: number;
  nextFixMs: number;
  clockMs: number;
}

function reversePath(path: Path): Path {
  const n = path.lat.length;
  const lat = new Float64Array(n);
  const lng = new Float64Array(n);
  const at = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    lat[i] = path.lat[n - 1 - i]!;
    lng[i] = path.lng[n - 1 - i]!;
    at[i] = path.length - path.at[n - 1 - i]!;
  }
  return { lat, lng, at, length: path.length };
}

export class FleetSimulator {
  readonly intervalS: number;
  private readonly trucks: Truck[];
  private readonly dwell: readonly [number, number];
  private readonly noiseM: number;
  private readonly ignitionOffAfterS: number;
  private readonly stagger: boolean;
  private startMs: number | undefined;
  // Thousands of fixes share each second; formatting each through Intl would dominate a large run.
  private readonly gpsTimes = new Map<number, string>();

  constructor(plans: readonly SimTruckPlan[], options: SimulatorOptions = {}) {
    const seed = options.seed ?? 1;
    this.intervalS = Math.max(1, Math.round(options.intervalS ?? 10));
    const dwell = options.dwellS ?? [15 * 60, 45 * 60];
    this.dwell = typeof dwell === 'number' ? [dwell, dwell] : dwell;
    this.noiseM = options.noiseM ?? 5;
    this.ignitionOffAfterS = options.ignitionOffAfterS ?? 300;
    this.stagger = options.stagger ?? true;
    this.startMs = options.start ? Math.floor(options.start.getTime() / 1000) * 1000 : undefined;
    this.trucks = plans.map((plan, i) => this.createTruck(plan, seededRandom(truckSeed(seed, i))));
    if (this.startMs !== undefined) this.schedule(this.startMs);
  }

  /** The 20 trucks of the Lagos demo fleet (or the first `trucks` of them), each on its own route. */
  static demo(options: SimulatorOptions & { trucks?: number } = {}): FleetSimulator {
    return new FleetSimulator(demoPlans(options.trucks ?? LAGOS_TRUCKS.length), options);
  }

  /** Many trucks with random plates, IMEIs and routes inside `bbox` (greater Lagos by default). */
  static synthetic(options: SyntheticOptions): FleetSimulator {
    return new FleetSimulator(syntheticPlans(options.trucks, options.seed ?? 1, options.bbox), options);
  }

  /** Demo fleet first, then synthetic trucks up to `trucks`. */
  static mixed(options: SyntheticOptions): FleetSimulator {
    const demo = demoPlans(options.trucks);
    const extra = syntheticPlans(options.trucks - demo.length, options.seed ?? 1, options.bbox);
    return new FleetSimulator([...demo, ...extra], options);
  }

  /** The simulated trucks, e.g. to register them before sending their fixes. */
  vehicles(): { imei: string; plate: string }[] {
    return this.trucks.map((t) => ({ imei: t.imei, plate: t.plate }));
  }

  status(): FleetStatus {
    let driving = 0;
    for (const t of this.trucks) if (t.mode === 'driving') driving++;
    return { trucks: this.trucks.length, driving, parked: this.trucks.length - driving };
  }

  /** Time of the first fix, once known. */
  get start(): Date | undefined {
    return this.startMs === undefined ? undefined : new Date(this.startMs);
  }

  /**
   * Every fix due by `now` that has not been returned yet, oldest first per truck. Normally one per
   * truck at most; after a long gap between ticks it catches up with all the fixes in between.
   */
  tick(now: Date): LocoNavLiveLocation[] {
    const nowMs = now.getTime();
    if (this.startMs === undefined) {
      this.startMs = Math.floor(nowMs / 1000) * 1000;
      this.schedule(this.startMs);
    }
    const out: LocoNavLiveLocation[] = [];
    for (const truck of this.trucks) {
      while (truck.nextFixMs <= nowMs) {
        out.push(this.report(truck, truck.nextFixMs));
        truck.nextFixMs += this.intervalS * 1000;
      }
    }
    return out;
  }

  // ---- internals ----

  private createTruck(plan: SimTruckPlan, rnd: Rng): Truck {
    if (plan.route.length < 2)
      throw new RangeError(`truck ${plan.plate}: a route needs at least 2 waypoints`);
    const forward = toPath(plan.route);
    const legs: [Path, Path] = [forward, reversePath(forward)];
    const truck: Truck = {
      imei: plan.imei,
      plate: plan.plate,
      rnd,
      legs,
      // Parked at the end of the "previous" leg, i.e. at the start of the first one driven.
      leg: plan.reversed ? 0 : 1,
      mode: 'parked',
      parkLeftS: 0,
      parkedS: 0,
      parkNorthM: 0,
      parkEastM: 0,
      s: 0,
      seg: 0,
      speed: 0,
      pace: 0,
      halting: false,
      haltS: 0,
      heading: 0,
      lastReportedHeading: Number.NaN,
      nextFixMs: 0,
      clockMs: 0,
    };
    this.park(truck);
    const leaving = legs[truck.leg === 0 ? 1 : 0];
    truck.heading = bearingDeg(leaving.lat[0]!, leaving.lng[0]!, leaving.lat[1]!, leaving.lng[1]!);
    if (this.stagger) this.scatter(truck);
    return truck;
  }

  /** Places a truck at a random point of its cycle: part-way through its dwell or its first drive. */
  private scatter(truck: Truck): void {
    const rnd = truck.rnd;
    const driveS = truck.legs[0].length / (40 * KMH);
    const dwellS = truck.parkLeftS;
    if (rnd() * (driveS + dwellS) < dwellS) {
      truck.parkedS = rnd() * dwellS;
      truck.parkLeftS = dwellS - truck.parkedS;
      return;
    }
    this.depart(truck);
    const path = truck.legs[truck.leg];
    truck.s = rnd() * path.length * 0.9;
    while (truck.seg < path.at.length - 2 && path.at[truck.seg + 1]! <= truck.s) truck.seg++;
    this.enterSegment(truck);
    truck.speed = truck.pace;
  }

  private schedule(startMs: number): void {
    for (const truck of this.trucks) {
      // Trackers are not synchronised: spread first reports over one interval so load arrives evenly.
      truck.clockMs = startMs;
      truck.nextFixMs = startMs + Math.floor(truck.rnd() * this.intervalS) * 1000;
    }
  }

  private park(truck: Truck): void {
    const rnd = truck.rnd;
    truck.mode = 'parked';
    truck.parkedS = 0;
    truck.parkLeftS = between(rnd, this.dwell);
    truck.speed = 0;
    truck.haltS = 0;
    truck.halting = false;
    // Each visit parks at a different bay near the route's end.
    const r = PARKING_SPREAD_M * Math.sqrt(rnd());
    const a = rnd() * 2 * Math.PI;
    truck.parkNorthM = r * Math.sin(a);
    truck.parkEastM = r * Math.cos(a);
  }

  private depart(truck: Truck): void {
    truck.leg = truck.leg === 0 ? 1 : 0;
    truck.mode = 'driving';
    truck.s = 0;
    truck.seg = 0;
    truck.speed = 0;
    truck.haltS = 0;
    truck.halting = false;
    this.enterSegment(truck);
  }

  /** On reaching a new stretch of road: face along it, and pick up the pace that road allows. */
  private enterSegment(truck: Truck): void {
    const path = truck.legs[truck.leg];
    const i = truck.seg;
    truck.heading = bearingDeg(path.lat[i]!, path.lng[i]!, path.lat[i + 1]!, path.lng[i + 1]!);
    truck.pace = this.newPace(truck);
  }

  private newPace(truck: Truck): number {
    const path = truck.legs[truck.leg];
    const segmentM = path.at[truck.seg + 1]! - path.at[truck.seg]!;
    return between(truck.rnd, segmentM >= EXPRESSWAY_SEGMENT_M ? EXPRESSWAY_KMH : CITY_KMH) * KMH;
  }

  /** Advances the truck to `atMs` and describes it as its tracker would. */
  private report(truck: Truck, atMs: number): LocoNavLiveLocation {
    const rnd = truck.rnd;
    const flags = this.advance(truck, (atMs - truck.clockMs) / 1000);
    truck.clockMs = atMs;

    let lat: number;
    let lng: number;
    let speedKmh = 0;
    let ignition: '1' | '0' = '1';
    if (truck.mode === 'parked') {
      const end = truck.legs[truck.leg];
      const last = end.lat.length - 1;
      lat = end.lat[last]! + metresToDegreesLat(truck.parkNorthM);
      lng = end.lng[last]! + metresToDegreesLng(truck.parkEastM, end.lat[last]!);
      if (truck.parkedS >= this.ignitionOffAfterS && truck.parkLeftS > WARM_UP_S) ignition = '0';
    } else {
      const path = truck.legs[truck.leg];
      const i = truck.seg;
      const segmentM = path.at[i + 1]! - path.at[i]!;
      const f = segmentM > 0 ? (truck.s - path.at[i]!) / segmentM : 0;
      lat = path.lat[i]! + f * (path.lat[i + 1]! - path.lat[i]!);
      lng = path.lng[i]! + f * (path.lng[i + 1]! - path.lng[i]!);
      if (truck.speed > 0) speedKmh = Math.min(MAX_KMH, Math.max(0, truck.speed / KMH + gaussian(rnd) * 1.5));
    }

    let northM: number;
    let eastM: number;
    if (speedKmh === 0 && rnd() < STATIONARY_JITTER_P) {
      // A receiver standing still wanders: mostly a few metres, now and then a multipath jump.
      const a = rnd() * 2 * Math.PI;
      const r = STATIONARY_JITTER_M * (0.85 + 0.3 * rnd());
      northM = r * Math.sin(a);
      eastM = r * Math.cos(a);
    } else {
      northM = gaussian(rnd) * this.noiseM;
      eastM = gaussian(rnd) * this.noiseM;
    }
    lat += metresToDegreesLat(northM);
    lng += metresToDegreesLng(eastM, lat);

    const orientation = Math.round(normalizeDeg(truck.heading + gaussian(rnd) * HEADING_NOISE_DEG)) % 360;
    const turned = angleBetween(orientation, truck.lastReportedHeading);
    truck.lastReportedHeading = orientation;
    return {
      imei: truck.imei,
      vehiclenumber: truck.plate,
      latitude: Math.round(lat * 1e6) / 1e6,
      longitude: Math.round(lng * 1e6) / 1e6,
      speed: Math.round(speedKmh * 10) / 10,
      orientation,
      ignition,
      gpstime: this.gpsTime(atMs),
      harshBraking: flags.braked && rnd() < 0.25,
      harshAcceleration: flags.launched && rnd() < 0.1,
      sharpTurn: speedKmh > 15 && turned > 45 && rnd() < 0.5,
    };
  }

  /** Moves the truck on by `dtS` seconds; says whether it braked to a halt or pulled away meanwhile. */
  private advance(truck: Truck, dtS: number): { braked: boolean; launched: boolean } {
    const rnd = truck.rnd;
    let braked = false;
    let launched = false;
    let left = dtS;
    // Each pass runs up to the next change of state, so one interval can span an arrival and a departure.
    for (let guard = 0; left > 1e-6 && guard < 64; guard++) {
      if (truck.mode === 'parked') {
        const used = Math.min(left, truck.parkLeftS);
        truck.parkLeftS -= used;
        truck.parkedS += used;
        left -= used;
        if (truck.parkLeftS <= 1e-6) {
          this.depart(truck);
          launched = true;
        }
        continue;
      }
      if (truck.haltS > 0) {
        const used = Math.min(left, truck.haltS);
        truck.haltS -= used;
        left -= used;
        if (truck.haltS <= 1e-6) {
          truck.haltS = 0;
          launched = true;
        }
        continue;
      }

      const dt = left;
      left = 0;
      if (happens(rnd, dt, PACE_CHANGE_S)) truck.pace = this.newPace(truck);
      if (!truck.halting && happens(rnd, dt, STOP_EVERY_S)) truck.halting = true;
      const path = truck.legs[truck.leg];
      // Slow down for the gate at the end instead of parking at full speed.
      const toEndM = path.length - truck.s;
      const arriving = Math.max(ARRIVAL_KMH * KMH, Math.sqrt(2 * ARRIVAL_BRAKE_MS2 * toEndM));
      const target = truck.halting ? 0 : Math.min(truck.pace, arriving);
      const v0 = truck.speed;
      const v1 = target > v0 ? Math.min(target, v0 + ACCEL_MS2 * dt) : Math.max(target, v0 - BRAKE_MS2 * dt);
      truck.speed = v1;
      const movedM = ((v0 + v1) / 2) * dt;
      truck.s += movedM;
      if (truck.s >= path.length) {
        // Give back the time spent beyond the end, so the dwell starts when the truck got there.
        const overshootM = truck.s - path.length;
        left = movedM > 0 ? (dt * overshootM) / movedM : 0;
        truck.s = path.length;
        this.park(truck);
        continue;
      }
      while (truck.seg < path.at.length - 2 && path.at[truck.seg + 1]! <= truck.s) {
        truck.seg++;
        this.enterSegment(truck);
      }
      if (truck.halting && v1 === 0) {
        truck.halting = false;
        truck.haltS = between(rnd, STOP_S);
        if (v0 > 30 * KMH) braked = true;
      }
    }
    return { braked, launched };
  }

  private gpsTime(ms: number): string {
    let text = this.gpsTimes.get(ms);
    if (text === undefined) {
      text = formatGpstime(new Date(ms), LAGOS);
      if (this.gpsTimes.size >= 1024) this.gpsTimes.clear();
      this.gpsTimes.set(ms, text);
    }
    return text;
  }
}

function demoPlans(count: number): SimTruckPlan[] {
  const routes = new Map(LAGOS_ROUTES.map((r) => [r.name, r.waypoints]));
  return LAGOS_TRUCKS.slice(0, Math.max(0, count)).map(
    (t, i): SimTruckPlan => ({
      imei: t.imei,
      plate: t.plate,
      route: routes.get(t.route) ?? [],
      // Half the fleet starts at the far end, so both directions of every route are in use.
      reversed: i % 2 === 1,
    }),
  );
}

// ---- synthetic fleets -----------------------------------------------------------------------------------

// LGA codes seen on Lagos plates; synthetic trucks look like the real fleet in logs and Slack.
const LGA_CODES = ['KJA', 'LSD', 'APP', 'EKY', 'AGL', 'FKJ', 'MUS', 'SMK', 'KTU', 'LND', 'BDG', 'EPE', 'JJJ'];
const LETTERS = 'ABCDEFGHJKLMNPRSTUVWXYZ';

function syntheticPlans(count: number, seed: number, bbox: BBoxLatLng = LAGOS_AREA): SimTruckPlan[] {
  // A stream of its own, so the fleet's make-up does not shift the trucks' driving.
  const rnd = seededRandom(truckSeed(seed, -2));
  const plates = new Set<string>();
  const imeis = new Set<string>();
  const plans: SimTruckPlan[] = [];
  const letter = () => LETTERS[Math.floor(rnd() * LETTERS.length)]!;
  while (plans.length < count) {
    const plate = `${LGA_CODES[Math.floor(rnd() * LGA_CODES.length)]!}-${100 + Math.floor(rnd() * 900)}${letter()}${letter()}`;
    // Up to 1e15 is exact in a double; about one in ten comes out with a leading zero, as some do.
    const imei = String(Math.floor(rnd() * 1e15)).padStart(15, '0');
    if (plates.has(plate) || imeis.has(imei)) continue;
    plates.add(plate);
    imeis.add(imei);
    plans.push({ imei, plate, route: syntheticRoute(rnd, bbox), reversed: rnd() < 0.5 });
  }
  return plans;
}

/** 3-25 km from one random point to another, bending through a few waypoints as streets do. */
function syntheticRoute(rnd: Rng, bbox: BBoxLatLng): LatLng[] {
  const inside = (lat: number, lng: number): LatLng => ({
    lat: Math.min(bbox.maxLat, Math.max(bbox.minLat, lat)),
    lng: Math.min(bbox.maxLng, Math.max(bbox.minLng, lng)),
  });
  const start = inside(between(rnd, [bbox.minLat, bbox.maxLat]), between(rnd, [bbox.minLng, bbox.maxLng]));
  const lengthM = between(rnd, [3_000, 25_000]);
  const angle = rnd() * 2 * Math.PI;
  const end = inside(
    start.lat + metresToDegreesLat(lengthM * Math.sin(angle)),
    start.lng + metresToDegreesLng(lengthM * Math.cos(angle), start.lat),
  );
  const bends = 2 + Math.floor(rnd() * 4);
  const route = [start];
  for (let b = 1; b <= bends; b++) {
    const f = b / (bends + 1);
    const offsetM = gaussian(rnd) * lengthM * 0.05;
    route.push(
      inside(
        start.lat + f * (end.lat - start.lat) + metresToDegreesLat(offsetM * Math.cos(angle)),
        start.lng + f * (end.lng - start.lng) - metresToDegreesLng(offsetM * Math.sin(angle), start.lat),
      ),
    );
  }
  route.push(end);
  return route;
}
