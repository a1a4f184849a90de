#!/bin/bash
# t_concurrent.sh - one executor, many orders (issue 15): main-lane orders
# for a slow symbol (the fake answers them 4 s late) do not hold up the
# manual lane's reduce-only plans for another symbol; the slow symbol's
# orders stay in arrival order; a request past its plan's deadline is
# answered plan_stale with nothing sent, whether it waited behind a slow
# order of its symbol or in a stopped executor (SIGSTOP past the plan age,
# then SIGCONT).  Every plan gets one result, the fake holds at most one
# order per client order id.  The paper backend refuses a stale request
# the same way.  Events are checked in order, never timed.
. "$(dirname "$0")/../lib.sh"

start_redis
start_fake --slow-symbol ETHUSDT:4000
fake_creds
start_daemon_binance
wait_log "ready: backend=binance" 10
redis-cli SETEX quantum:manual_lane:enabled 600 1 >/dev/null

is() {
	[ "$1" = "$2" ] && return 0
	echo "  got '$1', want '$2'" >&2; return 1
}
one() { [ "$(result_count "$1")" = 1 ]; }
# coids COID...: the fake's order log, in the order it took them, of these
fake_seq() { fake_orders | jq -r '.orders[].clientOrderId' | grep -xF "$(printf '%s\n' "$@")" | tr '\n' ' '; }
# none_posted PLAN...: the fake saw no order request for any of them
none_posted() {
	local p
	for p in "$@"; do [ "$(fake_posts "$(coid_of "$p")")" = 0 ] || return 1; done
}

# --- 1. the manual lane is not held up by the main lane's slow symbol
for i in 1 2 3; do
	grant cc_main_$i
	add_plan "$MAIN" cc_main_$i symbol ETHUSDT side BUY qty 0.01 reduceOnly false
done
wait_until_posts() {
	local i
	for i in $(seq 200); do
		[ "$(fake_posts "$1")" -ge 1 ] && return 0
		sleep 0.05
	done
	return 1
}
check "the first slow order is at the exchange" wait_until_posts qie-cc_main_1
for i in 1 2 3; do
	grant cc_man_$i
	add_plan "$MANUAL" cc_man_$i symbol BTCUSDT side SELL qty 0.001 reduceOnly true \
		source manual_operator
done
for i in 1 2 3; do wait_result cc_man_$i 30 >/dev/null; done
check "manual results are in while a slow main order is still outstanding" \
	is "$(result_count cc_main_3)" 0
for i in 1 2 3; do
	check "cc_man_$i executed" is "$(result_field cc_man_$i executed)" true
	check "cc_man_$i one result" one cc_man_$i
done
for i in 1 2 3; do wait_result cc_main_$i 40 >/dev/null; done
last_main=$(result_pos cc_main_3)
for i in 1 2 3; do
	check "cc_man_$i decided before the last slow main plan" \
		id_before "$(result_pos cc_man_$i)" "$last_main"
	check "cc_main_$i executed" is "$(result_field cc_main_$i executed)" true
	check "cc_main_$i one result" one cc_main_$i
done
check "the slow symbol's orders reached the exchange in arrival order" \
	is "$(fake_seq qie-cc_main_1 qie-cc_main_2 qie-cc_main_3)" \
	"qie-cc_main_1 qie-cc_main_2 qie-cc_main_3 "
check "its results came in arrival order too" bash -c \
	"$(declare -f id_before); id_before '$(result_pos cc_main_1)' '$(result_pos cc_main_2)' &&
	 id_before '$(result_pos cc_main_2)' '$last_main'"

# --- 2. deadlines: the plan age is 3 s
stop_daemon
start_daemon_binance INTENT_EXECUTOR_MAX_PLAN_AGE_SEC=3
wait_log "ready: backend=binance" 10
: >"$T/mark"

