#!/usr/bin/env bash
# Run a command (by default the test suite) against a second, independent PostgreSQL server through
# WAREHOUSE_DSN: Debian's PostgreSQL (14+), started in a throwaway folder on a free loopback port.
# Proves that nothing depends on the embedded server. Used by `make test-external` and CI.
set -euo pipefail

pick_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
PGBIN=$(pick_bin || true)
if [ -z "$PGBIN" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "== installing Debian's PostgreSQL server for the external-server run"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
        PGBIN=$(pick_bin)
    else
        echo "No PostgreSQL server found in /usr/lib/postgresql/*/bin; install Debian's 'postgresql' package." >&2
        exit 2
    fi
fi

WORK=$(mktemp -d /tmp/appeals-external-pg.XXXXXX)
chmod 755 "$WORK"
AS=()
if [ "$(id -u)" = 0 ]; then
    chown nobody "$WORK"
    AS=(runuser -u nobody --)
fi
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cleanup() {
    "${AS[@]}" "$PGBIN/pg_ctl" -D "$WORK/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

"${AS[@]}" "$PGBIN/initdb" -D "$WORK/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${AS[@]}" "$PGBIN/pg_ctl" -D "$WORK/data" -l "$WORK/postgres.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -c unix_socket_directories=''" start >/dev/null
export WAREHOUSE_DSN="postgresql://postgres@127.0.0.1:$PORT/postgres"
echo "== external PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') at $WAREHOUSE_DSN"
"$@"
