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
# skip "why": the whole script does not apply to this build (say why)
skip() { echo "SKIP $TEST_NAME: $*" | tee -a "$RESULTS"; }
# A build with AddressSanitizer (make check-asan) loads no seccomp filter
# and no Landlock (sandbox/sandbox.c): tests of the sandbox itself skip it.
sanitizer_build() { ldd "$BUILD/qie-worker" 2>/dev/null | grep -q libasan; }
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
	"$TOP/scripts/role-users.sh"
	: >"$DLOG"
	env REDIS_PORT="$RPORT" INTENT_EXECUTOR_PERMIT_TIMEOUT_MS=1000 \
		INTENT_EXECUTOR_BACKEND=paper INTENT_EXECUTOR_STATUS_FILE="$T/status" \
		INTENT_EXECUTOR_LEDGER_FILE="$T/ledger" "$@" \
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

# --- integration helpers

# xadd_plan STREAM PLAN_ID [field value | -field]...: like add_plan, but
# "-field" drops a default field (and an empty value stays empty); prints
# the new entry's stream id.
xadd_plan() {
	local stream=$1 id=$2; shift 2
	declare -A f=([plan_id]=$id [action]=FULL_CLOSE_PROPOSED [decision]=EXECUTE
		[symbol]=ETHUSDT [side]=SELL [type]=MARKET [qty]=0.01
		[reduceOnly]=true [source]=intent_bridge [timestamp]=$(date +%s))
	while [ $# -ge 1 ]; do
		case $1 in
		-*) unset "f[${1#-}]"; shift ;;
		*) f[$1]=$2; shift 2 ;;
		esac
	done
	local args=() k
	for k in "${!f[@]}"; do args+=("$k" "${f[$k]}"); done
	redis-cli XADD "$stream" '*' "${args[@]}"
}

# xadd_lua STREAM 'LUA_ARGS': XADD through EVAL, for values redis-cli's
# argv cannot carry (NUL bytes, 1 MB): LUA_ARGS is a Lua list of field and
# value expressions, e.g. "'qty', string.rep('9', 1048576)".  Prints the id.
xadd_lua() {
	redis-cli EVAL "return redis.call('XADD', KEYS[1], '*', $2)" 1 "$1"
}

