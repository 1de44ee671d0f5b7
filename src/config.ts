import { z } from 'zod';
import { parseRedisUrl } from './bus/resp.ts';
import { DEFAULT_OFFLINE_AFTER_MS } from './domain/offline.ts';
import { isValidTimeZone } from './domain/time.ts';

// Every setting Watch Tower reads, in one schema. `loadConfig(process.env)` is called once, by main.ts;
// nothing else reads the environment.

export const ROLES = ['webhook', 'api', 'consumers', 'bot', 'jobs'] as const;
export type Role = (typeof ROLES)[number];

const optionalString = z
  .string()
  .trim()
  .transform((s) => (s === '' ? undefined : s))
  .optional();

const optionalUrl = (protocols: string[], example: string) =>
  optionalString.refine(
    (s) => {
      if (s === undefined) return true;
      try {
        return protocols.includes(new URL(s).protocol);
      } catch {
        return false;
      }
    },
    { message: `expected a ${protocols.join(' or ')} URL such as ${example}` },
  );

const intInRange = (min: number, max: number, fallback: number) =>
  z
    .string()
    .trim()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined || s === '') return fallback;
      const n = Number(s);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({
          code: 'custom',
          message: `expected a whole number from ${min} to ${max}, got "${s}"`,
        });
        return z.NEVER;
      }
      return n;
    });

const DURATION_UNITS_MS: Record<string, number> = { s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/** `30` (minutes), `45m`, `90min`, `2h` or `600s`, in milliseconds, within [minMs, maxMs]. */
const duration = (minMs: number, maxMs: number, fallbackMs: number) =>
  z
    .string()
    .trim()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined || s === '') return fallbackMs;
      const m = /^(\d+(?:\.\d+)?)\s*(s|m|min|h)?$/i.exec(s);
      const ms = m ? Number(m[1]) * DURATION_UNITS_MS[(m[2] ?? 'min').toLowerCase()]! : Number.NaN;
      if (!(ms >= minMs && ms <= maxMs)) {
        ctx.addIssue({
          code: 'custom',
          message: `expected minutes (30) or a duration such as 45m or 2h, from ${minMs / 60_000} min to ${maxMs / 3_600_000} h, got "${s}"`,
        });
        return z.NEVER;
      }
      return Math.round(ms);
    });

