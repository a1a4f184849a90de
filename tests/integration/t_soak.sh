#!/bin/bash
# t_soak.sh - a soak with faults: plans flow over both lanes while a random
# child (executor, main worker, manual worker) is killed with SIGKILL every
# few hundred milliseconds and Redis itself is killed once and restarted
# from its append-only file (appendonly yes, appendfsync always).  At the
# end every plan has exactly one result, was executed once, nothing is
# lost and nothing stays pending.  Prints the figures: plans, kills,
# results, executed orders, duplicates (must be 0), lost (must be 0).
#
# Short form in make check (SOAK_PLANS=1000 over ~15 s); `make soak` runs
# the long form (SOAK_PLANS=5000 over ~40 s, SOAK_EXIT_STATUS=1: exit 1 if
# a check failed).  Settings:
#   SOAK_PLANS         plans in all, half on each lane (default 1000)
#   SOAK_FLOW_SECONDS  how long the plans keep coming (default 15)
#   SOAK_KILL_MS       a kill is tried this often (default 300)
# A try kills a random worker that has run 2.2 s, or, every third kill,
# the executor once it and both workers (they end with it) have: the
# supervisor throttles a child that dies sooner (its restart delay doubles
# up to 30 s), which would stall the lanes instead of testing them; so
# about one kill a second happens, and their number is printed.
#
# Backend: paper.  (The fake exchange counts its order rate without a
# window and keeps 4096 orders: it cannot take a soak.)  The paper book of
# fills is the executor's memory: a plan that had reached an executor that
# was then killed is sent again, under the same client order id, to the
# new executor, which cannot know the first simulated fill; such re-sends
# are counted and printed.  Duplicates here are plans with more than one
# result or more than one executed result.
. "$(dirname "$0")/../lib.sh"
trap eo_cleanup EXIT

PLANS=${SOAK_PLANS:-1000}
FLOW=${SOAK_FLOW_SECONDS:-15}
KILL_MS=${SOAK_KILL_MS:-300}
PER_LANE=$((PLANS / 2))
TICK_MS=100
CHUNK=$(((PER_LANE * TICK_MS + FLOW * 1000 - 1) / (FLOW * 1000)))
AOF=(--appendonly yes --appendfsync always)
T0=$SECONDS

start_redis "${AOF[@]}"
# restart_redis_crash: kill -9 redis-server, start it again on the same port
# from its AOF.
restart_redis_crash() {
	kill_pid -9 "$REDIS_PID"; wait "$REDIS_PID" 2>/dev/null
	sleep 0.3
	redis-server --port "$RPORT" --bind 127.0.0.1 --save '' "${AOF[@]}" \
		--dir "$T" --logfile "$T/redis.log" &
	REDIS_PID=$!
	local i
	for i in $(seq 200); do
		[ "$(redis-cli PING 2>/dev/null)" = PONG ] && return 0
		sleep 0.05
	done
	return 1
}

start_daemon INTENT_EXECUTOR_CLAIM_MIN_IDLE_MS=1000 INTENT_EXECUTOR_PERMIT_TIMEOUT_MS=30000 \
	INTENT_EXECUTOR_MAX_PLAN_AGE_SEC=3600 \
	INTENT_EXECUTOR_MAX_ORDERS_PER_MIN_MAIN=1000000 INTENT_EXECUTOR_MAX_ORDERS_PER_MIN_MANUAL=1000000 \
	INTENT_EXECUTOR_HOURLY_NOTIONAL_USDT_MAIN=0 INTENT_EXECUTOR_HOURLY_NOTIONAL_USDT_MANUAL=0
redis-cli SETEX quantum:manual_lane:enabled 3600 1 >/dev/null
grant_many sk-m- 1 "$PER_LANE"
grant_many sk-u- 1 "$PER_LANE"
for i in $(seq "$PER_LANE"); do echo "sk-m-$i"; echo "sk-u-$i"; done >"$T/ids"

# the producer: CHUNK plans per lane every TICK_MS, retried while Redis is
# down (a chunk whose reply was lost may be added twice: the copies are
# skipped by plan_id, and the checks below count per plan_id)
(
	i=1
	while [ $i -le "$PER_LANE" ]; do
		j=$((i + CHUNK - 1)); [ $j -gt "$PER_LANE" ] && j=$PER_LANE
		until add_many "$MAIN" sk-m- $i $j 2>/dev/null && add_many "$MANUAL" sk-u- $i $j 2>/dev/null; do
			sleep 0.1
		done
		i=$((j + 1))
		sleep 0.$TICK_MS
	done
) &
PRODUCER=$!

