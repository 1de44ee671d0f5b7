// Runs after `npm ci` / `npm install` (package.json "postinstall"). Patches what an upstream release has not
// fixed yet, each patch pinned to the exact version and text it applies to, and idempotent.
//
// postgres@3.4.9: when PostgreSQL dies under load, a write scheduled with setImmediate can run after the
// socket was closed and set to null, and `socket.write` throws a TypeError nobody can catch, which kills the
// process (porsager/postgres#1154, #1208). The guard drops the write: the connection is already closed and
// its queries are failed by its close handler. test/faults/postgres-outage.test.ts fails without it.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const require = createRequire(path.join(root, 'package.json'));

const ORIGINAL = `  function nextWrite(fn) {
    const x = socket.write(chunk, fn)`;
const PATCHED = `  function nextWrite(fn) {
    if (!socket) return (chunk = nextWriteTimer = null, false) // watchtower: porsager/postgres#1154
    const x = socket.write(chunk, fn)`;

let pkgDir;
try {
  // The package's exports map hides package.json; its CommonJS entry is cjs/src/index.js.
  pkgDir = path.resolve(path.dirname(require.resolve('postgres')), '../..');
} catch {
  process.exit(0); // not installed (yet): nothing to patch
}
const { version } = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
if (version !== '3.4.9') {
  console.log(
    `patch-deps: postgres is ${version}, not 3.4.9; check porsager/postgres#1154 and drop the patch if fixed`,
  );
  process.exit(0);
}
for (const file of ['src/connection.js', 'cjs/src/connection.js']) {
  const full = path.join(pkgDir, file);
  const text = readFileSync(full, 'utf8');
  if (text.includes(PATCHED)) continue;
  if (!text.includes(ORIGINAL)) {
    console.error(`patch-deps: postgres@3.4.9 ${file} does not hold the expected nextWrite; not patched`);
    process.exit(1);
  }
  writeFileSync(full, text.replace(ORIGINAL, PATCHED));
  console.log(`patch-deps: patched postgres@3.4.9 ${file} (nextWrite on a closed socket)`);
}
