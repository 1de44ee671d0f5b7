import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { intentTool, parseIntent } from '../bot/router.ts';
import { parseTripNumber } from '../db/trips.ts';

// The golden set: operator questions in the fleet's own words, each with the tool that should answer it and
// the arguments that matter. Scored twice: the deterministic router offline (part of the test suite), and the
// real model when an OpenAI key is set (npm run eval).

export interface Prediction {
  tool: string | null;
  args: Record<string, unknown>;
}
export type Predictor = (question: string) => Promise<Prediction>;

const goldenCase = z.strictObject({
  question: z.string().min(1),
  tool: z.string().min(1),
  args: z.record(z.string(), z.unknown()),
});
export type GoldenCase = z.infer<typeof goldenCase>;

/** Every case in the directory's *.jsonl files; a bad line fails naming the file and line. */
export async function loadGolden(dir: string): Promise<GoldenCase[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.jsonl')).sort();
  if (files.length === 0) throw new Error(`No golden set in ${dir}: expected *.jsonl files`);
  const cases: GoldenCase[] = [];
  for (const file of files) {
    const lines = (await readFile(join(dir, file), 'utf8')).split('\n');
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        throw new Error(`${file}:${i + 1}: not JSON`);
      }
      const parsed = goldenCase.safeParse(json);
      if (!parsed.success) {
        throw new Error(
          `${file}:${i + 1}: expected {"question", "tool", "args"}: ${parsed.error.issues[0]?.message}`,
        );
      }
      cases.push(parsed.data);
    });
  }
  return cases;
}

// Places are matched loosely ("Apapa" names Apapa Port) because the tools match them loosely too.
const PLACE_KEYS = new Set(['place', 'geofence', 'origin', 'destination']);
const squash = (v: string) => v.toLowerCase().replace(/[^a-z0-9]/g, '');

function valueMatches(key: string, expected: unknown, actual: unknown): boolean {
  if (typeof expected === 'string') {
    if (typeof actual !== 'string') return false;
    if (key === 'trip')
      return (parseTripNumber(expected) ?? expected) === (parseTripNumber(actual) ?? actual);
    const [e, a] = [squash(expected), squash(actual)];
    if (PLACE_KEYS.has(key)) return e !== '' && a !== '' && (a.includes(e) || e.includes(a));
    return e === a;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return false;
    const sorted = (xs: unknown[]) => xs.map((x) => squash(String(x))).sort();
    return JSON.stringify(sorted(expected)) === JSON.stringify(sorted(actual));
  }
  return expected === actual;
}

/** Each argument the case names is in the prediction with a matching value; others are not judged. */
export function argsMatch(expected: Record<string, unknown>, actual: Record<string, unknown>): boolean {
  return Object.entries(expected).every(([k, v]) => valueMatches(k, v, actual[k]));
}

export interface CaseResult {
  case: GoldenCase;
  predicted: Prediction;
  toolRight: boolean;
  argsRight: boolean;
}

export interface Score {
  total: number;
  /** Right tool. */
  toolAccuracy: number;
  /** Right tool and right key arguments. */
  accuracy: number;
  results: CaseResult[];
}

export async function scoreGolden(cases: readonly GoldenCase[], predict: Predictor): Promise<Score> {
  const results: CaseResult[] = [];
  for (const c of cases) {
    const predicted = await predict(c.question);
    const toolRight = predicted.tool === c.tool;
    results.push({
      case: c,
      predicted,
      toolRight,
      argsRight: toolRight && argsMatch(c.args, predicted.args),
    });
  }
  const share = (n: number) => (cases.length === 0 ? 0 : n / cases.length);
  return {
    total: cases.length,
    toolAccuracy: share(results.filter((r) => r.toolRight).length),
    accuracy: share(results.filter((r) => r.argsRight).length),
    results,
  };
}

/** The deterministic router as a predictor: the tool its intent stands for. */
export function routerPredictor(now: () => Date = () => new Date()): Predictor {
  return async (question) => intentTool(parseIntent(question, now()));
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** `router: 41/49 right (83.7%), tool right 85.7%`, then one line per miss. */
export function formatScore(name: string, score: Score, opts: { misses?: boolean } = {}): string {
  const right = score.results.filter((r) => r.argsRight).length;
  const lines = [
    `${name}: ${right}/${score.total} right (${pct(score.accuracy)}), tool right ${pct(score.toolAccuracy)}`,
  ];
  if (opts.misses !== false) {
    for (const r of score.results.filter((x) => !x.argsRight)) {
      lines.push(
        `  miss: ${JSON.stringify(r.case.question)} expected ${r.case.tool} ${JSON.stringify(r.case.args)}, got ${r.predicted.tool ?? 'nothing'} ${JSON.stringify(r.predicted.args)}`,
      );
    }
  }
  return lines.join('\n');
}
