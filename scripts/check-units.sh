#!/usr/bin/env bash
# Checks the systemd units in systemd/: `systemd-analyze verify` is clean
# for all three, and `systemd-analyze security --offline=true` rates both
# services at an exposure of at most 1.5 (DESIGN §9). Works without systemd
# running (in a container too): the units are installed by install.sh into
# a scratch root, with the real launchpad binary, beside a copy of this
# machine's own unit folder (sysinit.target and the other targets the units
# order against) and its mkdir (the backup unit's ExecStartPre=). The
# example drop-ins in systemd/*.service.d/ are then installed there as an
# operator would, and both services are verified again with them applied.
#
# Usage: scripts/check-units.sh [BINARY]   (default target/debug/launchpad)
set -euo pipefail
cd "$(dirname "$0")/.."

max_exposure=1.5
binary="${1:-target/debug/launchpad}"
[[ -x "$binary" ]] || { echo "check-units: no binary at $binary; run cargo build first" >&2; exit 1; }
command -v systemd-analyze >/dev/null || { echo "check-units: systemd-analyze is missing (Debian package systemd)" >&2; exit 1; }

root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT

scripts/install.sh --root "$root" --binary "$binary" >/dev/null
os_units=/usr/lib/systemd/system
[[ -d "$os_units" ]] || os_units=/lib/systemd/system
mkdir -p "$root/usr/lib/systemd" "$root/usr/bin"
cp -a "$os_units" "$root/usr/lib/systemd/system"
cp "$(command -v mkdir)" "$root/usr/bin/mkdir"

status=0
for unit in launchpad.service launchpad-backup.service launchpad-backup.timer; do
    # verify prints nothing and exits 0 when the unit is clean.
    if out="$(systemd-analyze verify --root="$root" "$unit" 2>&1)" && [[ -z "$out" ]]; then
        echo "verify $unit: clean"
    else
        echo "verify $unit: FAILED"
        printf '%s\n' "$out" | sed 's/^/  /'
        status=1
    fi
done

# The same units with every example drop-in applied (PostgreSQL).
for example in systemd/*.service.d/*.conf.example; do
    unit_d="$(basename "$(dirname "$example")")"
    mkdir -p "$root/etc/systemd/system/$unit_d"
    cp "$example" "$root/etc/systemd/system/$unit_d/$(basename "$example" .example)"
done
for unit in launchpad.service launchpad-backup.service; do
    if out="$(systemd-analyze verify --root="$root" "$unit" 2>&1)" && [[ -z "$out" ]]; then
        echo "verify $unit with its drop-ins: clean"
    else
        echo "verify $unit with its drop-ins: FAILED"
        printf '%s\n' "$out" | sed 's/^/  /'
        status=1
    fi
done

for unit in launchpad.service launchpad-backup.service; do
    out="$(systemd-analyze security --offline=true --no-pager "systemd/$unit" 2>&1)" || true
    score="$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')"
    if [[ -z "$score" ]]; then
        echo "security $unit: no score in the output:"
        printf '%s\n' "$out" | tail -5 | sed 's/^/  /'
        status=1
    elif awk -v s="$score" -v m="$max_exposure" 'BEGIN { exit !(s <= m) }'; then
        echo "security $unit: exposure $score (at most $max_exposure)"
    else
        echo "security $unit: exposure $score is above $max_exposure; what is still open:"
        printf '%s\n' "$out" | grep '✗' | sed 's/^/  /'
        status=1
    fi
done
exit "$status"
