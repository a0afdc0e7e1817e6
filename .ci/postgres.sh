#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for the tests and prints the line that exports its URL:
#
#   eval "$(bash .ci/postgres.sh)"
#
# Installs nothing: Debian's `postgresql` package must already be there (.ci/run apt-installs it).
# The cluster lives in $COUPON_PG_DIR (default: $TMPDIR/coupon-worker-pg), listens on 127.0.0.1
# only, on the first free port from $COUPON_PG_PORT (default 55432), keeps its unix sockets in
# its own directory (so it never collides with a system cluster in /var/run/postgresql), and
# trusts every loopback connection: it is for tests, never for data that matters.
#
# Idempotent: when the cluster in $COUPON_PG_DIR is already running, it is reused.
# Everything but the final `export` line goes to stderr, so `eval` sees only that line.
set -euo pipefail

base_dir="${COUPON_PG_DIR:-${TMPDIR:-/tmp}/coupon-worker-pg}"
first_port="${COUPON_PG_PORT:-55432}"
database="coupon_test"
data_dir="$base_dir/data"
socket_dir="$base_dir/sockets"
log_file="$base_dir/postgres.log"
port_file="$base_dir/port"

log() { echo "postgres.sh: $*" >&2; }

# The newest installed server version's binaries.
bin_dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
if [[ -z "$bin_dir" || ! -x "$bin_dir/initdb" ]]; then
    log "no PostgreSQL server under /usr/lib/postgresql/*/bin; apt-get install postgresql first"
    exit 1
fi

# PostgreSQL refuses to run as root: when we are root, the server runs as `postgres`.
as_server_user() {
    if [[ "$(id -u)" == "0" ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

mkdir -p "$base_dir"
if [[ "$(id -u)" == "0" ]]; then
    chown postgres:postgres "$base_dir"
fi

if [[ -f "$port_file" ]] && as_server_user "$bin_dir/pg_ctl" -D "$data_dir" status >/dev/null 2>&1; then
    port="$(cat "$port_file")"
    log "reusing the running cluster in $data_dir on port $port"
else
    if [[ ! -f "$data_dir/PG_VERSION" ]]; then
        log "initdb into $data_dir"
        as_server_user mkdir -p "$data_dir" "$socket_dir"
        as_server_user "$bin_dir/initdb" -D "$data_dir" -U postgres --auth=trust \
            --encoding=UTF8 --locale=C.UTF-8 >&2
    fi
    as_server_user mkdir -p "$socket_dir"

    port="$first_port"
    while port_in_use "$port"; do
        port=$((port + 1))
        if (( port > first_port + 50 )); then
            log "no free port in $first_port..$port"
            exit 1
        fi
    done

    log "starting PostgreSQL on 127.0.0.1:$port (log: $log_file)"
    as_server_user touch "$log_file"
    # fsync=off: the cluster is throwaway and the tests kill clients, never the server or the
    # machine; it keeps the many small commits of the tests fast on a 2-core machine.
    as_server_user "$bin_dir/pg_ctl" -D "$data_dir" -l "$log_file" -w -t 60 start \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $socket_dir -c fsync=off -c max_connections=200" >&2
    echo "$port" > "$port_file"
fi

# pg_ctl -w already waited; pg_isready confirms the server accepts connections on TCP.
for _ in $(seq 1 60); do
    if "$bin_dir/pg_isready" -q -h 127.0.0.1 -p "$port"; then break; fi
    sleep 1  # waiting for an external server to come up: nothing to subscribe to
done
"$bin_dir/pg_isready" -h 127.0.0.1 -p "$port" >&2

exists="$("$bin_dir/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = '$database'")"
if [[ "$exists" != "1" ]]; then
    log "creating database $database"
    "$bin_dir/createdb" -h 127.0.0.1 -p "$port" -U postgres "$database"
fi

echo "export COUPON_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$port/$database"
