import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { type RosterSyncSummary, rosterSyncMessage, rosterSyncText } from '../bot/views/roster-sync.ts';
import type { Config } from '../config.ts';
import { insertEvents, type NewEvent } from '../db/events.ts';
import {
  deactivateTrucks,
  insertRosterTrucks,
  lockAndListRosterTrucks,
  markRosterSeen,
  updateRosterTrucks,
} from '../db/roster.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { type ParsedRoster, parseRoster, planRosterSync, RosterHeaderError } from './roster.ts';
import type { JobDeps, JobResult } from './types.ts';

// Every 15 minutes: read the truck roster from Google Sheets (service account, one batchGet), validate each
// row, and bring the trucks table in line in one transaction, with an event per change. The summary goes to
// the reports channel when something changed or the set of skipped rows did. Quota refusals (429, or 403
// rateLimitExceeded) are retried with exponential backoff; other refusals fail the run with the reason.

const SCOPES = ['https://www.googleapis.com/auth/spreadsheets.readonly'];
const ACTOR = 'system:sheets-sync';
const INVALID_FINGERPRINT_KEY = 'jobs:sheets-sync:invalid';
const INVALID_FINGERPRINT_TTL_MS = 7 * 86_400_000;
const QUOTA_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded']);

export interface RetryOptions {
  /** Tries in all, the first included. */
  attempts: number;
  /** First backoff; doubled each time, with jitter, and never below Google's Retry-After. */
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 5, baseMs: 1000, maxMs: 30_000 };

export interface SheetsSyncOptions {
  retry?: Partial<RetryOptions>;
}

