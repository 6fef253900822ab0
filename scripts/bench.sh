#!/usr/bin/env bash
# LaunchPad benchmark: measures the figures DESIGN.md §10 sets targets for and
# prints them in one summary table, which is also written to
# bench-results/latest.txt.
#
# Usage:
#   scripts/bench.sh                                       # full run (~3-4 min after the build)
#   BENCH_DURATION=3s BENCH_PROJECTS=2000 scripts/bench.sh # quick smoke run
#
# Environment:
#   BENCH_DURATION     wrk duration per load run        (default 15s)
#   BENCH_CONNECTIONS  wrk connections per load run     (default 64)
#   BENCH_THREADS      wrk threads                      (default 2)
#   BENCH_PROJECTS     projects for the big-list page   (default 100000)
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
((CONNECTIONS >= THREADS)) || die "BENCH_CONNECTIONS ($CONNECTIONS) must be at least BENCH_THREADS ($THREADS)"

# Ignore any LaunchPad configuration in the calling environment.
while IFS= read -r var; do
	unset "$var"
done < <(compgen -e | grep '^LAUNCHPAD_' || true)
export LAUNCHPAD_LOG_LEVEL=warn

# --- cleanup ------------------------------------------------------------------

WORK="$(mktemp -d "${TMPDIR:-/tmp}/launchpad-bench-work.XXXXXX")"
DATA_DIRS=()
SERVER_PID=""
SERVER_PORT=""
SERVER_URL=""
SERVER_LOG=""

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
	if [[ -n $SERVER_PID ]]; then
		stop_pid "$SERVER_PID"
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
run_wrk() {
	local name="$1" url="$2" script="$3"
	shift 3
	local out="$WORK/wrk-$name.txt" cmd
	cmd=(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency --timeout "$WRK_TIMEOUT" -s "$script" "$url")
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

RUN_ID="b$(date +%s | tail -c 7)$$"
SUMMARY_ROWS=()
SUMMARY_NOTES=()

# row LABEL VALUE TARGET VERDICT
row() { SUMMARY_ROWS+=("$1"$'\t'"$2"$'\t'"$3"$'\t'"$4"); }

# verdict VALUE OP LIMIT -> "ok" / "MISS" / "?" (OP is ge or le)
verdict() {
	if ! [[ $1 =~ ^[0-9]+([.][0-9]+)?$ ]]; then
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

# --- 1. cold start --------------------------------------------------------------

step "cold start: spawn -> first 200 of GET /api/v1/projects, $COLD_RUNS runs on fresh folders"
COLD_MS=()
for ((i = 1; i <= COLD_RUNS; i++)); do
	new_data_dir
	line="$(python3 "$LP_PY" coldstart --bin "$BIN" --data-dir "$NEW_DATA_DIR" \
		--log "$WORK/coldstart.log" --pidfile "$WORK/coldstart.pid" --timeout 30)" || {
		tail -n 20 "$WORK/coldstart.log" >&2 || true
		die "cold start run $i failed"
	}
	COLD_MS+=("$(kv "$line" ms)")
	echo "run $i: $(kv "$line" ms) ms"
	rm -rf -- "$NEW_DATA_DIR"
done
COLD_MEDIAN="$(printf '%s\n' "${COLD_MS[@]}" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')"
echo "median: $COLD_MEDIAN ms"

# --- 2. main server: idle RSS, GET list, POST create, peak RSS --------------------

step "starting the main server (demo data on)"
start_server main true
sleep 1
RSS_IDLE_KB="$(proc_kb "$SERVER_PID" VmRSS)"
echo "idle VmRSS: $RSS_IDLE_KB kB"
python3 "$LP_PY" inspect --port "$SERVER_PORT" --path /api/v1/projects

step "GET /api/v1/projects with the demo data"
run_wrk get-list "$SERVER_URL/api/v1/projects" "$HELPERS/report.lua"
GET_LINE="$WRK_LINE"

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
need="$PROJECTS"
LOAD_SECONDS=0
for ((round = 1; round <= 3 && need > 0; round++)); do
	echo "loading $need projects over $CONNECTIONS connections (round $round)"
	line="$(python3 "$LP_PY" load --port "$SERVER_PORT" --path /api/v1/projects --kind project \
		--count "$need" --concurrency "$CONNECTIONS" --prefix "$RUN_ID-r$round")" || true
	echo "$line"
	LOAD_SECONDS="$(awk -v a="$LOAD_SECONDS" -v b="$(kv "$line" seconds)" 'BEGIN { print a + b }')"
	server_alive
	count_line="$(python3 "$LP_PY" count --port "$SERVER_PORT")" || die "paging through the list failed"
	echo "$count_line"
	need=$((PROJECTS - $(kv "$count_line" count)))
done
BIG_COUNT="$(kv "$count_line" count)"
((BIG_COUNT == PROJECTS)) || die "the store holds $BIG_COUNT projects, not $PROJECTS"
[[ $(kv "$count_line" unique) == "$BIG_COUNT" ]] || die "paging returned duplicate ids: $count_line"
MIDDLE_ID="$(kv "$count_line" middle)"
PAGE_PATH="/api/v1/projects?limit=50&cursor=$MIDDLE_ID"
python3 "$LP_PY" inspect --port "$SERVER_PORT" --path "$PAGE_PATH"
run_wrk big-page "$SERVER_URL$PAGE_PATH" "$HELPERS/report.lua"
BIG_LINE="$WRK_LINE"
RSS_BIG_KB="$(proc_kb "$SERVER_PID" VmHWM)"
echo "VmHWM after loading and paging: $RSS_BIG_KB kB"
stop_server

# --- 4. with notes: 1 KB notes on every task -----------------------------------------
# Always runs: the encryption work compares these figures with the plain ones.

step "with notes: POST tasks carrying $NOTES_BYTES-byte notes (fresh store, demo data off)"
start_server notes false
fixture="$(python3 "$LP_PY" fixture --port "$SERVER_PORT" --name "Notes POST benchmark")" || die "creating the POST fixture failed"
echo "$fixture"
TASKS_PATH="/api/v1/projects/$(kv "$fixture" project)/checklists/$(kv "$fixture" checklist)/tasks"
run_wrk notes-post "$SERVER_URL" "$HELPERS/post.lua" task "$TASKS_PATH" "$RUN_ID" "$NOTES_BYTES"
NOTES_POST_LINE="$WRK_LINE"
NOTES_POST_CREATED="$WRK_CREATED"

step "with notes: GET one project holding $NOTES_TASKS tasks with $NOTES_BYTES-byte notes"
fixture="$(python3 "$LP_PY" fixture --port "$SERVER_PORT" --name "Notes GET benchmark")" || die "creating the GET fixture failed"
echo "$fixture"
NOTES_PROJECT="$(kv "$fixture" project)"
TASKS_PATH="/api/v1/projects/$NOTES_PROJECT/checklists/$(kv "$fixture" checklist)/tasks"
python3 "$LP_PY" load --port "$SERVER_PORT" --path "$TASKS_PATH" --kind task --count "$NOTES_TASKS" \
	--concurrency "$CONNECTIONS" --prefix "$RUN_ID" --notes-bytes "$NOTES_BYTES" || die "loading the $NOTES_TASKS tasks failed"
inspect_line="$(python3 "$LP_PY" inspect --port "$SERVER_PORT" --path "/api/v1/projects/$NOTES_PROJECT")"
echo "$inspect_line"
[[ $(kv "$inspect_line" tasks) == "$NOTES_TASKS" ]] || die "the project holds $(kv "$inspect_line" tasks) tasks, not $NOTES_TASKS"
NOTES_GET_BYTES="$(kv "$inspect_line" bytes)"
run_wrk notes-get "$SERVER_URL/api/v1/projects/$NOTES_PROJECT" "$HELPERS/report.lua"
NOTES_GET_LINE="$WRK_LINE"
RSS_NOTES_KB="$(proc_kb "$SERVER_PID" VmHWM)"
echo "VmHWM after the notes runs: $RSS_NOTES_KB kB"
stop_server

# --- 5. binary size -------------------------------------------------------------------

BIN_BYTES="$(stat -c %s "$BIN")"
BIN_MB="$(awk -v b="$BIN_BYTES" 'BEGIN { printf "%.2f", b / 1000000 }')"

# --- summary --------------------------------------------------------------------------

row "cold start to first 200 (median of $COLD_RUNS)" "$COLD_MEDIAN ms" "<= 50 ms" "$(verdict "$COLD_MEDIAN" le 50)"
SUMMARY_NOTES+=("cold start runs (ms): ${COLD_MS[*]}")

WRK_LINE="$GET_LINE"
wrk_rows "GET list, demo data" 59400 5

WRK_LINE="$POST_LINE"
wrk_rows "POST create (durable)" 9600 "" strict
SUMMARY_NOTES+=("POST create: ${POST_CREATED:-?} responses 2xx; VmRSS after the load $(mb_from_kb "$RSS_AFTER_KB") MB")

RSS_IDLE_MB="$(mb_from_kb "$RSS_IDLE_KB")"
RSS_PEAK_MB="$(mb_from_kb "$RSS_PEAK_KB")"
row "RSS idle (VmRSS before load)" "$RSS_IDLE_MB MB" "<= 15 MB" "$(verdict "$RSS_IDLE_MB" le 15)"
row "RSS peak (VmHWM after GET+POST load)" "$RSS_PEAK_MB MB" "<= 64 MB" "$(verdict "$RSS_PEAK_MB" le 64)"

WRK_LINE="$BIG_LINE"
wrk_rows "page at $BIG_COUNT projects" "" 10
SUMMARY_NOTES+=("$BIG_COUNT projects loaded in $(printf '%.1f' "$LOAD_SECONDS") s over $CONNECTIONS connections; page = limit 50 after the middle id")
RSS_BIG_MB="$(mb_from_kb "$RSS_BIG_KB")"
row "RSS peak, $BIG_COUNT-project server" "$RSS_BIG_MB MB" "<= 64 MB" "$(verdict "$RSS_BIG_MB" le 64)"

row "release binary size" "$BIN_MB MB" "<= 15 MB" "$(verdict "$BIN_MB" le 15)"

WRK_LINE="$NOTES_POST_LINE"
wrk_rows "notes: POST task, ${NOTES_BYTES} B notes" "" "" strict
SUMMARY_NOTES+=("notes POST: ${NOTES_POST_CREATED:-?} tasks created in one checklist; compare with POST create")
WRK_LINE="$NOTES_GET_LINE"
wrk_rows "notes: GET project, $NOTES_TASKS tasks" "" ""
SUMMARY_NOTES+=("notes GET: each response is $(awk -v b="$NOTES_GET_BYTES" 'BEGIN { printf "%.2f", b / 1000000 }') MB")
RSS_NOTES_MB="$(mb_from_kb "$RSS_NOTES_KB")"
row "RSS peak, notes server (after notes GET)" "$RSS_NOTES_MB MB" "<= 64 MB" "$(verdict "$RSS_NOTES_MB" le 64)"

mkdir -p "$RESULTS_DIR"
{
	echo "LaunchPad benchmark summary"
	echo "date:     $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "commit:   $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- 2>/dev/null || echo ' (with uncommitted changes)')"
	echo "host:     $(nproc) CPUs, $(uname -sr), $(wrk --version 2>&1 | head -n 1 | awk '{ print $1, $2 }')"
	echo "settings: wrk -t$THREADS -c$CONNECTIONS -d$DURATION; BENCH_PROJECTS=$PROJECTS; loopback only"
	echo "targets:  DESIGN.md section 10 (MB = 10^6 bytes)"
	echo
	printf '%-52s %14s   %-12s %s\n' "measure" "result" "target" "verdict"
	printf '%s\n' "-------------------------------------------------------------------------------------------"
	misses=0
	for r in "${SUMMARY_ROWS[@]}"; do
		IFS=$'\t' read -r label value target v <<<"$r"
		printf '%-52s %14s   %-12s %s\n' "$label" "$value" "$target" "$v"
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
