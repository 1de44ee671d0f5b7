import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { MIN_SECRET_LENGTH, signToken } from '../src/api/auth.ts';
import { isUserRole, ROLE_ORDER } from '../src/fleet/actor.ts';

// Prints an API token: `npm run token -- --sub dashboard --role viewer [--expires-in 86400]`, signed with
// JWT_SECRET from the environment (the same secret the server verifies with).

const USAGE =
  'usage: npm run token -- --sub <name> --role <viewer|dispatcher|admin> [--expires-in <seconds>]';
const SUB = /^[\w.@-]{1,64}$/;

export type TokenCliResult = { ok: true; token: string } | { ok: false; message: string };

/** The whole command without process I/O, so tests can run it. */
export function runTokenCli(argv: string[], env: NodeJS.ProcessEnv): TokenCliResult {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        sub: { type: 'string' },
        role: { type: 'string' },
        'expires-in': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    return { ok: false, message: `${(err as Error).message}\n${USAGE}` };
  }
  if (values.help) return { ok: false, message: USAGE };
  const secret = env.JWT_SECRET?.trim();
  if (!secret) return { ok: false, message: 'JWT_SECRET is not set: export the server’s JWT_SECRET first.' };
  if (secret.length < MIN_SECRET_LENGTH) {
    return { ok: false, message: `JWT_SECRET is too short: it needs ${MIN_SECRET_LENGTH}+ characters.` };
  }
  const sub = values.sub;
  if (typeof sub !== 'string' || !SUB.test(sub)) {
    return {
      ok: false,
      message: `--sub: expected a client name of 1 to 64 letters, digits, . _ @ or -\n${USAGE}`,
    };
  }
  const role = values.role;
  if (!isUserRole(role)) {
    return { ok: false, message: `--role: expected one of ${ROLE_ORDER.join(', ')}\n${USAGE}` };
  }
  let expiresInS: number | undefined;
  const expires = values['expires-in'];
  if (expires !== undefined) {
    expiresInS = Number(expires);
    if (typeof expires !== 'string' || !/^\d+$/.test(expires) || expiresInS <= 0) {
      return { ok: false, message: `--expires-in: expected a positive whole number of seconds\n${USAGE}` };
    }
  }
  return { ok: true, token: signToken(secret, { sub, role, expiresInS }) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = runTokenCli(process.argv.slice(2), process.env);
  if (result.ok) {
    process.stdout.write(`${result.token}\n`);
  } else {
    process.stderr.write(`${result.message}\n`);
    process.exitCode = 2;
  }
}
