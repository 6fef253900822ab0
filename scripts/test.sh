#!/usr/bin/env bash
# The one test command: installs what a fresh machine lacks, then runs the
# formatter check, clippy with warnings as errors, the dependency policy
# (licences, bans, sources, RustSec advisories), the deployment checks
# (scripts, monitoring assets, systemd units, install.sh and the .deb, the
# release artifacts, upgrade.sh and its rollback), the API contract
# (schemathesis against the OpenAPI document), every test (those of
# PostgreSQL against a throwaway server), and the browser tests of the UI.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n==> %s\n' "$*"; }

# Debian packages the tests need: curl (CLI tests talk to the binary), git
# (the build records the commit; cargo-deny clones the advisory database),
# and a C toolchain for crates that build C (binutils' strip and readelf
# also serve the packaging checks, dpkg-deb the .deb).
# The deployment checks need shellcheck, jq, systemd-analyze (package
# systemd; it works without systemd running) and promtool (prometheus).
# The PostgreSQL tests run a throwaway server from Debian's postgresql, with
# certificates made by openssl (scripts/pg-test-server.sh).
need_apt=()
command -v curl >/dev/null || need_apt+=(curl)
command -v git >/dev/null || need_apt+=(git)
command -v cc >/dev/null || need_apt+=(build-essential)
command -v dpkg-deb >/dev/null || need_apt+=(dpkg)
command -v kill >/dev/null || need_apt+=(procps)
command -v shellcheck >/dev/null || need_apt+=(shellcheck)
command -v jq >/dev/null || need_apt+=(jq)
command -v systemd-analyze >/dev/null || need_apt+=(systemd)
command -v promtool >/dev/null || need_apt+=(prometheus)
# The contract check installs schemathesis from PyPI into a virtualenv.
command -v python3 >/dev/null || need_apt+=(python3)
python3 -c 'import ensurepip, venv' 2>/dev/null || need_apt+=(python3-venv)
command -v openssl >/dev/null || need_apt+=(openssl)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need_apt+=(postgresql)
# The browser tests drive Debian's Chromium with playwright-core from npm.
command -v node >/dev/null || need_apt+=(nodejs)
command -v npm >/dev/null || need_apt+=(npm)
[[ -x /usr/bin/chromium ]] || need_apt+=(chromium)
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
shellcheck scripts/*.sh .ci/run packaging/launchpad-identity
shellcheck -s sh packaging/deb/postinst packaging/deb/prerm packaging/deb/postrm

log "layers: every module imports downward only"
scripts/check-layers.sh

log "monitoring: alert rules, their tests, the dashboard and metric names"
scripts/check-monitoring.sh

# cargo-deny (installed once, pinned) and the RustSec advisory database,
# from the network or the offline copy (LAUNCHPAD_ADVISORY_DB); npm audit
# of the browser tests only warns.
log "dependencies: licences, bans, sources, advisories"
scripts/check-deps.sh

# The unit and install checks use the real binary.
log "cargo build"
cargo build --locked --quiet

log "systemd units: verify and security exposure"
scripts/check-units.sh target/debug/launchpad

log "install.sh and the .deb into scratch roots: install, reinstall, uninstall, purge"
scripts/check-install.sh target/debug/launchpad

log "release artifacts: tarball, SHA256SUMS, SBOM, packaged twice"
scripts/check-release.sh target/debug/launchpad

log "upgrade.sh in a scratch root: a good build, broken builds rolled back"
scripts/check-upgrade.sh target/debug/launchpad

log "contract: schemathesis against a real server and its OpenAPI document"
scripts/check-contract.sh target/debug/launchpad

# A PostgreSQL server of its own for the tests, stopped however the run ends.
log "PostgreSQL: a throwaway server for the tests"
results="$(mktemp)"
trap 'rm -f "$results"; scripts/pg-test-server.sh stop || true' EXIT
scripts/pg-test-server.sh start
LAUNCHPAD_TEST_POSTGRES_URL="$(scripts/pg-test-server.sh url)"
LAUNCHPAD_TEST_POSTGRES_CA="$(scripts/pg-test-server.sh ca)"
export LAUNCHPAD_TEST_POSTGRES_URL LAUNCHPAD_TEST_POSTGRES_CA

log "cargo test"
status=0
cargo test --all-targets --locked 2>&1 | tee "$results" || status=$?

log "browser tests: headless Chromium against target/debug/launchpad"
binary="${CARGO_TARGET_DIR:-target}/debug/launchpad"
[[ $binary == /* ]] || binary="$PWD/$binary"
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
(cd tests/browser &&
    LAUNCHPAD_BINARY="$binary" node --test --test-concurrency=1 --test-reporter=spec ui.test.js) 2>&1 |
    tee -a "$results" || status=$?

# One closing line with the totals over every test binary and the browser
# tests (the benchmark smoke run prints last otherwise).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed;?$/) p += $(i - 1); if ($i ~ /^failed;?$/) f += $(i - 1) } }
     /^ℹ pass [0-9]+$/ { p += $3 } /^ℹ fail [0-9]+$/ { f += $3 }
     END { printf "\n%d passed, %d failed\n", p, f }' "$results"
exit "$status"
