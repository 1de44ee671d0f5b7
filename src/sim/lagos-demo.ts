// The Lagos demo fleet: the geofences, trucks and routes the demo seeds and the simulator drives.
//
// Every boundary and waypoint below is our own approximation, drawn from public maps at city scale; none
// is a surveyed boundary, and none should be used to decide anything about a real port or customer.
// They are drawn so that each route's ends lie well inside their geofences (at least ~250 m from any edge),
// which leaves room for GPS noise and jitter while a truck is parked.

export type DemoGeofenceType = 'terminal' | 'client' | 'checkpoint' | 'corridor' | 'depot';

/** The three boundary forms the REST API takes, as JSON (GeoJSON positions are [lng, lat]). */
export type DemoBoundary =
  | { type: 'Polygon'; coordinates: number[][][] }
  | { center: { lat: number; lng: number }; radius_m: number }
  | { type: 'LineString'; coordinates: number[][]; width_m: number };

/** A geofence as the body of `POST /api/v1/geofences`. */
export interface DemoGeofence {
  name: string;
  type: DemoGeofenceType;
  boundary: DemoBoundary;
}

export interface LatLng {
  lat: number;
  lng: number;
}

export interface DemoTruck {
  /** As the fleet writes it: `KJA-123XY`. */
  plate: string;
  /** 15 digits, kept as a string: some start with 0. */
  imei: string;
  /** Name of the depot geofence the truck returns to. */
  homeDepot: string;
  /** Name of the route in LAGOS_ROUTES the simulator shuttles it along. */
  route: string;
}

export interface DemoRoute {
  name: string;
  /** Geofence names at either end. */
  from: string;
  to: string;
  /** Roughly along the roads, from a parking spot inside `from` to one inside `to`. */
  waypoints: LatLng[];
}

export const APAPA_PORT = 'Apapa Port';
export const TIN_CAN_PORT = 'Tin Can Island Port';
export const IJORA_TRUCK_PARK = 'Lagos Port Complex gate / Ijora truck park';
export const DANGOTE_IBESE = 'Dangote Ibese cement plant';
export const LEKKI_FTZ = 'Lekki Free Trade Zone';
export const AGBARA_ESTATE = 'Agbara industrial estate';
export const IKEJA_DEPOT = 'Ikeja depot';
export const AMUWO_DEPOT = 'Amuwo-Odofin depot';
export const KIRIKIRI_TERMINAL = 'Kirikiri Lighter Terminal';
export const APAPA_OSHODI_CORRIDOR = 'Apapa–Oshodi Expressway';

const p = (lat: number, lng: number): LatLng => ({ lat, lng });

/** Closed GeoJSON ring from corners listed as (lat, lng), which is how people read them off a map. */
function polygon(...corners: [lat: number, lng: number][]): DemoBoundary {
  const ring = corners.map(([lat, lng]) => [lng, lat]);
  ring.push([...ring[0]!]);
  return { type: 'Polygon', coordinates: [ring] };
}

// The expressway from Apapa's gate past Tin Can and Mile 2, north through Ijesha and Cele to Oshodi. Routes
// reuse these points, so a truck on the corridor stays within its 120 m width apart from GPS noise.
const EXPRESSWAY_FROM_APAPA: LatLng[] = [
  p(6.4565, 3.3585),
  p(6.452, 3.348),
  p(6.45, 3.34),
  p(6.456, 3.328),
  p(6.463, 3.316), // Mile 2
  p(6.48, 3.319),
  p(6.504, 3.33), // Ijesha
  p(6.517, 3.335), // Cele
  p(6.533, 3.338), // Ilasamaja
  p(6.553, 3.342), // Oshodi
];

