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
shellcheck -x scripts/*.sh scripts/bench/*.sh .ci/run packaging/launchpad-identity
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

# The same HTTP and CLI suite again, every app and every run of the binary
# on a database of its own on the throwaway server. Left out: PostgreSQL's
# own tests (they ran above), and what only a store file has (its lock, its
# bytes, its modes, a full disk under it, a restore's .pre-restore copy),
# which those tests prove by reading or removing the file.
log "cargo test: the HTTP suite on PostgreSQL"
left_out=(
    full_disk:: file_modes:: backup_hostile:: pg_engine:: pg_instances:: postgres_connect::
    cli::a_second_server_on_the_same_store_is_refused_with_a_clear_message
    cli::the_embedded_default_serves_with_nothing_configured
    cli::migrate_plan_on_a_current_store_has_nothing_pending_and_leaves_the_file_untouched
    backup::a_backup_carries_accounts_so_a_restored_store_keeps_its_users_and_tokens
    backup::a_backup_whose_key_the_identity_cannot_unwrap_is_refused_by_restore
    backup::a_backup_without_a_server_opens_the_store_itself_and_is_recorded
    backup::a_tampered_journal_is_refused_and_nothing_is_applied
    backup::replaying_to_a_time_before_the_restored_snapshot_is_refused
    backup::restore_without_force_refuses_to_replace_and_dry_run_changes_nothing
    backup::restore_replaces_the_store_and_keeps_the_old_one_as_a_dated_copy
    encryption::a_ciphertext_copied_to_another_task_is_refused_not_shown
    encryption::a_different_identity_is_refused_at_start_naming_the_expected_key_and_nothing_changes
    encryption::a_missing_identity_is_refused_at_start_and_not_silently_replaced
    encryption::keys_status_reads_the_expected_key_in_production_even_when_the_identity_is_missing
    encryption::offline_rotation_keeps_every_value_readable_and_changes_every_ciphertext
)
skips=()
for name in "${left_out[@]}"; do skips+=(--skip "$name"); done
LAUNCHPAD_TEST_BACKEND=postgres cargo test --locked --test api -- "${skips[@]}" 2>&1 |
    tee -a "$results" || status=$?

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
