#!/usr/bin/env bash
# Dependency audit for CI: the production dependency tree against npm's advisories, and checks that need no
# advisory service at all.
#
#   1. `npm audit --omit=dev --audit-level=high` when the advisory endpoint answers: fails on a high or
#      critical advisory. When it does not answer (a registry mirror refusing the bulk advisory POST, no
#      network), this says plainly that the advisory check did NOT run — it never reports that as a pass.
#   2. Offline, always: `npm ls --all --omit=dev` (nothing missing, invalid or extraneous in the installed
#      tree); every production package in package-lock.json pinned by a sha512 integrity hash and, where a
#      source is recorded, fetched from the npm registry over https; every production package under a license
#      on the allowlist below.
#
# Exit status: 0 when every check that ran passed; 1 when one failed. WT_AUDIT_REQUIRE_ADVISORIES=1 also fails
# when the advisory check could not run (for a CI that does reach npm's advisory endpoint).
set -uo pipefail
cd "$(dirname "$0")/.."

status=0
say() { printf 'audit: %s\n' "$*"; }

# ---- 1. advisories ----
report=$(timeout "${WT_AUDIT_TIMEOUT_S:-90}" npm audit --omit=dev --audit-level=high --json 2>/dev/null)
code=$?
if printf '%s' "$report" | node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    try { const r = JSON.parse(s); process.exit(r.metadata && r.metadata.vulnerabilities ? 0 : 1); }
    catch { process.exit(1); }
  });'; then
  counts=$(printf '%s' "$report" | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const v = JSON.parse(s).metadata.vulnerabilities;
      console.log(["critical", "high", "moderate", "low"].map((k) => `${v[k] ?? 0} ${k}`).join(", "));
    });')
  if [ "$code" -eq 0 ]; then
    say "npm audit: no high or critical advisories in production dependencies ($counts)"
  else
    say "npm audit: FAILED — production dependencies have high or critical advisories ($counts); run npm audit --omit=dev"
    status=1
  fi
else
  why=$(printf '%s' "$report" | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      try { const r = JSON.parse(s); console.log(r.message ?? r.error?.summary ?? "no answer"); }
      catch { console.log("no answer"); }
    });')
  [ "$code" -eq 124 ] && why="no answer within ${WT_AUDIT_TIMEOUT_S:-90} s"
  say "npm audit: COULD NOT RUN — the advisory endpoint did not answer ($why)."
  say "npm audit: advisories were NOT checked; running the offline checks only."
  [ "${WT_AUDIT_REQUIRE_ADVISORIES:-0}" = 1 ] && status=1
fi

# ---- 2. offline checks ----
if problems=$(npm ls --all --omit=dev 2>&1 >/dev/null); then
  say "npm ls: the installed production tree matches package-lock.json"
else
  say "npm ls: FAILED — missing, invalid or extraneous packages:"
  printf '%s\n' "$problems" | sed 's/^/  /'
  status=1
fi

node - <<'EOF' || status=1
const lock = require('./package-lock.json');
// Permissive licenses only: anything else (GPL family, unknown, none) needs a person to decide.
const ALLOWED = new Set([
  '0BSD', 'Apache-2.0', 'BlueOak-1.0.0', 'BSD', 'BSD-2-Clause', 'BSD-3-Clause', 'CC0-1.0', 'ISC', 'MIT',
  'MIT-0', 'Python-2.0', 'Unlicense',
]);
/** An SPDX expression is acceptable when every AND-part has at least one allowed OR-alternative. */
const allowed = (expr) =>
  expr
    .replace(/[()]/g, ' ')
    .split(/\s+AND\s+/)
    .every((part) => part.split(/\s+OR\s+/).some((l) => ALLOWED.has(l.trim())));

const problems = [];
let count = 0;
for (const [path, pkg] of Object.entries(lock.packages ?? {})) {
  if (path === '' || pkg.dev || pkg.link) continue;
  count++;
  const name = path.replace(/^.*node_modules\//, '');
  if (!/^sha512-/.test(pkg.integrity ?? '')) problems.push(`${name}: not pinned by a sha512 integrity hash`);
  if (pkg.resolved && !pkg.resolved.startsWith('https://registry.npmjs.org/'))
    problems.push(`${name}: fetched from ${pkg.resolved.split('/').slice(0, 3).join('/')}, not the npm registry`);
  const license = typeof pkg.license === 'string' ? pkg.license : undefined;
  if (!license) problems.push(`${name}: no license recorded`);
  else if (!allowed(license)) problems.push(`${name}: license ${license} is not on the allowlist`);
}
if ((lock.lockfileVersion ?? 1) < 2) problems.push(`package-lock.json is lockfileVersion ${lock.lockfileVersion}`);
if (problems.length) {
  console.log(`audit: package-lock: FAILED — ${problems.length} problem(s) in ${count} production packages:`);
  for (const p of problems) console.log(`  ${p}`);
  process.exit(1);
}
console.log(`audit: package-lock: ${count} production packages pinned by sha512, from the npm registry, under allowed licenses`);
EOF

if [ "$status" -eq 0 ]; then say "passed"; else say "FAILED"; fi
exit "$status"
