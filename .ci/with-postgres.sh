#!/usr/bin/env bash
# Runs a command with a THROWAWAY PostgreSQL server: initdb into a temporary folder, start it on a free port
# on 127.0.0.1, export TEST_DATABASE_URL, run "$@", then stop the server and delete the folder (also on
# failure or Ctrl-C). As root, the server runs as the unprivileged `postgres` user.
#
#   .ci/with-postgres.sh npm run test:pg
#
# PG_BIN overrides where the server binaries are (default /usr/lib/postgresql/15/bin).
set -euo pipefail

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
if [[ ! -x "$PG_BIN/postgres" ]]; then
  echo "with-postgres: no PostgreSQL server at $PG_BIN (apt-get install postgresql-15)" >&2
  exit 1
fi
if [[ $# -eq 0 ]]; then
  echo "usage: $0 command [args...]" >&2
  exit 2
fi

as_pg=()
if [[ $(id -u) -eq 0 ]]; then
  # PostgreSQL refuses to run as root.
  pg_user=postgres
  if ! id "$pg_user" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$pg_user"
  fi
  as_pg=(runuser -u "$pg_user" --)
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/vedetta-pg.XXXXXX")"
if [[ ${#as_pg[@]} -gt 0 ]]; then chown "$pg_user" "$work"; fi
chmod 700 "$work"

cleanup() {
  local status=$?
  if [[ -f "$work/data/postmaster.pid" ]]; then
    "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$work/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A free port: bind port 0 on loopback and read what the kernel chose (any node version will do).
port="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"

"${as_pg[@]}" "$PG_BIN/initdb" -D "$work/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$work/initdb.log" 2>&1 ||
  { cat "$work/initdb.log" >&2; exit 1; }
# Durability is pointless for a server that lives one test run.
if ! "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$work/data" -l "$work/server.log" -w -t 60 start \
  -o "-p $port -k $work -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  >/dev/null; then
  cat "$work/server.log" >&2
  exit 1
fi

export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
echo "with-postgres: PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data in $work)"
"$@"
