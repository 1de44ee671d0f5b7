import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Agent, type AgentOptions, createAgent } from '../../src/agent/agent.ts';
import { getTrip, listTrips } from '../../src/db/trips.ts';
import type { Actor } from '../../src/fleet/actor.ts';
import { createLogger } from '../../src/log.ts';
import { FLEET_TOOLS } from '../../src/tools/index.ts';
import { loadSystemPrompt } from '../../src/tools/prompt.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { type FakeOpenAI, startFakeOpenAI, textOf, toolOutputs, userTexts } from '../support/fake-openai.ts';
import { grant, seedFleet } from '../support/fleet.ts';

/** Every trip, for counting what a test created. */
const ALL = { limit: 100, offset: 0 };

const KEY = 'sk-test-agent-key';
const ASKER: Actor = { principal: 'slack:U0DISPATCH', role: 'dispatcher', correlationId: 'c-1' };
const VIEWER: Actor = { principal: 'slack:U0VIEWER01', role: 'viewer' };
const OTHER_DISPATCHER: Actor = { principal: 'slack:U0OTHERDSP', role: 'dispatcher' };

let db: TestDb;
let openai: FakeOpenAI;
let systemPrompt: string;
let logLines: { level: number; msg: string; [k: string]: unknown }[];

beforeEach(async () => {
  db = await createTestDb();
  await seedFleet(db);
  await grant(db, ASKER.principal, 'dispatcher');
  openai = await startFakeOpenAI({ apiKey: KEY });
  systemPrompt = await loadSystemPrompt();
  logLines = [];
});

afterEach(async () => {
  await openai?.close();
  await db?.drop();
});

function agent(overrides: Partial<AgentOptions> = {}): Agent {
  return createAgent({
    sql: db.sql,
    logger: createLogger('warn', { write: (line: string) => void logLines.push(JSON.parse(line)) }),
    openai: { apiKey: KEY, baseUrl: openai.baseUrl, model: 'gpt-test' },
    tools: FLEET_TOOLS,
    systemPrompt,
    timeoutMs: 5_000,
    ...overrides,
  });
}

const toolEvents = () =>
  db.sql<{ actor: string; entity_id: string; payload: Record<string, unknown> }[]>`
    select actor, entity_id, payload from events where type = 'agent.tool_call' order by id`;

/** The tool output the model was given in the last request, parsed. */
const lastToolOutput = () => {
  const outputs = Object.values(toolOutputs(openai.requests.at(-1)!));
  return JSON.parse(outputs.at(-1) ?? 'null') as {
    ok: boolean;
    data?: unknown;
    error?: string;
    hint?: string;
  };
};

