import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiAuth, signToken } from '../../src/api/auth.ts';
import { roleRoutes } from '../../src/api/routes/roles.ts';
import { build } from '../../src/api/server.ts';
import { MemoryBus } from '../../src/bus/memory.ts';
import type { Db } from '../../src/db/client.ts';
import { getRole } from '../../src/db/roles.ts';
import { createLogger } from '../../src/log.ts';
import { createMetrics } from '../../src/metrics.ts';
import { createTestDb, type TestDb } from '../support/db.ts';

const SECRET = 'role-tests-secret-0123456789abcdefghijkl';
const auth = (sub: string, role: 'viewer' | 'dispatcher' | 'admin') => ({
  authorization: `Bearer ${signToken(SECRET, { sub, role })}`,
});

describe('roles REST API', () => {
  let testDb: TestDb;
  let app: FastifyInstance;

  beforeAll(async () => {
    testDb = await createTestDb();
    const db: Db = { sql: testDb.sql, embedded: false, ping: async () => {}, close: async () => {} };
    app = await build({
      db,
      bus: new MemoryBus(),
      logger: createLogger('silent'),
      metrics: createMetrics(),
      plugins: [apiAuth({ jwtSecret: SECRET }), roleRoutes({ sql: testDb.sql })],
    });
  });

  afterAll(async () => {
    await app.close();
    await testDb.drop();
  });

  const put = (id: string, payload: unknown, headers = auth('ops-admin', 'admin')) =>
    app.inject({ method: 'PUT', url: `/api/v1/roles/${id}`, headers, payload: payload as object });

  it("sets a Slack user's role for an admin and lists it", async () => {
    const res = await put('u0ada00001', { role: 'dispatcher' });

    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      principal: 'slack:U0ADA00001',
      role: 'dispatcher',
      updated_by: 'api:ops-admin',
    });
    expect(await getRole(testDb.sql, 'slack:U0ADA00001')).toBe('dispatcher');
    const list = await app.inject({ method: 'GET', url: '/api/v1/roles', headers: auth('dash', 'viewer') });
    expect(list.json().roles).toEqual([
      expect.objectContaining({ principal: 'slack:U0ADA00001', role: 'dispatcher' }),
    ]);
  });

  it('refuses a dispatcher with 403 saying only an admin can', async () => {
    const res = await put('U0ADA00001', { role: 'admin' }, auth('ops', 'dispatcher'));

    expect(res.statusCode).toBe(403);
    expect(res.json().error).toMatchObject({
      code: 'WT_FORBIDDEN',
      message: 'Only an admin can set roles; you are a dispatcher.',
    });
  });

  it('answers 400 naming what is wrong: not a Slack id, not a role', async () => {
    const notId = await put('ada@example.com', { role: 'viewer' });
    expect(notId.statusCode).toBe(400);
    expect(notId.json().error.message).toContain('is not a Slack user id');

    const notRole = await put('U0ADA00001', { role: 'boss' });
    expect(notRole.statusCode).toBe(400);
    expect(notRole.json().error.message).toMatch(/^Invalid role: role: /);
  });
});
