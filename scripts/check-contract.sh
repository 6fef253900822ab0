#!/usr/bin/env bash
# The contract check: schemathesis runs every check (server errors,
# undocumented statuses, response schemas and headers, valid requests
# refused, invalid ones accepted, wrong methods, ignored auth, and the
# stateful ones) in every mode against a real server and the OpenAPI
# document it serves. Any failure fails the run.
#
#   scripts/check-contract.sh [BINARY]     default target/debug/launchpad
#
# Bounded: a fixed seed and a cap on examples per operation, about two
# to three minutes with the debug binary on two cores. CONTRACT_SEED and
# CONTRACT_EXAMPLES change them, to explore further by hand.
#
# Schemathesis comes from PyPI, pinned, into a virtualenv under target/.
# The server runs on a free loopback port with a temporary data folder and
# the demo data; schemathesis acts as an admin with an API token, so every
# operation is reachable and a request without it must be refused. It may
# create and delete anything but its own user and token (see
# scripts/contract/launchpad_hooks.py). The folder is removed and the
# server stopped on exit; the report stays in target/contract/.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
SEED="${CONTRACT_SEED:-20261201}"
EXAMPLES="${CONTRACT_EXAMPLES:-100}"

die() {
    echo "check-contract: $*" >&2
    exit 1
}

data=""
server=""
cleanup() {
    local rc=$?
    trap - EXIT
    if [[ -n $server ]]; then
        kill -TERM "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    [[ -z $data ]] || rm -rf -- "$data"
    exit "$rc"
}
trap cleanup EXIT

binary="${1:-target/debug/launchpad}"
[[ -x $binary ]] || die "no binary at $binary; run cargo build first"
[[ $SEED =~ ^[0-9]+$ ]] || die "CONTRACT_SEED must be a whole number (got '$SEED')"
[[ $EXAMPLES =~ ^[1-9][0-9]*$ ]] || die "CONTRACT_EXAMPLES must be a positive whole number (got '$EXAMPLES')"
for tool in python3 curl jq; do
    command -v "$tool" >/dev/null || die "$tool is not installed (scripts/test.sh installs it)"
done

out=target/contract
venv="$out/venv"
mkdir -p "$out"
if [[ "$("$venv/bin/schemathesis" --version 2>/dev/null)" != *" $SCHEMATHESIS_VERSION" ]]; then
    echo "installing schemathesis $SCHEMATHESIS_VERSION into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv" || die "python3 cannot make a virtualenv; install python3-venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

# The server sees only what this script sets.
while IFS= read -r var; do
    unset "$var"
done < <(compgen -e | grep '^LAUNCHPAD_' || true)
data="$(mktemp -d "${TMPDIR:-/tmp}/launchpad-contract.XXXXXX")"
export LAUNCHPAD_DATA_DIR="$data/store"
export LAUNCHPAD_LOG_LEVEL=warn
# One client sends every request: lift the per-client budget, or the run
# would measure 429s.
export LAUNCHPAD_AUTH_API_REQUESTS_PER_SECOND=100000

email=contract@example.com
LAUNCHPAD_PASSWORD="amber $(date +%s) lighthouse sorting quietly" \
    "$binary" user add --email "$email" --role admin >/dev/null 2>"$data/cli.log" ||
    { cat "$data/cli.log" >&2; die "could not add the admin"; }
token="$("$binary" token create --email "$email" --name contract-check 2>>"$data/cli.log" | head -n 1)"
[[ $token == lp_* ]] || { cat "$data/cli.log" >&2; die "could not create a token"; }

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
"$binary" serve --listen "127.0.0.1:$port" >"$out/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
    curl -fsS "$base/health" >/dev/null 2>&1 && break
    kill -0 "$server" 2>/dev/null || { cat "$out/server.log" >&2; die "the server exited"; }
    sleep 0.2
done
curl -fsS "$base/health" >/dev/null || die "the server did not answer within 20 s"

auth=(-H "Authorization: Bearer $token")
user_id="$(curl -fsS "${auth[@]}" "$base/api/v1/auth/me" | jq -r .user.id)"
token_id="$(curl -fsS "${auth[@]}" "$base/api/v1/tokens" | jq -r '.[0].id')"
export CONTRACT_PROTECTED_IDS="$user_id,$token_id"
export PYTHONPATH="$PWD/scripts/contract${PYTHONPATH:+:$PYTHONPATH}"
export SCHEMATHESIS_HOOKS=launchpad_hooks

# One worker: two threads parsing Python source at once trip CPython
# 3.11's "AST constructor recursion depth mismatch" inside hypothesis, and
# the run is bound by schemathesis's own CPU, not by the server.
echo "schemathesis $SCHEMATHESIS_VERSION: all checks, all modes, seed $SEED, $EXAMPLES examples per operation, against $base"
started=$SECONDS
status=0
# Run inside target/contract, where schemathesis leaves its own folders;
# no example database, so a run depends on its seed alone.
root="$PWD"
(cd "$out" && "$root/$venv/bin/schemathesis" --no-color \
    --config-file "$root/scripts/contract/schemathesis.toml" \
    run "$base/api/v1/openapi.json" \
    "${auth[@]}" \
    --checks all \
    --mode all \
    --seed "$SEED" \
    --max-examples "$EXAMPLES" \
    --generation-database none \
    --workers 1 \
    --request-timeout 10 \
    --report junit --report-dir . \
    >schemathesis.log 2>&1) || status=$?
# The summary always; every failure with its curl line when there is one.
if ((status == 0)); then
    sed -n '/= SUMMARY =/,$p' "$out/schemathesis.log"
else
    cat "$out/schemathesis.log"
fi
echo "contract check: $((SECONDS - started)) s, exit $status (full log: $out/schemathesis.log)"
curl -fsS "${auth[@]}" "$base/api/v1/auth/me" >/dev/null ||
    die "the token no longer works: the run locked itself out"
if ((status != 0)); then
    exit "$status"
fi
