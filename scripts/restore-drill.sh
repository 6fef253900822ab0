#!/usr/bin/env bash
# LaunchPad restore drill: proves, end to end, that a backup taken while the
# service is busy restores into a store holding exactly what the backup says,
# and times it against DESIGN.md §10 (backup of 100,000 tasks <= 2 s, restore
# of 100,000 tasks <= 3 s).
#
# Usage:
#   scripts/restore-drill.sh                    # 100,000 tasks (a few minutes)
#   DRILL_TASKS=5000 scripts/restore-drill.sh   # quick run
#
# Environment:
#   DRILL_TASKS               tasks to load before the backup   (default 100000)
#   DRILL_CONCURRENCY         concurrent connections for loading (default 48)
#   DRILL_WRITER_MAX_SECONDS  upper bound for the background writer (default 20)
#
# Steps:
#   1. cargo build --release
#   2. start a server on a fresh folder (LAUNCHPAD_DEMO_DATA=false) and load
#      DRILL_TASKS tasks, each with ~100 bytes of notes (a sealed field),
#      ~1,000 per checklist, 10 checklists per project
#   3. start a background writer creating tasks, run `launchpad backup`
#      against the running server (online, through its admin socket), stop
#      the writer when the backup returns
#   4. `launchpad verify` the file, `launchpad restore` it into a scratch
#      folder, and a second time into another one
#   5. serve both restored stores and compare through the HTTP API: counts
#      equal the backup manifest's, every task's notes open, and both
#      restores hold identical content (sha256 over the JSON of every project)
#
# Prints PASS/FAIL per check and a summary; exits 1 if any check fails.
# Only loopback traffic; every server started here is stopped and every temp
# folder removed on exit. LAUNCHPAD_* variables from the calling shell are
# ignored, and an empty config file is used, so runs are comparable.
#
# Needs cargo, python3 (standard library only) and a Linux /proc.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

TASKS="${DRILL_TASKS:-100000}"
CONCURRENCY="${DRILL_CONCURRENCY:-48}"
WRITER_MAX_SECONDS="${DRILL_WRITER_MAX_SECONDS:-20}"
TARGET_TASKS=100000
BACKUP_TARGET_MS=2000
RESTORE_TARGET_MS=3000

BIN="$ROOT/target/release/launchpad"
PY="$ROOT/scripts/drill/drill.py"

die() {
	echo "restore-drill: error: $*" >&2
	exit 1
}
step() { printf '\n==> %s\n' "$*"; }
indent() { sed 's/^/    /'; }

for var in TASKS CONCURRENCY WRITER_MAX_SECONDS; do
	[[ "${!var}" =~ ^[1-9][0-9]*$ ]] || die "DRILL_$var must be a positive whole number, not '${!var}'"
done
command -v cargo >/dev/null || die "cargo is not installed"
command -v python3 >/dev/null || die "python3 is not installed"

# Only what this script sets reaches launchpad.
while read -r var; do
	unset "$var"
done < <(compgen -e | grep '^LAUNCHPAD_' || true)

WORK="$(mktemp -d "${TMPDIR:-/tmp}/launchpad-drill.XXXXXX")"
PIDS=()
FAILURES=0

cleanup() {
	local rc=$?
	local pid
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export LAUNCHPAD_DEMO_DATA=false
export LAUNCHPAD_ANONYMOUS_ROLE=editor
export LAUNCHPAD_AUTH_API_REQUESTS_PER_SECOND=100000
export LAUNCHPAD_LOG_FORMAT=json
export LAUNCHPAD_CONFIG="$WORK/empty.toml"
: >"$LAUNCHPAD_CONFIG"

LIVE="$WORK/live"
SCRATCH="$WORK/scratch"
SCRATCH2="$WORK/scratch2"
BACKUPS="$WORK/backups"
IDENTITY="$LIVE/identity.age"
mkdir -p "$BACKUPS"

# Wall-clock milliseconds.
now_ms() {
	local us="${EPOCHREALTIME//[!0-9]/}"
	echo $((us / 1000))
}
secs() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }

check() { # check NAME CONDITION-EXIT-STATUS DETAIL
	local name="$1" ok="$2" detail="$3"
	if [[ "$ok" == 0 ]]; then
		printf 'PASS  %s (%s)\n' "$name" "$detail"
	else
		printf 'FAIL  %s (%s)\n' "$name" "$detail"
		FAILURES=$((FAILURES + 1))
	fi
}
same() { [[ "$1" == "$2" ]] && echo 0 || echo 1; }

# kv KEY LINE: the value of key=value in a helper's output line.
kv() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }

# manifest COUNT-NAME FILE: a count from the `rows:` line `launchpad backup` prints.
manifest() {
	sed -n 's/^rows: *//p' "$2" | tr ',' '\n' | awk -v t="$1" '$1 == t { print $2 }'
}