describe('asking the agent', () => {
  it('calls a tool against the real fleet, gives the model its result, and answers with what the model said', async () => {
    openai.script({ tool: 'get_truck_location', args: { truck: 'KJA-123XY' } }, (req) => ({
      text: `KJA-123XY is parked (${JSON.stringify(toolOutputs(req)).includes('Apapa Port')})`,
    }));

    const reply = await agent().ask({ threadId: 'T1:C1:1.0', text: 'where is KJA-123XY?', actor: ASKER });

    expect(reply).toMatchObject({ kind: 'answer', text: 'KJA-123XY is parked (true)' });
    const [first, second] = openai.requests;
    expect(first?.model).toBe('gpt-test');
    expect(first?.authorization).toBe(`Bearer ${KEY}`);
    expect(first?.tools.map((t) => t.name)).toEqual(FLEET_TOOLS.map((t) => t.name));
    expect(textOf(first?.input[0]?.content)).toContain('You are Watch Tower');
    expect(userTexts(first!)[0]).toMatch(
      /^\[Now in Lagos: \w+day \d{4}-\d\d-\d\d \d\d:\d\d\]\nwhere is KJA-123XY\?$/,
    );
    expect(lastToolOutput()).toMatchObject({
      ok: true,
      data: { truck: 'KJA-123XY', place: { in: 'Apapa Port' } },
    });
    expect(second?.stream).toBe(false);
  });

  it('streams the answer as it arrives when asked to, ending with the whole text', async () => {
    openai.script({ text: 'Three trucks dey for Apapa, all parked.' });
    const seen: string[] = [];

    const reply = await agent().ask({
      threadId: 'T1:C1:2.0',
      text: 'how many trucks dey Apapa?',
      actor: ASKER,
      onText: (soFar) => seen.push(soFar),
    });

    expect(openai.requests[0]?.stream).toBe(true);
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.at(-1)).toBe('Three trucks dey for Apapa, all parked.');
    expect(seen[0]!.length).toBeLessThan(seen.at(-1)!.length);
    expect(reply).toMatchObject({ kind: 'answer', text: 'Three trucks dey for Apapa, all parked.' });
  });

  it('records every tool call as an agent.tool_call event: who asked, tool, arguments, result size, latency', async () => {
    openai.script(
      {
        tools: [
          { tool: 'get_truck_location', args: { truck: 'KJA-123XY' } },
          { tool: 'list_geofences', args: {} },
        ],
      },
      { text: 'Done.' },
    );

    await agent().ask({
      threadId: 'T1:C1:3.0',
      text: 'where is KJA-123XY and what places do we have?',
      actor: ASKER,
    });

    const events = await toolEvents();
    expect(events.map((e) => e.payload.tool)).toEqual(['get_truck_location', 'list_geofences']);
    for (const e of events) {
      expect(e.actor).toBe(ASKER.principal);
      expect(e.entity_id).toBe('T1:C1:3.0');
      expect(e.payload).toMatchObject({ outcome: 'ok' });
      expect(e.payload.result_bytes).toBeGreaterThan(10);
      expect(typeof e.payload.latency_ms).toBe('number');
    }
    expect(events[0]?.payload.args).toEqual({ truck: 'KJA-123XY' });
  });

  it('hands a hallucinated truck back to the model as an error with close matches, and the model answers', async () => {
    openai.script({ tool: 'get_truck_location', args: { truck: 'KJA-124XY' } }, (req) => {
      const output = JSON.parse(Object.values(toolOutputs(req))[0] ?? '{}') as {
        error?: string;
        hint?: string;
      };
      return { text: `I could not find that truck: ${output.error} ${output.hint}` };
    });

    const reply = await agent().ask({ threadId: 'T1:C1:4.0', text: 'where is KJA-124XY', actor: ASKER });

    expect(lastToolOutput()).toMatchObject({ ok: false, error: expect.stringContaining('KJA-124XY') });
    expect(reply.kind).toBe('answer');
    expect(reply.kind === 'answer' && reply.text).toContain('KJA-123XY');
    expect((await toolEvents())[0]?.payload).toMatchObject({ tool: 'get_truck_location', outcome: 'error' });
  });

  it('answers a call to a tool that does not exist with the tools that do', async () => {
    openai.script({ tool: 'teleport_truck', args: { truck: 'KJA-123XY' } }, { text: 'I cannot do that.' });

    const reply = await agent().ask({
      threadId: 'T1:C1:5.0',
      text: 'teleport KJA-123XY to Ikeja',
      actor: ASKER,
    });

    expect(lastToolOutput()).toMatchObject({ ok: false, error: 'There is no tool named teleport_truck.' });
    expect(reply).toMatchObject({ kind: 'answer', text: 'I cannot do that.' });
  });
});

describe('thread memory', () => {
  it('remembers the first question when the second is asked in the same thread, and not in another thread', async () => {
    openai.script(
      { text: 'KJA-123XY is at Apapa.' },
      { text: 'It has been there 2 minutes.' },
      { text: 'Which truck?' },
    );
    const a = agent();

    await a.ask({ threadId: 'T1:C1:6.0', text: 'where is KJA-123XY?', actor: ASKER });
    await a.ask({ threadId: 'T1:C1:6.0', text: 'since when?', actor: ASKER });
    await a.ask({ threadId: 'T1:C1:7.0', text: 'since when?', actor: ASKER });

    const second = openai.requests[1]!;
    expect(userTexts(second).map((t) => t.split('\n')[1])).toEqual(['where is KJA-123XY?', 'since when?']);
    expect(
      second.input.some((i) => i.role === 'assistant' && textOf(i.content) === 'KJA-123XY is at Apapa.'),
    ).toBe(true);
    expect(userTexts(openai.requests[2]!).map((t) => t.split('\n')[1])).toEqual(['since when?']);
  });

  it('keeps a thread across a restart: a new agent on the same database continues it', async () => {
    openai.script(
      { tool: 'get_truck_location', args: { truck: 'KJA-123XY' } },
      { text: 'KJA-123XY is at Apapa.' },
      { text: 'Yes, still there.' },
    );
    await agent().ask({ threadId: 'T1:C1:8.0', text: 'where is KJA-123XY?', actor: ASKER });

    const restarted = agent();
    const reply = await restarted.ask({ threadId: 'T1:C1:8.0', text: 'still there?', actor: ASKER });

    expect(reply).toMatchObject({ kind: 'answer', text: 'Yes, still there.' });
    const third = openai.requests[2]!;
    expect(userTexts(third).map((t) => t.split('\n')[1])).toEqual(['where is KJA-123XY?', 'still there?']);
    expect(Object.keys(toolOutputs(third))).toHaveLength(1);
  });
});