export const LAGOS_GEOFENCES: readonly DemoGeofence[] = [
  {
    name: APAPA_PORT,
    type: 'terminal',
    boundary: polygon(
      [6.456, 3.357],
      [6.4555, 3.372],
      [6.449, 3.375],
      [6.437, 3.372],
      [6.436, 3.358],
      [6.446, 3.355],
    ),
  },
  {
    name: TIN_CAN_PORT,
    type: 'terminal',
    boundary: polygon([6.445, 3.336], [6.445, 3.351], [6.436, 3.352], [6.43, 3.346], [6.431, 3.335]),
  },
  {
    name: IJORA_TRUCK_PARK,
    type: 'checkpoint',
    boundary: polygon([6.47, 3.364], [6.47, 3.374], [6.462, 3.374], [6.462, 3.364]),
  },
  {
    name: DANGOTE_IBESE,
    type: 'client',
    boundary: { center: { lat: 6.96, lng: 3.05 }, radius_m: 1500 },
  },
  {
    name: LEKKI_FTZ,
    type: 'client',
    boundary: polygon([6.46, 3.88], [6.458, 3.935], [6.422, 3.933], [6.42, 3.882]),
  },
  {
    name: AGBARA_ESTATE,
    type: 'client',
    boundary: polygon([6.525, 3.08], [6.524, 3.112], [6.502, 3.11], [6.5, 3.082]),
  },
  {
    name: IKEJA_DEPOT,
    type: 'depot',
    boundary: polygon([6.6045, 3.3495], [6.6045, 3.3545], [6.5995, 3.3545], [6.5995, 3.3495]),
  },
  {
    name: AMUWO_DEPOT,
    type: 'depot',
    boundary: polygon([6.475, 3.288], [6.475, 3.296], [6.468, 3.296], [6.468, 3.288]),
  },
  {
    name: KIRIKIRI_TERMINAL,
    type: 'terminal',
    boundary: polygon([6.45, 3.304], [6.45, 3.324], [6.436, 3.324], [6.436, 3.304]),
  },
  {
    name: APAPA_OSHODI_CORRIDOR,
    type: 'corridor',
    boundary: {
      type: 'LineString',
      coordinates: EXPRESSWAY_FROM_APAPA.map(({ lat, lng }) => [lng, lat]),
      width_m: 120,
    },
  },
];

const APAPA_BERTH = p(6.446, 3.365);
const APAPA_GATE = p(6.4555, 3.36);
const OSHODI_TO_IKEJA = [p(6.575, 3.345), p(6.59, 3.345)];

export const LAGOS_ROUTES: readonly DemoRoute[] = [
  {
    name: 'apapa-ikeja',
    from: APAPA_PORT,
    to: IKEJA_DEPOT,
    waypoints: [APAPA_BERTH, APAPA_GATE, ...EXPRESSWAY_FROM_APAPA, ...OSHODI_TO_IKEJA, p(6.602, 3.352)],
  },
  {
    name: 'apapa-ibese',
    from: APAPA_PORT,
    to: DANGOTE_IBESE,
    waypoints: [
      APAPA_BERTH,
      APAPA_GATE,
      ...EXPRESSWAY_FROM_APAPA,
      ...OSHODI_TO_IKEJA,
      p(6.62, 3.322), // Agege
      p(6.645, 3.3), // Abule Egba
      p(6.69, 3.24), // Sango Ota
      p(6.815, 3.195), // Ifo
      p(6.9, 3.19),
      p(6.935, 3.175), // Itori
      p(6.955, 3.12),
      p(6.958, 3.08),
      p(6.958, 3.055),
    ],
  },
  {
    name: 'tincan-agbara',
    from: TIN_CAN_PORT,
    to: AGBARA_ESTATE,
    waypoints: [
      p(6.437, 3.343),
      p(6.446, 3.343),
      p(6.45, 3.34),
      p(6.456, 3.328),
      p(6.463, 3.316), // Mile 2
      p(6.465, 3.27), // Abule Ado
      p(6.467, 3.253), // Trade Fair
      p(6.478, 3.2), // Okokomaiko
      p(6.483, 3.18), // Iyana Iba
      p(6.494, 3.145), // Ijanikin
      p(6.503, 3.118),
      p(6.513, 3.096),
    ],
  },
  {
    name: 'apapa-lekki',
    from: APAPA_PORT,
    to: LEKKI_FTZ,
    waypoints: [
      APAPA_BERTH,
      p(6.4555, 3.37),
      p(6.464, 3.37), // through the Ijora truck park
      p(6.468, 3.382), // Eko Bridge
      p(6.46, 3.395), // Lagos Island
      p(6.448, 3.425), // Falomo
      p(6.435, 3.448), // Lekki toll gate
      p(6.44, 3.475), // Lekki Phase 1
      p(6.445, 3.52), // Chevron
      p(6.465, 3.565), // Ajah
      p(6.47, 3.61), // Sangotedo
      p(6.465, 3.67), // Lakowe
      p(6.46, 3.73), // Awoyaya
      p(6.45, 3.79), // Eleko
      p(6.442, 3.85), // Akodo
      p(6.44, 3.885),
      p(6.44, 3.905),
    ],
  },
  {
    name: 'kirikiri-ikeja',
    from: KIRIKIRI_TERMINAL,
    to: IKEJA_DEPOT,
    waypoints: [
      p(6.443, 3.313),
      p(6.453, 3.318),
      ...EXPRESSWAY_FROM_APAPA.slice(4), // joins at Mile 2
      ...OSHODI_TO_IKEJA,
      p(6.602, 3.352),
    ],
  },
  {
    name: 'ijora-apapa',
    from: IJORA_TRUCK_PARK,
    to: APAPA_PORT,
    waypoints: [p(6.466, 3.369), p(6.461, 3.367), p(6.4555, 3.365), APAPA_BERTH],
  },
  {
    name: 'amuwo-tincan',
    from: AMUWO_DEPOT,
    to: TIN_CAN_PORT,
    waypoints: [
      p(6.4715, 3.292),
      p(6.465, 3.292),
      p(6.463, 3.316), // Mile 2
      p(6.456, 3.328),
      p(6.45, 3.34),
      p(6.446, 3.343),
      p(6.437, 3.343),
    ],
  },
];

