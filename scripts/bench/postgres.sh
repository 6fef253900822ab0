# shellcheck shell=bash
# shellcheck disable=SC2034 # PG_STOP and RESULTS_FILE are read by bench.sh
# The PostgreSQL half of the benchmark, sourced by scripts/bench.sh when
# BENCH_BACKEND=postgres (it uses that script's helpers and summary).
#
# A throwaway server (scripts/pg-test-server.sh, with a state file of its
# own) on this machine, one database, and LaunchPad on it with TLS:
#   1. one instance: GET list (cached, and with the cache invalidated by a
#      background writer, so every read checks the database's generation),
#      POST create;
#   2. two instances on the same database, each loaded by its own wrk with
#      half the connections: GET list and POST create, summed;
#   3. pg_stat_statements: the queries that took the database's time.
# The server and wrk share the machine's CPUs with PostgreSQL.

PG_STATE="$WORK/pg-test-server.env"
pg_server() { LAUNCHPAD_PG_STATE="$PG_STATE" "$ROOT/scripts/pg-test-server.sh" "$@"; }
PG_STOP=pg_server_stop
pg_server_stop() { pg_server stop >/dev/null 2>&1 || true; }

step "a throwaway PostgreSQL server"
pg_server start
PG_ADMIN_URL="$(pg_server url)"
PG_CA="$(pg_server ca)"
PG_BIN="$(sed -n 's/^PG_BINDIR=//p' "$PG_STATE")"
psql_admin() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 "$PG_ADMIN_URL" "$@"; }
psql_admin -c "CREATE DATABASE bench"
psql_admin -c "SELECT pg_stat_statements_reset()" >/dev/null

export LAUNCHPAD_STORE_BACKEND=postgres
export LAUNCHPAD_STORE_POSTGRES_URL="${PG_ADMIN_URL%/*}/bench?sslmode=require"
export LAUNCHPAD_STORE_POSTGRES_CA_FILE="$PG_CA"
# Every instance shares one identity, as on a fleet.
export LAUNCHPAD_IDENTITY_FILE="$WORK/identity.age"
"$BIN" keys init --identity "$LAUNCHPAD_IDENTITY_FILE" >/dev/null

LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"

step "one instance on PostgreSQL (demo data on)"
start_server pg-a true
inspect_line="$(python3 "$LP_PY" inspect --port "$SERVER_PORT" --path /api/v1/projects)"
DEMO_PROJECT="$(kv "$inspect_line" first)"

step "GET /api/v1/projects, one instance (one URL, no writes: the response cache answers after a generation check)"
run_wrk pg-get-list "$SERVER_URL/api/v1/projects" "$HELPERS/report.lua"
PG_GET_LINE="$WRK_LINE"

step "GET /api/v1/projects, one instance, cache invalidated ~${CHURN_RATE}x/s"
start_churn pg-get-list "$DEMO_PROJECT"
run_wrk pg-get-list-churn "$SERVER_URL/api/v1/projects" "$HELPERS/report.lua"
PG_GET_CHURN_LINE="$WRK_LINE"
stop_churn pg-get-list
PG_GET_CHURN_STATS="$CHURN_LINE"

step "POST /api/v1/projects (durable), one instance"
run_wrk pg-post-create "$SERVER_URL" "$HELPERS/post.lua" project /api/v1/projects "$RUN_ID-a"
PG_POST_LINE="$WRK_LINE"
PG_RSS_KB="$(proc_kb "$SERVER_PID" VmHWM)"

stop_server

# Two instances on a second database: the first one's holds every project
# just created, which an unpaged list would refuse.
psql_admin -c "CREATE DATABASE bench2"
export LAUNCHPAD_STORE_POSTGRES_URL="${PG_ADMIN_URL%/*}/bench2?sslmode=require"
start_server pg-a2 true
A_PID="$SERVER_PID" A_URL="$SERVER_URL"
EXTRA_PIDS+=("$A_PID")
SERVER_PID=""
start_server pg-b false
B_PID="$SERVER_PID" B_URL="$SERVER_URL"

