#!/bin/bash
# t_group_start.sh - a consumer group starts where it covers every plan
# still young enough to execute (Redis time minus
# INTENT_EXECUTOR_MAX_PLAN_AGE_SEC), never at `$`, and says what it found.
# (1) 50 main-lane and 10 manual-lane plans wait in their streams before
# the daemon's first start: each gets its one result.  An entry older
# than the max age (by its stream id) is before the group's start: never
# delivered, no result, and the log counts it; an entry whose id is young
# but whose timestamp is old is delivered and gets its one result as
# plan_stale.  (2) Redis restarted without persistence while plans are
# added before the workers reconnect (both workers stopped with SIGSTOP
# meanwhile): the groups are recreated the same way, with an ERROR line,
# and none of those plans is lost.  (3) The group destroyed at run time
# (NOGROUP) and the whole data set flushed (FLUSHALL) while the workers
# wait in XREADGROUP: recreated with an ERROR line, plans added after it
# all get their results.
. "$(dirname "$0")/../lib.sh"
trap eo_cleanup EXIT

AGE=30
start_redis
now_ms() { echo $(($(redis-cli TIME | head -n 1) * 1000)); }

# ids_file PREFIX FROM TO: the plan ids, one a line, in $T/PREFIX.ids
ids_file() { seq "$2" "$3" | sed "s/^/$1/" >"$T/$1.ids"; }
# all_results PREFIX: every plan of $T/PREFIX.ids has exactly one result,
# executed=true (prints the figures)
all_results() {
	result_rows "$1" >"$T/$1.rows"
	tally "$T/$1.ids" "$T/$1.rows"
	echo "info: $1: $T_PLANS plans, $T_RESULTS results, $T_EXEC executed, lost $T_LOST ($T_LOST_IDS), duplicates $T_DUP"
	[ "$T_LOST" = 0 ] && [ "$T_DUP" = 0 ] && [ "$T_EXEC" = "$T_PLANS" ]
}

# ------------------------------------------ (1) plans before the first start
old_id="$(($(now_ms) - (AGE + 90) * 1000))-0"
redis-cli XADD "$MAIN" "$old_id" plan_id gs-old action FULL_CLOSE_PROPOSED decision EXECUTE \
	symbol ETHUSDT side SELL type MARKET qty 0.01 reduceOnly true source intent_bridge \
	timestamp $(($(date +%s) - AGE - 90)) >/dev/null
xadd_plan "$MAIN" gs-stale timestamp $(($(date +%s) - AGE - 60)) >/dev/null
grant gs-stale; grant gs-old
grant_many gs-a 1 50
add_many "$MAIN" gs-a 1 50
ids_file gs-a 1 50
redis-cli SETEX quantum:manual_lane:enabled 600 1 >/dev/null
grant_many gs-m 1 10
for i in $(seq 10); do add_plan "$MANUAL" "gs-m$i" source manual_operator; done
ids_file gs-m 1 10
echo "info: before the first start: $(redis-cli XLEN "$MAIN") main entries, $(redis-cli XLEN "$MANUAL") manual, groups on the main stream: $(redis-cli --json XINFO GROUPS "$MAIN" | jq length)"
start_daemon INTENT_EXECUTOR_PERMIT_TIMEOUT_MS=20000 INTENT_EXECUTOR_MAX_PLAN_AGE_SEC=$AGE
wait_decided "$T/gs-a.ids" 20
check "first start: the 50 main plans waiting before it each have one executed result" all_results gs-a
wait_decided "$T/gs-m.ids" 20
check "first start: the 10 manual plans waiting before it each have one executed result" all_results gs-m
check "first start: the main group was created below the waiting plans, not at \$" \
	wait_log "consumer group intent_executor created on $MAIN at " 2
check "first start: ... the log says what it delivers (51 entries) and what it leaves (1 older)" \
	wait_log "it delivers 51 entries; 1 older entry of the stream is not delivered" 2
check "first start: ... and why (the max plan age)" log_has "INTENT_EXECUTOR_MAX_PLAN_AGE_SEC=$AGE"
check "first start: the manual group too, with its 10 entries" \
	wait_log "consumer group intent_executor_manual created on $MANUAL at " 2
