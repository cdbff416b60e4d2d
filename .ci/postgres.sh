#!/usr/bin/env bash
# Starts the PostgreSQL server the persistence tests use, on 127.0.0.1:5432, and
# creates their role and database. Idempotent. Needs root (or the postgres user's
# rights) the first time; installs the Debian package when it is missing and
# apt-get is usable.
#
# The tests connect with AKKARAFT_PG_CONNECTION, or by default with
#   Host=127.0.0.1;Port=5432;Username=akkaraft;Password=akkaraft;Database=akkaraft_test
set -euo pipefail

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo ".ci/postgres.sh: installing postgresql from Debian's packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo ".ci/postgres.sh: PostgreSQL is not installed; install the 'postgresql' package (as root) and run this again" >&2
    exit 1
  fi
fi

version=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -q "^$version main$"; then
  pg_createcluster "$version" main >/dev/null
fi
if ! pg_lsclusters -h | awk '$1=="'"$version"'" && $2=="main" {print $4}' | grep -q online; then
  pg_ctlcluster "$version" main start
fi

as_postgres() { if [ "$(id -u)" = 0 ]; then su postgres -c "$1"; else sh -c "$1"; fi; }

for _ in $(seq 1 50); do
  as_postgres "pg_isready -q -h 127.0.0.1 -p 5432" && break
  sleep 0.2
done
as_postgres "pg_isready -h 127.0.0.1 -p 5432"

as_postgres "psql -v ON_ERROR_STOP=1 -q -d postgres -c \"DO \\\$\\\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'akkaraft') THEN CREATE ROLE akkaraft LOGIN PASSWORD 'akkaraft'; END IF; END \\\$\\\$;\""
if ! as_postgres "psql -tA -d postgres -c \"SELECT 1 FROM pg_database WHERE datname = 'akkaraft_test'\"" | grep -q 1; then
  as_postgres "createdb -O akkaraft akkaraft_test"
fi
echo ".ci/postgres.sh: PostgreSQL $version ready on 127.0.0.1:5432 (database akkaraft_test, role akkaraft)"