# results_all: every result entry, one JSON object a line: its top-level
# fields (details parsed) and _id, its own stream id.
results_all() {
	redis-cli --json XRANGE quantum:stream:apply.result - + | jq -c '
		.[] | .[0] as $id | .[1] as $f
		| ([range(0; $f | length; 2) | {key: $f[.], value: $f[. + 1]}]
		   | from_entries) + {_id: $id}
		| .details = (.details | try fromjson catch null)'
}
# entry_results STREAM_ID: the results written for one plan entry.
entry_results() { results_all | jq -c --arg s "$1" 'select(.details.stream_id == $s)'; }
entry_result_count() { entry_results "$1" | wc -l; }
# result_top PLAN_ID FIELD: a top-level field of the plan's first result.
result_top() { results_all | jq -r --arg p "$1" "select(.plan_id == \$p) | .$2" | head -n 1; }
# result_pos PLAN_ID: the stream id of the plan's first result entry.
result_pos() { results_all | jq -r --arg p "$1" 'select(.plan_id == $p) | ._id' | head -n 1; }
# id_before A B: stream id A sorts before stream id B.
id_before() {
	local a1=${1%-*} a2=${1#*-} b1=${2%-*} b2=${2#*-}
	[ "$a1" -lt "$b1" ] || { [ "$a1" -eq "$b1" ] && [ "$a2" -lt "$b2" ]; }
}

# status_get ROLE FIELD: a field ("pid", "restarts", ...) of a role's line
# in the supervisor's status file ($T/status).
status_get() {
	awk -v r="$1" -v k="$2=" '$1 == r {
		for (i = 2; i <= NF; i++) if (index($i, k) == 1) print substr($i, length(k) + 1)
	}' "$T/status" 2>/dev/null
}
# wait_new_pid ROLE OLD_PID SECONDS: until the role runs under another pid.
wait_new_pid() {
	local i p
	for i in $(seq $(($3 * 50))); do
		p=$(status_get "$1" pid)
		[ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$2" ] && kill -0 "$p" 2>/dev/null && return 0
		sleep 0.02
	done
	echo "$1 not restarted (pid still ${p:-?})" >&2
	return 1
}

# start_daemon_argv [VAR=value ...] -- [argument ...]: start_daemon with
# command-line arguments for the daemon (keep in step with start_daemon).
start_daemon_argv() {
	local envs=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	"$TOP/scripts/role-users.sh"
	: >"$DLOG"
	env REDIS_PORT="$RPORT" INTENT_EXECUTOR_PERMIT_TIMEOUT_MS=1000 \
		INTENT_EXECUTOR_BACKEND=paper INTENT_EXECUTOR_STATUS_FILE="$T/status" \
		INTENT_EXECUTOR_LEDGER_FILE="$T/ledger" "${envs[@]}" \
		"$BUILD/quantum-intent-executor" "$@" >>"$DLOG" 2>&1 &
	DAEMON_PID=$!
	wait_log "Consuming MAIN" 10 && wait_log "Consuming MANUAL" 10
}

# run_daemon_once SECONDS [VAR=value ...] -- [argument ...]: runs the daemon
# in the foreground for at most SECONDS (then SIGTERM, SIGKILL 2 s later);
# sets ONCE_RC (124: still running at the deadline), ONCE_MS (how long it
# ran) and ONCE_OUT (its output).
run_daemon_once() {
	local secs=$1 envs=() t0 t1; shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	t0=$(date +%s%N)
	ONCE_OUT=$(env REDIS_PORT="$RPORT" INTENT_EXECUTOR_BACKEND=paper \
		INTENT_EXECUTOR_STATUS_FILE="$T/status-once" \
		INTENT_EXECUTOR_LEDGER_FILE="$T/ledger-once" "${envs[@]}" \
		timeout -k 2 "$secs" "$BUILD/quantum-intent-executor" "$@" 2>&1)
	ONCE_RC=$?
	[ $ONCE_RC = 137 ] && ONCE_RC=124
	t1=$(date +%s%N)
	ONCE_MS=$(((t1 - t0) / 1000000))
}

# stop_redis [save]: shuts the test's redis-server down.  With "save" its
# data is written to $T/dump.rdb and read back by start_redis_again;
# without, the data is gone (an older dump is removed too).
stop_redis() {
	if [ "${1:-}" = save ]; then redis-cli SHUTDOWN SAVE >/dev/null 2>&1
	else redis-cli SHUTDOWN NOSAVE >/dev/null 2>&1; fi
	wait "$REDIS_PID" 2>/dev/null
	REDIS_PID=
	[ "${1:-}" = save ] || rm -f "$T/dump.rdb"
}
# start_redis_again: a redis-server on the same port as before.
start_redis_again() {
	local i
	redis-server --port "$RPORT" --bind 127.0.0.1 --save '' \
		--appendonly no --dir "$T" --logfile "$T/redis.log" &
	REDIS_PID=$!
	for i in $(seq 100); do
		redis-cli PING >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "could not restart redis-server on port $RPORT" >&2
	return 1
}

# --- fake exchange
# start_fake [fake-exchange args]: the fake Binance exchange on a free
# loopback port ($FX_PORT), checking signatures with $FX_KEY/$FX_SECRET,
# which fake_creds writes into $CRED_DIR (mode 0600) for the daemon.
# The account holds a long of FX_LONG (default 100000) whole units of
# every symbol (the fake's mode long), so that the reduce-only plans of
# the tests reduce a real position (the executor refuses a reduce-only
# plan against a flat one: no_position_to_reduce); FX_LONG=0: flat.
FX_PID=
FX_PORT=
FX_KEY=qie-test-key-5d7c0a7e2b9f4e1d
FX_SECRET=qie-test-secret-9a1f3c5e7b2d4f6a8c0e
CRED_DIR=$T/creds
FX=

stop_fake() {
	if [ -n "$FX_PID" ] && kill -0 "$FX_PID" 2>/dev/null; then
		kill "$FX_PID"
		wait "$FX_PID" 2>/dev/null
	fi
	FX_PID=
}

start_fake() {
	: >"$T/fake.out"
	"$BUILD/fake-exchange" --key "$FX_KEY" --secret "$FX_SECRET" \
		--mode "long:$([ "${FX_LONG:-100000}" = 0 ] && echo 0 || echo 1):${FX_LONG:-100000}" "$@" \
		>"$T/fake.out" 2>>"$T/fake.log" &
	FX_PID=$!
	trap 'stop_fake; cleanup' EXIT
	local i
	for i in $(seq 100); do
		FX_PORT=$(awk '/^PORT /{print $2}' "$T/fake.out")
		[ -n "$FX_PORT" ] && break
		sleep 0.05
	done
	[ -n "$FX_PORT" ] || { echo "fake exchange did not start" >&2; exit 1; }
	FX=http://127.0.0.1:$FX_PORT
}

fake_creds() {
	mkdir -p "$CRED_DIR"
	chmod 0700 "$CRED_DIR"
	printf '%s\n' "$FX_KEY" >"$CRED_DIR/binance-api-key"
	printf '%s\n' "$FX_SECRET" >"$CRED_DIR/binance-api-secret"
	chmod 0600 "$CRED_DIR"/binance-api-*
}

# Role users when we run as root and the packaged ones do not exist.
fake_role_users() {
	[ "$(id -u)" = 0 ] || return 0
	getent passwd qie-executor >/dev/null && return 0
	echo INTENT_EXECUTOR_USER_EXECUTOR=daemon INTENT_EXECUTOR_USER_MAIN=bin \
		INTENT_EXECUTOR_USER_MANUAL=sys INTENT_EXECUTOR_USER_HARVEST=games
}

# start_daemon_binance [VAR=value ...]: the daemon on the binance backend,
# talking to the fake exchange with the credentials of fake_creds.
start_daemon_binance() {
	# shellcheck disable=SC2046
	start_daemon $(fake_role_users) INTENT_EXECUTOR_BACKEND=binance \
		INTENT_EXECUTOR_BINANCE_BASE_URL="$FX" \
		INTENT_EXECUTOR_CREDENTIALS_DIR="$CRED_DIR" "$@"
}

# fake_mode NAME [COUNT [ARG]]: the fake misbehaves (see fake.h).
fake_mode() {
	curl -fsS -X POST "$FX/_fake/mode?name=$1&count=${2:-1}&arg=${3:--1}" >/dev/null
}
fake_orders() { curl -fsS "$FX/_fake/orders"; }
fake_account() { curl -fsS "$FX/_fake/account"; }
# fx_signed METHOD PATH [QUERY]: a request to the fake signed as the
# exchange wants it (recvWindow, timestamp, signature); the body on stdout,
# an error reply too.
fx_signed() {
	local q sig
	q="${3:+$3&}recvWindow=5000&timestamp=$(date +%s%3N)"
	sig=$(printf '%s' "$q" | openssl dgst -sha256 -hmac "$FX_SECRET" | awk '{print $NF}')
	curl -sS -X "$1" -H "X-MBX-APIKEY: $FX_KEY" "$FX$2?$q&signature=$sig"
}
# fake_count COID: orders the fake accepted with that client order id.
fake_count() { fake_orders | jq -r --arg c "$1" '[.orders[] | select(.clientOrderId == $c) | .count] | add // 0'; }
# fake_posts COID: order requests that carried it (accepted or not).
fake_posts() { fake_orders | jq -r --arg c "$1" '[.orders[] | select(.clientOrderId == $c) | .posts] | add // 0'; }
fake_total_orders() { fake_orders | jq -r '[.orders[].count] | add // 0'; }
fake_order_posts() { fake_orders | jq -r '.order_posts'; }
# The client order id of a plan id made of 1..32 plain characters.
coid_of() { echo "qie-$1"; }
# fx_plan PLAN_ID [field value ...]: a granted main-lane plan; waits up to
# 40 s for its result.
fx_plan() {
	local id=$1; shift
	grant "$id"
	add_plan "$MAIN" "$id" "$@"
	wait_result "$id" 40
}
# start_daemon_bg [VAR=value ...]: like start_daemon_binance, but does not
# wait for the lanes (for an executor that is expected to fail).
start_daemon_bg() {
	: >"$DLOG"
	# shellcheck disable=SC2046
	env REDIS_PORT="$RPORT" INTENT_EXECUTOR_PERMIT_TIMEOUT_MS=1000 \
		INTENT_EXECUTOR_STATUS_FILE="$T/status" \
		INTENT_EXECUTOR_LEDGER_FILE="$T/ledger" $(fake_role_users) \
		INTENT_EXECUTOR_BACKEND=binance INTENT_EXECUTOR_BINANCE_BASE_URL="$FX" \
		"$@" "$BUILD/quantum-intent-executor" >>"$DLOG" 2>&1 &
	DAEMON_PID=$!
}
# The executor's pid, from the supervisor's status file.
executor_pid() { awk '/^executor /{sub("pid=", "", $2); print $2}' "$T/status"; }

# --- packaging helpers (tests/packaging)

# ensure_role_users: the daemon's users (qie-main, qie-manual,
# qie-harvest, qie-executor), created from the package's sysusers.d file if
# missing.
ensure_role_users() {
	local u missing=0
	for u in qie-main qie-manual qie-harvest qie-executor; do
		getent passwd "$u" >/dev/null || missing=1
	done
	[ $missing = 0 ] && return 0
	[ "$(id -u)" = 0 ] || { echo "role users missing and not root" >&2; return 1; }
	systemd-sysusers "$TOP/packaging/debian/quantum-intent-executor.sysusers" >/dev/null
}

# qiectl_run ARG...: runs $BUILD/qiectl against the test's Redis and status
# file, the environment only (--env-file /dev/null); sets Q_RC, Q_OUT (its
# stdout) and Q_ERR (its stderr).  Extra settings: QENV=(VAR=value ...).
qiectl_run() {
	Q_OUT=$(env REDIS_PORT="$RPORT" INTENT_EXECUTOR_STATUS_FILE="$T/status" \
		"${QENV[@]}" "$BUILD/qiectl" --env-file /dev/null "$@" 2>"$T/qiectl.err")
	Q_RC=$?
	Q_ERR=$(cat "$T/qiectl.err")
}
QENV=()
# q_rc WANT ARG...: qiectl_run, true when it exits WANT (prints why not).
q_rc() {
	local want=$1; shift
	qiectl_run "$@"
	[ "$Q_RC" = "$want" ] && return 0
	echo "qiectl $*: exit $Q_RC, wanted $want; stderr: $Q_ERR" >&2
	return 1
}

# stage_root DIR: a staged install tree for systemd-analyze verify --root:
# `make install` (PREFIX=/usr), the unit, and the host's own units (for
# sysinit.target and friends).
stage_root() {
	local d=$1
	make -C "$TOP" --no-print-directory -s BUILD="${BUILD#$TOP/}" PREFIX=/usr \
		DESTDIR="$d" install >/dev/null || return 1
	mkdir -p "$d/lib/systemd/system"
	cp "$TOP/packaging/quantum-intent-executor.service" "$d/lib/systemd/system/"
	cp -an /lib/systemd/system/. "$d/lib/systemd/system/"
}

# unit_exposure FILE: the exposure of `systemd-analyze security --offline`.
unit_exposure() {
	systemd-analyze security --offline=yes "$1" 2>/dev/null |
		sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p'
}

# setting_defaults: NAME=default of every setting of the daemon, from
# common/config.c's table; setting_names: the names alone.
setting_defaults() {
	sed -n '/^static const struct setting table\[\]/,/^};/p' "$TOP/common/config.c" |
		tr '\n\t' '  ' | sed 's/{ "/\n"/g' |
		sed -n 's/^"\([A-Z_]*\)", *K_[A-Z]*, *[A-Z_ |]*, *S([^)]*), *"\([^"]*\)".*/\1=\2/p'
}
setting_names() { setting_defaults | cut -d= -f1; }

# --- exactly-once helpers (t_crash_matrix, t_soak, t_two_daemons,
# t_sentinel, t_deadletter)

# Processes a test starts besides the daemon, Redis and the fake: killed
# (by pid) when the script exits, once it has run `trap eo_cleanup EXIT`
# (and start_fake_eo instead of start_fake).
EXTRA_PIDS=()
declare -A DPID=()              # named daemons: name -> supervisor pid
eo_cleanup() {
	local n p
	for n in "${!DPID[@]}"; do
		p=${DPID[$n]}
		[ -n "$p" ] && kill -0 "$p" 2>/dev/null && kill_tree "$p"
	done
	for p in "${EXTRA_PIDS[@]}"; do kill_pid -9 "$p" 2>/dev/null; done
	stop_fake
	cleanup
}
start_fake_eo() { start_fake "$@"; trap eo_cleanup EXIT; }

# claim_state PLAN_ID: the state in its claim hash ("" without one).
claim_state() { redis-cli HGET "quantum:intent_executor:claim:$1" state; }
# wait_claim_state PLAN_ID STATE [seconds]
wait_claim_state() {
	local i
	for i in $(seq $((${3:-10} * 50))); do
		[ "$(claim_state "$1")" = "$2" ] && return 0
		sleep 0.02
	done
	echo "claim of $1 never reached state $2 (it is: $(claim_state "$1"))" >&2
	return 1
}
# kill_pid SIGNAL PID...: signals processes by id, refusing anything that
# is not a real pid (an empty or 0 pid, e.g. a child the status file shows
# as not running, would make `kill` signal the whole process group).
# False when a pid was refused or could not be signalled.
kill_pid() {
	local sig=$1 p rc=0
	shift
	for p in "$@"; do
		case $p in
		'' | 0 | 1 | *[!0-9]*) echo "kill_pid: not a pid: '$p'" >&2; rc=1 ;;
		*) kill "$sig" "$p" 2>/dev/null || rc=1 ;;
		esac
	done
	return $rc
}
# tree_pids PID: PID and its children.
tree_pids() { echo "$1" $(ps -o pid= --ppid "$1" 2>/dev/null); }
# kill_tree PID: a host dies: SIGSTOP, then SIGKILL, a supervisor and its
# children together (the children have no parent-death signal).
kill_tree() {
	local p
	p=$(tree_pids "$1")
	# shellcheck disable=SC2086
	kill_pid -STOP $p
	# shellcheck disable=SC2086
	kill_pid -9 $p
	wait "$1" 2>/dev/null
	return 0
}
# stop_daemon_bounded: SIGTERM, at most 10 s, then SIGKILL of the tree;
# sets STOP_RC (the supervisor's exit status).
stop_daemon_bounded() {
	local i
	STOP_RC=
	if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
		kill_pid -TERM "$DAEMON_PID"
		for i in $(seq 200); do
			kill -0 "$DAEMON_PID" 2>/dev/null || break
			sleep 0.05
		done
		kill -0 "$DAEMON_PID" 2>/dev/null && kill_tree "$DAEMON_PID"
		wait "$DAEMON_PID" 2>/dev/null
		STOP_RC=$?
	fi
	DAEMON_PID=
}
# consumer_of [STATUS_FILE]: the supervisor's consumer name
# (INTENT_EXECUTOR_CONSUMER, else the host name).
consumer_of() {
	awk '/^supervisor /{for (i = 2; i <= NF; i++)
		if (index($i, "consumer=") == 1) print substr($i, 10)}' "${1:-$T/status}"
}
# entry_pending STREAM GROUP ID: "consumer deliveries" of a pending entry
# ("" when it is not pending).
entry_pending() {
	redis-cli --raw XPENDING "$1" "$2" "$3" "$3" 1 | paste -sd' ' | awk 'NF >= 4 {print $2, $4}'
}
# grant_many PREFIX FROM TO: permits for PREFIX<FROM> .. PREFIX<TO>.
grant_many() {
	local out
	out=$(redis-cli EVAL "for i = tonumber(ARGV[2]), tonumber(ARGV[3]) do
		redis.call('SET', 'quantum:permit:p33:' .. ARGV[1] .. i, '{\"allow\": true}', 'EX', 900)
	end
	return 1" 0 "$1" "$2" "$3" 2>&1)
	[ "$out" = 1 ]
}
# add_many STREAM PREFIX FROM TO [NSYM]: plans PREFIX<FROM> .. PREFIX<TO>
# (add_plan's defaults; symbols rotate over the first NSYM (3) of ETHUSDT,
# BTCUSDT, TRXUSDT) in one round trip; fails unless Redis added them all
# (redis-cli exits 0 on an error reply).
add_many() {
	local out
	out=$(redis-cli EVAL "local s = {'ETHUSDT', 'BTCUSDT', 'TRXUSDT'}
		local q = {'0.01', '0.002', '10'}
		for i = tonumber(ARGV[2]), tonumber(ARGV[3]) do
			local k = i % tonumber(ARGV[5]) + 1
			redis.call('XADD', KEYS[1], '*', 'plan_id', ARGV[1] .. i,
				'action', 'FULL_CLOSE_PROPOSED', 'decision', 'EXECUTE',
				'symbol', s[k], 'side', 'SELL', 'type', 'MARKET', 'qty', q[k],
				'reduceOnly', 'true', 'source', 'intent_bridge', 'timestamp', ARGV[4])
		end
		return tonumber(ARGV[3]) - tonumber(ARGV[2]) + 1" 1 "$1" "$2" "$3" "$4" "$(date +%s)" "${5:-3}" 2>&1)
	[ "$out" = $(($4 - $3 + 1)) ]
}
# result_rows PREFIX: "plan_id executed order_id error" of every result of
# the plans whose id starts with PREFIX, one a line.
result_rows() {
	redis-cli --json XRANGE quantum:stream:apply.result - + | jq -r --arg p "$1" '
		.[] | .[1] as $f
		| ([range(0; $f | length; 2) | {key: $f[.], value: $f[. + 1]}] | from_entries)
		| select(.plan_id | startswith($p))
		| (.details | fromjson) as $d
		| [.plan_id, .executed, ($d.order_id // "-"), ($d.error // "-")] | @tsv'
}
# tally IDS_FILE ROWS_FILE: sets T_PLANS, T_RESULTS, T_LOST (plans without a
# result), T_DUP (plans with more than one result), T_EXEC (executed
# results), T_DUPEXEC (plans executed more than once), T_NOTEXEC (plans
# without an executed result), and T_LOST_IDS / T_DUP_IDS (a few of each).
tally() {
	T_PLANS=$(sort -u "$1" | wc -l)
	T_RESULTS=$(wc -l <"$2")
	T_EXEC=$(awk -F'\t' '$2 == "true"' "$2" | wc -l)
	local lost dup
	lost=$(comm -23 <(sort -u "$1") <(cut -f1 "$2" | sort -u))
	dup=$(cut -f1 "$2" | sort | uniq -d)
	T_LOST=$(grep -c . <<<"$lost")
	T_DUP=$(grep -c . <<<"$dup")
	T_LOST_IDS=$(head -n 5 <<<"$lost" | xargs)
	T_DUP_IDS=$(head -n 5 <<<"$dup" | xargs)
	T_DUPEXEC=$(awk -F'\t' '$2 == "true" {print $1}' "$2" | sort | uniq -d | grep -c .)
	T_NOTEXEC=$(comm -23 <(sort -u "$1") <(awk -F'\t' '$2 == "true" {print $1}' "$2" | sort -u) | grep -c .)
}
# wait_decided IDS_FILE SECONDS: until every plan listed has a result.
wait_decided() {
	local end=$((SECONDS + $2)) missing
	while :; do
		missing=$(comm -23 <(sort -u "$1") <(result_rows "" | cut -f1 | sort -u) | wc -l)
		[ "$missing" = 0 ] && return 0
		[ $SECONDS -ge $end ] && { echo "  $missing plan(s) without a result" >&2; return 1; }
		sleep 0.5
	done
}
# start_daemon_named NAME [VAR=value ...]: one more daemon (another host),
# logging to $T/NAME.log with its status in $T/NAME.status; its supervisor
# pid in DPID[NAME].  Returns once both its lanes consume.
start_daemon_named() {
	local name=$1; shift
	"$TOP/scripts/role-users.sh"
	: >"$T/$name.log"
	env REDIS_PORT="$RPORT" INTENT_EXECUTOR_PERMIT_TIMEOUT_MS=1000 \
		INTENT_EXECUTOR_BACKEND=paper INTENT_EXECUTOR_STATUS_FILE="$T/$name.status" \
		INTENT_EXECUTOR_LEDGER_FILE="$T/$name.ledger" \
		INTENT_EXECUTOR_CONSUMER="host-$name" "$@" \
		"$BUILD/quantum-intent-executor" >>"$T/$name.log" 2>&1 &
	DPID[$name]=$!
	DLOG=$T/$name.log wait_log "Consuming MAIN" 10 &&
		DLOG=$T/$name.log wait_log "Consuming MANUAL" 10
}
# free_port: a loopback TCP port nothing listens on now.
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		[ -z "$(ss -Htln "sport = :$p" 2>/dev/null)" ] && [ "$p" != "${RPORT:-}" ] && { echo "$p"; return; }
	done
}
# in_log FILE TEXT [seconds]: wait_log on another daemon's log.
in_log() { DLOG=$1 wait_log "$2" "${3:-5}"; }
# status_of STATUS_FILE ROLE FIELD: status_get for another daemon's file.
status_of() {
	awk -v r="$2" -v k="$3=" '$1 == r {
		for (i = 2; i <= NF; i++) if (index($i, k) == 1) print substr($i, length(k) + 1)
	}' "$1" 2>/dev/null
}
