#!/bin/bash
# Trading safety beyond the original (issue 7): the trading state (ACTIVE,
# REDUCING, HALTED, anything else or unreadable = HALTED) on both lanes and
# at both moments it is read (when the plan is read, and just before the
# order leaves); stale plans and clocks far ahead; a permit bound to the
# plan's symbol and age; the executor's per-order and hourly notional caps.
. "$(dirname "$0")/../lib.sh"

start_redis
start_daemon INTENT_EXECUTOR_HOURLY_NOTIONAL_USDT_MAIN=200 \
	INTENT_EXECUTOR_MANUAL_ALLOW_OPEN=true
redis-cli SETEX quantum:manual_lane:enabled 600 1 >/dev/null
TS=quantum:intent_executor:trading_state
now=$(date +%s)

# decided <plan_id> <lane stream> [field value ...]: add it with a permit
# and wait for its result
decided() {
	local id=$1 stream=$2; shift 2
	grant "$id"
	add_plan "$stream" "$id" source "$([ "$stream" = "$MAIN" ] && echo intent_bridge || echo manual_test)" "$@"
	wait_result "$id" 5
}
expect() {   # expect <plan_id> <what> <error prefix or "executed">
	local e; e=$(result_field "$1" error)
	if [ "$3" = executed ]; then
		check "$2: executed" test "$(result_field "$1" executed)" = true
	else
		check "$2: $3" bash -c '[[ "$1" == "$2"* ]]' _ "$e" "$3"
		check "$2: not executed" test "$(result_field "$1" executed)" = false
	fi
}

for lane in main manual; do
	s=$([ $lane = main ] && echo "$MAIN" || echo "$MANUAL")
	redis-cli DEL $TS >/dev/null
	decided "act_$lane" "$s"
	expect "act_$lane" "$lane: state absent = ACTIVE" executed
	redis-cli SET $TS HALTED >/dev/null
	decided "halt_$lane" "$s"
	expect "halt_$lane" "$lane: HALTED" trading_halted
	redis-cli SET $TS REDUCING >/dev/null
	decided "red_ro_$lane" "$s" reduceOnly true
	expect "red_ro_$lane" "$lane: REDUCING lets reduce-only run" executed
	decided "red_open_$lane" "$s" reduceOnly false qty 0.01
	expect "red_open_$lane" "$lane: REDUCING stops an opening order" trading_reducing
	redis-cli SET $TS PAUSED >/dev/null
	decided "odd_$lane" "$s"
	expect "odd_$lane" "$lane: an unknown state value counts as HALTED" trading_halted
	redis-cli DEL $TS >/dev/null
	redis-cli HSET $TS state ACTIVE >/dev/null
	decided "unread_$lane" "$s"
	expect "unread_$lane" "$lane: an unreadable state key counts as HALTED" trading_halted
	redis-cli DEL $TS >/dev/null
done
check "halted plans were never executed" test "$(metric executed_true)" = 4

# HALTED set while a plan waits for its permit: checked again before sending
add_plan "$MAIN" halt_late source intent_bridge
wait_log "Waiting for P3.3 permit: halt_lat" 5
redis-cli SET $TS HALTED >/dev/null
grant halt_late
wait_result halt_late 5
expect halt_late "HALTED after the plan was read" trading_halted
redis-cli DEL $TS >/dev/null

# stale plans, clocks far ahead, timestamps that are not times
decided stale_1 "$MAIN" timestamp $((now - 100))
expect stale_1 "a plan 100 s old (limit 30 s)" plan_stale:age
decided future_1 "$MAIN" timestamp $((now + 600))
expect future_1 "a plan 10 min in the future" "plan_stale:timestamp"
decided badts_1 "$MANUAL" timestamp yesterday
expect badts_1 "a timestamp that is not a time" plan_invalid_timestamp
decided ms_ts "$MAIN" timestamp "$((now * 1000))"
expect ms_ts "a timestamp in milliseconds" executed