export function sheetsSyncDisabledReason(config: Pick<Config, 'google'>): string | undefined {
  const missing = [
    config.google.sheetsId ? undefined : 'GOOGLE_SHEETS_ID',
    config.google.credentialsFile ? undefined : 'GOOGLE_APPLICATION_CREDENTIALS',
  ].filter(Boolean);
  return missing.length ? `roster sync is off: set ${missing.join(' and ')}` : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Google's answer, read defensively (gaxios errors carry the HTTP response)

interface GoogleFailure {
  status: number | undefined;
  reasons: string[];
  grpcStatus: string | undefined;
  message: string | undefined;
  retryAfterMs: number | undefined;
  /** Set when the OAuth token endpoint refused (`invalid_grant`…), not Sheets. */
  oauthError: string | undefined;
}

function readFailure(err: unknown): GoogleFailure {
  const e = err as {
    status?: number;
    response?: { status?: number; data?: unknown; headers?: unknown };
  };
  const data = e.response?.data as
    | { error?: { message?: string; status?: string; errors?: { reason?: string }[] } | string }
    | undefined;
  const body = typeof data?.error === 'object' ? data.error : undefined;
  const headers = e.response?.headers as
    | { get?: (k: string) => string | null }
    | Record<string, string>
    | undefined;
  const retryAfter =
    typeof headers?.get === 'function'
      ? headers.get('retry-after')
      : (headers as Record<string, string> | undefined)?.['retry-after'];
  const seconds = retryAfter ? Number(retryAfter) : Number.NaN;
  return {
    status: e.response?.status ?? e.status,
    reasons: (body?.errors ?? []).flatMap((x) => (x.reason ? [x.reason] : [])),
    grpcStatus: body?.status,
    message:
      body?.message ??
      (typeof data?.error === 'string'
        ? (data as { error_description?: string }).error_description
        : undefined),
    oauthError: typeof data?.error === 'string' ? data.error : undefined,
    retryAfterMs: Number.isFinite(seconds) ? seconds * 1000 : undefined,
  };
}

export function isQuotaError(f: GoogleFailure): boolean {
  return (
    f.status === 429 ||
    f.grpcStatus === 'RESOURCE_EXHAUSTED' ||
    (f.status === 403 && f.reasons.some((r) => QUOTA_REASONS.has(r)))
  );
}

function explain(f: GoogleFailure, config: Config['google'], err: unknown): AppError {
  const why = f.message ?? (err instanceof Error ? err.message : String(err));
  if (f.oauthError) {
    return new AppError(
      'WT_NOT_CONFIGURED',
      `Google refused the service account (${f.oauthError}${f.message ? `: ${f.message}` : ''}): check the key in GOOGLE_APPLICATION_CREDENTIALS.`,
    );
  }
  if (f.status === 403 && !isQuotaError(f)) {
    return new AppError(
      'WT_UNAVAILABLE',
      `Google refused to read the roster sheet (403: ${why}): share the sheet with the service account's email.`,
    );
  }
  if (f.status === 404) {
    return new AppError(
      'WT_NOT_CONFIGURED',
      `No roster sheet ${config.sheetsId} (404: ${why}): check GOOGLE_SHEETS_ID.`,
    );
  }
  if (f.status === 400) {
    return new AppError(
      'WT_NOT_CONFIGURED',
      `Google could not read range "${config.sheetsRange}" (400: ${why}): check GOOGLE_SHEETS_RANGE.`,
    );
  }
  if (isQuotaError(f))
    return new AppError('WT_RATE_LIMITED', `Google Sheets quota still exceeded after retries: ${why}`);
  return new AppError(
    'WT_UNAVAILABLE',
    `Could not read the roster sheet${f.status ? ` (${f.status})` : ''}: ${why}`,
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Calls `fn`, retrying Google quota refusals with exponential backoff; anything else is thrown at once. */
export async function withQuotaRetry<T>(
  fn: () => Promise<T>,
  retry: RetryOptions,
  logger: Logger,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const f = readFailure(err);
      if (!isQuotaError(f) || attempt >= retry.attempts) throw err;
      const backoff = Math.min(retry.maxMs, retry.baseMs * 2 ** (attempt - 1));
      const delay = Math.max(f.retryAfterMs ?? 0, backoff / 2 + Math.random() * (backoff / 2));
      logger.warn(
        { attempt, status: f.status, delayMs: Math.round(delay) },
        'Google Sheets quota hit; backing off',
      );
      await sleep(delay);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Reading the sheet

export interface SheetValues {
  values: unknown[][];
  /** Sheet row number of the first row returned (the header row). */
  firstRow: number;
}

/** `Trucks!A3:Z1000` → 3; a range without a row number starts at 1. */
export function firstRowOf(range: string | null | undefined): number {
  const cells = range?.includes('!') ? range.slice(range.lastIndexOf('!') + 1) : (range ?? '');
  const m = /^\$?[A-Za-z]*\$?(\d+)/.exec(cells);
  return m ? Number(m[1]) : 1;
}

async function loadServiceAccount(file: string): Promise<Record<string, unknown>> {
  let raw: string;
  try {
    raw = await readFile(file, 'utf8');
  } catch (err) {
    throw new AppError(
      'WT_NOT_CONFIGURED',
      `GOOGLE_APPLICATION_CREDENTIALS: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'}).`,
    );
  }
  let key: Record<string, unknown>;
  try {
    key = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    throw new AppError('WT_NOT_CONFIGURED', `GOOGLE_APPLICATION_CREDENTIALS: ${file} is not JSON.`);
  }
  if (
    key.type !== 'service_account' ||
    typeof key.client_email !== 'string' ||
    typeof key.private_key !== 'string'
  ) {
    throw new AppError(
      'WT_NOT_CONFIGURED',
      `GOOGLE_APPLICATION_CREDENTIALS: ${file} is not a service-account key (expected type service_account with client_email and private_key).`,
    );
  }
  return key;
}

export async function readRosterSheet(
  google: Config['google'],
  deps: { metrics: Metrics; logger: Logger },
  retry: RetryOptions,
): Promise<SheetValues> {
  const reason = sheetsSyncDisabledReason({ google });
  if (reason) throw new AppError('WT_NOT_CONFIGURED', `${reason}.`);
  const key = await loadServiceAccount(google.credentialsFile!);
  // Loaded on first use: googleapis is large, and most processes never sync a sheet.
  const { google: api } = await import('googleapis');
  const auth = new api.auth.GoogleAuth({ credentials: key, scopes: SCOPES });
  const sheets = api.sheets({ version: 'v4', auth });
  try {
    const res = await withQuotaRetry(
      () =>
        deps.metrics.timeOutsideCall('google', 'sheets.values.batchGet', () =>
          sheets.spreadsheets.values.batchGet(
            { spreadsheetId: google.sheetsId!, ranges: [google.sheetsRange], majorDimension: 'ROWS' },
            { retry: false },
          ),
        ),
      retry,
      deps.logger,
    );
    const range = res.data.valueRanges?.[0];
    return {
      values: (range?.values ?? []) as unknown[][],
      firstRow: firstRowOf(range?.range ?? google.sheetsRange),
    };
  } catch (err) {
    throw explain(readFailure(err), google, err);
  }
}

// ---------------------------------------------------------------------------------------------------------
// The job

function invalidFingerprint(parsed: RosterSyncSummary['invalid']): string {
  return createHash('sha1').update(JSON.stringify(parsed)).digest('hex');
}

export async function runSheetsSync(deps: JobDeps, opts: SheetsSyncOptions = {}): Promise<JobResult> {
  const retry = { ...DEFAULT_RETRY, ...opts.retry };
  const sheet = await readRosterSheet(deps.config.google, deps, retry);

  let parsed: ParsedRoster;
  try {
    parsed = parseRoster(sheet.values, sheet.firstRow);
  } catch (err) {
    if (err instanceof RosterHeaderError)
      throw new AppError('WT_VALIDATION', `${err.message}; nothing was changed.`);
    throw err;
  }
  if (parsed.rows.length === 0 && parsed.invalid.length === 0) {
    // An empty range is far likelier a wrong range or a cleared tab than a fleet sold off overnight.
    throw new AppError(
      'WT_VALIDATION',
      `the roster range "${deps.config.google.sheetsRange}" has no truck rows; nothing was changed (check GOOGLE_SHEETS_RANGE).`,
    );
  }

  const seenAt = deps.now();
  const runId = randomUUID();
  const summary = await deps.sql.begin(async (tx): Promise<RosterSyncSummary> => {
    const existing = await lockAndListRosterTrucks(tx);
    const plan = planRosterSync(existing, parsed);
    const inserted = await insertRosterTrucks(tx, plan.inserts, seenAt);
    await updateRosterTrucks(tx, plan.updates);
    await markRosterSeen(tx, plan.seen, seenAt);
    await deactivateTrucks(
      tx,
      plan.deactivations.map((t) => t.id),
    );

    const rowOf = new Map(plan.inserts.map((r) => [r.truckNumber, r]));
    const event = (e: Omit<NewEvent, 'actor' | 'correlationId' | 'entityType'>): NewEvent => ({
      ...e,
      entityType: 'truck',
      actor: ACTOR,
      correlationId: runId,
    });
    await insertEvents(tx, [
      ...inserted.map((t) =>
        event({
          type: 'truck.created',
          entityId: t.id,
          payload: {
            truck_number: t.truckNumber,
            imei: rowOf.get(t.truckNumber)?.imei ?? null,
            status: rowOf.get(t.truckNumber)?.status ?? 'active',
            source: 'roster',
            row: rowOf.get(t.truckNumber)?.row ?? null,
          },
        }),
      ),
      ...plan.updates.map((u) =>
        event({
          type: 'truck.updated',
          entityId: u.id,
          payload: { truck_number: u.values.truckNumber, changes: u.changes, source: 'roster', row: u.row },
        }),
      ),
      ...plan.deactivations.map((t) =>
        event({
          type: 'truck.deactivated',
          entityId: t.id,
          payload: {
            truck_number: t.truckNumber,
            previous_status: t.status,
            reason: 'gone from the roster sheet',
          },
        }),
      ),
    ]);
    return {
      added: inserted.map((t) => t.truckNumber),
      updated: plan.updates.map((u) => ({
        truckNumber: u.values.truckNumber,
        fields: Object.keys(u.changes),
      })),
      deactivated: plan.deactivations.map((t) => t.truckNumber),
      unchanged: plan.unchanged,
      invalid: [...parsed.invalid, ...plan.invalid].sort((a, b) => a.row - b.row),
    };
  });

  let text = rosterSyncText(summary);
  if (summary.invalid.length) text += ` (rows ${summary.invalid.map((r) => r.row).join(', ')})`;
  await postSummary(deps, summary).catch((err) => {
    deps.logger.warn({ err: (err as Error).message }, 'roster sync summary not posted to Slack');
    text += '; the Slack summary could not be posted';
  });
  return { summary: text };
}

/** Posts when something changed, or when the skipped rows differ from the last post's. */
async function postSummary(deps: JobDeps, summary: RosterSyncSummary): Promise<void> {
  const channel = deps.config.slack.reportsChannel;
  if (!deps.slack || !channel) return;
  const fingerprint = invalidFingerprint(summary.invalid);
  const changed = summary.added.length + summary.updated.length + summary.deactivated.length > 0;
  const invalidNews =
    (await deps.kv.get(INVALID_FINGERPRINT_KEY)) !== fingerprint && summary.invalid.length > 0;
  if (!changed && !invalidNews) return;
  await deps.slack.post(channel, rosterSyncMessage(summary));
  await deps.kv.set(INVALID_FINGERPRINT_KEY, fingerprint, INVALID_FINGERPRINT_TTL_MS);
}
