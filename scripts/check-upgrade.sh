#!/usr/bin/env bash
# Checks scripts/upgrade.sh end to end in a scratch root, against a real
# server run from it (installed by scripts/install.sh, in production mode,
# with an admin and a first backup, so /ready is 200):
#   1. an upgrade to a good build: ready, exit 0, the new binary installed,
#      a verified pre-upgrade backup and the old binary kept;
#   2. an upgrade to a build that exits at start: rolled back, exit 1, the
#      previous binary back and ready, the store untouched (no migrations);
#   3. the same with a build whose `migrate --plan` lists a step: the backup
#      is restored too (a .pre-restore copy appears, the data is still there);
#   4. refusals that change nothing: a service that is not ready, a new
#      binary that does not run;
#   5. an instance installed from the package upgraded to a .deb (dpkg into
#      the scratch root, its maintainer scripts run outside a chroot);
#   6. the error-rate rule on /metrics text: a fast burn rolls back, a slow
#      one does not, the upgrade's own probes do not count.
# The "good build" is the binary with bytes appended (it runs the same, and
# its checksum tells it apart); the broken ones are shell scripts named
# launchpad. The service is started and stopped by a small script passed as
# --service-cmd instead of systemctl.
#
# Usage: scripts/check-upgrade.sh [BINARY]   (default target/debug/launchpad)
#        CHECK_UPGRADE_SHOW=1 scripts/check-upgrade.sh   also prints what upgrade.sh said
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"

binary="${1:-target/debug/launchpad}"
[[ -x "$binary" ]] || { echo "check-upgrade: no binary at $binary; run cargo build first" >&2; exit 1; }
binary="$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")"

root="$(mktemp -d)"
work="$(mktemp -d)"
svc="$work/service"
cleanup() {
    "$svc" stop >/dev/null 2>&1 || true
    rm -rf "$root" "$work"
}
trap cleanup EXIT
failures=0
fail() {
    echo "check-upgrade: FAIL: $*"
    failures=$((failures + 1))
}
sha() { sha256sum <"$1" | cut -d' ' -f1; }

# A port nothing listens on.
free_port() {
    local candidate
    for _ in $(seq 50); do
        candidate=$((20000 + RANDOM % 20000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then
            echo "$candidate"
            return
        fi
    done
    echo "check-upgrade: no free port found" >&2
    exit 1
}
port="$(free_port)"
url="http://127.0.0.1:$port"

scripts/install.sh --root "$root" --binary "$binary" >/dev/null
installed="$root/usr/local/bin/launchpad"
cli=(--config "$root/etc/launchpad/launchpad.toml" --data-dir "$root/var/lib/launchpad"
    --identity "$root/etc/launchpad/age-identity")

# make_service SCRIPT ROOT BINARY PORT: a script that runs `launchpad serve`
# from a scratch root as launchpad.service would, in the background; stop
# is SIGTERM and a wait.
make_service() {
    local script="$1" at="$2" bin="$3" on="$4"
    cat >"$script" <<EOF
#!/usr/bin/env bash
set -euo pipefail
pidfile="$script.pid"
running() { [[ -f "\$pidfile" ]] && kill -0 "\$(cat "\$pidfile")" 2>/dev/null; }
case "\$1" in
start)
    running && exit 0
    env -i PATH="\$PATH" LAUNCHPAD_ENV=production LAUNCHPAD_LISTEN=127.0.0.1:$on \\
        LAUNCHPAD_ANONYMOUS_ROLE=editor LAUNCHPAD_LOG_FORMAT=json \\
        "$bin" serve --config "$at/etc/launchpad/launchpad.toml" --data-dir "$at/var/lib/launchpad" \\
        --identity "$at/etc/launchpad/age-identity" >>"$script.log" 2>&1 &
    echo \$! >"\$pidfile"
    ;;
stop)
    running || exit 0
    pid="\$(cat "\$pidfile")"
    kill -TERM "\$pid"
    for _ in \$(seq 300); do
        kill -0 "\$pid" 2>/dev/null || break
        sleep 0.1
    done
    rm -f "\$pidfile"
    ;;
is-active) running ;;
esac
EOF
    chmod +x "$script"
}
make_service "$svc" "$root" "$installed" "$port"
upgrade=(scripts/upgrade.sh --root "$root" --service-cmd "$svc" --url "$url" --timeout 10 --watch 3)

