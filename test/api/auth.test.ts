import { createHmac } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTokenCli } from '../../scripts/token.ts';
import { apiAuth, requestActor, requireApiRole, signToken, verifyToken } from '../../src/api/auth.ts';
import { build } from '../../src/api/server.ts';
import { MemoryBus } from '../../src/bus/memory.ts';
import type { Db } from '../../src/db/client.ts';
import { createLogger } from '../../src/log.ts';
import { createMetrics } from '../../src/metrics.ts';

const SECRET = 'test-secret-0123456789-abcdefghijklmnop';
const OTHER_SECRET = 'another-secret-0123456789-abcdefghijklm';

// The auth layer never touches the database; a Db that refuses proves it.
const db: Db = {
  sql: undefined as never,
  embedded: false,
  ping: async () => {},
  close: async () => {},
};

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** A token made by hand, for the shapes signToken refuses to make. */
function handMade(header: unknown, payload: unknown, secret = SECRET): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

const echoActor = (path: string) => async (app: FastifyInstance) => {
  app.get(path, async (req) => requestActor(req));
};

async function buildWith(jwtSecret: string | undefined): Promise<FastifyInstance> {
  return build({
    db,
    bus: new MemoryBus(),
    logger: createLogger('silent'),
    metrics: createMetrics(),
    plugins: [
      // Registered before the auth plugin on purpose: the hook must reach it anyway.
      echoActor('/api/v1/registered-before'),
      apiAuth({ jwtSecret }),
      echoActor('/api/v1/whoami'),
      async (app) => {
        app.post('/api/v1/dispatch-only', { preHandler: requireApiRole('dispatcher') }, async () => ({
          ok: true,
        }));
        app.post('/api/v1/webhooks/loconav', async (req) => ({ actor: req.actor ?? null }));
      },
    ],
  });
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('API tokens', () => {
  it('verifies what it signs, giving back the subject and role', () => {
    const token = signToken(SECRET, { sub: 'dashboard', role: 'dispatcher', expiresInS: 60 });
    expect(verifyToken(SECRET, token)).toEqual({ sub: 'dashboard', role: 'dispatcher' });
  });

  it('refuses a token past its exp and one before its nbf', () => {
    const token = signToken(SECRET, { sub: 'a', role: 'viewer', expiresInS: 60, nowS: 1_000 });
    expect(() => verifyToken(SECRET, token, 1_059)).not.toThrow();
    expect(() => verifyToken(SECRET, token, 1_060)).toThrow(/expired/);
    const early = handMade({ alg: 'HS256', typ: 'JWT' }, { sub: 'a', role: 'viewer', nbf: 2_000 });
    expect(() => verifyToken(SECRET, early, 1_999)).toThrow(/not valid before/);
    expect(() => verifyToken(SECRET, early, 2_000)).not.toThrow();
  });

  it('refuses a signature re-encoded with different trailing bits', () => {
    const token = signToken(SECRET, { sub: 'a', role: 'viewer' });
    const last = token.at(-1)!;
    // 32 bytes end in a base64url character whose two low bits are padding; setting one decodes the same bytes.
    expect('AEIMQUYcgkosw048').toContain(last);
    const twin = token.slice(0, -1) + String.fromCharCode(last.charCodeAt(0) + 1);
    expect(Buffer.from(twin.split('.')[2]!, 'base64url')).toEqual(
      Buffer.from(token.split('.')[2]!, 'base64url'),
    );
    expect(() => verifyToken(SECRET, twin)).toThrow(/signature/);
    expect(() => verifyToken(SECRET, token)).not.toThrow();
  });

  it('refuses to sign or verify with a secret shorter than 32 characters', () => {
    expect(() => signToken('short', { sub: 'a', role: 'viewer' })).toThrow(/32/);
    expect(() => apiAuth({ jwtSecret: 'short' })).toThrow(/32/);
  });
});

describe('API authentication', () => {
  let app: FastifyInstance;
  let off: FastifyInstance;

  beforeAll(async () => {
    app = await buildWith(SECRET);
    off = await buildWith(undefined);
  });

  afterAll(async () => {
    await app.close();
    await off.close();
  });

  it('lets a valid token through and makes its subject the actor, with the request id as correlation id', async () => {
    const token = signToken(SECRET, { sub: 'dashboard', role: 'viewer', expiresInS: 300 });
    const res = await app.inject({
      url: '/api/v1/whoami',
      headers: { ...bearer(token), 'x-request-id': 'req-77' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ principal: 'api:dashboard', role: 'viewer', correlationId: 'req-77' });
  });

  it('guards a route registered in a sibling plugin before the auth plugin', async () => {
    expect((await app.inject('/api/v1/registered-before')).statusCode).toBe(401);
    const token = signToken(SECRET, { sub: 'x', role: 'viewer' });
    const res = await app.inject({ url: '/api/v1/registered-before', headers: bearer(token) });
    expect(res.json()).toMatchObject({ principal: 'api:x' });
  });

  it('answers 401 saying the token is missing, with a Bearer challenge', async () => {
    const res = await app.inject('/api/v1/whoami');
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(res.json().error).toEqual({
      code: 'WT_UNAUTHORIZED',
      message: 'Missing token: send Authorization: Bearer <token>.',
    });
  });

  it('refuses an Authorization header that is not a bearer token', async () => {
    const res = await app.inject({ url: '/api/v1/whoami', headers: { authorization: 'Basic YTpi' } });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.message).toMatch(/Malformed Authorization header/);
  });

  it('refuses an expired token, saying it expired', async () => {
    const token = signToken(SECRET, { sub: 'a', role: 'admin', expiresInS: 60, nowS: 1_700_000_000 });
    const res = await app.inject({ url: '/api/v1/whoami', headers: bearer(token) });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.message).toMatch(/^Token expired at 2023-11-14T22:14:20.000Z/);
  });

  it('refuses a token signed with another secret, and one whose payload was edited', async () => {
    const foreign = signToken(OTHER_SECRET, { sub: 'a', role: 'viewer' });
    const res = await app.inject({ url: '/api/v1/whoami', headers: bearer(foreign) });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.message).toMatch(/^Bad token signature/);

    const [h, , s] = signToken(SECRET, { sub: 'a', role: 'viewer' }).split('.');
    const promoted = `${h}.${b64({ sub: 'a', role: 'admin' })}.${s}`;
    const edited = await app.inject({ url: '/api/v1/whoami', headers: bearer(promoted) });
    expect(edited.statusCode).toBe(401);
    expect(edited.json().error.message).toMatch(/^Bad token signature/);
  });

  it('refuses alg none, with or without a signature part', async () => {
    const payload = b64({ sub: 'a', role: 'admin' });
    for (const token of [
      `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`,
      `${b64({ alg: 'none' })}.${payload}.x`,
    ]) {
      const res = await app.inject({ url: '/api/v1/whoami', headers: bearer(token) });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('WT_UNAUTHORIZED');
    }
    const signedNone = handMade({ alg: 'none' }, { sub: 'a', role: 'admin' });
    const res = await app.inject({ url: '/api/v1/whoami', headers: bearer(signedNone) });
    expect(res.json().error.message).toBe('Malformed token: alg must be HS256, got "none".');
  });

  it('refuses a correctly signed token whose role is not one of ours', async () => {
    const token = handMade({ alg: 'HS256', typ: 'JWT' }, { sub: 'a', role: 'superuser' });
    const res = await app.inject({ url: '/api/v1/whoami', headers: bearer(token) });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.message).toBe(
      'Bad role in token: "superuser" is not viewer, dispatcher or admin.',
    );
  });

  it('refuses garbage that is not three base64url parts', async () => {
    for (const token of ['abc', 'a.b', 'a.b.c.d', 'a.b+.c']) {
      const res = await app.inject({ url: '/api/v1/whoami', headers: bearer(token) });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.message).toMatch(/^Malformed token/);
    }
  });

  it('asks for a token on unknown /api paths too, so they reveal nothing', async () => {
    expect((await app.inject('/api/v1/nothing-here')).statusCode).toBe(401);
  });

  it('leaves the webhook path to its own authentication', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/webhooks/loconav', payload: {} });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ actor: null });
  });

  it('refuses a viewer on a dispatcher route, naming who can', async () => {
    const viewer = signToken(SECRET, { sub: 'v', role: 'viewer' });
    const res = await app.inject({ method: 'POST', url: '/api/v1/dispatch-only', headers: bearer(viewer) });
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toEqual({
      code: 'WT_FORBIDDEN',
      message: 'Only a dispatcher or admin can call POST /api/v1/dispatch-only; you are a viewer.',
    });
    const dispatcher = signToken(SECRET, { sub: 'd', role: 'dispatcher' });
    const ok = await app.inject({
      method: 'POST',
      url: '/api/v1/dispatch-only',
      headers: bearer(dispatcher),
    });
    expect(ok.statusCode).toBe(200);
  });

  it('turns the whole API off with 503 when JWT_SECRET is unset, even for a well-formed token', async () => {
    const token = signToken(SECRET, { sub: 'a', role: 'admin' });
    for (const url of ['/api/v1/whoami', '/api/v1/registered-before', '/api/v1/trucks']) {
      const res = await off.inject({ url, headers: bearer(token) });
      expect(res.statusCode).toBe(503);
      expect(res.json().error).toEqual({
        code: 'WT_NOT_CONFIGURED',
        message: 'The API is off: set JWT_SECRET (32+ characters) to turn it on.',
      });
    }
    expect((await off.inject('/healthz')).statusCode).toBe(200);
    expect(
      (await off.inject({ method: 'POST', url: '/api/v1/webhooks/loconav', payload: {} })).statusCode,
    ).toBe(200);
  });
});

