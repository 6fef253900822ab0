#!/usr/bin/env bash
# Checks scripts/install.sh against a scratch root: it installs the binary,
# the units, the config and a root-only identity; a second run changes
# nothing (and keeps an operator's edits); --uninstall removes the binary
# and the units but keeps the identity and the config.
#
# Then the .deb (scripts/release.sh --binary packages the given binary): its
# control fields and contents (dpkg-deb), and dpkg installing it into
# another scratch root with its maintainer scripts run outside a chroot
# (DPKG_ROOT): the identity is created once, the config is a conffile that
# keeps an operator's edit on a reinstall, removal keeps config, identity and
# data, and purge says what it keeps and keeps it.
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

echo "the .deb: fields and contents"
version="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)"
# A stripped copy packs in seconds; what is checked here does not need symbols.
strip -o "$work/launchpad-stripped" "$binary"
scripts/release.sh --binary "$work/launchpad-stripped" --out "$work/dist" >/dev/null ||
    fail "scripts/release.sh --binary could not package the binary"
deb="$work/dist/launchpad_${version/-/\~}_amd64.deb"
if [[ ! -f "$deb" ]]; then
    fail "no $deb"
    echo "check-install: $failures failure(s)"
    exit 1
fi
[[ "$(dpkg-deb --field "$deb" Package)" == launchpad ]] || fail "the package is not named launchpad"
[[ "$(dpkg-deb --field "$deb" Version)" == "${version/-/\~}" ]] || fail "the package's version is not Cargo.toml's $version"
[[ "$(dpkg-deb --field "$deb" Architecture)" == amd64 ]] || fail "the package is not for amd64"
dpkg-deb --field "$deb" Depends | grep -q '^libc6 (>= 2\.[0-9]*), libgcc-s1$' || fail "unexpected Depends: $(dpkg-deb --field "$deb" Depends)"
contents="$(dpkg-deb --contents "$deb" | awk '{ print $1, $2, $6 }')"
for entry in '-rwxr-xr-x root/root ./usr/bin/launchpad' 'drwx------ root/root ./etc/launchpad/' \
    '-rw------- root/root ./etc/launchpad/launchpad.toml' '-rw-r--r-- root/root ./lib/systemd/system/launchpad.service' \
    '-rw-r--r-- root/root ./lib/systemd/system/launchpad-backup.service' \
    '-rw-r--r-- root/root ./lib/systemd/system/launchpad-backup.timer' \
    '-rwxr-xr-x root/root ./usr/lib/launchpad/launchpad-identity' '-rwxr-xr-x root/root ./usr/lib/launchpad/upgrade.sh' \
    '-rw-r--r-- root/root ./usr/share/doc/launchpad/copyright' \
    '-rw-r--r-- root/root ./usr/share/doc/launchpad/runbooks/monitoring/alerts.yml'; do
    grep -qxF -- "$entry" <<<"$contents" || fail "the package lacks: $entry"
done
grep -q 'age-identity' <<<"$contents" && fail "the package ships an identity; it must be created on the instance"
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles | grep -qxF /etc/launchpad/launchpad.toml ||
    fail "/etc/launchpad/launchpad.toml is not a conffile"
dpkg-deb -x "$deb" "$work/unpacked"
for unit in launchpad.service launchpad-backup.service launchpad-backup.timer; do
    cmp -s <(sed 's#/usr/local/bin/launchpad#/usr/bin/launchpad#g' "systemd/$unit") "$work/unpacked/lib/systemd/system/$unit" ||
        fail "the package's $unit is not systemd/$unit with the binary at /usr/bin/launchpad"
done
grep -qx 'ExecStart=/usr/bin/launchpad serve --config %d/launchpad.toml' "$work/unpacked/lib/systemd/system/launchpad.service" ||
    fail "the package's launchpad.service does not run /usr/bin/launchpad"
cmp -s packaging/launchpad.toml "$work/unpacked/etc/launchpad/launchpad.toml" ||
    fail "the package's config is not packaging/launchpad.toml"

