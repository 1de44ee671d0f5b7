import websocket from '@fastify/websocket';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Sql } from '../../db/client.ts';
import { getTruck } from '../../db/trucks.ts';
import { AppError } from '../../errors.ts';
import { type Actor, requireRole } from '../../fleet/actor.ts';
import { verifyToken } from '../auth.ts';
import type { LiveHub, LiveSocket } from '../live.ts';

// WebSocket pushes: /ws/trucks/{id}/location and /ws/trips/{id}/status push each change as it happens;
// /ws/fleet pushes every location, for dashboards. Browsers cannot set headers on a WebSocket, so the
// token may come as `?token=` as well as `Authorization: Bearer`.

export interface LiveRouteDeps {
  sql: Sql;
  hub: LiveHub;
  jwtSecret: string | undefined;
  /** Finds a trip's id from its uuid or number; undefined when there is none. */
  findTripId(key: string): Promise<string | undefined>;
}

function authenticate(req: FastifyRequest, jwtSecret: string | undefined): Actor {
  if (!jwtSecret)
    throw new AppError('WT_NOT_CONFIGURED', 'The API is off: set JWT_SECRET (32+ characters) to turn it on.');
  const header = req.headers.authorization;
  const query = (req.query as Record<string, string | undefined>).token;
  const token = header?.startsWith('Bearer ') ? header.slice(7) : query;
  const claims = verifyToken(jwtSecret, token);
  const actor: Actor = { principal: `api:${claims.sub}`, role: claims.role, correlationId: req.id };
  requireRole(actor, 'viewer', 'watch live updates');
  return actor;
}

export function liveRoutes(deps: LiveRouteDeps) {
  return async function live(app: FastifyInstance) {
    await app.register(websocket, { options: { maxPayload: 4096 } });

    const attach = (socket: LiveSocket & { on(event: 'close', fn: () => void): void }, topic: string) => {
      const unsubscribe = deps.hub.subscribe(topic, socket);
      socket.on('close', unsubscribe);
      socket.send(JSON.stringify({ type: 'subscribed', topic }));
    };

    app.get<{ Params: { id: string } }>(
      '/ws/trucks/:id/location',
      {
        websocket: true,
        preValidation: async (req) => {
          authenticate(req, deps.jwtSecret);
          const truck = await getTruck(deps.sql, (req.params as { id: string }).id);
          if (!truck)
            throw new AppError('WT_TRUCK_NOT_FOUND', `No truck ${(req.params as { id: string }).id}.`);
          (req as FastifyRequest & { topic?: string }).topic = `truck:${truck.id}`;
        },
      },
      (socket, req) => attach(socket, (req as FastifyRequest & { topic: string }).topic),
    );

    app.get<{ Params: { id: string } }>(
      '/ws/trips/:id/status',
      {
        websocket: true,
        preValidation: async (req) => {
          authenticate(req, deps.jwtSecret);
          const key = (req.params as { id: string }).id;
          const id = await deps.findTripId(key);
          if (!id) throw new AppError('WT_TRIP_NOT_FOUND', `No trip ${key}.`);
          (req as FastifyRequest & { topic?: string }).topic = `trip:${id}`;
        },
      },
      (socket, req) => attach(socket, (req as FastifyRequest & { topic: string }).topic),
    );

    app.get(
      '/ws/fleet',
      {
        websocket: true,
        preValidation: async (req) => {
          authenticate(req, deps.jwtSecret);
        },
      },
      (socket) => attach(socket, 'fleet'),
    );
  };
}
