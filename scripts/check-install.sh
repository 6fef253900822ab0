#!/usr/bin/env bash
# Checks scripts/install.sh against a scratch root: it installs the binary,
# the units, the config and a root-only identity; a second run changes
# nothing (and keeps an operator's edits); --uninstall removes the binary
# and the units but keeps the identity and the config.
#
# Usage: scripts/check-install.sh [BINARY]   (default target/debug/launchpad)
set -euo pipefail
cd "$(dirname "$0")/.."

binary="${1:-target/debug/launchpad}"
[[ -x "$binary" ]] || { echo "check-install: no binary at $binary; run cargo build first" >&2; exit 1; }

root="$(mktemp -d)"
work="$(mktemp -d)"
trap 'rm -rf "$root" "$work"' EXIT
# A private copy, so a rebuild during the check cannot look like a change.
cp "$binary" "$work/launchpad"
binary="$work/launchpad"
failures=0
fail() {
    echo "check-install: FAIL: $*"
    failures=$((failures + 1))
}
expect_mode() { # path mode
    local got
    got="$(stat -c %a "$root$1" 2>/dev/null || echo missing)"
    [[ "$got" == "$2" ]] || fail "$1 has mode $got, expected $2"
}
expect_file() { [[ -f "$root$1" ]] || fail "$1 is missing"; }
expect_gone() { [[ ! -e "$root$1" && ! -L "$root$1" ]] || fail "$1 is still there"; }
# A listing of every path with its mode and content digest: what "nothing
# changed" compares.
snapshot() {
    (cd "$root" && find . -printf '%p %M %l\n' | sort && find . -type f -exec sha256sum {} + | sort)
}

bin=/usr/local/bin/launchpad
units=/etc/systemd/system
identity=/etc/launchpad/age-identity
config=/etc/launchpad/launchpad.toml

echo "first install"
first="$(scripts/install.sh --root "$root" --binary "$binary")" || fail "the first install failed"
expect_file "$bin"
expect_mode "$bin" 755
for unit in launchpad.service launchpad-backup.service launchpad-backup.timer; do
    expect_file "$units/$unit"
    expect_mode "$units/$unit" 644
    cmp -s "systemd/$unit" "$root$units/$unit" || fail "$units/$unit differs from systemd/$unit"
done
expect_mode /etc/launchpad 700
expect_mode "$identity" 600
expect_mode "$config" 600
grep -q '^AGE-SECRET-KEY-1' "$root$identity" || fail "$identity holds no age identity"
for line in 'env = "production"' 'listen = "0.0.0.0:8080"' 'data_dir = "/var/lib/launchpad"' \
    'demo_data = false' 'identity_file = "/etc/launchpad/age-identity"' 'max_age_hours = 26'; do
    grep -qxF "$line" "$root$config" || fail "$config lacks: $line"
done
[[ "$(readlink "$root$units/timers.target.wants/launchpad-backup.timer")" == "$units/launchpad-backup.timer" ]] ||
    fail "the backup timer is not enabled (no timers.target.wants link)"
[[ "$(readlink "$root$units/multi-user.target.wants/launchpad.service")" == "$units/launchpad.service" ]] ||
    fail "launchpad.service is not enabled (no multi-user.target.wants link)"
recipient="$(sed -n 's/^# public key: //p' "$root$identity")"
grep -qF "public key (recipient): $recipient" <<<"$first" || fail "the install did not print the identity's recipient"
"$binary" config check --config "$root$config" --identity "$root$identity" >/dev/null ||
    fail "launchpad config check rejects the installed config"

echo "second install, after an operator edited the config"
echo '# an operator edit' >>"$root$config"
before="$(snapshot)"
id_sum="$(sha256sum <"$root$identity")"
scripts/install.sh --root "$root" --binary "$binary" >/dev/null || fail "the second install failed"
[[ "$(snapshot)" == "$before" ]] || {
    fail "the second install changed files:"
    diff <(printf '%s\n' "$before") <(snapshot) | sed 's/^/  /' || true
}
[[ "$(sha256sum <"$root$identity")" == "$id_sum" ]] || fail "the second install changed the identity"

echo "uninstall"
out="$(scripts/install.sh --root "$root" --uninstall)" || fail "--uninstall failed"
expect_gone "$bin"
for unit in launchpad.service launchpad-backup.service launchpad-backup.timer; do
    expect_gone "$units/$unit"
done
expect_gone "$units/timers.target.wants/launchpad-backup.timer"
expect_gone "$units/multi-user.target.wants/launchpad.service"
[[ "$(sha256sum <"$root$identity")" == "$id_sum" ]] || fail "--uninstall changed or removed the identity"
grep -qxF '# an operator edit' "$root$config" || fail "--uninstall changed or removed the config"
grep -q "kept /etc/launchpad" <<<"$out" || fail "--uninstall did not say what it kept"
scripts/install.sh --root "$root" --uninstall >/dev/null || fail "a second --uninstall failed"

echo "refusals"
if scripts/install.sh --root "$root" --binary "$root/no-such-binary" 2>/dev/null; then
    fail "a missing binary was accepted"
fi
if scripts/install.sh --bogus 2>/dev/null; then
    fail "an unknown option was accepted"
fi
scripts/install.sh --help | grep -q -- '--uninstall' || fail "--help does not describe --uninstall"

if ((failures)); then
    echo "check-install: $failures failure(s)"
    exit 1
fi
echo "check-install: install, reinstall and uninstall behave"
