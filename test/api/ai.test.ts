import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAgent } from '../../src/agent/agent.ts';
import { apiAuth, signToken } from '../../src/api/auth.ts';
import { aiRoutes } from '../../src/api/routes/ai.ts';
import { build } from '../../src/api/server.ts';
import { MemoryBus } from '../../src/bus/memory.ts';
import type { Db } from '../../src/db/client.ts';
import { listTrips } from '../../src/db/trips.ts';
import { createLogger } from '../../src/log.ts';
import { createMetrics } from '../../src/metrics.ts';
import { FLEET_TOOLS } from '../../src/tools/index.ts';
import { loadSystemPrompt } from '../../src/tools/prompt.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { type FakeOpenAI, startFakeOpenAI, toolOutputs, userTexts } from '../support/fake-openai.ts';
import { seedFleet } from '../support/fleet.ts';

/** Every trip, for counting what a test created. */
const ALL = { limit: 100, offset: 0 };

const SECRET = 'ai-tests-secret-0123456789abcdefghij';
const KEY = 'sk-test-api-agent';
type Role = 'viewer' | 'dispatcher' | 'admin';
const auth = (sub: string, role: Role) => ({ authorization: `Bearer ${signToken(SECRET, { sub, role })}` });
const dashboard = auth('dashboard', 'dispatcher');

describe('the assistant over REST', () => {
  let testDb: TestDb;
  let app: FastifyInstance;
  let openai: FakeOpenAI;

  beforeAll(async () => {
    testDb = await createTestDb();
    await seedFleet(testDb);
    openai = await startFakeOpenAI({ apiKey: KEY });
    const db: Db = { sql: testDb.sql, embedded: false, ping: async () => {}, close: async () => {} };
    const agent = createAgent({
      sql: testDb.sql,
      logger: createLogger('silent'),
      openai: { apiKey: KEY, baseUrl: openai.baseUrl, model: 'gpt-test' },
      tools: FLEET_TOOLS,
      systemPrompt: await loadSystemPrompt(),
    });
    app = await build({
      db,
      bus: new MemoryBus(),
      logger: createLogger('silent'),
      metrics: createMetrics(),
      plugins: [apiAuth({ jwtSecret: SECRET }), aiRoutes({ agent })],
    });
  });

  beforeEach(() => {
    expect(openai.remaining()).toBe(0);
  });

  afterAll(async () => {
    await app?.close();
    await openai?.close();
    await testDb?.drop();
  });

  const query = (payload: unknown, headers: Record<string, string> = dashboard) =>
    app.inject({ method: 'POST', url: '/api/v1/ai/query', headers, payload: payload as object });
  const confirm = (id: string, payload: unknown = {}, headers: Record<string, string> = dashboard) =>
    app.inject({ method: 'POST', url: `/api/v1/ai/confirm/${id}`, headers, payload: payload as object });

  it('answers a question and returns a thread id that continues the conversation', async () => {
    openai.script({ text: 'KJA-123XY is at Apapa.' }, { text: 'Since 2 minutes.' });

    const first = await query({ text: 'where is KJA-123XY?' });
    expect(first.statusCode).toBe(200);
    const body = first.json();
    expect(body).toMatchObject({ answer: 'KJA-123XY is at Apapa.', limited: false });
    expect(body.thread_id).toMatch(/^[0-9a-f-]{36}$/);

    const second = await query({ text: 'since when?', thread_id: body.thread_id });
    expect(second.json()).toMatchObject({ answer: 'Since 2 minutes.', thread_id: body.thread_id });
    expect(userTexts(openai.requests.at(-1)!)).toHaveLength(2);
  });

  it('keeps one client out of another client’s thread with the same id', async () => {
    openai.script({ text: 'one' }, { text: 'two' });
    await query({ text: 'first', thread_id: 'shared-1' });

    await query({ text: 'second', thread_id: 'shared-1' }, auth('other-tool', 'viewer'));

    expect(userTexts(openai.requests.at(-1)!)).toHaveLength(1);
  });

  it('refuses bad bodies with a 400 naming the field, and no token with 401', async () => {
    const missing = await query({});
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error).toMatchObject({
      code: 'WT_VALIDATION',
      message: expect.stringContaining('text:'),
    });
    const extra = await query({ text: 'hi', colour: 'red' });
    expect(extra.json().error.message).toContain('unknown field colour; expected text, thread_id');
    const badThread = await query({ text: 'hi', thread_id: 'no spaces allowed' });
    expect(badThread.json().error.message).toContain('thread_id:');
    expect((await query({ text: 'hi' }, {})).statusCode).toBe(401);
  });

  it('returns a write as pending with a confirm id; a confirm by a token whose role cannot plan trips changes nothing', async () => {
    openai.script(
      { tool: 'create_trip', args: { truck: 'LND-456AB', origin: 'Apapa Port', destination: 'Ikeja Depot' } },
      (req) => ({ text: `Refused: ${Object.values(toolOutputs(req))[0]}` }),
    );

    const asked = await query({ text: 'book LND-456AB Apapa to Ikeja' });
    const pending = asked.json().pending;
    expect(pending).toMatchObject({
      tool: 'create_trip',
      summary: expect.stringContaining('Apapa Port to Ikeja Depot'),
    });
    expect(await listTrips(testDb.sql, ALL)).toEqual([]);

    // The same client (api:dashboard, so the asker) with a viewer token: the write runs as the confirmer,
    // and the use case refuses a viewer; the model hears why.
    const viewer = await confirm(pending.confirm_id, {}, auth('dashboard', 'viewer'));

    expect(viewer.statusCode).toBe(200);
    expect(viewer.json()).toMatchObject({
      status: 'confirmed',
      answer: expect.stringContaining('Only a dispatcher or admin can'),
    });
    expect(await listTrips(testDb.sql, ALL)).toEqual([]);
  });

  it('runs a confirmed write with the confirming dispatcher, and answers 409 when confirmed again', async () => {
    openai.script(
      {
        tool: 'create_trip',
        args: { truck: 'LND-456AB', origin: 'Apapa Port', destination: 'Dangote Ibese' },
      },
      { text: 'Planned.' },
    );
    const before = (await listTrips(testDb.sql, ALL)).length;
    const pending = (await query({ text: 'book LND-456AB Apapa to Ibese' })).json().pending;

    const done = await confirm(pending.confirm_id);
    const again = await confirm(pending.confirm_id);

    expect(done.json()).toMatchObject({ status: 'confirmed', answer: 'Planned.' });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.message).toBe(
      'This write was already confirmed by api:dashboard; nothing more was done.',
    );
    expect((await listTrips(testDb.sql, ALL)).length).toBe(before + 1);
  });

  it('cancels with approve false, and hides another client’s pending write as 404', async () => {
    openai.script({ tool: 'cancel_trip', args: { trip: 'TRP-000001', reason: 'client called off' } });
    const pending = (await query({ text: 'cancel TRP-000001, client called off' })).json().pending;

    const other = await confirm(pending.confirm_id, {}, auth('other-tool', 'admin'));
    expect(other.statusCode).toBe(404);
    const cancelled = await confirm(pending.confirm_id, { approve: false });
    expect(cancelled.json()).toMatchObject({
      status: 'cancelled',
      answer: expect.stringMatching(/^Cancelled; nothing changed/),
    });
    expect((await confirm('not-a-uuid')).statusCode).toBe(404);
    expect((await confirm(pending.confirm_id, { approve: 'yes' })).json().error.message).toContain(
      'approve:',
    );
  });
});
