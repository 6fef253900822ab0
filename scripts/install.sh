#!/usr/bin/env bash
# Installs LaunchPad on this machine (or into a folder with --root): the
# binary, the three systemd units, a production config and the age identity.
# Safe to run again: it never overwrites the config or the identity, and a
# second run changes nothing. See README.md, "Deploy on a fresh instance".
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: scripts/install.sh [--binary PATH] [--root DIR]
       scripts/install.sh --uninstall [--root DIR]

Installs LaunchPad as a hardened systemd service:
  /usr/local/bin/launchpad                     the binary (from --binary)
  /etc/systemd/system/launchpad.service        the service (Type=notify, DynamicUser)
  /etc/systemd/system/launchpad-backup.service the nightly backup, through the server
  /etc/systemd/system/launchpad-backup.timer
  /etc/launchpad/launchpad.toml                production config, only if absent
  /etc/launchpad/age-identity                  the age identity (mode 0600, root), only if absent

Then it reloads systemd, enables and starts launchpad.service and enables
and starts the backup timer. The data lives in /var/lib/launchpad, which
systemd creates at the first start.

Options:
  --binary PATH  the launchpad binary to install [default: ./launchpad in an
                 unpacked release, else target/release/launchpad]
  --root DIR     install into DIR instead of / (every path is prefixed with DIR);
                 units are enabled offline and nothing is started or chowned
  --uninstall    stop and disable the units, remove them and the binary; keeps
                 /etc/launchpad (identity, config) and /var/lib/launchpad (data)
  -h, --help     this text

Examples:
  cargo build --release && sudo scripts/install.sh
  tar -xzf launchpad-0.2.0-x86_64-unknown-linux-gnu.tar.gz && sudo launchpad-0.2.0-x86_64-unknown-linux-gnu/scripts/install.sh
  sudo scripts/install.sh --binary /tmp/launchpad-0.2.0
  scripts/install.sh --root /tmp/fake-root --binary target/debug/launchpad
  sudo scripts/install.sh --uninstall
EOF
}

say() { printf '%s\n' "$*"; }
die() {
    printf 'install.sh: error: %s\n' "$*" >&2
    exit 1
}

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# An unpacked release has the binary at its top; a checkout builds it.
binary="$repo/target/release/launchpad"
[[ -x "$repo/launchpad" && ! -d "$repo/launchpad" ]] && binary="$repo/launchpad"
root=""
uninstall=false

while (($#)); do
    case "$1" in
    --binary)
        (($# >= 2)) || die "--binary needs a path"
        binary="$2"
        shift 2
        ;;
    --binary=*)
        binary="${1#--binary=}"
        shift
        ;;
    --root)
        (($# >= 2)) || die "--root needs a folder"
        root="$2"
        shift 2
        ;;
    --root=*)
        root="${1#--root=}"
        shift
        ;;
    --uninstall)
        uninstall=true
        shift
        ;;
    -h | --help)
        usage
        exit 0
        ;;
    *)
        usage >&2
        printf '\ninstall.sh: error: unknown argument %q\n' "$1" >&2
        exit 2
        ;;
    esac
done

if [[ -n "$root" ]]; then
    [[ -d "$root" ]] || die "--root $root is not a folder; create it first"
    root="$(cd "$root" && pwd)"
    [[ "$root" != / ]] || root=""
fi
if [[ -z "$root" && "$(id -u)" -ne 0 ]]; then
    die "installing into / needs root: run it with sudo, or pass --root DIR to install into a folder"
fi

bin_path="/usr/local/bin/launchpad"
unit_dir="/etc/systemd/system"
etc_dir="/etc/launchpad"
config="$etc_dir/launchpad.toml"
identity="$etc_dir/age-identity"
data_dir="/var/lib/launchpad"
units=(launchpad.service launchpad-backup.service launchpad-backup.timer)
enabled=(launchpad.service launchpad-backup.timer)

# Whether systemd manages this machine (the test systemd itself documents).
systemd_running() { [[ -z "$root" && -d /run/systemd/system ]]; }

# systemctl for the target: offline on the folder with --root.
sysctl() {
    if [[ -n "$root" ]]; then
        systemctl --root="$root" "$@"
    else
        systemctl "$@"
    fi
}

# Copies $1 to $root$2 with mode $3 unless it is already there, byte for
# byte, and says which. Sets `changed` to true when the file changed.
changed=false
put() {
    local src="$1" dest="$root$2" mode="$3"
    changed=false
    if [[ -f "$dest" ]] && cmp -s "$src" "$dest"; then
        if [[ "$(stat -c %a "$dest")" != "$mode" ]]; then
            chmod "$mode" "$dest"
            say "  $2: mode set to $mode"
        else
            say "  $2: unchanged"
        fi
        return
    fi
    install -D -m "$mode" "$src" "$dest"
    changed=true
    say "  $2: installed"
}

