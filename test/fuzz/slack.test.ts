import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNEXPECTED } from '../../src/bot/errors.ts';
import { answer, parseIntent } from '../../src/bot/router.ts';
import { isAppError } from '../../src/errors.ts';
import { CHANNEL, DISPATCHER, type Harness, startHarness, VIEWER } from '../bot/harness.ts';
import { INJECTIONS, nastyString, runs, unstorableString } from './inputs.ts';

// What people type into Slack reaches the fleet through two parsers: the slash commands' own words, and the
// router that reads mentions and DMs. Both get commands and sentences whose words are right, wrong, injection
// payloads or unstorable text. Every slash command answers through its response_url with a sentence of its
// own (never "something went wrong on our side", which is Slack's 500), nothing is logged as an error, and
// the router's answer to any text is a message or an AppError, never anything else.

const COMMANDS: Record<string, string[]> = {
  '/truck': ['', 'help', 'KJA-123XY', 'kja 123xy', 'LND-456AB', 'KJA-124XY'],
  '/trip': [
    '',
    'help',
    'status',
    'show',
    'list',
    'list active',
    'list today',
    'list KJA-123XY',
    'TRP-000001',
    '1',
  ],
  '/fleet': ['', 'help'],
  '/report': [
    '',
    'help',
    'daily',
    'daily yesterday',
    'tat',
    'tat 2025-03-01 2025-03-07',
    'utilization today',
  ],
  '/watchtower': ['', 'help', 'roles', 'role', `role <@${VIEWER}>`, `role <@${VIEWER}> viewer`],
};

const word = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom('KJA-123XY', 'TRP-000001', 'today', '2025-03-01', 'Apapa', `<@${VIEWER}>`),
  },
  { weight: 2, arbitrary: nastyString },
  { weight: 2, arbitrary: unstorableString },
  { weight: 1, arbitrary: fc.constantFrom(...INJECTIONS) },
);

/** A command's text: one of its own forms, that with a wrong word added, or any words at all. */
const textFor = (command: string) =>
  fc.oneof(
    fc.constantFrom(...COMMANDS[command]!),
    fc.tuple(fc.constantFrom(...COMMANDS[command]!), word).map(([form, w]) => `${form} ${w}`),
    fc.array(word, { minLength: 1, maxLength: 3 }).map((ws) => ws.join(' ')),
  );

describe('Slack input under fuzzing', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  }, 60_000);

  afterAll(async () => {
    await h?.stop();
  });

  async function command(name: string, text: string) {
    const before = h.fake.calls.filter((c) => c.method === 'response_url').length;
    await h.fake.sendSlashCommand({ command: name, text, user_id: DISPATCHER, channel_id: CHANNEL });
    await h.fake.waitForCall(
      'response_url',
      () => h.fake.calls.filter((c) => c.method === 'response_url').length > before,
    );
    const responses = h.fake.calls.filter((c) => c.method === 'response_url');
    return responses[before]!.args as { text?: string };
  }

  describe.each(Object.keys(COMMANDS))('%s', (name) => {
    it('answers any text with its own sentence, never the generic failure, and logs no error', async () => {
      await fc.assert(
        fc.asyncProperty(textFor(name), async (text) => {
          const logged = h.problems.length;
          const response = await command(name, text);
          expect(typeof response.text, `${name} ${JSON.stringify(text)}`).toBe('string');
          expect(response.text, `${name} ${JSON.stringify(text)}`).not.toBe(UNEXPECTED);
          const errors = h.problems.slice(logged).filter((p) => p.level >= 50);
          expect(errors, `${name} ${JSON.stringify(text)}`).toEqual([]);
        }),
        runs(40),
      );
    }, 60_000);
  });

  it('reads any mention or DM as an intent, and answers it with a message or an AppError', async () => {
    const sentence = fc.oneof(
      fc
        .tuple(
          fc.constantFrom(
            'where is',
            'trucks near',
            'trucks at',
            'which moto don reach',
            'trip',
            'trips for',
            'report',
          ),
          word,
          fc.constantFrom('', '?', ' now', ' abeg'),
        )
        .map(([lead, w, tail]) => `${lead} ${w}${tail}`),
      fc.array(word, { minLength: 1, maxLength: 4 }).map((ws) => ws.join(' ')),
      fc.string({ unit: 'binary', maxLength: 60 }),
    );
    const now = new Date('2025-03-10T08:00:00Z');
    const actor = { principal: `slack:${DISPATCHER}`, role: 'dispatcher' as const };
    await fc.assert(
      fc.asyncProperty(sentence, async (text) => {
        const intent = parseIntent(text, now);
        try {
          const message = await answer(intent, { sql: h.db.sql, actor, now });
          expect(typeof message.text).toBe('string');
        } catch (err) {
          expect(isAppError(err), `${JSON.stringify(text)} → ${JSON.stringify(intent)}: ${String(err)}`).toBe(
            true,
          );
        }
      }),
      runs(300),
    );
  });
});