# 2a. queued in the executor behind a slow order of its symbol (the other
# lane's: a worker holds its own lane's plans of a symbol back itself)
curl -fsS -X POST "$FX/_fake/slow?symbol=ETHUSDT&ms=4800" >/dev/null
grant dl_slow_1
grant dl_slow_2
add_plan "$MAIN" dl_slow_1 symbol ETHUSDT side BUY qty 0.01 reduceOnly false
check "the slow order is at the exchange" wait_until_posts qie-dl_slow_1
add_plan "$MANUAL" dl_slow_2 symbol ETHUSDT side SELL qty 0.01 reduceOnly true \
	source manual_operator
wait_result dl_slow_2 20 >/dev/null
wait_result dl_slow_1 20 >/dev/null
e=$(result_field dl_slow_2 error)
check "queued past its deadline: plan_stale" bash -c '[[ "$1" == plan_stale:* ]]' _ "$e"
check "queued past its deadline: refused by the executor" \
	is "$(result_field dl_slow_2 guard)" executor
check "queued past its deadline: not executed" is "$(result_field dl_slow_2 executed)" false
check "queued past its deadline: nothing sent" none_posted dl_slow_2
check "queued past its deadline: answered before the slow order it waited for" \
	id_before "$(result_pos dl_slow_2)" "$(result_pos dl_slow_1)"
check "the slow order itself, sent in time, executed" \
	is "$(result_field dl_slow_1 executed)" true
curl -fsS -X POST "$FX/_fake/slow?symbol=ETHUSDT&ms=0" >/dev/null

# 2b. the executor stopped past the plan age: its requests end plan_stale
exe=$(executor_pid)
check "the executor's pid is known" test -n "$exe"
kill -STOP "$exe"
grant dl_stop_main
grant dl_stop_man
add_plan "$MAIN" dl_stop_main symbol BTCUSDT side SELL qty 0.001 reduceOnly true
add_plan "$MANUAL" dl_stop_man symbol ETHUSDT side SELL qty 0.01 reduceOnly true \
	source manual_operator
check "main-lane request sent to the stopped executor" wait_claim_state dl_stop_main sent 10
check "manual-lane request sent to the stopped executor" wait_claim_state dl_stop_man sent 10
sleep 4                 # past the 3 s plan age, within the supervisor's 7 s
kill -CONT "$exe"
for p in dl_stop_main dl_stop_man; do
	wait_result $p 20 >/dev/null
	e=$(result_field $p error)
	check "$p: plan_stale from the executor" bash -c '[[ "$1" == plan_stale:* ]]' _ "$e"
	check "$p: refused by the executor, not the exchange" \
		is "$(result_field $p guard)" executor
	check "$p: one result" one $p
done
check "after SIGCONT: the fake holds no order for them" none_posted dl_stop_main dl_stop_man
check "the executor was not restarted" is "$(executor_pid)" "$exe"

check "no order was ever sent twice" \
	is "$(fake_orders | jq '[.orders[] | select(.count > 1 or .posts > 1)] | length')" 0
check "no sandbox violation" bash -c "! grep -q SIGSYS '$DLOG'"

# --- 3. the paper backend refuses a stale request the same way
stop_daemon
start_daemon INTENT_EXECUTOR_MAX_PLAN_AGE_SEC=3
exe=$(executor_pid)
kill -STOP "$exe"
grant dl_paper
add_plan "$MAIN" dl_paper symbol ETHUSDT side SELL qty 0.01 reduceOnly true
check "paper: request sent to the stopped executor" wait_claim_state dl_paper sent 10
sleep 4
kill -CONT "$exe"
wait_result dl_paper 20 >/dev/null
e=$(result_field dl_paper error)
check "paper: plan_stale from the executor" bash -c '[[ "$1" == plan_stale:* ]]' _ "$e"
check "paper: refused by the executor" is "$(result_field dl_paper guard)" executor
check "paper: no fill" is "$(result_field dl_paper order_id)" null
check "paper: one result" one dl_paper
check "paper: no sandbox violation" bash -c "! grep -q SIGSYS '$DLOG'"