SERVER_PID=""
SERVER_PORT=""
# start_server NAME DATA-DIR [EXTRA ARGS…]: sets SERVER_PID and SERVER_PORT.
start_server() {
	local name="$1" dir="$2"
	shift 2
	local port pid
	port="$(python3 "$PY" free-port)"
	"$BIN" serve --listen "127.0.0.1:$port" --data-dir "$dir" "$@" >"$WORK/$name.log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	if ! python3 "$PY" wait --port "$port" --pid "$pid" --timeout 60 >/dev/null; then
		tail -n 20 "$WORK/$name.log" >&2 || true
		die "the $name server did not become ready"
	fi
	SERVER_PID="$pid"
	SERVER_PORT="$port"
}

stop_server() {
	local pid="$1" kept=() p
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	for p in "${PIDS[@]}"; do
		[[ "$p" == "$pid" ]] || kept+=("$p")
	done
	PIDS=("${kept[@]}")
}

# run_timed NAME COMMAND…: runs it with output in $WORK/NAME.out and .err,
# prints the output indented, sets ELAPSED_MS; dies on failure.
ELAPSED_MS=0
run_timed() {
	local name="$1" t0 t1
	shift
	t0="$(now_ms)"
	if ! "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"; then
		indent <"$WORK/$name.out"
		indent <"$WORK/$name.err" >&2
		die "$name failed: $*"
	fi
	t1="$(now_ms)"
	ELAPSED_MS=$((t1 - t0))
	indent <"$WORK/$name.out"
}

step "building the release binary"
cargo build --release
"$BIN" --version

step "starting the live server (LAUNCHPAD_DEMO_DATA=false)"
start_server live "$LIVE"
LIVE_PID="$SERVER_PID"
LIVE_PORT="$SERVER_PORT"
echo "    listening on 127.0.0.1:$LIVE_PORT, data in a fresh temp folder"

step "loading $TASKS tasks ($CONCURRENCY concurrent connections)"
LOAD="$(python3 "$PY" load --port "$LIVE_PORT" --tasks "$TASKS" --concurrency "$CONCURRENCY")" ||
	die "loading failed: $LOAD"
echo "    $LOAD"
LOADED_TASKS="$(kv tasks "$LOAD")"
LOADED_PROJECTS="$(kv projects "$LOAD")"
LOAD_SECONDS="$(kv seconds "$LOAD")"
LOAD_RATE="$(kv rate "$LOAD")"

step "online backup while a writer keeps creating tasks"
python3 "$PY" writer --port "$LIVE_PORT" --max-seconds "$WRITER_MAX_SECONDS" \
	--ready-file "$WORK/writer.ready" --acks-file "$WORK/writer.acks" \
	>"$WORK/writer.out" 2>"$WORK/writer.err" &
WRITER_PID=$!
PIDS+=("$WRITER_PID")
for _ in $(seq 100); do
	[[ -e "$WORK/writer.ready" ]] && break
	kill -0 "$WRITER_PID" 2>/dev/null || break
	sleep 0.1
done
[[ -e "$WORK/writer.ready" ]] || die "the background writer did not start: $(cat "$WORK/writer.err")"
sleep 1 # let the writes flow before the snapshot
BACKUP_T0="$(now_ms)"
run_timed backup "$BIN" backup --out "$BACKUPS" --data-dir "$LIVE"
BACKUP_MS="$ELAPSED_MS"
BACKUP_T1=$((BACKUP_T0 + BACKUP_MS))
stop_server "$WRITER_PID"
WRITER="$(cat "$WORK/writer.out")"
echo "    writer: $WRITER"
[[ -n "$WRITER" ]] || die "the background writer failed: $(cat "$WORK/writer.err")"
WRITER_WRITES="$(kv writes "$WRITER")"
WRITES_DURING="$(awk -v a="$BACKUP_T0" -v b="$BACKUP_T1" '$1 >= a && $1 <= b' "$WORK/writer.acks" | wc -l)"
FILE="$(sed -n 's/^backup written: //p' "$WORK/backup.out")"
[[ -f "$FILE" ]] || die "the backup printed no file name"
SERVER_BACKUP_MS="$(sed -n 's/^time: *\([0-9]*\) ms$/\1/p' "$WORK/backup.out")"
BACKUP_BYTES="$(stat -c %s "$FILE")"
M_PROJECTS="$(manifest projects "$WORK/backup.out")"
M_CHECKLISTS="$(manifest checklists "$WORK/backup.out")"
M_TASKS="$(manifest tasks "$WORK/backup.out")"
[[ -n "$M_PROJECTS" && -n "$M_CHECKLISTS" && -n "$M_TASKS" ]] || die "the backup printed no row counts"

LIVE_NOW="$(python3 "$PY" inspect --port "$LIVE_PORT")" || die "counting the live store failed"
LIVE_TASKS="$(kv tasks "$LIVE_NOW")"
stop_server "$LIVE_PID"

step "verify"
run_timed verify "$BIN" verify "$FILE" --data-dir "$LIVE"
VERIFY_MS="$ELAPSED_MS"
SEALED="$(sed -n 's/^sealed fields opened with .*: \([0-9]*\)$/\1/p' "$WORK/verify.out")"
grep -q '^authentic: ' "$WORK/verify.out" || die "verify did not find the backup authentic"

