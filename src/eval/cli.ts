import { resolve } from 'node:path';
import { loadConfig } from '../config.ts';
import { formatScore, loadGolden, type Predictor, routerPredictor, scoreGolden } from './golden.ts';

// `npm run eval [dir]`: scores the golden set (test/eval/*.jsonl) with the deterministic router, and with the
// real model when OPENAI_API_KEY is set. Exits non-zero only when the set cannot be read.

async function modelPredictor(): Promise<Predictor | string> {
  let mod: { agentPredictor?: (config: ReturnType<typeof loadConfig>) => Predictor | Promise<Predictor> };
  try {
    // A URL, not a literal: the agent's predictor is optional, and typechecking must not require it.
    mod = await import(new URL('../agent/predict.ts', import.meta.url).href);
  } catch (err) {
    return `the model eval is unavailable: src/agent/predict.ts could not be loaded (${(err as Error).message.split('\n')[0]})`;
  }
  if (typeof mod.agentPredictor !== 'function') {
    return 'the model eval is unavailable: src/agent/predict.ts does not export agentPredictor(config)';
  }
  return mod.agentPredictor(loadConfig(process.env));
}

async function main(): Promise<void> {
  const dir = resolve(process.argv[2] ?? 'test/eval');
  const cases = await loadGolden(dir);
  console.log(`golden set: ${cases.length} questions from ${dir}`);
  console.log(formatScore('router (offline)', await scoreGolden(cases, routerPredictor())));

  if (!process.env.OPENAI_API_KEY) {
    console.log('model: skipped (set OPENAI_API_KEY to score the model)');
    return;
  }
  const predictor = await modelPredictor();
  if (typeof predictor === 'string') {
    console.log(`model: ${predictor}`);
    return;
  }
  try {
    console.log(formatScore('model', await scoreGolden(cases, predictor)));
  } catch (err) {
    console.log(`model: the eval stopped: ${(err as Error).message.split('\n')[0]}`);
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  console.error(`eval failed: ${(err as Error).message}`);
  process.exit(1);
});
