#!/bin/bash
# scripts/demo.sh - `make demo`: a throwaway redis-server on loopback, the
# daemon on its paper backend, and the seed document's proofs A to F
# replayed step by step with their redis-cli commands; then the metrics
# hash and the last result entries.  Everything it starts, it stops.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
T=$(mktemp -d /tmp/qie-demo.XXXXXX)
LOG=$T/daemon.log
RPID= DPID=

bold() { printf '\n\033[1m%s\033[0m\n' "$*"; }
say() { printf '  %s\n' "$*"; }
cleanup() {
	[ -n "$DPID" ] && kill -TERM "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	[ -n "$RPID" ] && kill "$RPID" 2>/dev/null && wait "$RPID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# --- a throwaway redis-server on a free loopback port
for i in $(seq 20); do
	PORT=$((20000 + RANDOM % 40000))
	redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no \
		--dir "$T" --logfile "$T/redis.log" &
	RPID=$!
	for j in $(seq 40); do
		command redis-cli -p "$PORT" PING >/dev/null 2>&1 && break 2
		sleep 0.05
	done
	kill "$RPID" 2>/dev/null; wait "$RPID" 2>/dev/null; RPID=
done
[ -n "$RPID" ] || { echo "demo: could not start redis-server" >&2; exit 1; }
redis-cli() { command redis-cli -p "$PORT" "$@"; }

# waitlog TEXT [count]: until the daemon's log holds TEXT, then show it
waitlog() {
	local n=${2:-1} i
	for i in $(seq 200); do
		[ "$(grep -cF -- "$1" "$LOG")" -ge "$n" ] && break
		sleep 0.05
	done
	grep -F -- "$1" "$LOG" | tail -n 1 | sed 's/^/    log> /'
}
metric() { local v; v=$(redis-cli HGET quantum:metrics:intent_executor "$1"); echo "${v:-0}"; }
plan() {   # plan STREAM PLAN_ID SOURCE: the seed's XADD, verbatim
	redis-cli XADD "$1" "*" \
	  plan_id "$2" \
	  action FULL_CLOSE_PROPOSED \
	  decision EXECUTE \
	  symbol ETHUSDT \
	  side SELL \
	  type MARKET \
	  qty 0.01 \
	  reduceOnly true \
	  source "$3" \
	  timestamp "$(date +%s)" >/dev/null
}

bold "quantum-intent-executor demo: redis-server on 127.0.0.1:$PORT, paper backend"
"$TOP/scripts/role-users.sh"
env REDIS_PORT="$PORT" INTENT_EXECUTOR_BACKEND=paper \
	INTENT_EXECUTOR_HEARTBEAT_SEC=5 INTENT_EXECUTOR_PERMIT_TIMEOUT_MS=2000 \
	INTENT_EXECUTOR_STATUS_FILE="$T/status" INTENT_EXECUTOR_LEDGER_FILE="$T/ledger" \
	"$BUILD/quantum-intent-executor" >"$LOG" 2>&1 &
DPID=$!
say "(heartbeat every 5 s and permit wait 2 s instead of 60 s and 8 s, to keep it short)"

bold "Startup: the five lines operators grep for"
for l in "Source allowlist" "Manual lane TTL guard" "MANUAL_LANE_OFF" \
	"Consuming MAIN" "Consuming MANUAL"; do waitlog "$l"; done
say "processes (pid, uid) from the status file:"
sleep 0.3
awk '{ printf "    %-10s %s %s\n", $1, $2, $3 }' "$T/status"

bold "Proof A: the main lane refuses a source that is not allowlisted"
plan quantum:stream:apply.plan proof_blocked_001 unauthorized
waitlog "Skip plan (source_not_allowed): plan_id=proof_bl"
say "blocked_source = $(metric blocked_source)"

bold "Proof B: a plan from intent_bridge is processed and waits for its P3.3 permit"
plan quantum:stream:apply.plan proof_allowed_001 intent_bridge
waitlog "Processing plan: proof_al"
waitlog "Waiting for P3.3 permit: proof_al"
say "processed = $(metric processed); no permit comes, so after 2 s:"
waitlog "Plan not executed: proof_al"

bold "Proof B': the same kind of plan with a permit granted executes (paper fill)"
redis-cli SET quantum:permit:p33:proof_granted_001 '{"allow": true, "reason": "demo"}' EX 60 >/dev/null
plan quantum:stream:apply.plan proof_granted_001 intent_bridge
waitlog "Executed plan: proof_gr"

bold "Proof C: the manual lane is off: its plans are skipped"
say "GET quantum:manual_lane:enabled -> '$(redis-cli GET quantum:manual_lane:enabled)'"
plan quantum:stream:apply.plan.manual proof_manual_off_001 manual_test
waitlog "Skip plan (manual_lane_disabled): plan_id=proof_ma"
say "manual_blocked_disabled = $(metric manual_blocked_disabled)"

bold "Proof D: an operator enables the manual lane for 20 minutes"
redis-cli SETEX quantum:manual_lane:enabled 1200 1 >/dev/null
say "TTL quantum:manual_lane:enabled -> $(redis-cli TTL quantum:manual_lane:enabled)"
plan quantum:stream:apply.plan.manual proof_manual_on_001 manual_test
waitlog "Consuming manual plan: proof_ma"
waitlog "Processing plan: proof_ma"
waitlog "Waiting for P3.3 permit: proof_ma"
say "manual_consumed = $(metric manual_consumed), processed = $(metric processed)"
waitlog "MANUAL_LANE_ACTIVE ttl_remaining="

bold "Proof E: the manual lane switches itself off when its TTL runs out (3 s here)"
redis-cli SETEX quantum:manual_lane:enabled 3 1 >/dev/null
say "waiting 4 s..."
sleep 4
say "GET quantum:manual_lane:enabled -> '$(redis-cli GET quantum:manual_lane:enabled)'"
offs=$(grep -cF "MANUAL_LANE_OFF" "$LOG")
plan quantum:stream:apply.plan.manual proof_manual_expired_001 manual_test
waitlog "Skip plan (manual_lane_disabled): plan_id=proof_ma" 2
waitlog "MANUAL_LANE_OFF" $((offs + 1))

bold "Proof F: heartbeat and the metrics hash"
waitlog "📊 Metrics:"
say "HGETALL quantum:metrics:intent_executor:"
redis-cli --raw HGETALL quantum:metrics:intent_executor | paste - - |
	awk '{ printf "    %-26s %s\n", $1, $2 }'

bold "The last result entries (quantum:stream:apply.result)"
printf '    %-26s %-9s %-34s %s\n' plan_id executed error order_id
redis-cli --raw XREVRANGE quantum:stream:apply.result + - COUNT 7 |
	awk 'prev == "details" { print } { prev = $0 }' |
	jq -r '[.plan_id, (.executed|tostring), (.error // "-"), (.order_id // "-")] | @tsv' |
	awk -F'\t' '{ printf "    %-26s %-9s %-34s %s\n", $1, $2, $3, $4 }'

bold "Stopping (SIGTERM): nothing is left half-done"
kill -TERM "$DPID"; wait "$DPID"; DPID=
tail -n 4 "$LOG" | sed 's/^/    log> /'
say "pending on the main lane: $(redis-cli XPENDING quantum:stream:apply.plan intent_executor | head -n 1)"
