import type { FastifyInstance } from 'fastify';
import type { Sql } from '../../db/client.ts';
import type { TruckLocation, TruckRow } from '../../db/trucks.ts';
import { createTruck, getTruck, getTruckLocation, listTrucks } from '../../fleet/trucks.ts';
import { requestActor } from '../auth.ts';

// REST for trucks: parse, call the use case, render. `:id` is a uuid or a truck number (`KJA-123XY`).

interface Params {
  id: string;
}

export function renderTruck(t: TruckRow) {
  return {
    id: t.id,
    truck_number: t.truckNumber,
    imei: t.imei,
    loconav_vehicle_id: t.loconavVehicleId,
    company: t.company,
    fleet_manager: t.fleetManager,
    brand: t.brand,
    trailer_size: t.trailerSize,
    operating_location: t.operatingLocation,
    status: t.status,
    created_at: t.createdAt.toISOString(),
    updated_at: t.updatedAt.toISOString(),
  };
}

export function renderLocation(l: TruckLocation) {
  return {
    truck: { id: l.truckId, truck_number: l.truckNumber },
    location: l.lat === null || l.lng === null ? null : { lat: l.lat, lng: l.lng },
    last_fix_at: l.lastFixAt?.toISOString() ?? null,
    speed_kmh: l.speedKmh,
    heading_deg: l.headingDeg,
    ignition: l.ignition,
  };
}

export function truckRoutes(deps: { sql: Sql }) {
  const { sql } = deps;
  return async (app: FastifyInstance) => {
    app.get<{ Querystring: Record<string, unknown> }>('/api/v1/trucks', async (req) => {
      const query = req.query ?? {};
      const trucks = await listTrucks(sql, requestActor(req), query);
      return { trucks: trucks.map(renderTruck) };
    });

    app.post('/api/v1/trucks', async (req, reply) => {
      const row = await createTruck(sql, requestActor(req), req.body);
      reply.code(201).header('location', `/api/v1/trucks/${row.id}`);
      return renderTruck(row);
    });

    app.get<{ Params: Params }>('/api/v1/trucks/:id', async (req) =>
      renderTruck(await getTruck(sql, requestActor(req), req.params.id)),
    );

    app.get<{ Params: Params }>('/api/v1/trucks/:id/location', async (req) =>
      renderLocation(await getTruckLocation(sql, requestActor(req), req.params.id)),
    );
  };
}
