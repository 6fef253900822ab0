#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests and the benchmark, on this
# machine only.
#
#   start  installs Debian's postgresql when initdb is missing, then runs
#          initdb into a new temporary folder as a user that is not root
#          (launchpad-pg, created when the script runs as root: PostgreSQL
#          refuses to run as root), and starts the server on 127.0.0.1 at a
#          free port and on a unix socket in that folder. TLS is on, with a
#          CA and a server certificate (localhost, 127.0.0.1, ::1) made with
#          openssl, so tests can connect with sslmode=require and the CA.
#          pg_stat_statements is preloaded. It creates the login role
#          launchpad (a superuser, so tests may create databases and roles)
#          with a random password and the database launchpad, and writes
#          LAUNCHPAD_TEST_POSTGRES_URL and LAUNCHPAD_TEST_POSTGRES_CA to
#          target/pg-test-server.env, which the tests read when the
#          variables are not set. A server that is already running is kept.
#   stop   stops the server and removes its folder and that file.
#   url    prints the URL (postgres://launchpad:…@127.0.0.1:PORT/launchpad).
#   ca     prints the path of the CA certificate.
#   crash  stops the server at once, as a crash or a failover would (its
#          data stays); resume starts it again on the same port.
#
# LAUNCHPAD_PG_STATE names another state file, for a second server of a
# test's own (one it may crash without disturbing the others).
#
# Usage: scripts/pg-test-server.sh start|stop|url|ca|crash|resume
set -euo pipefail
cd "$(dirname "$0")/.."

state="${LAUNCHPAD_PG_STATE:-target/pg-test-server.env}"
pg_user=launchpad-pg
role=launchpad
database=launchpad

say() { printf 'pg-test-server: %s\n' "$*"; }
die() {
    printf 'pg-test-server: error: %s\n' "$*" >&2
    exit 1
}

# One value of the state file, e.g. `read_state LAUNCHPAD_TEST_POSTGRES_URL`.
read_state() {
    [[ -f $state ]] || die "no server is running; start one with scripts/pg-test-server.sh start"
    sed -n "s/^$1=//p" "$state"
}

# Runs a command as the server's user (this user when it is not root), in
# the server's folder, so no command needs to read the working tree.
as_server() {
    if ((EUID == 0)); then
        (cd "$folder" && runuser -u "$pg_user" -- "$@")
    else
        (cd "$folder" && "$@")
    fi
}

# The newest PostgreSQL's programs, as Debian installs them.
find_bindir() {
    local initdb
    initdb="$(compgen -G '/usr/lib/postgresql/*/bin/initdb' | sort -V | tail -1 || true)"
    [[ -n $initdb ]] && dirname "$initdb"
}

install_postgresql() {
    ((EUID == 0)) || die "PostgreSQL is not installed; install Debian's postgresql (apt-get install postgresql) or run this as root"
    say "installing Debian's postgresql"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql openssl >/dev/null
}

# A port nothing listens on; bind errors at start are retried anyway.
free_port() {
    local port
    for _ in $(seq 1 50); do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
    die "found no free port on 127.0.0.1"
}

# A CA and a server certificate for localhost, 127.0.0.1 and ::1, valid
# for two days: long enough for any run, short enough to be worthless.
make_certificates() {
    local tls="$folder/tls"
    mkdir -p "$tls"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj "/CN=LaunchPad test CA" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -keyout "$tls/ca.key" -out "$tls/ca.crt" 2>/dev/null
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -subj "/CN=localhost" -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
    cat >"$tls/server.ext" <<'EOF'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
EOF
    openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" \
        -CAcreateserial -days 2 -extfile "$tls/server.ext" -out "$tls/server.crt" 2>/dev/null
    rm -f "$tls/ca.key" "$tls/server.csr" "$tls/ca.srl"
    chmod 600 "$tls/server.key"
}

running() {
    [[ -f $state ]] || return 1
    folder="$(read_state PG_FOLDER)"
    local bindir
    bindir="$(read_state PG_BINDIR)"
    [[ -d $folder ]] && as_server "$bindir/pg_ctl" status -D "$folder/data" >/dev/null 2>&1
}