describe('npm run token', () => {
  const env = { JWT_SECRET: SECRET };

  it('prints a token the server accepts, expiring when asked', () => {
    const result = runTokenCli(
      ['--sub', 'ops-dashboard', '--role', 'dispatcher', '--expires-in', '3600'],
      env,
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(verifyToken(SECRET, result.token)).toEqual({ sub: 'ops-dashboard', role: 'dispatcher' });
    const payload = JSON.parse(Buffer.from(result.token.split('.')[1]!, 'base64url').toString());
    expect(payload.exp - payload.iat).toBe(3600);
  });

  it('explains each bad invocation', () => {
    const fail = (argv: string[], e: NodeJS.ProcessEnv = env) => {
      const r = runTokenCli(argv, e);
      return r.ok ? 'ok' : r.message;
    };
    expect(fail(['--sub', 'a', '--role', 'viewer'], {})).toMatch(/^JWT_SECRET is not set/);
    expect(fail(['--sub', 'a', '--role', 'viewer'], { JWT_SECRET: 'short' })).toMatch(/too short/);
    expect(fail(['--role', 'viewer'])).toMatch(/^--sub:/);
    expect(fail(['--sub', 'a'])).toMatch(/^--role: expected one of viewer, dispatcher, admin/);
    expect(fail(['--sub', 'a', '--role', 'viewer', '--expires-in=-5'])).toMatch(/^--expires-in:/);
    expect(fail(['--sub', 'a', '--role', 'viewer', '--expires-in', '0'])).toMatch(/^--expires-in:/);
    expect(fail(['--sub', 'a', '--role', 'viewer', '--expires-in', '1h'])).toMatch(/^--expires-in:/);
    expect(fail(['--sub', 'a', '--role', 'viewer', '--bogus'])).toMatch(/Unknown option '--bogus'/);
  });
});