check "first start: ... it delivers 10 entries" log_has "it delivers 10 entries; 0 older entries"
start_id=$(grep -o "consumer group intent_executor created on $MAIN at [0-9]*-0" "$DLOG" | head -n 1 | awk '{print $NF}')
echo "info: main group created at $start_id (old entry $old_id)"
check "first start: the group started after the entry older than the max age ($start_id > $old_id)" \
	id_before "$old_id" "$start_id"
check "first start: the old entry (before the group's start) was never delivered: no result" \
	test "$(result_count gs-old)" = 0
check "first start: a young entry with an old timestamp: one result, plan_stale" wait_result gs-stale 5
check "first start: ... error plan_stale:age" bash -c "[[ '$(result_field gs-stale error)' == plan_stale:age* ]]"
check "first start: ... not executed" test "$(result_top gs-stale executed)" = false
check "first start: no ERROR line (a first creation is no loss)" \
	bash -c "! grep -q 'ERROR.*consumer group' '$DLOG'"

# ------------------- (2) Redis restarted without its data, plans added first
wm=$(status_get main pid) wn=$(status_get manual pid)
kill_pid -STOP "$wm" "$wn"
stop_redis
start_redis_again
redis-cli SETEX quantum:manual_lane:enabled 600 1 >/dev/null
grant_many gs-q 1 30
add_many "$MAIN" gs-q 1 30
ids_file gs-q 1 30
grant_many gs-rm 1 10
for i in $(seq 10); do add_plan "$MANUAL" "gs-rm$i" source manual_operator; done
ids_file gs-rm 1 10
echo "info: Redis restarted empty; $(redis-cli XLEN "$MAIN") main and $(redis-cli XLEN "$MANUAL") manual plans added, groups on the main stream: $(redis-cli --json XINFO GROUPS "$MAIN" | jq length)"
kill_pid -CONT "$wm" "$wn"
wait_decided "$T/gs-q.ids" 20
check "Redis restart: the 30 main plans added before the workers reconnected: none lost" all_results gs-q
wait_decided "$T/gs-rm.ids" 20
check "Redis restart: the 10 manual plans: none lost" all_results gs-rm
check "Redis restart: ERROR line: the main group was gone and is recreated" \
	wait_log "ERROR lane=main: consumer group intent_executor on $MAIN was gone" 2
check "Redis restart: ... the manual group too" \
	wait_log "ERROR lane=manual: consumer group intent_executor_manual on $MANUAL was gone" 2
check "Redis restart: ... with the count" \
	bash -c "grep 'ERROR lane=main:.*was gone' '$DLOG' | tail -n 1 | grep -q 'it delivers 30 entries'"

# ----------------------------- (3) the group destroyed, the data flushed
redis-cli XGROUP DESTROY "$MAIN" intent_executor >/dev/null
check "NOGROUP at run time: recreated with an ERROR line" \
	wait_log "on $MAIN was gone (NOGROUP" 5
grant_many gs-n 1 20
add_many "$MAIN" gs-n 1 20
ids_file gs-n 1 20
wait_decided "$T/gs-n.ids" 20
check "NOGROUP at run time: the 20 plans added after it all executed" all_results gs-n
n_before=$(grep -c "was gone" "$DLOG")
redis-cli FLUSHALL >/dev/null
redis-cli SETEX quantum:manual_lane:enabled 600 1 >/dev/null
grant_many gs-f 1 20
add_many "$MAIN" gs-f 1 20
ids_file gs-f 1 20
wait_decided "$T/gs-f.ids" 20
check "FLUSHALL at run time: the 20 plans added after it all executed" all_results gs-f
check "FLUSHALL at run time: ERROR lines for the recreated groups" \
	test "$(grep -c "was gone" "$DLOG")" -ge $((n_before + 1))
check "nothing pending on the main lane" test "$(pending_count "$MAIN" intent_executor)" = 0
check "no process restarted" test "$(status_get main restarts)/$(status_get manual restarts)/$(status_get executor restarts)" = 0/0/0