const schema = z.object({
  PORT: intInRange(0, 65535, 3000),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  DATABASE_URL: optionalUrl(['postgres:', 'postgresql:'], 'postgres://user@host:5432/watchtower'),
  REDIS_URL: optionalString.superRefine((s, ctx) => {
    if (s === undefined) return;
    try {
      parseRedisUrl(s);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
    }
  }),
  REDIS_PREFIX: z
    .string()
    .trim()
    .regex(/^[\w.:-]{1,64}$/, {
      message: 'expected 1 to 64 letters, digits, dots, colons or dashes, e.g. wt:',
    })
    .default('wt:'),
  WATCHTOWER_DATA_DIR: z.string().trim().min(1).default('.watchtower'),
  WATCHTOWER_ROLES: z
    .string()
    .trim()
    .default(ROLES.join(','))
    .transform((s, ctx) => {
      const roles = s
        .split(',')
        .map((r) => r.trim())
        .filter(Boolean);
      const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
      if (roles.length === 0 || unknown.length > 0) {
        ctx.addIssue({
          code: 'custom',
          message: `expected a comma-separated subset of ${ROLES.join(',')}${unknown.length ? `; unknown: ${unknown.join(',')}` : ''}`,
        });
        return z.NEVER;
      }
      return [...new Set(roles)] as Role[];
    }),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SLACK_BOT_TOKEN: optionalString.refine((s) => s === undefined || s.startsWith('xoxb-'), {
    message: 'expected a bot token starting with xoxb-',
  }),
  SLACK_APP_TOKEN: optionalString.refine((s) => s === undefined || s.startsWith('xapp-'), {
    message: 'expected an app-level token starting with xapp-',
  }),
  SLACK_API_URL: optionalUrl(['http:', 'https:'], 'https://slack.com/api/'),
  SLACK_ALERTS_CHANNEL: optionalString,
  SLACK_REPORTS_CHANNEL: optionalString,
  SLACK_ADMIN_USERS: z
    .string()
    .trim()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((u) => u.trim().toUpperCase())
        .filter(Boolean),
    )
    .refine((ids) => ids.every((id) => /^[UW][A-Z0-9]{2,}$/.test(id)), {
      message: 'expected comma-separated Slack user ids like U0123ABCD',
    }),
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: optionalUrl(['http:', 'https:'], 'https://api.openai.com/v1'),
  OPENAI_MODEL: z.string().trim().min(1).default('gpt-4.1-mini'),
  LOCONAV_WEBHOOK_SECRET: optionalString.refine((s) => s === undefined || s.length >= 16, {
    message: 'expected at least 16 characters',
  }),
  LOCONAV_WEBHOOK_TOKEN: optionalString.refine((s) => s === undefined || s.length >= 16, {
    message: 'expected at least 16 characters',
  }),
  LOCONAV_TIMEZONE: z
    .string()
    .trim()
    .default('Africa/Lagos')
    .refine(isValidTimeZone, { message: 'expected an IANA time zone such as Africa/Lagos' }),
  JWT_SECRET: optionalString.refine((s) => s === undefined || s.length >= 32, {
    message: 'expected at least 32 characters',
  }),
  GOOGLE_SHEETS_ID: optionalString,
  GOOGLE_SHEETS_RANGE: z.string().trim().min(1).default('Trucks!A1:Z'),
  GOOGLE_APPLICATION_CREDENTIALS: optionalString,
  SHUTDOWN_TIMEOUT_MS: intInRange(100, 60_000, 10_000),
  DATABASE_STUCK_AFTER_MS: intInRange(1_000, 3_600_000, 120_000),
  INGEST_SHARDS: intInRange(1, 256, 8),
  MAX_SPEED_KMH: intInRange(20, 1000, 200),
  OVERSPEED_LIMIT_KMH: intInRange(10, 300, 80),
  OVERSPEED_MIN_SECONDS: intInRange(0, 3600, 60),
  WATCHTOWER_SIMULATOR: z.enum(['auto', 'on', 'off']).default('auto'),
  API_RATE_LIMIT_PER_MINUTE: intInRange(1, 1_000_000, 1200),
  OFFLINE_AFTER: duration(60_000, 7 * 86_400_000, DEFAULT_OFFLINE_AFTER_MS),
  POSITIONS_RETENTION_DAYS: intInRange(1, 3650, 180),
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl(['http:', 'https:'], 'http://otel-collector:4318'),
});

type Parsed = z.infer<typeof schema>;

export interface Config {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  /** Prefix of every Redis key and stream, so several deployments can share one Redis. */
  redisPrefix: string;
  dataDir: string;
  roles: Role[];
  logLevel: Parsed['LOG_LEVEL'];
  slack: {
    botToken: string | undefined;
    appToken: string | undefined;
    apiUrl: string | undefined;
    alertsChannel: string | undefined;
    reportsChannel: string | undefined;
    /** Slack user ids made admins at start-up if they have no role yet. */
    adminUsers: string[];
  };
  openai: { apiKey: string | undefined; baseUrl: string | undefined; model: string };
  loconav: { webhookSecret: string | undefined; webhookToken: string | undefined; timeZone: string };
  jwtSecret: string | undefined;
  google: { sheetsId: string | undefined; sheetsRange: string; credentialsFile: string | undefined };
  shutdownTimeoutMs: number;
  /** A query or transaction in flight this long means a stuck pool: it is replaced (src/db/pool-keeper.ts). */
  databaseStuckAfterMs: number;
  ingest: {
    shards: number;
    maxSpeedKmh: number;
    /** A truck above this speed for at least overspeedMinS raises one overspeed alert. */
    overspeedLimitKmh: number;
    overspeedMinS: number;
  };
  /** auto: the Lagos demo fleet drives on an empty embedded database only. */
  simulator: 'auto' | 'on' | 'off';
  apiRateLimitPerMinute: number;
  jobs: {
    /** A truck with no fix for this long is reported offline (OFFLINE_AFTER). */
    offlineAfterMs: number;
    /** Day partitions of vehicle_positions older than this are dropped. */
    positionsRetentionDays: number;
  };
  telemetry: {
    /** OTLP/HTTP collector base URL (traces go to its /v1/traces); unset = tracing off. */
    otlpEndpoint: string | undefined;
  };
}

