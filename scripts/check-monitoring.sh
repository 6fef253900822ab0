#!/usr/bin/env bash
# Checks the shipped monitoring assets in runbooks/monitoring/: the alert
# and SLO rules load and pass their unit tests (promtool), the dashboard is valid
# JSON whose queries parse, every metric name they use is one LaunchPad
# exports (metrics.txt), and every alert has a summary and a runbook_url
# that leads to an existing runbook (and heading).
#
# Needs promtool (Debian package prometheus) and jq.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=runbooks/monitoring
alerts="$dir/alerts.yml"
tests=("$dir/alerts.test.yml" "$dir/slo.test.yml")
dashboard="$dir/launchpad-dashboard.json"
failures=0
fail() {
    echo "check-monitoring: FAIL: $*"
    failures=$((failures + 1))
}

promtool check rules "$alerts" || fail "promtool check rules $alerts"
promtool test rules "${tests[@]}" || fail "promtool test rules ${tests[*]}"

# The dashboard: valid JSON, the datasource is the DS_PROMETHEUS variable,
# and every query is PromQL that parses (checked as recording rules, with
# Grafana's variables replaced by plain values).
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
if jq empty "$dashboard"; then
    jq -e '.templating.list | any(.name == "DS_PROMETHEUS" and .type == "datasource")' "$dashboard" >/dev/null ||
        fail "$dashboard has no DS_PROMETHEUS datasource variable"
    jq -e '[.. | objects | select(has("datasource")) | .datasource | objects | select(.type == "prometheus") | .uid]
           | all(. == "${DS_PROMETHEUS}")' "$dashboard" >/dev/null ||
        fail "a panel or query of $dashboard uses a datasource other than \${DS_PROMETHEUS}"
    jq '{groups: [{name: "dashboard", rules: [.. | objects | .expr? | strings
          | gsub("\\$__rate_interval"; "5m") | gsub("\\$job"; "launchpad") | gsub("\\$instance"; ".*")]
          | to_entries | map({record: "dashboard:query_\(.key)", expr: .value})}]}' \
        "$dashboard" >"$scratch/dashboard-queries.yml"
    promtool check rules "$scratch/dashboard-queries.yml" >/dev/null ||
        fail "a query in $dashboard does not parse (promtool check rules above)"
    jq -r '.. | objects | (.expr?, .definition?) | strings' "$dashboard" >"$scratch/dashboard-text"
else
    fail "$dashboard is not valid JSON"
    : >"$scratch/dashboard-text"
fi

# Metric names: the exported ones, plus each histogram's series.
known="$(awk '!/^#/ && NF { print $1; if ($2 == "histogram") { print $1 "_bucket"; print $1 "_sum"; print $1 "_count" } }' "$dir/metrics.txt")"
# What looks like a metric: LaunchPad's prefixes or Prometheus's unit suffixes.
used="$(cat "$alerts" "${tests[@]}" "$scratch/dashboard-text" |
    grep -oE '[A-Za-z_:][A-Za-z0-9_:]*' |
    grep -E '^(http_|launchpad_|process_|node_|go_)|_(total|seconds|bytes|bucket|count|sum|info|ratio)$|^up$' |
    sort -u)"
while read -r name; do
    grep -qxF "$name" <<<"$known" || fail "$name is not exported by LaunchPad (not in $dir/metrics.txt)"
done <<<"$used"
echo "metric names used: $(wc -l <<<"$used"), all in metrics.txt unless listed above"

# Every alert: a summary and a runbook that exists, with its heading.
n_alerts="$(grep -c '^ *- alert:' "$alerts")"
[[ "$(grep -c '^ *summary:' "$alerts")" == "$n_alerts" ]] || fail "not every alert in $alerts has a summary"
[[ "$(grep -c '^ *runbook_url:' "$alerts")" == "$n_alerts" ]] || fail "not every alert in $alerts has a runbook_url"
while read -r url; do
    file="${url%%#*}"
    anchor=""
    [[ "$url" == *#* ]] && anchor="${url#*#}"
    if [[ ! -f "$file" ]]; then
        fail "runbook_url $url: no file $file"
    elif [[ -n "$anchor" ]] &&
        ! grep -E '^#+ ' "$file" | sed -E 's/^#+ //' | tr '[:upper:]' '[:lower:]' | sed -E 's/[^a-z0-9 _-]//g; s/ /-/g' | grep -qxF "$anchor"; then
        fail "runbook_url $url: $file has no heading for #$anchor"
    fi
done < <(sed -n 's/^ *runbook_url: *//p' "$alerts" | sort -u)
echo "alerts: $n_alerts, each with a summary and a runbook"

if ((failures)); then
    echo "check-monitoring: $failures failure(s)"
    exit 1
fi
echo "check-monitoring: rules, rule tests, dashboard and metric names are consistent"