describe('limited mode', () => {
  it('answers with the router and says so when there is no OpenAI key, without calling OpenAI', async () => {
    const a = agent({ openai: { apiKey: undefined, baseUrl: openai.baseUrl, model: 'gpt-test' } });

    const reply = await a.ask({ threadId: 'T1:C1:9.0', text: 'where is KJA-123XY?', actor: ASKER });

    expect(a.mode).toBe('limited');
    expect(reply).toMatchObject({ kind: 'limited', reason: 'not_configured' });
    const text = reply.kind === 'limited' ? reply.message.text : '';
    expect(text).toMatch(/^KJA-123XY: Inside Apapa Port/);
    expect(text).toContain('The assistant is in limited mode (no OpenAI key is configured)');
    expect(openai.requests).toHaveLength(0);
  });

  it('falls back to the router when OpenAI takes longer than the timeout', async () => {
    openai.script({ stall: true }, { stall: true });
    const a = agent({ timeoutMs: 300 });

    const reply = await a.ask({ threadId: 'T1:C1:10.0', text: 'where is KJA-123XY?', actor: ASKER });

    expect(reply).toMatchObject({ kind: 'limited', reason: 'timeout' });
    expect(reply.kind === 'limited' && reply.message.text).toMatch(/^KJA-123XY: Inside Apapa Port/);
    expect(reply.kind === 'limited' && reply.message.text).toContain('the AI service did not answer in time');
    expect(logLines.find((l) => l.msg === 'agent fell back to limited mode')).toMatchObject({
      reason: 'timeout',
    });
    expect(JSON.stringify(logLines)).not.toContain(KEY);
  });

  it('falls back to the router when OpenAI fails, and the thread still works once it is back', async () => {
    openai.script({ status: 500 }, { status: 500 }, { text: 'Back again.' });
    const a = agent();

    const failed = await a.ask({ threadId: 'T1:C1:11.0', text: 'fleet', actor: ASKER });
    const next = await a.ask({ threadId: 'T1:C1:11.0', text: 'hello?', actor: ASKER });

    expect(failed).toMatchObject({ kind: 'limited', reason: 'error' });
    expect(failed.kind === 'limited' && failed.message.text).toMatch(/^Fleet at \d\d:\d\d/);
    expect(next).toMatchObject({ kind: 'answer', text: 'Back again.' });
  });
});

