# tests/lib.sh - shared by the integration tests (bash).  Starts a real
# redis-server on a free loopback port and the daemon from $BUILD, and
# records each check as PASS/FAIL in $RESULTS for tests/run-all.sh.
#
#   . "$(dirname "$0")/../lib.sh"
#   start_redis; start_daemon VAR=value ...
#   redis-cli XADD ...          # talks to the test's redis-server
#   check "what" test ...; wait_log "text"; result_field PLAN_ID error
#
# Everything it starts is stopped when the script exits.

set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
T=$(mktemp -d "${TMPDIR:-/tmp}/qie-test.XXXXXX")
RESULTS=${RESULTS:-$T/results}
TEST_NAME=$(basename "$0" .sh)
DAEMON_PID=
REDIS_PID=
RPORT=
DLOG=$T/daemon.log

cleanup() {
	stop_daemon
	[ -n "$REDIS_PID" ] && kill "$REDIS_PID" 2>/dev/null && wait "$REDIS_PID" 2>/dev/null
	if [ "${KEEP_TMP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT

pass() { echo "PASS $TEST_NAME: $*" | tee -a "$RESULTS"; }
fail() {
	echo "FAIL $TEST_NAME: $*" | tee -a "$RESULTS"
	if [ -f "$DLOG" ]; then echo "--- last daemon log lines:"; tail -n 15 "$DLOG"; fi
}
# check "description" command...: PASS when the command succeeds.
check() {
	local what=$1; shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}

redis-cli() { command redis-cli -p "$RPORT" "$@"; }

start_redis() {
	local tries=0
	while [ $tries -lt 20 ]; do
		RPORT=$((20000 + RANDOM % 40000))
		redis-server --port "$RPORT" --bind 127.0.0.1 --save '' \
			--appendonly no --dir "$T" --logfile "$T/redis.log" "$@" &
		REDIS_PID=$!
		local i
		for i in $(seq 50); do
			if redis-cli PING >/dev/null 2>&1; then return 0; fi
			kill -0 "$REDIS_PID" 2>/dev/null || break
			sleep 0.05
		done
		kill "$REDIS_PID" 2>/dev/null; wait "$REDIS_PID" 2>/dev/null
		tries=$((tries + 1))
	done
	echo "could not start redis-server" >&2
	exit 1
}

# start_daemon [VAR=value ...]: the supervisor in the background, logging
# to $DLOG; returns once both lanes consume.
start_daemon() {
	: >"$DLOG"
	env REDIS_PORT="$RPORT" INTENT_EXECUTOR_PERMIT_TIMEOUT_MS=1000 \
		INTENT_EXECUTOR_BACKEND=paper INTENT_EXECUTOR_STATUS_FILE="$T/status" "$@" \
		"$BUILD/quantum-intent-executor" >>"$DLOG" 2>&1 &
	DAEMON_PID=$!
	wait_log "Consuming MAIN" 10 && wait_log "Consuming MANUAL" 10
}

stop_daemon() {
	if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
		kill -TERM "$DAEMON_PID"
		wait "$DAEMON_PID" 2>/dev/null
	fi
	DAEMON_PID=
}

# wait_log TEXT [seconds] [count]: until $DLOG holds TEXT (count times).
wait_log() {
	local text=$1 secs=${2:-10} want=${3:-1} i
	for i in $(seq $((secs * 20))); do
		[ "$(grep -cF -- "$text" "$DLOG")" -ge "$want" ] && return 0
		sleep 0.05
	done
	echo "timed out waiting for log: $text" >&2
	return 1
}

log_has() { grep -qF -- "$1" "$DLOG"; }

# The details JSON of every result entry for a plan, one a line.
results_of() {
	redis-cli --raw XRANGE quantum:stream:apply.result - + | awk -v id="$1" '
		prev == "plan_id" { pid = $0 }
		prev == "details" && pid == id { print }
		{ prev = $0 }'
}
result_count() { results_of "$1" | wc -l; }
# result_field PLAN_ID FIELD: a field of its (first) result's details.
result_field() { results_of "$1" | head -n 1 | jq -r ".$2"; }

# wait_result PLAN_ID [seconds]: until the plan has a result.
wait_result() {
	local i secs=${2:-10}
	for i in $(seq $((secs * 20))); do
		[ "$(result_count "$1")" -ge 1 ] && return 0
		sleep 0.05
	done
	echo "no result for $1" >&2
	return 1
}

metric() { local v; v=$(redis-cli HGET quantum:metrics:intent_executor "$1"); echo "${v:-0}"; }

# add_plan STREAM PLAN_ID [field value ...]: a valid EXECUTE plan, the
# given fields replacing the defaults.
add_plan() {
	local stream=$1 id=$2; shift 2
	declare -A f=([plan_id]=$id [action]=FULL_CLOSE_PROPOSED [decision]=EXECUTE
		[symbol]=ETHUSDT [side]=SELL [type]=MARKET [qty]=0.01
		[reduceOnly]=true [source]=intent_bridge [timestamp]=$(date +%s))
	while [ $# -ge 2 ]; do f[$1]=$2; shift 2; done
	local args=() k
	for k in "${!f[@]}"; do args+=("$k" "${f[$k]}"); done
	redis-cli XADD "$stream" '*' "${args[@]}" >/dev/null
}
MAIN=quantum:stream:apply.plan
MANUAL=quantum:stream:apply.plan.manual

grant() { redis-cli SET "quantum:permit:p33:$1" '{"allow": true}' EX 60 >/dev/null; }

pending_count() {
	redis-cli XPENDING "$1" "$2" | head -n 1
}
