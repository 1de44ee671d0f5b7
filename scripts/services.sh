#!/usr/bin/env bash
# Throwaway PostgreSQL+PostGIS and Redis for tests and benchmarks, on free loopback ports in a temp dir.
#   source scripts/services.sh && services_up   → exports TEST_DATABASE_URL, TEST_REDIS_URL (unless given)
#   services_down                               → stops them and removes the temp dir
# With TEST_DATABASE_URL/DATABASE_URL and TEST_REDIS_URL/REDIS_URL already set, nothing is started.

PG_VERSION=${PG_VERSION:-15}
PG_BIN=/usr/lib/postgresql/$PG_VERSION/bin

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=
apt_install() {
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq >/dev/null; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

ensure_packages() {
  if [ ! -x "$PG_BIN/initdb" ]; then
    echo "services: installing postgresql-$PG_VERSION" >&2; apt_install "postgresql-$PG_VERSION"
  fi
  if [ ! -f "/usr/share/postgresql/$PG_VERSION/extension/postgis.control" ]; then
    echo "services: installing postgresql-$PG_VERSION-postgis-3" >&2; apt_install "postgresql-$PG_VERSION-postgis-3"
  fi
  if ! command -v redis-server >/dev/null; then
    echo "services: installing redis-server" >&2; apt_install redis-server
  fi
}

# Runs a PostgreSQL binary as a non-root user: the server refuses to run as root.
pg_run() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

services_up() {
  : "${TEST_DATABASE_URL:=${DATABASE_URL:-}}"
  : "${TEST_REDIS_URL:=${REDIS_URL:-}}"
  if [ -n "$TEST_DATABASE_URL" ] && [ -n "$TEST_REDIS_URL" ]; then
    export TEST_DATABASE_URL TEST_REDIS_URL; return 0
  fi
  ensure_packages
  WT_SERVICES_DIR=$(mktemp -d /tmp/watchtower-services.XXXXXX)
  export WT_SERVICES_DIR
  chmod 755 "$WT_SERVICES_DIR"
  if [ -z "$TEST_DATABASE_URL" ]; then
    local pgport; pgport=$(free_port)
    mkdir -p "$WT_SERVICES_DIR/pg"
    [ "$(id -u)" = 0 ] && chown postgres "$WT_SERVICES_DIR/pg"
    pg_run "$PG_BIN/initdb" -D "$WT_SERVICES_DIR/pg/data" -U postgres -A trust --no-sync -E UTF8 >/dev/null
    pg_run "$PG_BIN/pg_ctl" -D "$WT_SERVICES_DIR/pg/data" -l "$WT_SERVICES_DIR/pg/log" -w -t 30 start \
      -o "-p $pgport -k $WT_SERVICES_DIR/pg -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 -c shared_buffers=256MB" >/dev/null
    TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$pgport/postgres"
    echo "services: PostgreSQL+PostGIS on 127.0.0.1:$pgport" >&2
  fi
  if [ -z "$TEST_REDIS_URL" ]; then
    local rport; rport=$(free_port)
    redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
      --dir "$WT_SERVICES_DIR" --pidfile "$WT_SERVICES_DIR/redis.pid" --logfile "$WT_SERVICES_DIR/redis.log"
    for _ in $(seq 50); do redis-cli -p "$rport" ping >/dev/null 2>&1 && break; sleep 0.1; done
    TEST_REDIS_URL="redis://127.0.0.1:$rport"
    echo "services: Redis on 127.0.0.1:$rport" >&2
  fi
  export TEST_DATABASE_URL TEST_REDIS_URL
}

services_down() {
  [ -n "${WT_SERVICES_DIR:-}" ] && [ -d "$WT_SERVICES_DIR" ] || return 0
  if [ -d "$WT_SERVICES_DIR/pg/data" ]; then
    pg_run "$PG_BIN/pg_ctl" -D "$WT_SERVICES_DIR/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  if [ -f "$WT_SERVICES_DIR/redis.pid" ]; then kill "$(cat "$WT_SERVICES_DIR/redis.pid")" 2>/dev/null || true; fi
  rm -rf "$WT_SERVICES_DIR"
}
