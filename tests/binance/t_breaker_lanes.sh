#!/bin/bash
# One lane's failures halt that lane only (issue 14, point 2): the circuit
# breaker counts per lane; five failed main-lane orders halt the main lane
# (audit entry, log line), the operator's manual reduce-only exits still
# run; qiectl status and qiectl trading show the halted lane; qiectl resume
# --lane clears one lane, qiectl resume all of them; only an operator halts
# everything (qiectl halt).
. "$(dirname "$0")/../lib.sh"

start_redis
start_fake
fake_creds
start_daemon_binance
TS=quantum:intent_executor:trading_state
BKM=quantum:intent_executor:breaker:consecutive_failures:main
HALTM=quantum:intent_executor:breaker:halted:main
HALTS=quantum:intent_executor:breaker:halted:manual
Q() { env REDIS_PORT="$RPORT" INTENT_EXECUTOR_STATUS_FILE="$T/status" "$BUILD/qiectl" --env-file /dev/null "$@"; }
is() {
	[ "$1" = "$2" ] && return 0
	echo "  got '$1', want '$2'" >&2; return 1
}
manual_plan() {
	grant "$1"
	add_plan "$MANUAL" "$1" side SELL qty 0.01 reduceOnly true source manual_operator
	wait_result "$1" 40
}
redis-cli SETEX quantum:manual_lane:enabled 600 1 >/dev/null

# five failed main-lane orders
fake_mode 2019 5
for i in 1 2 3 4 5; do fx_plan bl_main_$i side BUY qty 0.3 reduceOnly false; done
for i in 1 2 3 4 5; do
	e=$(result_field bl_main_$i error)
	check "bl_main_$i: binance_error:-2019" bash -c '[[ "$1" == binance_error:-2019:* ]]' _ "$e"
done
check "the main lane's breaker counted 5" is "$(redis-cli GET $BKM)" 5
check "the main lane is halted by its breaker" test -n "$(redis-cli GET $HALTM)"
check "the manual lane is not" is "$(redis-cli EXISTS $HALTS)" 0
check "the trading state is not touched (only an operator halts all)" test -z "$(redis-cli GET $TS)"
check "the log says so" log_has "⛔ [lane=main] CIRCUIT BREAKER: 5 consecutive orders failed"
audit=$(redis-cli --json XRANGE quantum:stream:intent_executor.audit - + | jq -c '.[] | .[1]')
check "an audit entry by intent_executor for the main lane" bash -c 'grep -q "\"lane.halt\"" <<<"$1" && grep -q "\"intent_executor\"" <<<"$1" && grep -q "\"main\"" <<<"$1"' _ "$audit"

# the manual lane still runs the operator's exits
before=$(fake_order_posts)
manual_plan bl_exit_1
check "the manual reduce-only exit executes" is "$(result_field bl_exit_1 executed)" true
check "... on the exchange" is "$(fake_count "$(coid_of bl_exit_1)")" 1
fx_plan bl_main_6 side SELL qty 0.01
check "the main lane refuses: lane_halted" is "$(result_field bl_main_6 error)" "lane_halted:circuit breaker (qiectl resume)"
check "... nothing else reached the exchange" is "$(fake_order_posts)" $((before + 1))

# qiectl shows it
Q trading >"$T/tr.out" 2>&1
check "qiectl trading: the main lane halted by its breaker" grep -q "lane main: HALTED by its circuit breaker" "$T/tr.out"
check "qiectl trading: the manual lane runs" grep -q "lane manual: running" "$T/tr.out"
check "qiectl trading --json: lanes.main.halted" is "$(Q --json trading | jq -r '.lanes.main.halted')" true
Q status >"$T/st.out" 2>&1
check "qiectl status: the main lane halted by its breaker" grep -q "HALTED by its circuit breaker" "$T/st.out"
check "qiectl status --json: lanes[main].breaker_halted" is "$(Q --json status | jq -r '.lanes[] | select(.lane == "main") | .breaker_halted')" true

# the manual lane's own failures halt it alone; resume --lane manual
fake_mode 2019 5
for i in 1 2 3 4 5; do manual_plan bl_man_$i; done
check "the manual lane halted by its own breaker" test -n "$(redis-cli GET $HALTS)"
Q resume --lane manual --operator ops --reason "manual fixed" >/dev/null 2>&1
check "qiectl resume --lane manual: the manual lane runs again" is "$(redis-cli EXISTS $HALTS)" 0
check "... the main lane stays halted" test -n "$(redis-cli GET $HALTM)"
manual_plan bl_exit_2
check "... a manual exit executes" is "$(result_field bl_exit_2 executed)" true

# qiectl resume: every lane
Q resume --operator ops --reason "margin topped up" >/dev/null 2>&1
check "qiectl resume: the main lane runs again" is "$(redis-cli EXISTS $HALTM)" 0
n=$(redis-cli GET $BKM)
check "qiectl resume: its count reset" is "${n:-0}" 0
check "qiectl resume: ACTIVE" is "$(redis-cli GET $TS)" ACTIVE
fx_plan bl_main_7 side SELL qty 0.01
check "after resume: a main plan executes" is "$(result_field bl_main_7 executed)" true
check "one order per executed plan" is "$(fake_total_orders)" 3

# only an operator halts everything
Q halt --operator ops --reason "incident" >/dev/null 2>&1
manual_plan bl_exit_3
check "qiectl halt: the manual lane stops too" is "$(result_field bl_exit_3 error)" trading_halted