ready() { [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "${1:-$url}/ready")" == 200 ]]; }
wait_ready() {
    for _ in $(seq 150); do
        ready "$@" && return 0
        sleep 0.1
    done
    return 1
}

# serve_ready SERVICE BINARY URL DATA_DIR CLI...: starts the service and
# gives it what production's /ready asks for, an admin and a first backup.
serve_ready() {
    local service="$1" bin="$2" at="$3" data="$4"
    shift 4
    "$service" start
    wait_ready "$at" || true
    LAUNCHPAD_PASSWORD='correct horse battery staple 42' \
        "$bin" user add --email admin@example.com --role admin "$@" >/dev/null
    mkdir -p "$data/backups"
    "$bin" backup --out "$data/backups/first.lpbackup" "$@" >/dev/null 2>&1
    wait_ready "$at" || { curl -s "$at/ready"; echo; fail "the scratch server at $at is not ready"; exit 1; }
}

echo "a production server in the scratch root, with an admin and a first backup"
serve_ready "$svc" "$installed" "$url" "$root/var/lib/launchpad" "${cli[@]}"
curl -s -o /dev/null -X POST "$url/api/v1/projects" -H 'content-type: application/json' \
    -H 'x-requested-with: launchpad' -d '{"name":"Made before the upgrades"}'

echo "1. an upgrade to a good build, from a shell with a stray LAUNCHPAD_DATA_DIR"
mkdir -p "$work/good"
cp "$binary" "$work/good/launchpad"
printf '\n# another build\n' >>"$work/good/launchpad"
out="$(LAUNCHPAD_DATA_DIR=/nowhere "${upgrade[@]}" "$work/good/launchpad" 2>&1)" && status=0 || status=$?
[[ -z "${CHECK_UPGRADE_SHOW:-}" ]] || printf '%s\n' "$out"
((status == 0)) || fail "the good upgrade exited $status:"$'\n'"$out"
grep -q 'upgraded to launchpad' <<<"$out" || fail "the good upgrade did not say it upgraded"
grep -q 'no pending migrations' <<<"$out" || fail "the good upgrade did not print migrate --plan"
[[ "$(sha "$installed")" == "$(sha "$work/good/launchpad")" ]] || fail "the good build is not installed"
ready || fail "the service is not ready after the good upgrade"
backup="$(find "$root/var/lib/launchpad/backups" -name 'pre-upgrade-*.lpbackup' | head -1)"
if [[ -z "$backup" ]]; then
    fail "no pre-upgrade backup in the data folder"
else
    verified="$("$installed" verify "$backup" "${cli[@]}" 2>&1)"
    if ! grep -q '^backup OK' <<<"$verified" || ! grep -q '^authentic:' <<<"$verified"; then
        fail "the pre-upgrade backup does not verify: $verified"
    fi
fi
ls "$root"/var/backups/launchpad/launchpad-* >/dev/null 2>&1 || fail "the old binary was not kept"

echo "2. an upgrade to a build that exits at start"
mkdir -p "$work/broken"
cat >"$work/broken/launchpad" <<EOF
#!/bin/sh
# A launchpad that answers everything but cannot serve.
case "\$1" in
--version) echo "launchpad 0.0.1-broken (commit test)" ;;
serve) echo "error: this build cannot start" >&2; exit 1 ;;
*) exec "$binary" "\$@" ;;
esac
EOF
chmod +x "$work/broken/launchpad"
out="$("${upgrade[@]}" "$work/broken/launchpad" 2>&1)" && status=0 || status=$?
[[ -z "${CHECK_UPGRADE_SHOW:-}" ]] || printf '%s\n' "$out"
((status == 1)) || fail "the broken upgrade exited $status, not 1:"$'\n'"$out"
grep -q 'ROLLED BACK to launchpad' <<<"$out" || fail "the broken upgrade did not say it rolled back:"$'\n'"$out"
grep -q 'did not answer .*/ready with 200 within 10 s' <<<"$out" || fail "the rollback did not say why"
grep -q 'the store was not touched' <<<"$out" || fail "the rollback did not say the store was left alone"
[[ "$(sha "$installed")" == "$(sha "$work/good/launchpad")" ]] || fail "the previous binary is not back"
ready || fail "the service is not ready after the rollback"
ls "$root"/var/lib/launchpad/launchpad.redb.pre-restore-* >/dev/null 2>&1 &&
    fail "the store was restored although no migration was to run"

echo "3. an upgrade to a build with a migration that exits at start"
mkdir -p "$work/migrating"
cat >"$work/migrating/launchpad" <<EOF
#!/bin/sh
# A launchpad whose plan lists a step, and that cannot serve.
case "\$1" in
--version) echo "launchpad 0.0.2-migrating (commit test)" ;;
migrate)
    echo "store is at schema version 4; this binary writes version 5"
    echo "pending migrations (1):"
    echo "     5  a step the test pretends to run"
    echo "nothing was changed (--plan)"
    ;;
serve) echo "error: this build cannot start" >&2; exit 1 ;;
*) exec "$binary" "\$@" ;;
esac
EOF
chmod +x "$work/migrating/launchpad"
out="$("${upgrade[@]}" "$work/migrating/launchpad" 2>&1)" && status=0 || status=$?
[[ -z "${CHECK_UPGRADE_SHOW:-}" ]] || printf '%s\n' "$out"
((status == 1)) || fail "the migrating upgrade exited $status, not 1:"$'\n'"$out"
grep -q 'restoring the backup' <<<"$out" || fail "the rollback did not restore the backup:"$'\n'"$out"
grep -q 'the store was restored from' <<<"$out" || fail "the rollback did not say the store was restored"
ls "$root"/var/lib/launchpad/launchpad.redb.pre-restore-* >/dev/null 2>&1 ||
    fail "no launchpad.redb.pre-restore-* copy: the backup was not restored"