export class ConfigError extends Error {
  readonly code = 'WT_CONFIG';
  constructor(readonly problems: { variable: string; expected: string }[]) {
    super(
      `Watch Tower cannot start: fix ${problems.length === 1 ? 'this setting' : 'these settings'} — ` +
        problems.map((p) => `${p.variable}: ${p.expected}`).join('; '),
    );
    this.name = 'ConfigError';
  }
}

/** Reads the environment; throws ONE ConfigError naming every bad variable (never echoing a secret's value). */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const result = schema.safeParse(env);
  if (!result.success) {
    const byVariable = new Map<string, string>();
    for (const issue of result.error.issues) {
      const variable = String(issue.path[0] ?? 'environment');
      const expected =
        issue.code === 'invalid_value' ? `expected one of ${issue.values.join(', ')}` : issue.message;
      if (!byVariable.has(variable)) byVariable.set(variable, expected);
    }
    throw new ConfigError([...byVariable].map(([variable, expected]) => ({ variable, expected })));
  }
  const e = result.data;
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.REDIS_PREFIX,
    dataDir: e.WATCHTOWER_DATA_DIR,
    roles: e.WATCHTOWER_ROLES,
    logLevel: e.LOG_LEVEL,
    slack: {
      botToken: e.SLACK_BOT_TOKEN,
      appToken: e.SLACK_APP_TOKEN,
      apiUrl: e.SLACK_API_URL,
      alertsChannel: e.SLACK_ALERTS_CHANNEL,
      reportsChannel: e.SLACK_REPORTS_CHANNEL,
      adminUsers: e.SLACK_ADMIN_USERS,
    },
    openai: { apiKey: e.OPENAI_API_KEY, baseUrl: e.OPENAI_BASE_URL, model: e.OPENAI_MODEL },
    loconav: {
      webhookSecret: e.LOCONAV_WEBHOOK_SECRET,
      webhookToken: e.LOCONAV_WEBHOOK_TOKEN,
      timeZone: e.LOCONAV_TIMEZONE,
    },
    jwtSecret: e.JWT_SECRET,
    google: {
      sheetsId: e.GOOGLE_SHEETS_ID,
      sheetsRange: e.GOOGLE_SHEETS_RANGE,
      credentialsFile: e.GOOGLE_APPLICATION_CREDENTIALS,
    },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    databaseStuckAfterMs: e.DATABASE_STUCK_AFTER_MS,
    ingest: {
      shards: e.INGEST_SHARDS,
      maxSpeedKmh: e.MAX_SPEED_KMH,
      overspeedLimitKmh: e.OVERSPEED_LIMIT_KMH,
      overspeedMinS: e.OVERSPEED_MIN_SECONDS,
    },
    simulator: e.WATCHTOWER_SIMULATOR,
    apiRateLimitPerMinute: e.API_RATE_LIMIT_PER_MINUTE,
    jobs: { offlineAfterMs: e.OFFLINE_AFTER, positionsRetentionDays: e.POSITIONS_RETENTION_DAYS },
    telemetry: { otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT },
  };
}

export const hasRole = (config: Pick<Config, 'roles'>, role: Role) => config.roles.includes(role);