# the killer: a try every KILL_MS
declare -A SEEN=()              # role:pid -> when we first saw it (ms)
note_pids() {
	local r p now
	now=$(date +%s%3N)
	for r in executor main manual; do
		p=$(status_get "$r" pid)
		[ -n "$p" ] && [ "$p" != 0 ] && [ -z "${SEEN[$r:$p]:-}" ] && SEEN[$r:$p]=$now
	done
}
age_ms() {      # age_ms ROLE: how long its current pid has been seen
	local p
	p=$(status_get "$1" pid)
	[ -n "$p" ] && [ -n "${SEEN[$1:$p]:-}" ] || { echo 0; return; }
	echo $(($(date +%s%3N) - SEEN[$1:$p]))
}
: >"$T/kills"
KILLS=0
kill_one() {     # every third kill the executor, else any worker old enough
	local ok=() r p
	note_pids
	if [ $((KILLS % 3)) = 2 ]; then   # the workers end with it: them too
		[ "$(age_ms executor)" -ge 2200 ] && [ "$(age_ms main)" -ge 2200 ] &&
			[ "$(age_ms manual)" -ge 2200 ] && ok=(executor)
	else
		[ "$(age_ms main)" -ge 2200 ] && ok+=(main)
		[ "$(age_ms manual)" -ge 2200 ] && ok+=(manual)
	fi
	[ ${#ok[@]} -gt 0 ] || return 0
	r=${ok[RANDOM % ${#ok[@]}]}
	p=$(status_get "$r" pid)
	kill_pid -9 "$p" 2>/dev/null && echo "$r $p" >>"$T/kills" && KILLS=$((KILLS + 1))
}
REDIS_AT=$((FLOW * 2 / 5))
redis_restarted=0
while kill -0 $PRODUCER 2>/dev/null; do
	kill_one
	if [ $redis_restarted = 0 ] && [ $((SECONDS - T0)) -ge $REDIS_AT ]; then
		restart_redis_crash && redis_restarted=1
		echo "info: Redis killed (SIGKILL) and restarted from its AOF at $((SECONDS - T0)) s"
	fi
	sleep 0.$KILL_MS
done
wait $PRODUCER
flow_s=$((SECONDS - T0))

check "soak: every plan decided" wait_decided "$T/ids" $((60 + PLANS / 50))
for i in $(seq 100); do
	[ "$(pending_count "$MAIN" intent_executor) $(pending_count "$MANUAL" intent_executor_manual)" = "0 0" ] && break
	sleep 0.1
done
sleep 0.5
result_rows sk- >"$T/rows"
tally "$T/ids" "$T/rows"
kills=$(wc -l <"$T/kills")
kx=$(grep -c '^executor' "$T/kills") km=$(grep -c '^main' "$T/kills") ku=$(grep -c '^manual' "$T/kills")
resent=$(grep -c 'was sent before a crash' "$DLOG")
pend="$(pending_count "$MAIN" intent_executor) $(pending_count "$MANUAL" intent_executor_manual)"
errors=$(awk -F'\t' '$2 != "true" {print $4}' "$T/rows" | sed 's/:.*//' | sort | uniq -c | xargs)
echo "SOAK: plans=$T_PLANS kills=$kills (executor $kx, main $km, manual $ku) redis_restarts=$redis_restarted" \
	"results=$T_RESULTS executed_orders=$T_EXEC duplicates=$T_DUP executed_twice=$T_DUPEXEC" \
	"lost=$T_LOST not_executed=$T_NOTEXEC pending=$pend resent_after_crash=$resent" \
	"flow=${flow_s}s total=$((SECONDS - T0))s"
[ -n "$errors" ] && echo "info: results not executed, by error: $errors"
check "soak: faults happened (kills $kills >= $((FLOW / 3)))" test "$kills" -ge $((FLOW / 3))
check "soak: every lane's worker and the executor were killed" test "$kx" -ge 1 -a "$km" -ge 1 -a "$ku" -ge 1
check "soak: Redis was killed and restarted from its AOF" test $redis_restarted = 1
# a worker connected when Redis died says "connection lost"; one that was
# (re)started during the outage says "Connection refused" on connecting
check "soak: the workers saw Redis go" grep -qE "Redis connection lost|Connection refused" "$DLOG"
check "soak: lost 0 (got $T_LOST: ${T_LOST_IDS:-none})" test "$T_LOST" = 0
check "soak: duplicates 0 (got $T_DUP: ${T_DUP_IDS:-none})" test "$T_DUP" = 0
check "soak: executed twice 0 (got $T_DUPEXEC)" test "$T_DUPEXEC" = 0
check "soak: every plan executed (executed_orders $T_EXEC of $T_PLANS)" test "$T_EXEC" = "$T_PLANS"
check "soak: nothing pending ($pend)" test "$pend" = "0 0"
check "soak: no sandbox violation" bash -c "! grep -q 'sandbox violation' '$DLOG'"
check "soak: supervisor still running" kill -0 "$DAEMON_PID"
# make soak: the exit status says it
if [ "${SOAK_EXIT_STATUS:-0}" = 1 ] && grep -q "^FAIL $TEST_NAME" "$RESULTS"; then exit 1; fi
exit 0
