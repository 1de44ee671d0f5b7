import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');

export interface MainProcess {
  child: ChildProcess;
  /** Where it listens, once it logged 'Watch Tower is up'; rejects if it exits first. */
  url: Promise<string>;
  /** Every log line so far (stdout JSON lines and stderr chunks). */
  lines: string[];
  exit: Promise<number | null>;
}

/** Starts `src/main.ts` as `npm start` would, with exactly the given environment. */
export function startMain(env: Record<string, string>): MainProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const url = new Promise<string>((resolve, reject) => {
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl = buffer.indexOf('\n');
      while (nl >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        lines.push(line);
        try {
          const entry = JSON.parse(line);
          if (entry.msg === 'Watch Tower is up') resolve(entry.url);
        } catch {}
        nl = buffer.indexOf('\n');
      }
    });
    child.once('exit', () => reject(new Error(`exited before start: ${lines.join('\n')}`)));
  });
  url.catch(() => {});
  child.stderr!.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, url, lines, exit };
}

/** Log lines (parsed) whose msg is `msg`. */
export const logged = (run: MainProcess, msg: string) =>
  run.lines.flatMap((line) => {
    try {
      const entry = JSON.parse(line) as Record<string, unknown>;
      return entry.msg === msg ? [entry] : [];
    } catch {
      return [];
    }
  });
