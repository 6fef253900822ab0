#!/usr/bin/env bash
# Upgrades a running LaunchPad to a new binary or .deb, and rolls back by
# itself when the new version is unhealthy. The steps of runbooks/upgrade.md:
#
#   1. checks the new binary runs and accepts the configuration, and that
#      the service is ready now (otherwise "ready afterwards" means nothing);
#   2. takes a backup through the running server and verifies it (`backup
#      OK`, `authentic`);
#   3. stops the service, prints the new version's `migrate --plan`, keeps a
#      copy of the old binary, installs the new one and starts the service;
#   4. waits for /ready, then watches the 5xx share of the requests over the
#      first minute on /metrics.
#
# Not ready within --timeout, or too many 5xx: the old binary goes back and,
# when the new version had migrations to run (it runs them at start), the
# backup is restored; the service is started again, the script says what
# happened and exits 1 (2 if the rollback did not become ready either).
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: scripts/upgrade.sh [OPTIONS] NEW
  NEW  a launchpad binary, or a launchpad_VERSION_amd64.deb

Options:
  --timeout SECS       how long the new version may take to answer /ready 200 [90]
  --watch SECS         how long the 5xx share is watched once it is ready [60]
  --max-error-rate R   the share of 5xx (0 to 1) above which it rolls back [0.05]
  --url URL            the service's address [http://127.0.0.1:PORT, PORT from `listen`]
  --metrics-auth U:P   basic auth for /metrics, when metrics.username is set
  --config FILE        the configuration [/etc/launchpad/launchpad.toml]
  --binary-path PATH   the binary the unit runs [/usr/local/bin/launchpad when
                       scripts/install.sh installed it, else /usr/bin/launchpad]
  --keep-dir DIR       where the old binary and the journal are kept [/var/backups/launchpad]
  --service-cmd CMD    controls the service as `CMD start|stop|is-active`
                       [systemd's launchpad.service and launchpad-backup.timer];
                       also LAUNCHPAD_SERVICE_CMD
  --root DIR           a folder standing for / (a scratch root, for tests): every path
                       is taken inside it and no package manager runs for a binary
  -h, --help           this text

Exit status: 0 upgraded; 1 nothing changed (a check failed) or rolled back
(the old version runs again); 2 the rollback did not become ready either.

Examples:
  sudo scripts/upgrade.sh launchpad-0.2.0-x86_64-unknown-linux-gnu/launchpad
  sudo /usr/lib/launchpad/upgrade.sh launchpad_0.2.0_amd64.deb
  sudo scripts/upgrade.sh --watch 300 --max-error-rate 0.01 launchpad_0.2.0_amd64.deb
EOF
}

say() { printf 'upgrade: %s\n' "$*"; }
indent() { sed 's/^/    /'; }
die() {
    printf 'upgrade: error: %s\n' "$*" >&2
    exit 1
}

# The routes the upgrade itself polls; they say nothing about user traffic.
probe_routes='^/(ready|health|metrics)$'

