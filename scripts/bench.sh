#!/usr/bin/env bash
# Runs a benchmark against real PostgreSQL+PostGIS and Redis: the ones named by TEST_DATABASE_URL /
# TEST_REDIS_URL, else throwaway instances started (and removed) the way the test command does.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=services.sh
source scripts/services.sh
trap services_down EXIT
services_up
node --import tsx "bench/$1.ts"
