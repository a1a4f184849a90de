#!/bin/bash
# Lanes that cannot interfere (issue 14, point 1; docs/REDIS.md "One
# plan_id, two lanes"): nothing on the main stream can make a manual-lane
# plan skip, or make its own content execute under a permit granted for a
# manual-lane plan with the same plan_id.
#   - a main entry refused at its lane guard (source not allowed) takes
#     nothing: a later manual plan with its plan_id runs;
#   - a main entry refused by its decision (SKIP) or its checks takes
#     nothing from the other lane either;
#   - a plan_id on both lanes for execution is a conflict: both entries are
#     refused (plan_id_conflict:<other lane>), each with its one result and
#     an audit entry, unless the first one was sent already (then only the
#     second is refused); nothing executes under the shared permit;
#   - a permit that names a lane or a side binds to them;
#   - copies on one lane are still only acknowledged;
#   - qiectl plan inject makes plan ids nobody can guess.
# Then the same order checks on the binance backend against the fake
# exchange.  (Permit timeout: 8 s, so a plan waits while the other lane's
# entry arrives.)
. "$(dirname "$0")/../lib.sh"

AUDIT=quantum:stream:intent_executor.audit
PK=quantum:permit:p33

# entry_field STREAM_ID FIELD: a details field of that entry's one result
entry_field() { entry_results "$1" | head -n 1 | jq -r ".details.$2"; }
# wait_entry STREAM_ID [seconds]: until that entry has a result
wait_entry() {
	local i
	for i in $(seq $((${2:-10} * 20))); do
		[ "$(entry_result_count "$1")" -ge 1 ] && return 0
		sleep 0.05
	done
	echo "no result for entry $1" >&2
	return 1
}
# wait_acked STREAM GROUP [seconds]: until the group has nothing pending
wait_acked() {
	local i
	for i in $(seq $((${3:-10} * 20))); do
		[ "$(pending_count "$1" "$2")" = 0 ] && return 0
		sleep 0.05
	done
	echo "$1: entries still pending" >&2
	return 1
}
one_result() {
	local n; n=$(entry_result_count "$1")
	[ "$n" = 1 ] && return 0
	echo "  entry $1: $n results, want 1" >&2; return 1
}
is() {
	[ "$1" = "$2" ] && return 0
	echo "  got '$1', want '$2'" >&2; return 1
}
audit_has() {   # audit_has PLAN_ID LANE: a plan.conflict entry for it
	redis-cli --json XRANGE $AUDIT - + | jq -e --arg p "$1" --arg l "$2" '
		[.[] | .[1] | [range(0; length; 2) as $i | {key: .[$i], value: .[$i + 1]}]
		 | from_entries | select(.action == "plan.conflict" and .plan_id == $p
		 and .lane == $l)] | length >= 1' >/dev/null
}
manual_on() { redis-cli SETEX quantum:manual_lane:enabled 600 1 >/dev/null; }
manual_off() { redis-cli DEL quantum:manual_lane:enabled >/dev/null; }
opening=(side BUY qty 0.3 reduceOnly false)
closing=(side SELL qty 0.01 reduceOnly true source manual_operator)

# conflict_case BACKEND ID FIRST WHAT: a plan of lane FIRST waits for its
# permit, the other lane's plan with the same ID arrives, then one permit:
# both refused, one result and an audit entry each, no order
conflict_case() {
	local b=$1 id=$2 first=$3 what=$4 m s
	if [ "$first" = main ]; then
		m=$(xadd_plan $MAIN $id "${opening[@]}")
	else
		s=$(xadd_plan $MANUAL $id "${closing[@]}")
	fi
	wait_log "Waiting for P3.3 permit: ${id:0:8}" 10
	if [ "$first" = main ]; then
		s=$(xadd_plan $MANUAL $id "${closing[@]}")
		wait_acked $MANUAL intent_executor_manual 10
	else
		m=$(xadd_plan $MAIN $id "${opening[@]}")
		wait_acked $MAIN intent_executor 10
	fi
	grant $id
	wait_entry "$m" 15; wait_entry "$s" 15
	check "$b: $what: one result for the main entry" one_result "$m"
	check "$b: $what: one result for the manual entry" one_result "$s"
	check "$b: $what: the main plan did not execute" is "$(entry_field "$m" executed)" false
	check "$b: $what: the manual plan refused too (permit not attributable)" is "$(entry_field "$s" executed)" false
	check "$b: $what: main error plan_id_conflict:manual" is "$(entry_field "$m" error)" plan_id_conflict:manual
	check "$b: $what: manual error plan_id_conflict:main" is "$(entry_field "$s" error)" plan_id_conflict:main
	check "$b: $what: audit entry (manual side)" audit_has $id manual
	check "$b: $what: audit entry (main side)" audit_has $id main
	[ "$b" = binance ] && check "$b: $what: no order on the exchange" is "$(fake_posts "$(coid_of $id)")" 0
}