step "restore into a scratch folder"
run_timed restore "$BIN" restore "$FILE" --data-dir "$SCRATCH" --identity "$IDENTITY"
RESTORE_MS="$ELAPSED_MS"

step "restore the same file again into a second scratch folder"
run_timed restore2 "$BIN" restore "$FILE" --data-dir "$SCRATCH2" --identity "$IDENTITY"
RESTORE2_MS="$ELAPSED_MS"

step "serving both restored stores and reading everything back"
start_server scratch "$SCRATCH" --identity "$IDENTITY"
SCRATCH_PID="$SERVER_PID"
A="$(python3 "$PY" inspect --port "$SERVER_PORT")" || die "reading the restored store failed"
stop_server "$SCRATCH_PID"
echo "    restore 1: $A"
start_server scratch2 "$SCRATCH2" --identity "$IDENTITY"
SCRATCH2_PID="$SERVER_PID"
B="$(python3 "$PY" inspect --port "$SERVER_PORT")" || die "reading the second restored store failed"
stop_server "$SCRATCH2_PID"
echo "    restore 2: $B"

step "checks"
check "every task loaded" "$(same "$LOADED_TASKS" "$TASKS")" "$LOADED_TASKS of $TASKS created"
check "writes went on during the online backup" "$([[ "$WRITES_DURING" -gt 0 ]] && echo 0 || echo 1)" \
	"$WRITES_DURING task(s) acknowledged while the backup ran"
check "every acknowledged write is in the live store" \
	"$(same "$LIVE_TASKS" $((LOADED_TASKS + WRITER_WRITES)))" \
	"live tasks $LIVE_TASKS = loaded $LOADED_TASKS + writer $WRITER_WRITES"
check "the snapshot is one point in time" \
	"$([[ "$M_TASKS" -ge "$LOADED_TASKS" && "$M_TASKS" -le "$LIVE_TASKS" ]] && echo 0 || echo 1)" \
	"manifest tasks $M_TASKS between loaded $LOADED_TASKS and live-after $LIVE_TASKS"
check "verify opened every sealed field" "$(same "$SEALED" $((M_TASKS + LOADED_PROJECTS)))" \
	"${SEALED:-none} opened, $M_TASKS task notes + $LOADED_PROJECTS owner emails expected"
check "restored projects = manifest" "$(same "$(kv projects "$A")" "$M_PROJECTS")" \
	"$(kv projects "$A") vs $M_PROJECTS"
check "restored checklists = manifest" "$(same "$(kv checklists "$A")" "$M_CHECKLISTS")" \
	"$(kv checklists "$A") vs $M_CHECKLISTS"
check "restored tasks = manifest" "$(same "$(kv tasks "$A")" "$M_TASKS")" \
	"$(kv tasks "$A") vs $M_TASKS"
check "every restored task's notes are readable" "$(same "$(kv notes_missing "$A")" 0)" \
	"$(kv notes_missing "$A") without notes"
check "two restores of the file hold identical content" "$(same "$(kv sha256 "$A")" "$(kv sha256 "$B")")" \
	"sha256 $(kv sha256 "$A" | cut -c1-16)… vs $(kv sha256 "$B" | cut -c1-16)…"

verdict() { [[ "$1" -le "$2" ]] && echo ok || echo MISS; }
scale_note=""
if [[ "$TASKS" != "$TARGET_TASKS" ]]; then
	scale_note="  (this run: $M_TASKS tasks; the targets are for $TARGET_TASKS)"
fi

step "summary"
printf '  %-34s %s\n' \
	"tasks loaded" "$LOADED_TASKS (+ $WRITER_WRITES by the writer, $WRITES_DURING of them during the backup)" \
	"load time" "${LOAD_SECONDS} s (${LOAD_RATE} tasks/s, durable, notes sealed)" \
	"backup time (launchpad backup)" "$(secs "$BACKUP_MS") s wall; ${SERVER_BACKUP_MS} ms inside the server" \
	"verify time" "$(secs "$VERIFY_MS") s" \
	"restore time" "$(secs "$RESTORE_MS") s (second restore $(secs "$RESTORE2_MS") s)" \
	"backup file size" "$(awk -v b="$BACKUP_BYTES" 'BEGIN { printf "%.1f MB (%d bytes)", b / 1e6, b }')" \
	"backup manifest" "projects $M_PROJECTS, checklists $M_CHECKLISTS, tasks $M_TASKS"
echo
echo "  DESIGN §10 targets$scale_note"
printf '  %-34s %-8s %s\n' \
	"backup of 100,000 tasks <= 2 s" "$(secs "$BACKUP_MS") s" "$(verdict "$BACKUP_MS" "$BACKUP_TARGET_MS")" \
	"restore of 100,000 tasks <= 3 s" "$(secs "$RESTORE_MS") s" "$(verdict "$RESTORE_MS" "$RESTORE_TARGET_MS")"
echo
if [[ "$FAILURES" -gt 0 ]]; then
	echo "restore drill: FAIL ($FAILURES check(s) failed)"
	exit 1
fi
echo "restore drill: PASS"