start() {
    if running; then
        say "already running: $(mask "$(read_state LAUNCHPAD_TEST_POSTGRES_URL)")"
        return
    fi
    [[ -f $state ]] && stop
    local bindir
    bindir="$(find_bindir)" || true
    if [[ -z $bindir ]]; then
        install_postgresql
        bindir="$(find_bindir)" || die "initdb is still missing after installing postgresql"
    fi
    command -v openssl >/dev/null || install_postgresql

    if ((EUID == 0)) && ! id -u "$pg_user" >/dev/null 2>&1; then
        say "creating the system user $pg_user (PostgreSQL does not run as root)"
        useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$pg_user"
    fi
    # Under /tmp when root: the server's user must reach the folder.
    local parent="${TMPDIR:-/tmp}"
    ((EUID != 0)) || parent=/tmp
    folder="$(mktemp -d "$parent/launchpad-pg.XXXXXX")"
    mkdir -p "$folder/socket"
    make_certificates
    local password
    password="$(openssl rand -hex 16)"
    printf '%s\n' "$password" >"$folder/password"
    ((EUID != 0)) || chown -R "$pg_user:" "$folder"
    chmod 700 "$folder"

    as_server "$bindir/initdb" --pgdata="$folder/data" --username=postgres \
        --pwfile="$folder/password" --auth=scram-sha-256 \
        --encoding=UTF8 --locale=C >"$folder/initdb.log" 2>&1 ||
        die "initdb failed; see $folder/initdb.log"
    rm -f "$folder/password"

    local port started=""
    for _ in 1 2 3 4 5; do
        port="$(free_port)"
        cat >"$folder/data/launchpad-test.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$folder/socket'
ssl = on
ssl_cert_file = '$folder/tls/server.crt'
ssl_key_file = '$folder/tls/server.key'
shared_preload_libraries = 'pg_stat_statements'
max_connections = 300
EOF
        ((EUID != 0)) || chown "$pg_user:" "$folder/data/launchpad-test.conf"
        grep -q "^include = 'launchpad-test.conf'" "$folder/data/postgresql.conf" ||
            echo "include = 'launchpad-test.conf'" >>"$folder/data/postgresql.conf"
        if as_server "$bindir/pg_ctl" start -w -t 60 -D "$folder/data" -l "$folder/server.log" >/dev/null; then
            started=yes
            break
        fi
        grep -q "could not bind" "$folder/server.log" 2>/dev/null ||
            die "the server did not start; see $folder/server.log"
        say "port $port was taken; trying another"
    done
    [[ -n $started ]] || die "the server did not start on any port; see $folder/server.log"

    as_server env PGPASSWORD="$password" "$bindir/psql" -X -q -v ON_ERROR_STOP=1 \
        -h "$folder/socket" -p "$port" -U postgres -d postgres >/dev/null <<EOF
CREATE ROLE $role LOGIN SUPERUSER PASSWORD '$password';
CREATE DATABASE $database OWNER $role;
\\c $database
CREATE EXTENSION pg_stat_statements;
EOF

    mkdir -p "$(dirname "$state")"
    local url="postgres://$role:$password@127.0.0.1:$port/$database"
    cat >"$state" <<EOF
LAUNCHPAD_TEST_POSTGRES_URL=$url
LAUNCHPAD_TEST_POSTGRES_CA=$folder/tls/ca.crt
PG_FOLDER=$folder
PG_BINDIR=$bindir
PG_SOCKET=$folder/socket
PG_PORT=$port
EOF
    chmod 600 "$state"
    say "PostgreSQL $("$bindir/postgres" --version | sed 's/^postgres (PostgreSQL) //') on 127.0.0.1:$port and $folder/socket, TLS with the CA $folder/tls/ca.crt"
    say "URL: $(mask "$url") (scripts/pg-test-server.sh url prints it whole)"
}

stop() {
    if [[ ! -f $state ]]; then
        say "no server is running"
        return
    fi
    folder="$(read_state PG_FOLDER)"
    local bindir
    bindir="$(read_state PG_BINDIR)"
    if [[ -d $folder/data ]]; then
        as_server "$bindir/pg_ctl" stop -m fast -w -D "$folder/data" >/dev/null 2>&1 || true
    fi
    [[ $folder == */launchpad-pg.* ]] && rm -rf "$folder"
    rm -f "$state"
    say "stopped and removed $folder"
}

# Stops the server without a checkpoint, as a crash would; keeps its data.
crash() {
    folder="$(read_state PG_FOLDER)"
    as_server "$(read_state PG_BINDIR)/pg_ctl" stop -m immediate -w -D "$folder/data" >/dev/null
    say "crashed the server in $folder (scripts/pg-test-server.sh resume starts it again)"
}

resume() {
    folder="$(read_state PG_FOLDER)"
    as_server "$(read_state PG_BINDIR)/pg_ctl" start -w -t 60 -D "$folder/data" -l "$folder/server.log" >/dev/null
    say "resumed the server in $folder"
}

# The URL with its password hidden, for messages.
mask() { sed -E 's#(://[^:/@]*):[^@]*@#\1:***@#' <<<"$1"; }

case "${1:-}" in
start) start ;;
stop) stop ;;
url) read_state LAUNCHPAD_TEST_POSTGRES_URL ;;
ca) read_state LAUNCHPAD_TEST_POSTGRES_CA ;;
crash) crash ;;
resume) resume ;;
*)
    echo "usage: scripts/pg-test-server.sh start|stop|url|ca|crash|resume" >&2
    exit 2
    ;;
esac