# wrk_pair NAME PATH SCRIPT [args]: one wrk per instance, half the
# connections each, at once -> WRK_LINE with the sum of their rates, the
# worse of their latencies and the sum of their errors.
wrk_pair() {
	local name="$1" path="$2" script="$3" half=$(((CONNECTIONS + 1) / 2)) side url pids=()
	shift 3
	for side in a b; do
		[[ $side == a ]] && url="$A_URL" || url="$B_URL"
		local args=("$@")
		# Unique names per side for the POST script.
		((${#args[@]} >= 3)) && args[2]="${args[2]}-$side"
		wrk -t1 -c"$half" -d"$DURATION" --latency --timeout "$WRK_TIMEOUT" -s "$script" "$url$path" \
			${args[@]+-- "${args[@]}"} >"$WORK/wrk-$name-$side.txt" 2>&1 &
		pids+=($!)
	done
	wait "${pids[@]}"
	cat "$WORK/wrk-$name-a.txt" "$WORK/wrk-$name-b.txt"
	WRK_LINE="$(grep -h '^BENCH_RESULT ' "$WORK/wrk-$name-a.txt" "$WORK/wrk-$name-b.txt" | awk '
		{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2]
		      if (kv[1] ~ /^(rps|requests|non2xx|status_errors|socket_errors|timeouts|bytes)$/) s[kv[1]] += kv[2]
		      else if (kv[2] > m[kv[1]]) m[kv[1]] = kv[2] } n++ }
		END { if (n != 2) exit 1
		      printf "BENCH_RESULT requests=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d non2xx=%d status_errors=%d socket_errors=%d timeouts=%d bytes=%d\n",
		        s["requests"], s["rps"], m["p50_us"], m["p90_us"], m["p99_us"], m["max_us"], s["non2xx"], s["status_errors"], s["socket_errors"], s["timeouts"], s["bytes"] }')" ||
		die "wrk ($name) printed no result on both instances"
	if ! kill -0 "$A_PID" 2>/dev/null || ! kill -0 "$B_PID" 2>/dev/null; then
		die "an instance died during the run"
	fi
}

step "GET /api/v1/projects, two instances on one database"
wrk_pair pg2-get-list /api/v1/projects "$HELPERS/report.lua"
PG2_GET_LINE="$WRK_LINE"

step "POST /api/v1/projects (durable), two instances on one database"
wrk_pair pg2-post-create "" "$HELPERS/post.lua" project /api/v1/projects "$RUN_ID-2"
PG2_POST_LINE="$WRK_LINE"

stop_server
stop_pid "$A_PID"

step "pg_stat_statements: the ten queries that took the most time"
PG_TOP="$WORK/pg-top.txt"
psql_admin -P pager=off -c "
	SELECT calls, round(total_exec_time::numeric, 1) AS total_ms,
	       round(mean_exec_time::numeric, 3) AS mean_ms, rows,
	       left(regexp_replace(query, '\s+', ' ', 'g'), 90) AS query
	FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
	WHERE d.datname IN ('bench', 'bench2')
	ORDER BY total_exec_time DESC LIMIT 10" | tee "$PG_TOP"
LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"

# --- summary rows ------------------------------------------------------------------

WRK_LINE="$PG_GET_LINE"
wrk_rows "PostgreSQL, 1 instance: GET list, demo data" "" ""
WRK_LINE="$PG_GET_CHURN_LINE"
wrk_rows "PostgreSQL, 1 instance: GET list, cache invalidated ~${CHURN_RATE}x/s" "" ""
SUMMARY_NOTES+=("GET list, cache invalidated: $(churn_note "$PG_GET_CHURN_STATS")")
WRK_LINE="$PG_POST_LINE"
# The redb figure's order of magnitude (DESIGN.md section 10: 9,600/s).
wrk_rows "PostgreSQL, 1 instance: POST create (durable)" 960 "" strict
WRK_LINE="$PG2_GET_LINE"
wrk_rows "PostgreSQL, 2 instances: GET list, demo data" "" ""
WRK_LINE="$PG2_POST_LINE"
wrk_rows "PostgreSQL, 2 instances: POST create (durable)" 960 "" strict
PG_RSS_MB="$(mb_from_kb "$PG_RSS_KB")"
row "PostgreSQL, 1 instance: RSS peak after GET+POST" "$PG_RSS_MB MB" "<= 64 MB" "$(verdict "$PG_RSS_MB" le 64)"
SUMMARY_NOTES+=("PostgreSQL $("$PG_BIN/postgres" --version | awk '{ print $3 }') on this machine over TLS (sslmode=require), synchronous_commit on; store.postgres_pool_size 16")
SUMMARY_NOTES+=("pg_stat_statements top queries by total time (calls | total ms | mean ms | rows | query):")
while IFS= read -r line; do
	SUMMARY_NOTES+=("  $line")
done < <(sed -n '3,12p' "$PG_TOP")
SUMMARY_NOTES+=("load average (1, 5, 15 min) when the runs started: $LOAD_START; when they ended: $LOAD_END")
RESULTS_FILE="$RESULTS_DIR/latest-postgres.txt"
