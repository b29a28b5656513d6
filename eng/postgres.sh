#!/usr/bin/env bash
# A throwaway PostgreSQL server on a free loopback port, for the spend store's tests (used by .ci/run).
#   eng/postgres.sh start DIR   initdb into DIR (as the postgres user when run as root: postgres refuses to run as root), start
#                               the server on 127.0.0.1 and a free port, print its Npgsql connection string
#   eng/postgres.sh stop DIR    stop it (fast shutdown); DIR may then be deleted
set -euo pipefail
cmd="$1"
dir="$2"
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bin" ] || { echo "PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install -y postgresql)" >&2; exit 1; }
as_owner() {
  # From /: the caller's working directory (a clone under a 0700 directory) may be closed to postgres, which then warns.
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}
case "$cmd" in
  start)
    mkdir -p "$dir"
    # The server runs as postgres: it needs to reach DIR (mktemp -d makes its parent 0700) and own it.
    if [ "$(id -u)" = 0 ]; then chmod o+x "$(dirname "$dir")"; chown postgres "$dir"; fi
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
    as_owner "$bin/initdb" -D "$dir/data" -U tokengov --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    echo "Host=127.0.0.1;Port=$port;Username=tokengov;Database=postgres"
    ;;
  stop)
    if [ -f "$dir/data/postmaster.pid" ]; then as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null; fi
    ;;
  *) echo "usage: eng/postgres.sh start|stop DIR" >&2; exit 2 ;;
esac
