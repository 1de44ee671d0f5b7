import { Writable } from 'node:stream';
import fc from 'fast-check';
import { createLogger, type Logger } from '../../src/log.ts';

// What the fuzz suites throw at Watch Tower: SQL injection payloads, strings of any code point (NUL, lone
// surrogates, right-to-left marks), numbers at and past every edge, and JSON of any shape. Each suite mixes
// these with values that are valid, so a request gets past validation often enough to reach the database.

/** A fixed seed, so a failure reproduces; fast-check prints the seed and path of a failing run. */
export const SEED = 20250310;

export const INJECTIONS = [
  "'; drop table trucks; --",
  "'); delete from trips; --",
  '1 or 1=1',
  "' or '1'='1",
  '" or ""="',
  '$1',
  '$1::text',
  '\\x00',
  '\u0000',
  'a\u0000b',
  "1; update trucks set status='inactive'",
  "'||pg_sleep(1)||'",
  '%',
  '_',
  '\\',
  "KJA-123XY' --",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4j payload, sent as the literal text.
  '${jndi:ldap://x}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '__proto__',
  'constructor',
  '\u202e\u0644\u0627\u0633',
  '\ud800',
  '\udfff\ud800',
  '😀',
  '\r\nX-Injected: 1',
  ' ',
  '',
  'null',
  'NaN',
  'Infinity',
  '-0',
  '1e309',
  'x'.repeat(5_000),
] as const;

const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));

/** Text PostgreSQL cannot keep as sent: a NUL or an unpaired surrogate somewhere in something plausible. */
export const unstorableString: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom('', 'KJA-123XY', 'Apapa', 'TRP-000001', ' '),
    fc.constantFrom('\u0000', '\ud800', '\udc00', '\udfff\ud800'),
    fc.string({ maxLength: 4 }),
  )
  .map((parts) => parts.join(''));

/** A string that is likely to hurt: an injection payload, any code points, or something long. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...INJECTIONS) },
  { weight: 2, arbitrary: unstorableString },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  // Single UTF-16 code units: lone surrogates too, which 'binary' leaves out.
  { weight: 1, arbitrary: fc.string({ unit: codeUnit, maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 300 }) },
);

/** Numbers at and past the edges JSON can carry (NaN and ±Infinity become null in JSON). */
export const nastyNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, -0, 1, -1, 0.5, 90, -90, 180, -180, 90.000001, 1e308, -1e308, 2 ** 53 + 2, 5e-324),
  fc.integer(),
  fc.double(),
);

/** Any JSON value, with the nasty strings and numbers mixed in. */
export const nastyJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: nastyString },
  { weight: 2, arbitrary: nastyNumber },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.array(nastyString, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(nastyString, nastyString, { maxKeys: 3 }) },
);

/** `[[[…]]]` nested `depth` levels: parses without recursion in V8, but recursive code over it overflows. */
export const deepArray = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

/** For text fields: a valid value, a nasty string (which passes a type check and reaches SQL) or any JSON. */
export const validOrText = <T>(valid: fc.Arbitrary<T>, weightValid = 1): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: weightValid, arbitrary: valid },
    { weight: 2, arbitrary: nastyString },
    { weight: 1, arbitrary: nastyJson },
  );

/** Takes a valid value most of the time and a nasty one otherwise. */
export const validOr = <T>(valid: fc.Arbitrary<T>, weightValid = 1): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: weightValid, arbitrary: valid }, { weight: 1, arbitrary: nastyJson });

/** Runs of fc.assert for every suite: a fixed seed, and nothing printed unless a property fails. */
export const runs = (numRuns: number) => ({ seed: SEED, numRuns });

export interface CapturedLog {
  logger: Logger;
  /** Lines at error level or above, parsed. */
  errors(): Record<string, unknown>[];
  /** Every line at or above `level`, parsed: for saying why something did not happen. */
  lines(): Record<string, unknown>[];
}

/** A logger writing to memory (pino's sink pattern), so a suite can assert nothing failed on our side. */
export function captureLog(level = 'error'): CapturedLog {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const parsed = () =>
    lines
      .flatMap((l) => l.split('\n'))
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return {
    logger: createLogger(level, sink),
    errors: () => parsed().filter((l) => Number(l.level) >= 50),
    lines: parsed,
  };
}
