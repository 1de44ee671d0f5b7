import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors.ts';

// LocoNav publishes no signing scheme, so its relay signs for us: HMAC-SHA256 over `timestamp + "." + raw
// body`, within five minutes, each signature usable once. Senders that can only send a fixed header use a
// bearer token instead. With neither configured the route refuses everything: it never runs open.

export const TIMESTAMP_HEADER = 'x-watchtower-timestamp';
export const SIGNATURE_HEADER = 'x-watchtower-signature';
export const REPLAY_WINDOW_S = 300;

export interface WebhookAuthConfig {
  webhookSecret: string | undefined;
  webhookToken: string | undefined;
}

type Headers = Record<string, string | string[] | undefined>;

const header = (headers: Headers, name: string) => {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
};

const equal = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b);

export function signBody(secret: string, timestampS: number | string, rawBody: string | Buffer): string {
  return `v1=${createHmac('sha256', secret).update(`${timestampS}.`).update(rawBody).digest('hex')}`;
}

/** How a request proved itself; a signature also names the key that makes it usable once. */
export type WebhookCredential = { via: 'signature'; replayKey: string } | { via: 'token' };

/** The replay guard holds a used signature this long: past it, the timestamp is out of the window anyway. */
export const REPLAY_KEY_TTL_MS = REPLAY_WINDOW_S * 2 * 1000;

export const REPLAYED_MESSAGE = 'this signature was already used; sign each request afresh';

/**
 * Throws WT_NOT_CONFIGURED (503) or WT_UNAUTHORIZED (401) with what was wrong; returns the credential when
 * authentic. The caller still has to claim a signature's replay key, once it has something to keep.
 */
export function authenticateWebhook(
  config: WebhookAuthConfig,
  headers: Headers,
  rawBody: string | Buffer,
  nowMs = Date.now(),
): WebhookCredential {
  const { webhookSecret, webhookToken } = config;
  if (!webhookSecret && !webhookToken) {
    throw new AppError(
      'WT_NOT_CONFIGURED',
      'The LocoNav webhook is off: set LOCONAV_WEBHOOK_SECRET (signed requests) or LOCONAV_WEBHOOK_TOKEN.',
    );
  }
  if (webhookSecret) {
    // A configured secret makes signatures mandatory: the weaker static token is only for senders that
    // cannot sign, where it is the only thing configured.
    const signature = header(headers, SIGNATURE_HEADER);
    const timestamp = header(headers, TIMESTAMP_HEADER);
    if (!signature || !timestamp) {
      throw new AppError(
        'WT_UNAUTHORIZED',
        `send ${TIMESTAMP_HEADER} and ${SIGNATURE_HEADER} (v1=<hex hmac>)`,
      );
    }
    if (!/^\d{1,12}$/.test(timestamp)) {
      throw new AppError('WT_UNAUTHORIZED', `${TIMESTAMP_HEADER} must be unix seconds`);
    }
    if (Math.abs(nowMs / 1000 - Number(timestamp)) > REPLAY_WINDOW_S) {
      throw new AppError(
        'WT_UNAUTHORIZED',
        `${TIMESTAMP_HEADER} is more than 5 minutes from now; sign afresh`,
      );
    }
    const expected = Buffer.from(signBody(webhookSecret, timestamp, rawBody));
    if (!equal(Buffer.from(signature), expected)) {
      throw new AppError('WT_UNAUTHORIZED', 'signature does not match the body and timestamp');
    }
    // Each signature once: a captured request replayed inside the window is refused.
    return {
      via: 'signature',
      replayKey: `webhook:seen:${createHash('sha256').update(signature).digest('base64url')}`,
    };
  }
  const authorization = header(headers, 'authorization');
  const token = authorization?.startsWith('Bearer ') ? authorization.slice(7) : undefined;
  if (!token) throw new AppError('WT_UNAUTHORIZED', 'send Authorization: Bearer <LOCONAV_WEBHOOK_TOKEN>');
  if (!equal(Buffer.from(token), Buffer.from(webhookToken!))) {
    throw new AppError('WT_UNAUTHORIZED', 'the bearer token is not the configured webhook token');
  }
  return { via: 'token' };
}
