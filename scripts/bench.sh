#!/usr/bin/env bash
# LaunchPad benchmark: measures the figures DESIGN.md §10 sets targets for and
# prints them in one summary table, which is also written to
# bench-results/latest.txt.
#
# Usage:
#   scripts/bench.sh                                       # full run (~6-7 min after the build)
#   BENCH_DURATION=3s BENCH_PROJECTS=2000 scripts/bench.sh # quick smoke run
#
# Environment:
#   BENCH_DURATION     wrk duration per load run        (default 15s)
#   BENCH_CONNECTIONS  wrk connections per load run     (default 64)
#   BENCH_THREADS      wrk threads                      (default 2)
#   BENCH_PROJECTS     projects for the big-list page   (default 100000)
#   BENCH_CHURN_RATE   writes/s of the background writer in the
#                      "cache invalidated" runs         (default 200)
#   BENCH_BACKEND      redb, or postgres: LaunchPad on a throwaway PostgreSQL
#                      server, one instance and two (scripts/bench/postgres.sh);
#                      its summary goes to bench-results/latest-postgres.txt
#
# GET /api/v1/projects and GET /api/v1/projects/{id} are served from a
# response cache that every write invalidates, so wrk hammering one URL with
# no writes measures the cached path. Each such read is therefore measured
# twice: as is (labelled "cached"), and uncached, either with a different
# cursor per request (the big-list page) or while `lp.py churn` PATCHes a
# project's description BENCH_CHURN_RATE times a second (labelled "cache
# invalidated ~N x/s"; the writer shares the CPUs with the server and wrk).
#
# Only loopback traffic; every server gets a fresh mktemp -d data folder and
# is stopped, and the folders removed, on exit. LAUNCHPAD_* variables from the
# calling shell are ignored so runs are comparable.
#
# Needs wrk (installed with apt-get when missing), curl, python3 and cargo.
# Figures are for notes and issues, never for timed test assertions.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

DURATION="${BENCH_DURATION:-15s}"
CONNECTIONS="${BENCH_CONNECTIONS:-64}"
THREADS="${BENCH_THREADS:-2}"
PROJECTS="${BENCH_PROJECTS:-100000}"
COLD_RUNS=5
NOTES_BYTES=1024
NOTES_TASKS=1000
WRK_TIMEOUT=5s
CHURN_RATE="${BENCH_CHURN_RATE:-200}"
CURSOR_SAMPLE=1000 # cursors for the uncached big-list page
PAGE_LIMIT=50

HELPERS="$ROOT/scripts/bench"
LP_PY="$HELPERS/lp.py"
BIN="$ROOT/target/release/launchpad"
RESULTS_DIR="$ROOT/bench-results"
RESULTS_FILE="$RESULTS_DIR/latest.txt"

die() {
	echo "bench: error: $*" >&2
	exit 1
}
step() { printf '\n==> %s\n' "$*"; }

[[ $DURATION =~ ^[1-9][0-9]*[smh]?$ ]] || die "BENCH_DURATION must look like 15s, 2m or 30 (got '$DURATION')"
[[ $CONNECTIONS =~ ^[1-9][0-9]*$ ]] || die "BENCH_CONNECTIONS must be a positive whole number (got '$CONNECTIONS')"
[[ $THREADS =~ ^[1-9][0-9]*$ ]] || die "BENCH_THREADS must be a positive whole number (got '$THREADS')"
if ! [[ $PROJECTS =~ ^[1-9][0-9]*$ ]] || ((PROJECTS < 2)); then
	die "BENCH_PROJECTS must be a whole number >= 2 (got '$PROJECTS')"
fi
[[ $CHURN_RATE =~ ^[1-9][0-9]*$ ]] || die "BENCH_CHURN_RATE must be a positive whole number (got '$CHURN_RATE')"
((CONNECTIONS >= THREADS)) || die "BENCH_CONNECTIONS ($CONNECTIONS) must be at least BENCH_THREADS ($THREADS)"

# Ignore any LaunchPad configuration in the calling environment.
while IFS= read -r var; do
	unset "$var"
done < <(compgen -e | grep '^LAUNCHPAD_' || true)
export LAUNCHPAD_LOG_LEVEL=warn
# The benchmark speaks to the API as the prototype client does: without
# signing in, as an editor.
export LAUNCHPAD_ANONYMOUS_ROLE=editor
# One load generator is one client: lift the per-client API budget (and
# the sign-in limits do not apply), or wrk would measure 429s.
export LAUNCHPAD_AUTH_API_REQUESTS_PER_SECOND=1000000

# --- cleanup ------------------------------------------------------------------

WORK="$(mktemp -d "${TMPDIR:-/tmp}/launchpad-bench-work.XXXXXX")"
DATA_DIRS=()
SERVER_PID=""
SERVER_PORT=""
SERVER_URL=""
SERVER_LOG=""
CHURN_PID=""
EXTRA_PIDS=()
PG_STOP=""