describe('writes wait for a human', () => {
  const book = {
    tool: 'create_trip',
    args: { truck: 'KJA-123XY', origin: 'Apapa Port', destination: 'Dangote Ibese' },
  };

  it('stops at a preview without creating anything, then creates the trip when the asker confirms', async () => {
    openai.script(book, (req) => ({
      text: `Booked: ${JSON.stringify(JSON.parse(Object.values(toolOutputs(req))[0]!).data)}`,
    }));
    const a = agent();

    const reply = await a.ask({
      threadId: 'T1:C1:12.0',
      text: 'book KJA-123XY Apapa to Ibese',
      actor: ASKER,
    });

    expect(reply.kind).toBe('confirm');
    if (reply.kind !== 'confirm') return;
    expect(reply.confirmation).toMatchObject({
      tool: 'create_trip',
      askedBy: ASKER.principal,
      status: 'pending',
      summary: expect.stringContaining('Apapa Port to Dangote Ibese'),
    });
    expect(await listTrips(db.sql, ALL)).toEqual([]);
    expect(openai.requests).toHaveLength(1);

    const outcome = await a.decide({ confirmationId: reply.confirmation.id, actor: ASKER, approve: true });

    expect(outcome).toMatchObject({
      kind: 'decided',
      confirmation: { status: 'confirmed', decidedBy: ASKER.principal },
    });
    const trips = await listTrips(db.sql, ALL);
    expect(trips).toHaveLength(1);
    expect(trips[0]).toMatchObject({ createdBy: ASKER.principal });
    expect(outcome.kind === 'decided' && outcome.reply).toMatchObject({
      kind: 'answer',
      text: expect.stringContaining('TRP-000001'),
    });
    const events = await toolEvents();
    expect(events.map((e) => e.payload)).toEqual([
      expect.objectContaining({ tool: 'create_trip', outcome: 'ok', confirmed_by: ASKER.principal }),
    ]);
  });

  it('refuses a viewer who did not ask, saying who can, and lets another dispatcher confirm', async () => {
    openai.script(book, { text: 'Booked.' });
    const a = agent();
    const reply = await a.ask({ threadId: 'T1:C1:13.0', text: 'book it', actor: ASKER });
    const id = reply.kind === 'confirm' ? reply.confirmation.id : '';

    await expect(a.decide({ confirmationId: id, actor: VIEWER, approve: true })).rejects.toMatchObject({
      code: 'WT_FORBIDDEN',
      message:
        'Only <@U0DISPATCH> (who asked) or a dispatcher or admin can confirm or cancel this; you are a viewer.',
    });
    expect(await listTrips(db.sql, ALL)).toEqual([]);

    await grant(db, OTHER_DISPATCHER.principal, 'dispatcher');
    const outcome = await a.decide({ confirmationId: id, actor: OTHER_DISPATCHER, approve: true });
    expect(outcome.kind).toBe('decided');
    expect((await listTrips(db.sql, ALL))[0]?.createdBy).toBe(OTHER_DISPATCHER.principal);
    // A second click on the same preview changes nothing more.
    expect(await a.decide({ confirmationId: id, actor: ASKER, approve: true })).toMatchObject({
      kind: 'already',
      confirmation: { status: 'confirmed', decidedBy: OTHER_DISPATCHER.principal },
    });
    expect(await listTrips(db.sql, ALL)).toHaveLength(1);
  });

  it('cancels without running the write or asking the model again', async () => {
    openai.script(book);
    const a = agent();
    const reply = await a.ask({ threadId: 'T1:C1:14.0', text: 'book it', actor: ASKER });
    const id = reply.kind === 'confirm' ? reply.confirmation.id : '';

    const outcome = await a.decide({ confirmationId: id, actor: ASKER, approve: false });

    expect(outcome).toMatchObject({ kind: 'decided', confirmation: { status: 'cancelled' } });
    expect(outcome.kind === 'decided' && outcome.reply).toMatchObject({
      kind: 'answer',
      text: expect.stringMatching(/^Cancelled; nothing changed\./),
    });
    expect(await listTrips(db.sql, ALL)).toEqual([]);
    expect(openai.requests).toHaveLength(1);
    expect((await toolEvents())[0]?.payload).toMatchObject({
      tool: 'create_trip',
      outcome: 'declined',
      confirmed_by: null,
    });
  });

  it('says a preview expired when it is confirmed too late, and changes nothing', async () => {
    openai.script(book);
    let clock = new Date();
    const a = agent({ now: () => clock, confirmTtlMs: 60_000 });
    const reply = await a.ask({ threadId: 'T1:C1:15.0', text: 'book it', actor: ASKER });
    const id = reply.kind === 'confirm' ? reply.confirmation.id : '';
    clock = new Date(clock.getTime() + 61_000);

    const outcome = await a.decide({ confirmationId: id, actor: ASKER, approve: true });

    expect(outcome).toMatchObject({ kind: 'expired', confirmation: { status: 'expired' } });
    expect(await listTrips(db.sql, ALL)).toEqual([]);
  });

  it('turns down a waiting preview when a newer question comes in the same thread, keeping the history whole', async () => {
    openai.script(book, { text: 'KJA-123XY is at Apapa.' });
    const a = agent();
    const first = await a.ask({ threadId: 'T1:C1:16.0', text: 'book it', actor: ASKER });

    const second = await a.ask({ threadId: 'T1:C1:16.0', text: 'actually, where is it?', actor: ASKER });

    expect(second).toMatchObject({ kind: 'answer', superseded: [{ status: 'superseded' }] });
    expect(first.kind === 'confirm' && (await a.getConfirmation(first.confirmation.id))?.status).toBe(
      'superseded',
    );
    const outputs = Object.values(toolOutputs(openai.requests[1]!));
    expect(JSON.parse(outputs[0]!)).toMatchObject({
      ok: false,
      error: 'Not done: the write was superseded.',
    });
    expect(await listTrips(db.sql, ALL)).toEqual([]);
  });

  it('sends a write with an unknown truck back to the model without asking anyone', async () => {
    openai.script(
      { tool: 'create_trip', args: { truck: 'KJA-999ZZ', origin: 'Apapa Port', destination: 'Ikeja Depot' } },
      { text: 'Which truck did you mean?' },
    );

    const reply = await agent().ask({ threadId: 'T1:C1:17.0', text: 'book KJA-999ZZ', actor: ASKER });

    expect(reply).toMatchObject({ kind: 'answer', text: 'Which truck did you mean?' });
    expect(lastToolOutput()).toMatchObject({ ok: false, error: expect.stringContaining('KJA-999ZZ') });
    expect(await db.sql`select * from agent_confirmations`).toHaveLength(0);
    expect(await getTrip(db.sql, 'TRP-000001')).toBeUndefined();
  });
});