# scenarios BACKEND: the reproductions, on the daemon already running
scenarios() {
	local b=$1 m s id

	# 1. a main entry refused at its lane guard, then the manual plan
	id=${b:0:2}01_guard
	manual_on
	m=$(xadd_plan $MAIN $id source rogue_producer "${opening[@]}")
	wait_entry "$m"
	check "$b: bad-source main entry: its own result" is "$(entry_field "$m" error)" source_not_allowed:rogue_producer
	check "$b: bad-source main entry: no done key" is "$(redis-cli EXISTS quantum:intent_executor:done:$id)" 0
	check "$b: bad-source main entry: no claim" is "$(redis-cli EXISTS quantum:intent_executor:claim:$id)" 0
	grant $id
	s=$(xadd_plan $MANUAL $id "${closing[@]}")
	wait_entry "$s"
	check "$b: manual plan after a bad-source main entry: its own result" one_result "$s"
	check "$b: manual plan after a bad-source main entry: executed" is "$(entry_field "$s" executed)" true
	check "$b: ... as the manual plan's content (SELL 0.01)" is "$(entry_field "$s" side)/$(entry_field "$s" requested_qty)" SELL/0.01

	# 2. a main entry with decision SKIP, then the manual plan
	id=${b:0:2}02_skip
	m=$(xadd_plan $MAIN $id decision SKIP reason no_edge "${opening[@]}")
	wait_entry "$m"
	check "$b: SKIP main entry: its own result" is "$(entry_field "$m" guard)" decision
	grant $id
	s=$(xadd_plan $MANUAL $id "${closing[@]}")
	wait_entry "$s"
	check "$b: manual plan after a SKIP main entry: its own result" one_result "$s"
	check "$b: manual plan after a SKIP main entry: executed" is "$(entry_field "$s" executed)" true
	# a copy on the main lane is still a copy: acknowledged, no second result
	m2=$(xadd_plan $MAIN $id decision SKIP)
	wait_acked $MAIN intent_executor
	check "$b: a main copy of the SKIP entry: no result of its own" is "$(entry_result_count "$m2")" 0
	check "$b: ... and the manual plan keeps its one result" one_result "$s"

	# 3. a main plan waits for its permit; a manual plan with the same id
	# arrives; the risk service grants one permit: a conflict.  4. the
	# other way round: the manual plan waits, a main entry arrives.
	conflict_case "$b" ${b:0:2}03_hijack main "conflict"
	conflict_case "$b" ${b:0:2}04_hijack manual "manual first"

	# 5. the manual plan executed already: a later main entry is refused alone
	id=${b:0:2}05_after
	grant $id
	s=$(xadd_plan $MANUAL $id "${closing[@]}")
	wait_entry "$s"
	m=$(xadd_plan $MAIN $id "${opening[@]}")
	wait_entry "$m"
	check "$b: after execution: the manual plan executed" is "$(entry_field "$s" executed)" true
	check "$b: after execution: the main entry refused, plan_id_conflict:manual" is "$(entry_field "$m" error)" plan_id_conflict:manual
	check "$b: after execution: one result for the main entry" one_result "$m"
	check "$b: after execution: one result for the manual entry" one_result "$s"
	[ "$b" = binance ] && check "$b: after execution: one order, the manual one" is "$(fake_count "$(coid_of $id)")" 1

	# 6. the manual lane off: the manual entry takes nothing either
	id=${b:0:2}06_off
	manual_off
	s=$(xadd_plan $MANUAL $id "${closing[@]}")
	wait_entry "$s"
	check "$b: manual lane off: manual_lane_disabled" is "$(entry_field "$s" error)" manual_lane_disabled
	grant $id
	m=$(xadd_plan $MAIN $id side SELL qty 0.01)
	wait_entry "$m"
	check "$b: ... the main plan with its id runs" is "$(entry_field "$m" executed)" true
	manual_on

	# 7. a permit that names its lane or its side binds to them
	id=${b:0:2}07_bind_lane
	redis-cli SET $PK:$id '{"allow": true, "lane": "manual"}' EX 60 >/dev/null
	m=$(xadd_plan $MAIN $id "${opening[@]}")
	wait_entry "$m"
	check "$b: a permit for the manual lane: refused on the main lane" is "$(entry_field "$m" error)" "p33_permit_mismatch:permit for lane manual, plan on lane main"
	id=${b:0:2}08_bind_side
	redis-cli HSET $PK:$id allow true side SELL >/dev/null
	m=$(xadd_plan $MAIN $id "${opening[@]}")
	wait_entry "$m"
	check "$b: a permit for a SELL: refused for a BUY" is "$(entry_field "$m" error)" "p33_permit_mismatch:permit for SELL, plan to BUY"
	id=${b:0:2}09_bind_ok
	redis-cli SET $PK:$id '{"allow": true, "lane": "manual", "side": "sell"}' EX 60 >/dev/null
	s=$(xadd_plan $MANUAL $id "${closing[@]}")
	wait_entry "$s"
	check "$b: a permit naming the plan's own lane and side: executed" is "$(entry_field "$s" executed)" true
	[ "$b" = binance ] && check "$b: no main-lane order at all" is "$(fake_orders | jq '[.orders[] | select(.side == "BUY")] | length')" 0
	check "$b: nothing left pending" bash -c '[ "$(redis-cli -p '"$RPORT"' XPENDING '$MAIN' intent_executor | head -n 1)$(redis-cli -p '"$RPORT"' XPENDING '$MANUAL' intent_executor_manual | head -n 1)" = 00 ]'
}

