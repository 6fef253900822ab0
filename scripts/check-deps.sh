#!/usr/bin/env bash
# Checks LaunchPad's dependencies against deny.toml with cargo-deny: licences
# from the allowlist, no banned crate and no second copy of the ones that
# matter, crates.io as the only source, and no known RustSec advisory unless
# deny.toml lists it with a reason and an expiry date that has not passed.
# Then the npm audit of the browser tests' dependencies, as a warning only.
#
# The advisory database is cloned from the network first. When that fails
# (an offline machine) it comes from the local copy named by
# LAUNCHPAD_ADVISORY_DB (a git bundle, a folder holding advisory-db.bundle,
# or a clone; relative to the repository root), by default
# ../shared/advisory-db. The script says which copy it used and how old it
# is. cargo-deny (pinned below) is installed with cargo when it is missing.
#
# Usage: scripts/check-deps.sh
set -euo pipefail
cd "$(dirname "$0")/.."

deny_version=0.20.2
advisory_url=https://github.com/rustsec/advisory-db
# cargo-deny opens a database under db-path in a folder named after its URL
# (the URL's last segment and an xxHash64 of it, lower-cased): this is the
# name for advisory_url, as cargo-deny $deny_version computes it.
advisory_dir=advisory-db-3157b0e258782691
offline_copy="${LAUNCHPAD_ADVISORY_DB:-../shared/advisory-db}"
network_timeout=60

say() { printf 'check-deps: %s\n' "$*"; }
die() {
    printf 'check-deps: error: %s\n' "$*" >&2
    exit 1
}

if [[ "$(cargo deny --version 2>/dev/null || true)" != "cargo-deny $deny_version" ]]; then
    say "installing cargo-deny $deny_version (a few minutes on 2 cores)"
    started=$SECONDS
    cargo install --locked --quiet cargo-deny --version "$deny_version"
    say "installed cargo-deny $deny_version in $((SECONDS - started)) s"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
db="$work/$advisory_dir"

# The advisory database: the network's, or the offline copy.
if GIT_TERMINAL_PROMPT=0 timeout "$network_timeout" \
    git clone --quiet --depth=1 --branch main "$advisory_url" "$db" 2>"$work/clone.err"; then
    say "advisory database: the network copy, $advisory_url at $(git -C "$db" log -1 --format='%h of %cs')"
else
    say "advisory database: the network copy could not be fetched ($(tail -1 "$work/clone.err"))"
    rm -rf "$db"
    source=""
    if [[ -f "$offline_copy" ]]; then
        source="$offline_copy"
    elif [[ -f "$offline_copy/advisory-db.bundle" ]]; then
        source="$offline_copy/advisory-db.bundle"
    elif [[ -d "$offline_copy" ]] && git -C "$offline_copy" rev-parse --git-dir >/dev/null 2>&1; then
        source="$offline_copy"
    fi
    [[ -n "$source" ]] ||
        die "no advisory database: the network is unreachable and there is no offline copy at $offline_copy (set LAUNCHPAD_ADVISORY_DB to a git bundle or clone of $advisory_url)"
    git clone --quiet --branch main "$source" "$db" ||
        die "cannot clone the offline advisory database from $source"
    taken="$(git -C "$db" log -1 --format=%cs)"
    age_days=$((($(date +%s) - $(git -C "$db" log -1 --format=%ct)) / 86400))
    say "advisory database: the OFFLINE copy $source, taken $taken ($age_days days ago)"
    say "  advisories published since then are not checked; the network copy is checked whenever it can be fetched"
fi

# deny.toml with the database root pointing at the clone.
sed "/^\[advisories\]/a db-path = \"$work\"" deny.toml >"$work/deny.toml"

# Exceptions expire: each ignored advisory names the date it is looked at again.
today="$(date -u +%F)"
expired=0
while read -r id date; do
    if [[ "$date" == - ]]; then
        say "FAIL: deny.toml ignores $id without a reason starting \"expires YYYY-MM-DD:\""
        expired=$((expired + 1))
    elif [[ "$date" < "$today" ]]; then
        say "FAIL: deny.toml's exception for $id expired on $date; fix the dependency or renew it with a new reason"
        expired=$((expired + 1))
    else
        say "exception: $id, until $date"
    fi
done < <(awk '
    /^\[/ { section = $0 }
    section != "[advisories]" { next }
    /^ignore *= *\[ *\]/ { next }
    /^ignore *= *\[/ { inside = 1; next }
    inside && /^ *\]/ { inside = 0 }
    inside && !/^ *#/ && /"/ {
        # The id (or crate) is the first quoted string on the line.
        split($0, quoted, "\""); date = "-"
        if (match($0, /reason *= *"expires [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]:/)) {
            date = substr($0, RSTART, RLENGTH); sub(/.*expires /, "", date); sub(/:$/, "", date)
        }
        print quoted[2], date
    }' deny.toml)

cargo fetch --locked --quiet
status=0
cargo deny --offline --locked --config "$work/deny.toml" check --hide-inclusion-graph || status=$?
((expired == 0)) || status=1

# The browser tests' npm dependencies: reported, never failing (they are not
# shipped, and the audit needs the npm registry).
if command -v npm >/dev/null; then
    if audit="$(cd tests/browser && timeout "$network_timeout" npm audit --audit-level=low 2>&1)"; then
        say "npm audit (tests/browser): no known vulnerabilities"
    else
        printf '%s\n' "$audit" | tail -15 | sed 's/^/  /'
        say "WARNING: npm audit of tests/browser reported vulnerabilities or could not reach the registry (above); this does not fail the check"
    fi
else
    say "WARNING: npm is not installed; the npm audit of tests/browser was skipped"
fi

if ((status != 0)); then
    say "dependency checks FAILED (above)"
    exit 1
fi
say "licences, bans, sources and advisories pass"
