import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';
import { type Actor, isUserRole, requireRole, type UserRole } from '../fleet/actor.ts';

// Who may call /api: a bearer JWT (HS256, made by `npm run token`) naming a client and its role. Written by
// hand on node:crypto because one algorithm with one shared secret is all we accept, and a library that
// accepts many algorithms is how `alg: none` and key-confusion bugs happen.

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by apiAuth on every /api route (webhooks excepted); read it through `requestActor`. */
    actor?: Actor;
  }
}

export const MIN_SECRET_LENGTH = 32;
const API_PREFIX = '/api/';
// The LocoNav webhook authenticates with its own HMAC signature or token.
const WEBHOOK_PREFIX = '/api/v1/webhooks/';
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const NOT_CONFIGURED = 'The API is off: set JWT_SECRET (32+ characters) to turn it on.';

export interface TokenClaims {
  sub: string;
  role: UserRole;
}

export interface SignOptions extends TokenClaims {
  /** Lifetime in seconds; omit for a token that never expires. */
  expiresInS?: number;
  /** Seconds since the epoch; tests pin it. */
  nowS?: number;
}

function assertSecret(secret: string): void {
  // A short secret is a configuration bug, not a bad request: fail loudly where it is used.
  if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) {
    throw new Error(`JWT secret must be at least ${MIN_SECRET_LENGTH} characters`);
  }
}

const encodeJson = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const hmac = (secret: string, signingInput: string) =>
  createHmac('sha256', secret).update(signingInput).digest('base64url');

export function signToken(secret: string, opts: SignOptions): string {
  assertSecret(secret);
  if (typeof opts.sub !== 'string' || opts.sub.length === 0)
    throw new Error('sub must be a non-empty string');
  if (!isUserRole(opts.role)) throw new Error(`role must be viewer, dispatcher or admin, got ${opts.role}`);
  const iat = opts.nowS ?? Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = { sub: opts.sub, role: opts.role, iat };
  if (opts.expiresInS !== undefined) {
    if (!Number.isInteger(opts.expiresInS) || opts.expiresInS <= 0) {
      throw new Error('expiresInS must be a positive whole number of seconds');
    }
    payload.exp = iat + opts.expiresInS;
  }
  const signingInput = `${encodeJson({ alg: 'HS256', typ: 'JWT' })}.${encodeJson(payload)}`;
  return `${signingInput}.${hmac(secret, signingInput)}`;
}

const unauthorized = (message: string) => new AppError('WT_UNAUTHORIZED', message);

function decodeJsonPart(part: string, name: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw unauthorized(`Malformed token: the ${name} is not base64url JSON.`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw unauthorized(`Malformed token: the ${name} is not a JSON object.`);
  }
  return value as Record<string, unknown>;
}

function numericDate(payload: Record<string, unknown>, claim: 'exp' | 'nbf'): number | undefined {
  const value = payload[claim];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw unauthorized(`Malformed token: ${claim} must be seconds since the epoch.`);
  }
  return value;
}

/** The token's subject and role, or WT_UNAUTHORIZED saying what is wrong with it. */
export function verifyToken(secret: string, token: string | undefined, nowS?: number): TokenClaims {
  assertSecret(secret);
  if (!token) throw unauthorized('Missing token: send Authorization: Bearer <token>.');
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => BASE64URL.test(p))) {
    throw unauthorized('Malformed token: expected three base64url parts, header.payload.signature.');
  }
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = decodeJsonPart(headerPart, 'header');
  // Checked before the signature: `none` or an asymmetric alg must never reach a verification path.
  if (header.alg !== 'HS256') {
    throw unauthorized(`Malformed token: alg must be HS256, got ${JSON.stringify(header.alg ?? null)}.`);
  }
  // Comparing the canonical encodings also rejects a signature re-encoded with different trailing bits.
  const expected = Buffer.from(hmac(secret, `${headerPart}.${payloadPart}`));
  const given = Buffer.from(signaturePart);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw unauthorized('Bad token signature: the token was not signed with this server’s JWT_SECRET.');
  }
  const payload = decodeJsonPart(payloadPart, 'payload');
  const now = nowS ?? Date.now() / 1000;
  const exp = numericDate(payload, 'exp');
  if (exp !== undefined && now >= exp) {
    throw unauthorized(`Token expired at ${new Date(exp * 1000).toISOString()}: ask for a new one.`);
  }
  const nbf = numericDate(payload, 'nbf');
  if (nbf !== undefined && now < nbf) {
    throw unauthorized(`Token not valid before ${new Date(nbf * 1000).toISOString()}.`);
  }
  if (typeof payload.sub !== 'string' || payload.sub.length === 0) {
    throw unauthorized('Malformed token: sub must be a non-empty string.');
  }
  if (!isUserRole(payload.role)) {
    throw unauthorized(
      `Bad role in token: ${JSON.stringify(payload.role ?? null)} is not viewer, dispatcher or admin.`,
    );
  }
  return { sub: payload.sub, role: payload.role };
}

/** The bearer token in an Authorization header, or WT_UNAUTHORIZED when there is none. */
function bearerToken(header: string | undefined): string {
  if (!header) throw unauthorized('Missing token: send Authorization: Bearer <token>.');
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  if (!match) throw unauthorized('Malformed Authorization header: expected Bearer <token>.');
  return match[1]!;
}

/** Whether a request needs a token: routes are judged by their pattern, unmatched URLs by their path. */
function isGuarded(request: FastifyRequest): boolean {
  // The route pattern cannot be dressed up with encodings or dot segments the way a raw URL can.
  const path = request.routeOptions.url ?? request.url.split('?')[0] ?? '';
  return path.startsWith(API_PREFIX) && !path.startsWith(WEBHOOK_PREFIX);
}

export interface ApiAuthOptions {
  jwtSecret: string | undefined;
}

/**
 * Guards every /api route, including those in sibling plugins (in fastify 5, registered before or after
 * this one: test/api/auth.test.ts pins both). Routes read the caller with `requestActor`, which refuses
 * when the hook somehow did not run, so a route outside its reach fails closed.
 */
export function apiAuth(opts: ApiAuthOptions) {
  const secret = opts.jwtSecret;
  if (secret !== undefined) assertSecret(secret);
  const plugin = async (app: FastifyInstance) => {
    app.decorateRequest('actor', undefined);
    app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      if (!isGuarded(request)) return;
      // Never open: no secret means no API at all.
      if (secret === undefined) throw new AppError('WT_NOT_CONFIGURED', NOT_CONFIGURED);
      try {
        const claims = verifyToken(secret, bearerToken(request.headers.authorization));
        request.actor = { principal: `api:${claims.sub}`, role: claims.role, correlationId: request.id };
      } catch (err) {
        reply.header('www-authenticate', 'Bearer');
        throw err;
      }
    });
  };
  // What fastify-plugin does: run in the parent's context, so the hook is not encapsulated in this plugin.
  Object.assign(plugin, {
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: 'api-auth',
  });
  return plugin;
}

/** The authenticated caller; refuses (never opens) when a route somehow escaped apiAuth. */
export function requestActor(request: FastifyRequest): Actor {
  if (!request.actor) throw unauthorized('Missing token: send Authorization: Bearer <token>.');
  return request.actor;
}

/** A preHandler refusing callers below `role` with 403 and who can, e.g. `{ preHandler: requireApiRole('admin') }`. */
export function requireApiRole(role: UserRole, action?: string) {
  return async (request: FastifyRequest) => {
    const what = action ?? `call ${request.method} ${request.routeOptions.url ?? request.url}`;
    requireRole(requestActor(request), role, what);
  };
}