echo "the .deb: install, reinstall, remove and purge in a scratch root"
droot="$(mktemp -d)"
trap 'rm -rf "$root" "$work" "$droot"' EXIT
mkdir -p "$droot/var/lib/dpkg/info" "$droot/var/lib/dpkg/updates" "$droot/var/lib/dpkg/triggers"
touch "$droot/var/lib/dpkg/status" "$droot/var/lib/dpkg/available"
# The scratch root has no libc6 package: the dependency is not checked there.
dpkg_root() { dpkg --root="$droot" --force-script-chrootless --force-depends "$@" 2>&1; }
expect_in() { # path mode
    local got
    got="$(stat -c %a "$droot$1" 2>/dev/null || echo missing)"
    [[ "$got" == "$2" ]] || fail "(deb) $1 has mode $got, expected $2"
}
out="$(dpkg_root -i "$deb")" || fail "dpkg -i failed: $out"
"$droot/usr/bin/launchpad" --version | grep -qF "launchpad $version " || fail "(deb) the installed binary does not run"
expect_in /usr/bin/launchpad 755
expect_in /etc/launchpad 700
expect_in /etc/launchpad/launchpad.toml 600
expect_in /etc/launchpad/age-identity 600
grep -q '^AGE-SECRET-KEY-1' "$droot$identity" || fail "(deb) postinst created no age identity"
recipient="$(sed -n 's/^# public key: //p' "$droot$identity")"
grep -qF "public key (recipient): $recipient" <<<"$out" || fail "(deb) postinst did not print the identity's recipient"
[[ "$(readlink "$droot/etc/systemd/system/multi-user.target.wants/launchpad.service")" == /lib/systemd/system/launchpad.service ]] ||
    fail "(deb) launchpad.service is not enabled"
[[ "$(readlink "$droot/etc/systemd/system/timers.target.wants/launchpad-backup.timer")" == /lib/systemd/system/launchpad-backup.timer ]] ||
    fail "(deb) launchpad-backup.timer is not enabled"
"$droot/usr/bin/launchpad" config check --config "$droot$config" --identity "$droot$identity" >/dev/null ||
    fail "(deb) launchpad config check rejects the installed config"

echo '# an operator edit' >>"$droot$config"
id_sum="$(sha256sum <"$droot$identity")"
out="$(dpkg_root -i "$deb")" || fail "reinstalling the .deb failed: $out"
grep -qxF '# an operator edit' "$droot$config" || fail "(deb) a reinstall replaced the edited config"
[[ "$(sha256sum <"$droot$identity")" == "$id_sum" ]] || fail "(deb) a reinstall changed the identity"
grep -q 'age-identity: kept' <<<"$out" || fail "(deb) a reinstall did not say it kept the identity"

# Data the service would have written.
mkdir -p "$droot/var/lib/private/launchpad"
echo store >"$droot/var/lib/private/launchpad/launchpad.redb"
ln -s private/launchpad "$droot/var/lib/launchpad"
out="$(dpkg_root -r launchpad)" || fail "dpkg -r failed: $out"
[[ ! -e "$droot/usr/bin/launchpad" ]] || fail "(deb) removal left the binary"
[[ ! -e "$droot/lib/systemd/system/launchpad.service" ]] || fail "(deb) removal left the unit"
grep -qxF '# an operator edit' "$droot$config" || fail "(deb) removal deleted the config"
[[ "$(sha256sum <"$droot$identity")" == "$id_sum" ]] || fail "(deb) removal changed the identity"
[[ -f "$droot/var/lib/private/launchpad/launchpad.redb" ]] || fail "(deb) removal deleted the data"
grep -q 'kept /etc/launchpad' <<<"$out" || fail "(deb) removal did not say what it kept"

out="$(dpkg_root -P launchpad)" || fail "dpkg -P failed: $out"
grep -q 'kept on purpose: /etc/launchpad/age-identity' <<<"$out" || fail "(deb) purge did not say it keeps the identity: $out"
grep -q '/var/lib/launchpad' <<<"$out" || fail "(deb) purge did not say it keeps the data"
[[ "$(sha256sum <"$droot$identity")" == "$id_sum" ]] || fail "(deb) purge removed the identity"
[[ -f "$droot/var/lib/private/launchpad/launchpad.redb" ]] || fail "(deb) purge deleted the data"
[[ ! -e "$droot$config" ]] || fail "(deb) purge left the conffile"
[[ ! -e "$droot/etc/systemd/system/multi-user.target.wants/launchpad.service" ]] || fail "(deb) purge left the enable link"

if ((failures)); then
    echo "check-install: $failures failure(s)"
    exit 1
fi
echo "check-install: install, reinstall and uninstall behave, and so does the .deb"
