#!/bin/bash
# t_drops.sh - the fake exchange drops the connection at each moment of an
# order, on both lanes: (a) before it reads the request (drop_unread),
# (b) after reading it, before executing it (drop_noexec), (c) after
# executing it, before answering (drop), (d) in the middle of the answer
# (drop_mid: half the body, then the connection closes).  From the fake's
# order log and the result stream: the exchange never holds two orders for
# one plan, no client order id is sent twice (an answer that never came
# is settled by asking, never by sending again), each plan gets exactly one
# result, and the result says what happened.  The fake runs with a small
# simulated round trip (--rtt 5), so its network layer is in the path, and
# its counts are checked against its order log at the end.
. "$(dirname "$0")/../lib.sh"

start_redis
start_fake --rtt 5
fake_creds
start_daemon_binance
wait_log "ready: backend=binance" 10
redis-cli SETEX quantum:manual_lane:enabled 600 1 >/dev/null

# drops MODE TAG: the next two order POSTs misbehave: one main-lane plan
# (ETHUSDT) and one manual-lane plan (BTCUSDT), sent together.
drops() {
	fake_mode "$1" 2
	grant "m_$2"
	grant "u_$2"
	add_plan "$MAIN" "m_$2" symbol ETHUSDT side SELL qty 0.01 reduceOnly true
	add_plan "$MANUAL" "u_$2" symbol BTCUSDT side SELL qty 0.001 reduceOnly true \
		source manual_operator
	wait_result "m_$2" 40
	wait_result "u_$2" 40
}
field() { result_field "$1" "$2"; }
one() { [ "$(result_count "$1")" = 1 ]; }
# held PLAN: "orders/POSTs" the fake holds for the plan's client order id
held() { echo "$(fake_count "$(coid_of "$1")")/$(fake_posts "$(coid_of "$1")")"; }
not_placed() { [[ "$(field "$1" error)" == order_not_placed:* ]]; }

drops drop_unread unread
drops drop_noexec noexec
drops drop exec
drops drop_mid mid

# not_placed_ok LANE PLAN MOMENT HELD: settled as not placed, one result,
# HELD orders/POSTs on the exchange
not_placed_ok() {
	check "$1, dropped $3: not executed" [ "$(field "$2" executed)" = false ]
	check "$1, dropped $3: settled as not placed" not_placed "$2"
	check "$1, dropped $3: no order, $4 POSTs of its id" [ "$(held "$2")" = "$4" ]
	check "$1, dropped $3: one result" one "$2"
}
# executed_ok LANE PLAN MOMENT: settled as executed, one order sent once
executed_ok() {
	check "$1, dropped $3: settled as executed" \
		[ "$(field "$2" executed)/$(field "$2" order_status)" = true/FILLED ]
	check "$1, dropped $3: one order, sent once" [ "$(held "$2")" = 1/1 ]
	check "$1, dropped $3: one result" one "$2"
	check "$1, dropped $3: logged as unknown, then settled" \
		log_has "order $(coid_of "$2"): outcome unknown"
}

for lane in m u; do
	name=$([ $lane = m ] && echo main || echo manual)
	not_placed_ok $name ${lane}_unread "before the request is read" 0/0
	not_placed_ok $name ${lane}_noexec "after reading, before executing" 0/1
	executed_ok $name ${lane}_exec "after executing, before answering"
	executed_ok $name ${lane}_mid "mid-answer"
done

check "the fake cut two answers in the middle" \
	[ "$(grep -c 'cut mid-answer' "$T/fake.log")" = 2 ]
check "the fake dropped two requests before reading them" \
	[ "$(grep -c 'dropped before reading it' "$T/fake.log")" = 2 ]
check "no client order id was ever sent twice" \
	[ "$(fake_orders | jq '[.orders[] | select(.count > 1 or .posts > 1)] | length')" = 0 ]
check "no sandbox violation" bash -c "! grep -q SIGSYS '$DLOG'"

# the counts the bench reads: every order POST (the ones dropped unread
# included), and at least a round trip charged to each request counted
posts=$(fake_orders | jq '[.orders[].posts] | add')
stop_daemon
stop_fake
stats=$(grep 'stats: ' "$T/fake.log")
check "the fake logs its counts when it stops" [ -n "$stats" ]
check "its order POSTs are the order log's, plus the two dropped unread" \
	[ "$(sed -n 's/.* order_posts=\([0-9]*\).*/\1/p' <<<"$stats")" = $((posts + 2)) ]
check "every counted request was charged at least its round trip" awk -v s="$stats" 'BEGIN {
	match(s, /counted_requests=[0-9]+/); r = substr(s, RSTART + 17, RLENGTH - 17)
	match(s, /round_trips=[0-9.]+/); t = substr(s, RSTART + 12, RLENGTH - 12)
	exit !(r > 0 && t + 0 >= r)
}'
