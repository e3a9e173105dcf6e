#!/bin/sh
# The official postgres image's entrypoint, for what the charts use: on the first start (no
# $PGDATA/PG_VERSION) initdb as $POSTGRES_USER with $POSTGRES_PASSWORD, the database $POSTGRES_DB
# (default: the user's name), trust on the local socket and 127.0.0.1 (initdb's default, as there) and
# scram-sha-256 passwords for every other connection; then the server listens on every address.
set -eu
if [ "${1:-}" != postgres ]; then exec "$@"; fi

: "${PGDATA:?}"
: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "error: the database is uninitialized and POSTGRES_PASSWORD is not set" >&2
    exit 1
  fi
  mkdir -p "$PGDATA"
  chmod 700 "$PGDATA"
  # As the official image: initdb needs its user in passwd, which an arbitrary uid (OpenShift's) is not;
  # nss_wrapper gives it one for the initialisation only.
  if ! id -un >/dev/null 2>&1; then
    NSS_WRAPPER_PASSWD=$(mktemp)
    NSS_WRAPPER_GROUP=$(mktemp)
    echo "postgres:x:$(id -u):$(id -g):PostgreSQL:$PGDATA:/bin/false" >"$NSS_WRAPPER_PASSWD"
    echo "postgres:x:$(id -g):" >"$NSS_WRAPPER_GROUP"
    for wrapper in /usr/lib/*/libnss_wrapper.so; do LD_PRELOAD=$wrapper; done
    export NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP LD_PRELOAD
  fi
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  initdb --username="$POSTGRES_USER" --pwfile="$pwfile" --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
  if [ "$POSTGRES_DB" != postgres ]; then
    pg_ctl -D "$PGDATA" -w -o "-c listen_addresses=''" start >/dev/null
    psql -v ON_ERROR_STOP=1 -q --username="$POSTGRES_USER" --dbname=postgres -c "CREATE DATABASE \"$POSTGRES_DB\""
    pg_ctl -D "$PGDATA" -w -m fast stop >/dev/null
  fi
  if [ -n "${NSS_WRAPPER_PASSWD:-}" ]; then
    rm -f "$NSS_WRAPPER_PASSWD" "$NSS_WRAPPER_GROUP"
    unset NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP LD_PRELOAD
  fi
  echo "PostgreSQL init process complete; ready for start up."
fi
exec "$@"