[[ "$(sha "$installed")" == "$(sha "$work/good/launchpad")" ]] || fail "the previous binary is not back"
ready || fail "the service is not ready after the restore"
curl -s "$url/api/v1/projects" | grep -q 'Made before the upgrades' ||
    fail "the project made before the upgrades is gone after the restore"

echo "4. refusals that change nothing"
before="$(sha "$installed")"
"$svc" stop
out="$("${upgrade[@]}" "$work/good/launchpad" 2>&1)" && status=0 || status=$?
if ((status != 1)) || ! grep -q 'not ready before the upgrade' <<<"$out"; then
    fail "an upgrade of a stopped service was not refused ($status): $out"
fi
"$svc" start
wait_ready || fail "the service did not start again"
printf '#!/bin/sh\nexit 1\n' >"$work/dead"
chmod +x "$work/dead"
out="$("${upgrade[@]}" "$work/dead" 2>&1)" && status=0 || status=$?
if ((status != 1)) || ! grep -q 'does not run' <<<"$out"; then
    fail "a new binary that does not run was not refused ($status): $out"
fi
[[ "$(sha "$installed")" == "$before" ]] || fail "a refused upgrade changed the binary"

echo "5. an upgrade of a package install to a .deb"
"$svc" stop
droot="$(mktemp -d)"
dsvc="$work/deb-service"
trap '"$dsvc" stop >/dev/null 2>&1 || true; cleanup; rm -rf "$droot"' EXIT
strip -o "$work/stripped" "$binary"
printf '\n# another build\n' >>"$work/stripped"
scripts/release.sh --binary "$work/stripped" --out "$work/dist" >/dev/null
deb="$(find "$work/dist" -name '*.deb')"
mkdir -p "$droot/var/lib/dpkg/info" "$droot/var/lib/dpkg/updates" "$droot/var/lib/dpkg/triggers"
touch "$droot/var/lib/dpkg/status" "$droot/var/lib/dpkg/available"
# The installed package, with the plain binary in place of its own: the
# upgrade then has something to change.
dpkg --root="$droot" --force-script-chrootless --force-depends -i "$deb" >/dev/null 2>&1
install -m 755 "$binary" "$droot/usr/bin/launchpad"
dport="$(free_port)"
durl="http://127.0.0.1:$dport"
dcli=(--config "$droot/etc/launchpad/launchpad.toml" --data-dir "$droot/var/lib/launchpad"
    --identity "$droot/etc/launchpad/age-identity")
make_service "$dsvc" "$droot" "$droot/usr/bin/launchpad" "$dport"
serve_ready "$dsvc" "$droot/usr/bin/launchpad" "$durl" "$droot/var/lib/launchpad" "${dcli[@]}"
out="$(scripts/upgrade.sh --root "$droot" --service-cmd "$dsvc" --url "$durl" --timeout 10 --watch 2 "$deb" 2>&1)" &&
    status=0 || status=$?
[[ -z "${CHECK_UPGRADE_SHOW:-}" ]] || printf '%s\n' "$out"
((status == 0)) || fail "the .deb upgrade exited $status:"$'\n'"$out"
grep -q 'installing the package' <<<"$out" || fail "the .deb upgrade did not install the package"
[[ "$(sha "$droot/usr/bin/launchpad")" == "$(sha "$work/stripped")" ]] || fail "the package's binary is not installed"
ready "$durl" || fail "the service is not ready after the .deb upgrade"
"$dsvc" stop

echo "6. the error-rate rule"
# shellcheck source=/dev/null
source "$repo/scripts/upgrade.sh"
metrics() { # 2xx 5xx probes
    printf 'http_requests_total{method="GET",route="/api/v1/projects",status="200"} %s\n' "$1"
    printf 'http_requests_total{method="POST",route="/api/v1/projects",status="503"} %s\n' "$2"
    printf 'http_requests_total{method="GET",route="/ready",status="200"} %s\n' "$3"
    printf 'http_requests_total{method="GET",route="/metrics",status="200"} %s\n' "$3"
}
start="$(metrics 100 0 10 | error_counts)"
[[ "$start" == "0 100" ]] || fail "error_counts read \"$start\", not \"0 100\" (probes must not count)"
too_many_errors "$start" "$(metrics 170 30 500 | error_counts)" 0.05 ||
    fail "30 of 100 requests failing (a fast burn) did not count as too many"
too_many_errors "$start" "$(metrics 199 1 500 | error_counts)" 0.05 &&
    fail "1 of 100 requests failing (a slow burn) counted as too many"
too_many_errors "$start" "$start" 0.05 && fail "no requests at all counted as too many errors"

if ((failures)); then
    echo "check-upgrade: $failures failure(s); the service's log:"
    tail -20 "$svc.log" | sed 's/^/  /'
    exit 1
fi
echo "check-upgrade: upgrades, rollbacks, restores and refusals behave"
