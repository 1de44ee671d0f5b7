import postgres from 'postgres';
import type { Logger } from '../log.ts';
import { redactUrl } from '../log.ts';
import { startEmbeddedPostgres } from './embedded.ts';
import { keepPool } from './pool-keeper.ts';

export type Sql = postgres.Sql;
export type TxSql = postgres.TransactionSql;

export interface Db {
  sql: Sql;
  /** True when running on the embedded PGlite server (one connection, no LISTEN/NOTIFY, no COPY). */
  embedded: boolean;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface DbOptions {
  databaseUrl: string | undefined;
  dataDir: string;
  logger: Logger;
  poolSize?: number;
  /** See PoolKeeperOptions.stuckAfterMs. */
  stuckAfterMs?: number;
}

export function connect(url: string, max: number): Sql {
  return postgres(url, {
    max,
    idle_timeout: 60,
    connect_timeout: 10,
    onnotice: () => {},
    // bigint ids and counts come back as JS numbers; our sequences and counts stay far below 2^53.
    types: {
      bigint: {
        to: 20,
        from: [20],
        serialize: (n: number | bigint) => String(n),
        parse: (s: string) => Number(s),
      },
    },
    transform: { undefined: null },
  });
}

export async function createDb(opts: DbOptions): Promise<Db> {
  if (opts.databaseUrl) {
    opts.logger.info({ database: redactUrl(opts.databaseUrl) }, 'database: PostgreSQL');
    const url = opts.databaseUrl;
    const pool = keepPool({
      make: () => connect(url, opts.poolSize ?? 10),
      logger: opts.logger,
      stuckAfterMs: opts.stuckAfterMs,
    });
    const sql = pool.sql;
    return {
      sql,
      embedded: false,
      ping: async () => {
        await sql`select 1`;
      },
      close: () => pool.end({ timeout: 5 }),
    };
  }
  const embedded = await startEmbeddedPostgres(opts.dataDir, opts.logger);
  // The embedded server multiplexes one PGlite session: one pooled connection is all it can serve safely.
  const sql = connect(embedded.url, 1);
  return {
    sql,
    embedded: true,
    ping: async () => {
      await sql`select 1`;
    },
    close: async () => {
      await sql.end({ timeout: 5 });
      await embedded.stop();
    },
  };
}
