#!/usr/bin/env bash
# The one test command: installs what a fresh machine lacks, then runs the
# formatter check, clippy with warnings as errors, the deployment checks
# (scripts, monitoring assets, systemd units, install.sh) and every test.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n==> %s\n' "$*"; }

# Debian packages the tests need: curl (CLI tests talk to the binary), git
# (the build records the commit), and a C toolchain for crates that build C.
# The deployment checks need shellcheck, jq, systemd-analyze (package
# systemd; it works without systemd running) and promtool (prometheus).
need_apt=()
command -v curl >/dev/null || need_apt+=(curl)
command -v git >/dev/null || need_apt+=(git)
command -v cc >/dev/null || need_apt+=(build-essential)
command -v kill >/dev/null || need_apt+=(procps)
command -v shellcheck >/dev/null || need_apt+=(shellcheck)
command -v jq >/dev/null || need_apt+=(jq)
command -v systemd-analyze >/dev/null || need_apt+=(systemd)
command -v promtool >/dev/null || need_apt+=(prometheus)
if ((${#need_apt[@]})); then
    log "installing ${need_apt[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${need_apt[@]}"
fi

if ! command -v cargo >/dev/null; then
    echo "cargo is not installed; install Rust from https://rustup.rs and run again" >&2
    exit 1
fi
rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy

log "cargo fmt --check"
cargo fmt --all -- --check

log "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets --locked -- -D warnings

log "shellcheck"
shellcheck scripts/*.sh .ci/run

log "monitoring: alert rules, their tests, the dashboard and metric names"
scripts/check-monitoring.sh

# The unit and install checks use the real binary.
log "cargo build"
cargo build --locked --quiet

log "systemd units: verify and security exposure"
scripts/check-units.sh target/debug/launchpad

log "install.sh into a scratch root: install, reinstall, uninstall"
scripts/check-install.sh target/debug/launchpad

log "cargo test"
results="$(mktemp)"
trap 'rm -f "$results"' EXIT
status=0
cargo test --all-targets --locked 2>&1 | tee "$results" || status=$?

# One closing line with the totals over every test binary (the benchmark
# smoke run prints last otherwise).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed;?$/) p += $(i - 1); if ($i ~ /^failed;?$/) f += $(i - 1) } }
     END { printf "\n%d passed, %d failed\n", p, f }' "$results"
exit "$status"
