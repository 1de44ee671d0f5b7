import type { KnownBlock } from '@slack/types';
import { type SlackBot, type SlackBotOptions, startSlackBot } from '../../src/bot/app.ts';
import type { UserRole } from '../../src/fleet/actor.ts';
import { systemActor } from '../../src/fleet/actor.ts';
import { createTrip, type TripView } from '../../src/fleet/trips.ts';
import { createLogger } from '../../src/log.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.ts';
import { seedFleet } from '../support/fleet.ts';

// The whole bot as it runs: startSlackBot (a real Bolt app in Socket Mode) against the local fake Slack and a
// real PostgreSQL database, seeded through the use cases.

export const CHANNEL = 'C0OPS00001';
export const DISPATCHER = 'U0DISPATCH';
export const VIEWER = 'U0VIEWER01';

export interface Harness {
  fake: FakeSlack;
  db: TestDb;
  bot: SlackBot;
  /** KJA-123XY's planned trip, TRP-000001, Apapa Port → Ikeja Depot. */
  trip: TripView;
  /** Every log line the bot wrote at warn or above. */
  problems: { level: number; msg: string }[];
  stop(): Promise<void>;
}

export interface HarnessOptions {
  /** More bot options (an agent, say), made once the database is seeded. */
  bot?: (db: TestDb) => Partial<SlackBotOptions>;
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const db = await createTestDb();
  const seeder = systemActor('test-seed');
  await seedFleet(db);
  const trip = await createTrip(db.sql, seeder, {
    truck: 'KJA-123XY',
    origin: 'Apapa Port',
    destination: 'Ikeja Depot',
    client: 'Dangote Cement',
  });
  await grantRole(db, DISPATCHER, 'dispatcher');

  const fake = await startFakeSlack({ botToken: 'xoxb-test', appToken: 'xapp-test-token' });
  const problems: Harness['problems'] = [];
  const logger = createLogger('warn', {
    write: (line: string) => {
      problems.push(JSON.parse(line) as { level: number; msg: string });
    },
  });
  const bot = await startSlackBot({
    config: {
      slack: {
        botToken: 'xoxb-test',
        appToken: 'xapp-test-token',
        apiUrl: fake.apiUrl,
        alertsChannel: undefined,
        reportsChannel: undefined,
        adminUsers: [],
      },
    },
    sql: db.sql,
    logger,
    ...opts.bot?.(db),
  });
  return {
    fake,
    db,
    bot,
    trip,
    problems,
    async stop() {
      // The fake's notes: stop the app first, and wait for its socket to close before closing the fake.
      await bot.stop();
      await fake.waitForConnections(0);
      await fake.close();
      await db.drop();
    },
  };
}

export async function grantRole(db: TestDb, userId: string, role: UserRole): Promise<void> {
  await db.sql`
    insert into roles (principal, role, updated_by) values (${`slack:${userId}`}, ${role}, 'test')
    on conflict (principal) do update set role = excluded.role`;
}

/** Every text in blocks (sections, fields, context, headers), for asserting on what a card says. */
export function blockText(blocks: unknown[] | undefined): string {
  const out: string[] = [];
  const visit = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.text === 'string') out.push(o.text);
      for (const [k, child] of Object.entries(o)) if (k !== 'text' || typeof child !== 'string') visit(child);
    }
  };
  visit(blocks);
  return out.join('\n');
}

export interface Button {
  action_id: string;
  value: string;
  block_id: string;
}

/** The status buttons of a card, as Slack sends them back with their block_id. */
export function buttons(blocks: unknown[] | undefined): Button[] {
  return ((blocks ?? []) as KnownBlock[]).flatMap((b) =>
    b.type === 'actions'
      ? b.elements.flatMap((e) =>
          e.type === 'button' && e.action_id && e.value
            ? [{ action_id: e.action_id, value: e.value, block_id: b.block_id ?? '' }]
            : [],
        )
      : [],
  );
}
