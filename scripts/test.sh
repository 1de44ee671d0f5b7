#!/usr/bin/env bash
# The whole test suite against REAL PostgreSQL+PostGIS and Redis: the ones named by TEST_DATABASE_URL /
# TEST_REDIS_URL (or DATABASE_URL / REDIS_URL), else throwaway instances started here and removed after.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=services.sh
source scripts/services.sh
trap services_down EXIT
services_up
npx vitest run "$@"
