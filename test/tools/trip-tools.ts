import type { Sql } from '../../src/db/client.ts';
import { createTrip, dispatchTrip, type TripView } from '../../src/fleet/trips.ts';
import { APAPA_PORT, DANGOTE_IBESE, dispatcher, IKEJA_DEPOT, TIN_CAN_PORT } from './seed.ts';

// Three trips on the seeded fleet: TRP-000001 dispatched (KJA-123XY, Apapa → Ikeja), TRP-000002 planned
// (APP-771AA, Tin Can → Ibese), TRP-000003 planned with no truck.
export async function seedTrips(sql: Sql): Promise<TripView[]> {
  const first = await createTrip(sql, dispatcher, {
    truck: 'KJA-123XY',
    origin: APAPA_PORT,
    destination: IKEJA_DEPOT,
    client: 'Flour Mills',
    cargo: '2 x 40ft containers',
    eta: '2025-03-10T14:30:00+01:00',
  });
  const second = await createTrip(sql, dispatcher, {
    truck: 'APP-771AA',
    origin: TIN_CAN_PORT,
    destination: DANGOTE_IBESE,
    cargo: 'gypsum',
  });
  const third = await createTrip(sql, dispatcher, { origin: APAPA_PORT, destination: DANGOTE_IBESE });
  return [await dispatchTrip(sql, dispatcher, first.id), second, third];
}
