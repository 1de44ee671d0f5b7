// `npm run chat`: talk to Watch Tower in the terminal, as you would in a Slack DM. Uses DATABASE_URL when
// set, else the embedded database (with the Lagos demo fleet when it is empty; stop `npm start` first, the
// embedded database has one owner). `npm run chat -- --as U0123ABCD` acts as that Slack user and role.

import { createInterface } from 'node:readline/promises';
import { createFleetAgent } from '../agent/fleet-agent.ts';
import { ConfigError, loadConfig } from '../config.ts';
import { createDb } from '../db/client.ts';
import { migrate } from '../db/migrate.ts';
import { createLogger } from '../log.ts';
import { seedDemoFleetIfEmpty } from '../sim/demo.ts';
import { consoleChat } from './console-chat.ts';

const as = process.argv.indexOf('--as');
const user = as >= 0 ? process.argv[as + 1]?.toUpperCase() : undefined;
if (as >= 0 && !user?.match(/^[UW][A-Z0-9]{2,}$/)) {
  process.stderr.write('--as takes a Slack user id, e.g. npm run chat -- --as U0123ABCD\n');
  process.exit(2);
}

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(process.env);
} catch (err) {
  process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`);
  process.exit(2);
}
const logger = createLogger(process.env.LOG_LEVEL ?? 'warn');
const db = await createDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger });
await migrate(db.sql, logger);
if (db.embedded) await seedDemoFleetIfEmpty(db.sql, logger);
const agent = await createFleetAgent({ sql: db.sql, logger, openai: config.openai });
const chat = consoleChat({ sql: db.sql, logger, agent, user });

const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
process.stdout.write(
  `Watch Tower console (${agent.mode === 'llm' ? `model ${config.openai.model}` : 'limited mode: no OPENAI_API_KEY'}). ` +
    'Ask as you would in Slack ("where is KJA-123XY?", "fleet", "help"); an empty line or Ctrl-D quits.\n',
);
process.stdout.write('you> ');
// Lines are read as they come (typed, or piped in); each is answered before the next is taken.
for await (const line of rl) {
  if (line.trim() === '') break;
  for (const text of await chat.ask(line)) process.stdout.write(`watchtower> ${text}\n`);
  process.stdout.write('you> ');
}
process.stdout.write('\n');
rl.close();
await db.close();