# a permit bound to its plan: symbol and age
redis-cli SET quantum:permit:p33:pm_sym '{"allow": true, "symbol": "BTCUSDT"}' EX 60 >/dev/null
add_plan "$MAIN" pm_sym source intent_bridge symbol ETHUSDT
wait_result pm_sym 5
expect pm_sym "a permit for another symbol" p33_permit_mismatch
redis-cli SET quantum:permit:p33:pm_old "{\"allow\": true, \"ts\": $((now - 120))}" EX 60 >/dev/null
add_plan "$MAIN" pm_old source intent_bridge
wait_result pm_old 5
expect pm_old "a permit issued 2 min ago" p33_permit_stale
redis-cli HSET quantum:permit:p33:pm_fut allow true ts $((now + 3600)) >/dev/null
add_plan "$MANUAL" pm_fut source manual_test
wait_result pm_fut 5
expect pm_fut "a permit issued in the future" p33_permit_stale
redis-cli SET quantum:permit:p33:pm_ok "{\"allow\": true, \"symbol\": \"ETHUSDT\", \"ts\": $now}" EX 60 >/dev/null
add_plan "$MAIN" pm_ok source intent_bridge symbol ETHUSDT
wait_result pm_ok 5
expect pm_ok "a permit naming the plan's symbol, fresh" executed

# the executor's caps: per order (main 10000 USDT) and per hour (200 here; 4 orders of 30 USDT ran on main before)
decided cap_order "$MAIN" symbol BTCUSDT qty 1 reduceOnly true
expect cap_order "an order of 60000 USDT (cap 10000)" notional_cap_exceeded
decided hour_1 "$MAIN" symbol ETHUSDT qty 0.01 reduceOnly true
expect hour_1 "30 USDT more, 150 in the hour, within its budget" executed
decided hour_2 "$MAIN" symbol ETHUSDT qty 0.02 reduceOnly true
expect hour_2 "60 USDT more, 210 in the hour, above its budget" hourly_notional_exceeded
decided hour_manual "$MANUAL" symbol ETHUSDT qty 0.01 reduceOnly true
expect hour_manual "the manual lane has its own budget" executed

check "every plan has exactly one result" bash -c '
	[ -z "$(redis-cli --raw XRANGE quantum:stream:apply.result - + |
		awk "prev == \"plan_id\" { print } { prev = \$0 }" | sort | uniq -d)" ]'

# the step that decided each plan is in its result
check "guard: executed plans say exchange" test "$(result_field act_main guard)" = exchange
check "guard: a halted plan says safety" test "$(result_field halt_main guard)" = safety
check "guard: a permit for another symbol says permit" test "$(result_field pm_sym guard)" = permit
check "guard: a cap says executor" test "$(result_field cap_order guard)" = executor
check "guard: a stale plan says safety" test "$(result_field stale_1 guard)" = safety

# the operator's switch: qiectl halt / reduce / resume, with audit entries
Q() { env REDIS_PORT="$RPORT" "$BUILD/qiectl" --env-file /dev/null "$@"; }
Q halt --operator alice --reason "exchange incident" >"$T/q.out" 2>&1
check "qiectl halt exits 0" test $? = 0
check "qiectl halt sets HALTED" test "$(redis-cli GET $TS)" = HALTED
decided q_halt "$MAIN"
expect q_halt "after qiectl halt" trading_halted
Q reduce --operator alice --reason "winding down" >/dev/null 2>&1
check "qiectl reduce sets REDUCING" test "$(redis-cli GET $TS)" = REDUCING
redis-cli SET quantum:intent_executor:breaker:consecutive_failures:main 3 >/dev/null
redis-cli SET quantum:intent_executor:breaker:halted:manual "3 failed" >/dev/null
Q resume --operator bob --reason "incident over" >/dev/null 2>&1
check "qiectl resume sets ACTIVE" test "$(redis-cli GET $TS)" = ACTIVE
check "qiectl resume resets every lane's breaker" test "$(redis-cli EXISTS quantum:intent_executor:breaker:consecutive_failures:main quantum:intent_executor:breaker:halted:manual)" = 0
decided q_resumed "$MAIN"
expect q_resumed "after qiectl resume" executed
audit=$(redis-cli --raw XRANGE quantum:stream:intent_executor.audit - +)
for a in trading.halt trading.reduce trading.resume; do
	check "audit entry $a" grep -qx "$a" <<<"$audit"
done
check "audit names the operator and the reason" bash -c 'grep -qx alice <<<"$1" && grep -qx "incident over" <<<"$1"' _ "$audit"
Q halt --reason "no operator" >/dev/null 2>&1
check "qiectl halt without --operator exits 2" test $? = 2
check "... and changes nothing" test "$(redis-cli GET $TS)" = ACTIVE
Q --json trading >"$T/q.json" 2>&1
check "qiectl trading --json" test "$(jq -r .state "$T/q.json")" = ACTIVE
