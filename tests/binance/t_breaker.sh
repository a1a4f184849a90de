#!/bin/bash
# The circuit breaker (issue 7): after INTENT_EXECUTOR_BREAKER_FAILURES
# consecutive orders of a lane that reached the exchange and failed, the
# daemon halts that lane by itself (t_breaker_lanes.sh: the other lane runs
# on), says why in the log and the audit stream, and runs nothing on the
# lane until an operator's `qiectl resume`.  Refusals before the exchange
# (permit, caps) do not count; a fill ends a run.
. "$(dirname "$0")/../lib.sh"

start_redis
start_fake
fake_creds
start_daemon_binance INTENT_EXECUTOR_BREAKER_FAILURES=3
TS=quantum:intent_executor:trading_state
BK=quantum:intent_executor:breaker:consecutive_failures:main
HALT=quantum:intent_executor:breaker:halted:main
plan() { fx_plan "$1" symbol ETHUSDT side SELL qty 0.01 reduceOnly true; }

# two failures, then a fill: the run is broken
fake_mode 2019 2
plan br_01; plan br_02
check "two margin errors counted" test "$(redis-cli GET $BK)" = 2
plan br_03
check "a fill resets the count" test "$(redis-cli GET $BK)" = 0
check "... and the state stays ACTIVE" test -z "$(redis-cli GET $TS)"

# refusals before the exchange do not count
redis-cli SET quantum:permit:p33:br_den '{"allow": false, "reason": "risk"}' EX 60 >/dev/null
add_plan "$MAIN" br_den symbol ETHUSDT
wait_result br_den 10
check "a denied permit does not count" test "$(redis-cli GET $BK)" = 0

# three failures in a row: HALTED
fake_mode 2019 3
plan br_04; plan br_05; plan br_06
for p in br_04 br_05 br_06; do
	e=$(result_field "$p" error)
	check "$p: binance_error:-2019" bash -c '[[ "$1" == binance_error:-2019:* ]]' _ "$e"
done
check "the breaker trips: the main lane HALTED" test -n "$(redis-cli GET $HALT)"
check "the log says why" log_has "CIRCUIT BREAKER: 3 consecutive orders failed"
audit=$(redis-cli --raw XRANGE quantum:stream:intent_executor.audit - +)
check "an audit entry by intent_executor" bash -c 'grep -qx intent_executor <<<"$1" && grep -qx HALTED <<<"$1" && grep -qx lane.halt <<<"$1"' _ "$audit"
before=$(fake_order_posts)
plan br_07
check "halted: the next plan is not executed" test "$(result_field br_07 error)" = "lane_halted:circuit breaker (qiectl resume)"
check "halted: nothing reached the exchange" test "$(fake_order_posts)" = "$before"

# the operator resumes
env REDIS_PORT="$RPORT" "$BUILD/qiectl" --env-file /dev/null resume \
	--operator ops --reason "margin topped up" >/dev/null 2>&1
check "qiectl resume: ACTIVE" test "$(redis-cli GET $TS)" = ACTIVE
check "qiectl resume: count reset" test "$(redis-cli GET $BK)" = ""
check "qiectl resume: the lane runs again" test "$(redis-cli EXISTS $HALT)" = 0
plan br_08
check "after resume: executed" test "$(result_field br_08 executed)" = true
check "one order per executed plan" test "$(fake_total_orders)" = 2
