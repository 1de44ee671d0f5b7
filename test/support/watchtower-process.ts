import type { ChildProcess } from 'node:child_process';
import { startMain } from './main-process.ts';

// A real Watch Tower process (`src/main.ts`, as `npm start` runs it) for tests and benchmarks that need
// several replicas, a SIGKILL or a process's own RSS: startMain, plus its pid, its log lines parsed, its
// /metrics, and kill / stop.

export type LogLine = Record<string, unknown> & { msg?: string };

export interface WatchTowerProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Every JSON log line so far, parsed, in order. */
  readonly logs: LogLine[];
  /** Resolves with the HTTP URL once the process logs "Watch Tower is up"; rejects if it exits first. */
  readonly up: Promise<string>;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exit: Promise<number | null>;
  /** `GET /metrics`, as text. */
  metrics(): Promise<string>;
  /** SIGKILL: no shutdown, nothing drained, leases and pending entries left behind. */
  kill(): Promise<void>;
  /** SIGTERM, and the exit code. */
  stop(): Promise<number | null>;
}

const parse = (line: string): LogLine[] => {
  try {
    const entry = JSON.parse(line) as unknown;
    return entry && typeof entry === 'object' ? [entry as LogLine] : [];
  } catch {
    return [];
  }
};

/** Starts `src/main.ts` with exactly `env` (plus PATH and HOME); `name` labels its errors. */
export function startWatchTowerProcess(name: string, env: Record<string, string>): WatchTowerProcess {
  const run = startMain(env);
  const { child } = run;
  if (child.pid === undefined) throw new Error(`${name}: could not spawn src/main.ts`);
  const up = run.url.catch((err: Error) => {
    throw new Error(`${name}: ${err.message}`);
  });
  up.catch(() => {});
  const signal = async (sig: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    return run.exit;
  };
  return {
    name,
    child,
    pid: child.pid,
    get logs() {
      return run.lines.flatMap(parse);
    },
    up,
    exit: run.exit,
    async metrics() {
      const res = await fetch(`${await up}/metrics`);
      if (!res.ok) throw new Error(`${name}: GET /metrics answered ${res.status}`);
      return res.text();
    },
    kill: async () => void (await signal('SIGKILL')),
    stop: () => signal('SIGTERM'),
  };
}

/** The value of one Prometheus sample, e.g. `metricValue(text, 'watchtower_positions_total', {outcome: 'stored'})`; 0 when absent. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labelText = line.startsWith(`${name}{`) ? line.slice(name.length + 1, line.indexOf('}')) : '';
    if (wanted.every((w) => labelText.split(',').includes(w)))
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}