do_uninstall() {
    say "uninstalling LaunchPad${root:+ from $root}"
    if systemd_running; then
        for unit in launchpad-backup.timer launchpad-backup.service launchpad.service; do
            if systemctl is-active --quiet "$unit"; then
                systemctl stop "$unit"
                say "  stopped $unit"
            fi
        done
    fi
    if command -v systemctl >/dev/null; then
        for unit in "${enabled[@]}"; do
            if [[ -f "$root$unit_dir/$unit" ]] && sysctl --quiet is-enabled "$unit" 2>/dev/null; then
                sysctl --quiet disable "$unit" 2>/dev/null
                say "  disabled $unit"
            fi
        done
    fi
    # Links left behind when systemctl was not there to remove them.
    rm -f "$root$unit_dir/multi-user.target.wants/launchpad.service" \
        "$root$unit_dir/timers.target.wants/launchpad-backup.timer"
    for unit in "${units[@]}"; do
        if [[ -e "$root$unit_dir/$unit" ]]; then
            rm -f "$root$unit_dir/$unit"
            say "  removed $unit_dir/$unit"
        fi
    done
    if [[ -e "$root$bin_path" ]]; then
        rm -f "$root$bin_path"
        say "  removed $bin_path"
    fi
    if systemd_running; then
        systemctl daemon-reload
    fi
    say "kept $etc_dir (the age identity and the config) and $data_dir (the store and its backups)."
    say "without the identity neither the store nor any backup can be read: remove them only when the data is no longer needed."
}

if $uninstall; then
    do_uninstall
    exit 0
fi

[[ -f "$binary" && -x "$binary" ]] ||
    die "no executable launchpad at $binary; build it with \`cargo build --release\` or pass --binary PATH"
"$binary" --version >/dev/null 2>&1 ||
    die "$binary --version failed; is it a launchpad binary for this machine?"
for unit in "${units[@]}"; do
    [[ -f "$repo/systemd/$unit" ]] || die "missing $repo/systemd/$unit; run the script from a LaunchPad checkout or release"
done
for file in launchpad.toml launchpad-identity; do
    [[ -f "$repo/packaging/$file" ]] || die "missing $repo/packaging/$file; run the script from a LaunchPad checkout or release"
done

say "installing $("$binary" --version)${root:+ into $root}"

put "$binary" "$bin_path" 755
binary_changed=$changed

units_changed=false
for unit in "${units[@]}"; do
    put "$repo/systemd/$unit" "$unit_dir/$unit" 644
    if $changed; then units_changed=true; fi
done

# The config first (keys init reads it), then /etc/launchpad and the
# identity, set up by the same helper the package's postinst uses.
if [[ -e "$root$config" ]]; then
    say "  $config: kept (an existing config is never overwritten)"
else
    install -d -m 700 "$root$etc_dir"
    install -m 600 "$repo/packaging/launchpad.toml" "$root$config"
    say "  $config: written (production defaults; edit it, then restart)"
fi
sh "$repo/packaging/launchpad-identity" "$binary" "$root" ||
    die "setting up the age identity in $etc_dir failed (see above)"
if [[ -z "$root" ]]; then
    chown root:root "$root$etc_dir" "$root$config" "$root$identity"
fi

if ! command -v systemctl >/dev/null; then
    mkdir -p "$root$unit_dir/multi-user.target.wants" "$root$unit_dir/timers.target.wants"
    ln -sfn "$unit_dir/launchpad.service" "$root$unit_dir/multi-user.target.wants/launchpad.service"
    ln -sfn "$unit_dir/launchpad-backup.timer" "$root$unit_dir/timers.target.wants/launchpad-backup.timer"
    say "systemctl is not installed: linked the units into multi-user.target.wants and timers.target.wants"
    exit 0
fi

if systemd_running; then
    systemctl daemon-reload
fi
for unit in "${enabled[@]}"; do
    if sysctl --quiet is-enabled "$unit" 2>/dev/null; then
        say "  $unit: already enabled"
    else
        # Offline (--root) enabling warns that the targets are not in the
        # folder; that is expected there.
        sysctl --quiet enable "$unit" 2>/dev/null || die "systemctl enable $unit failed"
        say "  $unit: enabled"
    fi
done

if [[ -n "$root" ]]; then
    say "installed into $root; nothing was started (--root)."
    exit 0
fi
if ! systemd_running; then
    say "systemd is not running on this machine: the units are enabled and start at the next boot."
    exit 0
fi

if systemctl is-active --quiet launchpad.service; then
    if $binary_changed || $units_changed; then
        systemctl restart launchpad.service
        say "  launchpad.service: restarted with the new binary or unit"
    else
        say "  launchpad.service: running"
    fi
else
    systemctl start launchpad.service ||
        die "launchpad.service did not start; read \`journalctl -u launchpad -n 50\` and runbooks/README.md"
    say "  launchpad.service: started"
fi
if systemctl is-active --quiet launchpad-backup.timer; then
    say "  launchpad-backup.timer: running"
else
    systemctl start launchpad-backup.timer
    say "  launchpad-backup.timer: started"
fi

say ""
say "next (/ready answers 503 until there is an admin and a first backup):"
say "  sudo launchpad user add --email you@example.com --role admin --config $config"
say "  sudo systemctl start launchpad-backup.service     # the first backup; then nightly"
say "  curl -s localhost:8080/ready                      # every check ok"
say "  systemctl list-timers launchpad-backup.timer"