stop_pid() {
	local pid="$1" i
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 150; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [[ -n $CHURN_PID ]]; then
		stop_pid "$CHURN_PID"
	fi
	if [[ -n $SERVER_PID ]]; then
		stop_pid "$SERVER_PID"
	fi
	for pid in "${EXTRA_PIDS[@]}"; do
		stop_pid "$pid"
	done
	if [[ -n $PG_STOP ]]; then
		"$PG_STOP"
	fi
	if [[ -s $WORK/coldstart.pid ]]; then
		stop_pid "$(<"$WORK/coldstart.pid")"
	fi
	if ((${#DATA_DIRS[@]} > 0)); then
		rm -rf -- "${DATA_DIRS[@]}"
	fi
	rm -rf -- "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

new_data_dir() {
	local dir
	dir="$(mktemp -d "${TMPDIR:-/tmp}/launchpad-bench-data.XXXXXX")"
	DATA_DIRS+=("$dir")
	NEW_DATA_DIR="$dir"
}

# --- tools ------------------------------------------------------------------

ensure_wrk() {
	command -v wrk >/dev/null && return 0
	step "installing wrk"
	local sudo=()
	if ((EUID != 0)); then
		command -v sudo >/dev/null || die "wrk is missing and this is not root; install it with: apt-get install -y wrk"
		sudo=(sudo)
	fi
	if ! "${sudo[@]}" apt-get install -y wrk; then
		"${sudo[@]}" apt-get update
		"${sudo[@]}" apt-get install -y wrk
	fi
	command -v wrk >/dev/null || die "wrk is still missing after apt-get"
}

ensure_wrk
for tool in curl python3 cargo; do
	command -v "$tool" >/dev/null || die "$tool is required"
done

step "cargo build --release"
cargo build --release
[[ -x $BIN ]] || die "no release binary at $BIN"

# --- helpers ------------------------------------------------------------------

# kv LINE KEY -> the value of KEY=value in LINE
kv() {
	local word words
	read -ra words <<<"$1"
	for word in "${words[@]}"; do
		if [[ $word == "$2="* ]]; then
			printf '%s\n' "${word#*=}"
			return 0
		fi
	done
	echo "?"
}

proc_kb() { # proc_kb PID FIELD -> value in kB from /proc/PID/status
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

mb_from_kb() { awk -v k="$1" 'BEGIN { printf "%.1f", k * 1024 / 1000000 }'; }
ms_from_us() { awk -v u="$1" 'BEGIN { if (u == "?") print "?"; else printf "%.2f", u / 1000 }'; }

start_server() { # start_server LABEL DEMO(true|false)
	new_data_dir
	SERVER_PORT="$(python3 "$LP_PY" free-port)"
	SERVER_URL="http://127.0.0.1:$SERVER_PORT"
	SERVER_LOG="$WORK/server-$1.log"
	LAUNCHPAD_DEMO_DATA="$2" "$BIN" serve --listen "127.0.0.1:$SERVER_PORT" --data-dir "$NEW_DATA_DIR" \
		>"$SERVER_LOG" 2>&1 &
	SERVER_PID=$!
	if ! python3 "$LP_PY" wait --port "$SERVER_PORT" --pid "$SERVER_PID" --timeout 30 >/dev/null; then
		tail -n 20 "$SERVER_LOG" >&2 || true
		die "the server ($1) did not become ready"
	fi
	echo "server '$1' ready: pid $SERVER_PID, $SERVER_URL, data $NEW_DATA_DIR, demo data $2"
}

stop_server() {
	if [[ -n $SERVER_PID ]]; then
		stop_pid "$SERVER_PID"
		SERVER_PID=""
	fi
}

server_alive() {
	kill -0 "$SERVER_PID" 2>/dev/null || {
		tail -n 20 "$SERVER_LOG" >&2 || true
		die "the server died during the run"
	}
}

# run_wrk NAME URL SCRIPT [script args...]
# -> sets WRK_LINE (the BENCH_RESULT line) and WRK_CREATED (2xx count, POST script only)
# WRK_C=N runs it with N connections (and one thread) instead of BENCH_CONNECTIONS.
run_wrk() {
	local name="$1" url="$2" script="$3"
	shift 3
	local out="$WORK/wrk-$name.txt" cmd c="${WRK_C:-$CONNECTIONS}" t="$THREADS"
	((c >= t)) || t="$c"
	cmd=(wrk -t"$t" -c"$c" -d"$DURATION" --latency --timeout "$WRK_TIMEOUT" -s "$script" "$url")
	if (($# > 0)); then
		cmd+=(-- "$@")
	fi
	echo "${cmd[*]}"
	"${cmd[@]}" 2>&1 | tee "$out"
	WRK_LINE="$(grep '^BENCH_RESULT ' "$out" | tail -n 1 || true)"
	[[ -n $WRK_LINE ]] || die "wrk ($name) printed no result"
	WRK_CREATED="$(awk '$1 == "BENCH_CREATED" { print $2 }' "$out" | tail -n 1)"
	server_alive
}

# duration_seconds 15s|2m|1h|30 -> whole seconds
duration_seconds() {
	local n="${1%[smh]}"
	case "$1" in
	*m) echo $((n * 60)) ;;
	*h) echo $((n * 3600)) ;;
	*) echo "$n" ;;
	esac
}
DURATION_S="$(duration_seconds "$DURATION")"

# start_churn NAME PROJECT_ID: a background writer PATCHes PROJECT_ID's
# description CHURN_RATE times a second, so every write invalidates the
# response cache. Bounded by --max-seconds even if never stopped.
start_churn() {
	python3 "$LP_PY" churn --port "$SERVER_PORT" --project "$2" --rate "$CHURN_RATE" \
		--max-seconds "$((DURATION_S + 60))" --tag "$RUN_ID-$1" \
		>"$WORK/churn-$1.txt" 2>"$WORK/churn-$1.err" &
	CHURN_PID=$!
	sleep 1 # let it settle into its pace before wrk starts
	kill -0 "$CHURN_PID" 2>/dev/null || {
		cat "$WORK/churn-$1.err" >&2 || true
		die "the background writer ($1) exited early"
	}
}

# stop_churn NAME -> CHURN_LINE (writes=... failed=... skipped=... seconds=... rate=...)
stop_churn() {
	local rc=0
	kill -TERM "$CHURN_PID" 2>/dev/null || true
	wait "$CHURN_PID" || rc=$?
	CHURN_PID=""
	CHURN_LINE="$(tail -n 1 "$WORK/churn-$1.txt")"
	echo "background writer: $CHURN_LINE"
	if ((rc != 0)); then
		cat "$WORK/churn-$1.err" >&2 || true
		die "the background writer ($1) failed: $CHURN_LINE"
	fi
}

# churn_note LINE -> "N PATCHes in S s = R/s (asked for CHURN_RATE/s) ..."
churn_note() {
	local rate low="" failed
	rate="$(kv "$1" rate)"
	failed="$(kv "$1" failed)"
	if [[ $failed != 0 ]]; then
		low="; $failed PATCHes FAILED ($(kv "$1" statuses))"
	fi
	if awk -v r="$rate" -v t="$CHURN_RATE" 'BEGIN { exit !(r < 0.9 * t) }'; then
		low="$low; BELOW the asked rate, so the figure understates the uncached cost"
	fi
	printf '%s PATCHes in %s s = %s/s (asked for %s/s; PATCH p50 %s ms, p99 %s ms, %s connections)%s' \
		"$(kv "$1" writes)" "$(kv "$1" seconds)" "$rate" "$CHURN_RATE" \
		"$(kv "$1" p50_ms)" "$(kv "$1" p99_ms)" "$(kv "$1" connections)" "$low"
}

# merge_wrk_lines LINE1 LINE2 -> one BENCH_RESULT line for two runs of the same
# measure: mean rps and p50, the higher p99, summed error counts
merge_wrk_lines() {
	local k out="BENCH_RESULT"
	out+=" rps=$(awk -v a="$(kv "$1" rps)" -v b="$(kv "$2" rps)" 'BEGIN { printf "%.1f", (a + b) / 2 }')"
	out+=" p50_us=$(awk -v a="$(kv "$1" p50_us)" -v b="$(kv "$2" p50_us)" 'BEGIN { printf "%d", (a + b) / 2 }')"
	out+=" p99_us=$(awk -v a="$(kv "$1" p99_us)" -v b="$(kv "$2" p99_us)" 'BEGIN { print (a > b) ? a : b }')"
	for k in non2xx status_errors socket_errors timeouts; do
		out+=" $k=$(awk -v a="$(kv "$1" "$k")" -v b="$(kv "$2" "$k")" 'BEGIN { print a + b }')"
	done
	echo "$out"
}

# overhead PLAIN_RPS NOTES_RPS -> percent of PLAIN_RPS lost with notes, 1 decimal
overhead() {
	awk -v p="$1" -v n="$2" 'BEGIN { if (p + 0 <= 0 || n == "?") print "?"; else printf "%.1f", (p - n) * 100 / p }'
}

RUN_ID="b$(date +%s | tail -c 7)$$"
SUMMARY_ROWS=()
SUMMARY_NOTES=()

# Writes the summary table and notes, prints them and keeps a copy.
print_summary() {
	mkdir -p "$RESULTS_DIR"
	{
		echo "LaunchPad benchmark summary"
		echo "date:     $(date -u +%Y-%m-%dT%H:%M:%SZ)"
		echo "commit:   $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- 2>/dev/null || echo ' (with uncommitted changes)')"
		echo "host:     $(nproc) CPUs, $(uname -sr), $(wrk --version 2>&1 | head -n 1 | awk '{ print $1, $2 }')"
		echo "settings: wrk -t$THREADS -c$CONNECTIONS -d$DURATION; BENCH_PROJECTS=$PROJECTS; BENCH_CHURN_RATE=$CHURN_RATE; loopback only"
		echo "targets:  DESIGN.md section 10 (MB = 10^6 bytes)"
		echo
		width=52 # the label column grows to the longest label
		for r in "${SUMMARY_ROWS[@]}"; do
			label="${r%%$'\t'*}"
			((${#label} <= width)) || width=${#label}
		done
		printf "%-${width}s %14s   %-12s %s\n" "measure" "result" "target" "verdict"
		printf '%*s\n' "$((width + 39))" "" | tr ' ' '-'
		misses=0
		for r in "${SUMMARY_ROWS[@]}"; do
			IFS=$'\t' read -r label value target v <<<"$r"
			printf "%-${width}s %14s   %-12s %s\n" "$label" "$value" "$target" "$v"
			if [[ $v == MISS ]]; then
				misses=$((misses + 1))
			fi
		done
		echo
		for n in "${SUMMARY_NOTES[@]}"; do
			echo "note: $n"
		done
		echo
		if ((misses == 0)); then
			echo "all targets met"
		else
			echo "$misses figure(s) miss their target (marked MISS)"
		fi
	} >"$WORK/summary.txt"

	step "summary"
	cat "$WORK/summary.txt"
	cp "$WORK/summary.txt" "$RESULTS_FILE"
	echo
	echo "written to ${RESULTS_FILE#"$ROOT"/}"
}

# row LABEL VALUE TARGET VERDICT
row() { SUMMARY_ROWS+=("$1"$'\t'"$2"$'\t'"$3"$'\t'"$4"); }

# verdict VALUE OP LIMIT -> "ok" / "MISS" / "?" (OP is ge or le)
verdict() {
	if ! [[ $1 =~ ^-?[0-9]+([.][0-9]+)?$ ]]; then
		echo "?"
	elif awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN { exit !((op == "ge" && v >= l) || (op == "le" && v <= l)) }'; then
		echo "ok"
	else
		echo "MISS"
	fi
}

# Adds the rows for one wrk result. rps/p99 targets may be empty.
wrk_rows() { # wrk_rows LABEL RPS_TARGET P99_TARGET_MS [non2xx-must-be-zero]
	local label="$1" rps_t="$2" p99_t="$3" strict="${4:-}" rps p50 p99 v non2xx
	rps="$(kv "$WRK_LINE" rps)"
	p50="$(ms_from_us "$(kv "$WRK_LINE" p50_us)")"
	p99="$(ms_from_us "$(kv "$WRK_LINE" p99_us)")"
	if [[ -n $rps_t ]]; then
		v="$(verdict "$rps" ge "$rps_t")"
		row "$label: req/s" "$(printf '%.0f' "$rps")" ">= $rps_t" "$v"
	else
		row "$label: req/s" "$(printf '%.0f' "$rps")" "-" "-"
	fi
	row "$label: p50" "$p50 ms" "-" "-"
	if [[ -n $p99_t ]]; then
		v="$(verdict "$p99" le "$p99_t")"
		row "$label: p99" "$p99 ms" "<= $p99_t ms" "$v"
	else
		row "$label: p99" "$p99 ms" "-" "-"
	fi
	if [[ -n $strict ]]; then
		non2xx="$(kv "$WRK_LINE" non2xx)"
		row "$label: non-2xx responses" "$non2xx" "0" "$(verdict "$non2xx" le 0)"
	else
		non2xx="$(kv "$WRK_LINE" status_errors)"
		row "$label: responses >= 400" "$non2xx" "0" "$(verdict "$non2xx" le 0)"
	fi
	local errs timeouts
	errs="$(kv "$WRK_LINE" socket_errors)"
	timeouts="$(kv "$WRK_LINE" timeouts)"
	if [[ $errs != 0 || $timeouts != 0 ]]; then
		row "$label: socket errors + timeouts" "$errs + $timeouts" "0" "MISS"
	fi
}

case "${BENCH_BACKEND:-redb}" in
redb) ;;
postgres)
	# shellcheck source=scripts/bench/postgres.sh
	source "$HELPERS/postgres.sh"
	print_summary
	exit 0
	;;
*) die "BENCH_BACKEND must be redb or postgres (got '$BENCH_BACKEND')" ;;
esac

# --- 1. cold start --------------------------------------------------------------

# Other work on the machine skews every figure; the summary records the load.
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"

step "first start on a fresh folder (creates the identity, data key, demo data and initial admin)"
new_data_dir
COLD_DIR="$NEW_DATA_DIR"
line="$(python3 "$LP_PY" coldstart --bin "$BIN" --data-dir "$COLD_DIR" \
	--log "$WORK/coldstart.log" --pidfile "$WORK/coldstart.pid" --timeout 30)" || {
	tail -n 20 "$WORK/coldstart.log" >&2 || true
	die "the first start failed"
}
FIRST_START_MS="$(kv "$line" ms)"
echo "first start: $FIRST_START_MS ms"

step "cold start: spawn -> first 200 of GET /api/v1/projects, $COLD_RUNS restarts on that store"
COLD_MS=()
for ((i = 1; i <= COLD_RUNS; i++)); do
	line="$(python3 "$LP_PY" coldstart --bin "$BIN" --data-dir "$COLD_DIR" \
		--log "$WORK/coldstart.log" --pidfile "$WORK/coldstart.pid" --timeout 30)" || {
		tail -n 20 "$WORK/coldstart.log" >&2 || true
		die "cold start run $i failed"
	}
	COLD_MS+=("$(kv "$line" ms)")
	echo "run $i: $(kv "$line" ms) ms"
done
rm -rf -- "$COLD_DIR"
COLD_MEDIAN="$(printf '%s\n' "${COLD_MS[@]}" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')"
echo "median: $COLD_MEDIAN ms"

# --- 2. main server: idle RSS, GET list, POST create, peak RSS --------------------

step "starting the main server (demo data on)"
start_server main true
sleep 1
RSS_IDLE_KB="$(proc_kb "$SERVER_PID" VmRSS)"
echo "idle VmRSS: $RSS_IDLE_KB kB"
inspect_line="$(python3 "$LP_PY" inspect --port "$SERVER_PORT" --path /api/v1/projects)"
echo "$inspect_line"
DEMO_PROJECT="$(kv "$inspect_line" first)"
[[ $DEMO_PROJECT != - && $DEMO_PROJECT != "?" ]] || die "the demo data holds no project"

step "GET /api/v1/projects with the demo data (one URL, no writes: the response cache answers)"
run_wrk get-list "$SERVER_URL/api/v1/projects" "$HELPERS/report.lua"
GET_LINE="$WRK_LINE"

step "GET /api/v1/projects with the demo data, cache invalidated ~${CHURN_RATE}x/s (PATCHes to demo project $DEMO_PROJECT)"
start_churn get-list "$DEMO_PROJECT"
run_wrk get-list-churn "$SERVER_URL/api/v1/projects" "$HELPERS/report.lua"
GET_CHURN_LINE="$WRK_LINE"
stop_churn get-list
GET_CHURN_STATS="$CHURN_LINE"

step "POST /api/v1/projects (durable), unique names"
run_wrk post-create "$SERVER_URL" "$HELPERS/post.lua" project /api/v1/projects "$RUN_ID"
POST_LINE="$WRK_LINE"
POST_CREATED="$WRK_CREATED"
RSS_PEAK_KB="$(proc_kb "$SERVER_PID" VmHWM)"
RSS_AFTER_KB="$(proc_kb "$SERVER_PID" VmRSS)"
echo "after GET + POST load: VmHWM $RSS_PEAK_KB kB, VmRSS $RSS_AFTER_KB kB"
stop_server

# --- 3. a page of the list at BENCH_PROJECTS projects -------------------------------

step "a page of the list at $PROJECTS projects (fresh store, demo data off)"
start_server big false
CURSORS_FILE="$WORK/cursors.txt"
need="$PROJECTS"
LOAD_SECONDS=0
for ((round = 1; round <= 3 && need > 0; round++)); do
	echo "loading $need projects over $CONNECTIONS connections (round $round)"
	line="$(python3 "$LP_PY" load --port "$SERVER_PORT" --path /api/v1/projects --kind project \
		--count "$need" --concurrency "$CONNECTIONS" --prefix "$RUN_ID-r$round")" || true
	echo "$line"
	LOAD_SECONDS="$(awk -v a="$LOAD_SECONDS" -v b="$(kv "$line" seconds)" 'BEGIN { print a + b }')"
	server_alive
	count_line="$(python3 "$LP_PY" count --port "$SERVER_PORT" --sample "$CURSOR_SAMPLE" \
		--sample-file "$CURSORS_FILE" --sample-page-limit "$PAGE_LIMIT")" || die "paging through the list failed"
	echo "$count_line"
	need=$((PROJECTS - $(kv "$count_line" count)))
done
# What paging through every project leaves resident (the last count paged
# through them all).
RSS_PAGED_KB="$(proc_kb "$SERVER_PID" VmRSS)"
echo "VmRSS after paging through every project: $RSS_PAGED_KB kB"
BIG_COUNT="$(kv "$count_line" count)"
((BIG_COUNT == PROJECTS)) || die "the store holds $BIG_COUNT projects, not $PROJECTS"
[[ $(kv "$count_line" unique) == "$BIG_COUNT" ]] || die "paging returned duplicate ids: $count_line"
CURSOR_COUNT="$(kv "$count_line" sampled)"
[[ $CURSOR_COUNT =~ ^[1-9][0-9]*$ ]] || die "no cursors were sampled: $count_line"
MIDDLE_ID="$(kv "$count_line" middle)"
PAGE_PATH="/api/v1/projects?limit=$PAGE_LIMIT&cursor=$MIDDLE_ID"
python3 "$LP_PY" inspect --port "$SERVER_PORT" --path "$PAGE_PATH"
RSS_LOADED_KB="$(proc_kb "$SERVER_PID" VmHWM)"

step "cached: the same page (one cursor) over and over"
run_wrk big-page "$SERVER_URL$PAGE_PATH" "$HELPERS/report.lua"
BIG_LINE="$WRK_LINE"
RSS_CACHED_KB="$(proc_kb "$SERVER_PID" VmHWM)"

step "uncached: a different cursor per request, $CURSOR_COUNT cursors spread over the $BIG_COUNT projects"
python3 "$LP_PY" inspect --port "$SERVER_PORT" --path "/api/v1/projects?limit=$PAGE_LIMIT&cursor=$(tail -n 1 "$CURSORS_FILE")"
run_wrk big-page-uncached "$SERVER_URL" "$HELPERS/cursors.lua" "$CURSORS_FILE" "$PAGE_LIMIT" "$THREADS"
BIG_UNCACHED_LINE="$WRK_LINE"
RSS_BIG_KB="$(proc_kb "$SERVER_PID" VmHWM)"
echo "VmHWM after loading and paging: $RSS_BIG_KB kB"
stop_server

# --- 3b. the unpaged list, as the prototype's client reads it ---------------------
# Without limit or cursor the list is every project, streamed from one read
# transaction. The peak is measured over the read load alone: VmHWM is reset
# (clear_refs 5) once the projects are loaded.

UNPAGED_PROJECTS=10000
UNPAGED_CLIENTS=16
step "GET /api/v1/projects unpaged at $UNPAGED_PROJECTS projects, $UNPAGED_CLIENTS clients at once"
start_server unpaged false
python3 "$LP_PY" load --port "$SERVER_PORT" --path /api/v1/projects --kind project \
	--count "$UNPAGED_PROJECTS" --concurrency "$CONNECTIONS" --prefix "$RUN_ID-u"
UNPAGED_INSPECT="$(python3 "$LP_PY" inspect --port "$SERVER_PORT" --path /api/v1/projects)"
echo "$UNPAGED_INSPECT"
[[ $(kv "$UNPAGED_INSPECT" items) == "$UNPAGED_PROJECTS" ]] || die "the unpaged list did not hold every project: $UNPAGED_INSPECT"
RSS_UNPAGED_BEFORE_KB="$(proc_kb "$SERVER_PID" VmRSS)"
echo 5 >"/proc/$SERVER_PID/clear_refs"
WRK_C="$UNPAGED_CLIENTS" run_wrk unpaged "$SERVER_URL/api/v1/projects" "$HELPERS/report.lua"
UNPAGED_LINE="$WRK_LINE"
RSS_UNPAGED_KB="$(proc_kb "$SERVER_PID" VmHWM)"
echo "VmHWM while $UNPAGED_CLIENTS clients read the unpaged list: $RSS_UNPAGED_KB kB (VmRSS before: $RSS_UNPAGED_BEFORE_KB kB)"
stop_server

# --- 4. tasks without and with notes -------------------------------------------------
# Fresh servers go through the same steps with no notes and with NOTES_BYTES
# of notes on every task, so the cost of carrying and sealing notes is the
# difference between them:
#   POST tasks into one checklist of a fresh fixture project (wrk). Four runs
#   in the order no notes, notes, notes, no notes, each on its own fresh
#   server, so a drift in the machine's load over the runs (other builds on a
#   shared machine) falls equally on both sides;
#   GET a project holding NOTES_TASKS tasks: as is (the response cache
#   answers), then while a background writer PATCHes a third, unrelated
#   project CHURN_RATE times a second.

declare -A T_LINE T_CREATED T_BYTES T_CHURN T_RSS_KB

notes_words() { # notes_words NOTES_BYTES -> "no notes" / "N-byte notes"
	if (($1 > 0)); then
		echo "$1-byte notes"
	else
		echo "no notes"
	fi
}

post_tasks() { # post_tasks RUN NOTES_BYTES
	local run="$1" nb="$2" fixture tasks_path
	step "POST tasks, run $run: $(notes_words "$nb") (fresh store, demo data off)"
	start_server "post-$run" false
	fixture="$(python3 "$LP_PY" fixture --port "$SERVER_PORT" --name "Tasks POST benchmark")" || die "creating the POST fixture failed"
	echo "$fixture"
	tasks_path="/api/v1/projects/$(kv "$fixture" project)/checklists/$(kv "$fixture" checklist)/tasks"
	run_wrk "post-$run" "$SERVER_URL" "$HELPERS/post.lua" task "$tasks_path" "$RUN_ID" "$nb"
	T_LINE[post-$run]="$WRK_LINE"
	T_CREATED[post-$run]="$WRK_CREATED"
	T_RSS_KB[post-$run]="$(proc_kb "$SERVER_PID" VmHWM)"
	stop_server
}

get_tasks() { # get_tasks KEY NOTES_BYTES
	local key="$1" nb="$2" what fixture tasks_path project churn_project inspect_line
	what="$(notes_words "$nb")"
	step "$key: GET one project holding $NOTES_TASKS tasks with $what (fresh store, demo data off)"
	start_server "get-$key" false
	fixture="$(python3 "$LP_PY" fixture --port "$SERVER_PORT" --name "Tasks GET benchmark")" || die "creating the GET fixture failed"
	echo "$fixture"
	project="$(kv "$fixture" project)"
	tasks_path="/api/v1/projects/$project/checklists/$(kv "$fixture" checklist)/tasks"
	python3 "$LP_PY" load --port "$SERVER_PORT" --path "$tasks_path" --kind task --count "$NOTES_TASKS" \
		--concurrency "$CONNECTIONS" --prefix "$RUN_ID" --notes-bytes "$nb" || die "loading the $NOTES_TASKS tasks failed"
	fixture="$(python3 "$LP_PY" fixture --port "$SERVER_PORT" --name "Cache churn target")" || die "creating the churn fixture failed"
	churn_project="$(kv "$fixture" project)"
	inspect_line="$(python3 "$LP_PY" inspect --port "$SERVER_PORT" --path "/api/v1/projects/$project")"
	echo "$inspect_line"
	[[ $(kv "$inspect_line" tasks) == "$NOTES_TASKS" ]] || die "the project holds $(kv "$inspect_line" tasks) tasks, not $NOTES_TASKS"
	[[ $(kv "$inspect_line" notes_chars) == $((NOTES_TASKS * nb)) ]] ||
		die "the project's notes hold $(kv "$inspect_line" notes_chars) characters, not $((NOTES_TASKS * nb))"
	T_BYTES[$key]="$(kv "$inspect_line" bytes)"
	run_wrk "get-$key" "$SERVER_URL/api/v1/projects/$project" "$HELPERS/report.lua"
	T_LINE[get-$key]="$WRK_LINE"

	step "$key: the same GET, cache invalidated ~${CHURN_RATE}x/s (PATCHes to unrelated project $churn_project)"
	start_churn "get-$key" "$churn_project"
	run_wrk "get-churn-$key" "$SERVER_URL/api/v1/projects/$project" "$HELPERS/report.lua"
	T_LINE[get-churn-$key]="$WRK_LINE"
	stop_churn "get-$key"
	T_CHURN[$key]="$CHURN_LINE"
	T_RSS_KB[get-$key]="$(proc_kb "$SERVER_PID" VmHWM)"
	echo "VmHWM after the $key GET runs: ${T_RSS_KB[get-$key]} kB"
	stop_server
}

post_tasks plain-1 0
post_tasks notes-1 "$NOTES_BYTES"
post_tasks notes-2 "$NOTES_BYTES"
post_tasks plain-2 0
get_tasks plain 0
get_tasks notes "$NOTES_BYTES"

# --- 5. readiness: the scorecard and the report of a busy project --------------------

READINESS_ASSESSMENTS=200
step "readiness: one project with $READINESS_ASSESSMENTS assessments and $NOTES_TASKS tasks (fresh store, demo data off)"
start_server readiness false
fixture="$(python3 "$LP_PY" fixture --port "$SERVER_PORT" --name "Readiness benchmark")" || die "creating the readiness fixture failed"
echo "$fixture"
R_PROJECT="$(kv "$fixture" project)"
python3 "$LP_PY" load --port "$SERVER_PORT" --path "/api/v1/projects/$R_PROJECT/checklists/$(kv "$fixture" checklist)/tasks" \
	--kind task --count "$NOTES_TASKS" --concurrency "$CONNECTIONS" --prefix "$RUN_ID" || die "loading the readiness tasks failed"
python3 "$LP_PY" load --port "$SERVER_PORT" --path "/api/v1/projects/$R_PROJECT/assessments" \
	--kind assessment --count "$READINESS_ASSESSMENTS" --concurrency "$CONNECTIONS" --prefix "$RUN_ID" || die "loading the assessments failed"
fixture="$(python3 "$LP_PY" fixture --port "$SERVER_PORT" --name "Readiness churn target")" || die "creating the churn fixture failed"
R_CHURN_PROJECT="$(kv "$fixture" project)"

step "GET the scorecard (one URL, no writes: the response cache answers)"
run_wrk scorecard "$SERVER_URL/api/v1/projects/$R_PROJECT/scorecard" "$HELPERS/report.lua"
R_SCORECARD_LINE="$WRK_LINE"
step "GET the scorecard, cache invalidated ~${CHURN_RATE}x/s (PATCHes to project $R_CHURN_PROJECT)"
start_churn scorecard "$R_CHURN_PROJECT"
run_wrk scorecard-churn "$SERVER_URL/api/v1/projects/$R_PROJECT/scorecard" "$HELPERS/report.lua"
R_SCORECARD_CHURN_LINE="$WRK_LINE"
stop_churn scorecard
R_SCORECARD_CHURN="$CHURN_LINE"
step "GET the report (Markdown, rendered every time), one client"
WRK_C=1 run_wrk report-1 "$SERVER_URL/api/v1/projects/$R_PROJECT/report" "$HELPERS/report.lua"
R_REPORT_LINE="$WRK_LINE"
step "GET the report as HTML, one client"
WRK_C=1 run_wrk report-html-1 "$SERVER_URL/api/v1/projects/$R_PROJECT/report?format=html" "$HELPERS/report.lua"
R_REPORT_HTML_LINE="$WRK_LINE"
step "POST an assessment (durable, grouped, owners sealed)"
run_wrk post-assessment "$SERVER_URL" "$HELPERS/post.lua" assessment "/api/v1/projects/$R_PROJECT/assessments" "$RUN_ID"
R_POST_LINE="$WRK_LINE"
R_RSS_KB="$(proc_kb "$SERVER_PID" VmHWM)"
stop_server

# --- 6. binary size -------------------------------------------------------------------

BIN_BYTES="$(stat -c %s "$BIN")"
BIN_MB="$(awk -v b="$BIN_BYTES" 'BEGIN { printf "%.2f", b / 1000000 }')"
LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"

# --- summary --------------------------------------------------------------------------

row "cold start to first 200 (median of $COLD_RUNS)" "$COLD_MEDIAN ms" "<= 50 ms" "$(verdict "$COLD_MEDIAN" le 50)"
SUMMARY_NOTES+=("cold start runs (ms): ${COLD_MS[*]}; the first start on a fresh folder took $FIRST_START_MS ms (identity, data key, migrations, demo data, argon2 hash of the initial admin)")

WRK_LINE="$GET_LINE"
wrk_rows "GET list, demo data" 59400 5
SUMMARY_NOTES+=("GET list, demo data: one URL and no writes, so it is served from the response cache (the cached path)")
WRK_LINE="$GET_CHURN_LINE"
wrk_rows "GET list, demo data, cache invalidated ~${CHURN_RATE}x/s" "" ""
SUMMARY_NOTES+=("GET list, cache invalidated: a background writer PATCHed a demo project's description: $(churn_note "$GET_CHURN_STATS")")

WRK_LINE="$POST_LINE"
wrk_rows "POST create (durable)" 9600 "" strict
SUMMARY_NOTES+=("POST create: ${POST_CREATED:-?} responses 2xx; VmRSS after the load $(mb_from_kb "$RSS_AFTER_KB") MB")

RSS_IDLE_MB="$(mb_from_kb "$RSS_IDLE_KB")"
RSS_PEAK_MB="$(mb_from_kb "$RSS_PEAK_KB")"
row "RSS idle (VmRSS before load)" "$RSS_IDLE_MB MB" "<= 15 MB" "$(verdict "$RSS_IDLE_MB" le 15)"
row "RSS peak (VmHWM after GET+POST load)" "$RSS_PEAK_MB MB" "<= 64 MB" "$(verdict "$RSS_PEAK_MB" le 64)"

WRK_LINE="$BIG_LINE"
wrk_rows "page at $BIG_COUNT projects, cached" "" ""
WRK_LINE="$BIG_UNCACHED_LINE"
wrk_rows "page at $BIG_COUNT projects, uncached (varying cursor)" "" 10
SUMMARY_NOTES+=("$BIG_COUNT projects loaded in $(printf '%.1f' "$LOAD_SECONDS") s over $CONNECTIONS connections; page = limit $PAGE_LIMIT after a cursor")
SUMMARY_NOTES+=("page, cached: always the middle id; uncached: $CURSOR_COUNT cursors spread evenly over the list, each wrk thread round-robin, so none repeats before the 256-entry cache has emptied")
RSS_BIG_MB="$(mb_from_kb "$RSS_BIG_KB")"
SUMMARY_NOTES+=("$BIG_COUNT-project server VmHWM: $(mb_from_kb "$RSS_LOADED_KB") MB after loading, $(mb_from_kb "$RSS_CACHED_KB") MB after the cached page run, $RSS_BIG_MB MB after the uncached one")
row "RSS peak, $BIG_COUNT-project server" "$RSS_BIG_MB MB" "<= 64 MB" "$(verdict "$RSS_BIG_MB" le 64)"
RSS_PAGED_MB="$(mb_from_kb "$RSS_PAGED_KB")"
row "RSS after paging through $BIG_COUNT projects (VmRSS)" "$RSS_PAGED_MB MB" "<= 64 MB" "$(verdict "$RSS_PAGED_MB" le 64)"

WRK_LINE="$UNPAGED_LINE"
wrk_rows "unpaged list of $UNPAGED_PROJECTS projects, $UNPAGED_CLIENTS clients" "" "" strict
SUMMARY_NOTES+=("unpaged list: $(kv "$UNPAGED_INSPECT" bytes) bytes per answer, streamed; VmRSS before the read load $(mb_from_kb "$RSS_UNPAGED_BEFORE_KB") MB")
RSS_UNPAGED_MB="$(mb_from_kb "$RSS_UNPAGED_KB")"
row "RSS peak while $UNPAGED_CLIENTS clients read the unpaged list" "$RSS_UNPAGED_MB MB" "< 64 MB" "$(verdict "$RSS_UNPAGED_MB" le 63.9)"

row "release binary size" "$BIN_MB MB" "<= 15 MB" "$(verdict "$BIN_MB" le 15)"

NOTES_LABEL="$NOTES_BYTES B notes"
for v in plain notes; do
	T_LINE[post-$v]="$(merge_wrk_lines "${T_LINE[post-$v-1]}" "${T_LINE[post-$v-2]}")"
done
WRK_LINE="${T_LINE[post-plain]}"
wrk_rows "POST task, no notes (2 runs)" "" "" strict
POST_PLAIN_RPS="$(kv "$WRK_LINE" rps)"
WRK_LINE="${T_LINE[post-notes]}"
wrk_rows "POST task, $NOTES_LABEL (2 runs)" "" "" strict
POST_NOTES_RPS="$(kv "$WRK_LINE" rps)"
POST_OVERHEAD="$(overhead "$POST_PLAIN_RPS" "$POST_NOTES_RPS")"
row "notes overhead: share of POST task write throughput" "$POST_OVERHEAD %" "<= 10 %" "$(verdict "$POST_OVERHEAD" le 10)"
SUMMARY_NOTES+=("notes overhead: $POST_OVERHEAD% of write throughput (POST task $(printf '%.0f' "$POST_PLAIN_RPS") req/s without notes, $(printf '%.0f' "$POST_NOTES_RPS") req/s with $NOTES_LABEL)")
post_runs=()
for run in plain-1 notes-1 notes-2 plain-2; do
	post_runs+=("$run $(printf '%.0f' "$(kv "${T_LINE[post-$run]}" rps)")")
done
SUMMARY_NOTES+=("POST task: 4 runs of $DURATION on fresh servers, in this order (req/s): $(printf '%s, ' "${post_runs[@]}" | sed 's/, $//'); rows give the mean req/s and p50 of the 2 runs and the higher p99")
SUMMARY_NOTES+=("POST task: tasks created per run: plain ${T_CREATED[post-plain-1]:-?} and ${T_CREATED[post-plain-2]:-?}, notes ${T_CREATED[post-notes-1]:-?} and ${T_CREATED[post-notes-2]:-?}; VmHWM of the notes POST servers $(mb_from_kb "${T_RSS_KB[post-notes-1]}") and $(mb_from_kb "${T_RSS_KB[post-notes-2]}") MB")

WRK_LINE="${T_LINE[get-plain]}"
wrk_rows "GET project, $NOTES_TASKS tasks, no notes, cached" "" ""
GET_PLAIN_RPS="$(kv "$WRK_LINE" rps)"
WRK_LINE="${T_LINE[get-notes]}"
wrk_rows "GET project, $NOTES_TASKS tasks, $NOTES_LABEL, cached" "" ""
GET_NOTES_RPS="$(kv "$WRK_LINE" rps)"
GET_OVERHEAD="$(overhead "$GET_PLAIN_RPS" "$GET_NOTES_RPS")"
row "notes overhead: share of GET project throughput, cached" "$GET_OVERHEAD %" "-" "-"

WRK_LINE="${T_LINE[get-churn-plain]}"
wrk_rows "GET project, $NOTES_TASKS tasks, no notes, cache invalidated ~${CHURN_RATE}x/s" "" ""
GETC_PLAIN_RPS="$(kv "$WRK_LINE" rps)"
WRK_LINE="${T_LINE[get-churn-notes]}"
wrk_rows "GET project, $NOTES_TASKS tasks, $NOTES_LABEL, cache invalidated ~${CHURN_RATE}x/s" "" ""
GETC_NOTES_RPS="$(kv "$WRK_LINE" rps)"
GETC_OVERHEAD="$(overhead "$GETC_PLAIN_RPS" "$GETC_NOTES_RPS")"
row "notes overhead: share of GET project throughput, cache invalidated" "$GETC_OVERHEAD %" "-" "-"
SUMMARY_NOTES+=("notes overhead on GET project, $NOTES_TASKS tasks: $GET_OVERHEAD% cached, $GETC_OVERHEAD% with the cache invalidated ~${CHURN_RATE}x/s")
SUMMARY_NOTES+=("GET project: each response is $(awk -v b="${T_BYTES[plain]}" 'BEGIN { printf "%.2f", b / 1000000 }') MB without notes, $(awk -v b="${T_BYTES[notes]}" 'BEGIN { printf "%.2f", b / 1000000 }') MB with notes")
SUMMARY_NOTES+=("GET project, cache invalidated: a background writer PATCHed an unrelated project; no notes: $(churn_note "${T_CHURN[plain]}")")
SUMMARY_NOTES+=("GET project, cache invalidated, with notes: $(churn_note "${T_CHURN[notes]}")")

WRK_LINE="$R_SCORECARD_LINE"
wrk_rows "GET scorecard, $READINESS_ASSESSMENTS assessments + $NOTES_TASKS tasks, cached" "" 5
WRK_LINE="$R_SCORECARD_CHURN_LINE"
wrk_rows "GET scorecard, cache invalidated ~${CHURN_RATE}x/s" "" 5
SUMMARY_NOTES+=("GET scorecard, cache invalidated: a background writer PATCHed another project: $(churn_note "$R_SCORECARD_CHURN")")
WRK_LINE="$R_REPORT_LINE"
wrk_rows "GET report (Markdown), same project, 1 client" "" 50
WRK_LINE="$R_REPORT_HTML_LINE"
wrk_rows "GET report (HTML), same project, 1 client" "" 50
WRK_LINE="$R_POST_LINE"
wrk_rows "POST assessment (durable)" "" "" strict
SUMMARY_NOTES+=("readiness server VmHWM: $(mb_from_kb "$R_RSS_KB") MB")

RSS_PLAIN_MB="$(mb_from_kb "${T_RSS_KB[get-plain]}")"
row "RSS peak, no-notes GET server (after its GETs)" "$RSS_PLAIN_MB MB" "<= 64 MB" "$(verdict "$RSS_PLAIN_MB" le 64)"
RSS_NOTES_MB="$(mb_from_kb "${T_RSS_KB[get-notes]}")"
row "RSS peak, notes GET server (after its GETs)" "$RSS_NOTES_MB MB" "<= 64 MB" "$(verdict "$RSS_NOTES_MB" le 64)"
SUMMARY_NOTES+=("load average (1, 5, 15 min) when the runs started: $LOAD_START; when they ended: $LOAD_END")

print_summary