# error_counts: reads /metrics text on stdin and prints "5XX ALL", the
# requests counted by http_requests_total, without the probe routes.
error_counts() {
    awk -v probes="$probe_routes" '
        /^http_requests_total\{/ {
            route = $0; sub(/.*route="/, "", route); sub(/".*/, "", route)
            status = $0; sub(/.*status="/, "", status); sub(/".*/, "", status)
            if (route ~ probes) next
            all += $NF
            if (status ~ /^5/) errors += $NF
        }
        END { printf "%d %d\n", errors, all }'
}

# too_many_errors BEFORE AFTER MAX: whether the requests between two scrapes
# (each "5XX ALL") failed with a 5xx more often than MAX.
too_many_errors() {
    local before after
    read -r -a before <<<"$1"
    read -r -a after <<<"$2"
    awk -v e="$((after[0] - before[0]))" -v t="$((after[1] - before[1]))" -v max="$3" \
        'BEGIN { exit !(t > 0 && e / t > max) }'
}

main() {
    local timeout=90 watch=60 max_rate=0.05 url="" metrics_auth="" config=/etc/launchpad/launchpad.toml
    local bin_path="" keep_dir=/var/backups/launchpad root="" new=""
    local service_cmd="${LAUNCHPAD_SERVICE_CMD:-}"
    while (($#)); do
        case "$1" in
        --timeout | --watch | --max-error-rate | --url | --metrics-auth | --config | --binary-path | --keep-dir | --service-cmd | --root)
            (($# >= 2)) || die "$1 needs a value"
            case "$1" in
            --timeout) timeout="$2" ;;
            --watch) watch="$2" ;;
            --max-error-rate) max_rate="$2" ;;
            --url) url="$2" ;;
            --metrics-auth) metrics_auth="$2" ;;
            --config) config="$2" ;;
            --binary-path) bin_path="$2" ;;
            --keep-dir) keep_dir="$2" ;;
            --service-cmd) service_cmd="$2" ;;
            --root) root="$2" ;;
            esac
            shift 2
            ;;
        -h | --help)
            usage
            exit 0
            ;;
        -*)
            usage >&2
            printf '\nupgrade: error: unknown option %q\n' "$1" >&2
            exit 2
            ;;
        *)
            [[ -z "$new" ]] || die "one NEW binary or .deb, not two ($new, $1)"
            new="$1"
            shift
            ;;
        esac
    done
    [[ -n "$new" ]] || {
        usage >&2
        exit 2
    }
    [[ "$timeout" =~ ^[1-9][0-9]*$ && "$watch" =~ ^[0-9]+$ ]] || die "--timeout and --watch take whole seconds"
    awk -v r="$max_rate" 'BEGIN { exit !(r ~ /^[0-9.]+$/ && r >= 0 && r <= 1) }' ||
        die "--max-error-rate takes a share from 0 to 1, e.g. 0.05"
    [[ -f "$new" ]] || die "no file at $new"
    if [[ -n "$root" ]]; then
        [[ -d "$root" ]] || die "--root $root is not a folder"
        root="$(cd "$root" && pwd)"
    elif [[ "$(id -u)" -ne 0 ]]; then
        die "an upgrade needs root: run it with sudo (or --root DIR for a scratch root)"
    fi

    # The launchpad commands below read the service's config, not this
    # shell's LAUNCHPAD_* variables (a stray LAUNCHPAD_DATA_DIR would aim
    # them at another store).
    local var
    while read -r var; do
        unset "$var"
    done < <(compgen -e | grep '^LAUNCHPAD_' || true)

    local data_dir=/var/lib/launchpad work stamp
    work="$(mktemp -d)"
    # shellcheck disable=SC2064 # the folder is fixed now
    trap "rm -rf '$work'" EXIT
    stamp="$(date -u +%Y%m%dT%H%M%SZ)"

    # What NEW is: a .deb (the binary inside it is what gets checked) or a
    # binary, copied first so that what is checked is what gets installed.
    local new_bin="$work/launchpad" deb=""
    if dpkg-deb --field "$new" Package >/dev/null 2>&1; then
        [[ "$(dpkg-deb --field "$new" Package)" == launchpad ]] || die "$new is a package, but not launchpad"
        deb="$new"
        dpkg-deb -x "$deb" "$work/deb"
        new_bin="$work/deb/usr/bin/launchpad"
        [[ -n "$bin_path" ]] || bin_path=/usr/bin/launchpad
        [[ ! -e "$root/usr/local/bin/launchpad" ]] ||
            die "scripts/install.sh installed this instance (/usr/local/bin/launchpad): upgrade it with the release's binary, or run \`scripts/install.sh --uninstall\` before installing the package"
    else
        install -m 755 "$new" "$new_bin"
    fi
    if [[ -z "$bin_path" ]]; then
        bin_path=/usr/local/bin/launchpad
        [[ -e "$root$bin_path" ]] || bin_path=/usr/bin/launchpad
    fi
    local installed="$root$bin_path"
    [[ -x "$installed" ]] || die "no launchpad installed at $installed (--binary-path)"

    # Every launchpad command reads the service's config; in a scratch root
    # the paths in it are taken inside the root.
    local cli=(--config "$root$config")
    [[ -z "$root" ]] || cli+=(--data-dir "$root$data_dir" --identity "$root/etc/launchpad/age-identity")

    service() {
        if [[ -n "$service_cmd" ]]; then
            local cmd
            read -r -a cmd <<<"$service_cmd"
            "${cmd[@]}" "$1"
            return
        fi
        case "$1" in
        start) systemctl start launchpad.service launchpad-backup.timer ;;
        stop) systemctl stop launchpad-backup.timer launchpad.service ;;
        is-active) systemctl --quiet is-active launchpad.service ;;
        esac
    }

    # 1. Checks that change nothing.
    local old_version new_version
    old_version="$("$installed" --version 2>/dev/null | awk '{ print $2 }')" ||
        die "$installed --version failed"
    new_version="$("$new_bin" --version 2>/dev/null | awk '{ print $2 }')" || new_version=""
    [[ -n "$new_version" ]] || die "the new binary does not run ($new --version failed); nothing was changed"
    say "upgrading launchpad $old_version ($installed) to $new_version ($new)"
    if ! "$new_bin" config check --strict "${cli[@]}" >"$work/config-check" 2>&1; then
        indent <"$work/config-check"
        die "launchpad $new_version does not accept $config (above): fix it first; nothing was changed"
    fi
    if [[ -z "$url" ]]; then
        local listen
        listen="$(awk '$1 == "listen" { print $2; exit }' "$work/config-check")"
        [[ -n "$listen" ]] || die "cannot read \`listen\` from \`launchpad config check\`; pass --url"
        url="http://$(sed -e 's/^0\.0\.0\.0:/127.0.0.1:/' -e 's/^\[::\]:/[::1]:/' <<<"$listen")"
    fi
    local curl_metrics=(curl -s --max-time 5)
    [[ -z "$metrics_auth" ]] || curl_metrics+=(-u "$metrics_auth")
    ready() { [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$url/ready")" == 200 ]]; }
    if ! service is-active || ! ready; then
        curl -s --max-time 5 "$url/ready" | indent || true
        die "the service is not ready before the upgrade ($url/ready is not 200): fix that first (runbooks/on-call.md), or the check afterwards could tell nothing; nothing was changed"
    fi

    # 2. A verified backup, through the running server.
    local backups="$root$data_dir/backups" backup since
    if [[ ! -d "$backups" ]]; then
        mkdir -m 700 "$backups"
        chown --reference="$root$data_dir" "$backups"
    fi
    backup="$backups/pre-upgrade-$old_version-$stamp.lpbackup"
    since="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    say "backing up through the running server to $backup"
    if ! "$installed" backup --out "$backup" "${cli[@]}" >"$work/backup" 2>&1; then
        indent <"$work/backup"
        die "the backup failed (above); nothing was changed"
    fi
    "$installed" verify "$backup" "${cli[@]}" >"$work/verify" 2>&1 || true
    if ! grep -q '^backup OK' "$work/verify" || ! grep -q '^authentic:' "$work/verify"; then
        indent <"$work/verify"
        die "the backup does not verify as OK and authentic (above); nothing was changed"
    fi
    grep -E '^(backup OK|authentic:)' "$work/verify" | indent

    # 3. Stop, plan, install, start.
    say "stopping the service"
    service stop
    local pending=false
    if ! "$new_bin" migrate --plan "${cli[@]}" >"$work/plan" 2>&1; then
        indent <"$work/plan"
        service start || true
        die "launchpad $new_version cannot plan the store's migrations (above); the old version was started again, nothing was changed"
    fi
    say "migrations (launchpad $new_version migrate --plan):"
    indent <"$work/plan"
    grep -q '^no pending migrations' "$work/plan" || pending=true

    local keep="$root$keep_dir"
    mkdir -p "$keep"
    chmod 700 "$keep"
    local old_copy="$keep/launchpad-$old_version-$stamp"
    install -m 755 "$installed" "$old_copy"
    say "kept the old binary as $old_copy"
    if [[ -n "$deb" ]]; then
        say "installing the package $deb"
        if [[ -n "$root" ]]; then
            dpkg --root="$root" --force-script-chrootless --force-depends --force-confold -i "$deb" 2>&1 | indent
        elif command -v apt-get >/dev/null; then
            apt-get install -y -q -o Dpkg::Options::=--force-confold "$(realpath "$deb")" 2>&1 | indent
        else
            dpkg --force-confold -i "$deb" 2>&1 | indent
        fi
    else
        install -m 755 "$new_bin" "$installed.new"
        mv -f "$installed.new" "$installed"
        say "installed $new as $installed"
    fi
    say "starting launchpad $new_version"
    service start || true

    # 4. Ready within the timeout, then few enough 5xx.
    wait_ready() { # seconds
        local deadline=$((SECONDS + $1))
        while ((SECONDS < deadline)); do
            ready && return 0
            sleep 1
        done
        return 1
    }
    local problem=""
    if ! wait_ready "$timeout"; then
        problem="launchpad $new_version did not answer $url/ready with 200 within $timeout s"
    elif ((watch > 0)); then
        say "ready; watching the 5xx share of requests for $watch s (at most $max_rate)"
        local before after
        before="$("${curl_metrics[@]}" "$url/metrics" | error_counts)"
        local end=$((SECONDS + watch))
        while ((SECONDS < end)); do
            sleep 1
            ready || {
                problem="launchpad $new_version stopped being ready during the first $watch s"
                break
            }
        done
        if [[ -z "$problem" ]]; then
            after="$("${curl_metrics[@]}" "$url/metrics" | error_counts)"
            local b a
            read -r -a b <<<"$before"
            read -r -a a <<<"$after"
            if [[ "$after" == "0 0" ]] && ! "${curl_metrics[@]}" -f -o /dev/null "$url/metrics"; then
                say "warning: $url/metrics cannot be read (pass --metrics-auth?); the error rate was not checked"
            elif too_many_errors "$before" "$after" "$max_rate"; then
                problem="$((a[0] - b[0])) of $((a[1] - b[1])) requests failed with a 5xx in the first $watch s (more than $max_rate)"
            else
                say "requests in the first $watch s: $((a[1] - b[1])), of them 5xx: $((a[0] - b[0]))"
            fi
        fi
    fi

    if [[ -z "$problem" ]]; then
        say "upgraded to launchpad $new_version: ready, and the error rate is within $max_rate"
        say "kept for a rollback by hand (runbooks/upgrade.md): the backup $backup and the old binary $old_copy"
        exit 0
    fi

    # Rollback.
    say "ROLLING BACK: $problem"
    service stop || true
    local journal=""
    if $pending; then
        journal="$keep/journal-after-upgrade-$stamp.jsonl"
        "$new_bin" journal export --since "$since" --out "$journal" "${cli[@]}" >/dev/null 2>&1 || journal=""
    fi
    install -m 755 "$old_copy" "$installed.old"
    mv -f "$installed.old" "$installed"
    say "put launchpad $old_version back at $installed"
    [[ -z "$deb" ]] || say "note: the package database still names $new_version; install the $old_version .deb again to make it agree"
    local restored=false
    if $pending; then
        say "launchpad $new_version had migrations to run at start: restoring the backup taken before it"
        if "$installed" restore "$backup" --force "${cli[@]}" 2>&1 | indent; then
            # The service's dynamic user owns the store, not root.
            chown --reference="$root$data_dir" "$root$data_dir/launchpad.redb"
            chmod 600 "$root$data_dir/launchpad.redb"
            restored=true
        else
            say "the restore FAILED (above)"
        fi
    fi
    say "starting launchpad $old_version again"
    service start || true
    if ! wait_ready "$timeout"; then
        say "ROLLBACK FAILED: launchpad $old_version did not become ready within $timeout s either"
        say "follow runbooks/upgrade.md, section Rollback; the backup is $backup, the old binary $old_copy"
        exit 2
    fi
    say "ROLLED BACK to launchpad $old_version, which is ready again."
    say "  why: $problem"
    if $restored; then
        say "  the store was restored from $backup (taken at $since); the migrated one is kept as launchpad.redb.pre-restore-*"
        if [[ -n "$journal" ]]; then
            say "  changes made after the backup are in $journal; replay them with \`launchpad journal replay $journal\` (runbooks/point-in-time-recovery.md)"
        else
            say "  changes made between the backup and the stop are lost (the journal could not be exported)"
        fi
    else
        say "  the store was not touched: launchpad $new_version had no migrations to run"
    fi
    say "  the new version's log: journalctl -u launchpad --since '$since'"
    exit 1
}

# Sourced by scripts/check-upgrade.sh for error_counts; run, it upgrades.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    main "$@"
fi
