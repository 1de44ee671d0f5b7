import { spawn } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAgent } from '../../src/agent/agent.ts';
import { consoleChat } from '../../src/bot/console-chat.ts';
import { createLogger } from '../../src/log.ts';
import { FLEET_TOOLS } from '../../src/tools/index.ts';
import { loadSystemPrompt } from '../../src/tools/prompt.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { type FakeOpenAI, startFakeOpenAI, userTexts } from '../support/fake-openai.ts';
import { seedFleet } from '../support/fleet.ts';

let db: TestDb;

beforeEach(async () => {
  db = await createTestDb();
  await seedFleet(db);
});

afterEach(async () => {
  await db?.drop();
});

describe('the console chat', () => {
  it('answers typed lines through the agent, remembering the conversation', async () => {
    const openai: FakeOpenAI = await startFakeOpenAI({ apiKey: 'sk-test-console' });
    try {
      openai.script(
        { tool: 'get_truck_location', args: { truck: 'KJA-123XY' } },
        { text: 'KJA-123XY dey for Apapa Port.' },
        {
          text: 'Two minutes ago.',
        },
      );
      const agent = createAgent({
        sql: db.sql,
        logger: createLogger('silent'),
        openai: { apiKey: 'sk-test-console', baseUrl: openai.baseUrl, model: 'gpt-test' },
        tools: FLEET_TOOLS,
        systemPrompt: await loadSystemPrompt(),
      });
      const chat = consoleChat({ sql: db.sql, logger: createLogger('silent'), agent });

      expect(await chat.ask('abeg where KJA-123XY dey?')).toEqual(['KJA-123XY dey for Apapa Port.']);
      expect(await chat.ask('since when?')).toEqual(['Two minutes ago.']);
      // The second request carried the first question: one thread.
      expect(userTexts(openai.requests.at(-1)!).join('\n')).toContain('abeg where KJA-123XY dey?');
    } finally {
      await openai.close();
    }
  });

  it('runs as `npm run chat` and answers in limited mode without an OpenAI key', async () => {
    const child = spawn('npx', ['tsx', 'src/bot/chat-cli.ts'], {
      env: { ...process.env, DATABASE_URL: db.url, OPENAI_API_KEY: '', REDIS_URL: '', LOG_LEVEL: 'silent' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.stdin.end('where is KJA-123XY?\nfleet\n');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));

    expect(code).toBe(0);
    expect(out).toContain('limited mode: no OPENAI_API_KEY');
    expect(out).toMatch(/watchtower> KJA-123XY: Inside Apapa Port/);
    expect(out).toContain('The assistant is in limited mode');
    expect(out).toMatch(/watchtower> .*truck/i);
  }, 60_000);
});
