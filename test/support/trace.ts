// The real bus-304 trace and its stops (see shared/data/PROVENANCE.md). shared/ sits beside the repo,
// both here and where CI clones it, so the path is resolved from the repo root rather than the cwd;
// WT_SHARED_DATA names its data directory for a clone that lives elsewhere.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
const DATA_DIR = path.join(
  process.env.WT_SHARED_DATA ?? path.resolve(REPO_ROOT, '../shared/data'),
  'limerick-bus-304',
);

function readData(file: string): string {
  const at = path.join(DATA_DIR, file);
  if (!existsSync(at)) {
    throw new Error(
      `test data not found at ${at}: the real GPS trace lives in shared/data beside the repository; ` +
        'clone beside it, or set WT_SHARED_DATA to that data directory',
    );
  }
  return readFileSync(at, 'utf8');
}

export interface TracePoint {
  time: Date;
  lat: number;
  lng: number;
  /** Computed by the data's curator from the hop before (haversine / dt); null on the first row. */
  impliedSpeedKmh: number | null;
}

export interface BusStop {
  stopId: string;
  name: string;
  /** The order in which the recorded trip passes the stop, 1-36. */
  seq: number;
  lat: number;
  lng: number;
}

/** 2,144 fixes at ~1 Hz, 2019-02-18 07:45:50Z to 09:00:26Z, in time order. */
export function loadBusTrace(): TracePoint[] {
  return readData('bus304_2019-02-18_track.csv')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      const [ts, lat, lng, speed] = line.split(',');
      return {
        time: new Date(ts!),
        lat: Number(lat),
        lng: Number(lng),
        impliedSpeedKmh: speed ? Number(speed) : null,
      };
    });
}

interface StopFeature {
  properties: { stop_id: string; stop_name: string; seq_on_trip: number };
  geometry: { coordinates: [number, number] };
}

/** The route's 36 stops in the order the trip passes them. */
export function loadBusStops(): BusStop[] {
  return (
    JSON.parse(readData('stops_304_to_ul.geojson')) as {
      features: StopFeature[];
    }
  ).features
    .map((f) => ({
      stopId: f.properties.stop_id,
      name: f.properties.stop_name,
      seq: f.properties.seq_on_trip,
      lat: f.geometry.coordinates[1],
      lng: f.geometry.coordinates[0],
    }))
    .sort((a, b) => a.seq - b.seq);
}