// Plates carry the registering LGA's code (KJA Ikeja, APP Apapa, LSD Lagos Island, EKY Eti-Osa, ...).
// IMEIs are made up; several start with 0, as LocoNav's own samples do, to keep string handling honest.
export const LAGOS_TRUCKS: readonly DemoTruck[] = [
  { plate: 'KJA-123XY', imei: '358480081523781', homeDepot: IKEJA_DEPOT, route: 'apapa-ikeja' },
  { plate: 'LSD-482KJ', imei: '035848008152379', homeDepot: IKEJA_DEPOT, route: 'apapa-ibese' },
  { plate: 'APP-771AA', imei: '862095054617734', homeDepot: AMUWO_DEPOT, route: 'tincan-agbara' },
  { plate: 'EKY-230XA', imei: '359632102284416', homeDepot: IKEJA_DEPOT, route: 'apapa-lekki' },
  { plate: 'KJA-905BD', imei: '086209505461802', homeDepot: IKEJA_DEPOT, route: 'kirikiri-ikeja' },
  { plate: 'APP-318KT', imei: '358480081620147', homeDepot: AMUWO_DEPOT, route: 'ijora-apapa' },
  { plate: 'FST-664AG', imei: '862095054733309', homeDepot: AMUWO_DEPOT, route: 'amuwo-tincan' },
  { plate: 'AGL-207YJ', imei: '035963210229875', homeDepot: IKEJA_DEPOT, route: 'apapa-ikeja' },
  { plate: 'MUS-149EN', imei: '359632102301155', homeDepot: IKEJA_DEPOT, route: 'apapa-ibese' },
  { plate: 'JJJ-582LA', imei: '862095054819926', homeDepot: AMUWO_DEPOT, route: 'tincan-agbara' },
  { plate: 'LND-736RS', imei: '358480081733460', homeDepot: IKEJA_DEPOT, route: 'apapa-lekki' },
  { plate: 'SMK-410CH', imei: '086209505490118', homeDepot: IKEJA_DEPOT, route: 'kirikiri-ikeja' },
  { plate: 'APP-902FE', imei: '359632102415537', homeDepot: AMUWO_DEPOT, route: 'ijora-apapa' },
  { plate: 'BDG-355KM', imei: '862095055012643', homeDepot: AMUWO_DEPOT, route: 'amuwo-tincan' },
  { plate: 'KTU-618DX', imei: '358480081845092', homeDepot: IKEJA_DEPOT, route: 'apapa-ikeja' },
  { plate: 'FKJ-274BN', imei: '035848008190366', homeDepot: IKEJA_DEPOT, route: 'apapa-ibese' },
  { plate: 'EPE-839AT', imei: '359632102520984', homeDepot: IKEJA_DEPOT, route: 'apapa-lekki' },
  { plate: 'KRD-127GS', imei: '862095055147720', homeDepot: AMUWO_DEPOT, route: 'tincan-agbara' },
  { plate: 'LSD-960PW', imei: '358480081967315', homeDepot: IKEJA_DEPOT, route: 'kirikiri-ikeja' },
  { plate: 'EKY-503UF', imei: '086209505530471', homeDepot: AMUWO_DEPOT, route: 'ijora-apapa' },
];