start_redis
start_daemon INTENT_EXECUTOR_PERMIT_TIMEOUT_MS=8000
scenarios paper
check "paper: conflicts counted" test "$(metric plan_id_conflict)" -ge 4

# qiectl plan inject: plan ids nobody can guess
Q() { env REDIS_PORT="$RPORT" "$BUILD/qiectl" --env-file /dev/null "$@"; }
a=$(Q --json plan inject --symbol ETHUSDT --side SELL --qty 0.01 --source intent_bridge | jq -r .plan_id)
b=$(Q --json plan inject --symbol ETHUSDT --side SELL --qty 0.01 | jq -r .plan_id)
check "plan inject: a random 128-bit plan_id (32 hex)" bash -c '[[ $1 =~ ^[0-9a-f]{32}$ ]]' _ "$a"
check "plan inject: two plans, two ids" test "$a" != "$b"
check "plan inject: --plan-id is kept" test "$(Q --json plan inject --symbol ETHUSDT --side SELL --qty 0.01 --plan-id given_01 | jq -r .plan_id)" = given_01
wait_log "Waiting for P3.3 permit: ${a:0:8}" 10
Q plan inject --manual --symbol ETHUSDT --side SELL --qty 0.01 --plan-id ${a} >/dev/null 2>"$T/inj.err"
check "plan inject: warns when the other lane holds the plan_id" grep -q "plan_id_conflict" "$T/inj.err"
stop_daemon

redis-cli FLUSHALL >/dev/null
start_fake
fake_creds
start_daemon_binance INTENT_EXECUTOR_PERMIT_TIMEOUT_MS=8000
scenarios binance
